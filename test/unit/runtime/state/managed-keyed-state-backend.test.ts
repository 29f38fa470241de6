import { afterEach, describe, expect, it } from 'vitest';
import { MemoryManager } from '../../../../src/memory/memory-manager.ts';
import {
  ManagedKeyedStateBackend,
  type ManagedKeyedStateBackendOptions,
} from '../../../../src/runtime/state/managed-keyed-state-backend.ts';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../../../../src/runtime/state/state-descriptor.ts';
import { JsonSerializer } from '../../../../src/types/json-serializer.ts';
import { computeKeyGroupRangeForOperatorIndex } from '../../../../src/types/key-group-range-assignment.ts';
import {
  Float64Serializer,
  Int64Serializer,
  StringSerializer,
} from '../../../../src/types/primitive-serializers.ts';

const managers: MemoryManager[] = [];

function backendOf(
  options: Partial<ManagedKeyedStateBackendOptions> & { memoryBytes?: number } = {},
) {
  const memoryManager =
    options.memoryManager ??
    new MemoryManager({
      memorySizeBytes: options.memoryBytes ?? 16 * 2 ** 20,
      pageSizeBytes: 32 * 1024,
    });
  managers.push(memoryManager);
  return new ManagedKeyedStateBackend({
    memoryManager,
    owner: `test-${managers.length}`,
    maxParallelism: 128,
    keyGroupRange: { startKeyGroup: 0, endKeyGroup: 127 },
    description: 'test operator',
    ...options,
  });
}

