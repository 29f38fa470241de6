/**
 * Base class of operators that run a user function (Flink's `AbstractUdfStreamOperator`):
 * keeps the function, the output and the contexts, forwards the function's lifecycle
 * (`open(ctx)` / `close()` of a rich function), forwards watermarks, and turns what
 * the function throws into a coded {@link UserFunctionError}.
 *
 * Subclasses implement `processElement` with a `try` around the user call only; the
 * call to the next operator stays outside it, so each failure is blamed on the
 * operator whose function threw.
 */

import type { RichFunction, RuntimeContext } from '../../api/functions.ts';
import type { SluiceError } from '../../errors.ts';
import type { KeyedStateBackend } from './state/keyed-state-backend.ts';
import type {
  ElementContext,
  OneInputStreamOperator,
  Output,
  StreamOperatorParameters,
} from './stream-operator.ts';
import {
  type ProcessingTimeService,
  SystemProcessingTimeService,
} from './timers/processing-time-service.ts';
import { userFunctionFailed } from './user-function-error.ts';

const NO_SIDE_OUTPUTS: ReadonlyMap<string, Output<unknown>> = new Map();

/**
 * An operator with one input and a user function `F`.
 *
 * @remarks One instance per subtask, owned by its task thread.
 */
export abstract class AbstractUdfStreamOperator<IN, OUT, F extends RichFunction>
  implements OneInputStreamOperator<IN, OUT>
{
  readonly operatorName: string;
  /** The user function, in object form. */
  protected readonly userFunction: F;
  protected output!: Output<OUT>;
  protected runtimeContext!: RuntimeContext;
  protected elementContext!: ElementContext;
  protected keyedStateBackend: KeyedStateBackend | undefined;
  /** Outputs of the operator's side-output edges, by tag id. */
  protected sideOutputs: ReadonlyMap<string, Output<unknown>> = NO_SIDE_OUTPUTS;
  private processingTime: ProcessingTimeService | undefined;

  /**
   * @param operatorName - name for plans and errors
   * @param userFunction - the user function in object form
   */
  constructor(operatorName: string, userFunction: F) {
    this.operatorName = operatorName;
    this.userFunction = userFunction;
  }

  setup(parameters: StreamOperatorParameters<OUT>): void {
    this.output = parameters.output;
    this.runtimeContext = parameters.runtimeContext;
    this.elementContext = parameters.elementContext;
    this.keyedStateBackend = parameters.keyedStateBackend;
    this.sideOutputs = parameters.sideOutputs ?? NO_SIDE_OUTPUTS;
    this.processingTime = parameters.processingTimeService;
  }

  /**
   * The task's processing-time service; a system clock of the operator's own when the
   * task gave none (tests building operators by hand): its timer errors are rethrown.
   */
  protected get processingTimeService(): ProcessingTimeService {
    this.processingTime ??= new SystemProcessingTimeService({
      onError: (error) => {
        throw error;
      },
    });
    return this.processingTime;
  }

  /** Calls the function's `open(ctx)`, if it has one. */
  async open(): Promise<void> {
    if (typeof this.userFunction.open !== 'function') return;
    try {
      await this.userFunction.open(this.runtimeContext);
    } catch (error) {
      throw this.failed(error, 'open');
    }
  }

  finish(): void {}

  /** Calls the function's `close()`, if it has one. */
  async close(): Promise<void> {
    if (typeof this.userFunction.close !== 'function') return;
    try {
      await this.userFunction.close();
    } catch (error) {
      throw this.failed(error, 'close');
    }
  }

  abstract processElement(record: IN): void;

  /** Forwards the watermark unchanged. */
  processWatermark(watermark: number): void {
    this.output.emitWatermark(watermark);
  }

  /** Forwards the watermark status unchanged. */
  processWatermarkStatus(idle: boolean): void {
    this.output.emitWatermarkStatus?.(idle);
  }

  /** The coded error for a throw of the user function during `phase`. */
  protected failed(error: unknown, phase: string): SluiceError {
    return userFunctionFailed(error, this.runtimeContext, phase);
  }
}
