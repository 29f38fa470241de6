/**
 * The stream classes of the DataStream API, with Flink's names and typed end to end:
 * `DataStream<T>`, `SingleOutputStreamOperator<T>` (a stream made by an operator: it
 * can be named, given a uid, a parallelism, ...), `DataStreamSource<T>` and
 * `KeyedStream<T, K>`.
 *
 * ```
 *   env.fromElements('a b', 'b')          DataStreamSource<string>
 *     .flatMap((line, out) => ...)        SingleOutputStreamOperator<[string, number]>
 *     .keyBy(([word]) => word)            KeyedStream<[string, number], string>
 *     .sum(1)                             SingleOutputStreamOperator<[string, number]>
 *     .print()                            DataStreamSink<[string, number]>
 * ```
 *
 * Each call records a transformation in the environment; nothing runs until the job is
 * executed. The four classes share one module because they refer to each other both
 * ways (`keyBy` makes a `KeyedStream`, which is a `DataStream`): split into files, the
 * import cycle would break class extension at load time.
 *
 * @remarks Built on the thread that declares the job (the main thread and every worker).
 */

import { PrintSink } from '../connectors/print/print-sink.ts';
import {
  BroadcastPartitioner,
  ForwardPartitioner,
  KeyGroupStreamPartitioner,
  RebalancePartitioner,
  type StreamPartitioner,
} from '../graph/stream-partitioner.ts';
import { ProcessOperator } from '../runtime/operators/process-operator.ts';
import { StreamFilter } from '../runtime/operators/stream-filter.ts';
import { StreamFlatMap } from '../runtime/operators/stream-flat-map.ts';
import { StreamGroupedReduce } from '../runtime/operators/stream-grouped-reduce.ts';
import { StreamMap } from '../runtime/operators/stream-map.ts';
import {
  ChainingStrategy,
  type OneInputStreamOperator,
} from '../runtime/operators/stream-operator.ts';
import { KeyedProcessOperator } from '../runtime/operators/timers/keyed-process-operator.ts';
import { TimestampsAndWatermarksOperator } from '../runtime/watermark/timestamps-and-watermarks-operator.ts';
import { TypeInformation } from '../types/type-information.ts';
import type { TypeSerializer } from '../types/type-serializer.ts';
import { type AggregationKind, createAggregator } from './aggregation-functions.ts';
import type { Sink } from './connector/sink.ts';
import { applySetting, DataStreamSink } from './data-stream-sink.ts';
import {
  type FilterFunctionLike,
  type FlatMapFunctionLike,
  type Key,
  type KeyedProcessFunctionLike,
  type KeySelector,
  type KeySelectorLike,
  type MapFunctionLike,
  type NumericField,
  type ProcessFunctionLike,
  type ReduceFunction,
  type ReduceFunctionLike,
  toFilterFunction,
  toFlatMapFunction,
  toKeyedProcessFunction,
  toKeySelector,
  toMapFunction,
  toProcessFunction,
  toReduceFunction,
} from './functions.ts';
import { InvalidApiUseError } from './invalid-api-use-error.ts';
import type { OutputTag } from './output-tag.ts';
import type { StreamExecutionEnvironment } from './stream-execution-environment.ts';
import {
  OneInputTransformation,
  PartitionTransformation,
  SideOutputTransformation,
  SinkTransformation,
  type Transformation,
  UnionTransformation,
} from './transformation.ts';
import type { WatermarkStrategy } from './watermark-strategy.ts';
import type { Window } from './windowing/time-window.ts';
import type { WindowAssigner } from './windowing/window-assigner.ts';
import { WindowedStream } from './windowing/windowed-stream.ts';

/**
 * A stream of records of type `T` (Flink's `DataStream`).
 *
 * @remarks Built on the thread that declares the job.
 */
export class DataStream<T> {
  protected readonly environment: StreamExecutionEnvironment;
  /** What this stream is the output of. */
  readonly transformation: Transformation<T>;

