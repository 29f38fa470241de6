import { describe, expect, it } from 'vitest';
import {
  assignKeyToParallelOperator,
  assignToKeyGroup,
  computeKeyGroupForKeyHash,
  computeKeyGroupRangeForOperatorIndex,
  computeOperatorIndexForKeyGroup,
  hashKey,
  murmurHash,
} from '../../../src/graph/key-group-range-assignment.ts';

describe('key group assignment (Flink KeyGroupRangeAssignment)', () => {
  it('murmurHash matches Flink MathUtils.murmurHash', () => {
    // Values of Flink's MathUtils.murmurHash, from an independent transcription of the Java
    // code with explicit 32-bit wrap-around (and 68075478 as printed by a Java run for 1).
    expect(murmurHash(1)).toBe(68075478);
    expect(murmurHash(0)).toBe(593689054);
    expect(murmurHash(2)).toBe(1085422463);
    expect(murmurHash(99162322)).toBe(1715862179);
    for (const code of [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 123456789]) {
      const h = murmurHash(code);
      expect(Number.isInteger(h) && h >= 0 && h <= 2 ** 31 - 1).toBe(true);
    }
  });

  it('hashes keys as the matching Java hashCode()', () => {
    expect(hashKey('hello')).toBe(99162322); // "hello".hashCode()
    expect(hashKey('')).toBe(0);
    expect(hashKey(42)).toBe(42); // Integer.hashCode
    expect(hashKey(-7)).toBe(-7);
    expect(hashKey(2 ** 40)).toBe(256); // Long.hashCode(1L << 40)
    expect(hashKey(-(2 ** 40))).toBe(-256); // Long.hashCode(-(1L << 40)) = -256
    expect(hashKey(1.5)).toBe(0x3ff80000); // Double.hashCode(1.5)
    expect(hashKey(2n ** 40n)).toBe(256); // Long.hashCode
    expect(hashKey(-1n)).toBe(0); // Long.hashCode(-1L) = (int)(-1 ^ 0xffffffff) = 0
    expect(hashKey(true)).toBe(1231);
    expect(hashKey(false)).toBe(1237);
    // Tuple2("a", 1).hashCode() = 31 * "a".hashCode() + 1
    expect(hashKey(['a', 1])).toBe(31 * 97 + 1);
    expect(hashKey(-0)).toBe(hashKey(0));
  });

  it('rejects keys that are not primitives or arrays of primitives', () => {
    expect(() => hashKey({ a: 1 })).toThrow(/cannot hash a key of type object/);
    expect(() => hashKey(null)).toThrow(/type null/);
    expect(() => hashKey(undefined)).toThrow(/type undefined/);
  });

  it('assigns every key group to the subtask whose range holds it', () => {
    for (const [maxP, p] of [
      [128, 1],
      [128, 3],
      [128, 4],
      [10, 7],
      [32768, 5],
    ] as const) {
      let expectedStart = 0;
      for (let i = 0; i < p; i++) {
        const { startKeyGroup, endKeyGroup } = computeKeyGroupRangeForOperatorIndex(maxP, p, i);
        expect(startKeyGroup).toBe(expectedStart);
        expect(computeOperatorIndexForKeyGroup(maxP, p, startKeyGroup)).toBe(i);
        expect(computeOperatorIndexForKeyGroup(maxP, p, endKeyGroup)).toBe(i);
        expectedStart = endKeyGroup + 1;
      }
      expect(expectedStart).toBe(maxP);
    }
  });

  it('key group depends on max parallelism only; subtask follows from it', () => {
    const group = assignToKeyGroup('word', 128);
    expect(group).toBe(computeKeyGroupForKeyHash(hashKey('word'), 128));
    for (const p of [1, 2, 4, 8]) {
      expect(assignKeyToParallelOperator('word', 128, p)).toBe(Math.floor((group * p) / 128));
    }
  });
});
