import { describe, expect, it } from 'vitest';
import {
  assignKeyToParallelOperator,
  assignToKeyGroup,
  checkParallelismPreconditions,
  computeDefaultMaxParallelism,
  computeKeyGroupForKeyHash,
  computeKeyGroupRangeForOperatorIndex,
  computeOperatorIndexForKeyGroup,
  DEFAULT_LOWER_BOUND_MAX_PARALLELISM,
  KeyGroupRangeAssignment,
  UPPER_BOUND_MAX_PARALLELISM,
} from '../../../src/types/key-group-range-assignment.ts';
import { hashKey } from '../../../src/types/key-serializer.ts';
import { bitMix, murmurHash } from '../../../src/types/murmur-hash.ts';

/**
 * Flink's `MathUtils.murmurHash(int)`, transcribed with BigInt and explicit 32-bit
 * wrap-around (Java `int` semantics), independently of the implementation under test.
 */
function referenceMurmurHash(code: number): number {
  const int = (x: bigint) => BigInt.asIntN(32, x);
  const rotl = (x: bigint, r: bigint) => int((x << r) | (BigInt.asUintN(32, x) >> (32n - r)));
  const ushr = (x: bigint, r: bigint) => BigInt.asUintN(32, x) >> r;
  let c = int(BigInt(code));
  c = int(c * 0xcc9e2d51n);
  c = rotl(c, 15n);
  c = int(c * 0x1b873593n);
  c = rotl(c, 13n);
  c = int(c * 5n + 0xe6546b64n);
  c = int(c ^ 4n);
  c = int(c ^ ushr(c, 16n));
  c = int(c * 0x85ebca6bn);
  c = int(c ^ ushr(c, 13n));
  c = int(c * 0xc2b2ae35n);
  c = int(c ^ ushr(c, 16n));
  if (c >= 0n) return Number(c);
  if (c !== -(2n ** 31n)) return Number(-c);
  return 0;
}

describe('murmurHash (Flink MathUtils.murmurHash)', () => {
  it('matches a BigInt transcription of Flink for edge and random ints', () => {
    const codes = [0, 1, -1, 42, 127, 128, 2147483647, -2147483648, 0x12345678, -0x12345678];
    for (let i = 0; i < 2000; i++) codes.push((Math.random() * 2 ** 32) | 0);
    for (const code of codes)
      expect(murmurHash(code), String(code)).toBe(referenceMurmurHash(code));
  });

  it('gives the hand-checked values of the formula', () => {
    // murmurHash(k) % 128 is the key group of a Flink Integer key k with the default
    // max parallelism (Integer.hashCode() = k).
    expect(murmurHash(0)).toBe(593689054);
    expect(murmurHash(1)).toBe(68075478);
    expect(murmurHash(42)).toBe(1134849565);
    expect(murmurHash(-1)).toBe(1982413648);
    expect(computeKeyGroupForKeyHash(0, 128)).toBe(94);
    expect(computeKeyGroupForKeyHash(1, 128)).toBe(86);
    expect(computeKeyGroupForKeyHash(42, 128)).toBe(29);
    expect(computeKeyGroupForKeyHash(-1, 128)).toBe(80);
    expect(computeKeyGroupForKeyHash(-2147483648, 128)).toBe(108);
    expect(bitMix(0)).toBe(0);
  });
});

describe('key group → operator index', () => {
  it('follows keyGroup × parallelism / maxParallelism (integer division)', () => {
    expect(computeOperatorIndexForKeyGroup(128, 3, 0)).toBe(0);
    expect(computeOperatorIndexForKeyGroup(128, 3, 42)).toBe(0); // 126 / 128
    expect(computeOperatorIndexForKeyGroup(128, 3, 43)).toBe(1); // 129 / 128
    expect(computeOperatorIndexForKeyGroup(128, 3, 85)).toBe(1); // 255 / 128
    expect(computeOperatorIndexForKeyGroup(128, 3, 86)).toBe(2); // 258 / 128
    expect(computeOperatorIndexForKeyGroup(128, 3, 127)).toBe(2);
    expect(computeOperatorIndexForKeyGroup(32768, 32768, 32767)).toBe(32767);
  });

  it('key group ranges partition [0, maxParallelism) and agree with the operator index', () => {
    for (const maxParallelism of [1, 7, 128, 1000]) {
      for (let parallelism = 1; parallelism <= Math.min(maxParallelism, 40); parallelism++) {
        let next = 0;
        for (let op = 0; op < parallelism; op++) {
          const range = computeKeyGroupRangeForOperatorIndex(maxParallelism, parallelism, op);
          expect(range.startKeyGroup).toBe(next);
          for (let kg = range.startKeyGroup; kg <= range.endKeyGroup; kg++)
            expect(computeOperatorIndexForKeyGroup(maxParallelism, parallelism, kg)).toBe(op);
          next = range.endKeyGroup + 1;
        }
        expect(next).toBe(maxParallelism);
      }
    }
    expect(computeKeyGroupRangeForOperatorIndex(128, 3, 1)).toEqual({
      startKeyGroup: 43,
      endKeyGroup: 85,
    });
  });

  it('assigns keys through hashKey, deterministically and evenly', () => {
    const counts = new Array(128).fill(0);
    for (let k = 0; k < 64_000; k++) {
      const kg = assignToKeyGroup(k, 128);
      expect(kg).toBe(computeKeyGroupForKeyHash(hashKey(k), 128));
      counts[kg]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(350); // mean 500
    for (const c of counts) expect(c).toBeLessThan(650);
    expect(assignKeyToParallelOperator('user-1', 128, 4)).toBe(1);
    expect(assignKeyToParallelOperator(42, 128, 4)).toBe(3);
    expect(assignKeyToParallelOperator([1, 'a'], 128, 4)).toBe(0);
    expect(KeyGroupRangeAssignment.assignKeyToParallelOperator(42, 128, 4)).toBe(3);
  });

  it('computes Flink default max parallelism and validates pipeline.max-parallelism', () => {
    expect(DEFAULT_LOWER_BOUND_MAX_PARALLELISM).toBe(128);
    expect(UPPER_BOUND_MAX_PARALLELISM).toBe(32768);
    expect(computeDefaultMaxParallelism(1)).toBe(128);
    expect(computeDefaultMaxParallelism(100)).toBe(256);
    expect(computeDefaultMaxParallelism(1000)).toBe(2048);
    expect(computeDefaultMaxParallelism(30_000)).toBe(32768);
    expect(() => checkParallelismPreconditions(128, 128)).not.toThrow();
    for (const [max, p] of [
      [0, undefined],
      [32769, undefined],
      [1.5, undefined],
      [128, 129],
      [128, 0],
    ] as const) {
      expect(() => checkParallelismPreconditions(max, p)).toThrowError(
        expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }),
      );
    }
    expect(() => checkParallelismPreconditions(0)).toThrowError(/pipeline\.max-parallelism = 0/);
  });
});
