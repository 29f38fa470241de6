/**
 * Reads, writes and appends the value bytes of keyed-state entries, inline or in blob
 * chains (`state-entry-layout.ts`), so that the state classes only deal with
 * serializers.
 *
 * ```
 *  write(v) fits the inline capacity      → bytes copied into the entry
 *  write(v) larger                         → blob chain, entry's value area = [first][last]
 *  append(b) (list state) fits inline      → bytes copied after the current value
 *  append(b) larger                        → value moves to blobs (doubling sizes), then
 *                                            appends go to the last blob: amortised O(1)
 *  open(entry) inline                      → the input reads managed memory in place
 *  open(entry) blobs                       → blobs copied into one heap scratch first
 * ```
 *
 * @remarks Owned by the task thread of its backend; one per backend. The input view it
 * positions is shared: valid until the next `open`.
 */

import { DataInputDeserializer } from '../../types/data-input-deserializer.ts';
import { valueAddress } from './key-group-state-map.ts';
import { blockSizeOf, type ManagedMemoryArena, NULL_ADDRESS } from './managed-memory-arena.ts';
import {
  B_CAPACITY,
  B_NEXT,
  B_USED,
  BLOB_HEADER_BYTES,
  CAPACITY_MASK,
  E_CAPACITY,
  E_VALUE_LEN,
  OVERFLOW_FLAG,
} from './state-entry-layout.ts';

const MIN_BLOB_BYTES = 256;

/**
 * Value bytes of entries; see the module documentation.
 *
 * @remarks Owned by one task thread.
 */
export class EntryValueStore {
  /** Positioned over a value by {@link open}. */
  readonly input = new DataInputDeserializer();
  private readonly arena: ManagedMemoryArena;
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private scratch = new Uint8Array(1024);
  private scratchView = new DataView(this.scratch.buffer);

  /** @param arena - the backend's arena */
  constructor(arena: ManagedMemoryArena) {
    this.arena = arena;
    this.u8 = arena.u8;
    this.u32 = arena.u32;
  }

  /**
   * Positions {@link input} over the value of `entry` (in place when inline).
   *
   * @returns the value length in bytes
   */
  open(entry: number): number {
    const u32 = this.u32;
    const w = entry >>> 2;
    const length = u32[w + E_VALUE_LEN]!;
    const start = valueAddress(u32, entry);
    if ((u32[w + E_CAPACITY]! & OVERFLOW_FLAG) === 0) {
      this.input.setBuffer(this.u8, this.arena.view, start, start + length);
      return length;
    }
    if (this.scratch.length < length) {
      this.scratch = new Uint8Array(Math.max(length, this.scratch.length * 2));
      this.scratchView = new DataView(this.scratch.buffer);
    }
    let blob = u32[start >>> 2]!;
    let offset = 0;
    while (blob !== NULL_ADDRESS) {
      const used = u32[(blob >>> 2) + B_USED]!;
      const data = blob + BLOB_HEADER_BYTES;
      this.scratch.set(this.u8.subarray(data, data + used), offset);
      offset += used;
      blob = u32[(blob >>> 2) + B_NEXT]!;
    }
    this.input.setBuffer(this.scratch, this.scratchView, 0, length);
    return length;
  }

  /**
   * Replaces the value of `entry` with `source[0, length)`. Blobs are allocated before
   * anything changes: when memory runs out, the old value is intact.
   *
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when blobs cannot be allocated
   */
  write(entry: number, source: Uint8Array, length: number): void {
    const u32 = this.u32;
    const w = entry >>> 2;
    const capacityWord = u32[w + E_CAPACITY]!;
    const capacity = capacityWord & CAPACITY_MASK;
    const chain = length <= capacity ? NULL_ADDRESS : this.newChain(length);
    if ((capacityWord & OVERFLOW_FLAG) !== 0) {
      this.freeBlobs(entry);
      u32[w + E_CAPACITY] = capacity;
    }
    u32[w + E_VALUE_LEN] = 0;
    if (chain === NULL_ADDRESS) {
      copyInto(this.u8, valueAddress(u32, entry), source, 0, length);
      u32[w + E_VALUE_LEN] = length;
      return;
    }
    this.attachChain(entry, capacity, chain);
    this.appendToBlobs(entry, source, 0, length);
  }

