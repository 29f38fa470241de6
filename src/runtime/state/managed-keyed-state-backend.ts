/**
 * Keyed state in managed memory (Sluice's counterpart of Flink's `HeapKeyedStateBackend`,
 * with serialized bytes in managed-memory pages instead of Java objects): one hash table
 * per key group of the subtask's key-group range, shared by every state of the operator.
 *
 * ```
 *  setCurrentKey(k):  bytes = serializeKey(k)      (reused scratch, no allocation;
 *                                                   numbers: written from their bits)
 *                     keyHash = murmur3(bytes)     (= hashKey(k), what keyBy used;
 *                                                   numbers: from their bits, and the
 *                                                   same number again is not re-hashed)
 *                     keyGroup = murmurHash(keyHash) % maxParallelism
 *                     table = tables[keyGroup − range.start]
 *  state.value():     entry = table.find(hash(stateId, keyHash, namespace), key, namespace)
 *                     value = serializer.read(entry's value bytes, in place)
 *
 *  tables:  kg 0 ─► KeyGroupStateMap ─► entries (all states, timers) in managed memory
 *           kg 1 ─► KeyGroupStateMap ─► ...
 * ```
 *
 * What lives where: entries, bucket arrays, values, list elements, map entries and timers
 * are in managed memory (see `state-entry-layout.ts`); on the V8 heap there are only
 * the per-key-group table descriptors, the state handles and reused scratch buffers —
 * a few kilobytes whatever the number of keys. The exception is the untyped
 * `getValueState(name)` of the rolling aggregations: it keeps its values as JavaScript
 * objects (their keys and slots are in managed memory).
 *
 * When managed memory runs out, writes throw `SLUICE_ERR_STATE_MEMORY_EXHAUSTED` naming
 * `taskmanager.memory.managed.size`; nothing is half-written.
 *
 * Snapshots ({@link snapshot} / {@link restore}) are per key group, so that state can be
 * redistributed when the parallelism changes (`key-group-snapshot.ts`).
 *
 * @remarks Owned by the task thread of its keyed operator; one per keyed operator
 * instance. Not thread-safe.
 */

import type { Key } from '../../api/functions.ts';
import type { MemoryManager, MemoryOwner } from '../../memory/memory-manager.ts';
import type { KeyedStateBackend } from '../../runtime/operators/state/keyed-state-backend.ts';
import { DataOutputSerializer } from '../../types/data-output-serializer.ts';
import {
  computeKeyGroupForKeyHash,
  type KeyGroupRange,
} from '../../types/key-group-range-assignment.ts';
import {
  deserializeKey,
  KeySerializer,
  NUMBER_KEY_BYTES,
  writeNumberKey,
  writeNumberKeyWords,
} from '../../types/key-serializer.ts';
import { bitMix, murmur3Hash32 } from '../../types/murmur-hash.ts';
import type { TypeSerializer } from '../../types/type-serializer.ts';
import { EntryValueStore } from './entry-value-store.ts';
import {
  type KeyedStateSnapshot,
  readKeyGroupSnapshots,
  writeKeyGroupSnapshot,
} from './key-group-snapshot.ts';
import { KeyGroupStateMap } from './key-group-state-map.ts';
import type {
  AggregatingState,
  InternalAppendingState,
  ListState,
  MapState,
  ReducingState,
  ValueState,
} from './keyed-state.ts';
import { ManagedAggregatingState } from './managed-aggregating-state.ts';
import { ManagedListState } from './managed-list-state.ts';
import { ManagedMapState } from './managed-map-state.ts';
import { ManagedMemoryArena } from './managed-memory-arena.ts';
import { ManagedReducingState } from './managed-reducing-state.ts';
import { ManagedValueState } from './managed-value-state.ts';
import { ObjectValueState } from './object-value-state.ts';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateKind,
  ValueStateDescriptor,
} from './state-descriptor.ts';
import {
  E_KEY_LEN,
  E_META,
  ENTRY_HEADER_BYTES,
  entryMeta,
  MAX_STATE_ID,
} from './state-entry-layout.ts';
import { StateDescriptorConflictError } from './state-errors.ts';

export type { KeyedStateSnapshot } from './key-group-snapshot.ts';

