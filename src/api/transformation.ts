/**
 * What the DataStream API records about each call (Flink's `Transformation` family):
 * the lazy description of a job, turned into a `StreamGraph` only when the job is
 * planned or run. Every `DataStream` wraps one transformation.
 *
 * ```
 *   physical (become StreamNodes):  SourceTransformation, OneInputTransformation, SinkTransformation
 *   virtual  (become edge settings): PartitionTransformation (keyBy, rebalance, broadcast, forward),
 *                                     UnionTransformation (several inputs to one consumer),
 *                                     SideOutputTransformation (a side output of an operator)
 * ```
 *
 * Ids of physical transformations are their declaration order in the environment
 * (1, 2, 3, ...), so every build of the same job module gives the same ids.
 *
 * @remarks Built on whichever thread builds the job; plain objects, never shared
 * between builds.
 */

import type { StreamPartitioner } from '../graph/stream-partitioner.ts';
import { ChainingStrategy, type StreamOperator } from '../runtime/operators/stream-operator.ts';
import type { TypeInformation } from '../types/type-information.ts';
import type { Sink } from './connector/sink.ts';
import type { Source } from './connector/source.ts';
import type { Key, KeySelector } from './functions.ts';
import type { WatermarkStrategy } from './watermark-strategy.ts';

/** Kind of a transformation. */
export type TransformationKind =
  | 'source'
  | 'oneInput'
  | 'sink'
  | 'partition'
  | 'union'
  | 'sideOutput';

/** Settings common to every transformation; physical ones use them all. */
export abstract class Transformation<T> {
  /** Declaration-order id (physical: 1, 2, ...; virtual: −1, −2, ...). */
  readonly id: number;
  /** Token of the environment that created it (streams of two environments never mix). */
  readonly environmentToken: object;
  abstract readonly kind: TransformationKind;
  /** Display name. */
  name: string;
  /** User-given stable id (Flink's `uid`). */
  uid: string | undefined;
  /** Longer description for plans. */
  description: string | undefined;
  /** Parallelism; `undefined` = the environment's default at build time. */
  parallelism: number | undefined;
  /** Max parallelism; `undefined` = the environment's. */
  maxParallelism: number | undefined;
  /** Slot sharing group; `undefined` = inherited from the inputs, else `'default'`. */
  slotSharingGroup: string | undefined;
  chainingStrategy: ChainingStrategy = ChainingStrategy.ALWAYS;
  /** Record type declared on this transformation (`returns(...)`, a source's type). */
  declaredType: TypeInformation<T> | undefined;
  /**
   * The transformation whose record type this one has when it declares none: the
   * input of type-preserving operations (filter, keyBy, rolling aggregations, ...).
   */
  typeSource: Transformation<T> | undefined;
  /** Phantom field tying the record type to the transformation; never set. */
  declare readonly __recordType?: T;

  protected constructor(id: number, environmentToken: object, name: string) {
    this.id = id;
    this.environmentToken = environmentToken;
    this.name = name;
  }

  /**
   * The record type: declared here, else that of {@link typeSource}; `undefined` when
   * none is known (records then cross exchanges as JSON).
   */
  getOutputType(): TypeInformation<T> | undefined {
    // A loop, not recursion: chains of filters can be long.
    for (let t: Transformation<T> | undefined = this; t !== undefined; t = t.typeSource) {
      if (t.declaredType !== undefined) return t.declaredType;
    }
    return undefined;
  }

  /** The transformations this one reads from. */
  abstract getInputs(): readonly Transformation<unknown>[];

  /** Whether it becomes a StreamNode (sources, operators, sinks). */
  isPhysical(): boolean {
    return this.kind === 'source' || this.kind === 'oneInput' || this.kind === 'sink';
  }
}

/** A source (Flink's `SourceTransformation`); heads a chain. */
export class SourceTransformation<T> extends Transformation<T> {
  readonly kind = 'source';
  readonly source: Source<T>;
  /** Timestamps and watermarks of the source's records. */
  readonly watermarkStrategy: WatermarkStrategy<T> | undefined;

