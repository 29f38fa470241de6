import type { WatermarkGenerator, WatermarkOutput } from '../../api/watermark-strategy.ts';
import { MIN_WATERMARK } from '../operators/stream-operator.ts';

/**
 * Watermarks that trail the highest timestamp seen by a fixed bound (Flink's
 * `BoundedOutOfOrdernessWatermarks`): on every periodic emit, watermark = highest
 * timestamp − bound − 1. A record at most `bound` ms older than the highest timestamp
 * seen before it is therefore never late.
 *
 * @remarks One per subtask, owned by its task thread.
 */
export class BoundedOutOfOrdernessWatermarks<T> implements WatermarkGenerator<T> {
  private maxTimestamp: number;
  private readonly outOfOrdernessMs: number;

  /** @param outOfOrdernessMs - the bound (ms, ≥ 0) */
  constructor(outOfOrdernessMs: number) {
    this.outOfOrdernessMs = outOfOrdernessMs;
    this.maxTimestamp = MIN_WATERMARK + outOfOrdernessMs + 1;
  }

  onEvent(_event: T, eventTimestamp: number, _output: WatermarkOutput): void {
    if (eventTimestamp > this.maxTimestamp) this.maxTimestamp = eventTimestamp;
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    output.emitWatermark(this.maxTimestamp - this.outOfOrdernessMs - 1);
  }
}
