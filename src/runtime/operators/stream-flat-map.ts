import type { FlatMapFunction } from '../../api/functions.ts';
import { AbstractUdfStreamOperator } from './abstract-udf-stream-operator.ts';

/**
 * Calls a {@link FlatMapFunction} per record with the operator's output as collector
 * (Flink's `StreamFlatMap`): every record the function emits goes straight to the next
 * operator, carrying the input record's timestamp.
 *
 * The next operators run inside the user call; a coded error they raise passes through
 * unchanged and is not blamed on the flat map.
 *
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when the flat-map function throws
 * @remarks One instance per subtask, owned by its task thread.
 */
export class StreamFlatMap<IN, OUT> extends AbstractUdfStreamOperator<
  IN,
  OUT,
  FlatMapFunction<IN, OUT>
> {
  processElement(record: IN): void {
    try {
      this.userFunction.flatMap(record, this.output);
    } catch (error) {
      throw this.failed(error, 'flatMap');
    }
  }
}
