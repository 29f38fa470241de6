import { describe, expect, it } from 'vitest';
import { MAX_SEGMENTS_UNBOUNDED } from '../../../src/network/buffer-pool-layout.ts';
import {
  type BufferPoolSizing,
  redistributeBuffers,
} from '../../../src/network/buffer-redistribution.ts';

function sizes(total: number, pools: BufferPoolSizing[]): number[] {
  const out: number[] = [];
  redistributeBuffers(total, pools, out);
  return out;
}

describe('redistributeBuffers (Flink NetworkBufferPool.redistributeBuffers)', () => {
  it('gives each pool its required segments plus a share of the excess proportional to max − required', () => {
    expect(
      sizes(100, [
        { required: 10, max: 50 },
        { required: 10, max: 20 },
        { required: 5, max: 5 },
      ]),
    ).toEqual([50, 20, 5]);
    // excess 60; capacities 90 and 30, each capped at the excess as Flink does: 60 : 30
    expect(
      sizes(80, [
        { required: 10, max: 100 },
        { required: 10, max: 40 },
      ]),
    ).toEqual([50, 30]);
  });

  it('hands out exactly the excess, never more than the total', () => {
    const pools = [
      { required: 1, max: 8 },
      { required: 2, max: 9 },
      { required: 3, max: 10 },
    ];
    for (let total = 6; total < 40; total++) {
      const out = sizes(total, pools);
      expect(out.reduce((a, b) => a + b, 0)).toBe(Math.min(total, 27));
      out.forEach((size, i) => {
        expect(size).toBeGreaterThanOrEqual(pools[i]!.required);
        expect(size).toBeLessThanOrEqual(pools[i]!.max);
      });
    }
  });

  it('splits unbounded pools evenly without overflowing', () => {
    const unbounded = { required: 1, max: MAX_SEGMENTS_UNBOUNDED };
    expect(sizes(2048, [unbounded, unbounded])).toEqual([1024, 1024]);
    expect(sizes(7, [unbounded, unbounded, { required: 2, max: 2 }])).toEqual([2, 3, 2]);
  });

  it('gives required only when nothing is left over', () => {
    expect(
      sizes(10, [
        { required: 4, max: 10 },
        { required: 6, max: 10 },
      ]),
    ).toEqual([4, 6]);
    expect(sizes(10, [])).toEqual([]);
  });
});
