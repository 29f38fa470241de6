/**
 * Flink's `NetworkBufferPool.redistributeBuffers()`, as a pure function over the pool
 * table's figures: every pool gets its required segments, and the segments nobody
 * requires are shared out in proportion to how many more each pool could use
 * (`max − required`), never past its `max`.
 *
 * ```
 *   total 100, pools A(required 10, max 50), B(required 10, max 20), C(required 5, max 5)
 *   excess = 100 − 25 = 75; capacity = (50−10) + (20−10) + 0 = 50; distribute min(75, 50) = 50
 *   A = 10 + 40 = 50   B = 10 + 10 = 20   C = 5
 * ```
 *
 * Shares are cumulative floors (`⌊D × partsSoFar / capacity⌋ − handedOutSoFar`), so
 * they sum to exactly the segments distributed; as in Flink, each pool's part is
 * capped at the excess available, which also keeps the products far below 2^53.
 */

/** The figures of one registered pool that redistribution reads. */
export interface BufferPoolSizing {
  /** Segments the pool is guaranteed. */
  readonly required: number;
  /** Most segments the pool may own (≥ required). */
  readonly max: number;
}

/**
 * Computes the size of every pool.
 *
 * @param totalSegments - segments of the network buffer pool
 * @param pools - registered pools; `Σ required ≤ totalSegments`
 * @param out - receives the size of `pools[i]` at index `i`
 */
export function redistributeBuffers(
  totalSegments: number,
  pools: readonly BufferPoolSizing[],
  out: number[],
): void {
  let totalRequired = 0;
  for (const pool of pools) totalRequired += pool.required;
  const excess = Math.max(0, totalSegments - totalRequired);
  let totalCapacity = 0;
  for (const pool of pools) totalCapacity += Math.min(excess, pool.max - pool.required);
  const toDistribute = Math.min(excess, totalCapacity);
  let partsUsed = 0;
  let distributed = 0;
  for (let i = 0; i < pools.length; i++) {
    const pool = pools[i]!;
    const excessMax = Math.min(excess, pool.max - pool.required);
    if (excessMax === 0 || toDistribute === 0) {
      out[i] = pool.required;
      continue;
    }
    partsUsed += excessMax;
    const share = Math.floor((partsUsed * toDistribute) / totalCapacity) - distributed;
    distributed += share;
    out[i] = pool.required + share;
  }
}
