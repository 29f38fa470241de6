import type { MapFunction } from '../../api/functions.ts';
import { AbstractUdfStreamOperator } from './abstract-udf-stream-operator.ts';

/**
 * Applies a {@link MapFunction} to every record (Flink's `StreamMap`).
 *
 * Per record: one call of the user function, one call of the output; nothing allocated
 * by the operator itself.
 *
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when the map function throws
 * @remarks One instance per subtask, owned by its task thread.
 */
export class StreamMap<IN, OUT> extends AbstractUdfStreamOperator<IN, OUT, MapFunction<IN, OUT>> {
  processElement(record: IN): void {
    let result: OUT;
    try {
      result = this.userFunction.map(record);
    } catch (error) {
      throw this.failed(error, 'map');
    }
    this.output.collect(result);
  }
}
