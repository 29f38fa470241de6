/**
 * Layout of the `MemoryManager`'s shared control block: an `Int32Array` (and, for
 * byte counts that may pass 2^31, a `Float64Array` over the same words) on a
 * `SharedArrayBuffer`. This module is the only place that knows where a word lives;
 * `docs/memory.md` draws the same picture.
 *
 * ```
 *  Int32 index
 *  ┌──────────────────────────────── header (16 words) ─────────────────────────┐
 *  │ MAGIC │ VERSION │ NUM_PAGES │ PAGE_SIZE │ MAX_OWNERS │ FREE_HEAD │         │
 *  │ FREE_LOCK │ NUM_FREE_PAGES │ LOCK │ ALLOCATED_PAGES │ (reserved ×6)      │
 *  ├──────── words 16–17: RESERVED_BYTES (Float64, total bytes reserved) ─────┤
 *  ├──────── words 18–31: reserved ───────────────────────────────────────────┤
 *  ├──────── per page i ∈ [0, N) ─────────────────────────────────────────────┤
 *  │ next[i]    free-list link (END_OF_LIST = -1)                             │
 *  │ owner[i]   owner-table slot holding page i; -1 = free                    │
 *  ├──────── owner table: MAX_OWNERS entries × OWNER_STRIDE (24 words) ───────┤
 *  │ STATE │ PAGES │ KEY_LENGTH │ KEY_HASH │ RESERVED (Float64, words 4–5)    │
 *  │ (reserved ×2) │ KEY: UTF-8 bytes of the owner key, ≤ 64 (words 8–23)     │
 *  └──────────────────────────────────────────────────────────────────────────┘
 * ```
 *
 * The free list is lock-free on its own, but every `MemoryManager` operation runs
 * under `LOCK` (allocations and releases are rare: task set-up, spilling, teardown),
 * so the budget, the owner table and the Float64 counters are only touched there.
 */

/** `'SLMM'`: identifies a managed-memory control block. */
export const MEMORY_MANAGER_MAGIC = 0x534c4d4d;
/** Bumped on every incompatible change of this layout. */
export const MEMORY_MANAGER_LAYOUT_VERSION = 1;

export const M_MAGIC = 0;
export const M_VERSION = 1;
export const M_NUM_PAGES = 2;
export const M_PAGE_SIZE = 3;
export const M_MAX_OWNERS = 4;
/** Head of the free list of pages (a `SharedFreeList`). */
export const M_FREE_HEAD = 5;
/** Mutex of the free list's pops. */
export const M_FREE_LOCK = 6;
/** Pages in the free list. */
export const M_NUM_FREE_PAGES = 7;
/** Mutex over everything below: budget, owner table, page owners. */
export const M_LOCK = 8;
/** Pages allocated to owners. */
export const M_ALLOCATED_PAGES = 9;
/** Float64 index (words 16–17): bytes reserved by all owners. */
export const M_F64_RESERVED_BYTES = 8;
export const HEADER_WORDS = 32;

// ---- owner table entry fields --------------------------------------------------------
/** `OWNER_FREE` or `OWNER_USED`. */
export const O_STATE = 0;
/** Pages the owner holds. */
export const O_PAGES = 1;
/** Bytes of the owner key. */
export const O_KEY_LENGTH = 2;
/** FNV-1a hash of the key bytes, to skip mismatches quickly. */
export const O_KEY_HASH = 3;
/** Float64 at words 4–5 of the entry: bytes the owner reserved. */
export const O_RESERVED_BYTES = 4;
/** Word of the first key byte. */
export const O_KEY = 8;
/** Longest owner key in UTF-8 bytes. */
export const MAX_OWNER_KEY_BYTES = 64;
export const OWNER_STRIDE = 24;

export const OWNER_FREE = 0;
export const OWNER_USED = 1;
/** `owner[i]` of a free page. */
export const NO_OWNER = -1;

/** Positions of the per-page arrays and the owner table for given sizes. */
export interface MemoryManagerLayout {
  /** Index of `next[0]`. */
  readonly pageNext: number;
  /** Index of `owner[0]`. */
  readonly pageOwner: number;
  /** Index of owner entry 0 (even, so its Float64 field is aligned). */
  readonly ownerTable: number;
  /** Words in the whole control block. */
  readonly totalWords: number;
}

/**
 * Computes where the per-page arrays and the owner table live.
 *
 * @param numPages - pages of managed memory (N)
 * @param maxOwners - entries in the owner table
 * @returns word indices into the control `Int32Array`
 */
export function memoryManagerLayout(numPages: number, maxOwners: number): MemoryManagerLayout {
  const pageNext = HEADER_WORDS;
  const pageOwner = pageNext + numPages;
  const ownerTable = Math.ceil((pageOwner + numPages) / 16) * 16;
  return { pageNext, pageOwner, ownerTable, totalWords: ownerTable + maxOwners * OWNER_STRIDE };
}
