/**
 * A binary min-heap of timers in managed memory, ordered by timestamp (Flink's
 * `HeapPriorityQueue` of `TimerHeapInternalTimer`s). Each slot holds a timestamp and the
 * address of the timer's entry in the keyed-state tables; the entry's AUX word holds
 * the slot index back, so a timer can be deleted in O(log n) after a hash lookup.
 *
 * ```
 *  slot (16 bytes):  [float64 timestamp][u32 entry address][u32 unused]
 *  slots live in whole pages: slot i at directory[i >> s] + (i & (2^s − 1)) × 16
 *  heap order: slot[parent(i)].timestamp ≤ slot[i].timestamp, parent(i) = (i − 1) >> 1
 * ```
 *
 * Pages are taken as the heap grows and given back when it shrinks by a page.
 *
 * @remarks Owned by the task thread of its backend.
 */

import type { ManagedMemoryArena } from '../../state/managed-memory-arena.ts';
import { E_AUX } from '../../state/state-entry-layout.ts';

const SLOT_BYTES = 16;

/**
 * Timestamp-ordered heap of timer entries; see the module documentation.
 *
 * @remarks Owned by one task thread.
 */
export class TimerHeap {
  /** Timers in the heap. */
  size = 0;
  private readonly arena: ManagedMemoryArena;
  private readonly f64: Float64Array;
  private readonly u32: Uint32Array;
  private readonly directory: number[] = [];
  private readonly shift: number;
  private readonly slotMask: number;

  /** @param arena - the backend's arena */
  constructor(arena: ManagedMemoryArena) {
    this.arena = arena;
    this.f64 = arena.f64;
    this.u32 = arena.u32;
    this.shift = 31 - Math.clz32(arena.pageSizeBytes / SLOT_BYTES);
    this.slotMask = (1 << this.shift) - 1;
  }

  /** Timestamp of the earliest timer (the heap must not be empty). */
  peekTimestamp(): number {
    return this.f64[this.directory[0]! >>> 3]!;
  }

  /** Entry of the earliest timer (the heap must not be empty). */
  peekEntry(): number {
    return this.u32[(this.directory[0]! >>> 2) + 2]!;
  }

  /**
   * Adds a timer.
   *
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when a new page is needed and none is left
   */
  push(timestamp: number, entry: number): void {
    const index = this.size;
    if (index >>> this.shift >= this.directory.length) {
      this.directory.push(this.arena.allocatePage());
    }
    this.size = index + 1;
    this.siftUp(index, timestamp, entry);
  }

  /** Removes the earliest timer. */
  poll(): void {
    this.removeAt(0);
  }

  /** Removes the timer in slot `index` (the AUX word of its entry). */
  removeAt(index: number): void {
    const last = this.size - 1;
    this.size = last;
    if (index !== last) {
      const slot = this.slot(last);
      const timestamp = this.f64[slot >>> 3]!;
      const entry = this.u32[(slot >>> 2) + 2]!;
      const parent = (index - 1) >> 1;
      if (index > 0 && timestamp < this.f64[this.slot(parent) >>> 3]!) {
        this.siftUp(index, timestamp, entry);
      } else {
        this.siftDown(index, timestamp, entry);
      }
    }
    const pages = ((this.size + this.slotMask) >>> this.shift) + 1;
    while (this.directory.length > pages) this.arena.freePage(this.directory.pop()!);
  }

  /** Gives every page back to the arena. */
  clear(): void {
    for (const page of this.directory) this.arena.freePage(page);
    this.directory.length = 0;
    this.size = 0;
  }

  private slot(index: number): number {
    return this.directory[index >>> this.shift]! + ((index & this.slotMask) << 4);
  }

  private place(index: number, timestamp: number, entry: number): void {
    const slot = this.slot(index);
    this.f64[slot >>> 3] = timestamp;
    this.u32[(slot >>> 2) + 2] = entry;
    this.u32[(entry >>> 2) + E_AUX] = index;
  }

  private siftUp(start: number, timestamp: number, entry: number): void {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentSlot = this.slot(parent);
      const parentTimestamp = this.f64[parentSlot >>> 3]!;
      if (parentTimestamp <= timestamp) break;
      this.place(index, parentTimestamp, this.u32[(parentSlot >>> 2) + 2]!);
      index = parent;
    }
    this.place(index, timestamp, entry);
  }

  private siftDown(start: number, timestamp: number, entry: number): void {
    const size = this.size;
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= size) break;
      let childSlot = this.slot(child);
      let childTimestamp = this.f64[childSlot >>> 3]!;
      if (child + 1 < size) {
        const rightSlot = this.slot(child + 1);
        const rightTimestamp = this.f64[rightSlot >>> 3]!;
        if (rightTimestamp < childTimestamp) {
          child++;
          childSlot = rightSlot;
          childTimestamp = rightTimestamp;
        }
      }
      if (timestamp <= childTimestamp) break;
      this.place(index, childTimestamp, this.u32[(childSlot >>> 2) + 2]!);
      index = child;
    }
    this.place(index, timestamp, entry);
  }
}
