import type { RuntimeContext } from '../../api/functions.ts';
import type { WatermarkStrategy } from '../../api/watermark-strategy.ts';
import type { SluiceError } from '../../errors.ts';
import type {
  ElementContext,
  OneInputStreamOperator,
  OperatorMetrics,
  Output,
  StreamOperatorParameters,
} from '../operators/stream-operator.ts';
import { SystemProcessingTimeService } from '../operators/timers/processing-time-service.ts';
import { userFunctionFailed } from '../operators/user-function-error.ts';
import { TimestampsAndWatermarks } from './timestamps-and-watermarks.ts';

/**
 * The operator of `DataStream.assignTimestampsAndWatermarks(strategy)` (Flink's
 * `TimestampsAndWatermarksOperator`): sets each record's event timestamp and emits the
 * strategy's watermarks (see {@link TimestampsAndWatermarks}). It replaces the
 * watermarks of its input: upstream watermarks and statuses are dropped, except the
 * end of event time, which a bounded input sends when it ends.
 *
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when the timestamp assigner or generator throws
 * @remarks One instance per subtask, owned by its task thread.
 */
export class TimestampsAndWatermarksOperator<T> implements OneInputStreamOperator<T, T> {
  readonly operatorName: string;
  private readonly strategy: WatermarkStrategy<T>;
  private readonly autoWatermarkIntervalMs: number;
  private emitter!: TimestampsAndWatermarks<T>;
  private element!: ElementContext;
  private runtimeContext!: RuntimeContext;
  private inputWatermark = Number.MIN_SAFE_INTEGER;

  /**
   * @param operatorName - name for plans and errors
   * @param strategy - the watermark strategy
   * @param autoWatermarkIntervalMs - `pipeline.auto-watermark-interval` (ms)
   */
  constructor(
    operatorName: string,
    strategy: WatermarkStrategy<T>,
    autoWatermarkIntervalMs: number,
  ) {
    this.operatorName = operatorName;
    this.strategy = strategy;
    this.autoWatermarkIntervalMs = autoWatermarkIntervalMs;
  }

  setup(parameters: StreamOperatorParameters<T>): void {
    this.element = parameters.elementContext;
    this.runtimeContext = parameters.runtimeContext;
    const timeService =
      parameters.processingTimeService ??
      new SystemProcessingTimeService({
        onError: (error) => {
          throw error;
        },
      });
    const output: Output<T> = parameters.output;
    this.emitter = new TimestampsAndWatermarks(
      this.strategy,
      output,
      parameters.elementContext,
      timeService,
      this.autoWatermarkIntervalMs,
    );
  }

  open(): void {
    this.emitter.start();
  }

  processElement(record: T): void {
    const element = this.element;
    try {
      this.emitter.collect(record, element.hasTimestamp ? element.timestamp : undefined);
    } catch (error) {
      throw this.failed(error, 'extractTimestamp');
    }
  }

  processWatermark(watermark: number): void {
    this.inputWatermark = watermark;
    this.emitter.upstreamWatermark(watermark);
  }

  processWatermarkStatus(_idle: boolean): void {}

  /** Emits a last periodic watermark, then stops periodic emission (Flink's `finish`). */
  finish(): void {
    try {
      this.emitter.onPeriodicEmit();
    } catch (error) {
      throw this.failed(error, 'onPeriodicEmit');
    }
    this.emitter.stop();
  }

  close(): void {
    this.emitter.stop();
  }

  getMetrics(): OperatorMetrics {
    return {
      currentInputWatermark: this.inputWatermark,
      currentOutputWatermark: this.emitter.currentWatermark,
    };
  }

  private failed(error: unknown, phase: string): SluiceError {
    return userFunctionFailed(error, this.runtimeContext, phase);
  }
}
