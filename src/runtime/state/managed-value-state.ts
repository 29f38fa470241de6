import type { TypeSerializer } from '../../types/type-serializer.ts';
import { AbstractManagedState } from './abstract-managed-state.ts';
import type { ValueState } from './keyed-state.ts';
import type { ManagedKeyedStateBackend } from './managed-keyed-state-backend.ts';
import { NULL_ADDRESS } from './managed-memory-arena.ts';
import type { ValueStateDescriptor } from './state-descriptor.ts';

/**
 * A {@link ValueState} in managed memory (Flink's `HeapValueState`): one entry per (key,
 * namespace) holding the serialized value. With a fixed-length serializer (numbers,
 * fixed rows) a read is one hash lookup and an in-place read, a write one lookup and an
 * in-place write: no allocation.
 *
 * @remarks Owned by the task thread of its backend.
 */
export class ManagedValueState<N, V> extends AbstractManagedState<N> implements ValueState<V> {
  private readonly serializer: TypeSerializer<V>;
  private readonly defaultValue: V | undefined;

  /**
   * @param backend - the backend
   * @param stateId - id from `registerState`
   * @param descriptor - name, serializer, default value, TTL
   * @param namespaceSerializer - serializer of namespaces; `undefined` for none
   */
  constructor(
    backend: ManagedKeyedStateBackend,
    stateId: number,
    descriptor: ValueStateDescriptor<V>,
    namespaceSerializer: TypeSerializer<N> | undefined,
  ) {
    super(backend, stateId, descriptor, namespaceSerializer);
    this.serializer = descriptor.serializer;
    this.defaultValue = descriptor.defaultValue;
  }

  value(): V | undefined {
    const entry = this.findEntry();
    if (entry === NULL_ADDRESS) return this.defaultValue;
    return this.readValue(entry, this.serializer);
  }

  /** @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED, or the serializer's errors for a bad value */
  update(value: V): void {
    if (value === undefined || value === null) {
      this.clear();
      return;
    }
    this.writeValue(this.lookup(), value, this.serializer);
  }
}
