/**
 * A keyed stream cut into windows (Flink's `WindowedStream`): configure lateness, late
 * data and the trigger, then turn every window into results with `reduce`, `aggregate`
 * or `process`.
 *
 * ```ts
 * const late = new OutputTag<Bid>('late bids');
 * const counts = bids
 *   .keyBy((bid) => bid.auction)
 *   .window(SlidingEventTimeWindows.of(10_000, 2_000))
 *   .allowedLateness(1_000)
 *   .sideOutputLateData(late)
 *   .aggregate(countAggregate, (auction, ctx, [count], out) =>
 *     out.collect({ auction, end: ctx.window().end, count }));
 * counts.getSideOutput(late).print();
 * ```
 *
 * Window contents live in keyed state in managed memory: `aggregate` keeps one
 * accumulator per key and window (serialized with the function's
 * `accumulatorSerializer`), `reduce` one value, `process` every record (both with the
 * serializer of {@link withStateSerializer}); `JsonSerializer` is the default for all.
 *
 * @remarks Built on the thread that declares the job.
 */

import {
  type InternalWindowFunction,
  IterableProcessWindowFunction,
  PassThroughWindowFunction,
  SingleValueProcessWindowFunction,
} from '../../runtime/operators/windowing/internal-window-function.ts';
import {
  WindowOperator,
  type WindowStateDescriptor,
} from '../../runtime/operators/windowing/window-operator.ts';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  ReducingStateDescriptor,
} from '../../runtime/state/state-descriptor.ts';
import { JsonSerializer } from '../../types/json-serializer.ts';
import type { TypeSerializer } from '../../types/type-serializer.ts';
import type { KeyedStream, SingleOutputStreamOperator } from '../data-stream.ts';
import {
  type AggregateFunction,
  type Key,
  type ReduceFunctionLike,
  type RichFunction,
  toReduceFunction,
} from '../functions.ts';
import { InvalidApiUseError } from '../invalid-api-use-error.ts';
import type { OutputTag } from '../output-tag.ts';
import type { Window } from './time-window.ts';
import type { Trigger } from './trigger.ts';
import { isMergingWindowAssigner, type WindowAssigner } from './window-assigner.ts';
import { type ProcessWindowFunctionLike, toProcessWindowFunction } from './window-functions.ts';

/** An {@link AggregateFunction} that may name the serializer of its accumulator (Sluice). */
export type WindowAggregateFunction<IN, ACC, OUT> = AggregateFunction<IN, ACC, OUT> & {
  /** How accumulators are stored in managed memory. @defaultValue `JsonSerializer` */
  readonly accumulatorSerializer?: TypeSerializer<ACC>;
};

/** A keyed stream with a window assigner; see the module documentation. */
export class WindowedStream<T, K extends Key, W extends Window> {
  private readonly input: KeyedStream<T, K>;
  private readonly assigner: WindowAssigner<T, W>;
  private windowTrigger: Trigger<T, W>;
  private allowedLatenessMs = 0;
  private lateDataTag: OutputTag<T> | undefined;
  private stateSerializer: TypeSerializer<T> = JsonSerializer.INSTANCE as TypeSerializer<T>;

  /**
   * @param input - the keyed stream
   * @param assigner - the window assigner
   */
  constructor(input: KeyedStream<T, K>, assigner: WindowAssigner<T, W>) {
    this.input = input;
    this.assigner = assigner;
    this.windowTrigger = assigner.getDefaultTrigger();
  }

  /**
   * Replaces the assigner's default trigger (Flink's `trigger`).
   *
   * @throws SLUICE_ERR_API_INVALID_USE when the windows merge and the trigger cannot
   */
  trigger(trigger: Trigger<T, W>): this {
    if (isMergingWindowAssigner(this.assigner) && !trigger.canMerge()) {
      throw new InvalidApiUseError(
        `trigger ${String(trigger)} cannot be used with merging windows (${String(this.assigner)}): it must support canMerge()`,
      );
    }
    this.windowTrigger = trigger;
    return this;
  }

