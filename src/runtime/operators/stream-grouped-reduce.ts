import type { Key, KeySelector, ReduceFunction } from '../../api/functions.ts';
import { SluiceError } from '../../errors.ts';
import { AbstractUdfStreamOperator } from './abstract-udf-stream-operator.ts';
import type { ValueState } from './state/keyed-state-backend.ts';

/** Name of the value state the rolling reduce keeps per key. */
export const REDUCE_STATE_NAME = '_op_state';

/**
 * Rolling reduce per key (Flink's `StreamGroupedReduceOperator`): keeps the latest
 * aggregate of every key in a {@link ValueState} and emits the new aggregate for every
 * input record. The first record of a key is stored and emitted as it is. `sum`, `min`,
 * `max`, `minBy` and `maxBy` are reduce functions run by this operator.
 *
 * Per record: the key selector, one state read, the reduce function, one state write.
 * Records kept in state are held by reference (object reuse): functions must not
 * mutate records.
 *
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when the key selector or reduce function throws
 * @remarks One instance per subtask, owned by its task thread; needs a keyed state backend.
 */
export class StreamGroupedReduce<T, K extends Key> extends AbstractUdfStreamOperator<
  T,
  T,
  ReduceFunction<T>
> {
  private readonly keySelector: KeySelector<T, K>;
  private state!: ValueState<T>;

  /**
   * @param operatorName - name for plans and errors
   * @param reduceFunction - combines the aggregate with the next record of the same key
   * @param keySelector - the key selector of the `keyBy` before this operator
   */
  constructor(
    operatorName: string,
    reduceFunction: ReduceFunction<T>,
    keySelector: KeySelector<T, K>,
  ) {
    super(operatorName, reduceFunction);
    this.keySelector = keySelector;
  }

  override async open(): Promise<void> {
    if (this.keyedStateBackend === undefined) {
      throw new SluiceError(
        `operator "${this.operatorName}" needs keyed state but got no keyed state backend; it must follow keyBy()`,
      );
    }
    this.state = this.keyedStateBackend.getValueState<T>(REDUCE_STATE_NAME);
    await super.open();
  }

  processElement(record: T): void {
    let result: T;
    try {
      const key = this.keySelector.getKey(record);
      this.keyedStateBackend!.setCurrentKey(key);
      const current = this.state.value();
      result = current === undefined ? record : this.userFunction.reduce(current, record);
    } catch (error) {
      throw this.failed(error, 'reduce');
    }
    this.state.update(result);
    this.output.collect(result);
  }
}
