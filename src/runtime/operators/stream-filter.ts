import type { FilterFunction } from '../../api/functions.ts';
import { AbstractUdfStreamOperator } from './abstract-udf-stream-operator.ts';

/**
 * Forwards the records for which a {@link FilterFunction} returns `true` (Flink's
 * `StreamFilter`). The record object itself is forwarded (object reuse).
 *
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when the filter function throws
 * @remarks One instance per subtask, owned by its task thread.
 */
export class StreamFilter<T> extends AbstractUdfStreamOperator<T, T, FilterFunction<T>> {
  processElement(record: T): void {
    let keep: boolean;
    try {
      keep = this.userFunction.filter(record);
    } catch (error) {
      throw this.failed(error, 'filter');
    }
    if (keep) this.output.collect(record);
  }
}
