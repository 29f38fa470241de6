/**
 * The keyed state of one key group: a chained hash table of entries in managed memory
 * (Flink's `StateMap`, one per key group as in Flink's `StateTable`). Every state of
 * the backend shares the key group's table; an entry is identified by (state id, key
 * bytes, namespace bytes) — see `state-entry-layout.ts`.
 *
 * ```
 *  buckets (a block, or pages listed in a directory once larger than a page)
 *  ┌────┬────┬────┬────┬─────┐
 *  │ e1 │ 0  │ e4 │ 0  │ ... │      bucket = hash & mask
 *  └─┬──┴────┴─┬──┴────┴─────┘
 *    ▼         ▼
 *   [e1]──►[e7]  [e4]            entries chained through their NEXT word
 * ```
 *
 * The table doubles when it holds more entries than buckets (load factor 1) and
 * rehashes in one pass; with one table per key group a pause is bounded by that key
 * group's size. Key groups are the unit of snapshots and of redistribution when the
 * parallelism changes: {@link forEach} walks exactly one key group.
 *
 * @remarks Owned by the task thread of its backend.
 */

import { blockSizeOf, type ManagedMemoryArena, NULL_ADDRESS } from './managed-memory-arena.ts';
import {
  CAPACITY_MASK,
  E_AUX,
  E_CAPACITY,
  E_HASH,
  E_KEY_LEN,
  E_LINK_NEXT,
  E_LINK_PREV,
  E_META,
  E_NEXT,
  E_NS_LEN,
  E_VALUE_LEN,
  ENTRY_HEADER_BYTES,
  OVERFLOW_FLAG,
} from './state-entry-layout.ts';

const INITIAL_BUCKETS = 16;

/**
 * Hash table of one key group; see the module documentation.
 *
 * @remarks Owned by one task thread.
 */
export class KeyGroupStateMap {
  /** The key group. */
  readonly keyGroup: number;
  /** Entries in the table. */
  size = 0;
  private readonly arena: ManagedMemoryArena;
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private mask = INITIAL_BUCKETS - 1;
  /** Bucket block when the array fits in one block; else NULL_ADDRESS. */
  private buckets = NULL_ADDRESS;
  /** Bucket pages when the array is larger than a page. */
  private directory: number[] | undefined;
  private readonly bucketsPerPageShift: number;
  private readonly freeValue: (entry: number) => void;

  /**
   * @param arena - the backend's arena
   * @param keyGroup - the key group this table holds
   * @param freeValue - releases an entry's overflow blobs (called before an entry is freed)
   */
  constructor(arena: ManagedMemoryArena, keyGroup: number, freeValue: (entry: number) => void) {
    this.arena = arena;
    this.u8 = arena.u8;
    this.u32 = arena.u32;
    this.keyGroup = keyGroup;
    this.freeValue = freeValue;
    this.bucketsPerPageShift = 31 - Math.clz32(arena.pageSizeBytes >>> 2);
  }

  /**
   * The entry of (meta, key, namespace), or 0.
   *
   * @param hash - the entry hash (unsigned 32-bit)
   * @param meta - `entryMeta(stateId, keyGroup)`
   * @param key - serialized key bytes `[0, keyLen)`
   * @param ns - serialized namespace bytes `[0, nsLen)`
   */
  find(
    hash: number,
    meta: number,
    key: Uint8Array,
    keyLen: number,
    ns: Uint8Array,
    nsLen: number,
  ): number {
    if (this.buckets === NULL_ADDRESS && this.directory === undefined) return NULL_ADDRESS;
    const u32 = this.u32;
    const u8 = this.u8;
    let entry = u32[this.bucketAddress(hash & this.mask) >>> 2]!;
    while (entry !== NULL_ADDRESS) {
      const w = entry >>> 2;
      if (
        u32[w + E_HASH] === hash &&
        u32[w + E_META] === meta &&
        u32[w + E_KEY_LEN] === keyLen &&
        u32[w + E_NS_LEN] === nsLen
      ) {
        let p = entry + ENTRY_HEADER_BYTES;
        let i = 0;
        while (i < keyLen && u8[p + i] === key[i]) i++;
        if (i === keyLen) {
          p += keyLen;
          let j = 0;
          while (j < nsLen && u8[p + j] === ns[j]) j++;
          if (j === nsLen) return entry;
        }
      }
      entry = u32[w + E_NEXT]!;
    }
    return NULL_ADDRESS;
  }

