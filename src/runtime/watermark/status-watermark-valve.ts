/**
 * Combines the watermarks and watermark statuses of a task's input channels into the
 * task's own (Flink's `StatusWatermarkValve`): the input watermark is the minimum over
 * the channels that are active and *aligned*, and an idle channel holds nothing back.
 *
 * ```
 *  channel   status   watermark   aligned
 *    0       ACTIVE     1000        yes    ┐
 *    1       IDLE        300        no     ├─► output watermark = min(1000, 1200) = 1000
 *    2       ACTIVE     1200        yes    ┘   output status ACTIVE (some channel is)
 *
 *  a channel becoming active again is aligned only once its watermark caught up with
 *  the output watermark (its older watermarks would move the output backwards);
 *  all channels idle → the valve flushes the maximum channel watermark, then emits IDLE;
 *  a finished channel (end of partition) counts as idle for good.
 * ```
 *
 * The output watermark only increases; a status is emitted only when it changes.
 *
 * How the runtime uses it (the local executor's `LocalInputProcessor` does exactly this):
 * one valve per input gate of a task, channels numbered 0 … n−1 over all its input
 * channels; for each element read from channel c: a watermark → `inputWatermark(w, c)`,
 * a watermark status → `inputWatermarkStatus(idle, c)`, end of partition →
 * `inputChannelFinished(c)`. The valve's output goes to the head operator
 * (`processWatermark` / `processWatermarkStatus`) after the chain's `ElementContext` got
 * the new `currentWatermark`.
 *
 * @remarks Owned by the task thread reading the channels. Allocation-free per call.
 */

import { MIN_WATERMARK } from '../operators/stream-operator.ts';

/** Where a {@link StatusWatermarkValve} emits to. */
export interface WatermarkValveOutput {
  /** The combined watermark advanced to `watermark` (ms). */
  emitWatermark(watermark: number): void;
  /** The combined status changed (`true` = every channel idle). */
  emitWatermarkStatus(idle: boolean): void;
}

/**
 * The valve of one input; see the module documentation.
 *
 * @remarks Owned by one task thread.
 */
export class StatusWatermarkValve {
  /** Last watermark emitted (ms). */
  lastOutputWatermark = MIN_WATERMARK;
  /** Whether the last status emitted is IDLE. */
  lastOutputIdle = false;
  private readonly watermarks: Float64Array;
  private readonly idle: Uint8Array;
  private readonly aligned: Uint8Array;
  private readonly finished: Uint8Array;
  private readonly output: WatermarkValveOutput;

  /**
   * @param numberOfChannels - input channels (≥ 1)
   * @param output - receives the combined watermark and status
   */
  constructor(numberOfChannels: number, output: WatermarkValveOutput) {
    if (!(Number.isInteger(numberOfChannels) && numberOfChannels >= 1)) {
      throw new RangeError(`a watermark valve needs ≥ 1 channel, got ${numberOfChannels}`);
    }
    this.watermarks = new Float64Array(numberOfChannels).fill(MIN_WATERMARK);
    this.idle = new Uint8Array(numberOfChannels);
    this.aligned = new Uint8Array(numberOfChannels).fill(1);
    this.finished = new Uint8Array(numberOfChannels);
    this.output = output;
  }

  /** Number of channels. */
  get numberOfChannels(): number {
    return this.watermarks.length;
  }

  /** Watermark last received on `channel` (ms). */
  channelWatermark(channel: number): number {
    return this.watermarks[channel]!;
  }

  /** Whether `channel` is idle (or finished). */
  isChannelIdle(channel: number): boolean {
    return this.idle[channel] === 1;
  }

  /**
   * A watermark arrived on `channel`; ignored while the channel (or the whole valve) is
   * idle, and when it does not advance the channel.
   */
  inputWatermark(watermark: number, channel: number): void {
    if (this.lastOutputIdle || this.idle[channel] === 1) return;
    if (watermark <= this.watermarks[channel]!) return;
    this.watermarks[channel] = watermark;
    if (this.aligned[channel] === 0 && watermark >= this.lastOutputWatermark) {
      this.aligned[channel] = 1;
    }
    this.findAndOutputNewMinWatermarkAcrossAlignedChannels();
  }

  /** A watermark status arrived on `channel` (`true` = idle). */
  inputWatermarkStatus(idle: boolean, channel: number): void {
    if (this.finished[channel] === 1) return;
    if (idle) this.markIdle(channel, true);
    else this.markActive(channel);
  }

  /** `channel` ended (end of partition): it is idle for good. */
  inputChannelFinished(channel: number): void {
    if (this.finished[channel] === 1) return;
    this.finished[channel] = 1;
    let allFinished = true;
    for (let c = 0; c < this.finished.length; c++) if (this.finished[c] === 0) allFinished = false;
    // When every channel ended the input is over: nothing to announce.
    this.markIdle(channel, !allFinished);
  }

  private markIdle(channel: number, announce: boolean): void {
    if (this.idle[channel] === 1) return;
    this.idle[channel] = 1;
    this.aligned[channel] = 0;
    if (!this.hasActiveChannels()) {
      // No channel will advance any more: flush the highest watermark of all channels.
      if (this.watermarks[channel] === this.lastOutputWatermark) {
        this.findAndOutputMaxWatermarkAcrossAllChannels();
      }
      if (announce && !this.lastOutputIdle) {
        this.lastOutputIdle = true;
        this.output.emitWatermarkStatus(true);
      }
    } else if (this.watermarks[channel] === this.lastOutputWatermark) {
      this.findAndOutputNewMinWatermarkAcrossAlignedChannels();
    }
  }

  private markActive(channel: number): void {
    if (this.idle[channel] === 0) return;
    this.idle[channel] = 0;
    if (this.watermarks[channel]! >= this.lastOutputWatermark) this.aligned[channel] = 1;
    if (this.lastOutputIdle) {
      this.lastOutputIdle = false;
      this.output.emitWatermarkStatus(false);
    }
  }

  private hasActiveChannels(): boolean {
    const idle = this.idle;
    for (let c = 0; c < idle.length; c++) if (idle[c] === 0) return true;
    return false;
  }

  private findAndOutputNewMinWatermarkAcrossAlignedChannels(): void {
    let min = Number.POSITIVE_INFINITY;
    let hasAligned = false;
    const { aligned, watermarks } = this;
    for (let c = 0; c < aligned.length; c++) {
      if (aligned[c] === 1) {
        hasAligned = true;
        if (watermarks[c]! < min) min = watermarks[c]!;
      }
    }
    if (hasAligned && min > this.lastOutputWatermark) {
      this.lastOutputWatermark = min;
      this.output.emitWatermark(min);
    }
  }

  private findAndOutputMaxWatermarkAcrossAllChannels(): void {
    let max = MIN_WATERMARK;
    const watermarks = this.watermarks;
    for (let c = 0; c < watermarks.length; c++) if (watermarks[c]! > max) max = watermarks[c]!;
    if (max > this.lastOutputWatermark) {
      this.lastOutputWatermark = max;
      this.output.emitWatermark(max);
    }
  }
}
