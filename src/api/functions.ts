/**
 * User-function types of the DataStream API, named as Flink's
 * (`org.apache.flink.api.common.functions`), and the helpers that turn the plain-function
 * shorthand into the object form the operators call.
 *
 * Every function may be given two ways:
 *
 * ```
 *   stream.map((v) => v * 2)                       plain function (no lifecycle)
 *   stream.map({ open(ctx) {...}, map(v) {...} })  object form: Flink's RichFunction,
 *                                                  open(ctx) before the first record,
 *                                                  close() after the last
 * ```
 *
 * Object reuse: records are handed from one chained operator to the next by reference.
 * A function must not mutate a record it received or emitted (Flink's object-reuse rules).
 */

import type {
  AggregatingState,
  ListState,
  MapState,
  ReducingState,
  ValueState,
} from '../runtime/state/keyed-state.ts';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../runtime/state/state-descriptor.ts';
import type { OutputTag } from './output-tag.ts';

/** Collects records emitted by a function (Flink's `Collector`). */
export interface Collector<T> {
  /** Emits one record downstream; synchronous, may be called any number of times. */
  collect(record: T): void;
}

/**
 * What a function sees about the subtask it runs in (Flink's `RuntimeContext` /
 * `TaskInfo`). One object per operator instance, built once, before `open`.
 */
export interface RuntimeContext {
  /** Id of the job (32 hex characters). */
  readonly jobId: string;
  /** Name of the task: the chained operator names of the vertex (`Source: x -> Map`). */
  readonly taskName: string;
  /** `taskName (i+1/p)`, as Flink prints it in logs. */
  readonly taskNameWithSubtasks: string;
  /** Name of this operator (`Map`, `Keyed Reduce`, ...). */
  readonly operatorName: string;
  /** Index of this parallel subtask, `0 ≤ subtaskIndex < parallelism`. */
  readonly subtaskIndex: number;
  /** Number of parallel subtasks of this operator. */
  readonly parallelism: number;
  /** Number of key groups (`pipeline.max-parallelism`). */
  readonly maxParallelism: number;
  /** Restart attempt, 0 for the first run. */
  readonly attemptNumber: number;
}

/** Optional lifecycle of any function given in object form (Flink's `RichFunction`). */
export interface RichFunction {
  /** Called once per subtask before the first record; may be async (awaited). */
  open?(context: RuntimeContext): void | Promise<void>;
  /** Called once per subtask after the last record (or on failure); may be async. */
  close?(): void | Promise<void>;
}

/** Transforms one record into one record (Flink's `MapFunction`). */
export interface MapFunction<T, R> extends RichFunction {
  map(value: T): R;
}

/** Keeps the records for which it returns `true` (Flink's `FilterFunction`). */
export interface FilterFunction<T> extends RichFunction {
  filter(value: T): boolean;
}

/** Emits zero or more records per record (Flink's `FlatMapFunction`). */
export interface FlatMapFunction<T, R> extends RichFunction {
  flatMap(value: T, out: Collector<R>): void;
}

/** Combines two records of the same key into one (Flink's `ReduceFunction`). */
export interface ReduceFunction<T> extends RichFunction {
  reduce(value1: T, value2: T): T;
}

/** Extracts the key of a record (Flink's `KeySelector`); must be deterministic. */
export interface KeySelector<T, K> {
  getKey(value: T): K;
}

