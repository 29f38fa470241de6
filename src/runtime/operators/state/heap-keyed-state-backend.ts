/**
 * Keyed state in JavaScript `Map`s on the V8 heap (Flink's `HeapKeyedStateBackend`,
 * without key-group partitioning or snapshots yet).
 *
 * Primitive keys are used as `Map` keys directly (no allocation). Composite keys
 * (arrays) and byte-string keys are not equal by identity, so they are turned into
 * the latin1 string of their serialized bytes (`src/types`' `serializeKey`, the same
 * encoding the state backend in managed memory will use) — an allocation per record
 * for those keys only.
 *
 * Operators no longer get this backend: `OperatorChain` uses the managed-memory
 * `ManagedKeyedStateBackend` (`src/runtime/state/`). It stays as a minimal reference
 * implementation of the {@link KeyedStateBackend} contract for operator tests.
 *
 * @remarks Owned by one task thread; one instance per keyed operator instance.
 */

import type { Key } from '../../../api/functions.ts';
import { serializeKey } from '../../../types/key-serializer.ts';
import type { KeyedStateBackend, ValueState } from './keyed-state-backend.ts';

/** What a {@link Key} becomes as a `Map` key. */
type MapKey = string | number | bigint | boolean;

/**
 * A `Map` key for a Sluice {@link Key}: the key itself when primitive, else the latin1
 * string of its serialized bytes, prefixed with a NUL so it cannot equal a string key.
 */
export function toMapKey(key: Key): MapKey {
  if (typeof key !== 'object') return key;
  const bytes = serializeKey(key);
  return `\u0000${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')}`;
}

class HeapValueState<V> implements ValueState<V> {
  readonly values = new Map<MapKey, V>();
  private readonly backend: HeapKeyedStateBackend;

  constructor(backend: HeapKeyedStateBackend) {
    this.backend = backend;
  }

  value(): V | undefined {
    return this.values.get(this.backend.currentMapKey);
  }

  update(value: V): void {
    this.values.set(this.backend.currentMapKey, value);
  }

  clear(): void {
    this.values.delete(this.backend.currentMapKey);
  }
}

/**
 * A {@link KeyedStateBackend} over `Map`s; state is lost when the task ends.
 *
 * @remarks Owned by the task thread of its operator.
 */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  /** `Map` key of the current key; read by the state handles. */
  currentMapKey: MapKey = '';
  private currentKey: Key = '';
  private readonly states = new Map<string, HeapValueState<unknown>>();

  setCurrentKey(key: Key): void {
    this.currentKey = key;
    this.currentMapKey = typeof key === 'object' ? toMapKey(key) : (key as MapKey);
  }

  getCurrentKey(): Key {
    return this.currentKey;
  }

  getValueState<V>(name: string): ValueState<V> {
    let state = this.states.get(name);
    if (state === undefined) {
      state = new HeapValueState<unknown>(this);
      this.states.set(name, state);
    }
    return state as ValueState<V>;
  }

  numKeys(): number {
    const keys = new Set<MapKey>();
    for (const state of this.states.values()) for (const key of state.values.keys()) keys.add(key);
    return keys.size;
  }

  dispose(): void {
    this.states.clear();
  }
}