afterEach(() => {
  for (const m of managers.splice(0)) m.releaseAll();
});

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ManagedKeyedStateBackend value state', () => {
  it('keeps one value per key in managed memory and matches a Map under random updates', () => {
    const backend = backendOf();
    const state = backend.getState(new ValueStateDescriptor('v', Float64Serializer.INSTANCE));
    const reference = new Map<number, number>();
    const next = random(7);
    for (let i = 0; i < 50_000; i++) {
      const key = Math.floor(next() * 5000);
      backend.setCurrentKey(key);
      const op = next();
      if (op < 0.1) {
        state.clear();
        reference.delete(key);
      } else {
        const value = (state.value() ?? 0) + 1;
        state.update(value);
        reference.set(key, value);
      }
    }
    for (let key = 0; key < 5000; key++) {
      backend.setCurrentKey(key);
      expect(state.value()).toBe(reference.get(key));
    }
    expect(backend.numKeys()).toBe(reference.size);
    expect(backend.stateSizeBytes()).toBeGreaterThan(reference.size * 40);
    expect(backend.managedMemoryBytes()).toBeGreaterThanOrEqual(backend.stateSizeBytes());
  });

  it('separates keys of every type and states of one key', () => {
    const backend = backendOf();
    const a = backend.getState(new ValueStateDescriptor('a', StringSerializer.INSTANCE));
    const b = backend.getState(new ValueStateDescriptor('b', StringSerializer.INSTANCE, 'none'));
    const keys = [1, '1', 1n, true, new Uint8Array([1]), ['1', 1], [1, '1']] as const;
    keys.forEach((key, i) => {
      backend.setCurrentKey(key);
      a.update(`a${i}`);
    });
    keys.forEach((key, i) => {
      backend.setCurrentKey(key);
      expect(a.value()).toBe(`a${i}`);
      expect(b.value()).toBe('none');
    });
    backend.setCurrentKey(['1', 1]);
    expect(backend.getCurrentKey()).toEqual(['1', 1]);
  });

  it('moves values that outgrow their entry to blobs and back', () => {
    const backend = backendOf();
    const state = backend.getState(new ValueStateDescriptor('s', StringSerializer.INSTANCE));
    backend.setCurrentKey('k');
    for (const size of [1, 10, 200, 5000, 100_000, 3, 70_000, 0]) {
      const value = 'x'.repeat(size) + size;
      state.update(value);
      expect(state.value()).toBe(value);
    }
    state.clear();
    expect(state.value()).toBeUndefined();
    expect(backend.numEntries()).toBe(0);
  });

  it('keeps JavaScript objects by reference in the untyped state of getValueState(name)', () => {
    const backend = backendOf();
    const state = backend.getValueState<{ n: bigint }>('legacy');
    const record = { n: 5n };
    backend.setCurrentKey('k');
    state.update(record);
    expect(state.value()).toBe(record);
    state.clear();
    expect(state.value()).toBeUndefined();
  });

  it('fails with a coded error naming taskmanager.memory.managed.size when memory runs out', () => {
    const backend = backendOf({ memoryBytes: 256 * 1024 });
    const state = backend.getState(new ValueStateDescriptor('v', Float64Serializer.INSTANCE));
    let error: unknown;
    let written = 0;
    try {
      for (let i = 0; i < 100_000; i++) {
        backend.setCurrentKey(i);
        state.update(i);
        written++;
      }
    } catch (e) {
      error = e;
    }
    expect((error as { code: string }).code).toBe('SLUICE_ERR_STATE_MEMORY_EXHAUSTED');
    expect((error as Error).message).toMatch(/taskmanager\.memory\.managed\.size/);
    expect((error as Error).message).toMatch(/test operator/);
    // What was written before is intact.
    for (let i = 0; i < written; i += 97) {
      backend.setCurrentKey(i);
      expect(state.value()).toBe(i);
    }
  });

  it('rejects one name registered as two kinds', () => {
    const backend = backendOf();
    backend.getState(new ValueStateDescriptor('x', Float64Serializer.INSTANCE));
    expect(() =>
      backend.getListState(new ListStateDescriptor('x', Float64Serializer.INSTANCE)),
    ).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_STATE_DESCRIPTOR_CONFLICT' }));
  });

  it('gives every page back on dispose', () => {
    const memoryManager = new MemoryManager({
      memorySizeBytes: 4 * 2 ** 20,
      pageSizeBytes: 32 * 1024,
    });
    const backend = backendOf({ memoryManager });
    const state = backend.getState(new ValueStateDescriptor('v', Int64Serializer.INSTANCE));
    for (let i = 0; i < 10_000; i++) {
      backend.setCurrentKey(i);
      state.update(i);
    }
    expect(memoryManager.getUsedMemoryBytes()).toBeGreaterThan(0);
    backend.dispose();
    expect(memoryManager.verifyEmpty()).toBe(true);
  });
});

