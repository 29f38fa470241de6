import type { JobEdge } from './job-edge.ts';
import type { StreamEdge } from './stream-edge.ts';
import type { StreamNode } from './stream-node.ts';

/**
 * One vertex of the physical graph (Flink's `JobVertex`): a chain of operators that
 * run in the same task, calling each other directly. Subtask i of the vertex runs the
 * whole chain for the i-th parallel slice of the data.
 *
 * ```
 *   JobVertex "Source: lines -> Flat Map"   (head = Source: lines)
 *     Source: lines ─FORWARD (chained)─► Flat Map ─HASH (JobEdge)─► next vertex
 * ```
 *
 * @remarks Built with its {@link JobGraph}; read-only afterwards.
 */
export class JobVertex {
  /** Operator id of the head (Flink: the vertex id is the head's hash). */
  readonly id: string;
  /** Chained operator names, as Flink writes them (`A -> B`, `A -> (B, C)`). */
  readonly name: string;
  /** The first operator of the chain. */
  readonly headNode: StreamNode;
  /** All operators of the chain, head first, each after its chained predecessor. */
  readonly chainedNodes: readonly StreamNode[];
  /** Edges inside the chain (direct calls). */
  readonly chainedEdges: readonly StreamEdge[];
  /** Incoming exchanges, in input order. */
  readonly inputs: JobEdge[] = [];
  /** Outgoing exchanges (one per non-chained out edge of any chained operator). */
  readonly outputs: JobEdge[] = [];
  /** Position in the job's topological order, from 1 (for plans). */
  readonly index: number;

  constructor(
    index: number,
    name: string,
    chainedNodes: readonly StreamNode[],
    chainedEdges: readonly StreamEdge[],
  ) {
    this.index = index;
    this.name = name;
    this.headNode = chainedNodes[0]!;
    this.id = this.headNode.operatorId;
    this.chainedNodes = chainedNodes;
    this.chainedEdges = chainedEdges;
  }

  /** Parallel subtasks (all operators of a chain share it). */
  get parallelism(): number {
    return this.headNode.parallelism;
  }

  /** Number of key groups of the head. */
  get maxParallelism(): number {
    return this.headNode.maxParallelism;
  }

  /** Slot sharing group (all operators of a chain share it). */
  get slotSharingGroup(): string {
    return this.headNode.slotSharingGroup;
  }

  /** Whether the chain starts with a source. */
  isSource(): boolean {
    return this.headNode.kind === 'source';
  }

  toString(): string {
    return `"${this.name}" (vertex ${this.index})`;
  }
}
