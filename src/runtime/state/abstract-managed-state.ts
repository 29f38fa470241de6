/**
 * What every keyed state in managed memory shares (Flink's `AbstractHeapState`): its
 * state id, the current namespace (serialized once per `setCurrentNamespace`, not per
 * access), time-to-live, and reading and writing serialized values of entries.
 *
 * ```
 *  value area with TTL:  [float64 last access (ms, big-endian)][serialized value]
 *  value area without:   [serialized value]
 *  fixed-length serializers: read and written in place (writeFixed/readFixed);
 *  others: serialized into the backend's scratch, then copied (inline or blobs)
 * ```
 *
 * @remarks Owned by the task thread of its backend.
 */

import { DataOutputSerializer } from '../../types/data-output-serializer.ts';
import { murmur3Hash32 } from '../../types/murmur-hash.ts';
import {
  type FixedLengthTypeSerializer,
  isFixedLengthSerializer,
  type TypeSerializer,
} from '../../types/type-serializer.ts';
import { valueAddress } from './key-group-state-map.ts';
import type { InternalKvState } from './keyed-state.ts';
import type { ManagedKeyedStateBackend } from './managed-keyed-state-backend.ts';
import { NULL_ADDRESS } from './managed-memory-arena.ts';
import type { StateDescriptor } from './state-descriptor.ts';
import { BLOB_HEADER_BYTES, E_CAPACITY, E_VALUE_LEN, OVERFLOW_FLAG } from './state-entry-layout.ts';

const EMPTY = new Uint8Array(0);
/** Bytes of the TTL timestamp prefix. */
export const TTL_PREFIX_BYTES = 8;

/**
 * Base of the managed keyed states; `N` is the namespace type (`void`: none).
 *
 * @remarks Owned by one task thread.
 */
export abstract class AbstractManagedState<N> implements InternalKvState<N> {
  readonly stateId: number;
  readonly name: string;
  protected readonly backend: ManagedKeyedStateBackend;
  /** 8 with a TTL, else 0. */
  protected readonly ttlBytes: number;
  private readonly ttlMs: number;
  private readonly renewOnRead: boolean;
  private readonly returnExpired: boolean;
  private readonly namespaceSerializer: TypeSerializer<N> | undefined;
  private readonly namespaceOut: DataOutputSerializer | undefined;
  /** Current namespace bytes `[0, nsLen)`. */
  protected ns: Uint8Array = EMPTY;
  protected nsLen = 0;
  protected nsHash = 0;
  /** Last lookup, valid while key, namespace and the tables are unchanged. */
  private nsVersion = 0;
  private cachedEntry = NULL_ADDRESS;
  private cachedKeyVersion = -1;
  private cachedNsVersion = -1;
  private cachedMutations = -1;

  /**
   * @param backend - the backend
   * @param stateId - id from `registerState`
   * @param descriptor - name and TTL
   * @param namespaceSerializer - serializer of namespaces; `undefined` for no namespace
   */
  constructor(
    backend: ManagedKeyedStateBackend,
    stateId: number,
    descriptor: StateDescriptor<unknown>,
    namespaceSerializer: TypeSerializer<N> | undefined,
  ) {
    this.backend = backend;
    this.stateId = stateId;
    this.name = descriptor.name;
    const ttl = descriptor.ttlConfig;
    this.ttlBytes = ttl === undefined ? 0 : TTL_PREFIX_BYTES;
    this.ttlMs = ttl?.ttlMs ?? 0;
    this.renewOnRead = ttl?.updateType === 'OnReadAndWrite';
    this.returnExpired = ttl?.stateVisibility === 'ReturnExpiredIfNotCleanedUp';
    this.namespaceSerializer = namespaceSerializer;
    this.namespaceOut =
      namespaceSerializer === undefined ? undefined : new DataOutputSerializer(32);
  }

  /**
   * Scopes the state to `namespace` until the next call.
   *
   * @throws TypeError for a state without namespaces
   */
  setCurrentNamespace(namespace: N): void {
    const out = this.namespaceOut;
    if (out === undefined) throw new TypeError(`state "${this.name}" has no namespaces`);
    out.clear();
    this.namespaceSerializer!.serialize(namespace, out);
    this.ns = out.getSharedBuffer();
    this.nsLen = out.length();
    this.nsHash = murmur3Hash32(this.ns, 0, this.nsLen, 0);
    this.nsVersion++;
  }

  /** Whether values expire. */
  hasTtl(): boolean {
    return this.ttlBytes !== 0;
  }

  /**
   * The entry of the current key and namespace, or 0; an expired entry is removed and
   * reported as absent (unless the TTL allows returning it); a read renews the
   * timestamp with `OnReadAndWrite`.
   */
  protected findEntry(): number {
    const entry = this.lookup();
    if (entry === NULL_ADDRESS || this.ttlBytes === 0) return entry;
    return this.checkTtl(entry);
  }

  /**
   * The entry of the current key and namespace, or 0, without TTL. The last result is
   * reused while key, namespace and the tables did not change (a read followed by a
   * clear or a write costs one hash lookup).
   */
  protected lookup(): number {
    const backend = this.backend;
    if (
      this.cachedKeyVersion === backend.keyVersion &&
      this.cachedNsVersion === this.nsVersion &&
      this.cachedMutations === backend.mutations
    ) {
      return this.cachedEntry;
    }
    const entry = backend.find(this.stateId, this.ns, this.nsLen, this.nsHash);
    this.cachedEntry = entry;
    this.cachedKeyVersion = backend.keyVersion;
    this.cachedNsVersion = this.nsVersion;
    this.cachedMutations = backend.mutations;
    return entry;
  }

