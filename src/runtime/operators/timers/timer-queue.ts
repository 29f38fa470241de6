/**
 * Pending timers ordered by timestamp, in managed memory: timers are grouped into one
 * *bucket* per distinct timestamp (window timers of thousands of keys share a few
 * timestamps), buckets are ordered by a binary min-heap, and found by timestamp
 * through an open-addressing table. Flink keeps a heap of timer objects
 * (`HeapPriorityQueueSet`); grouping makes firing and deleting O(1) per timer and keeps
 * the heap as small as the number of distinct timestamps.
 *
 * ```
 *  table (linear probing)        heap of buckets (min timestamp on top)
 *  [ts 9999 → b1][ts 11999 → b2]  [ (9999,b1) ][ (11999,b2) ] ...
 *
 *  bucket (16 bytes): [u32 first entry][u32 count][float64 timestamp]
 *  b1 ─► e7 ⇄ e3 ⇄ e9      timer entries linked through LINK_PREV / LINK_NEXT
 *
 *  heap slot / table slot (16 bytes): [float64 timestamp][u32 bucket][u32 unused]
 *  slot i lives at directory[i >> s] + (i & (2^s − 1)) × 16 (pages of the arena)
 * ```
 *
 * A bucket emptied by deletions stays in the heap until it reaches the top; then it is
 * dropped. Within a bucket timers fire newest first (their order is not specified).
 *
 * @remarks Owned by the task thread of its backend.
 */

import { bitMix } from '../../../types/murmur-hash.ts';
import type { ManagedMemoryArena } from '../../state/managed-memory-arena.ts';
import { E_LINK_NEXT, E_LINK_PREV } from '../../state/state-entry-layout.ts';

const SLOT_BYTES = 16;
const BUCKET_BYTES = 16;
const MIN_TABLE_SLOTS = 16;
const f64Scratch = new Float64Array(1);
const u32Scratch = new Uint32Array(f64Scratch.buffer);

function hashTimestamp(timestamp: number): number {
  f64Scratch[0] = timestamp;
  return bitMix(u32Scratch[0]! ^ bitMix(u32Scratch[1]!));
}

/** Growable array of 16-byte slots in arena pages. */
class SlotArray {
  private readonly arena: ManagedMemoryArena;
  private readonly pages: number[] = [];
  private readonly shift: number;
  private readonly mask: number;

  constructor(arena: ManagedMemoryArena) {
    this.arena = arena;
    this.shift = 31 - Math.clz32(arena.pageSizeBytes / SLOT_BYTES);
    this.mask = (1 << this.shift) - 1;
  }

  /** Address of slot `index`. */
  address(index: number): number {
    return this.pages[index >>> this.shift]! + ((index & this.mask) << 4);
  }

  /** Makes room for `count` slots. @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED */
  ensure(count: number): void {
    while (this.pages.length << this.shift < count) this.pages.push(this.arena.allocatePage());
  }

  /** Gives back pages beyond what `count` slots need (keeps one spare). */
  trim(count: number): void {
    const needed = ((count + this.mask) >>> this.shift) + 1;
    while (this.pages.length > needed) this.arena.freePage(this.pages.pop()!);
  }

  /** Zeroes the first `count` slots. */
  zero(count: number): void {
    const u32 = this.arena.u32;
    const perPage = 1 << this.shift;
    for (let p = 0; p < this.pages.length && p * perPage < count; p++) {
      const start = this.pages[p]! >>> 2;
      const slots = Math.min(perPage, count - p * perPage);
      u32.fill(0, start, start + slots * 4);
    }
  }

  release(): void {
    for (const page of this.pages) this.arena.freePage(page);
    this.pages.length = 0;
  }
}

/**
 * Timer entries by timestamp; see the module documentation.
 *
 * @remarks Owned by one task thread.
 */
export class TimerQueue {
  /** Timers queued. */
  size = 0;
  private readonly arena: ManagedMemoryArena;
  private readonly u32: Uint32Array;
  private readonly f64: Float64Array;
  private readonly heap: SlotArray;
  private heapSize = 0;
  private readonly table: SlotArray;
  private tableSlots = 0;
  private tableUsed = 0;

