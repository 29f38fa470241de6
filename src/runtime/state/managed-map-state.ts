import { DataInputDeserializer } from '../../types/data-input-deserializer.ts';
import { DataOutputSerializer } from '../../types/data-output-serializer.ts';
import { murmur3Hash32 } from '../../types/murmur-hash.ts';
import type { TypeSerializer } from '../../types/type-serializer.ts';
import { AbstractManagedState } from './abstract-managed-state.ts';
import { copyInto } from './entry-value-store.ts';
import { valueAddress } from './key-group-state-map.ts';
import type { MapState } from './keyed-state.ts';
import type { ManagedKeyedStateBackend } from './managed-keyed-state-backend.ts';
import { NULL_ADDRESS } from './managed-memory-arena.ts';
import type { MapStateDescriptor } from './state-descriptor.ts';
import {
  E_AUX,
  E_KEY_LEN,
  E_LINK_NEXT,
  E_LINK_PREV,
  E_NS_LEN,
  E_VALUE_LEN,
  ENTRY_HEADER_BYTES,
} from './state-entry-layout.ts';

const HEAD_VALUE_BYTES = 8;

/**
 * A {@link MapState} in managed memory (Flink's `HeapMapState`, with each map entry
 * stored on its own as in Flink's RocksDB backend): every (key, namespace, user key) is
 * an entry of its own, found by one hash lookup; a head entry per (key, namespace)
 * links them for iteration.
 *
 * ```
 *  head (state id s,   namespace ns):         value = [u32 first entry][u32 count]
 *  entry (state id s+1, namespace ns ++ uk):   LINK_PREV / LINK_NEXT, AUX = uk length,
 *                                              value = [ttl?][serialized user value]
 *  head ─► e3 ⇄ e1 ⇄ e2        (newest first; iteration returns insertion order)
 * ```
 *
 * Each user entry has its own TTL timestamp. User keys are compared by their
 * serialized bytes, so the key serializer must be deterministic.
 *
 * @remarks Owned by the task thread of its backend.
 */
export class ManagedMapState<N, UK, UV>
  extends AbstractManagedState<N>
  implements MapState<UK, UV>
{
  private readonly keySerializer: TypeSerializer<UK>;
  private readonly valueSerializer: TypeSerializer<UV>;
  private readonly entryStateId: number;
  private readonly userKeyOut = new DataOutputSerializer(64);
  private readonly userKeyInput = new DataInputDeserializer();
  private combined = new Uint8Array(64);
  private combinedLength = 0;
  private combinedHash = 0;
  private userKeyLength = 0;

  /**
   * @param backend - the backend
   * @param stateId - first of the two ids from `registerState` (head; entries use id + 1)
   * @param descriptor - name, key and value serializers, TTL
   * @param namespaceSerializer - serializer of namespaces; `undefined` for none
   */
  constructor(
    backend: ManagedKeyedStateBackend,
    stateId: number,
    descriptor: MapStateDescriptor<UK, UV>,
    namespaceSerializer: TypeSerializer<N> | undefined,
  ) {
    super(backend, stateId, descriptor, namespaceSerializer);
    this.keySerializer = descriptor.keySerializer;
    this.valueSerializer = descriptor.valueSerializer;
    this.entryStateId = stateId + 1;
  }

  get(key: UK): UV | undefined {
    const entry = this.findUserEntry(key);
    return entry === NULL_ADDRESS ? undefined : this.readValue(entry, this.valueSerializer);
  }

  put(key: UK, value: UV): void {
    const entry = this.findUserEntry(key);
    if (entry !== NULL_ADDRESS) {
      this.writeValue(entry, value, this.valueSerializer);
      return;
    }
    // Create the user entry in this state's own slot, then link it (key bytes prepared).
    const backend = this.backend;
    const out = backend.scratch;
    out.clear();
    if (this.ttlBytes !== 0) out.writeFloat64(backend.clock());
    this.valueSerializer.serialize(value, out);
    const length = out.length();
    const created = backend.insert(
      this.entryStateId,
      this.combined,
      this.combinedLength,
      this.combinedHash,
      Math.max(length, 8),
    );
    try {
      backend.values.write(created, out.getSharedBuffer(), length);
      backend.arena.u32[(created >>> 2) + E_AUX] = this.userKeyLength;
      linkMapEntry(backend, this.stateId, created, this.ns, this.nsLen, this.nsHash);
    } catch (error) {
      backend.remove(created); // not linked yet: the head insert failed or came later
      throw error;
    }
  }

  putAll(entries: Iterable<readonly [UK, UV]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }

  remove(key: UK): void {
    const entry = this.findUserEntry(key);
    if (entry !== NULL_ADDRESS) this.removeEntry(entry);
  }

  contains(key: UK): boolean {
    return this.findUserEntry(key) !== NULL_ADDRESS;
  }

  entries(): [UK, UV][] {
    const result: [UK, UV][] = [];
    this.walk((entry) =>
      result.push([this.readUserKey(entry), this.readValue(entry, this.valueSerializer)]),
    );
    return result;
  }

  keys(): UK[] {
    const result: UK[] = [];
    this.walk((entry) => result.push(this.readUserKey(entry)));
    return result;
  }

  values(): UV[] {
    const result: UV[] = [];
    this.walk((entry) => result.push(this.readValue(entry, this.valueSerializer)));
    return result;
  }

  isEmpty(): boolean {
    let empty = true;
    this.walk(() => {
      empty = false;
    });
    return empty;
  }

  override clear(): void {
    const head = this.backend.find(this.stateId, this.ns, this.nsLen, this.nsHash);
    if (head === NULL_ADDRESS) return;
    const u32 = this.backend.arena.u32;
    let entry = u32[valueAddress(u32, head) >>> 2]!;
    while (entry !== NULL_ADDRESS) {
      const next = u32[(entry >>> 2) + E_LINK_NEXT]!;
      this.backend.remove(entry);
      entry = next;
    }
    this.backend.remove(head);
  }

  /** Unlinks a user entry from its head (removing an empty head), then frees it. */
  protected override removeEntry(entry: number): void {
    unlinkMapEntry(this.backend, this.stateId, entry);
    this.backend.remove(entry);
  }

  /** Calls `action` for each live user entry, oldest first, dropping expired ones. */
  private walk(action: (entry: number) => void): void {
    const backend = this.backend;
    const head = backend.find(this.stateId, this.ns, this.nsLen, this.nsHash);
    if (head === NULL_ADDRESS) return;
    const u32 = backend.arena.u32;
    const entries: number[] = [];
    for (let e = u32[valueAddress(u32, head) >>> 2]!; e !== NULL_ADDRESS; ) {
      entries.push(e);
      e = u32[(e >>> 2) + E_LINK_NEXT]!;
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = this.ttlBytes === 0 ? entries[i]! : this.checkTtl(entries[i]!);
      if (entry !== NULL_ADDRESS) action(entry);
    }
  }

  /** Serializes `key` after the namespace and finds its entry (TTL applied). */
  private findUserEntry(key: UK): number {
    const out = this.userKeyOut;
    out.clear();
    this.keySerializer.serialize(key, out);
    const keyLength = out.length();
    const total = this.nsLen + keyLength;
    if (this.combined.length < total) this.combined = new Uint8Array(total * 2);
    const combined = this.combined;
    copyInto(combined, 0, this.ns, 0, this.nsLen);
    copyInto(combined, this.nsLen, out.getSharedBuffer(), 0, keyLength);
    this.combinedLength = total;
    this.userKeyLength = keyLength;
    this.combinedHash = murmur3Hash32(combined, 0, total, 0);
    const entry = this.backend.find(this.entryStateId, combined, total, this.combinedHash);
    if (entry === NULL_ADDRESS || this.ttlBytes === 0) return entry;
    return this.checkTtl(entry);
  }

  private readUserKey(entry: number): UK {
    const { u8, u32, view } = this.backend.arena;
    const w = entry >>> 2;
    const end = entry + ENTRY_HEADER_BYTES + u32[w + E_KEY_LEN]! + u32[w + E_NS_LEN]!;
    this.userKeyInput.setBuffer(u8, view, end - u32[w + E_AUX]!, end);
    return this.keySerializer.deserialize(this.userKeyInput);
  }
}

