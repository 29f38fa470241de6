import type { OneInputStreamOperator, Output } from './stream-operator.ts';

/**
 * Output that calls the next operator of the chain directly (Flink's `ChainingOutput`
 * with object reuse): no copy, no queue, no allocation — the record object the upstream
 * operator emitted is the one the downstream operator receives.
 *
 * @remarks Owned by the chain's task thread.
 */
export class ChainingOutput<T> implements Output<T> {
  /** Records handed to the next operator (its `numRecordsIn`); a plain counter. */
  numRecordsIn = 0;
  private readonly operator: OneInputStreamOperator<T, unknown>;

  /** @param operator - the chained downstream operator */
  constructor(operator: OneInputStreamOperator<T, unknown>) {
    this.operator = operator;
  }

  collect(record: T): void {
    this.numRecordsIn++;
    this.operator.processElement(record);
  }

  emitWatermark(watermark: number): void {
    this.operator.processWatermark(watermark);
  }

  emitWatermarkStatus(idle: boolean): void {
    this.operator.processWatermarkStatus?.(idle);
  }
}
