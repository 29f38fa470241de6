/**
 * Backpressure by availability instead of a promise per record: a component says
 * whether it can take work now ({@link AvailabilityProvider.isAvailable}, a plain
 * check on the hot path) and, only when it cannot, hands out one future that
 * resolves when it can ({@link AvailabilityProvider.getAvailableFuture}).
 *
 * ```ts
 * while (!pool.isAvailable()) await pool.getAvailableFuture();
 * ```
 *
 * A resolved future says "probably available now", not "guaranteed": callers re-check
 * (another requester may have been faster). Corresponds to Flink's
 * `AvailabilityProvider`.
 */
export interface AvailabilityProvider {
  /** Whether the component can take work now (no allocation, no await). */
  isAvailable(): boolean;
  /**
   * {@link AVAILABLE} when available, else a future that resolves when the component
   * may have become available; the same future until then.
   */
  getAvailableFuture(): Promise<void>;
}

/** The one already-resolved future returned by every available component. */
export const AVAILABLE: Promise<void> = Promise.resolve();
