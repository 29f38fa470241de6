/**
 * Keyed state in JavaScript `Map`s on the V8 heap (Flink's `HeapKeyedStateBackend`,
 * without key-group partitioning or snapshots yet).
 *
 * Primitive keys are used as `Map` keys directly (no allocation). Composite keys
 * (arrays) are not equal by identity, so they are turned into one canonical string
 * per record — one allocation per record for array keys only.
 *
 * This backend is a stand-in: keyed state in managed memory (serialized keys and
 * values in segments, partitioned by key group) replaces it in a later issue behind
 * the same {@link KeyedStateBackend} interface.
 *
 * @remarks Owned by one task thread; one instance per keyed operator instance.
 */

import type { Key, KeyPrimitive } from '../../../api/functions.ts';
import type { KeyedStateBackend, ValueState } from './keyed-state-backend.ts';

/** A `Map` key for a Sluice {@link Key}: the key itself, or a canonical string for arrays. */
export function toMapKey(key: Key): KeyPrimitive {
  if (!Array.isArray(key)) return key as KeyPrimitive;
  let out = '\u0000[';
  for (let i = 0; i < key.length; i++) {
    const part = key[i] as KeyPrimitive;
    // Tag each part with its type so that [1] and ['1'] stay different keys.
    out += `${typeof part}:${String(part).length}:${String(part)};`;
  }
  return out;
}

class HeapValueState<V> implements ValueState<V> {
  readonly values = new Map<KeyPrimitive, V>();
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
  currentMapKey: KeyPrimitive = '';
  private currentKey: Key = '';
  private readonly states = new Map<string, HeapValueState<unknown>>();

  setCurrentKey(key: Key): void {
    this.currentKey = key;
    this.currentMapKey = typeof key === 'object' ? toMapKey(key) : key;
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
    const keys = new Set<KeyPrimitive>();
    for (const state of this.states.values()) for (const key of state.values.keys()) keys.add(key);
    return keys.size;
  }

  dispose(): void {
    this.states.clear();
  }
}
