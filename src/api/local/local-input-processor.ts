import type { StreamInputProcessor } from '../../runtime/operators/stream-input-processor.ts';
import {
  AVAILABLE,
  type ElementContext,
  type OneInputStreamOperator,
} from '../../runtime/operators/stream-operator.ts';
import { StatusWatermarkValve } from '../../runtime/watermark/status-watermark-valve.ts';
import type { InputStatus } from '../connector/source.ts';
import { LocalInputChannel } from './local-input-channel.ts';

/**
 * Feeds a chain's head from its in-memory input channels (the local executor's
 * `StreamOneInputProcessor`): takes elements from the channels in turn, sets the chain's
 * element context and calls `processElement` directly; combines the channels'
 * watermarks and watermark statuses with a {@link StatusWatermarkValve} (the minimum
 * over active channels; an idle or ended channel holds nothing back), forwarding the
 * watermark only when it advances.
 *
 * @remarks Single thread: the executor's. One per non-source subtask.
 */
export class LocalInputProcessor implements StreamInputProcessor {
  /** Records handed to the head (Flink's `numRecordsIn`). */
  numRecordsIn = 0;
  private readonly channels: readonly LocalInputChannel[];
  private readonly head: OneInputStreamOperator<unknown, unknown>;
  private readonly element: ElementContext;
  private readonly valve: StatusWatermarkValve;
  private readonly finished: boolean[];
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
    this.finished = channels.map(() => false);
    this.valve = new StatusWatermarkValve(Math.max(1, channels.length), {
      emitWatermark: (watermark) => {
        element.currentWatermark = watermark;
        head.processWatermark(watermark);
      },
      emitWatermarkStatus: (idle) => head.processWatermarkStatus?.(idle),
    });
  }

  processInput(maxRecords: number): InputStatus {
    const channels = this.channels;
    let budget = maxRecords;
    // Visit each channel at most once per call, starting where the last call stopped.
    for (let visited = 0; visited < channels.length && budget > 0; visited++) {
      const index = this.nextChannel;
      this.nextChannel = (index + 1) % channels.length;
      const channel = channels[index]!;
      budget -= this.drain(channel, index, budget);
      if (!this.finished[index] && channel.isDrained()) {
        this.finished[index] = true;
        this.valve.inputChannelFinished(index);
      }
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
        this.valve.inputWatermark(watermark, index);
        continue;
      }
      if (kind === LocalInputChannel.WATERMARK_STATUS) {
        const idle = timestamps[i] === 1;
        i++;
        channel.head = i;
        this.valve.inputWatermarkStatus(idle, index);
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
}
