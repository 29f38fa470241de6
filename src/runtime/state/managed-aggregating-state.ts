import type { AggregateFunction } from '../../api/functions.ts';
import type { TypeSerializer } from '../../types/type-serializer.ts';
import { AbstractManagedState } from './abstract-managed-state.ts';
import type { AggregatingState, InternalAppendingState } from './keyed-state.ts';
import type { ManagedKeyedStateBackend } from './managed-keyed-state-backend.ts';
import { NULL_ADDRESS } from './managed-memory-arena.ts';
import type { AggregatingStateDescriptor } from './state-descriptor.ts';

/**
 * An {@link AggregatingState} in managed memory (Flink's `HeapAggregatingState`): one
 * entry per (key, namespace) with the serialized accumulator. The window operator's
 * state for `aggregate`: a window holds one accumulator, never its records.
 *
 * @throws what the aggregate function throws, unchanged (the operator blames it)
 * @remarks Owned by the task thread of its backend.
 */
export class ManagedAggregatingState<N, IN, ACC, OUT>
  extends AbstractManagedState<N>
  implements AggregatingState<IN, OUT>, InternalAppendingState<N, IN, OUT>
{
  private readonly serializer: TypeSerializer<ACC>;
  private readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>;

  /**
   * @param backend - the backend
   * @param stateId - id from `registerState`
   * @param descriptor - name, aggregate function, accumulator serializer, TTL
   * @param namespaceSerializer - serializer of namespaces; `undefined` for none
   */
  constructor(
    backend: ManagedKeyedStateBackend,
    stateId: number,
    descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
    namespaceSerializer: TypeSerializer<N> | undefined,
  ) {
    super(backend, stateId, descriptor, namespaceSerializer);
    this.serializer = descriptor.accumulatorSerializer;
    this.aggregateFunction = descriptor.aggregateFunction;
  }

  get(): OUT | undefined {
    const entry = this.findEntry();
    if (entry === NULL_ADDRESS) return undefined;
    return this.aggregateFunction.getResult(this.readValue(entry, this.serializer));
  }

  /** The accumulator of the current (key, namespace), or `undefined`. */
  getAccumulator(): ACC | undefined {
    const entry = this.findEntry();
    return entry === NULL_ADDRESS ? undefined : this.readValue(entry, this.serializer);
  }

  add(value: IN): void {
    const entry = this.findEntry();
    const fn = this.aggregateFunction;
    const accumulator =
      entry === NULL_ADDRESS ? fn.createAccumulator() : this.readValue(entry, this.serializer);
    this.writeValue(entry, fn.add(value, accumulator), this.serializer);
  }

  mergeNamespaces(target: N, sources: readonly N[]): void {
    const fn = this.aggregateFunction;
    let merged: ACC | undefined;
    for (const source of sources) {
      this.setCurrentNamespace(source);
      const entry = this.findEntry();
      if (entry === NULL_ADDRESS) continue;
      const accumulator = this.readValue(entry, this.serializer);
      this.removeEntry(entry);
      merged = merged === undefined ? accumulator : fn.merge(merged, accumulator);
    }
    this.setCurrentNamespace(target);
    if (merged === undefined) return;
    const entry = this.findEntry();
    if (entry !== NULL_ADDRESS) merged = fn.merge(this.readValue(entry, this.serializer), merged);
    this.writeValue(entry, merged, this.serializer);
  }
}