describe('ManagedKeyedStateBackend list, map, reducing and aggregating state', () => {
  it('appends to lists in O(1) across blobs and reads them back in order', () => {
    const backend = backendOf();
    const list = backend.getListState(new ListStateDescriptor('l', Int64Serializer.INSTANCE));
    backend.setCurrentKey('big');
    for (let i = 0; i < 20_000; i++) list.add(i);
    backend.setCurrentKey('small');
    list.addAll([1, 2, 3]);
    backend.setCurrentKey('big');
    const values = list.get();
    expect(values.length).toBe(20_000);
    expect(values[0]).toBe(0);
    expect(values[19_999]).toBe(19_999);
    expect(values.every((v, i) => v === i)).toBe(true);
    backend.setCurrentKey('small');
    expect(list.get()).toEqual([1, 2, 3]);
    list.update([7]);
    expect(list.get()).toEqual([7]);
    list.update([]);
    expect(list.get()).toEqual([]);
  });

  it('stores map entries one by one and iterates them in insertion order', () => {
    const backend = backendOf();
    const map = backend.getMapState(
      new MapStateDescriptor('m', StringSerializer.INSTANCE, Float64Serializer.INSTANCE),
    );
    const reference = new Map<string, Map<string, number>>();
    const next = random(11);
    for (let i = 0; i < 20_000; i++) {
      const key = `k${Math.floor(next() * 50)}`;
      const userKey = `u${Math.floor(next() * 40)}`;
      backend.setCurrentKey(key);
      const ref = reference.get(key) ?? new Map<string, number>();
      reference.set(key, ref);
      if (next() < 0.2) {
        map.remove(userKey);
        ref.delete(userKey);
      } else {
        map.put(userKey, i);
        ref.set(userKey, i);
      }
    }
    for (const [key, ref] of reference) {
      backend.setCurrentKey(key);
      expect(new Map(map.entries())).toEqual(ref);
      expect(map.isEmpty()).toBe(ref.size === 0);
      for (const [uk, uv] of ref) expect(map.get(uk)).toBe(uv);
    }
    backend.setCurrentKey('k1');
    map.clear();
    expect(map.entries()).toEqual([]);
    map.put('a', 1);
    map.put('b', 2);
    map.put('c', 3);
    expect(map.keys()).toEqual(['a', 'b', 'c']);
    map.remove('b');
    expect(map.values()).toEqual([1, 3]);
    expect(map.contains('b')).toBe(false);
  });

  it('reduces and aggregates per namespace and merges namespaces', () => {
    const backend = backendOf();
    const sum = backend.createInternalState(
      new ReducingStateDescriptor<number>('sum', (a, b) => a + b, Float64Serializer.INSTANCE),
      StringSerializer.INSTANCE,
    );
    const avg = backend.createInternalState(
      new AggregatingStateDescriptor<number, { n: number; s: number }, number>(
        'avg',
        {
          createAccumulator: () => ({ n: 0, s: 0 }),
          add: (v, acc) => ({ n: acc.n + 1, s: acc.s + v }),
          getResult: (acc) => acc.s / acc.n,
          merge: (a, b) => ({ n: a.n + b.n, s: a.s + b.s }),
        },
        JsonSerializer.INSTANCE as JsonSerializer<{ n: number; s: number }>,
      ),
      StringSerializer.INSTANCE,
    );
    const list = backend.createInternalState(
      new ListStateDescriptor<number>('list', Float64Serializer.INSTANCE),
      StringSerializer.INSTANCE,
    );
    backend.setCurrentKey(1);
    for (const [ns, values] of [
      ['w1', [1, 2]],
      ['w2', [10]],
      ['w3', [100, 200, 300]],
    ] as const) {
      sum.setCurrentNamespace(ns);
      avg.setCurrentNamespace(ns);
      list.setCurrentNamespace(ns);
      for (const v of values) {
        sum.add(v);
        avg.add(v);
        list.add(v);
      }
    }
    sum.setCurrentNamespace('w2');
    expect(sum.get()).toBe(10);
    sum.mergeNamespaces('w1', ['w2', 'w3']);
    avg.mergeNamespaces('w1', ['w2', 'w3']);
    list.mergeNamespaces('w1', ['w2', 'w3']);
    sum.setCurrentNamespace('w1');
    avg.setCurrentNamespace('w1');
    list.setCurrentNamespace('w1');
    expect(sum.get()).toBe(613);
    expect(avg.get()).toBeCloseTo(613 / 6);
    expect(list.get()?.sort((a, b) => a - b)).toEqual([1, 2, 10, 100, 200, 300]);
    sum.setCurrentNamespace('w3');
    expect(sum.get()).toBeUndefined();
  });

  it('expires values after their TTL', () => {
    let now = 1000;
    const backend = backendOf({ clock: () => now });
    const state = backend.getState(
      new ValueStateDescriptor('v', Float64Serializer.INSTANCE).enableTimeToLive({ ttlMs: 100 }),
    );
    const map = backend.getMapState(
      new MapStateDescriptor(
        'm',
        StringSerializer.INSTANCE,
        StringSerializer.INSTANCE,
      ).enableTimeToLive({ ttlMs: 100, updateType: 'OnReadAndWrite' }),
    );
    backend.setCurrentKey('k');
    state.update(1);
    map.put('a', 'x');
    map.put('b', 'y');
    now = 1050;
    expect(state.value()).toBe(1);
    expect(map.get('a')).toBe('x'); // renews a
    now = 1120;
    expect(state.value()).toBeUndefined();
    expect(map.entries()).toEqual([['a', 'x']]);
    expect(backend.snapshot().keyGroups.size).toBe(128);
  });
});