  /**
   * Adds an entry (the caller checked that it does not exist) with an inline value
   * area of at least `capacity` bytes; VALUE_LEN is 0, AUX and links are 0.
   *
   * @returns the new entry's address
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when managed memory runs out
   */
  insert(
    hash: number,
    meta: number,
    key: Uint8Array,
    keyLen: number,
    ns: Uint8Array,
    nsLen: number,
    capacity: number,
  ): number {
    if (this.buckets === NULL_ADDRESS && this.directory === undefined) this.allocateBuckets();
    const fixed = valueOffset(keyLen, nsLen);
    const page = this.arena.pageSizeBytes;
    if (fixed + 8 > page) {
      throw new RangeError(
        `serialized key and namespace of ${keyLen + nsLen} bytes do not fit a managed-memory page of ${page} bytes; use smaller keys or raise taskmanager.memory.segment-size`,
      );
    }
    const wanted = Math.min(page, fixed + Math.max(capacity, 0));
    const entry = this.arena.allocate(wanted);
    const blockSize = blockSizeOf(wanted);
    const u32 = this.u32;
    const w = entry >>> 2;
    u32[w + E_HASH] = hash;
    u32[w + E_META] = meta;
    u32[w + E_KEY_LEN] = keyLen;
    u32[w + E_NS_LEN] = nsLen;
    u32[w + E_VALUE_LEN] = 0;
    u32[w + E_CAPACITY] = blockSize - fixed;
    u32[w + E_AUX] = 0;
    u32[w + E_LINK_PREV] = 0;
    u32[w + E_LINK_NEXT] = 0;
    const u8 = this.u8;
    let p = entry + ENTRY_HEADER_BYTES;
    for (let i = 0; i < keyLen; i++) u8[p + i] = key[i]!;
    p += keyLen;
    for (let i = 0; i < nsLen; i++) u8[p + i] = ns[i]!;
    const bucket = this.bucketAddress(hash & this.mask) >>> 2;
    u32[w + E_NEXT] = u32[bucket]!;
    u32[bucket] = entry;
    if (++this.size > this.mask + 1) this.grow();
    return entry;
  }

  /** Unlinks and frees an entry of this table (its overflow blobs too). */
  remove(entry: number): void {
    const u32 = this.u32;
    const w = entry >>> 2;
    let link = this.bucketAddress(u32[w + E_HASH]! & this.mask) >>> 2;
    while (u32[link] !== entry) {
      const next = u32[link]!;
      if (next === NULL_ADDRESS)
        throw new RangeError(`entry ${entry} is not in key group ${this.keyGroup}`);
      link = (next >>> 2) + E_NEXT;
    }
    u32[link] = u32[w + E_NEXT]!;
    if ((u32[w + E_CAPACITY]! & OVERFLOW_FLAG) !== 0) this.freeValue(entry);
    this.arena.free(entry, entryBlockBytes(u32, entry));
    this.size--;
  }

  /**
   * Calls `action` for every entry (in bucket order). `action` must not insert; it may
   * remove the entry it is given.
   */
  forEach(action: (entry: number) => void): void {
    const count = this.mask + 1;
    if (this.buckets === NULL_ADDRESS && this.directory === undefined) return;
    const u32 = this.u32;
    for (let b = 0; b < count; b++) {
      let entry = u32[this.bucketAddress(b) >>> 2]!;
      while (entry !== NULL_ADDRESS) {
        const next = u32[(entry >>> 2) + E_NEXT]!;
        action(entry);
        entry = next;
      }
    }
  }

  /** Frees every entry and the bucket array. */
  clear(): void {
    this.forEach((entry) => {
      const u32 = this.u32;
      if ((u32[(entry >>> 2) + E_CAPACITY]! & OVERFLOW_FLAG) !== 0) this.freeValue(entry);
      this.arena.free(entry, entryBlockBytes(u32, entry));
    });
    this.releaseBuckets(this.buckets, this.directory, this.mask + 1);
    this.buckets = NULL_ADDRESS;
    this.directory = undefined;
    this.mask = INITIAL_BUCKETS - 1;
    this.size = 0;
  }

