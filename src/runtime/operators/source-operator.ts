import type {
  InputStatus,
  ReaderOutput,
  Source,
  SourceReader,
} from '../../api/connector/source.ts';
import type { RuntimeContext } from '../../api/functions.ts';
import type { WatermarkStrategy } from '../../api/watermark-strategy.ts';
import type { SluiceError } from '../../errors.ts';
import type { SourceMetricsSnapshot } from '../../metrics/metric-snapshots.ts';
import { TimestampsAndWatermarks } from '../watermark/timestamps-and-watermarks.ts';
import {
  type ElementContext,
  MAX_WATERMARK,
  type Output,
  type StreamOperator,
  type StreamOperatorParameters,
} from './stream-operator.ts';
import { userFunctionFailed } from './user-function-error.ts';

/**
 * Emits reader records into the chain: sets the chain's element context (timestamp)
 * and calls the head's output directly. One instance per source operator.
 */
class SourceReaderOutput<T> implements ReaderOutput<T> {
  private readonly output: Output<T>;
  private readonly element: ElementContext;

  constructor(output: Output<T>, element: ElementContext) {
    this.output = output;
    this.element = element;
  }

  collect(record: T, timestamp?: number): void {
    if (timestamp === undefined) {
      this.element.hasTimestamp = false;
    } else {
      this.element.hasTimestamp = true;
      this.element.timestamp = timestamp;
    }
    this.output.collect(record);
  }

  emitWatermark(watermark: number): void {
    if (watermark <= this.element.currentWatermark) return;
    this.element.currentWatermark = watermark;
    this.output.emitWatermark(watermark);
  }
}

/**
 * Emits reader records through the source's watermark strategy: timestamps from its
 * assigner, watermarks from its generator (Flink's `SourceOutputWithWatermarks`); the
 * reader's own watermarks are dropped except the end of event time.
 */
class SourceOutputWithWatermarks<T> implements ReaderOutput<T> {
  readonly emitter: TimestampsAndWatermarks<T>;

  constructor(emitter: TimestampsAndWatermarks<T>) {
    this.emitter = emitter;
  }

  collect(record: T, timestamp?: number): void {
    this.emitter.collect(record, timestamp);
  }

  emitWatermark(watermark: number): void {
    this.emitter.upstreamWatermark(watermark);
  }

  /** Per-split watermarks (e.g. one generator per Kafka partition). */
  createOutputForSplit(splitId: string): ReaderOutput<T> {
    const split = this.emitter.createSplitOutput(splitId);
    return {
      collect: (record: T, timestamp?: number) => split.collect(record, timestamp),
      emitWatermark: (watermark: number) => this.emitter.upstreamWatermark(watermark),
    };
  }

  releaseOutputForSplit(splitId: string): void {
    this.emitter.releaseSplitOutput(splitId);
  }
}

/**
 * Head of a source chain: owns the subtask's {@link SourceReader} and pulls a batch
 * from it each time the task calls {@link emitNext} (Flink's `SourceOperator`).
 *
 * A bounded source emits the final watermark ({@link MAX_WATERMARK}) in `finish`, as
 * Flink does at the end of input, so that event-time operators downstream fire.
 *
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when the reader (user or connector code) throws
 * @remarks One instance per source subtask, owned by its task thread.
 */
export class SourceOperator<OUT> implements StreamOperator<OUT> {
  readonly operatorName: string;
  private readonly source: Source<OUT>;
  private readonly watermarkStrategy: WatermarkStrategy<OUT> | undefined;
  private readonly autoWatermarkIntervalMs: number;
  private reader: SourceReader<OUT> | undefined;
  private readerOutput!: ReaderOutput<OUT>;
  private emitter: TimestampsAndWatermarks<OUT> | undefined;
  private output!: Output<OUT>;
  private runtimeContext!: RuntimeContext;
  /** Operator state from a checkpoint, handed to the reader before it starts. */
  private restoredState: readonly unknown[] | undefined;
  /** The reader's last figures, kept for the task's final snapshot after close. */
  private closedSourceMetrics: SourceMetricsSnapshot | undefined;