/** Per-record context of a {@link ProcessFunction} (Flink's `ProcessFunction.Context`). */
export interface ProcessFunctionContext {
  /** Timestamp of the current record (ms), or `undefined` when it has none. */
  timestamp(): number | undefined;
  /** Time queries, and timers on a keyed stream. */
  timerService(): TimerService;
  /**
   * Emits `value` to the side output `tag` (read it with `getSideOutput(tag)`), with the
   * current record's timestamp. A tag nobody reads drops the value.
   */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * Time queries and timers of a process function (Flink's `TimerService`). Timers exist
 * only on a keyed stream (`keyBy(...).process(fn)`): they are scoped to the current key,
 * deduplicated per (key, timestamp), and fire `onTimer` in timestamp order. On a
 * non-keyed stream the register and delete calls throw `SLUICE_ERR_API_INVALID_USE`.
 */
export interface TimerService {
  /** Wall-clock time in ms. */
  currentProcessingTime(): number;
  /** Current event-time watermark of the operator (ms). */
  currentWatermark(): number;
  /** Fires `onTimer(time)` for the current key once the watermark reaches `time` (ms). */
  registerEventTimeTimer(time: number): void;
  /** Fires `onTimer(time)` for the current key once the wall clock reaches `time` (ms). */
  registerProcessingTimeTimer(time: number): void;
  /** Deletes the current key's event-time timer at `time`, if any. */
  deleteEventTimeTimer(time: number): void;
  /** Deletes the current key's processing-time timer at `time`, if any. */
  deleteProcessingTimeTimer(time: number): void;
}

/** Which clock fired a timer (Flink's `TimeDomain`). */
export type TimeDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

/**
 * Creates and reads keyed state scoped to the current key (Flink's `KeyedStateStore`).
 * Call it in `open` and keep the handles; the same descriptor name returns the same state.
 */
export interface KeyedStateStore {
  getState<V>(descriptor: ValueStateDescriptor<V>): ValueState<V>;
  getListState<V>(descriptor: ListStateDescriptor<V>): ListState<V>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<V>(descriptor: ReducingStateDescriptor<V>): ReducingState<V>;
  getAggregatingState<IN, ACC, OUT>(
    descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
  ): AggregatingState<IN, OUT>;
}

/** The {@link RuntimeContext} of a keyed operator's function: with keyed state. */
export interface KeyedRuntimeContext extends RuntimeContext, KeyedStateStore {}

/** Context of {@link KeyedProcessFunction.processElement} (Flink's `KeyedProcessFunction.Context`). */
export interface KeyedProcessFunctionContext<K> extends ProcessFunctionContext {
  /** Key of the current record (or of the firing timer). */
  getCurrentKey(): K;
}

/** Context of {@link KeyedProcessFunction.onTimer} (Flink's `OnTimerContext`). */
export interface OnTimerContext<K> extends KeyedProcessFunctionContext<K> {
  /** Which clock fired the timer. */
  timeDomain(): TimeDomain;
}

/**
 * Per-record function on a keyed stream with keyed state and timers (Flink's
 * `KeyedProcessFunction`). `open(ctx)` receives a {@link KeyedRuntimeContext}: create
 * the state handles there. `onTimer` runs with the timer's key as the current key, so
 * state handles read that key's state.
 */
export interface KeyedProcessFunction<K, I, O> extends RichFunction {
  open?(context: KeyedRuntimeContext): void | Promise<void>;
  processElement(value: I, ctx: KeyedProcessFunctionContext<K>, out: Collector<O>): void;
  /** Called once per fired timer, in timestamp order per clock (ms). */
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
}

/**
 * Incremental aggregation with an accumulator (Flink's `AggregateFunction`): windows
 * keep one accumulator per key and window instead of the records. `merge` combines the
 * accumulators of merged session windows.
 */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  /** Adds a value; may update `accumulator` in place and return it, or return a new one. */
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

/** Low-level per-record function (Flink's `ProcessFunction`). */
export interface ProcessFunction<I, O> extends RichFunction {
  processElement(value: I, ctx: ProcessFunctionContext, out: Collector<O>): void;
}

/**
 * Keys a stream may be partitioned by (`src/types`' `Key`): a number, string, bigint
 * (int64), boolean, byte string (`Uint8Array`), or an array of keys (a composite key,
 * like Flink's `Tuple` keys). Keys are hashed with `src/types`' `hashKey` (murmur3 of
 * the key's serialized bytes, the same on every worker) and placed in key groups with
 * Flink's key-group assignment.
 */
export type { Key } from '../types/key-serializer.ts';

/** Plain-function or object form of a map function. */
export type MapFunctionLike<T, R> = MapFunction<T, R> | ((value: T) => R);
/** Plain-function or object form of a filter function. */
export type FilterFunctionLike<T> = FilterFunction<T> | ((value: T) => boolean);
/** Plain-function or object form of a flat-map function. */
export type FlatMapFunctionLike<T, R> =
  | FlatMapFunction<T, R>
  | ((value: T, out: Collector<R>) => void);
/** Plain-function or object form of a reduce function. */
export type ReduceFunctionLike<T> = ReduceFunction<T> | ((value1: T, value2: T) => T);
/** Plain-function or object form of a key selector. */
export type KeySelectorLike<T, K> = KeySelector<T, K> | ((value: T) => K);
/** Plain-function or object form of a process function. */
export type ProcessFunctionLike<I, O> =
  | ProcessFunction<I, O>
  | ((value: I, ctx: ProcessFunctionContext, out: Collector<O>) => void);
/** Plain-function or object form of a keyed process function. */
export type KeyedProcessFunctionLike<K, I, O> =
  | KeyedProcessFunction<K, I, O>
  | ((value: I, ctx: KeyedProcessFunctionContext<K>, out: Collector<O>) => void);

/**
 * Names of the fields of `T` whose values are numbers: object property names, or the
 * numeric positions of a tuple (`[string, number]` → `1`). Used by the rolling
 * aggregations `sum`, `min`, `max`, `minBy`, `maxBy`.
 */
export type NumericField<T> = T extends readonly unknown[]
  ? {
      [P in Exclude<keyof T, keyof unknown[]>]: T[P] extends number
        ? P extends `${infer N extends number}`
          ? N
          : never
        : never;
    }[Exclude<keyof T, keyof unknown[]>]
  : { [P in keyof T]-?: T[P] extends number ? P : never }[keyof T] & string;

/** Wraps a plain function as a {@link MapFunction}; objects are returned as they are. */
export function toMapFunction<T, R>(fn: MapFunctionLike<T, R>): MapFunction<T, R> {
  return typeof fn === 'function' ? { map: fn } : fn;
}

/** Wraps a plain function as a {@link FilterFunction}. */
export function toFilterFunction<T>(fn: FilterFunctionLike<T>): FilterFunction<T> {
  return typeof fn === 'function' ? { filter: fn } : fn;
}

/** Wraps a plain function as a {@link FlatMapFunction}. */
export function toFlatMapFunction<T, R>(fn: FlatMapFunctionLike<T, R>): FlatMapFunction<T, R> {
  return typeof fn === 'function' ? { flatMap: fn } : fn;
}

/** Wraps a plain function as a {@link ReduceFunction}. */
export function toReduceFunction<T>(fn: ReduceFunctionLike<T>): ReduceFunction<T> {
  return typeof fn === 'function' ? { reduce: fn } : fn;
}

/** Wraps a plain function as a {@link KeySelector}. */
export function toKeySelector<T, K>(fn: KeySelectorLike<T, K>): KeySelector<T, K> {
  return typeof fn === 'function' ? { getKey: fn } : fn;
}

/** Wraps a plain function as a {@link ProcessFunction}. */
export function toProcessFunction<I, O>(fn: ProcessFunctionLike<I, O>): ProcessFunction<I, O> {
  return typeof fn === 'function' ? { processElement: fn } : fn;
}

/** Wraps a plain function as a {@link KeyedProcessFunction}. */
export function toKeyedProcessFunction<K, I, O>(
  fn: KeyedProcessFunctionLike<K, I, O>,
): KeyedProcessFunction<K, I, O> {
  return typeof fn === 'function' ? { processElement: fn } : fn;
}
