/**
 * Layout of the `NetworkBufferPool`'s shared control block: one `Int32Array` over a
 * `SharedArrayBuffer`, every word read and written with `Atomics`. This module is the
 * only place that knows where a word lives; `docs/memory.md` draws the same picture.
 *
 * ```
 *  word 0                                                        (Int32 index)
 *  ┌──────────────────────────────── header (16 words) ─────────────────────────┐
 *  │ MAGIC │ VERSION │ NUM_SEGMENTS │ SEGMENT_SIZE │ MAX_POOLS │ FREE_HEAD       │
 *  │ FREE_LOCK │ NUM_AVAILABLE │ TABLE_LOCK │ TABLE_GENERATION │ NUM_REQUIRED    │
 *  │ NUM_WAITING_POOLS │ POOL_HIGH_WATER │ (reserved ×3)                         │
 *  ├──────────── per segment i ∈ [0, N), each array 64-byte aligned ───────────┤
 *  │ next[i]      free-list / return-list link (END_OF_LIST = -1)               │
 *  │ refCount[i]  lease (15 bits) │ BUSY (1 bit) │ count (15 bits), see below   │
 *  │ owner[i]     id of the LocalBufferPool that owns segment i; -1 = free      │
 *  │ channel[i]   subpartition the owner requested it for (-1 = none);          │
 *  │              written and read by the owning thread only                    │
 *  ├──────────── pool table: MAX_POOLS entries × POOL_STRIDE (16 words) ────────┤
 *  │ STATE │ REQUIRED │ MAX │ TARGET │ OWNED │ IN_USE │ GENERATION │ WAITING    │
 *  │ RETURN_HEAD │ (reserved ×7: one entry = one 64-byte cache line)            │
 *  └────────────────────────────────────────────────────────────────────────────┘
 *
 *  refCount word:   bit 31   30 ............ 16   15     14 ............ 0
 *                   ┌──────┬──────────────────┬──────┬──────────────────┐
 *                   │  0   │ lease (15 bits)  │ BUSY │ count (15 bits)  │
 *                   └──────┴──────────────────┴──────┴──────────────────┘
 * ```
 *
 * - `lease` is bumped each time the owning pool hands the segment out, so a stale
 *   `Buffer` (an earlier lease of the same segment) is caught on use or release.
 * - `count` is the number of holders; 0 = released.
 * - `BUSY` is set when a thread other than the owner's drops the last reference and
 *   is still returning the segment (pushing it on the owner's return list, where it
 *   stays BUSY until the owner drains it). The reclaim scan skips BUSY segments.
 */

/** `'SLNB'`: identifies a network buffer pool control block. */
export const BUFFER_POOL_MAGIC = 0x534c4e42;
/** Bumped on every incompatible change of this layout. */
export const BUFFER_POOL_LAYOUT_VERSION = 1;

// ---- header words -------------------------------------------------------------------
export const H_MAGIC = 0;
export const H_VERSION = 1;
export const H_NUM_SEGMENTS = 2;
export const H_SEGMENT_SIZE = 3;
export const H_MAX_POOLS = 4;
/** Head of the global free list (a `SharedFreeList`). */
export const H_FREE_HEAD = 5;
/** Mutex serialising pops of the global free list. */
export const H_FREE_LOCK = 6;
/** Segments in the global free list (Flink's `AvailableMemorySegments`). */
export const H_NUM_AVAILABLE = 7;
/** Mutex over the pool table (register, destroy, redistribute). */
export const H_TABLE_LOCK = 8;
/** Bumped and notified after every redistribution; pools re-read `TARGET` when it changes. */
export const H_TABLE_GENERATION = 9;
/** Sum of `REQUIRED` over registered pools. */
export const H_NUM_REQUIRED = 10;
/** Pools whose `WAITING` word is 1; a return to the global list wakes them. */
export const H_NUM_WAITING_POOLS = 11;
/** One past the highest pool id ever registered (bounds table scans). */
export const H_POOL_HIGH_WATER = 12;
export const HEADER_WORDS = 16;