  /**
   * @param environment - the environment that records the job
   * @param transformation - the transformation whose output this stream is
   */
  constructor(environment: StreamExecutionEnvironment, transformation: Transformation<T>) {
    this.environment = environment;
    this.transformation = transformation;
  }

  /** The environment this stream belongs to. */
  getExecutionEnvironment(): StreamExecutionEnvironment {
    return this.environment;
  }

  /** Id of the underlying transformation (declaration order). */
  getId(): number {
    return this.transformation.id;
  }

  /** Transforms each record into one record (operator `Map`). */
  map<R>(mapper: MapFunctionLike<T, R>): SingleOutputStreamOperator<R> {
    const fn = toMapFunction(mapper);
    return this.transform('Map', 'StreamMap', (name) => new StreamMap<T, R>(name, fn));
  }

  /** Keeps the records for which `filter` returns `true` (operator `Filter`). */
  filter(filter: FilterFunctionLike<T>): SingleOutputStreamOperator<T> {
    const fn = toFilterFunction(filter);
    return this.sameType(
      this.transform('Filter', 'StreamFilter', (name) => new StreamFilter<T>(name, fn)),
    );
  }

  /** Emits zero or more records per record through a collector (operator `Flat Map`). */
  flatMap<R>(flatMapper: FlatMapFunctionLike<T, R>): SingleOutputStreamOperator<R> {
    const fn = toFlatMapFunction(flatMapper);
    return this.transform('Flat Map', 'StreamFlatMap', (name) => new StreamFlatMap<T, R>(name, fn));
  }

  /** Runs a low-level process function per record (operator `Process`). */
  process<R>(processFunction: ProcessFunctionLike<T, R>): SingleOutputStreamOperator<R> {
    const fn = toProcessFunction(processFunction);
    return this.transform(
      'Process',
      'ProcessOperator',
      (name) => new ProcessOperator<T, R>(name, fn),
    );
  }

  /**
   * Sets event timestamps and generates watermarks from here on (Flink's
   * `assignTimestampsAndWatermarks`, operator `Timestamps/Watermarks`): upstream
   * watermarks are replaced by the strategy's, emitted every
   * `pipeline.auto-watermark-interval`.
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): SingleOutputStreamOperator<T> {
    const env = this.environment;
    return this.sameType(
      this.transform(
        'Timestamps/Watermarks',
        'TimestampsAndWatermarksOperator',
        (name) =>
          new TimestampsAndWatermarksOperator<T>(name, strategy, env.getAutoWatermarkInterval()),
      ),
    );
  }

  /**
   * Adds a custom one-input operator (Flink's `DataStream.transform`).
   *
   * @param operatorName - name of the operator
   * @param operatorClass - class name shown in plans
   * @param factory - creates one operator per subtask, given its final name
   */
  transform<R>(
    operatorName: string,
    operatorClass: string,
    factory: (operatorName: string) => OneInputStreamOperator<T, R>,
  ): SingleOutputStreamOperator<R> {
    return this.addOneInput(operatorName, operatorClass, factory, undefined);
  }

  /**
   * Partitions the stream by key: records with the same key go to the same subtask
   * (key groups, Flink's `keyBy`). The selector must be deterministic.
   *
   * @param keySelector - the key of a record: a string, number, bigint, boolean or a flat array of those
   */
  keyBy<K extends Key>(keySelector: KeySelectorLike<T, K>): KeyedStream<T, K> {
    const selector = toKeySelector(keySelector);
    const partitioner = new KeyGroupStreamPartitioner<T, K>(selector);
    return new KeyedStream<T, K>(this.environment, this.partitioned(partitioner), selector);
  }

  /** Round-robin over the downstream subtasks (Flink's `rebalance`). */
  rebalance(): DataStream<T> {
    return new DataStream(this.environment, this.partitioned(new RebalancePartitioner<T>()));
  }

  /** Every record to every downstream subtask (Flink's `broadcast`). */
  broadcast(): DataStream<T> {
    return new DataStream(this.environment, this.partitioned(new BroadcastPartitioner<T>()));
  }

