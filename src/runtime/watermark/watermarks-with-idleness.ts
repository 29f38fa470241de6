import type { WatermarkGenerator, WatermarkOutput } from '../../api/watermark-strategy.ts';

/**
 * Wraps a generator so that the output is marked idle once no record arrived for the
 * idle timeout (Flink's `WatermarksWithIdleness` with its `IdlenessTimer`): on a periodic
 * emit, a stream without records since the previous emit starts an inactivity period;
 * when that period exceeds the timeout the output is marked idle instead of emitting a
 * watermark. The next record makes it active again (the output does that when the
 * record is emitted).
 *
 * ```
 *  records ─┬─┬──┬───────────────────────────────┬──
 *  periodic │ │  │  ·   ·   ·   ·   ·   ·   ·    │      (every auto-watermark-interval)
 *                   ^start of inactivity  ^ > timeout → markIdle()
 * ```
 *
 * @remarks One per subtask, owned by its task thread.
 */
export class WatermarksWithIdleness<T> implements WatermarkGenerator<T> {
  private readonly watermarks: WatermarkGenerator<T>;
  private readonly idleTimeoutMs: number;
  private readonly clock: () => number;
  private counter = 0;
  private lastCounter = 0;
  private startOfInactivityMs = 0;
  private inactive = false;

  /**
   * @param watermarks - the wrapped generator
   * @param idleTimeoutMs - inactivity after which the output is idle (ms, > 0)
   * @param clock - processing time (ms)
   */
  constructor(watermarks: WatermarkGenerator<T>, idleTimeoutMs: number, clock: () => number) {
    this.watermarks = watermarks;
    this.idleTimeoutMs = idleTimeoutMs;
    this.clock = clock;
  }

  onEvent(event: T, eventTimestamp: number, output: WatermarkOutput): void {
    this.watermarks.onEvent(event, eventTimestamp, output);
    this.counter++;
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.checkIfIdle()) output.markIdle();
    else this.watermarks.onPeriodicEmit(output);
  }

  private checkIfIdle(): boolean {
    if (this.counter !== this.lastCounter) {
      this.lastCounter = this.counter;
      this.inactive = false;
      return false;
    }
    const now = this.clock();
    if (!this.inactive) {
      this.inactive = true;
      this.startOfInactivityMs = now;
      return false;
    }
    return now - this.startOfInactivityMs >= this.idleTimeoutMs;
  }
}
