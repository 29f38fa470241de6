import { BoundedOutOfOrdernessWatermarks } from './bounded-out-of-orderness-watermarks.ts';

/**
 * Watermarks for ascending timestamps (Flink's `AscendingTimestampsWatermarks`): bounded
 * out-of-orderness with a bound of 0, so watermark = highest timestamp − 1.
 *
 * @remarks One per subtask, owned by its task thread.
 */
export class AscendingTimestampsWatermarks<T> extends BoundedOutOfOrdernessWatermarks<T> {
  constructor() {
    super(0);
  }
}
