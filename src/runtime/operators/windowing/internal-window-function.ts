/**
 * What the window operator calls with a window's contents (Flink's
 * `InternalWindowFunction` family): the contents are the reduced value (`reduce`), the
 * aggregate's result (`aggregate`) or the list of records (`process`), and the
 * function either emits them as they are or hands them to a user
 * `ProcessWindowFunction`.
 *
 * ```
 *   reduce(f)              ReducingState    → PassThroughWindowFunction           emits the value
 *   reduce(f, pwf)         ReducingState    → SingleValueProcessWindowFunction   pwf([value])
 *   aggregate(a)           AggregatingState → PassThroughWindowFunction           emits getResult(acc)
 *   aggregate(a, pwf)      AggregatingState → SingleValueProcessWindowFunction   pwf([getResult(acc)])
 *   process(pwf)           ListState        → IterableProcessWindowFunction      pwf(records)
 * ```
 *
 * @remarks One per operator instance, owned by its task thread.
 */

import type { Collector, KeyedRuntimeContext, RichFunction } from '../../../api/functions.ts';
import type { Window } from '../../../api/windowing/time-window.ts';
import type {
  ProcessWindowFunction,
  ProcessWindowFunctionContext,
} from '../../../api/windowing/window-functions.ts';

/** Emits a window's contents; `open` gets the keyed runtime context. */
export interface InternalWindowFunction<IN, OUT, K, W extends Window> extends RichFunction {
  open?(context: KeyedRuntimeContext): void | Promise<void>;
  /**
   * @param currentKey - returns the window's key (deserialized only when asked for)
   * @param window - the window
   * @param context - window metadata for a user function
   * @param input - the window's contents
   * @param out - where results go
   */
  process(
    currentKey: () => K,
    window: W,
    context: ProcessWindowFunctionContext<W>,
    input: IN,
    out: Collector<OUT>,
  ): void;
}

/** Lifecycle of the functions a window operator runs (reduce/aggregate functions may be rich). */
abstract class LifecycleForwarding implements RichFunction {
  private readonly functions: readonly RichFunction[];

  protected constructor(functions: readonly RichFunction[]) {
    this.functions = functions;
  }

  async open(context: KeyedRuntimeContext): Promise<void> {
    for (const fn of this.functions) await fn.open?.(context);
  }

  async close(): Promise<void> {
    for (const fn of this.functions) await fn.close?.();
  }
}

/** Emits the contents unchanged (Flink's `InternalSingleValueWindowFunction` + `PassThroughWindowFunction`). */
export class PassThroughWindowFunction<T, K, W extends Window>
  extends LifecycleForwarding
  implements InternalWindowFunction<T, T, K, W>
{
  /** @param functions - functions whose open/close to forward (the reduce function) */
  constructor(functions: readonly RichFunction[] = []) {
    super(functions);
  }

  process(
    _currentKey: () => K,
    _window: W,
    _context: ProcessWindowFunctionContext<W>,
    input: T,
    out: Collector<T>,
  ): void {
    out.collect(input);
  }
}

/** Hands the single pre-aggregated value to a process window function (Flink's `InternalSingleValueProcessWindowFunction`). */
export class SingleValueProcessWindowFunction<V, OUT, K, W extends Window>
  extends LifecycleForwarding
  implements InternalWindowFunction<V, OUT, K, W>
{
  private readonly fn: ProcessWindowFunction<V, OUT, K, W>;

  /**
   * @param fn - the user's process window function
   * @param functions - further functions whose open/close to forward
   */
  constructor(fn: ProcessWindowFunction<V, OUT, K, W>, functions: readonly RichFunction[] = []) {
    super([fn, ...functions]);
    this.fn = fn;
  }

  process(
    currentKey: () => K,
    _window: W,
    context: ProcessWindowFunctionContext<W>,
    input: V,
    out: Collector<OUT>,
  ): void {
    this.fn.process(currentKey(), context, [input], out);
  }
}

/** Hands the window's records to a process window function (Flink's `InternalIterableProcessWindowFunction`). */
export class IterableProcessWindowFunction<T, OUT, K, W extends Window>
  extends LifecycleForwarding
  implements InternalWindowFunction<T[], OUT, K, W>
{
  private readonly fn: ProcessWindowFunction<T, OUT, K, W>;

  /** @param fn - the user's process window function */
  constructor(fn: ProcessWindowFunction<T, OUT, K, W>) {
    super([fn]);
    this.fn = fn;
  }

  process(
    currentKey: () => K,
    _window: W,
    context: ProcessWindowFunctionContext<W>,
    input: T[],
    out: Collector<OUT>,
  ): void {
    this.fn.process(currentKey(), context, input, out);
  }
}