/** Options of {@link ManagedKeyedStateBackend}. */
export interface ManagedKeyedStateBackendOptions {
  /** The managed memory to take pages from (this thread's instance). */
  readonly memoryManager: MemoryManager;
  /** Owner key of the pages (≤ 64 UTF-8 bytes), e.g. `'<job>/<node>/<subtask>/state'`. */
  readonly owner: MemoryOwner;
  /** Number of key groups (`pipeline.max-parallelism`). */
  readonly maxParallelism: number;
  /** Key groups of this subtask (inclusive). */
  readonly keyGroupRange: KeyGroupRange;
  /** Describes the operator for error messages, e.g. `operator "Window" (subtask 2/4)`. */
  readonly description?: string;
  /** Processing-time clock for TTL (ms). @defaultValue `Date.now` */
  readonly clock?: () => number;
}

/** A registered state: its id (2 ids for map states: head and entries), kind and handle. */
export interface RegisteredState {
  readonly name: string;
  readonly kind: StateKind;
  readonly id: number;
  readonly configuration: string;
  handle: unknown;
}

const EMPTY = new Uint8Array(0);

/** Slots of the number-key cache of {@link ManagedKeyedStateBackend.setCurrentKey} (a power of 2). */
export const NUMBER_KEY_CACHE_SLOTS = 4096;

/**
 * Keyed state of one operator instance in managed memory; see the module documentation.
 *
 * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED from any write when managed memory runs out
 * @remarks Owned by one task thread.
 */
export class ManagedKeyedStateBackend implements KeyedStateBackend {
  readonly arena: ManagedMemoryArena;
  /** Value bytes of entries (inline or blobs). */
  readonly values: EntryValueStore;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  /** Processing-time clock (ms) for TTL. */
  readonly clock: () => number;
  /** Scratch the states serialize values into (valid until the next write). */
  readonly scratch = new DataOutputSerializer(256);
  /** Key group of the current key; −1 before the first key. */
  keyGroup = -1;
  /** Incremented whenever the current key is set (lets states cache a lookup). */
  keyVersion = 0;
  /** Incremented by every insert and remove (lets states cache a lookup). */
  mutations = 0;
  /**
   * Incremented whenever entries are freed (remove, dispose): an entry's address stays
   * valid while this is unchanged, so states may cache key → entry across keys.
   */
  removals = 0;
  /**
   * Number-key cache (direct-mapped by the key's low bits): key, its serialized bits
   * and hash, and its key group — what {@link setCurrentKey} otherwise recomputes for
   * every record (a float64 decomposition, MurmurHash3 twice). NaN marks an empty slot.
   */
  private readonly keyCacheKeys = new Float64Array(NUMBER_KEY_CACHE_SLOTS).fill(Number.NaN);
  private readonly keyCacheHi = new Uint32Array(NUMBER_KEY_CACHE_SLOTS);
  private readonly keyCacheLo = new Uint32Array(NUMBER_KEY_CACHE_SLOTS);
  private readonly keyCacheHash = new Int32Array(NUMBER_KEY_CACHE_SLOTS);
  private readonly keyCacheGroup = new Int32Array(NUMBER_KEY_CACHE_SLOTS);
  private currentKey: Key | undefined;
  private readonly keyOut = new DataOutputSerializer(64);
  /** Serialized current key when it is a number (the fast path of {@link setCurrentKey}). */
  private readonly numberKeyBytes = new Uint8Array(NUMBER_KEY_BYTES);
  /** The current key when it was set as a number by {@link setCurrentKey}, else NaN. */
  private lastNumberKey = Number.NaN;
  private timerKey = new Uint8Array(64);
  /** Current key's bytes, length, hash and table once materialized (see {@link pendingSlot}). */
  private currentKeyBytes: Uint8Array = EMPTY;
  private currentKeyLength = 0;
  private currentKeyHash = 0;
  private currentKeyMap: KeyGroupStateMap | undefined;
  /**
   * Number-key cache slot whose bytes, hash and table are not yet copied into the
   * current key, or −1. A cache hit in {@link setCurrentKey} only records the slot: the
   * rolling aggregations' value state finds its entry by the number itself, and the
   * bytes are written when something needs them ({@link materializeKey}).
   */
  private pendingSlot = -1;
  private readonly maps: KeyGroupStateMap[];
  private readonly states = new Map<string, RegisteredState>();
  private readonly statesById: (RegisteredState | undefined)[] = [];
  private nextStateId = 1;
  private readonly description: string;
  /** Values of object states (`getValueState(name)`), by slot. */
  readonly objects: unknown[] = [];
  private readonly freeSlots: number[] = [];

