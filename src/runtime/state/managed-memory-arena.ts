/**
 * Variable-size blocks of managed memory for one keyed state backend: pages come from
 * the {@link MemoryManager}, blocks are carved from them and recycled through
 * size-class free lists. Every structure of keyed state (hash entries, bucket arrays,
 * overflow blobs, timer heaps) lives in such blocks, addressed by their byte offset in
 * the managed `SharedArrayBuffer`.
 *
 * ```
 *  managed memory (one SharedArrayBuffer, pages of pageSizeBytes)
 *  ┌────────┬────────┬────────┬────────┬────────┬─────
 *  │ page 7 │ other  │ page 9 │ other  │page 12 │ ...      pages held by this arena
 *  └────────┴────────┴────────┴────────┴────────┴─────
 *   page 12: [blk 64][blk 64][blk 48][blk 512] ...... bump ─►|        end
 *                                                           free tail
 *
 *  size classes: 16, 32, ..., 256 (steps of 16), then 512, 1024, ... pageSizeBytes
 *  free lists:   one per class; a freed block's first word links to the next free one
 * ```
 *
 * Invariants: every address handed out is 16-byte aligned, non-zero (0 is the null
 * address: the first 16 bytes of the buffer are never handed out), and lies with its
 * whole block inside a page this arena holds. Blocks are never larger than a page;
 * larger values are chains of blocks (see `KeyGroupStateMap`). Freed blocks are reused
 * by later allocations of the same class; pages go back to the manager only in
 * {@link dispose}.
 *
 * Access goes through views over the whole managed buffer (`u8`, `u32`, `f64`, `view`)
 * with absolute addresses: the arena's bounds reasoning (addresses come only from its
 * own pages) replaces per-access checks. Words are in platform byte order (they never
 * leave the process); serialized keys and values are big-endian as their serializers
 * write them.
 *
 * @remarks Owned by the task thread of its backend; not thread-safe. Managed memory up
 * to 4 GiB (addresses are stored in 32-bit words). No direct Flink counterpart: Flink's
 * heap backend keeps Java objects, and its RocksDB backend leaves memory to RocksDB.
 */

import { ConfigError } from '../../errors.ts';
import type { MemoryManager, MemoryOwner } from '../../memory/memory-manager.ts';
import { MemorySegment } from '../../memory/memory-segment.ts';
import { StateMemoryExhaustedError } from './state-errors.ts';

/** The null address. */
export const NULL_ADDRESS = 0;
const SMALL_STEP = 16;
const SMALL_MAX = 256;
const NUM_SMALL_CLASSES = SMALL_MAX / SMALL_STEP;
const MAX_ADDRESSABLE_BYTES = 2 ** 32;

/** Rounds a request up to its block size: a multiple of 16 up to 256, else a power of two. */
export function blockSizeOf(bytes: number): number {
  if (bytes <= SMALL_MAX) return bytes <= SMALL_STEP ? SMALL_STEP : (bytes + 15) & ~15;
  return 2 ** (32 - Math.clz32(bytes - 1));
}

function classOf(blockSize: number): number {
  if (blockSize <= SMALL_MAX) return (blockSize >>> 4) - 1;
  return NUM_SMALL_CLASSES + (31 - Math.clz32(blockSize)) - 9;
}

/**
 * Block allocator over managed-memory pages; see the module documentation.
 *
 * @remarks Owned by one task thread.
 */
export class ManagedMemoryArena {
  /** Bytes of the whole managed buffer. */
  readonly u8: Uint8Array;
  /** 32-bit words of the whole managed buffer (index = address / 4). */
  readonly u32: Uint32Array;
  /** Float64 slots of the whole managed buffer (index = address / 8). */
  readonly f64: Float64Array;
  /** DataView of the whole managed buffer (big-endian serializer access). */
  readonly view: DataView;
  /** The whole managed buffer as one segment (for `DataInputDeserializer.setSegment`). */
  readonly segment: MemorySegment;
  /** Page size (bytes), the largest block. */
  readonly pageSizeBytes: number;
  /** Bytes in blocks currently handed out. */
  liveBytes = 0;
  private readonly memoryManager: MemoryManager;
  private readonly owner: MemoryOwner;
  private readonly describe: () => string;
  private readonly freeHeads: number[];
  private readonly freePages: number[] = [];
  private readonly pages: MemorySegment[] = [];
  private bump = 0;
  private bumpEnd = 0;

  /**
   * @param memoryManager - the managed memory (this thread's instance)
   * @param owner - owner key of the pages (unique per backend)
   * @param describe - describes the backend for error messages (operator, subtask, contents)
   * @throws SLUICE_ERR_CONFIG_INVALID when managed memory exceeds 4 GiB
   */
  constructor(memoryManager: MemoryManager, owner: MemoryOwner, describe: () => string) {
    const memory = memoryManager.getHandle().memory;
    if (memory.byteLength > MAX_ADDRESSABLE_BYTES) {
      throw new ConfigError(
        `managed memory of ${memory.byteLength} bytes exceeds the 4 GiB the managed keyed state backend can address; lower taskmanager.memory.managed.size`,
        { details: { byteLength: memory.byteLength } },
      );
    }
    this.memoryManager = memoryManager;
    this.owner = owner;
    this.describe = describe;
    this.pageSizeBytes = memoryManager.pageSizeBytes;
    this.u8 = new Uint8Array(memory);
    this.u32 = new Uint32Array(memory, 0, memory.byteLength >>> 2);
    this.f64 = new Float64Array(memory, 0, memory.byteLength >>> 3);
    this.view = new DataView(memory);
    this.segment = new MemorySegment(memory, 0, memory.byteLength, -1);
    this.freeHeads = new Array<number>(classOf(this.pageSizeBytes) + 1).fill(NULL_ADDRESS);
  }