  /**
   * Subtask i to subtask i (Flink's `forward`); the consumer must have the same
   * parallelism, else planning fails with `SLUICE_ERR_GRAPH_FORWARD_PARALLELISM`.
   */
  forward(): DataStream<T> {
    return new DataStream(this.environment, this.partitioned(new ForwardPartitioner<T>()));
  }

  /**
   * Merges streams of the same type (Flink's `union`); the consumer reads all of them.
   *
   * @throws SLUICE_ERR_API_INVALID_USE when a stream belongs to another environment
   */
  union(...streams: DataStream<T>[]): DataStream<T> {
    for (const stream of streams) {
      if (stream.transformation.environmentToken !== this.transformation.environmentToken) {
        throw new InvalidApiUseError(
          `union(): stream "${stream.transformation.name}" belongs to another StreamExecutionEnvironment; ` +
            'build every stream of a job from the same environment',
        );
      }
    }
    const env = this.environment;
    const union = new UnionTransformation<T>(env.nextVirtualId(), env.token, [
      this.transformation,
      ...streams.map((s) => s.transformation),
    ]);
    env.registerTransformation(union);
    return new DataStream(env, union);
  }

  /** Writes the stream to a sink (Flink's `sinkTo`); the node is named `Sink: Writer`. */
  sinkTo(sink: Sink<T>): DataStreamSink<T> {
    const env = this.environment;
    const t = new SinkTransformation<T>(
      env.nextId(),
      env.token,
      'Sink: Writer',
      this.transformation,
      sink,
    );
    env.addOperator(t);
    return new DataStreamSink(t);
  }

  /**
   * Prints each record to standard output (`Sink: Print to Std. Out`), prefixed with
   * `<subtask number>> ` when the sink is parallel, as Flink does.
   *
   * @param sinkIdentifier - printed before the subtask number (`id:2> ...`)
   */
  print(sinkIdentifier?: string): DataStreamSink<T> {
    return this.sinkTo(new PrintSink<T>(sinkIdentifier ?? '')).name('Print to Std. Out');
  }

  /** Like {@link print}, to standard error (`Sink: Print to Std. Err`). */
  printToErr(sinkIdentifier?: string): DataStreamSink<T> {
    const sink = new PrintSink<T>({ sinkIdentifier: sinkIdentifier ?? '', stdErr: true });
    return this.sinkTo(sink).name('Print to Std. Err');
  }

  /**
   * Runs the job in this thread with a collect sink on this stream and returns the
   * stream's records (Flink's `executeAndCollect`). For tests and small, bounded results.
   *
   * @param jobName - job name (default: the environment's)
   * @returns the records, in the order their batches arrived
   * @throws SLUICE_ERR_GRAPH_* when the job is invalid; SLUICE_ERR_OPERATOR_FUNCTION_FAILED when user code throws
   */
  executeAndCollect(jobName?: string): Promise<T[]> {
    return this.environment.executeAndCollect(this, jobName);
  }

  /** Gives `stream` this stream's record type unless it declares one (type-preserving operations). */
  protected sameType<S extends DataStream<T>>(stream: S): S {
    stream.transformation.typeSource = this.transformation;
    return stream;
  }

  /** A stream that adds a partitioner to the edges out of this one. */
  protected partitioned(partitioner: StreamPartitioner<T>): PartitionTransformation<T> {
    const env = this.environment;
    const t = new PartitionTransformation<T>(
      env.nextVirtualId(),
      env.token,
      this.transformation,
      partitioner,
    );
    env.registerTransformation(t);
    return t;
  }

  protected addOneInput<R>(
    operatorName: string,
    operatorClass: string,
    factory: (operatorName: string) => OneInputStreamOperator<T, R>,
    stateKeySelector: KeySelector<T, Key> | undefined,
  ): SingleOutputStreamOperator<R> {
    const env = this.environment;
    const t = new OneInputTransformation<T, R>(
      env.nextId(),
      env.token,
      operatorName,
      this.transformation,
      operatorClass,
      factory,
      stateKeySelector,
    );
    env.addOperator(t);
    return new SingleOutputStreamOperator<R>(env, t);
  }
}

