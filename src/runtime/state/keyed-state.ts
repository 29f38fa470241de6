/**
 * The keyed-state handles user functions and operators program against (Flink's
 * `org.apache.flink.api.common.state`). A handle is obtained once (in `open`) and is
 * scoped to the operator's *current key* — set by the runtime before every record and
 * timer — and, inside the runtime, to a *current namespace* (the window).
 *
 * ```
 *   processElement(r):  runtime sets current key = key(r)
 *                       count.value()          ← value of key(r)
 *                       count.update(n + 1)    → value of key(r)
 * ```
 *
 * Values are serialized into managed memory on every write and deserialized on every
 * read: a handle never returns an object that aliases the stored state, and mutating a
 * returned object changes nothing until it is written back.
 */

/** A single value per key (Flink's `ValueState`). */
export interface ValueState<V> {
  /** The current key's value, or the descriptor's default (`undefined` without one). */
  value(): V | undefined;
  /** Sets the current key's value; `undefined` or `null` clears it. */
  update(value: V): void;
  /** Removes the current key's value. */
  clear(): void;
}

/** A list of values per key (Flink's `ListState`); `add` is an append, O(1) amortised. */
export interface ListState<V> {
  /** The current key's elements in insertion order; an empty array when there are none. */
  get(): V[];
  /** Appends one element. */
  add(value: V): void;
  /** Appends several elements. */
  addAll(values: Iterable<V>): void;
  /** Replaces the list (an empty iterable clears it). */
  update(values: Iterable<V>): void;
  /** Removes the current key's list. */
  clear(): void;
}

/** A map per key (Flink's `MapState`); each entry is stored and looked up on its own. */
export interface MapState<UK, UV> {
  /** The value of `key`, or `undefined`. */
  get(key: UK): UV | undefined;
  /** Sets the value of `key`. */
  put(key: UK, value: UV): void;
  /** Sets every entry of `entries`. */
  putAll(entries: Iterable<readonly [UK, UV]>): void;
  /** Removes `key`. */
  remove(key: UK): void;
  /** Whether `key` has a value. */
  contains(key: UK): boolean;
  /** The entries, in insertion order of their keys (a snapshot: later puts are not seen). */
  entries(): [UK, UV][];
  /** The keys (a snapshot). */
  keys(): UK[];
  /** The values (a snapshot). */
  values(): UV[];
  /** Whether the current key's map is empty. */
  isEmpty(): boolean;
  /** Removes every entry of the current key's map. */
  clear(): void;
}

/** A value per key that `add` folds new values into (Flink's `ReducingState`). */
export interface ReducingState<V> {
  /** The reduced value, or `undefined` when nothing was added. */
  get(): V | undefined;
  /** Reduces `value` into the stored value (stores it when there is none). */
  add(value: V): void;
  /** Removes the current key's value. */
  clear(): void;
}

/** An accumulator per key (Flink's `AggregatingState`). */
export interface AggregatingState<IN, OUT> {
  /** `getResult` of the accumulator, or `undefined` when nothing was added. */
  get(): OUT | undefined;
  /** Adds `value` to the accumulator (creating it first when there is none). */
  add(value: IN): void;
  /** Removes the current key's accumulator. */
  clear(): void;
}

/**
 * Runtime view of a state with namespaces (Flink's `InternalKvState`): the window
 * operator scopes its states to a window with {@link setCurrentNamespace}.
 */
export interface InternalKvState<N> {
  /** Scopes the state to `namespace` (for the current key) until the next call. */
  setCurrentNamespace(namespace: N): void;
}

/**
 * A state whose contents can be merged across namespaces (Flink's
 * `InternalMergingState`): session windows merge the state of merged windows.
 */
export interface InternalMergingState<N> extends InternalKvState<N> {
  /**
   * Folds the state of every `sources` namespace into `target` and clears the sources
   * (for the current key).
   */
  mergeNamespaces(target: N, sources: readonly N[]): void;
}

/** A state the window operator appends to and reads whole (Flink's `InternalAppendingState`). */
export interface InternalAppendingState<N, IN, OUT> extends InternalMergingState<N> {
  /** Adds a record to the current (key, namespace). */
  add(value: IN): void;
  /** The contents of the current (key, namespace), or `undefined` when empty. */
  get(): OUT | undefined;
  /** Removes the contents of the current (key, namespace). */
  clear(): void;
}
