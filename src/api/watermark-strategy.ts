/**
 * How a stream gets event timestamps and watermarks (Flink's `WatermarkStrategy`): a
 * timestamp assigner (the event time of each record) and a watermark generator (how
 * far event time has progressed), optionally with idleness detection.
 *
 * ```ts
 * env.fromSource(kafka, WatermarkStrategy
 *   .forBoundedOutOfOrderness<Click>(5_000)            // events up to 5 s out of order
 *   .withTimestampAssigner((click) => click.timeMs)     // event time of a record
 *   .withIdleness(60_000), 'clicks');                   // a silent partition holds nothing back
 *
 * stream.assignTimestampsAndWatermarks(strategy)        // the same after any operator
 * ```
 *
 * Generators are called on every record (`onEvent`) and periodically
 * (`onPeriodicEmit`, every `pipeline.auto-watermark-interval`, default 200 ms of
 * processing time); they emit watermarks through a {@link WatermarkOutput}. Emitted
 * watermarks travel downstream as stream elements, also through exchanges; an
 * operator's watermark is the minimum over its input channels, ignoring idle ones.
 *
 * @remarks Plain immutable objects, declared with the job; every subtask creates its
 * own generator from the strategy.
 */

import { AscendingTimestampsWatermarks } from '../runtime/watermark/ascending-timestamps-watermarks.ts';
import { BoundedOutOfOrdernessWatermarks } from '../runtime/watermark/bounded-out-of-orderness-watermarks.ts';
import { NoWatermarksGenerator } from '../runtime/watermark/no-watermarks-generator.ts';
import { WatermarksWithIdleness } from '../runtime/watermark/watermarks-with-idleness.ts';
import { InvalidApiUseError } from './invalid-api-use-error.ts';

/** Where a {@link WatermarkGenerator} emits (Flink's `WatermarkOutput`). */
export interface WatermarkOutput {
  /** Emits a watermark (ms); a watermark not above the last one is ignored. */
  emitWatermark(watermark: number): void;
  /** Marks the output idle: consumers stop waiting for its watermarks. */
  markIdle(): void;
  /** Marks the output active again (also implied by a record or a watermark). */
  markActive(): void;
}

/** Generates watermarks from events and/or periodically (Flink's `WatermarkGenerator`). */
export interface WatermarkGenerator<T> {
  /** Called for every record, after it was emitted, with its event timestamp (ms). */
  onEvent(event: T, eventTimestamp: number, output: WatermarkOutput): void;
  /** Called every `pipeline.auto-watermark-interval` ms of processing time. */
  onPeriodicEmit(output: WatermarkOutput): void;
}

/** What a generator factory receives (Flink's `WatermarkGeneratorSupplier.Context`). */
export interface WatermarkGeneratorContext {
  /** Processing time (ms) of the task, for generators that measure time (idleness). */
  currentProcessingTime(): number;
}

/** Extracts a record's event timestamp (Flink's `TimestampAssigner`). */
export interface TimestampAssigner<T> {
  /**
   * @param element - the record
   * @param recordTimestamp - the timestamp it already has (from the source), if any
   * @returns its event time (ms)
   */
  extractTimestamp(element: T, recordTimestamp: number | undefined): number;
}

/** Plain-function or object form of a timestamp assigner. */
export type TimestampAssignerLike<T> =
  | TimestampAssigner<T>
  | ((element: T, recordTimestamp: number | undefined) => number);

type StrategyKind = 'none' | 'bounded' | 'monotonous' | 'generator';

/** Keeps the timestamp the record already has (Flink's `RecordTimestampAssigner`). */
const RECORD_TIMESTAMP: TimestampAssigner<unknown> = {
  extractTimestamp: (_element, recordTimestamp) => recordTimestamp ?? Number.MIN_SAFE_INTEGER,
};

/**
 * A watermark strategy; see the module documentation. Every `with…` call returns a new
 * strategy.
 */
export class WatermarkStrategy<T> {
  /** `'none'` (no watermarks), `'bounded'`, `'monotonous'` or `'generator'` (custom). */
  readonly kind: StrategyKind;
  /** Out-of-orderness bound of `forBoundedOutOfOrderness` (ms). */
  readonly maxOutOfOrdernessMs: number;
  /** Idle timeout of `withIdleness` (ms), if set. */
  readonly idleTimeoutMs: number | undefined;
  /** The assigner given with `withTimestampAssigner`, if any. */
  readonly timestampAssigner: TimestampAssigner<T> | undefined;
  private readonly generatorFactory:
    | ((context: WatermarkGeneratorContext) => WatermarkGenerator<T>)
    | undefined;
  /** Phantom field tying the strategy to the record type; never set. */
  declare readonly __recordType?: T;

