import type { ValueState } from './keyed-state.ts';
import {
  type ManagedKeyedStateBackend,
  NUMBER_KEY_CACHE_SLOTS,
} from './managed-keyed-state-backend.ts';
import { NULL_ADDRESS } from './managed-memory-arena.ts';
import { E_AUX } from './state-entry-layout.ts';

const EMPTY = new Uint8Array(0);

/**
 * The untyped value state of `KeyedStateBackend.getValueState(name)`, used by the
 * rolling aggregations (`keyBy(...).reduce/sum/min/max`), whose records have no
 * declared serializer: the key's entry is in managed memory, the value stays a
 * JavaScript object referenced from a slot (the entry's AUX word), so records are kept
 * by reference as before. Declare a `ValueStateDescriptor` with a serializer to keep
 * values in managed memory. Snapshots write the objects as JSON.
 *
 * @remarks Owned by the task thread of its backend.
 */
export class ObjectValueState<V> implements ValueState<V> {
  readonly stateId: number;
  private readonly backend: ManagedKeyedStateBackend;
  private cachedEntry = NULL_ADDRESS;
  private cachedKeyVersion = -1;
  private cachedMutations = -1;
  /**
   * Number key → entry cache (direct-mapped like the backend's key cache): a slot is
   * valid while its stamp equals the backend's `removals` (entries never move while
   * none is freed). NaN marks an empty slot.
   */
  private readonly entryKeys = new Float64Array(NUMBER_KEY_CACHE_SLOTS).fill(Number.NaN);
  private readonly entryAddresses = new Uint32Array(NUMBER_KEY_CACHE_SLOTS);
  private readonly entryStamps = new Int32Array(NUMBER_KEY_CACHE_SLOTS);

  /**
   * @param backend - the backend
   * @param stateId - id from `registerState`
   */
  constructor(backend: ManagedKeyedStateBackend, stateId: number) {
    this.backend = backend;
    this.stateId = stateId;
  }

  /**
   * The current key's entry, or 0. The last result is reused while the key and the
   * tables did not change: `value()` then `update()` (the rolling aggregations) cost
   * one hash lookup; for number keys, entries found are cached by key until an entry
   * is freed, so a key seen before costs no hash lookup at all.
   */
  private lookup(): number {
    const backend = this.backend;
    if (
      this.cachedKeyVersion === backend.keyVersion &&
      this.cachedMutations === backend.mutations &&
      backend.keyGroup >= 0
    ) {
      return this.cachedEntry;
    }
    const key = backend.currentNumberKey;
    let entry: number;
    if (!Number.isNaN(key) && backend.keyGroup >= 0) {
      // A number key (NaN is never one: the backend stores NaN for "not a number key").
      const slot = (key | 0) & (NUMBER_KEY_CACHE_SLOTS - 1);
      const removals = backend.removals;
      if (this.entryKeys[slot] === key && this.entryStamps[slot] === removals) {
        entry = this.entryAddresses[slot]!;
      } else {
        entry = backend.find(this.stateId, EMPTY, 0, 0);
        if (entry !== NULL_ADDRESS) {
          this.entryKeys[slot] = key;
          this.entryAddresses[slot] = entry;
          this.entryStamps[slot] = removals;
        }
      }
    } else {
      entry = backend.find(this.stateId, EMPTY, 0, 0);
    }
    this.cachedEntry = entry;
    this.cachedKeyVersion = backend.keyVersion;
    this.cachedMutations = backend.mutations;
    return entry;
  }

  value(): V | undefined {
    const entry = this.lookup();
    if (entry === NULL_ADDRESS) return undefined;
    return this.backend.objects[this.backend.arena.u32[(entry >>> 2) + E_AUX]!] as V;
  }

  /** @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when the key's entry cannot be stored */
  update(value: V): void {
    if (value === undefined || value === null) {
      this.clear();
      return;
    }
    const backend = this.backend;
    const entry = this.lookup();
    if (entry !== NULL_ADDRESS) {
      backend.objects[backend.arena.u32[(entry >>> 2) + E_AUX]!] = value;
      return;
    }
    const created = backend.insert(this.stateId, EMPTY, 0, 0, 0);
    backend.arena.u32[(created >>> 2) + E_AUX] = backend.allocateObjectSlot(value);
  }

  clear(): void {
    const backend = this.backend;
    const entry = this.lookup();
    if (entry === NULL_ADDRESS) return;
    backend.freeObjectSlot(backend.arena.u32[(entry >>> 2) + E_AUX]!);
    backend.remove(entry);
  }
}
