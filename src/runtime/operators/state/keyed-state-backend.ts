/**
 * The keyed-state contract operators program against (Flink's `KeyedStateBackend`
 * and `ValueState`). `OperatorChain` gives every keyed operator a
 * `ManagedKeyedStateBackend` (`src/runtime/state/`, keyed state in managed memory),
 * which implements this contract and adds typed state, namespaces and timers.
 *
 * Keyed state is scoped by a *current key*: the operator sets it once per record
 * (`setCurrentKey`), then every state handle it holds reads and writes the value of
 * that key. Handles are obtained once, in `open`, never per record.
 *
 * ```
 *   processElement(r):  backend.setCurrentKey(key(r))
 *                       v = state.value()        ← value of key(r)
 *                       state.update(f(v, r))    → value of key(r)
 * ```
 */

import type { Key } from '../../../api/functions.ts';

/** Single value per key (Flink's `ValueState`). */
export interface ValueState<V> {
  /** Value of the current key, or `undefined` when it has none. */
  value(): V | undefined;
  /** Sets the value of the current key. */
  update(value: V): void;
  /** Removes the value of the current key. */
  clear(): void;
}

/**
 * Keyed state of one operator instance (one subtask).
 *
 * @remarks Owned by the task thread of its operator; not thread-safe.
 */
export interface KeyedStateBackend {
  /** Scopes every state handle of this backend to `key` until the next call. */
  setCurrentKey(key: Key): void;
  /** The key set by the last {@link setCurrentKey}. */
  getCurrentKey(): Key;
  /**
   * The value state called `name`, created on first use.
   *
   * @param name - state name, unique within the operator (Flink's state descriptor name)
   */
  getValueState<V>(name: string): ValueState<V>;
  /** Number of keys that have a value in any state (for tests and metrics). */
  numKeys(): number;
  /** Drops all state. */
  dispose(): void;
}
