import { afterEach, describe, expect, it } from 'vitest';
import { MemoryManager } from '../../../../src/memory/memory-manager.ts';
import { ManagedKeyedStateBackend } from '../../../../src/runtime/state/managed-keyed-state-backend.ts';
import { ValueStateDescriptor } from '../../../../src/runtime/state/state-descriptor.ts';
import {
  computeKeyGroupForKeyHash,
  computeKeyGroupRangeForOperatorIndex,
} from '../../../../src/types/key-group-range-assignment.ts';
import {
  hashKey,
  hashKeyBytes,
  serializeKey,
  writeNumberKey,
} from '../../../../src/types/key-serializer.ts';
import { Float64Serializer } from '../../../../src/types/primitive-serializers.ts';

const managers: MemoryManager[] = [];

function backendOf(maxParallelism = 128, subtask = 0, parallelism = 1): ManagedKeyedStateBackend {
  const memoryManager = new MemoryManager({
    memorySizeBytes: 8 * 2 ** 20,
    pageSizeBytes: 32 * 1024,
  });
  managers.push(memoryManager);
  return new ManagedKeyedStateBackend({
    memoryManager,
    owner: `fast-${managers.length}`,
    maxParallelism,
    keyGroupRange: computeKeyGroupRangeForOperatorIndex(maxParallelism, parallelism, subtask),
    description: 'test operator',
  });
}

/** The backend's current key is `n` with exactly the general path's bytes, hash and key group. */
function expectGeneralPathKey(backend: ManagedKeyedStateBackend, n: number): void {
  const bytes = backend.keyBytes.slice(0, backend.keyLength);
  expect(bytes).toEqual(serializeKey(n));
  expect(backend.keyHash).toBe(hashKeyBytes(bytes));
  expect(backend.keyGroup).toBe(computeKeyGroupForKeyHash(backend.keyHash, 128));
  expect(Object.is(backend.getCurrentKey(), n)).toBe(true);
}

afterEach(() => {
  for (const m of managers.splice(0)) m.releaseAll();
});

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  1023,
  2 ** 31,
  -(2 ** 53),
  Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
];

