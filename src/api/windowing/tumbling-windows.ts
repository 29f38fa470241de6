import type { TypeSerializer } from '../../types/type-serializer.ts';
import { InvalidApiUseError } from '../invalid-api-use-error.ts';
import { TimeWindow, TimeWindowSerializer } from './time-window.ts';
import { EventTimeTrigger, ProcessingTimeTrigger, type Trigger } from './trigger.ts';
import { checkPositive, WindowAssigner, type WindowAssignerContext } from './window-assigner.ts';

function checkOffset(size: number, offset: number): void {
  checkPositive('window size', size);
  if (!(Number.isFinite(offset) && Math.abs(offset) < size)) {
    throw new InvalidApiUseError(
      `window offset ${offset} ms must be a finite number with |offset| < size ${size} ms`,
    );
  }
}

/**
 * Fixed-size, non-overlapping windows of event time (Flink's
 * `TumblingEventTimeWindows`): a record with timestamp t belongs to
 * `[start, start + size)` with `start = t − (t − offset) mod size`.
 */
export class TumblingEventTimeWindows<T = unknown> extends WindowAssigner<T, TimeWindow> {
  readonly sizeMs: number;
  readonly offsetMs: number;

  private constructor(sizeMs: number, offsetMs: number) {
    super();
    checkOffset(sizeMs, offsetMs);
    this.sizeMs = sizeMs;
    this.offsetMs = offsetMs;
  }

  /**
   * @param sizeMs - window size (ms, > 0)
   * @param offsetMs - shift of the window starts (ms, |offset| < size), e.g. for time zones
   * @throws SLUICE_ERR_API_INVALID_USE for invalid sizes
   */
  static of<T = unknown>(sizeMs: number, offsetMs = 0): TumblingEventTimeWindows<T> {
    return new TumblingEventTimeWindows<T>(sizeMs, offsetMs);
  }

  assignWindows(_element: T, timestamp: number): TimeWindow[] {
    const start = TimeWindow.getWindowStartWithOffset(timestamp, this.offsetMs, this.sizeMs);
    return [new TimeWindow(start, start + this.sizeMs)];
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
    return `TumblingEventTimeWindows(${this.sizeMs})`;
  }
}

/** Tumbling windows of processing time (Flink's `TumblingProcessingTimeWindows`). */
export class TumblingProcessingTimeWindows<T = unknown> extends WindowAssigner<T, TimeWindow> {
  readonly sizeMs: number;
  readonly offsetMs: number;

  private constructor(sizeMs: number, offsetMs: number) {
    super();
    checkOffset(sizeMs, offsetMs);
    this.sizeMs = sizeMs;
    this.offsetMs = offsetMs;
  }

  /**
   * @param sizeMs - window size (ms, > 0)
   * @param offsetMs - shift of the window starts (ms, |offset| < size)
   * @throws SLUICE_ERR_API_INVALID_USE for invalid sizes
   */
  static of<T = unknown>(sizeMs: number, offsetMs = 0): TumblingProcessingTimeWindows<T> {
    return new TumblingProcessingTimeWindows<T>(sizeMs, offsetMs);
  }

  assignWindows(_element: T, _timestamp: number, context: WindowAssignerContext): TimeWindow[] {
    const now = context.getCurrentProcessingTime();
    const start = TimeWindow.getWindowStartWithOffset(now, this.offsetMs, this.sizeMs);
    return [new TimeWindow(start, start + this.sizeMs)];
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
    return `TumblingProcessingTimeWindows(${this.sizeMs})`;
  }
}