  /** @param arena - the backend's arena */
  constructor(arena: ManagedMemoryArena) {
    this.arena = arena;
    this.u32 = arena.u32;
    this.f64 = arena.f64;
    this.heap = new SlotArray(arena);
    this.table = new SlotArray(arena);
  }

  /**
   * Queues timer entry `entry` at `timestamp`.
   *
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when a bucket or page cannot be allocated
   */
  add(entry: number, timestamp: number): void {
    let bucket = this.findBucket(timestamp);
    if (bucket === 0) bucket = this.createBucket(timestamp);
    const u32 = this.u32;
    const b = bucket >>> 2;
    const first = u32[b]!;
    const w = entry >>> 2;
    u32[w + E_LINK_PREV] = 0;
    u32[w + E_LINK_NEXT] = first;
    if (first !== 0) u32[(first >>> 2) + E_LINK_PREV] = entry;
    u32[b] = entry;
    u32[b + 1] = u32[b + 1]! + 1;
    this.size++;
  }

  /** Unlinks a queued timer entry (queued at `timestamp`). */
  remove(entry: number, timestamp: number): void {
    const bucket = this.findBucket(timestamp);
    if (bucket === 0) throw new RangeError(`no timers queued at ${timestamp}`);
    this.unlink(bucket, entry);
  }

