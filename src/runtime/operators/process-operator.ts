import type { ProcessFunction, ProcessFunctionContext, TimerService } from '../../api/functions.ts';
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
    const timerService: TimerService = {
      currentProcessingTime: () => Date.now(),
      currentWatermark: () => element.currentWatermark,
    };
    this.context = {
      timestamp: () => (element.hasTimestamp ? element.timestamp : undefined),
      timerService: () => timerService,
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