  constructor(
    id: number,
    environmentToken: object,
    name: string,
    source: Source<T>,
    watermarkStrategy?: WatermarkStrategy<T>,
  ) {
    super(id, environmentToken, name);
    this.source = source;
    this.watermarkStrategy = watermarkStrategy;
    this.declaredType = source.getProducedType?.();
    this.chainingStrategy = ChainingStrategy.HEAD;
  }

  getInputs(): readonly Transformation<unknown>[] {
    return [];
  }
}

/** An operator with one input (Flink's `OneInputTransformation`). */
export class OneInputTransformation<I, O> extends Transformation<O> {
  readonly kind = 'oneInput';
  readonly input: Transformation<I>;
  /** Class of the runtime operator, for plans (`StreamMap`). */
  readonly operatorClass: string;
  /** Creates one operator instance per subtask, given the final operator name. */
  readonly operatorFactory: (operatorName: string) => StreamOperator<O>;
  /** Key selector of a keyed operator (the `keyBy` before it). */
  readonly stateKeySelector: KeySelector<I, Key> | undefined;

  constructor(
    id: number,
    environmentToken: object,
    name: string,
    input: Transformation<I>,
    operatorClass: string,
    operatorFactory: (operatorName: string) => StreamOperator<O>,
    stateKeySelector?: KeySelector<I, Key>,
  ) {
    super(id, environmentToken, name);
    this.input = input;
    this.operatorClass = operatorClass;
    this.operatorFactory = operatorFactory;
    this.stateKeySelector = stateKeySelector;
  }

  getInputs(): readonly Transformation<unknown>[] {
    return [this.input as Transformation<unknown>];
  }
}

/** A sink (Flink's `SinkTransformation`). */
export class SinkTransformation<T> extends Transformation<T> {
  readonly kind = 'sink';
  readonly input: Transformation<T>;
  readonly sink: Sink<T>;

  constructor(
    id: number,
    environmentToken: object,
    name: string,
    input: Transformation<T>,
    sink: Sink<T>,
  ) {
    super(id, environmentToken, name);
    this.input = input;
    this.sink = sink;
  }

  getInputs(): readonly Transformation<unknown>[] {
    return [this.input as Transformation<unknown>];
  }
}

/** A repartitioning (Flink's `PartitionTransformation`): sets the partitioner of the edges out of `input`. */
export class PartitionTransformation<T> extends Transformation<T> {
  readonly kind = 'partition';
  readonly input: Transformation<T>;
  readonly partitioner: StreamPartitioner<T>;

  constructor(
    id: number,
    environmentToken: object,
    input: Transformation<T>,
    partitioner: StreamPartitioner<T>,
  ) {
    super(id, environmentToken, `Partition (${partitioner.shipStrategy})`);
    this.input = input;
    this.partitioner = partitioner;
    this.typeSource = input;
  }

  getInputs(): readonly Transformation<unknown>[] {
    return [this.input as Transformation<unknown>];
  }
}

/** A union of streams of one type (Flink's `UnionTransformation`). */
export class UnionTransformation<T> extends Transformation<T> {
  readonly kind = 'union';
  readonly inputs: readonly Transformation<T>[];

  constructor(id: number, environmentToken: object, inputs: readonly Transformation<T>[]) {
    super(id, environmentToken, 'Union');
    this.inputs = inputs;
    this.typeSource = inputs[0];
  }

  getInputs(): readonly Transformation<unknown>[] {
    return this.inputs as readonly Transformation<unknown>[];
  }
}

/**
 * A side output of an operator (Flink's `SideOutputTransformation`): the edges out of it
 * carry the records the operator emitted with the tag `outputTag` instead of its main
 * output.
 */
export class SideOutputTransformation<T> extends Transformation<T> {
  readonly kind = 'sideOutput';
  readonly input: Transformation<unknown>;
  /** Id of the `OutputTag`. */
  readonly outputTag: string;

  constructor(
    id: number,
    environmentToken: object,
    input: Transformation<unknown>,
    outputTag: string,
  ) {
    super(id, environmentToken, `Side output (${outputTag})`);
    this.input = input;
    this.outputTag = outputTag;
  }

  getInputs(): readonly Transformation<unknown>[] {
    return [this.input];
  }
}