  /**
   * @param options - memory, key groups and descriptions
   * @throws SLUICE_ERR_CONFIG_INVALID when managed memory exceeds 4 GiB
   */
  constructor(options: ManagedKeyedStateBackendOptions) {
    this.maxParallelism = options.maxParallelism;
    this.keyGroupRange = options.keyGroupRange;
    this.clock = options.clock ?? Date.now;
    this.description = options.description ?? 'an operator';
    this.arena = new ManagedMemoryArena(options.memoryManager, options.owner, () =>
      this.describe(),
    );
    this.values = new EntryValueStore(this.arena);
    const { startKeyGroup, endKeyGroup } = options.keyGroupRange;
    this.maps = [];
    for (let kg = startKeyGroup; kg <= endKeyGroup; kg++) {
      this.maps.push(new KeyGroupStateMap(this.arena, kg, (e) => this.values.freeBlobs(e)));
    }
  }

  // ---- current key ----

  /**
   * Scopes every state to `key` until the next call.
   *
   * @throws SLUICE_ERR_TYPES_* for a key that cannot be serialized
   * @throws RangeError when the key's group is outside this backend's range (a routing bug)
   */
  setCurrentKey(key: Key): void {
    if (typeof key === 'number') {
      // Fast path for number keys: the same key again costs one comparison; a key in
      // the cache costs its key group and slot recorded (bytes, hash and table are
      // copied from the slot only when a state needs them); another is written and
      // hashed from its bits (the same bytes and hash as below) and cached.
      if (key === this.lastNumberKey && this.keyGroup >= 0) {
        this.currentKey = key;
        return;
      }
      const slot = (key | 0) & (NUMBER_KEY_CACHE_SLOTS - 1);
      if (this.keyCacheKeys[slot] === key) {
        this.keyVersion++;
        this.keyGroup = this.keyCacheGroup[slot]!;
        this.pendingSlot = slot;
      } else {
        const bytes = this.numberKeyBytes;
        this.selectKeyHashed(bytes, NUMBER_KEY_BYTES, writeNumberKey(key, bytes, 0));
        // -0 and 0 share a slot and their bytes; NaN never matches a slot.
        this.keyCacheKeys[slot] = key;
        this.keyCacheHi[slot] =
          ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0;
        this.keyCacheLo[slot] =
          ((bytes[5]! << 24) | (bytes[6]! << 16) | (bytes[7]! << 8) | bytes[8]!) >>> 0;
        this.keyCacheHash[slot] = this.currentKeyHash;
        this.keyCacheGroup[slot] = this.keyGroup;
      }
      this.lastNumberKey = key;
      this.currentKey = key;
      return;
    }
    const out = this.keyOut;
    out.clear();
    KeySerializer.INSTANCE.serialize(key, out);
    this.selectKey(out.getSharedBuffer(), out.length());
    this.currentKey = key;
  }

  /** The current key when it was set as a number by {@link setCurrentKey}, else NaN. */
  get currentNumberKey(): number {
    return this.lastNumberKey;
  }

  /** Serialized current key: bytes `[0, keyLength)` (valid until the next key). */
  get keyBytes(): Uint8Array {
    if (this.pendingSlot >= 0) this.materializeKey();
    return this.currentKeyBytes;
  }

  /** Length of the serialized current key in {@link keyBytes}. */
  get keyLength(): number {
    if (this.pendingSlot >= 0) this.materializeKey();
    return this.currentKeyLength;
  }

  /** `hashKey` of the current key. */
  get keyHash(): number {
    if (this.pendingSlot >= 0) this.materializeKey();
    return this.currentKeyHash;
  }

  /** Scopes every state to the key serialized at `source[offset, offset + length)` (timers, restore). */
  setCurrentKeyBytes(source: Uint8Array, offset: number, length: number): void {
    if (this.timerKey.length < length) this.timerKey = new Uint8Array(Math.max(length, 64) * 2);
    const target = this.timerKey;
    for (let i = 0; i < length; i++) target[i] = source[offset + i]!;
    this.selectKey(target, length);
    this.currentKey = undefined;
  }

  /** The current key (deserialized on first use after {@link setCurrentKeyBytes}). */
  getCurrentKey(): Key {
    if (this.currentKey === undefined) {
      if (this.keyGroup < 0) throw new RangeError('no current key: setCurrentKey() first');
      this.currentKey = deserializeKey(this.keyBytes.slice(0, this.keyLength));
    }
    return this.currentKey;
  }

