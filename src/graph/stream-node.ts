import type { Sink } from '../api/connector/sink.ts';
import type { Source } from '../api/connector/source.ts';
import type { Key, KeySelector } from '../api/functions.ts';
import type { ChainingStrategy, StreamOperator } from '../runtime/operators/stream-operator.ts';
import type { StreamEdge } from './stream-edge.ts';

/** Role of a node: sources have no input, sinks no output. */
export type StreamNodeKind = 'source' | 'operator' | 'sink';

/** Everything needed to add a node to a {@link StreamGraph}. */
export interface StreamNodeSpec {
  /** Stable id: the declaration order of the operator in the job (1, 2, ...). */
  readonly id: number;
  readonly kind: StreamNodeKind;
  /** Display name (`Source: lines`, `Flat Map`, `Sink: Print to Std. Out`). */
  readonly name: string;
  /** User-given stable id (Flink's `uid`), the basis of the operator id when set. */
  readonly uid?: string | undefined;
  /** Longer description for plans; defaults to the name. */
  readonly description?: string | undefined;
  /** Parallel subtasks (1..maxParallelism). */
  readonly parallelism: number;
  /** Number of key groups (1..32768). */
  readonly maxParallelism: number;
  /** Slot sharing group; `'default'` unless set. */
  readonly slotSharingGroup: string;
  readonly chainingStrategy: ChainingStrategy;
  /** Class of the runtime operator (`StreamMap`), for plans. */
  readonly operatorClass: string;
  /** Creates one operator instance per subtask. */
  readonly operatorFactory: () => StreamOperator<unknown>;
  /** Key selector of a keyed operator (the `keyBy` before it); absent otherwise. */
  readonly stateKeySelector?: KeySelector<unknown, Key> | undefined;
  /** The declared source (source nodes). */
  readonly source?: Source<unknown> | undefined;
  /** The declared sink (sink nodes): its main-thread instance receives operator events. */
  readonly sink?: Sink<unknown> | undefined;
}

/**
 * One operator of the logical graph (Flink's `StreamNode`): what it runs, how parallel,
 * in which slot sharing group, and how it may be chained.
 *
 * @remarks Built on the main thread and on every worker alike, from the job module;
 * read-only once the graph is validated.
 */
export class StreamNode {
  readonly id: number;
  readonly kind: StreamNodeKind;
  readonly name: string;
  readonly uid: string | undefined;
  readonly description: string;
  parallelism: number;
  maxParallelism: number;
  slotSharingGroup: string;
  chainingStrategy: ChainingStrategy;
  readonly operatorClass: string;
  readonly operatorFactory: () => StreamOperator<unknown>;
  readonly stateKeySelector: KeySelector<unknown, Key> | undefined;
  readonly source: Source<unknown> | undefined;
  readonly sink: Sink<unknown> | undefined;
  /** Stable 32-hex operator id (Flink's `OperatorID`), set by the graph hasher. */
  operatorId = '';
  /** Incoming edges, in the order they were added. */
  readonly inEdges: StreamEdge[] = [];
  /** Outgoing edges, in the order they were added. */
  readonly outEdges: StreamEdge[] = [];

  constructor(spec: StreamNodeSpec) {
    this.id = spec.id;
    this.kind = spec.kind;
    this.name = spec.name;
    this.uid = spec.uid;
    this.description = spec.description ?? spec.name;
    this.parallelism = spec.parallelism;
    this.maxParallelism = spec.maxParallelism;
    this.slotSharingGroup = spec.slotSharingGroup;
    this.chainingStrategy = spec.chainingStrategy;
    this.operatorClass = spec.operatorClass;
    this.operatorFactory = spec.operatorFactory;
    this.stateKeySelector = spec.stateKeySelector;
    this.source = spec.source;
    this.sink = spec.sink;
  }

  /** Whether the operator keeps keyed state (its inputs must be keyed). */
  isKeyed(): boolean {
    return this.stateKeySelector !== undefined;
  }

  toString(): string {
    return `"${this.name}" (id ${this.id})`;
  }
}
