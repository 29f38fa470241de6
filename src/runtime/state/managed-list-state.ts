import type { TypeSerializer } from '../../types/type-serializer.ts';
import { AbstractManagedState, TTL_PREFIX_BYTES } from './abstract-managed-state.ts';
import type { InternalAppendingState, ListState } from './keyed-state.ts';
import type { ManagedKeyedStateBackend } from './managed-keyed-state-backend.ts';
import { NULL_ADDRESS } from './managed-memory-arena.ts';
import type { ListStateDescriptor } from './state-descriptor.ts';

/**
 * A {@link ListState} in managed memory (Flink's `HeapListState`): one entry per (key,
 * namespace) whose value is the concatenation of the serialized elements.
 *
 * ```
 *  value: [ttl?][element 0][element 1]...[element n−1]   (self-delimiting serializers)
 * ```
 *
 * `add` serializes the element and appends its bytes (inline while they fit, then in
 * blobs of doubling size: amortised O(1), no read of the list). `get` deserializes the
 * whole list. With a TTL the whole list expires together, renewed by every `add`
 * (Flink expires elements one by one). The window operator's state for `process`.
 *
 * @remarks Owned by the task thread of its backend.
 */
export class ManagedListState<N, V>
  extends AbstractManagedState<N>
  implements ListState<V>, InternalAppendingState<N, V, V[]>
{
  private readonly serializer: TypeSerializer<V>;

  /**
   * @param backend - the backend
   * @param stateId - id from `registerState`
   * @param descriptor - name, element serializer, TTL
   * @param namespaceSerializer - serializer of namespaces; `undefined` for none
   */
  constructor(
    backend: ManagedKeyedStateBackend,
    stateId: number,
    descriptor: ListStateDescriptor<V>,
    namespaceSerializer: TypeSerializer<N> | undefined,
  ) {
    super(backend, stateId, descriptor, namespaceSerializer);
    this.serializer = descriptor.elementSerializer;
  }

  /** The elements, or an empty array. */
  get(): V[] {
    const entry = this.findEntry();
    return entry === NULL_ADDRESS ? [] : this.readAll(entry);
  }

  /** The elements, or `undefined` when the list is empty (the window operator's view). */
  getOrUndefined(): V[] | undefined {
    const entry = this.findEntry();
    return entry === NULL_ADDRESS ? undefined : this.readAll(entry);
  }

  add(value: V): void {
    const backend = this.backend;
    const entry = this.findEntry();
    const out = backend.scratch;
    out.clear();
    if (entry === NULL_ADDRESS) {
      if (this.ttlBytes !== 0) out.writeFloat64(backend.clock());
      this.serializer.serialize(value, out);
      this.storeBytes(NULL_ADDRESS, out.getSharedBuffer(), out.length());
      return;
    }
    this.serializer.serialize(value, out);
    backend.values.append(entry, out.getSharedBuffer(), out.length());
    if (this.ttlBytes !== 0) this.writeTimestamp(entry, backend.clock());
  }

  addAll(values: Iterable<V>): void {
    for (const value of values) this.add(value);
  }

  update(values: Iterable<V>): void {
    this.clear();
    this.addAll(values);
  }

  mergeNamespaces(target: N, sources: readonly N[]): void {
    const chunks: Uint8Array[] = [];
    for (const source of sources) {
      this.setCurrentNamespace(source);
      const entry = this.findEntry();
      if (entry === NULL_ADDRESS) continue;
      const length = this.backend.values.open(entry) - this.ttlBytes;
      const input = this.backend.values.input;
      if (this.ttlBytes !== 0) input.skipBytesToRead(TTL_PREFIX_BYTES);
      chunks.push(input.readBytes(length));
      this.removeEntry(entry);
    }
    this.setCurrentNamespace(target);
    const backend = this.backend;
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      const entry = this.findEntry();
      if (entry !== NULL_ADDRESS) {
        backend.values.append(entry, chunk, chunk.length);
        continue;
      }
      const out = backend.scratch;
      out.clear();
      if (this.ttlBytes !== 0) out.writeFloat64(backend.clock());
      out.write(chunk);
      this.storeBytes(NULL_ADDRESS, out.getSharedBuffer(), out.length());
    }
  }

  private readAll(entry: number): V[] {
    const values = this.backend.values;
    values.open(entry);
    const input = values.input;
    if (this.ttlBytes !== 0) input.skipBytesToRead(TTL_PREFIX_BYTES);
    const result: V[] = [];
    const serializer = this.serializer;
    while (input.available() > 0) result.push(serializer.deserialize(input));
    return result;
  }
}
