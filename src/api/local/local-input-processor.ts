import type { StreamInputProcessor } from '../../runtime/operators/stream-input-processor.ts';
import {
  AVAILABLE,
  type ElementContext,
  MIN_WATERMARK,
  type OneInputStreamOperator,
} from '../../runtime/operators/stream-operator.ts';
import type { InputStatus } from '../connector/source.ts';
import { LocalInputChannel } from './local-input-channel.ts';

/**
 * Feeds a chain's head from its in-memory input channels (the local executor's
 * `StreamOneInputProcessor`): takes elements from the channels in turn, sets the chain's
 * element context and calls `processElement` directly; combines the channels'
 * watermarks into the operator's (the minimum over channels not yet ended, Flink's
 * `StatusWatermarkValve`), forwarding it only when it advances.
 *
 * @remarks Single thread: the executor's. One per non-source subtask.
 */
export class LocalInputProcessor implements StreamInputProcessor {
  /** Records handed to the head (Flink's `numRecordsIn`). */
  numRecordsIn = 0;
  private readonly channels: readonly LocalInputChannel[];
  private readonly head: OneInputStreamOperator<unknown, unknown>;
  private readonly element: ElementContext;
  private readonly channelWatermarks: number[];
  private lastWatermark = MIN_WATERMARK;
  private nextChannel = 0;

  /**
   * @param channels - every input channel of the subtask (all inputs, a union included)
   * @param head - the chain's first operator
   * @param element - the chain's element context
   */
  constructor(
    channels: readonly LocalInputChannel[],
    head: OneInputStreamOperator<unknown, unknown>,
    element: ElementContext,
  ) {
    this.channels = channels;
    this.head = head;
    this.element = element;
    this.channelWatermarks = channels.map(() => MIN_WATERMARK);
  }

  processInput(maxRecords: number): InputStatus {
    const channels = this.channels;
    let budget = maxRecords;
    // Visit each channel at most once per call, starting where the last call stopped.
    for (let visited = 0; visited < channels.length && budget > 0; visited++) {
      const index = this.nextChannel;
      this.nextChannel = (index + 1) % channels.length;
      const channel = channels[index]!;
      const wasEnded = channel.isDrained();
      budget -= this.drain(channel, index, budget);
      if (!wasEnded && channel.isDrained()) this.advanceWatermark(-1);
    }
    let ended = true;
    for (const channel of channels) {
      if (channel.size() > 0) return 'MORE_AVAILABLE';
      if (!channel.ended) ended = false;
    }
    return ended ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
  }

  /** The executor re-polls every round; nothing to wait for here. */
  getAvailableFuture(): Promise<void> {
    return AVAILABLE;
  }

  /** Processes up to `budget` records of one channel; returns how many. */
  private drain(channel: LocalInputChannel, index: number, budget: number): number {
    const { kinds, values, timestamps } = channel;
    const element = this.element;
    const head = this.head;
    let i = channel.head;
    const end = kinds.length;
    let records = 0;
    while (i < end && records < budget) {
      const kind = kinds[i]!;
      if (kind === LocalInputChannel.WATERMARK) {
        const watermark = timestamps[i]!;
        i++;
        channel.head = i;
        if (watermark > this.channelWatermarks[index]!) {
          this.channelWatermarks[index] = watermark;
          this.advanceWatermark(index);
        }
        continue;
      }
      element.hasTimestamp = kind === LocalInputChannel.RECORD_WITH_TIMESTAMP;
      element.timestamp = timestamps[i]!;
      const value = values[i];
      i++;
      channel.head = i;
      records++;
      head.processElement(value);
    }
    this.numRecordsIn += records;
    channel.compact();
    return records;
  }

  /**
   * Forwards the minimum watermark over the channels when it advanced. A drained channel
   * (ended, all read) no longer holds the others back — except the one whose watermark
   * is being processed now, which may be its last element (the final watermark of a
   * bounded source arrives just before its end of partition).
   *
   * @param current - index of the channel whose watermark was just read, or −1
   */
  private advanceWatermark(current: number): void {
    let min = Number.POSITIVE_INFINITY;
    const channels = this.channels;
    for (let c = 0; c < channels.length; c++) {
      if (c !== current && channels[c]!.isDrained()) continue;
      const w = this.channelWatermarks[c]!;
      if (w < min) min = w;
    }
    if (min === Number.POSITIVE_INFINITY || min <= this.lastWatermark) return;
    this.lastWatermark = min;
    this.element.currentWatermark = min;
    this.head.processWatermark(min);
  }
}
