/**
 * Snapshots of keyed state by key group: the unit Flink checkpoints and redistributes
 * state in (`KeyGroupsStateHandle`). A snapshot holds, per key group, the serialized
 * entries of every state, and the names, kinds and serializer configurations of the
 * states; restoring reads the key groups of the restoring subtask's range only, so the
 * snapshots of p subtasks can be restored at any other parallelism.
 *
 * ```
 *  KeyedStateSnapshot { version: 1, maxParallelism, states: [{ id, name, kind, configuration }],
 *                       keyGroups: Map<keyGroup, bytes> }
 *
 *  bytes of one key group (big-endian):
 *   [u32 entry count]
 *   entry: [u16 state id][u32 key length][key][u32 namespace length][namespace]
 *          [u32 aux][u32 value length][value]
 * ```
 *
 * What is written per kind: values, lists, reducing and aggregating states their value
 * bytes (with the TTL prefix; expired values are left out); map states one entry per
 * user key (AUX = user-key length; heads and links are rebuilt on restore); timers their
 * key and (timestamp, namespace) (the timer heaps are rebuilt from the entries); the
 * untyped object states their objects as JSON.
 *
 * @remarks Runs on the task thread of the backend (checkpoints are taken between records).
 */

import { DataInputDeserializer } from '../../types/data-input-deserializer.ts';
import { DataOutputSerializer } from '../../types/data-output-serializer.ts';
import { murmur3Hash32 } from '../../types/murmur-hash.ts';
import type { AbstractManagedState } from './abstract-managed-state.ts';
import type { KeyGroupStateMap } from './key-group-state-map.ts';
import type { ManagedKeyedStateBackend, RegisteredState } from './managed-keyed-state-backend.ts';
import { linkMapEntry } from './managed-map-state.ts';
import type { StateKind } from './state-descriptor.ts';
import { E_AUX, E_KEY_LEN, E_META, E_NS_LEN, ENTRY_HEADER_BYTES } from './state-entry-layout.ts';
import { StateSnapshotInvalidError } from './state-errors.ts';

/** Snapshot of a backend's key groups; structured-cloneable. */
export interface KeyedStateSnapshot {
  readonly version: 1;
  readonly maxParallelism: number;
  readonly states: readonly {
    readonly id: number;
    readonly name: string;
    readonly kind: StateKind;
    readonly configuration: string;
  }[];
  readonly keyGroups: ReadonlyMap<number, Uint8Array>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Serializes the entries of one key group. */
export function writeKeyGroupSnapshot(
  backend: ManagedKeyedStateBackend,
  map: KeyGroupStateMap,
): Uint8Array {
  const out = new DataOutputSerializer(1024);
  out.writeUint32(0);
  const { u8, u32 } = backend.arena;
  const now = backend.clock();
  let count = 0;
  map.forEach((entry) => {
    const w = entry >>> 2;
    const stateId = u32[w + E_META]! & 0xffff;
    const registered = backend.stateOfId(stateId);
    if (registered === undefined) return;
    if (registered.kind === 'map' && stateId === registered.id) return; // heads are rebuilt
    const handle = registered.handle as AbstractManagedState<unknown> | undefined;
    if (typeof handle?.isExpired === 'function' && handle.isExpired(entry, now)) return;
    const keyLength = u32[w + E_KEY_LEN]!;
    const nsLength = u32[w + E_NS_LEN]!;
    const start = entry + ENTRY_HEADER_BYTES;
    out.writeUint16(stateId);
    out.writeUint32(keyLength);
    out.write(u8, start, keyLength);
    out.writeUint32(nsLength);
    out.write(u8, start + keyLength, nsLength);
    if (registered.kind === 'timer') {
      out.writeUint32(0);
      out.writeUint32(0);
    } else if (registered.kind === 'object') {
      const json = encoder.encode(JSON.stringify(backend.objects[u32[w + E_AUX]!]));
      out.writeUint32(0);
      out.writeUint32(json.length);
      out.write(json);
    } else {
      out.writeUint32(registered.kind === 'map' ? u32[w + E_AUX]! : 0);
      const length = backend.values.open(entry);
      out.writeUint32(length);
      out.write(backend.values.input.readBytes(length));
    }
    count++;
  });
  out.writeUint32At(0, count);
  return out.getCopyOfBuffer();
}

/** Restores the key groups of `snapshots` that fall in `backend`'s range. */
export function readKeyGroupSnapshots(
  backend: ManagedKeyedStateBackend,
  snapshots: Iterable<KeyedStateSnapshot>,
): void {
  for (const snapshot of snapshots) {
    if (snapshot.version !== 1 || snapshot.maxParallelism !== backend.maxParallelism) {
      throw new StateSnapshotInvalidError(
        `keyed-state snapshot version ${snapshot.version} with ${snapshot.maxParallelism} key groups cannot be restored into a backend of version 1 with ${backend.maxParallelism} key groups; keep pipeline.max-parallelism unchanged across restores`,
        { details: { version: snapshot.version, maxParallelism: snapshot.maxParallelism } },
      );
    }
    const ids = new Map<number, { registered: RegisteredState; offset: number }>();
    for (const meta of snapshot.states) {
      const registered = backend.registerState(
        meta.name,
        meta.kind,
        meta.configuration,
        meta.kind === 'map' ? 2 : 1,
      );
      ids.set(meta.id, { registered, offset: 0 });
      if (meta.kind === 'map') ids.set(meta.id + 1, { registered, offset: 1 });
    }
    const { startKeyGroup, endKeyGroup } = backend.keyGroupRange;
    for (const [keyGroup, bytes] of snapshot.keyGroups) {
      if (keyGroup < startKeyGroup || keyGroup > endKeyGroup) continue;
      try {
        restoreKeyGroup(backend, keyGroup, bytes, ids);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'SLUICE_ERR_STATE_MEMORY_EXHAUSTED') throw error;
        throw new StateSnapshotInvalidError(
          `key group ${keyGroup} of a keyed-state snapshot cannot be restored: ${(error as Error).message}`,
          { cause: error, details: { keyGroup } },
        );
      }
    }
  }
}

