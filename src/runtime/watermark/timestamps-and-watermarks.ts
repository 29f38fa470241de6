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
  private readonly strategy: WatermarkStrategy<T>;
  /** Per-split generators (Flink's `WatermarkOutputMultiplexer`), by split id. */
  private readonly splits = new Map<string, SplitWatermarkOutput<T>>();

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
    this.strategy = strategy;
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

  /** Calls the generator's periodic emit now (each split's, when there are splits). */
  onPeriodicEmit(): void {
    if (this.currentWatermark === MAX_WATERMARK) return;
    if (this.splits.size === 0) {
      this.generator.onPeriodicEmit(this);
      return;
    }
    for (const split of this.splits.values()) split.generator.onPeriodicEmit(split);
    this.updateCombinedWatermark();
  }

  /**
   * An output of its own for split `splitId` (a Kafka partition): its records get
   * timestamps from the same assigner and feed a generator of their own; the source's
   * watermark becomes the minimum over the splits that are not idle, and the source is
   * idle when every split is (Flink's `ReaderOutput.createOutputForSplit` with the
   * `WatermarkOutputMultiplexer`). Calling it again for the same split returns the same
   * output.
   *
   * @param splitId - the split
   * @returns the split's output
   */
  createSplitOutput(splitId: string): SplitWatermarkOutput<T> {
    let split = this.splits.get(splitId);
    if (split === undefined) {
      split = new SplitWatermarkOutput(
        this,
        this.assigner,
        this.strategy.createWatermarkGenerator({
          currentProcessingTime: () => this.timeService.getCurrentProcessingTime(),
        }),
      );
      this.splits.set(splitId, split);
    }
    return split;
  }

  /** Forgets split `splitId` (revoked or finished); it no longer holds the watermark back. */
  releaseSplitOutput(splitId: string): void {
    if (this.splits.delete(splitId)) this.updateCombinedWatermark();
  }

  /** Emits the minimum over the active splits, or marks the source idle when all are idle. */
  updateCombinedWatermark(): void {
    let min = Number.POSITIVE_INFINITY;
    let active = false;
    for (const split of this.splits.values()) {
      if (split.idle) continue;
      active = true;
      if (split.watermark < min) min = split.watermark;
    }
    if (!active) {
      if (this.splits.size > 0) this.markIdle();
      return;
    }
    if (min > MIN_WATERMARK) this.emitWatermark(min);
  }

  /** Emits a record of a split: timestamp assigned, the source marked active. */
  collectFromSplit(record: T, timestamp: number): void {
    const element = this.element;
    element.timestamp = timestamp;
    element.hasTimestamp = true;
    if (this.idle) this.markActive();
    this.output.collect(record);
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

/**
 * The output of one split of a source with per-split watermarks: records through the
 * source's output, watermarks into the split's own slot of the combined minimum.
 *
 * @remarks Owned by the source task's thread.
 */
export class SplitWatermarkOutput<T> implements WatermarkOutput {
  /** The split's watermark (ms). */
  watermark = MIN_WATERMARK;
  /** Whether the split's generator marked it idle. */
  idle = false;
  readonly generator: WatermarkGenerator<T>;
  private readonly parent: TimestampsAndWatermarks<T>;
  private readonly assigner: TimestampAssigner<T>;

  constructor(
    parent: TimestampsAndWatermarks<T>,
    assigner: TimestampAssigner<T>,
    generator: WatermarkGenerator<T>,
  ) {
    this.parent = parent;
    this.assigner = assigner;
    this.generator = generator;
  }

  /** A record of the split (`ReaderOutput.collect`). */
  collect(record: T, recordTimestamp?: number): void {
    const timestamp = this.assigner.extractTimestamp(record, recordTimestamp);
    if (this.idle) this.markActive();
    this.parent.collectFromSplit(record, timestamp);
    this.generator.onEvent(record, timestamp, this);
  }

  emitWatermark(watermark: number): void {
    if (!(watermark > this.watermark)) return;
    this.watermark = watermark;
    this.idle = false;
    this.parent.updateCombinedWatermark();
  }

  markIdle(): void {
    if (this.idle) return;
    this.idle = true;
    this.parent.updateCombinedWatermark();
  }

  markActive(): void {
    if (!this.idle) return;
    this.idle = false;
    this.parent.updateCombinedWatermark();
  }
}