describe('ManagedKeyedStateBackend snapshots', () => {
  it('restores key groups at another parallelism', () => {
    const source = backendOf();
    const value = new ValueStateDescriptor('v', Float64Serializer.INSTANCE);
    const list = new ListStateDescriptor('l', StringSerializer.INSTANCE);
    const map = new MapStateDescriptor('m', Int64Serializer.INSTANCE, StringSerializer.INSTANCE);
    const legacy = source.getValueState<{ k: number }>('legacy');
    for (let key = 0; key < 2000; key++) {
      source.setCurrentKey(key);
      source.getState(value).update(key * 2);
      source.getListState(list).addAll([`a${key}`, `b${key}`]);
      source.getMapState(map).put(key, `m${key}`);
      source.getMapState(map).put(key + 1, `n${key}`);
      legacy.update({ k: key });
    }
    const snapshot = source.snapshot();
    const restored = [0, 1, 2].map((index) => {
      const backend = backendOf({
        keyGroupRange: computeKeyGroupRangeForOperatorIndex(128, 3, index),
      });
      backend.restore([snapshot]);
      return backend;
    });
    expect(restored.reduce((n, b) => n + b.numKeys(), 0)).toBe(2000);
    for (let key = 0; key < 2000; key++) {
      const backend = restored.find((b) => {
        try {
          b.setCurrentKey(key);
          return true;
        } catch {
          return false;
        }
      })!;
      expect(backend.getState(value).value()).toBe(key * 2);
      expect(backend.getListState(list).get()).toEqual([`a${key}`, `b${key}`]);
      expect(new Map(backend.getMapState(map).entries())).toEqual(
        new Map([
          [key, `m${key}`],
          [key + 1, `n${key}`],
        ]),
      );
      expect(backend.getValueState<{ k: number }>('legacy').value()).toEqual({ k: key });
    }
  });

  it('rejects corrupt snapshots with a coded error', () => {
    const source = backendOf();
    source.setCurrentKey(1);
    source.getState(new ValueStateDescriptor('v', Float64Serializer.INSTANCE)).update(1);
    const snapshot = source.snapshot();
    const keyGroups = new Map(snapshot.keyGroups);
    for (const [kg, bytes] of keyGroups)
      if (bytes.length > 4) keyGroups.set(kg, bytes.subarray(0, 7));
    const target = backendOf();
    expect(() => target.restore([{ ...snapshot, keyGroups }])).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_STATE_SNAPSHOT_INVALID' }),
    );
  });
});

describe('ManagedKeyedStateBackend when memory runs out mid-value', () => {
  it('leaves a value whose blobs cannot be allocated as it was', () => {
    const backend = backendOf({ memoryBytes: 512 * 1024 });
    const state = backend.getState(new ValueStateDescriptor('s', StringSerializer.INSTANCE));
    const list = backend.getListState(new ListStateDescriptor('l', StringSerializer.INSTANCE));
    backend.setCurrentKey('k');
    state.update('small');
    list.addAll(['a', 'b']);
    const huge = 'x'.repeat(2 * 1024 * 1024);
    expect(() => state.update(huge)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_STATE_MEMORY_EXHAUSTED' }),
    );
    expect(() => list.add(huge)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_STATE_MEMORY_EXHAUSTED' }),
    );
    expect(state.value()).toBe('small');
    expect(list.get()).toEqual(['a', 'b']);
    // Large but fitting values still work afterwards (nothing leaked).
    for (let i = 0; i < 20; i++) {
      list.add('y'.repeat(5000));
      state.update('z'.repeat(60_000 + i));
    }
    expect(list.get().length).toBe(22);
    expect(state.value()!.length).toBe(60_019);
  });
});