  /**
   * Keeps windows for `ms` after the watermark passed their end (Flink's
   * `allowedLateness`): a record arriving then re-fires its window with the record
   * added; later records are late (dropped, or to the side output).
   *
   * @throws SLUICE_ERR_API_INVALID_USE unless a finite number ≥ 0, or for processing-time windows
   */
  allowedLateness(ms: number): this {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new InvalidApiUseError(`allowedLateness(${ms}): give a finite number of ms ≥ 0`);
    }
    if (ms > 0 && !this.assigner.isEventTime()) {
      throw new InvalidApiUseError(
        `allowedLateness(${ms}) applies to event-time windows only, not to ${String(this.assigner)}`,
      );
    }
    this.allowedLatenessMs = ms;
    return this;
  }

  /**
   * Sends records too late for any of their windows to the side output `tag` instead of
   * dropping them (Flink's `sideOutputLateData`); read it with `getSideOutput(tag)` on
   * the windowed result. Records sent there are not counted in `numLateRecordsDropped`.
   */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateDataTag = tag;
    return this;
  }

  /**
   * How the records the windows keep are stored in managed memory (`reduce`: the
   * reduced value; `process`: every record). Sluice-specific: Flink derives it from the
   * record type. @defaultValue `JsonSerializer`
   */
  withStateSerializer(serializer: TypeSerializer<T>): this {
    this.stateSerializer = serializer;
    return this;
  }

  /** Reduces each window's records to one (Flink's `reduce`), emitted when the window fires. */
  reduce(reducer: ReduceFunctionLike<T>): SingleOutputStreamOperator<T>;
  /** Reduces each window, then hands the value to a process window function. */
  reduce<R>(
    reducer: ReduceFunctionLike<T>,
    windowFunction: ProcessWindowFunctionLike<T, R, K, W>,
  ): SingleOutputStreamOperator<R>;
  reduce<R>(
    reducer: ReduceFunctionLike<T>,
    windowFunction?: ProcessWindowFunctionLike<T, R, K, W>,
  ): SingleOutputStreamOperator<T | R> {
    const fn = toReduceFunction(reducer);
    const descriptor = new ReducingStateDescriptor<T>('window-contents', fn, this.stateSerializer);
    const internal: InternalWindowFunction<T, T | R, K, W> =
      windowFunction === undefined
        ? new PassThroughWindowFunction<T, K, W>([fn])
        : new SingleValueProcessWindowFunction<T, R, K, W>(
            toProcessWindowFunction(windowFunction),
            [fn],
          );
    return this.build('Reduce', descriptor, internal);
  }

  /**
   * Aggregates each window incrementally (Flink's `aggregate`): one accumulator per key
   * and window; the result of `getResult` is emitted when the window fires.
   */
  aggregate<ACC, V>(aggregate: WindowAggregateFunction<T, ACC, V>): SingleOutputStreamOperator<V>;
  /** Aggregates each window, then hands the result to a process window function. */
  aggregate<ACC, V, R>(
    aggregate: WindowAggregateFunction<T, ACC, V>,
    windowFunction: ProcessWindowFunctionLike<V, R, K, W>,
  ): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(
    aggregate: WindowAggregateFunction<T, ACC, V>,
    windowFunction?: ProcessWindowFunctionLike<V, R, K, W>,
  ): SingleOutputStreamOperator<V | R> {
    const serializer =
      aggregate.accumulatorSerializer ?? (JsonSerializer.INSTANCE as TypeSerializer<ACC>);
    const descriptor = new AggregatingStateDescriptor<T, ACC, V>(
      'window-contents',
      aggregate,
      serializer,
    );
    const rich = [aggregate as RichFunction];
    const internal: InternalWindowFunction<V, V | R, K, W> =
      windowFunction === undefined
        ? new PassThroughWindowFunction<V, K, W>(rich)
        : new SingleValueProcessWindowFunction<V, R, K, W>(
            toProcessWindowFunction(windowFunction),
            rich,
          );
    return this.build('Aggregate', descriptor as WindowStateDescriptor<T>, internal);
  }

  /**
   * Hands each window's records to a process window function (Flink's `process`); the
   * window keeps every record (a list in managed memory) until it fires.
   */
  process<R>(windowFunction: ProcessWindowFunctionLike<T, R, K, W>): SingleOutputStreamOperator<R> {
    const descriptor = new ListStateDescriptor<T>('window-contents', this.stateSerializer);
    const internal = new IterableProcessWindowFunction<T, R, K, W>(
      toProcessWindowFunction(windowFunction),
    );
    return this.build('Process', descriptor, internal);
  }

  private build<C, OUT>(
    kind: string,
    stateDescriptor: WindowStateDescriptor<T>,
    windowFunction: InternalWindowFunction<C, OUT, K, W>,
  ): SingleOutputStreamOperator<OUT> {
    const spec = {
      assigner: this.assigner,
      trigger: this.windowTrigger,
      keySelector: this.input.getKeySelector(),
      stateDescriptor,
      windowFunction,
      allowedLatenessMs: this.allowedLatenessMs,
      lateDataOutputTag: this.lateDataTag?.id,
    };
    const name = `Window(${String(this.assigner)}, ${String(this.windowTrigger)}, ${kind})`;
    return this.input.transformKeyed(
      name,
      'WindowOperator',
      (operatorName) => new WindowOperator<T, K, W, C, OUT>(operatorName, spec),
    );
  }
}
