import type { StreamRecord } from '../types/stream-element.ts';
import type { ChannelSelector } from './channel-selector.ts';
import { RecordWriter } from './record-writer.ts';
import type { ResultPartition } from './result-partition.ts';

/**
 * A record writer that sends each record to the one channel its {@link ChannelSelector}
 * picks (forward, rebalance, key groups).
 *
 * Per record: one `selectChannel` call and one in-place write into that channel's
 * buffer; no allocation, no `Atomics`.
 *
 * @remarks Owned by the producing task's thread. Corresponds to Flink's
 * `ChannelSelectorRecordWriter`.
 */
export class ChannelSelectorRecordWriter<T> extends RecordWriter<T> {
  /** The writer's own selector (set up for the partition's channels). */
  readonly channelSelector: ChannelSelector<T>;

  /**
   * @param partition - the partition (not a broadcast one)
   * @param channelSelector - this writer's copy of the edge's selector; `setup()` is
   *   called here with the partition's channel count
   * @param writerSubtaskIndex - index of the writing subtask
   */
  constructor(
    partition: ResultPartition<T>,
    channelSelector: ChannelSelector<T>,
    writerSubtaskIndex = 0,
  ) {
    super(partition);
    this.channelSelector = channelSelector;
    channelSelector.setup(partition.numberOfSubpartitions, writerSubtaskIndex);
  }

  emit(record: StreamRecord<T>): void {
    this.partition.emitRecord(record, this.channelSelector.selectChannel(record.value));
    this.numRecordsOut++;
  }
}