// ---- pool table entry fields (offsets inside one entry) -----------------------------
/** `POOL_FREE`, `POOL_REGISTERED` or `POOL_DESTROYED`. */
export const P_STATE = 0;
/** Segments the pool is guaranteed (Flink's `numberOfRequiredMemorySegments`). */
export const P_REQUIRED = 1;
/** Most segments the pool may own (`MAX_SEGMENTS_UNBOUNDED` = no cap). */
export const P_MAX = 2;
/** Current size set by redistribution (Flink's `currentPoolSize`). */
export const P_TARGET = 3;
/** Segments whose `owner` word is this pool: cached, in use, or on the return list. */
export const P_OWNED = 4;
/**
 * Buffers lent and not yet taken back, written by the owner thread only (other threads
 * may read it racily for metrics); one recycled elsewhere counts until drained.
 */
export const P_IN_USE = 5;
/** Bumped and `Atomics.notify`-ed to wake the pool's availability waiter. */
export const P_GENERATION = 6;
/** 1 while the owner waits for a buffer (an availability future is pending). */
export const P_WAITING = 7;
/** Head of the return list: segments recycled by other threads, drained by the owner. */
export const P_RETURN_HEAD = 8;
/** Words per pool table entry (64 bytes: hot words of two pools never share a cache line). */
export const POOL_STRIDE = 16;
/** Int32 words per 64-byte cache line. */
export const CACHE_LINE_WORDS = 16;

export const POOL_FREE = 0;
export const POOL_REGISTERED = 1;
export const POOL_DESTROYED = 2;

/** `P_MAX` value of a pool without an upper bound. */
export const MAX_SEGMENTS_UNBOUNDED = 0x7fffffff;
/** `owner[i]` of a segment in the global free list. */
export const NO_OWNER = -1;
/** `channel[i]` of a segment requested without a target subpartition. */
export const NO_CHANNEL = -1;

// ---- refCount word ------------------------------------------------------------------
export const REFCOUNT_COUNT_MASK = 0x7fff;
export const REFCOUNT_MAX = 0x7fff;
export const REFCOUNT_BUSY = 0x8000;
export const REFCOUNT_LEASE_SHIFT = 16;
export const REFCOUNT_LEASE_MASK = 0x7fff;

/** Positions of the per-segment arrays and the pool table for given sizes. */
export interface BufferPoolLayout {
  /** Index of `next[0]`. */
  readonly segNext: number;
  /** Index of `refCount[0]`. */
  readonly segRefCount: number;
  /** Index of `owner[0]`. */
  readonly segOwner: number;
  /** Index of `channel[0]`. */
  readonly segChannel: number;
  /** Index of pool entry 0 (64-byte aligned). */
  readonly poolTable: number;
  /** Words in the whole control block. */
  readonly totalWords: number;
}

/**
 * Computes where the per-segment arrays and the pool table live.
 *
 * @param numSegments - segments in the pool (N)
 * @param maxPools - entries in the pool table
 * @returns word indices into the control `Int32Array`
 */
export function bufferPoolLayout(numSegments: number, maxPools: number): BufferPoolLayout {
  // Each array starts on a 64-byte line, so the words of segments 16k … 16k+15 share
  // one line: a pool that refills 16 at a time from a fresh free list touches its own.
  const segNext = HEADER_WORDS;
  const segRefCount = alignTo(segNext + numSegments, CACHE_LINE_WORDS);
  const segOwner = alignTo(segRefCount + numSegments, CACHE_LINE_WORDS);
  const segChannel = alignTo(segOwner + numSegments, CACHE_LINE_WORDS);
  const poolTable = alignTo(segChannel + numSegments, CACHE_LINE_WORDS);
  return {
    segNext,
    segRefCount,
    segOwner,
    segChannel,
    poolTable,
    totalWords: poolTable + maxPools * POOL_STRIDE,
  };
}

function alignTo(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
