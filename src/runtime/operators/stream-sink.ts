import type { Sink, SinkWriter, SinkWriterElementContext } from '../../api/connector/sink.ts';
import type { RuntimeContext } from '../../api/functions.ts';
import type { SluiceError } from '../../errors.ts';
import {
  AVAILABLE,
  type AvailabilityProvider,
  type OneInputStreamOperator,
  type StreamOperatorParameters,
} from './stream-operator.ts';
import { userFunctionFailed } from './user-function-error.ts';

/**
 * Hands every record to the subtask's {@link SinkWriter} (Flink's `SinkWriterOperator`,
 * formerly `StreamSink`). The writer's optional availability signal becomes the
 * operator's, so a full writer pauses the task instead of blocking it.
 *
 * Lifecycle: `open` creates the writer, `finish` flushes it with `endOfInput = true`,
 * `close` closes it.
 *
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when the writer throws
 * @remarks One instance per sink subtask, owned by its task thread.
 */
export class StreamSink<T> implements OneInputStreamOperator<T, unknown>, AvailabilityProvider {
  readonly operatorName: string;
  private readonly sink: Sink<T>;
  private writer: SinkWriter<T> | undefined;
  private runtimeContext!: RuntimeContext;
  private parameters!: StreamOperatorParameters<unknown>;
  private writeContext!: SinkWriterElementContext;

  /**
   * @param operatorName - name for plans and errors (`Sink: Print to Std. Out`)
   * @param sink - the declared sink; each subtask creates its own writer
   */
  constructor(operatorName: string, sink: Sink<T>) {
    this.operatorName = operatorName;
    this.sink = sink;
  }

  setup(parameters: StreamOperatorParameters<unknown>): void {
    this.parameters = parameters;
    this.runtimeContext = parameters.runtimeContext;
    const element = parameters.elementContext;
    this.writeContext = {
      timestamp: () => (element.hasTimestamp ? element.timestamp : undefined),
      currentWatermark: () => element.currentWatermark,
    };
  }

  async open(): Promise<void> {
    const ctx = this.runtimeContext;
    const gateway = this.parameters.operatorEventGateway;
    try {
      this.writer = await this.sink.createWriter({
        subtaskIndex: ctx.subtaskIndex,
        parallelism: ctx.parallelism,
        taskName: ctx.taskName,
        sendEventToCoordinator: (event) => gateway.sendEventToCoordinator(event),
      });
    } catch (error) {
      throw this.failed(error, 'createWriter');
    }
  }

  processElement(record: T): void {
    try {
      this.writer!.write(record, this.writeContext);
    } catch (error) {
      throw this.failed(error, 'write');
    }
  }

  /** Sinks end the watermark's path: nothing to forward. */
  processWatermark(_watermark: number): void {}

  isAvailable(): boolean {
    const writer = this.writer;
    return writer?.isAvailable === undefined || writer.isAvailable();
  }

  getAvailableFuture(): Promise<void> {
    return this.writer?.getAvailableFuture?.() ?? AVAILABLE;
  }

  async finish(): Promise<void> {
    try {
      await this.writer?.flush(true);
    } catch (error) {
      throw this.failed(error, 'flush');
    }
  }

  /** At a checkpoint barrier: everything written so far (`flush(false)`), per guarantee. */
  async flushForCheckpoint(): Promise<void> {
    try {
      await this.writer?.flush(false);
    } catch (error) {
      throw this.failed(error, 'flush');
    }
  }

  async close(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    if (writer === undefined) return;
    try {
      await writer.close();
    } catch (error) {
      throw this.failed(error, 'close');
    }
  }

  private failed(error: unknown, phase: string): SluiceError {
    return userFunctionFailed(error, this.runtimeContext, phase);
  }
}