  // ---- states ----

  /** The value state of `descriptor` (a name: an untyped state of JavaScript objects). */
  getValueState<V>(descriptor: ValueStateDescriptor<V> | string): ValueState<V> {
    if (typeof descriptor === 'string') {
      return this.handle(
        descriptor,
        'object',
        '{"kind":"object"}',
        1,
        (id) => new ObjectValueState<V>(this, id),
      );
    }
    return this.getState(descriptor);
  }

  /** The value state of `descriptor` (Flink's `getState`). */
  getState<V>(descriptor: ValueStateDescriptor<V>): ValueState<V> {
    return this.handle(
      descriptor.name,
      'value',
      descriptor.configuration(),
      1,
      (id) => new ManagedValueState<void, V>(this, id, descriptor, undefined),
    );
  }

  getListState<V>(descriptor: ListStateDescriptor<V>): ListState<V> {
    return this.createInternalState<void, V>(descriptor, undefined);
  }

  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.handle(
      descriptor.name,
      'map',
      descriptor.configuration(),
      2,
      (id) => new ManagedMapState<void, UK, UV>(this, id, descriptor, undefined),
    );
  }

  getReducingState<V>(descriptor: ReducingStateDescriptor<V>): ReducingState<V> {
    return this.createInternalState<void, V>(descriptor, undefined);
  }

  getAggregatingState<IN, ACC, OUT>(
    descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
  ): AggregatingState<IN, OUT> {
    return this.createInternalState<void, IN, ACC, OUT>(descriptor, undefined);
  }

  /**
   * A state scoped to namespaces of `namespaceSerializer` (windows): the window
   * operator's contents state (Flink's `getOrCreateKeyedState` with a namespace).
   *
   * @param descriptor - list, reducing or aggregating descriptor
   * @param namespaceSerializer - serializer of the namespaces (`undefined`: no namespace)
   * @throws SLUICE_ERR_STATE_DESCRIPTOR_CONFLICT when the name is taken by another kind
   */
  createInternalState<N, V>(
    descriptor: ListStateDescriptor<V>,
    namespaceSerializer: TypeSerializer<N> | undefined,
  ): ManagedListState<N, V>;
  createInternalState<N, V>(
    descriptor: ReducingStateDescriptor<V>,
    namespaceSerializer: TypeSerializer<N> | undefined,
  ): ManagedReducingState<N, V>;
  createInternalState<N, IN, ACC, OUT>(
    descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
    namespaceSerializer: TypeSerializer<N> | undefined,
  ): ManagedAggregatingState<N, IN, ACC, OUT>;
  createInternalState<N>(
    descriptor:
      | ListStateDescriptor<unknown>
      | ReducingStateDescriptor<unknown>
      | AggregatingStateDescriptor<unknown, unknown, unknown>,
    namespaceSerializer: TypeSerializer<N> | undefined,
  ): InternalAppendingState<N, unknown, unknown> {
    const create = (id: number): unknown => {
      switch (descriptor.kind) {
        case 'list':
          return new ManagedListState(this, id, descriptor, namespaceSerializer);
        case 'reducing':
          return new ManagedReducingState(this, id, descriptor, namespaceSerializer);
        default:
          return new ManagedAggregatingState(this, id, descriptor, namespaceSerializer);
      }
    };
    return this.handle(descriptor.name, descriptor.kind, descriptor.configuration(), 1, create);
  }

  /**
   * Registers (or finds) the state `name`; used by the states and the timer services.
   *
   * @param ids - state ids the state needs (map states: 2)
   * @returns the state's first id
   * @throws SLUICE_ERR_STATE_DESCRIPTOR_CONFLICT when `name` exists with another kind or configuration
   */
  registerState(name: string, kind: StateKind, configuration: string, ids = 1): RegisteredState {
    const existing = this.states.get(name);
    if (existing !== undefined) {
      if (existing.kind !== kind || existing.configuration !== configuration) {
        throw new StateDescriptorConflictError(
          `keyed state "${name}" of ${this.description} is registered as ${existing.kind} ${existing.configuration}, asked for as ${kind} ${configuration}; give each state its own name`,
          { details: { name, registered: existing.kind, requested: kind } },
        );
      }
      return existing;
    }
    const id = this.nextStateId;
    if (id + ids - 1 > MAX_STATE_ID) {
      throw new RangeError(`more than ${MAX_STATE_ID} keyed states in ${this.description}`);
    }
    this.nextStateId += ids;
    const registered: RegisteredState = { name, kind, id, configuration, handle: undefined };
    this.states.set(name, registered);
    for (let i = 0; i < ids; i++) this.statesById[id + i] = registered;
    return registered;
  }

  /** The registered state owning state id `id`. */
  stateOfId(id: number): RegisteredState | undefined {
    return this.statesById[id];
  }

  // ---- entries (used by the states and timer services) ----

  /** Hash of (state, current key, namespace hash). */
  entryHash(stateId: number, nsHash: number): number {
    return bitMix(this.keyHash ^ bitMix((nsHash + Math.imul(stateId, 0x9e3779b9)) | 0)) >>> 0;
  }

  /** The current key's entry of (state, namespace), or 0. */
  find(stateId: number, ns: Uint8Array, nsLen: number, nsHash: number): number {
    if (this.keyGroup < 0) throw new RangeError('no current key: setCurrentKey() first');
    if (this.pendingSlot >= 0) this.materializeKey();
    return this.currentKeyMap!.find(
      this.entryHash(stateId, nsHash),
      entryMeta(stateId, this.keyGroup),
      this.currentKeyBytes,
      this.currentKeyLength,
      ns,
      nsLen,
    );
  }

  /**
   * Adds the current key's entry of (state, namespace) with room for `capacity` value bytes.
   *
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when managed memory runs out
   */
  insert(stateId: number, ns: Uint8Array, nsLen: number, nsHash: number, capacity: number): number {
    if (this.keyGroup < 0) throw new RangeError('no current key: setCurrentKey() first');
    if (this.pendingSlot >= 0) this.materializeKey();
    this.mutations++;
    return this.currentKeyMap!.insert(
      this.entryHash(stateId, nsHash),
      entryMeta(stateId, this.keyGroup),
      this.currentKeyBytes,
      this.currentKeyLength,
      ns,
      nsLen,
      capacity,
    );
  }

  /** Removes an entry (of any key). */
  remove(entry: number): void {
    this.mutations++;
    this.removals++;
    const keyGroup = this.arena.u32[(entry >>> 2) + E_META]! >>> 16;
    this.maps[keyGroup - this.keyGroupRange.startKeyGroup]!.remove(entry);
  }

  /** Calls `action` for every entry of state `stateId` (all keys); `action` may remove it. */
  forEachEntryOf(stateId: number, action: (entry: number) => void): void {
    const u32 = this.arena.u32;
    for (const map of this.maps) {
      map.forEach((entry) => {
        if ((u32[(entry >>> 2) + E_META]! & 0xffff) === stateId) action(entry);
      });
    }
  }

  /** Stores an object in a slot (object states); returns the slot. */
  allocateObjectSlot(value: unknown): number {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.objects.length;
    this.objects[slot] = value;
    return slot;
  }

  /** Frees an object slot. */
  freeObjectSlot(slot: number): void {
    this.objects[slot] = undefined;
    this.freeSlots.push(slot);
  }

  // ---- snapshots ----

  /**
   * Writes the state of the key groups in `range` (default: all of this backend's):
   * one byte array per key group. Expired TTL values are left out.
   */
  snapshot(range: KeyGroupRange = this.keyGroupRange): KeyedStateSnapshot {
    const keyGroups = new Map<number, Uint8Array>();
    const start = Math.max(range.startKeyGroup, this.keyGroupRange.startKeyGroup);
    const end = Math.min(range.endKeyGroup, this.keyGroupRange.endKeyGroup);
    for (let kg = start; kg <= end; kg++) {
      keyGroups.set(
        kg,
        writeKeyGroupSnapshot(this, this.maps[kg - this.keyGroupRange.startKeyGroup]!),
      );
    }
    const states = [...this.states.values()].map(({ name, kind, id, configuration }) => ({
      name,
      kind,
      id,
      configuration,
    }));
    return { version: 1, maxParallelism: this.maxParallelism, states, keyGroups };
  }

  /**
   * Adds the key groups of `snapshots` that fall in this backend's range (the others are
   * skipped: on a parallelism change each subtask takes its share). Call before the
   * operator registers its states or timers.
   *
   * @throws SLUICE_ERR_STATE_SNAPSHOT_INVALID for corrupt or incompatible snapshots
   * @throws SLUICE_ERR_STATE_DESCRIPTOR_CONFLICT when a restored name is registered as another kind
   */
  restore(snapshots: Iterable<KeyedStateSnapshot>): void {
    readKeyGroupSnapshots(this, snapshots);
  }

  // ---- figures ----

  /** Number of distinct keys with any state (walks every entry: for tests and tools). */
  numKeys(): number {
    const keys = new Set<string>();
    const { u8, u32 } = this.arena;
    for (const map of this.maps) {
      map.forEach((entry) => {
        const length = u32[(entry >>> 2) + E_KEY_LEN]!;
        const start = entry + ENTRY_HEADER_BYTES;
        keys.add(Buffer.from(u8.buffer, start, length).toString('latin1'));
      });
    }
    return keys.size;
  }

  /** Entries in all tables (every state, timer and map entry counts one). */
  numEntries(): number {
    let n = 0;
    for (const map of this.maps) n += map.size;
    return n;
  }

  /** Bytes of managed memory in live entries, values, buckets and timer heaps. */
  stateSizeBytes(): number {
    return this.arena.liveBytes;
  }

  /** Bytes of managed memory this backend holds (whole pages). */
  managedMemoryBytes(): number {
    return this.arena.heldBytes();
  }

  /** Drops all state and gives every page back to the memory manager. */
  dispose(): void {
    this.removals++;
    this.mutations++;
    this.arena.dispose();
    this.objects.length = 0;
    this.freeSlots.length = 0;
    this.keyGroup = -1;
    this.pendingSlot = -1;
  }

  /** The table of key group `keyGroup` (in range). */
  mapOf(keyGroup: number): KeyGroupStateMap {
    return this.maps[keyGroup - this.keyGroupRange.startKeyGroup]!;
  }

  private selectKey(bytes: Uint8Array, length: number): void {
    this.selectKeyHashed(bytes, length, murmur3Hash32(bytes, 0, length, 0));
  }

  /** {@link selectKey} with the key's hash (`hashKeyBytes(bytes)`) already known. */
  private selectKeyHashed(bytes: Uint8Array, length: number, hash: number): void {
    this.lastNumberKey = Number.NaN;
    const keyGroup = computeKeyGroupForKeyHash(hash, this.maxParallelism);
    const { startKeyGroup, endKeyGroup } = this.keyGroupRange;
    if (keyGroup < startKeyGroup || keyGroup > endKeyGroup) {
      // No current key until the next setCurrentKey (the key bytes may be overwritten).
      this.keyVersion++;
      this.keyGroup = -1;
      this.pendingSlot = -1;
      throw new RangeError(
        `key group ${keyGroup} is outside the key groups [${startKeyGroup}, ${endKeyGroup}] of ${this.description}; the key was routed to the wrong subtask`,
      );
    }
    this.useKey(bytes, length, hash, keyGroup);
  }

  /** Makes the key at `bytes[0, length)` with a known hash and (in range) key group current. */
  private useKey(bytes: Uint8Array, length: number, hash: number, keyGroup: number): void {
    this.keyVersion++;
    this.pendingSlot = -1;
    this.currentKeyBytes = bytes;
    this.currentKeyLength = length;
    this.currentKeyHash = hash;
    this.keyGroup = keyGroup;
    this.currentKeyMap = this.maps[keyGroup - this.keyGroupRange.startKeyGroup]!;
  }

  /** Copies the pending number-key cache slot's bytes, hash and table into the current key. */
  private materializeKey(): void {
    const slot = this.pendingSlot;
    this.pendingSlot = -1;
    const bytes = this.numberKeyBytes;
    writeNumberKeyWords(this.keyCacheHi[slot]!, this.keyCacheLo[slot]!, bytes);
    this.currentKeyBytes = bytes;
    this.currentKeyLength = NUMBER_KEY_BYTES;
    this.currentKeyHash = this.keyCacheHash[slot]!;
    this.currentKeyMap = this.maps[this.keyGroup - this.keyGroupRange.startKeyGroup]!;
  }

  private handle<S>(
    name: string,
    kind: StateKind,
    configuration: string,
    ids: number,
    create: (id: number) => unknown,
  ): S {
    const registered = this.registerState(name, kind, configuration, ids);
    registered.handle ??= create(registered.id);
    return registered.handle as S;
  }

  private describe(): string {
    return `${this.description} (${this.numEntries()} entries in ${this.states.size} states, key groups ${this.keyGroupRange.startKeyGroup}-${this.keyGroupRange.endKeyGroup})`;
  }
}