describe('number keys in keyed state (fast path)', () => {
  it('writes exactly the bytes of serializeKey and hashes as hashKeyBytes', () => {
    const target = new Uint8Array(12);
    for (const n of [...NUMBERS, ...Array.from({ length: 200 }, (_, i) => i * 7919 - 3e5)]) {
      expect(writeNumberKey(n, target, 2)).toBe(hashKeyBytes(serializeKey(n)));
      expect(target.subarray(2, 11)).toEqual(serializeKey(n));
      expect(hashKey(n)).toBe(hashKeyBytes(serializeKey(n)));
    }
  });

  it('selects the same key bytes, hash and key group as the general path (a number in a tuple cannot take it)', () => {
    const backend = backendOf();
    for (const n of NUMBERS) {
      backend.setCurrentKey(n);
      expectGeneralPathKey(backend, n);
    }
  });

  it("gives the general path's bytes, hash and key group for keys served by the number-key cache", () => {
    const backend = backendOf();
    // Keys sharing cache slots (the low 12 bits), repeated in changing order: the second
    // and third passes are served by the cache, or replace a slot's key.
    const colliding = [5, 5 + 4096, 5 - 4096, 5.5, 5 + 2 ** 32, -4091];
    const keys = [...NUMBERS, ...colliding];
    for (const pass of [keys, [...keys].reverse(), keys]) {
      for (const n of pass) {
        backend.setCurrentKey(n);
        backend.setCurrentKey('a string in between'); // the next number is not "the same key again"
        backend.setCurrentKey(n);
        expectGeneralPathKey(backend, n);
      }
    }
  });

  it('never serves a cached entry of a removed key, even when its memory went to another key', () => {
    const backend = backendOf();
    const state = backend.getValueState<string>('agg');
    backend.setCurrentKey(5);
    state.update('five');
    backend.setCurrentKey(7);
    state.update('seven');
    backend.setCurrentKey(5);
    expect(state.value()).toBe('five'); // now cached by key
    state.clear(); // frees the entry of 5
    backend.setCurrentKey(5 + 4096); // same cache slot; its entry may reuse the freed memory
    state.update('five plus 4096');
    backend.setCurrentKey(5);
    expect(state.value()).toBeUndefined();
    backend.setCurrentKey(5 + 4096);
    expect(state.value()).toBe('five plus 4096');
    backend.setCurrentKey(7); // cached before the removal: looked up again, still right
    expect(state.value()).toBe('seven');
    backend.setCurrentKey(5);
    state.update('five again');
    backend.setCurrentKey(5 + 4096);
    expect(state.value()).toBe('five plus 4096');
    backend.setCurrentKey(5);
    expect(state.value()).toBe('five again');
    expect(backend.numKeys()).toBe(3);
  });

  it('keeps the values of number keys apart from equal-looking keys of other types', () => {
    const backend = backendOf();
    const state = backend.getValueState<string>('agg');
    const keys = [1, '1', 1n, true, [1], 0, -0, Number.NaN];
    for (const key of keys) {
      backend.setCurrentKey(key);
      state.update(`v:${typeof key}:${String(key)}`);
    }
    // 0 and -0 are one key (as in the general encoding); NaN is one key.
    backend.setCurrentKey(0);
    expect(state.value()).toBe('v:number:0');
    backend.setCurrentKey(Number.NaN);
    expect(state.value()).toBe('v:number:NaN');
    backend.setCurrentKey(1);
    expect(state.value()).toBe('v:number:1');
    backend.setCurrentKey('1');
    expect(state.value()).toBe('v:string:1');
    backend.setCurrentKey(1n);
    expect(state.value()).toBe('v:bigint:1');
    backend.setCurrentKey([1]);
    expect(state.value()).toBe('v:object:1');
    expect(backend.numKeys()).toBe(keys.length - 1);
  });

  it('gives the same results as a plain map under many colliding keys, repeated keys and clears', () => {
    // 64 key groups and 20,000 keys: hundreds of keys per table, the same key often
    // twice in a row (the cached lookup), interleaved with a typed state.
    const backend = backendOf(64);
    const objects = backend.getValueState<number[]>('objects');
    const typed = backend.getState(new ValueStateDescriptor('typed', Float64Serializer.INSTANCE));
    const expected = new Map<number, number>();
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let i = 0; i < 60_000; i++) {
      const key = (next() % 20_000) - 10_000 + (i % 3 === 0 ? 0.25 : 0);
      for (let repeat = 0; repeat < 1 + (i % 2); repeat++) {
        backend.setCurrentKey(key);
        if (i % 97 === 0) {
          objects.clear();
          typed.clear();
          expected.delete(key);
          continue;
        }
        const current = objects.value();
        const sum = (current?.[0] ?? 0) + 1;
        objects.update([sum]);
        typed.update(sum * 2);
        expected.set(key, sum);
      }
    }
    for (const [key, sum] of expected) {
      backend.setCurrentKey(key);
      expect(objects.value()).toEqual([sum]);
      expect(typed.value()).toBe(sum * 2);
    }
    backend.setCurrentKey(123_456.5);
    expect(objects.value()).toBeUndefined();
    expect(backend.numKeys()).toBe(expected.size);
  });

  it('routes a number of another subtask to a RangeError, and the next key still works', () => {
    const backend = backendOf(128, 0, 2); // key groups 0-63
    let outside = 0;
    while (computeKeyGroupForKeyHash(hashKey(outside), 128) <= 63) outside++;
    let inside = 0;
    while (computeKeyGroupForKeyHash(hashKey(inside), 128) > 63) inside++;
    const state = backend.getValueState<number>('v');
    backend.setCurrentKey(inside);
    state.update(1);
    expect(() => backend.setCurrentKey(outside)).toThrow(RangeError);
    backend.setCurrentKey(inside);
    expect(state.value()).toBe(1);
  });
});