  /**
   * Appends `source[0, length)` to the value of `entry`. Blobs are allocated before
   * anything changes: when memory runs out, the value is as it was.
   *
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when blobs cannot be allocated
   */
  append(entry: number, source: Uint8Array, length: number): void {
    const u32 = this.u32;
    const w = entry >>> 2;
    const capacityWord = u32[w + E_CAPACITY]!;
    const current = u32[w + E_VALUE_LEN]!;
    if ((capacityWord & OVERFLOW_FLAG) === 0) {
      const capacity = capacityWord & CAPACITY_MASK;
      const start = valueAddress(u32, entry);
      if (current + length <= capacity) {
        copyInto(this.u8, start + current, source, 0, length);
        u32[w + E_VALUE_LEN] = current + length;
        return;
      }
      // Move the inline bytes to blobs twice as large as needed, then append.
      const chain = this.newChain(2 * (current + length));
      const moved = this.u8.slice(start, start + current);
      this.attachChain(entry, capacity, chain);
      this.appendToBlobs(entry, moved, 0, current);
      this.appendToBlobs(entry, source, 0, length);
      return;
    }
    // Room in the last written blob and in the empty blobs allocated after it.
    let tail = u32[(valueAddress(u32, entry) >>> 2) + 1]!;
    let room = 0;
    for (let blob = tail; blob !== NULL_ADDRESS; blob = u32[(blob >>> 2) + B_NEXT]!) {
      room += u32[(blob >>> 2) + B_CAPACITY]! - u32[(blob >>> 2) + B_USED]!;
      tail = blob;
    }
    if (length > room) {
      const more = this.newChain(Math.max(length - room, 2 * u32[(tail >>> 2) + B_CAPACITY]!));
      u32[(tail >>> 2) + B_NEXT] = more;
    }
    this.appendToBlobs(entry, source, 0, length);
  }

  /** Frees the blobs of an overflowed entry (the entry keeps its OVERFLOW flag). */
  freeBlobs(entry: number): void {
    const u32 = this.u32;
    let blob = u32[valueAddress(u32, entry) >>> 2]!;
    while (blob !== NULL_ADDRESS) {
      const bw = blob >>> 2;
      const next = u32[bw + B_NEXT]!;
      this.arena.free(blob, BLOB_HEADER_BYTES + u32[bw + B_CAPACITY]!);
      blob = next;
    }
  }

  /**
   * A chain of empty blobs holding at least `bytes` (each at most a page), all or none.
   *
   * @returns the first blob
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED (after freeing what it took)
   */
  private newChain(bytes: number): number {
    const u32 = this.u32;
    let first = NULL_ADDRESS;
    let last = NULL_ADDRESS;
    let room = 0;
    try {
      while (room < bytes) {
        const blob = this.newBlob(bytes - room);
        if (last === NULL_ADDRESS) first = blob;
        else u32[(last >>> 2) + B_NEXT] = blob;
        last = blob;
        room += u32[(blob >>> 2) + B_CAPACITY]!;
      }
    } catch (error) {
      for (let blob = first; blob !== NULL_ADDRESS; ) {
        const next = u32[(blob >>> 2) + B_NEXT]!;
        this.arena.free(blob, BLOB_HEADER_BYTES + u32[(blob >>> 2) + B_CAPACITY]!);
        blob = next;
      }
      throw error;
    }
    return first;
  }

  /** Switches `entry` to blob storage over the empty chain starting at `first`. */
  private attachChain(entry: number, capacity: number, first: number): void {
    if (capacity < 8) throw new RangeError(`entry ${entry} has no room for a blob pointer`);
    const u32 = this.u32;
    const w = entry >>> 2;
    const pointers = valueAddress(u32, entry) >>> 2;
    u32[pointers] = first;
    u32[pointers + 1] = first;
    u32[w + E_CAPACITY] = (capacity | OVERFLOW_FLAG) >>> 0;
    u32[w + E_VALUE_LEN] = 0;
  }

  /** Copies into the preallocated blobs after the last one written, moving the last pointer. */
  private appendToBlobs(entry: number, source: Uint8Array, offset: number, length: number): void {
    const u32 = this.u32;
    const w = entry >>> 2;
    const pointers = valueAddress(u32, entry) >>> 2;
    let remaining = length;
    let from = offset;
    while (remaining > 0) {
      const last = u32[pointers + 1]!;
      const lw = last >>> 2;
      const used = u32[lw + B_USED]!;
      const room = u32[lw + B_CAPACITY]! - used;
      if (room === 0) {
        const next = u32[lw + B_NEXT]!;
        if (next === NULL_ADDRESS) throw new RangeError('blob chain shorter than its value');
        u32[pointers + 1] = next;
        continue;
      }
      const n = Math.min(room, remaining);
      copyInto(this.u8, last + BLOB_HEADER_BYTES + used, source, from, n);
      u32[lw + B_USED] = used + n;
      u32[w + E_VALUE_LEN] = u32[w + E_VALUE_LEN]! + n;
      from += n;
      remaining -= n;
    }
  }

  private newBlob(dataBytes: number): number {
    const bytes = Math.min(
      this.arena.pageSizeBytes,
      blockSizeOf(BLOB_HEADER_BYTES + Math.max(MIN_BLOB_BYTES, dataBytes)),
    );
    const blob = this.arena.allocate(bytes);
    const bw = blob >>> 2;
    this.u32[bw + B_NEXT] = NULL_ADDRESS;
    this.u32[bw + B_USED] = 0;
    this.u32[bw + B_CAPACITY] = bytes - BLOB_HEADER_BYTES;
    return blob;
  }
}

/** Copies `source[from, from + length)` to `target[at, ...)`; a loop for short runs. */
export function copyInto(
  target: Uint8Array,
  at: number,
  source: Uint8Array,
  from: number,
  length: number,
): void {
  if (length < 32) {
    for (let i = 0; i < length; i++) target[at + i] = source[from + i]!;
  } else {
    target.set(source.subarray(from, from + length), at);
  }
}