  /** Timestamp of the earliest timer, or +Infinity when none is queued. */
  peekTimestamp(): number {
    const u32 = this.u32;
    while (this.heapSize > 0) {
      const slot = this.heap.address(0);
      const bucket = u32[(slot >>> 2) + 2]!;
      if (u32[(bucket >>> 2) + 1]! > 0) return this.f64[slot >>> 3]!;
      this.dropTopBucket();
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Unlinks and returns an entry of the earliest timestamp ({@link peekTimestamp} first). */
  poll(): number {
    const bucket = this.u32[(this.heap.address(0) >>> 2) + 2]!;
    const entry = this.u32[bucket >>> 2]!;
    this.unlink(bucket, entry);
    return entry;
  }

  /** Gives every page and bucket back to the arena (entries are the caller's). */
  clear(): void {
    for (let i = 0; i < this.heapSize; i++) {
      this.arena.free(this.u32[(this.heap.address(i) >>> 2) + 2]!, BUCKET_BYTES);
    }
    this.heap.release();
    this.table.release();
    this.heapSize = 0;
    this.tableSlots = 0;
    this.tableUsed = 0;
    this.size = 0;
  }

  private unlink(bucket: number, entry: number): void {
    const u32 = this.u32;
    const w = entry >>> 2;
    const prev = u32[w + E_LINK_PREV]!;
    const next = u32[w + E_LINK_NEXT]!;
    if (prev !== 0) u32[(prev >>> 2) + E_LINK_NEXT] = next;
    else u32[bucket >>> 2] = next;
    if (next !== 0) u32[(next >>> 2) + E_LINK_PREV] = prev;
    u32[(bucket >>> 2) + 1] = u32[(bucket >>> 2) + 1]! - 1;
    this.size--;
  }

  private createBucket(timestamp: number): number {
    if ((this.tableUsed + 1) * 2 > this.tableSlots) this.growTable();
    this.heap.ensure(this.heapSize + 1);
    const bucket = this.arena.allocate(BUCKET_BYTES);
    const b = bucket >>> 2;
    this.u32[b] = 0;
    this.u32[b + 1] = 0;
    this.f64[(bucket >>> 3) + 1] = timestamp;
    this.tableInsert(timestamp, bucket);
    this.heapPush(timestamp, bucket);
    return bucket;
  }

  private dropTopBucket(): void {
    const u32 = this.u32;
    const top = this.heap.address(0);
    const timestamp = this.f64[top >>> 3]!;
    const bucket = u32[(top >>> 2) + 2]!;
    this.tableDelete(timestamp);
    this.arena.free(bucket, BUCKET_BYTES);
    const last = --this.heapSize;
    if (last > 0) {
      const slot = this.heap.address(last);
      this.siftDown(0, this.f64[slot >>> 3]!, u32[(slot >>> 2) + 2]!);
    }
    this.heap.trim(this.heapSize);
  }

  // ---- heap of buckets ----

  private heapPush(timestamp: number, bucket: number): void {
    let index = this.heapSize++;
    const u32 = this.u32;
    const f64 = this.f64;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentSlot = this.heap.address(parent);
      const parentTimestamp = f64[parentSlot >>> 3]!;
      if (parentTimestamp <= timestamp) break;
      const slot = this.heap.address(index);
      f64[slot >>> 3] = parentTimestamp;
      u32[(slot >>> 2) + 2] = u32[(parentSlot >>> 2) + 2]!;
      index = parent;
    }
    const slot = this.heap.address(index);
    f64[slot >>> 3] = timestamp;
    u32[(slot >>> 2) + 2] = bucket;
  }

  private siftDown(start: number, timestamp: number, bucket: number): void {
    const size = this.heapSize;
    const u32 = this.u32;
    const f64 = this.f64;
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= size) break;
      let childSlot = this.heap.address(child);
      if (child + 1 < size) {
        const right = this.heap.address(child + 1);
        if (f64[right >>> 3]! < f64[childSlot >>> 3]!) {
          child++;
          childSlot = right;
        }
      }
      const childTimestamp = f64[childSlot >>> 3]!;
      if (timestamp <= childTimestamp) break;
      const slot = this.heap.address(index);
      f64[slot >>> 3] = childTimestamp;
      u32[(slot >>> 2) + 2] = u32[(childSlot >>> 2) + 2]!;
      index = child;
    }
    const slot = this.heap.address(index);
    f64[slot >>> 3] = timestamp;
    u32[(slot >>> 2) + 2] = bucket;
  }

  // ---- timestamp → bucket table (linear probing, backward-shift deletion) ----

  private findBucket(timestamp: number): number {
    if (this.tableSlots === 0) return 0;
    const mask = this.tableSlots - 1;
    const u32 = this.u32;
    const f64 = this.f64;
    for (let i = hashTimestamp(timestamp) & mask; ; i = (i + 1) & mask) {
      const slot = this.table.address(i);
      const bucket = u32[(slot >>> 2) + 2]!;
      if (bucket === 0) return 0;
      if (f64[slot >>> 3] === timestamp) return bucket;
    }
  }

  private tableInsert(timestamp: number, bucket: number): void {
    const mask = this.tableSlots - 1;
    let i = hashTimestamp(timestamp) & mask;
    while (this.u32[(this.table.address(i) >>> 2) + 2] !== 0) i = (i + 1) & mask;
    const slot = this.table.address(i);
    this.f64[slot >>> 3] = timestamp;
    this.u32[(slot >>> 2) + 2] = bucket;
    this.tableUsed++;
  }

  private tableDelete(timestamp: number): void {
    const mask = this.tableSlots - 1;
    const u32 = this.u32;
    const f64 = this.f64;
    let hole = hashTimestamp(timestamp) & mask;
    while (f64[this.table.address(hole) >>> 3] !== timestamp) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const slot = this.table.address(j);
      const bucket = u32[(slot >>> 2) + 2]!;
      if (bucket === 0) break;
      const home = hashTimestamp(f64[slot >>> 3]!) & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        const target = this.table.address(hole);
        f64[target >>> 3] = f64[slot >>> 3]!;
        u32[(target >>> 2) + 2] = bucket;
        hole = j;
      }
    }
    u32[(this.table.address(hole) >>> 2) + 2] = 0;
    this.tableUsed--;
  }

  private growTable(): void {
    const oldSlots = this.tableSlots;
    const entries: number[] = [];
    for (let i = 0; i < oldSlots; i++) {
      const slot = this.table.address(i);
      const bucket = this.u32[(slot >>> 2) + 2]!;
      if (bucket !== 0) entries.push(this.f64[slot >>> 3]!, bucket);
    }
    this.tableSlots = Math.max(MIN_TABLE_SLOTS, oldSlots * 2);
    this.table.ensure(this.tableSlots);
    this.table.zero(this.tableSlots);
    this.tableUsed = 0;
    for (let k = 0; k < entries.length; k += 2) this.tableInsert(entries[k]!, entries[k + 1]!);
  }
}
