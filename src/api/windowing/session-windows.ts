import type { TypeSerializer } from '../../types/type-serializer.ts';
import { TimeWindow, TimeWindowSerializer } from './time-window.ts';
import { EventTimeTrigger, ProcessingTimeTrigger, type Trigger } from './trigger.ts';
import {
  checkPositive,
  MergingWindowAssigner,
  type WindowAssignerContext,
} from './window-assigner.ts';

/**
 * Session windows of event time (Flink's `EventTimeSessionWindows`): each record opens
 * `[t, t + gap)`; windows of one key that overlap or touch merge, so a session ends
 * after `gap` ms without records of its key.
 */
export class EventTimeSessionWindows<T = unknown> extends MergingWindowAssigner<T, TimeWindow> {
  readonly gapMs: number;

  private constructor(gapMs: number) {
    super();
    checkPositive('session gap', gapMs);
    this.gapMs = gapMs;
  }

  /**
   * @param gapMs - inactivity that ends a session (ms, > 0)
   * @throws SLUICE_ERR_API_INVALID_USE for an invalid gap
   */
  static withGap<T = unknown>(gapMs: number): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(gapMs);
  }

  assignWindows(_element: T, timestamp: number): TimeWindow[] {
    return [new TimeWindow(timestamp, timestamp + this.gapMs)];
  }

  mergeWindows(
    windows: readonly TimeWindow[],
    merge: (toBeMerged: TimeWindow[], mergeResult: TimeWindow) => void,
  ): void {
    TimeWindow.mergeWindows(windows, merge);
  }

  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return new EventTimeTrigger<T>();
  }

  getWindowSerializer(): TypeSerializer<TimeWindow> {
    return TimeWindowSerializer.INSTANCE;
  }

  isEventTime(): boolean {
    return true;
  }

  toString(): string {
    return `EventTimeSessionWindows(${this.gapMs})`;
  }
}

/** Session windows of processing time (Flink's `ProcessingTimeSessionWindows`). */
export class ProcessingTimeSessionWindows<T = unknown> extends MergingWindowAssigner<
  T,
  TimeWindow
> {
  readonly gapMs: number;

  private constructor(gapMs: number) {
    super();
    checkPositive('session gap', gapMs);
    this.gapMs = gapMs;
  }

  /**
   * @param gapMs - inactivity that ends a session (ms, > 0)
   * @throws SLUICE_ERR_API_INVALID_USE for an invalid gap
   */
  static withGap<T = unknown>(gapMs: number): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(gapMs);
  }

  assignWindows(_element: T, _timestamp: number, context: WindowAssignerContext): TimeWindow[] {
    const now = context.getCurrentProcessingTime();
    return [new TimeWindow(now, now + this.gapMs)];
  }

  mergeWindows(
    windows: readonly TimeWindow[],
    merge: (toBeMerged: TimeWindow[], mergeResult: TimeWindow) => void,
  ): void {
    TimeWindow.mergeWindows(windows, merge);
  }

  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return new ProcessingTimeTrigger<T>();
  }

  getWindowSerializer(): TypeSerializer<TimeWindow> {
    return TimeWindowSerializer.INSTANCE;
  }

  isEventTime(): boolean {
    return false;
  }

  toString(): string {
    return `ProcessingTimeSessionWindows(${this.gapMs})`;
  }
}
