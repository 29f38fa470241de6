import type { JobVertex } from './job-vertex.ts';
import type { StreamEdge } from './stream-edge.ts';
import type { ShipStrategy, StreamPartitioner } from './stream-partitioner.ts';

/**
 * How an exchange connects the subtasks of two vertices (Flink's
 * `DistributionPattern`): `POINTWISE` = subtask i to subtask i (forward), `ALL_TO_ALL` =
 * every upstream subtask to every downstream subtask.
 */
export type DistributionPattern = 'POINTWISE' | 'ALL_TO_ALL';

/**
 * An exchange between two vertices (Flink's `JobEdge`): a non-chained stream edge.
 * Records cross it through a record writer: in memory in the local executor, through
 * network buffers and credit-based channels between workers.
 *
 * @remarks Built with its {@link JobGraph}; read-only afterwards.
 */
export class JobEdge {
  readonly source: JobVertex;
  readonly target: JobVertex;
  /** The stream edge this exchange implements. */
  readonly streamEdge: StreamEdge;
  /** Position of this edge among the target's inputs (`num` in the plan JSON). */
  readonly inputIndex: number;

  constructor(source: JobVertex, target: JobVertex, streamEdge: StreamEdge, inputIndex: number) {
    this.source = source;
    this.target = target;
    this.streamEdge = streamEdge;
    this.inputIndex = inputIndex;
  }

  /** Partitioner prototype; each record writer uses its own `copy()`. */
  get partitioner(): StreamPartitioner<unknown> {
    return this.streamEdge.partitioner;
  }

  /** Flink's ship strategy name (`FORWARD`, `REBALANCE`, `HASH`, `BROADCAST`). */
  get shipStrategy(): ShipStrategy {
    return this.streamEdge.partitioner.shipStrategy;
  }

  get distributionPattern(): DistributionPattern {
    return this.streamEdge.partitioner.isPointwise() ? 'POINTWISE' : 'ALL_TO_ALL';
  }

  /**
   * Upstream subtasks that feed subtask `targetSubtask` of the target.
   *
   * @returns `[targetSubtask]` for pointwise edges, every upstream subtask otherwise
   */
  upstreamSubtasksOf(targetSubtask: number): number[] {
    if (this.distributionPattern === 'POINTWISE') return [targetSubtask];
    return Array.from({ length: this.source.parallelism }, (_, i) => i);
  }

  /**
   * Downstream subtasks fed by subtask `sourceSubtask` of the source (the writer's
   * channels, in channel order).
   */
  downstreamSubtasksOf(sourceSubtask: number): number[] {
    if (this.distributionPattern === 'POINTWISE') return [sourceSubtask];
    return Array.from({ length: this.target.parallelism }, (_, i) => i);
  }
}
