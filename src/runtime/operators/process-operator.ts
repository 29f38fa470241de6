import type { ProcessFunction, ProcessFunctionContext, TimerService } from '../../api/functions.ts';
import { InvalidApiUseError } from '../../api/invalid-api-use-error.ts';
import { AbstractUdfStreamOperator } from './abstract-udf-stream-operator.ts';
import type { StreamOperatorParameters } from './stream-operator.ts';

/**
 * Runs a {@link ProcessFunction} per record (Flink's `ProcessOperator`). The context
 * object handed to the function is built once per operator instance and reads the
 * chain's element context, so nothing is allocated per record.
 *
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when the process function throws
 * @remarks One instance per subtask, owned by its task thread.
 */
export class ProcessOperator<IN, OUT> extends AbstractUdfStreamOperator<
  IN,
  OUT,
  ProcessFunction<IN, OUT>
> {
  private context!: ProcessFunctionContext;

  override setup(parameters: StreamOperatorParameters<OUT>): void {
    super.setup(parameters);
    const element = parameters.elementContext;
    const noTimers = (): never => {
      throw new InvalidApiUseError(
        `timers need a keyed stream: operator "${this.operatorName}" runs a ProcessFunction on a non-keyed stream; use keyBy(...).process(...)`,
      );
    };
    const timerService: TimerService = {
      currentProcessingTime: () => Date.now(),
      currentWatermark: () => element.currentWatermark,
      registerEventTimeTimer: noTimers,
      registerProcessingTimeTimer: noTimers,
      deleteEventTimeTimer: noTimers,
      deleteProcessingTimeTimer: noTimers,
    };
    this.context = {
      timestamp: () => (element.hasTimestamp ? element.timestamp : undefined),
      timerService: () => timerService,
      output: (tag, value) => this.sideOutputs.get(tag.id)?.collect(value),
    };
  }

  processElement(record: IN): void {
    try {
      this.userFunction.processElement(record, this.context, this.output);
    } catch (error) {
      throw this.failed(error, 'processElement');
    }
  }
}