  /** Bytes of this table's bucket array. */
  bucketBytes(): number {
    return (this.mask + 1) * 4;
  }

  private bucketAddress(bucket: number): number {
    if (this.directory === undefined) return this.buckets + (bucket << 2);
    const shift = this.bucketsPerPageShift;
    return this.directory[bucket >>> shift]! + ((bucket & ((1 << shift) - 1)) << 2);
  }

  private allocateBuckets(): void {
    const count = this.mask + 1;
    const bytes = count * 4;
    if (bytes <= this.arena.pageSizeBytes) {
      this.buckets = this.arena.allocate(bytes);
      this.directory = undefined;
      this.u32.fill(0, this.buckets >>> 2, (this.buckets >>> 2) + count);
    } else {
      const pages = bytes / this.arena.pageSizeBytes;
      const directory: number[] = [];
      try {
        for (let i = 0; i < pages; i++) {
          const page = this.arena.allocatePage();
          directory.push(page);
          this.u32.fill(0, page >>> 2, (page + this.arena.pageSizeBytes) >>> 2);
        }
      } catch (error) {
        for (const page of directory) this.arena.freePage(page);
        throw error;
      }
      this.buckets = NULL_ADDRESS;
      this.directory = directory;
    }
  }

  /** Doubles the bucket array and relinks every entry. */
  private grow(): void {
    const oldBuckets = this.buckets;
    const oldDirectory = this.directory;
    const oldCount = this.mask + 1;
    const oldMask = this.mask;
    this.mask = oldCount * 2 - 1;
    try {
      this.allocateBuckets();
    } catch (error) {
      // Keep working at a higher load factor; the next insert tries again.
      this.mask = oldMask;
      this.buckets = oldBuckets;
      this.directory = oldDirectory;
      if ((error as { code?: unknown }).code === 'SLUICE_ERR_STATE_MEMORY_EXHAUSTED') return;
      throw error;
    }
    const u32 = this.u32;
    const shift = this.bucketsPerPageShift;
    for (let b = 0; b < oldCount; b++) {
      const slot =
        oldDirectory === undefined
          ? oldBuckets + (b << 2)
          : oldDirectory[b >>> shift]! + ((b & ((1 << shift) - 1)) << 2);
      let entry = u32[slot >>> 2]!;
      while (entry !== NULL_ADDRESS) {
        const w = entry >>> 2;
        const next = u32[w + E_NEXT]!;
        const bucket = this.bucketAddress(u32[w + E_HASH]! & this.mask) >>> 2;
        u32[w + E_NEXT] = u32[bucket]!;
        u32[bucket] = entry;
        entry = next;
      }
    }
    this.releaseBuckets(oldBuckets, oldDirectory, oldCount);
  }

  private releaseBuckets(buckets: number, directory: number[] | undefined, count: number): void {
    if (directory !== undefined) {
      for (const page of directory) this.arena.freePage(page);
    } else if (buckets !== NULL_ADDRESS) {
      this.arena.free(buckets, count * 4);
    }
  }
}

/** Offset of the value area in an entry: after header, key and namespace, 8-aligned. */
export function valueOffset(keyLen: number, nsLen: number): number {
  return (ENTRY_HEADER_BYTES + keyLen + nsLen + 7) & ~7;
}

/** Block bytes of an entry (header, key, namespace, padding and inline value area). */
export function entryBlockBytes(u32: Uint32Array, entry: number): number {
  const w = entry >>> 2;
  return (
    valueOffset(u32[w + E_KEY_LEN]!, u32[w + E_NS_LEN]!) + (u32[w + E_CAPACITY]! & CAPACITY_MASK)
  );
}

/** Address of an entry's value area (8-aligned). */
export function valueAddress(u32: Uint32Array, entry: number): number {
  const w = entry >>> 2;
  return entry + valueOffset(u32[w + E_KEY_LEN]!, u32[w + E_NS_LEN]!);
}

/** VALUE_LEN of an entry. */
export function valueLength(u32: Uint32Array, entry: number): number {
  return u32[(entry >>> 2) + E_VALUE_LEN]!;
}
