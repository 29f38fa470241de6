import { describe, expect, it } from 'vitest';
import { KeyGroupStreamPartitioner } from '../../../src/graph/stream-partitioner.ts';
import { assignKeyToParallelOperator } from '../../../src/types/key-group-range-assignment.ts';

describe('KeyGroupStreamPartitioner', () => {
  it('routes number keys through its cache exactly as the key-group assignment does', () => {
    const keys = [
      0,
      -0,
      1,
      -1,
      4096,
      8192, // same cache slot as 0 and 4096
      0.5,
      -2.75,
      2 ** 40,
      -(2 ** 53),
      Number.MAX_VALUE,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
    ];
    for (let i = 0; i < 20_000; i++) keys.push(Math.imul(i, 0x9e3779b1) >>> 18, i * 0.37 - 500);
    for (const channels of [1, 2, 3, 7]) {
      const partitioner = new KeyGroupStreamPartitioner<number, number>({ getKey: (k) => k }, 128);
      partitioner.setup(channels);
      // twice: the second pass reads what the first one cached
      for (let pass = 0; pass < 2; pass++) {
        for (const key of keys) {
          expect(partitioner.selectChannel(key), `key ${key}, ${channels} channels`).toBe(
            assignKeyToParallelOperator(key, 128, channels),
          );
        }
      }
    }
  });

  it('routes other keys without the cache, and names the operator when the key selector throws', () => {
    const partitioner = new KeyGroupStreamPartitioner<{ k: string }, string>(
      {
        getKey: (r) => {
          if (r.k === 'bad') throw new Error('no key');
          return r.k;
        },
      },
      128,
    );
    partitioner.targetOperatorName = 'Counter';
    partitioner.setup(4);
    for (const k of ['a', 'b', 'bidder-17']) {
      expect(partitioner.selectChannel({ k })).toBe(assignKeyToParallelOperator(k, 128, 4));
    }
    expect(() => partitioner.selectChannel({ k: 'bad' })).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_OPERATOR_FUNCTION_FAILED',
        message: expect.stringContaining('"Counter"'),
      }),
    );
  });
});
