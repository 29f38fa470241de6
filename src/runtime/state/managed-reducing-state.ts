import type { ReduceFunction } from '../../api/functions.ts';
import type { TypeSerializer } from '../../types/type-serializer.ts';
import { AbstractManagedState } from './abstract-managed-state.ts';
import type { InternalAppendingState, ReducingState } from './keyed-state.ts';
import type { ManagedKeyedStateBackend } from './managed-keyed-state-backend.ts';
import { NULL_ADDRESS } from './managed-memory-arena.ts';
import type { ReducingStateDescriptor } from './state-descriptor.ts';

/**
 * A {@link ReducingState} in managed memory (Flink's `HeapReducingState`): one entry per
 * (key, namespace) with the reduced value; `add` reads it, reduces and writes it back in
 * one hash lookup. The window operator's state for `reduce`.
 *
 * @throws what the reduce function throws, unchanged (the operator blames it)
 * @remarks Owned by the task thread of its backend.
 */
export class ManagedReducingState<N, V>
  extends AbstractManagedState<N>
  implements ReducingState<V>, InternalAppendingState<N, V, V>
{
  private readonly serializer: TypeSerializer<V>;
  private readonly reduceFunction: ReduceFunction<V>;

  /**
   * @param backend - the backend
   * @param stateId - id from `registerState`
   * @param descriptor - name, reduce function, serializer, TTL
   * @param namespaceSerializer - serializer of namespaces; `undefined` for none
   */
  constructor(
    backend: ManagedKeyedStateBackend,
    stateId: number,
    descriptor: ReducingStateDescriptor<V>,
    namespaceSerializer: TypeSerializer<N> | undefined,
  ) {
    super(backend, stateId, descriptor, namespaceSerializer);
    this.serializer = descriptor.serializer;
    this.reduceFunction = descriptor.reduceFunction;
  }

  get(): V | undefined {
    const entry = this.findEntry();
    return entry === NULL_ADDRESS ? undefined : this.readValue(entry, this.serializer);
  }

  add(value: V): void {
    const entry = this.findEntry();
    const next =
      entry === NULL_ADDRESS
        ? value
        : this.reduceFunction.reduce(this.readValue(entry, this.serializer), value);
    this.writeValue(entry, next, this.serializer);
  }

  mergeNamespaces(target: N, sources: readonly N[]): void {
    let merged: V | undefined;
    for (const source of sources) {
      this.setCurrentNamespace(source);
      const entry = this.findEntry();
      if (entry === NULL_ADDRESS) continue;
      const value = this.readValue(entry, this.serializer);
      this.removeEntry(entry);
      merged = merged === undefined ? value : this.reduceFunction.reduce(merged, value);
    }
    this.setCurrentNamespace(target);
    if (merged === undefined) return;
    const entry = this.findEntry();
    if (entry !== NULL_ADDRESS) {
      merged = this.reduceFunction.reduce(this.readValue(entry, this.serializer), merged);
    }
    this.writeValue(entry, merged, this.serializer);
  }
}
