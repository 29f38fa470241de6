/**
 * When a window's contents are emitted (Flink's `Trigger`): the window operator asks the
 * trigger on every record and every timer of a window, and acts on the
 * {@link TriggerResult}. Triggers register timers through their context; timers are
 * scoped to the current key and window.
 *
 * ```
 *   EventTimeTrigger:       onElement → timer at window.maxTimestamp()   → FIRE when the watermark passes it
 *                           (a late record of a window still within allowedLateness → FIRE at once)
 *   ProcessingTimeTrigger:  onElement → wall-clock timer at window.maxTimestamp() → FIRE
 * ```
 *
 * @remarks Triggers are stateless objects shared by every key and window of a subtask;
 * keep per-window data in timers.
 */

import type { Window } from './time-window.ts';

/** What the window operator does after asking a trigger (Flink's `TriggerResult`). */
export const TriggerResult = {
  /** Nothing. */
  CONTINUE: 'CONTINUE',
  /** Emit the window's contents; keep them. */
  FIRE: 'FIRE',
  /** Drop the window's contents without emitting. */
  PURGE: 'PURGE',
  /** Emit, then drop the contents. */
  FIRE_AND_PURGE: 'FIRE_AND_PURGE',
} as const;
/** One of {@link TriggerResult}. */
export type TriggerResult = (typeof TriggerResult)[keyof typeof TriggerResult];

/** What a trigger may do for the current key and window (Flink's `Trigger.TriggerContext`). */
export interface TriggerContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
  registerProcessingTimeTimer(time: number): void;
  registerEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
}

/** Decides when windows fire (Flink's `Trigger`). */
export interface Trigger<T, W extends Window> {
  /** A record was added to `window`. */
  onElement(element: T, timestamp: number, window: W, context: TriggerContext): TriggerResult;
  /** A processing-time timer of `window` fired. */
  onProcessingTime(time: number, window: W, context: TriggerContext): TriggerResult;
  /** An event-time timer of `window` fired. */
  onEventTime(time: number, window: W, context: TriggerContext): TriggerResult;
  /** Whether the trigger supports merging windows (session windows need it). */
  canMerge(): boolean;
  /** Windows were merged into `window` (re-register the timers it needs). */
  onMerge?(window: W, context: TriggerContext): void;
  /** The window is purged: delete its timers. */
  clear(window: W, context: TriggerContext): void;
}

/**
 * Fires when the watermark passes the window's end (Flink's `EventTimeTrigger`), the
 * default trigger of event-time windows.
 */
export class EventTimeTrigger<T> implements Trigger<T, Window> {
  onElement(
    _element: T,
    _timestamp: number,
    window: Window,
    context: TriggerContext,
  ): TriggerResult {
    if (window.maxTimestamp() <= context.getCurrentWatermark()) return TriggerResult.FIRE;
    context.registerEventTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, context: TriggerContext): void {
    if (window.maxTimestamp() > context.getCurrentWatermark()) {
      context.registerEventTimeTimer(window.maxTimestamp());
    }
  }

  clear(window: Window, context: TriggerContext): void {
    context.deleteEventTimeTimer(window.maxTimestamp());
  }

  toString(): string {
    return 'EventTimeTrigger()';
  }
}

/**
 * Fires when the wall clock passes the window's end (Flink's `ProcessingTimeTrigger`),
 * the default trigger of processing-time windows.
 */
export class ProcessingTimeTrigger<T> implements Trigger<T, Window> {
  onElement(
    _element: T,
    _timestamp: number,
    window: Window,
    context: TriggerContext,
  ): TriggerResult {
    context.registerProcessingTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.FIRE;
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, context: TriggerContext): void {
    if (window.maxTimestamp() > context.getCurrentProcessingTime()) {
      context.registerProcessingTimeTimer(window.maxTimestamp());
    }
  }

  clear(window: Window, context: TriggerContext): void {
    context.deleteProcessingTimeTimer(window.maxTimestamp());
  }

  toString(): string {
    return 'ProcessingTimeTrigger()';
  }
}
