/**
 * Applies a {@link WatermarkStrategy} to a stream: sets each record's event timestamp
 * with the assigner, feeds the generator, emits its watermarks periodically and tracks
 * idleness — the shared core of `TimestampsAndWatermarksOperator` (`assignTimestampsAndWatermarks`)
 * and of sources given a strategy (Flink's `ProgressiveTimestampsAndWatermarks` /
 * `WatermarkToDataOutput`).
 *
 * ```
 *  collect(r, ts?) ─► assigner(r, ts) = t ─► ElementContext.timestamp = t
 *                     (idle? → emit status ACTIVE) ─► output.collect(r)
 *                     generator.onEvent(r, t, wmOutput)       (after the record, as Flink)
 *  every interval ──► generator.onPeriodicEmit(wmOutput)
 *  wmOutput.emitWatermark(w): only if w > last; (idle? → ACTIVE first); output.emitWatermark(w)
 *  wmOutput.markIdle():        output.emitWatermarkStatus(true) once
 * ```
 *
 * The end of event time (`MAX_WATERMARK`, from a bounded source) always passes and ends
 * periodic emission.
 *
 * @remarks One per subtask, owned by its task thread; the periodic callback runs on it
 * too (the processing-time service's executor).
 */

import type {
  TimestampAssigner,
  WatermarkGenerator,
  WatermarkOutput,
  WatermarkStrategy,
} from '../../api/watermark-strategy.ts';
import {
  type ElementContext,
  MAX_WATERMARK,
  MIN_WATERMARK,
  type Output,
} from '../operators/stream-operator.ts';
import type {
  ProcessingTimeService,
  ScheduledTimer,
} from '../operators/timers/processing-time-service.ts';

/**
 * The strategy of one subtask, applied to an {@link Output}; see the module documentation.
 *
 * @remarks Owned by one task thread.
 */
export class TimestampsAndWatermarks<T> implements WatermarkOutput {
  /** Highest watermark emitted (ms). */
  currentWatermark = MIN_WATERMARK;
  /** Whether the output is marked idle. */
  idle = false;
  private readonly output: Output<T>;
  private readonly element: ElementContext;
  private readonly assigner: TimestampAssigner<T>;
  private readonly generator: WatermarkGenerator<T>;
  private readonly timeService: ProcessingTimeService;
  private readonly intervalMs: number;
  private readonly periodic: boolean;
  private timer: ScheduledTimer | undefined;

  /**
   * @param strategy - the watermark strategy
   * @param output - where records, watermarks and statuses go
   * @param element - the chain's element context (timestamps, current watermark)
   * @param timeService - the task's processing-time service
   * @param autoWatermarkIntervalMs - `pipeline.auto-watermark-interval` (ms; 0 = no periodic emission)
   */
  constructor(
    strategy: WatermarkStrategy<T>,
    output: Output<T>,
    element: ElementContext,
    timeService: ProcessingTimeService,
    autoWatermarkIntervalMs: number,
  ) {
    this.output = output;
    this.element = element;
    this.timeService = timeService;
    this.intervalMs = autoWatermarkIntervalMs;
    this.assigner = strategy.createTimestampAssigner();
    this.generator = strategy.createWatermarkGenerator({
      currentProcessingTime: () => timeService.getCurrentProcessingTime(),
    });
    this.periodic =
      autoWatermarkIntervalMs > 0 &&
      !(strategy.kind === 'none' && strategy.idleTimeoutMs === undefined);
  }

  /** Starts periodic emission (when the interval is > 0 and the strategy has watermarks). */
  start(): void {
    if (!this.periodic || this.timer !== undefined) return;
    this.timer = this.timeService.scheduleAtFixedRate(
      () => this.onPeriodicEmit(),
      this.intervalMs,
      this.intervalMs,
    );
  }

  /** Stops periodic emission. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Calls the generator's periodic emit now. */
  onPeriodicEmit(): void {
    if (this.currentWatermark === MAX_WATERMARK) return;
    this.generator.onPeriodicEmit(this);
  }

  /**
   * Assigns the record's timestamp, emits it, then shows it to the generator.
   *
   * @param record - the record
   * @param recordTimestamp - its timestamp so far, if any (ms)
   * @throws what the assigner or generator throws (the operator blames the user function)
   */
  collect(record: T, recordTimestamp: number | undefined): void {
    const timestamp = this.assigner.extractTimestamp(record, recordTimestamp);
    const element = this.element;
    element.timestamp = timestamp;
    element.hasTimestamp = true;
    if (this.idle) this.markActive();
    this.output.collect(record);
    this.generator.onEvent(record, timestamp, this);
  }

  /** A watermark from upstream (or the source reader): only the end of event time passes. */
  upstreamWatermark(watermark: number): void {
    if (watermark === MAX_WATERMARK) {
      this.emitWatermark(MAX_WATERMARK);
      this.stop();
    }
  }

  emitWatermark(watermark: number): void {
    if (!(watermark > this.currentWatermark)) return;
    if (this.idle) this.markActive();
    this.currentWatermark = watermark;
    this.element.currentWatermark = watermark;
    this.output.emitWatermark(watermark);
  }

  markIdle(): void {
    if (this.idle) return;
    this.idle = true;
    this.output.emitWatermarkStatus?.(true);
  }

  markActive(): void {
    if (!this.idle) return;
    this.idle = false;
    this.output.emitWatermarkStatus?.(false);
  }
}