/**
 * Links user entry `entry` (of map state `headStateId`) to the current key's head of
 * namespace `ns`, creating the head; used by `put` and by restore.
 */
export function linkMapEntry(
  backend: ManagedKeyedStateBackend,
  headStateId: number,
  entry: number,
  ns: Uint8Array,
  nsLen: number,
  nsHash: number,
): void {
  const u32 = backend.arena.u32;
  let head = backend.find(headStateId, ns, nsLen, nsHash);
  if (head === NULL_ADDRESS) {
    head = backend.insert(headStateId, ns, nsLen, nsHash, HEAD_VALUE_BYTES);
    const value = valueAddress(u32, head) >>> 2;
    u32[value] = NULL_ADDRESS;
    u32[value + 1] = 0;
    u32[(head >>> 2) + E_VALUE_LEN] = HEAD_VALUE_BYTES;
    u32[(head >>> 2) + E_AUX] = 0;
  }
  const value = valueAddress(u32, head) >>> 2;
  const first = u32[value]!;
  const w = entry >>> 2;
  u32[w + E_LINK_PREV] = NULL_ADDRESS;
  u32[w + E_LINK_NEXT] = first;
  if (first !== NULL_ADDRESS) u32[(first >>> 2) + E_LINK_PREV] = entry;
  u32[value] = entry;
  u32[value + 1] = u32[value + 1]! + 1;
}

/** Unlinks user entry `entry` of the current key from its head; removes an emptied head. */
function unlinkMapEntry(
  backend: ManagedKeyedStateBackend,
  headStateId: number,
  entry: number,
): void {
  const { u8, u32 } = backend.arena;
  const w = entry >>> 2;
  const nsLen = u32[w + E_NS_LEN]! - u32[w + E_AUX]!;
  const nsStart = entry + ENTRY_HEADER_BYTES + u32[w + E_KEY_LEN]!;
  const ns = u8.slice(nsStart, nsStart + nsLen);
  const head = backend.find(headStateId, ns, nsLen, murmur3Hash32(ns, 0, nsLen, 0));
  if (head === NULL_ADDRESS) return;
  const value = valueAddress(u32, head) >>> 2;
  const prev = u32[w + E_LINK_PREV]!;
  const next = u32[w + E_LINK_NEXT]!;
  if (prev !== NULL_ADDRESS) u32[(prev >>> 2) + E_LINK_NEXT] = next;
  else u32[value] = next;
  if (next !== NULL_ADDRESS) u32[(next >>> 2) + E_LINK_PREV] = prev;
  const count = u32[value + 1]! - 1;
  u32[value + 1] = count;
  if (count === 0) backend.remove(head);
}