  private constructor(
    kind: StrategyKind,
    maxOutOfOrdernessMs: number,
    generatorFactory: ((context: WatermarkGeneratorContext) => WatermarkGenerator<T>) | undefined,
    timestampAssigner: TimestampAssigner<T> | undefined,
    idleTimeoutMs: number | undefined,
  ) {
    this.kind = kind;
    this.maxOutOfOrdernessMs = maxOutOfOrdernessMs;
    this.generatorFactory = generatorFactory;
    this.timestampAssigner = timestampAssigner;
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /** No watermarks (Flink's `noWatermarks()`); a bounded source still ends event time. */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>('none', 0, undefined, undefined, undefined);
  }

  /**
   * Watermarks that trail the highest timestamp seen by `maxOutOfOrdernessMs` (Flink's
   * `forBoundedOutOfOrderness`): watermark = max timestamp − bound − 1, emitted
   * periodically. A record at most `bound` ms behind the highest one is never late.
   *
   * @throws SLUICE_ERR_API_INVALID_USE unless `maxOutOfOrdernessMs` is a finite number ≥ 0
   */
  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(Number.isFinite(maxOutOfOrdernessMs) && maxOutOfOrdernessMs >= 0)) {
      throw new InvalidApiUseError(
        `forBoundedOutOfOrderness(${maxOutOfOrdernessMs}): give the out-of-orderness bound in ms, a finite number ≥ 0`,
      );
    }
    return new WatermarkStrategy<T>(
      'bounded',
      maxOutOfOrdernessMs,
      undefined,
      undefined,
      undefined,
    );
  }

  /** Watermarks for ascending timestamps (Flink's `forMonotonousTimestamps`): bound 0. */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>('monotonous', 0, undefined, undefined, undefined);
  }

  /**
   * A custom generator (Flink's `forGenerator`), created once per subtask — e.g. a
   * punctuated generator that emits from `onEvent`.
   */
  static forGenerator<T>(
    factory: (context: WatermarkGeneratorContext) => WatermarkGenerator<T>,
  ): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>('generator', 0, factory, undefined, undefined);
  }

  /** The same strategy with an event-time extractor (Flink's `withTimestampAssigner`). */
  withTimestampAssigner(assigner: TimestampAssignerLike<T>): WatermarkStrategy<T> {
    const fn: TimestampAssigner<T> =
      typeof assigner === 'function' ? { extractTimestamp: assigner } : assigner;
    return new WatermarkStrategy<T>(
      this.kind,
      this.maxOutOfOrdernessMs,
      this.generatorFactory,
      fn,
      this.idleTimeoutMs,
    );
  }

  /**
   * The same strategy, marking the stream idle after `idleTimeoutMs` without records
   * (Flink's `withIdleness`); a record makes it active again.
   *
   * @throws SLUICE_ERR_API_INVALID_USE unless `idleTimeoutMs` is a finite number > 0
   */
  withIdleness(idleTimeoutMs: number): WatermarkStrategy<T> {
    if (!(Number.isFinite(idleTimeoutMs) && idleTimeoutMs > 0)) {
      throw new InvalidApiUseError(
        `withIdleness(${idleTimeoutMs}): give the idle timeout in ms, a finite number > 0`,
      );
    }
    return new WatermarkStrategy<T>(
      this.kind,
      this.maxOutOfOrdernessMs,
      this.generatorFactory,
      this.timestampAssigner,
      idleTimeoutMs,
    );
  }

  /** Whether the strategy changes nothing (no watermarks, no assigner, no idleness). */
  isNoOp(): boolean {
    return (
      this.kind === 'none' &&
      this.timestampAssigner === undefined &&
      this.idleTimeoutMs === undefined
    );
  }

  /** A new generator for one subtask (with the idleness wrapper when set). */
  createWatermarkGenerator(context: WatermarkGeneratorContext): WatermarkGenerator<T> {
    let generator: WatermarkGenerator<T>;
    switch (this.kind) {
      case 'bounded':
        generator = new BoundedOutOfOrdernessWatermarks<T>(this.maxOutOfOrdernessMs);
        break;
      case 'monotonous':
        generator = new AscendingTimestampsWatermarks<T>();
        break;
      case 'generator':
        generator = this.generatorFactory!(context);
        break;
      default:
        generator = new NoWatermarksGenerator<T>();
    }
    if (this.idleTimeoutMs === undefined) return generator;
    return new WatermarksWithIdleness<T>(generator, this.idleTimeoutMs, () =>
      context.currentProcessingTime(),
    );
  }

  /** The assigner: the one given, or the record's own timestamp. */
  createTimestampAssigner(): TimestampAssigner<T> {
    return this.timestampAssigner ?? (RECORD_TIMESTAMP as TimestampAssigner<T>);
  }
}
