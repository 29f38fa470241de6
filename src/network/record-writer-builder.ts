import { BroadcastRecordWriter } from './broadcast-record-writer.ts';
import type { ChannelSelector } from './channel-selector.ts';
import { ChannelSelectorRecordWriter } from './channel-selector-record-writer.ts';
import { ProtocolViolationError } from './network-exchange-errors.ts';
import type { RecordWriter } from './record-writer.ts';
import type { ResultPartition } from './result-partition.ts';

/**
 * Builds the record writer for a partition and a channel selector: a
 * {@link BroadcastRecordWriter} for a broadcast selector (the partition must have been
 * created with `broadcast: true`), else a {@link ChannelSelectorRecordWriter}.
 *
 * @param partition - the partition to write
 * @param channelSelector - the writer's own copy of the edge's selector (e.g.
 *   `edge.partitioner.copy()`)
 * @param writerSubtaskIndex - index of the writing subtask
 * @returns the writer
 * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when the selector broadcasts but the
 *   partition does not, or the other way round
 * @remarks Producing task's thread. Corresponds to Flink's `RecordWriterBuilder`.
 */
export function buildRecordWriter<T>(
  partition: ResultPartition<T>,
  channelSelector: ChannelSelector<T>,
  writerSubtaskIndex = 0,
): RecordWriter<T> {
  if (channelSelector.isBroadcast() !== partition.isBroadcast) {
    throw new ProtocolViolationError(
      channelSelector.isBroadcast()
        ? `a broadcast channel selector needs a broadcast partition: create the ResultPartition of producer ${partition.producerIndex} with { broadcast: true }`
        : `the ResultPartition of producer ${partition.producerIndex} is a broadcast partition but the channel selector is not broadcast`,
      { details: { producer: partition.producerIndex, broadcast: partition.isBroadcast } },
    );
  }
  if (channelSelector.isBroadcast()) {
    channelSelector.setup(partition.numberOfSubpartitions, writerSubtaskIndex);
    return new BroadcastRecordWriter(partition);
  }
  return new ChannelSelectorRecordWriter(partition, channelSelector, writerSubtaskIndex);
}
