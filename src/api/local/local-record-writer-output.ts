import type { StreamPartitioner } from '../../graph/stream-partitioner.ts';
import type { RecordWriterOutput } from '../../runtime/operators/record-writer-output.ts';
import { AVAILABLE, type ElementContext } from '../../runtime/operators/stream-operator.ts';
import type { LocalInputChannel } from './local-input-channel.ts';

/**
 * The local executor's {@link RecordWriterOutput}: picks a channel per record with the
 * edge's partitioner (its own copy) and appends the record, with the chain's current
 * timestamp, to that in-memory channel; watermarks and the end of partition go to every
 * channel.
 *
 * @remarks Single thread: the executor's. One per exchange of a writing subtask.
 */
export class LocalRecordWriterOutput implements RecordWriterOutput<unknown> {
  numRecordsOut = 0;
  private readonly partitioner: StreamPartitioner<unknown>;
  private readonly channels: readonly LocalInputChannel[];
  private readonly element: ElementContext;
  private readonly broadcast: boolean;

  /**
   * @param partitioner - a private copy of the edge's partitioner (set up here)
   * @param channels - one channel per downstream subtask this writer feeds, in channel order
   * @param element - the writing chain's element context
   * @param subtaskIndex - index of the writing subtask
   */
  constructor(
    partitioner: StreamPartitioner<unknown>,
    channels: readonly LocalInputChannel[],
    element: ElementContext,
    subtaskIndex: number,
  ) {
    this.partitioner = partitioner;
    this.channels = channels;
    this.element = element;
    partitioner.setup(channels.length, subtaskIndex);
    this.broadcast = partitioner.isBroadcast();
  }

  collect(record: unknown): void {
    this.numRecordsOut++;
    const { hasTimestamp, timestamp } = this.element;
    if (this.broadcast) {
      const channels = this.channels;
      for (let i = 0; i < channels.length; i++)
        channels[i]!.pushRecord(record, hasTimestamp, timestamp);
      return;
    }
    // Always ask the partitioner, also with one channel: a bad key fails at any parallelism.
    this.channels[this.partitioner.selectChannel(record)]!.pushRecord(
      record,
      hasTimestamp,
      timestamp,
    );
  }

  emitWatermark(watermark: number): void {
    for (const channel of this.channels) channel.pushWatermark(watermark);
  }

  emitWatermarkStatus(idle: boolean): void {
    for (const channel of this.channels) channel.pushWatermarkStatus(idle);
  }

  isAvailable(): boolean {
    const channels = this.channels;
    for (let i = 0; i < channels.length; i++) if (!channels[i]!.hasCapacity()) return false;
    return true;
  }

  /** The consumers run in the same loop: availability is re-checked every round. */
  getAvailableFuture(): Promise<void> {
    return AVAILABLE;
  }

  /** Records are visible to the consumer at once: nothing to flush. */
  flush(): void {}

  finish(): void {
    for (const channel of this.channels) channel.end();
  }

  close(): void {}
}