function restoreKeyGroup(
  backend: ManagedKeyedStateBackend,
  keyGroup: number,
  bytes: Uint8Array,
  ids: Map<number, { registered: RegisteredState; offset: number }>,
): void {
  const input = new DataInputDeserializer(bytes);
  const count = input.readUint32();
  const u32 = backend.arena.u32;
  for (let i = 0; i < count; i++) {
    const snapshotId = input.readUint16();
    const key = input.readBytes(input.readUint32());
    const ns = input.readBytes(input.readUint32());
    const aux = input.readUint32();
    const value = input.readBytes(input.readUint32());
    const target = ids.get(snapshotId);
    if (target === undefined) throw new RangeError(`entry of unknown state id ${snapshotId}`);
    backend.setCurrentKeyBytes(key, 0, key.length);
    if (backend.keyGroup !== keyGroup) {
      throw new RangeError(
        `a key of key group ${backend.keyGroup} is stored in key group ${keyGroup}`,
      );
    }
    const { registered, offset } = target;
    const stateId = registered.id + offset;
    const nsHash = murmur3Hash32(ns, 0, ns.length, 0);
    const existing = backend.find(stateId, ns, ns.length, nsHash);
    if (existing !== 0) backend.remove(existing);
    switch (registered.kind) {
      case 'timer':
        backend.insert(stateId, ns, ns.length, nsHash, 0);
        break;
      case 'object': {
        const entry = backend.insert(stateId, ns, ns.length, nsHash, 0);
        u32[(entry >>> 2) + E_AUX] = backend.allocateObjectSlot(JSON.parse(decoder.decode(value)));
        break;
      }
      default: {
        const entry = backend.insert(stateId, ns, ns.length, nsHash, Math.max(value.length, 8));
        backend.values.write(entry, value, value.length);
        if (registered.kind === 'map') {
          u32[(entry >>> 2) + E_AUX] = aux;
          const headNsLength = ns.length - aux;
          const headNs = ns.subarray(0, headNsLength);
          linkMapEntry(
            backend,
            registered.id,
            entry,
            headNs,
            headNsLength,
            murmur3Hash32(headNs, 0, headNsLength, 0),
          );
        }
      }
    }
  }
  if (input.available() !== 0)
    throw new RangeError(`${input.available()} bytes after the last entry`);
}
