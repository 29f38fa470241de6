import type { Output } from './stream-operator.ts';

/**
 * Output of an operator with several downstream consumers (Flink's
 * `BroadcastingOutputCollector`): every record and watermark goes to each output in
 * turn. With object reuse the same record object reaches every consumer, so
 * consumers must not mutate it.
 *
 * @remarks Owned by the chain's task thread.
 */
export class BroadcastingOutputCollector<T> implements Output<T> {
  private readonly outputs: readonly Output<T>[];

  /** @param outputs - the outputs, in the order of the operator's out edges */
  constructor(outputs: readonly Output<T>[]) {
    this.outputs = outputs;
  }

  collect(record: T): void {
    const outputs = this.outputs;
    for (let i = 0; i < outputs.length; i++) outputs[i]!.collect(record);
  }

  emitWatermark(watermark: number): void {
    const outputs = this.outputs;
    for (let i = 0; i < outputs.length; i++) outputs[i]!.emitWatermark(watermark);
  }

  emitWatermarkStatus(idle: boolean): void {
    const outputs = this.outputs;
    for (let i = 0; i < outputs.length; i++) outputs[i]!.emitWatermarkStatus?.(idle);
  }
}

/** Output of an operator whose stream is not consumed: records are dropped. */
export const DISCARDING_OUTPUT: Output<unknown> = {
  collect(_record: unknown): void {},
  emitWatermark(_watermark: number): void {},
  emitWatermarkStatus(_idle: boolean): void {},
};
