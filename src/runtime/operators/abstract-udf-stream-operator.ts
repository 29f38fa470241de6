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
import { userFunctionFailed } from './user-function-error.ts';

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

  /** The coded error for a throw of the user function during `phase`. */
  protected failed(error: unknown, phase: string): SluiceError {
    return userFunctionFailed(error, this.runtimeContext, phase);
  }
}
