/**
 * Functions that turn a window's contents into results (Flink's
 * `ProcessWindowFunction`): `process` sees the key, the window (its metadata in the
 * context) and the window's records — or, combined with `reduce`/`aggregate`, the one
 * pre-aggregated value.
 *
 * ```ts
 * .window(TumblingEventTimeWindows.of(60_000))
 * .aggregate(countAggregate, (key, ctx, counts, out) => {
 *   for (const count of counts) out.collect({ key, windowEnd: ctx.window().end, count });
 * })
 * ```
 */

import type { Collector, KeyedRuntimeContext, RichFunction } from '../functions.ts';
import type { OutputTag } from '../output-tag.ts';
import type { Window } from './time-window.ts';

/** What `process` knows about the window it is called for (Flink's `ProcessWindowFunction.Context`). */
export interface ProcessWindowFunctionContext<W extends Window> {
  /** The window being emitted. */
  window(): W;
  /** Processing time (ms). */
  currentProcessingTime(): number;
  /** The operator's watermark (ms). */
  currentWatermark(): number;
  /** Emits `value` to the side output `tag`, with the window's timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * Emits results for a window (Flink's `ProcessWindowFunction`). `open(ctx)` receives a
 * {@link KeyedRuntimeContext} for keyed state across windows.
 */
export interface ProcessWindowFunction<IN, OUT, K, W extends Window> extends RichFunction {
  open?(context: KeyedRuntimeContext): void | Promise<void>;
  /**
   * @param key - the key of the window
   * @param context - window metadata and side outputs
   * @param elements - the window's records, or the single pre-aggregated value
   * @param out - emits results; their timestamp is `window.maxTimestamp()`
   */
  process(
    key: K,
    context: ProcessWindowFunctionContext<W>,
    elements: readonly IN[],
    out: Collector<OUT>,
  ): void;
}

/** Plain-function or object form of a process window function. */
export type ProcessWindowFunctionLike<IN, OUT, K, W extends Window> =
  | ProcessWindowFunction<IN, OUT, K, W>
  | ((
      key: K,
      context: ProcessWindowFunctionContext<W>,
      elements: readonly IN[],
      out: Collector<OUT>,
    ) => void);

/** Wraps a plain function as a {@link ProcessWindowFunction}. */
export function toProcessWindowFunction<IN, OUT, K, W extends Window>(
  fn: ProcessWindowFunctionLike<IN, OUT, K, W>,
): ProcessWindowFunction<IN, OUT, K, W> {
  return typeof fn === 'function' ? { process: fn } : fn;
}
