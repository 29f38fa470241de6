import type { ChannelMetricsSnapshot, TaskMetricsSnapshot } from '../metrics/metric-snapshots.ts';
import type { ResultPartition } from './result-partition.ts';
import type { SingleInputGate } from './single-input-gate.ts';

/** The network gauges of a task snapshot (see `TaskMetricsSnapshot`). */
export type TaskNetworkFigures = Pick<
  TaskMetricsSnapshot,
  | 'inPoolUsage'
  | 'outPoolUsage'
  | 'inputExclusiveBuffersUsage'
  | 'inputFloatingBuffersUsage'
  | 'inputQueueLength'
  | 'outputQueueLength'
  | 'outputQueueSize'
  | 'channels'
>;

/**
 * Collects a task's network gauges from its partitions and gates, for
 * `TaskIOMetricGroup.snapshot(extras)`: pool usages as Flink computes them over all
 * partitions (used / size, summed) and gates (mean of the gates' fractions), queue
 * lengths summed, and per input channel credit, backlog and queued buffers (`gate`
 * label = the gate's index in `gates`).
 *
 * @param partitions - the task's result partitions (released ones count as empty)
 * @param gates - the task's input gates, in input order
 * @returns the figures; a side without partitions or gates leaves its fields undefined
 * @remarks The task's thread, once per snapshot (allocates the channel list).
 */
export function collectTaskNetworkFigures(
  partitions: readonly ResultPartition<unknown>[],
  gates: readonly SingleInputGate[],
): TaskNetworkFigures {
  const figures: TaskNetworkFigures = {};
  if (partitions.length > 0) {
    let used = 0;
    let size = 0;
    let queueLength = 0;
    let queueSize = 0;
    for (const partition of partitions) {
      used += partition.getNumBuffersInUse();
      size += partition.getPoolSize();
      queueLength += partition.getOutputQueueLength();
      queueSize += partition.getOutputQueueSizeBytes();
    }
    figures.outPoolUsage = size === 0 ? 0 : Math.min(1, used / size);
    figures.outputQueueLength = queueLength;
    figures.outputQueueSize = queueSize;
  }
  if (gates.length > 0) {
    let inPool = 0;
    let exclusive = 0;
    let floating = 0;
    let queueLength = 0;
    const channels: ChannelMetricsSnapshot[] = [];
    gates.forEach((gate, index) => {
      inPool += gate.getInPoolUsage();
      exclusive += gate.getInputExclusiveBuffersUsage();
      floating += gate.getInputFloatingBuffersUsage();
      queueLength += gate.getInputQueueLength();
      channels.push(...gate.getChannelMetrics(index));
    });
    figures.inPoolUsage = inPool / gates.length;
    figures.inputExclusiveBuffersUsage = exclusive / gates.length;
    figures.inputFloatingBuffersUsage = floating / gates.length;
    figures.inputQueueLength = queueLength;
    figures.channels = channels;
  }
  return figures;
}