/**
 * A stream produced by one operator, whose settings can be changed (Flink's
 * `SingleOutputStreamOperator`). Setters return `this` for chaining calls.
 */
export class SingleOutputStreamOperator<T> extends DataStream<T> {
  /** Prefix of the node name (`Source: ` for sources). */
  protected readonly namePrefix: string = '';

  /** Sets the operator's name. */
  name(name: string): this {
    applySetting(this.transformation, { name, prefix: this.namePrefix });
    return this;
  }

  /** The operator's name. */
  getName(): string {
    return this.transformation.name;
  }

  /**
   * Declares the type of this operator's records (Flink's `returns(TypeInformation)`):
   * the exchanges out of it (and out of type-preserving operations after it: filter,
   * keyBy, rolling aggregations) then use its binary serializer instead of JSON —
   * fixed-size tuples and rows are written straight into network segments and read in
   * place. Undeclared streams cross exchanges as JSON.
   *
   * @example
   * ```ts
   * stream.map((e) => [e.key, e.value * 3, e.ts]).returns(Types.TUPLE(Types.INT32, Types.FLOAT64, Types.INT64))
   * ```
   *
   * @param type - a {@link TypeInformation} (see `Types`) or a `TypeSerializer`
   * @throws SLUICE_ERR_TYPES_INVALID_SCHEMA when the serializer cannot be described
   * @throws SLUICE_ERR_API_INVALID_USE when `type` is neither
   */
  returns(type: TypeInformation<T> | TypeSerializer<T>): this {
    if (type instanceof TypeInformation) {
      this.transformation.declaredType = type;
    } else if (
      typeof (type as Partial<TypeSerializer<T>> | null)?.snapshotConfiguration === 'function'
    ) {
      this.transformation.declaredType = TypeInformation.of(type);
    } else {
      throw new InvalidApiUseError(
        `returns(): give a TypeInformation (Types.TUPLE(...), Types.ROW_NAMED(...), ...) or a TypeSerializer, got ${typeof type}`,
      );
    }
    return this;
  }

  /** The declared record type, if any (own or inherited). */
  getType(): TypeInformation<T> | undefined {
    return this.transformation.getOutputType();
  }

  /** Sets a stable id, the basis of the operator id (keep it when the job changes). */
  uid(uid: string): this {
    applySetting(this.transformation, { uid });
    return this;
  }

  /** Sets a longer description for plans. */
  setDescription(description: string): this {
    applySetting(this.transformation, { description });
    return this;
  }

  /** Sets the number of parallel subtasks. @throws SLUICE_ERR_API_INVALID_USE unless a positive integer */
  setParallelism(parallelism: number): this {
    applySetting(this.transformation, { parallelism });
    return this;
  }

  /** The parallelism: the one set, or the environment's default. */
  getParallelism(): number {
    return this.transformation.parallelism ?? this.environment.getParallelism();
  }

  /** Sets the number of key groups of this operator. @throws SLUICE_ERR_API_INVALID_USE unless a positive integer */
  setMaxParallelism(maxParallelism: number): this {
    applySetting(this.transformation, { maxParallelism });
    return this;
  }

  /**
   * Sets the slot sharing group. Operators of different groups never share a slot and
   * are never chained; unset, an operator inherits its inputs' group.
   */
  slotSharingGroup(group: string): this {
    applySetting(this.transformation, { slotSharingGroup: group });
    return this;
  }

  /** Never chain this operator, neither to its input nor to its consumers. */
  disableChaining(): this {
    applySetting(this.transformation, { chainingStrategy: ChainingStrategy.NEVER });
    return this;
  }

  /** Start a new chain at this operator (its consumers may still chain to it). */
  startNewChain(): this {
    applySetting(this.transformation, { chainingStrategy: ChainingStrategy.HEAD });
    return this;
  }