  /**
   * @param operatorName - name for plans and errors (`Source: numbers`)
   * @param source - the declared source; each subtask creates its own reader
   * @param watermarkStrategy - timestamps and watermarks of the records (`fromSource`)
   * @param autoWatermarkIntervalMs - `pipeline.auto-watermark-interval` (ms)
   */
  constructor(
    operatorName: string,
    source: Source<OUT>,
    watermarkStrategy?: WatermarkStrategy<OUT>,
    autoWatermarkIntervalMs = 200,
  ) {
    this.operatorName = operatorName;
    this.source = source;
    this.watermarkStrategy = watermarkStrategy;
    this.autoWatermarkIntervalMs = autoWatermarkIntervalMs;
  }

  setup(parameters: StreamOperatorParameters<OUT>): void {
    this.output = parameters.output;
    this.runtimeContext = parameters.runtimeContext;
    const strategy = this.watermarkStrategy;
    if (
      strategy === undefined ||
      strategy.isNoOp() ||
      parameters.processingTimeService === undefined
    ) {
      this.readerOutput = new SourceReaderOutput(parameters.output, parameters.elementContext);
      return;
    }
    this.emitter = new TimestampsAndWatermarks(
      strategy,
      parameters.output,
      parameters.elementContext,
      parameters.processingTimeService,
      this.autoWatermarkIntervalMs,
    );
    this.readerOutput = new SourceOutputWithWatermarks(this.emitter);
  }

  /** Creates and starts this subtask's reader. */
  async open(): Promise<void> {
    const ctx = this.runtimeContext;
    try {
      this.reader = await this.source.createReader({
        subtaskIndex: ctx.subtaskIndex,
        parallelism: ctx.parallelism,
        taskName: ctx.taskName,
        operatorName: this.operatorName,
      });
      if (this.restoredState !== undefined) this.reader.restoreState?.(this.restoredState);
      await this.reader.start?.();
    } catch (error) {
      throw this.failed(error, 'open');
    }
    this.emitter?.start();
  }

  /**
   * Emits up to `maxRecords` records through the chain.
   *
   * @param maxRecords - batch size (≥ 1)
   * @returns the reader's status after the batch
   * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when the reader throws
   */
  emitNext(maxRecords: number): InputStatus {
    try {
      return this.reader!.pollNext(this.readerOutput, maxRecords);
    } catch (error) {
      throw this.failed(error, 'pollNext');
    }
  }

  /** Resolves when the reader may have data again. */
  getAvailableFuture(): Promise<void> {
    return this.reader!.isAvailable();
  }

  /**
   * The reader's own figures for the task's metrics snapshot (Flink's source metric
   * group), when the reader has a `snapshotMetrics()` — the Kafka source reports lag,
   * offsets per partition and records in errors. Called every metrics interval.
   */
  snapshotSourceMetrics(): SourceMetricsSnapshot | undefined {
    const reader = this.reader as { snapshotMetrics?: () => SourceMetricsSnapshot } | undefined;
    return reader === undefined ? this.closedSourceMetrics : reader.snapshotMetrics?.();
  }

  initializeState(operatorState: readonly unknown[]): void {
    this.restoredState = operatorState;
  }

  /** The reader's splits and positions (e.g. Kafka offsets) at the barrier. */
  snapshotState(checkpointId: number): readonly unknown[] | undefined {
    try {
      return this.reader?.snapshotState?.(checkpointId);
    } catch (error) {
      throw this.failed(error, 'snapshotState');
    }
  }

  async flushForCheckpoint(): Promise<void> {
    try {
      await this.reader?.flush?.();
    } catch (error) {
      throw this.failed(error, 'flush');
    }
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    try {
      await this.reader?.notifyCheckpointComplete?.(checkpointId);
    } catch (error) {
      throw this.failed(error, 'notifyCheckpointComplete');
    }
  }

  /** End of input: a bounded source emits the final watermark. */
  finish(): void {
    if (this.source.boundedness === 'BOUNDED') this.readerOutput.emitWatermark(MAX_WATERMARK);
  }

  async close(): Promise<void> {
    this.emitter?.stop();
    const reader = this.reader;
    if (reader !== undefined) this.closedSourceMetrics = this.snapshotSourceMetrics();
    this.reader = undefined;
    if (reader?.close === undefined) return;
    try {
      await reader.close();
    } catch (error) {
      throw this.failed(error, 'close');
    }
  }

  private failed(error: unknown, phase: string): SluiceError {
    return userFunctionFailed(error, this.runtimeContext, phase);
  }
}