  /**
   * A block of at least `bytes` bytes (contents undefined).
   *
   * @param bytes - 1 … pageSizeBytes
   * @returns its address (16-byte aligned, non-zero)
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when no page is left in the budget
   */
  allocate(bytes: number): number {
    const size = blockSizeOf(bytes);
    if (size >= this.pageSizeBytes) return this.allocatePage();
    const cls = classOf(size);
    const head = this.freeHeads[cls]!;
    if (head !== NULL_ADDRESS) {
      this.freeHeads[cls] = this.u32[head >>> 2]!;
      this.liveBytes += size;
      return head;
    }
    if (this.bump + size > this.bumpEnd) this.refill();
    const address = this.bump;
    this.bump += size;
    this.liveBytes += size;
    return address;
  }

  /**
   * Gives a block back for reuse.
   *
   * @param address - a block from {@link allocate}
   * @param bytes - the size it was allocated with (same rounding)
   */
  free(address: number, bytes: number): void {
    const size = blockSizeOf(bytes);
    if (size >= this.pageSizeBytes) {
      this.freePage(address);
      return;
    }
    const cls = classOf(size);
    this.u32[address >>> 2] = this.freeHeads[cls]!;
    this.freeHeads[cls] = address;
    this.liveBytes -= size;
  }

  /**
   * A whole page (for bucket directories, timer heaps and large blobs).
   *
   * @returns its address
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when no page is left in the budget
   */
  allocatePage(): number {
    const address = this.freePages.length > 0 ? this.freePages.pop()! : this.acquirePage();
    this.liveBytes += this.pageSizeBytes;
    return address;
  }

  /** Gives a page from {@link allocatePage} back for reuse by this arena. */
  freePage(address: number): void {
    this.freePages.push(address);
    this.liveBytes -= this.pageSizeBytes;
  }

  /** Bytes of managed memory this arena holds (whole pages). */
  heldBytes(): number {
    return this.pages.length * this.pageSizeBytes;
  }

  /** Pages this arena holds. */
  numberOfPages(): number {
    return this.pages.length;
  }

  /** Returns every page to the memory manager; the arena must not be used afterwards. */
  dispose(): void {
    if (this.pages.length > 0) this.memoryManager.releasePages(this.pages);
    this.pages.length = 0;
    this.freePages.length = 0;
    this.freeHeads.fill(NULL_ADDRESS);
    this.bump = 0;
    this.bumpEnd = 0;
    this.liveBytes = 0;
  }

  /** Starts carving a new page; the unused tail of the current one goes to the free lists. */
  private refill(): void {
    let tail = this.bump;
    let left = this.bumpEnd - tail;
    while (left >= SMALL_STEP) {
      const size = left >= 512 ? 2 ** (31 - Math.clz32(left)) : Math.min(SMALL_MAX, left & ~15);
      const cls = classOf(size);
      this.u32[tail >>> 2] = this.freeHeads[cls]!;
      this.freeHeads[cls] = tail;
      tail += size;
      left -= size;
    }
    // The tail is on the free lists now: never carve it again, even if no page comes.
    this.bump = this.bumpEnd;
    const page = this.freePages.length > 0 ? this.freePages.pop()! : this.acquirePage();
    // Address 0 is the null address: never hand out the first bytes of the buffer.
    this.bump = page === 0 ? SMALL_STEP : page;
    this.bumpEnd = page + this.pageSizeBytes;
  }

  private acquirePage(): number {
    let segment: MemorySegment;
    try {
      segment = this.memoryManager.allocatePages(this.owner, 1)[0]!;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SLUICE_ERR_MEMORY_MANAGED_EXHAUSTED') throw error;
      const mm = this.memoryManager;
      const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
      throw new StateMemoryExhaustedError(
        `managed memory exhausted by keyed state of ${this.describe()}: it holds ${this.pages.length} pages ` +
          `(${mib(this.heldBytes())} MiB) and needs another page of ${this.pageSizeBytes} bytes; ` +
          `${mib(mm.getUsedMemoryBytes())} of ${mib(mm.getTotalMemoryBytes())} MiB managed memory are in use; ` +
          'raise taskmanager.memory.managed.size (or taskmanager.memory.managed.fraction), raise the ' +
          "operator's parallelism so that each subtask holds fewer keys, or give the state a TTL",
        {
          cause: error,
          details: {
            pagesHeld: this.pages.length,
            pageSizeBytes: this.pageSizeBytes,
            managedUsedBytes: mm.getUsedMemoryBytes(),
            managedTotalBytes: mm.getTotalMemoryBytes(),
          },
        },
      );
    }
    this.pages.push(segment);
    return segment.offset;
  }
}