  /**
   * The records this operator emitted to the side output `tag` (Flink's
   * `getSideOutput`): `ctx.output(tag, v)` in process functions, late records of
   * `sideOutputLateData(tag)` in windows.
   */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    const env = this.environment;
    const t = new SideOutputTransformation<X>(
      env.nextVirtualId(),
      env.token,
      this.transformation as Transformation<unknown>,
      tag.id,
    );
    env.registerTransformation(t);
    return new DataStream<X>(env, t);
  }
}

/** A stream read from a source (Flink's `DataStreamSource`); named `Source: <name>`. */
export class DataStreamSource<T> extends SingleOutputStreamOperator<T> {
  protected override readonly namePrefix: string = 'Source: ';
}

/**
 * A stream partitioned by key (Flink's `KeyedStream`): the rolling aggregations keep
 * one aggregate per key and emit the updated aggregate for every record.
 */
export class KeyedStream<T, K extends Key> extends DataStream<T> {
  private readonly keySelector: KeySelector<T, K>;

  /**
   * @param environment - the environment
   * @param transformation - the keyBy partitioning
   * @param keySelector - the key selector of the keyBy
   */
  constructor(
    environment: StreamExecutionEnvironment,
    transformation: PartitionTransformation<T>,
    keySelector: KeySelector<T, K>,
  ) {
    super(environment, transformation);
    this.keySelector = keySelector;
  }

  /** The key selector of the keyBy. */
  getKeySelector(): KeySelector<T, K> {
    return this.keySelector;
  }

  /**
   * Runs a keyed process function with keyed state and timers (Flink's
   * `KeyedStream.process`, operator `KeyedProcess`).
   */
  override process<R>(
    processFunction: KeyedProcessFunctionLike<K, T, R>,
  ): SingleOutputStreamOperator<R> {
    const fn = toKeyedProcessFunction(processFunction);
    const selector = this.keySelector;
    return this.transformKeyed(
      'KeyedProcess',
      'KeyedProcessOperator',
      (name) => new KeyedProcessOperator<K, T, R>(name, fn, selector),
    );
  }

  /**
   * Groups the keyed stream into windows (Flink's `window`); finish with `reduce`,
   * `aggregate` or `process` on the {@link WindowedStream}.
   */
  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this, assigner);
  }

  /**
   * Adds a keyed one-input operator: its state is scoped to this stream's key (used by
   * windows; Flink's `transform` on a keyed stream).
   */
  transformKeyed<R>(
    operatorName: string,
    operatorClass: string,
    factory: (operatorName: string) => OneInputStreamOperator<T, R>,
  ): SingleOutputStreamOperator<R> {
    return this.addOneInput(
      operatorName,
      operatorClass,
      factory,
      this.keySelector as KeySelector<T, Key>,
    );
  }

  /** Rolling reduce per key (operator `Keyed Reduce`). */
  reduce(reducer: ReduceFunctionLike<T>): SingleOutputStreamOperator<T> {
    return this.keyedReduce('Keyed Reduce', toReduceFunction(reducer));
  }

  /** Rolling sum of a numeric field (a property name, or a tuple position). */
  sum(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate('sum', field);
  }

  /** Rolling minimum of a field; the other fields are the key's first record's. */
  min(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate('min', field);
  }

  /** Rolling maximum of a field; the other fields are the key's first record's. */
  max(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate('max', field);
  }

  /** The record with the smallest value of a field so far (the earlier on ties). */
  minBy(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate('minBy', field);
  }

  /** The record with the largest value of a field so far (the earlier on ties). */
  maxBy(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate('maxBy', field);
  }

  private aggregate(kind: AggregationKind, field: PropertyKey): SingleOutputStreamOperator<T> {
    return this.keyedReduce('Keyed Aggregation', createAggregator<T>(kind, field));
  }

  private keyedReduce(name: string, fn: ReduceFunction<T>): SingleOutputStreamOperator<T> {
    const selector = this.keySelector;
    return this.sameType(
      this.addOneInput(
        name,
        'StreamGroupedReduce',
        (operatorName) => new StreamGroupedReduce<T, K>(operatorName, fn, selector),
        selector as KeySelector<T, Key>,
      ),
    );
  }
}
