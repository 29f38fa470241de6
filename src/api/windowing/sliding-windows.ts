import type { TypeSerializer } from '../../types/type-serializer.ts';
import { InvalidApiUseError } from '../invalid-api-use-error.ts';
import { TimeWindow, TimeWindowSerializer } from './time-window.ts';
import { EventTimeTrigger, ProcessingTimeTrigger, type Trigger } from './trigger.ts';
import { checkPositive, WindowAssigner, type WindowAssignerContext } from './window-assigner.ts';

function check(size: number, slide: number, offset: number): void {
  checkPositive('window size', size);
  checkPositive('window slide', slide);
  if (!(Number.isFinite(offset) && Math.abs(offset) < slide)) {
    throw new InvalidApiUseError(
      `window offset ${offset} ms must be a finite number with |offset| < slide ${slide} ms`,
    );
  }
}

/** The ⌈size/slide⌉ windows of `size` every `slide` that hold `time` (Flink's order: latest first). */
function slidingWindows(time: number, size: number, slide: number, offset: number): TimeWindow[] {
  const windows: TimeWindow[] = [];
  const lastStart = TimeWindow.getWindowStartWithOffset(time, offset, slide);
  for (let start = lastStart; start > time - size; start -= slide) {
    windows.push(new TimeWindow(start, start + size));
  }
  return windows;
}

/**
 * Windows of `size` starting every `slide` in event time (Flink's
 * `SlidingEventTimeWindows`): a record belongs to ⌈size / slide⌉ overlapping windows.
 */
export class SlidingEventTimeWindows<T = unknown> extends WindowAssigner<T, TimeWindow> {
  readonly sizeMs: number;
  readonly slideMs: number;
  readonly offsetMs: number;

  private constructor(sizeMs: number, slideMs: number, offsetMs: number) {
    super();
    check(sizeMs, slideMs, offsetMs);
    this.sizeMs = sizeMs;
    this.slideMs = slideMs;
    this.offsetMs = offsetMs;
  }

  /**
   * @param sizeMs - window size (ms, > 0)
   * @param slideMs - distance between window starts (ms, > 0)
   * @param offsetMs - shift of the window starts (ms, |offset| < slide)
   * @throws SLUICE_ERR_API_INVALID_USE for invalid sizes
   */
  static of<T = unknown>(
    sizeMs: number,
    slideMs: number,
    offsetMs = 0,
  ): SlidingEventTimeWindows<T> {
    return new SlidingEventTimeWindows<T>(sizeMs, slideMs, offsetMs);
  }

  assignWindows(_element: T, timestamp: number): TimeWindow[] {
    return slidingWindows(timestamp, this.sizeMs, this.slideMs, this.offsetMs);
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
    return `SlidingEventTimeWindows(${this.sizeMs}, ${this.slideMs})`;
  }
}

/** Sliding windows of processing time (Flink's `SlidingProcessingTimeWindows`). */
export class SlidingProcessingTimeWindows<T = unknown> extends WindowAssigner<T, TimeWindow> {
  readonly sizeMs: number;
  readonly slideMs: number;
  readonly offsetMs: number;

  private constructor(sizeMs: number, slideMs: number, offsetMs: number) {
    super();
    check(sizeMs, slideMs, offsetMs);
    this.sizeMs = sizeMs;
    this.slideMs = slideMs;
    this.offsetMs = offsetMs;
  }

  /**
   * @param sizeMs - window size (ms, > 0)
   * @param slideMs - distance between window starts (ms, > 0)
   * @param offsetMs - shift of the window starts (ms, |offset| < slide)
   * @throws SLUICE_ERR_API_INVALID_USE for invalid sizes
   */
  static of<T = unknown>(
    sizeMs: number,
    slideMs: number,
    offsetMs = 0,
  ): SlidingProcessingTimeWindows<T> {
    return new SlidingProcessingTimeWindows<T>(sizeMs, slideMs, offsetMs);
  }

  assignWindows(_element: T, _timestamp: number, context: WindowAssignerContext): TimeWindow[] {
    return slidingWindows(
      context.getCurrentProcessingTime(),
      this.sizeMs,
      this.slideMs,
      this.offsetMs,
    );
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
    return `SlidingProcessingTimeWindows(${this.sizeMs}, ${this.slideMs})`;
  }
}
