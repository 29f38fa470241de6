/**
 * Window assigners (Flink's `WindowAssigner`): which windows a record belongs to, by its
 * timestamp (event time) or the wall clock (processing time), with their default
 * trigger and the serializer of their windows.
 *
 * ```
 *   TumblingEventTimeWindows.of(10_000)            [0,10s) [10s,20s) ...       one window per record
 *   SlidingEventTimeWindows.of(10_000, 2_000)      [−8s,2s) [−6s,4s) ... [0,10s)  size/slide windows
 *   EventTimeSessionWindows.withGap(5_000)         [t, t+5s), merged while they touch
 *   ...ProcessingTime... variants                  the same on the wall clock
 * ```
 *
 * All sizes, slides, offsets and gaps are milliseconds.
 *
 * @remarks Stateless objects declared with the job, shared by the subtasks.
 */

import type { TypeSerializer } from '../../types/type-serializer.ts';
import { InvalidApiUseError } from '../invalid-api-use-error.ts';
import type { Window } from './time-window.ts';
import type { Trigger } from './trigger.ts';

/** What an assigner may read (Flink's `WindowAssignerContext`). */
export interface WindowAssignerContext {
  /** Processing time of the task (ms). */
  getCurrentProcessingTime(): number;
}

/** Assigns records to windows (Flink's `WindowAssigner`). */
export abstract class WindowAssigner<T, W extends Window> {
  /**
   * The windows `element` belongs to.
   *
   * @param element - the record
   * @param timestamp - its event timestamp (ms; ignored by processing-time assigners)
   * @param context - the processing-time clock
   */
  abstract assignWindows(element: T, timestamp: number, context: WindowAssignerContext): W[];
  /** The trigger used unless `WindowedStream.trigger(...)` sets one. */
  abstract getDefaultTrigger(): Trigger<T, W>;
  /** Serializer of the windows (they are state namespaces in managed memory). */
  abstract getWindowSerializer(): TypeSerializer<W>;
  /** Whether windows are in event time (watermarks) or processing time (wall clock). */
  abstract isEventTime(): boolean;
  /** Name shown in operator names (`TumblingEventTimeWindows(10000)`). */
  abstract toString(): string;
}

/** An assigner whose windows can merge (Flink's `MergingWindowAssigner`): sessions. */
export abstract class MergingWindowAssigner<T, W extends Window> extends WindowAssigner<T, W> {
  /**
   * Reports the groups of `windows` that merge.
   *
   * @param windows - the current windows of one key
   * @param merge - called per group with its windows and the resulting window
   */
  abstract mergeWindows(
    windows: readonly W[],
    merge: (toBeMerged: W[], mergeResult: W) => void,
  ): void;
}

/** Whether `assigner` merges windows. */
export function isMergingWindowAssigner<T, W extends Window>(
  assigner: WindowAssigner<T, W>,
): assigner is MergingWindowAssigner<T, W> {
  return assigner instanceof MergingWindowAssigner;
}

/** @throws SLUICE_ERR_API_INVALID_USE unless `value` is a positive finite number */
export function checkPositive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new InvalidApiUseError(`${name} must be a positive number of ms, got ${value}`);
  }
}