  /** Applies the TTL to `entry`: 0 when it expired and was removed. */
  protected checkTtl(entry: number): number {
    const now = this.backend.clock();
    if (this.isExpired(entry, now)) {
      if (this.returnExpired) return entry;
      this.removeEntry(entry);
      return NULL_ADDRESS;
    }
    if (this.renewOnRead) this.writeTimestamp(entry, now);
    return entry;
  }

  /** Whether `entry`'s value expired at `now` (false without TTL). */
  isExpired(entry: number, now: number): boolean {
    return this.ttlBytes !== 0 && now - this.readTimestamp(entry) >= this.ttlMs;
  }

  /**
   * Adds the current (key, namespace) entry with room for `capacity` value bytes (at
   * least 8, the room a value needs to move to blobs when it grows).
   */
  protected createEntry(capacity: number): number {
    return this.backend.insert(
      this.stateId,
      this.ns,
      this.nsLen,
      this.nsHash,
      Math.max(capacity, 8),
    );
  }

  /** Removes an entry of this state. */
  protected removeEntry(entry: number): void {
    this.backend.remove(entry);
  }

  /** Removes the current (key, namespace) entry, if any. */
  clear(): void {
    const entry = this.lookup();
    if (entry !== NULL_ADDRESS) this.removeEntry(entry);
  }

  /**
   * Writes `value` as the whole value of `entry` (0: create the entry), with a fresh
   * TTL timestamp; returns the entry.
   */
  protected writeValue<T>(entry: number, value: T, serializer: TypeSerializer<T>): number {
    if (isFixedLengthSerializer(serializer)) return this.writeFixed(entry, value, serializer);
    const out = this.backend.scratch;
    out.clear();
    if (this.ttlBytes !== 0) out.writeFloat64(this.backend.clock());
    serializer.serialize(value, out);
    return this.storeBytes(entry, out.getSharedBuffer(), out.length());
  }

  /**
   * Writes `bytes[0, length)` as the whole value of `entry` (0: create it); a created
   * entry whose value cannot be stored is removed again.
   *
   * @returns the entry
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when managed memory runs out
   */
  protected storeBytes(entry: number, bytes: Uint8Array, length: number): number {
    if (entry !== NULL_ADDRESS) {
      this.backend.values.write(entry, bytes, length);
      return entry;
    }
    const created = this.createEntry(length);
    try {
      this.backend.values.write(created, bytes, length);
    } catch (error) {
      this.removeEntry(created);
      throw error;
    }
    return created;
  }

  /** Reads the whole value of `entry` (after the TTL prefix). */
  protected readValue<T>(entry: number, serializer: TypeSerializer<T>): T {
    const u32 = this.backend.arena.u32;
    const w = entry >>> 2;
    if (isFixedLengthSerializer(serializer) && (u32[w + E_CAPACITY]! & OVERFLOW_FLAG) === 0) {
      const at = valueAddress(u32, entry) + this.ttlBytes;
      return serializer.readFixed(this.backend.arena.view, at);
    }
    const input = this.backend.values.input;
    this.backend.values.open(entry);
    if (this.ttlBytes !== 0) input.skipBytesToRead(TTL_PREFIX_BYTES);
    return serializer.deserialize(input);
  }

  /** The TTL timestamp of `entry` (ms). */
  protected readTimestamp(entry: number): number {
    return this.backend.arena.view.getFloat64(this.timestampAddress(entry));
  }

  /** Renews the TTL timestamp of `entry`. */
  protected writeTimestamp(entry: number, now: number): void {
    this.backend.arena.view.setFloat64(this.timestampAddress(entry), now);
  }

  private timestampAddress(entry: number): number {
    const u32 = this.backend.arena.u32;
    const start = valueAddress(u32, entry);
    if ((u32[(entry >>> 2) + E_CAPACITY]! & OVERFLOW_FLAG) === 0) return start;
    return u32[start >>> 2]! + BLOB_HEADER_BYTES;
  }

  private writeFixed<T>(entry: number, value: T, serializer: FixedLengthTypeSerializer<T>): number {
    const length = this.ttlBytes + serializer.getLength();
    const created = entry === NULL_ADDRESS;
    const target = created ? this.createEntry(length) : entry;
    const u32 = this.backend.arena.u32;
    const w = target >>> 2;
    if ((u32[w + E_CAPACITY]! & OVERFLOW_FLAG) !== 0) {
      // A value restored in blobs: rewrite through the generic path.
      const out = this.backend.scratch;
      out.clear();
      if (this.ttlBytes !== 0) out.writeFloat64(this.backend.clock());
      serializer.serialize(value, out);
      this.backend.values.write(target, out.getSharedBuffer(), out.length());
      return target;
    }
    const at = valueAddress(u32, target);
    const view = this.backend.arena.view;
    try {
      serializer.writeFixed(value, view, at + this.ttlBytes);
    } catch (error) {
      if (created) this.removeEntry(target);
      throw error;
    }
    if (this.ttlBytes !== 0) view.setFloat64(at, this.backend.clock());
    u32[w + E_VALUE_LEN] = length;
    return target;
  }
}
