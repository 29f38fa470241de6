import { ConfigError } from '../errors.ts';
import {
  ManagedMemoryExhaustedError,
  MemoryOwnersExhaustedError,
  MemoryReleaseError,
} from './memory-errors.ts';
import {
  allocateMemoryManager,
  checkMemoryManagerHandle,
  type MemoryManagerHandle,
  type MemoryManagerOptions,
} from './memory-manager-handle.ts';
import {
  M_ALLOCATED_PAGES,
  M_F64_RESERVED_BYTES,
  M_FREE_HEAD,
  M_FREE_LOCK,
  M_LOCK,
  M_NUM_FREE_PAGES,
  MAX_OWNER_KEY_BYTES,
  type MemoryManagerLayout,
  memoryManagerLayout,
  NO_OWNER,
} from './memory-manager-layout.ts';
import { MemoryOwnerTable, type OwnerKey, ownerKey } from './memory-owner-table.ts';
import { MemorySegment } from './memory-segment.ts';
import { SharedFreeList } from './shared-free-list.ts';
import { lockMutex, unlockMutex } from './shared-mutex.ts';

/**
 * Who holds managed memory: any key naming a task or a use case within it (e.g.
 * `'job-1/map-2/3'`, `'job-1/map-2/3/state'`). Keys are compared by their string form
 * (`String(owner)`), up to 64 UTF-8 bytes, the same on every thread.
 */
export type MemoryOwner = string | number;

const REMEDY =
  'raise taskmanager.memory.managed.size or taskmanager.memory.managed.fraction (of taskmanager.memory.process.size)';

/** Marks the constructor argument that {@link MemoryManager.attach} passes. */
const ATTACH: unique symbol = Symbol('MemoryManager.attach');

/** Constructor argument of {@link MemoryManager.attach}: attach instead of allocating. */
interface AttachRequest {
  readonly [ATTACH]: MemoryManagerHandle;
}

/**
 * Managed memory for state, windows and sorting: a budget reserved once at start-up
 * in one `SharedArrayBuffer` of fixed-size pages, lent to owners on any thread.
 *
 * - **Pages** ({@link allocatePages}) come from a shared free list; the owner table in
 *   shared memory records who holds each one, so pages can be released one by one
 *   ({@link releasePages}), per owner when a task ends ({@link release}, also from the
 *   main thread after a worker died) or all at once ({@link releaseAll}).
 * - **Reservations** ({@link reserveMemory}) book bytes of the same budget for memory
 *   a use case keeps elsewhere (e.g. JavaScript objects of a heap state backend),
 *   without pages.
 * - Pages and reservations share one budget: `used = pages × pageSize + reserved`.
 *   Asking for more than is left throws `SLUICE_ERR_MEMORY_MANAGED_EXHAUSTED` naming
 *   the amounts and the key to raise — never an out-of-memory crash.
 *
 * Every operation runs under one short mutex in shared memory: they are rare (task
 * set-up, spilling, teardown), never per record.
 *
 * @remarks Constructed once on the main thread; workers {@link MemoryManager.attach}
 * with {@link getHandle}'s result. Every method may be called on any attached thread.
 * A page must be written by one thread at a time: its owner's. Corresponds to
 * Flink's `MemoryManager`.
 */
export class MemoryManager {
  readonly numberOfPages: number;
  readonly pageSizeBytes: number;
  readonly maxOwners: number;
  private readonly memory: SharedArrayBuffer;
  private readonly control: SharedArrayBuffer;
  private readonly ctl: Int32Array;
  private readonly f64: Float64Array;
  private readonly owners: MemoryOwnerTable;
  private readonly layout: MemoryManagerLayout;
  private readonly freeList: SharedFreeList;
  private readonly pages: (MemorySegment | undefined)[];

  /**
   * Reserves the managed memory (main thread, once).
   *
   * @param options - sizes; see {@link MemoryManagerOptions} (workers use
   *   {@link MemoryManager.attach} instead)
   * @throws SLUICE_ERR_CONFIG_INVALID when an option is out of range or the page size
   *   is not a power of two
   */
  constructor(options: Partial<MemoryManagerOptions> | AttachRequest = {}) {
    const handle = ATTACH in options ? options[ATTACH] : allocateMemoryManager(options);
    const layout = memoryManagerLayout(handle.numberOfPages, handle.maxOwners);
    const ctl = new Int32Array(handle.control);
    this.numberOfPages = handle.numberOfPages;
    this.pageSizeBytes = handle.pageSizeBytes;
    this.maxOwners = handle.maxOwners;
    this.memory = handle.memory;
    this.control = handle.control;
    this.ctl = ctl;
    this.f64 = new Float64Array(handle.control);
    this.owners = new MemoryOwnerTable(handle.control, layout, handle.maxOwners);
    this.layout = layout;
    this.freeList = new SharedFreeList(
      ctl,
      M_FREE_HEAD,
      M_FREE_LOCK,
      M_NUM_FREE_PAGES,
      layout.pageNext,
      handle.numberOfPages,
    );
    this.pages = new Array(handle.numberOfPages);
  }

  /**
   * Attaches to a memory manager created on another thread.
   *
   * @param handle - the result of {@link getHandle} on the creating thread
   * @returns an instance over the same shared memory
   * @throws SLUICE_ERR_MEMORY_HANDLE_INVALID when `handle` is not such a handle
   */
  static attach(handle: MemoryManagerHandle): MemoryManager {
    checkMemoryManagerHandle(handle);
    return new MemoryManager({ [ATTACH]: handle });
  }

  /** A structured-cloneable description of the shared memory, for {@link attach}. */
  getHandle(): MemoryManagerHandle {
    return {
      kind: 'sluice.MemoryManager',
      memory: this.memory,
      control: this.control,
      numberOfPages: this.numberOfPages,
      pageSizeBytes: this.pageSizeBytes,
      maxOwners: this.maxOwners,
    };
  }

  /**
   * Allocates pages to an owner, all or none.
   *
   * @param owner - who holds them (a task, or a use case within it)
   * @param numPages - pages wanted (≥ 0)
   * @returns the pages, each a `pageSizeBytes` window of the managed memory
   * @throws SLUICE_ERR_MEMORY_MANAGED_EXHAUSTED when fewer pages are left in the budget
   * @throws SLUICE_ERR_MEMORY_OWNERS_EXHAUSTED when the owner table is full or the key too long
   */
  allocatePages(owner: MemoryOwner, numPages: number): MemorySegment[] {
    checkCount(numPages, 'numPages');
    const key = ownerKey(owner);
    const ctl = this.ctl;
    const taken = new Int32Array(numPages);
    let slot = -1;
    let availablePages = 0;
    lockMutex(ctl, M_LOCK);
    try {
      slot = this.owners.find(key, true);
      if (slot >= 0) {
        availablePages = Math.floor(this.availableBytesLocked() / this.pageSizeBytes);
        if (numPages <= availablePages) {
          const n = this.freeList.popMany(taken, 0, numPages);
          for (let k = 0; k < n; k++) Atomics.store(ctl, this.layout.pageOwner + taken[k]!, slot);
          this.owners.addPages(slot, n);
          Atomics.add(ctl, M_ALLOCATED_PAGES, n);
        } else {
          this.owners.freeIfEmpty(slot);
        }
      }
    } finally {
      unlockMutex(ctl, M_LOCK);
    }
    if (slot < 0) this.throwOwnersExhausted(key);
    if (numPages > availablePages) {
      throw new ManagedMemoryExhaustedError(
        `managed memory exhausted: owner '${key.text}' requested ${numPages} pages (${numPages * this.pageSizeBytes} bytes), ${availablePages} pages (${availablePages * this.pageSizeBytes} bytes) available of ${this.numberOfPages} pages of ${this.pageSizeBytes} bytes; ${REMEDY}`,
        {
          details: {
            owner: key.text,
            requestedPages: numPages,
            availablePages,
            totalPages: this.numberOfPages,
            pageSizeBytes: this.pageSizeBytes,
          },
        },
      );
    }
    const segments = new Array<MemorySegment>(numPages);
    for (let k = 0; k < numPages; k++) segments[k] = this.getPage(taken[k]!);
    return segments;
  }

  /**
   * Returns pages to the free list, all or none.
   *
   * @param segments - pages from {@link allocatePages} (any owners)
   * @throws SLUICE_ERR_MEMORY_RELEASE_INVALID when a page is not from this manager, is
   *   free, or is listed twice; nothing is released then
   */
  releasePages(segments: readonly MemorySegment[]): void {
    const ctl = this.ctl;
    let invalid: string | null = null;
    lockMutex(ctl, M_LOCK);
    try {
      const seen = new Set<number>();
      for (const segment of segments) {
        const page = segment.segmentIndex;
        if (segment.memory !== this.memory || !(page >= 0 && page < this.numberOfPages)) {
          invalid = `page ${page} is not a page of this MemoryManager`;
        } else if (Atomics.load(ctl, this.layout.pageOwner + page) === NO_OWNER) {
          invalid = `page ${page} is not allocated (released twice?)`;
        } else if (seen.has(page)) {
          invalid = `page ${page} is listed twice`;
        }
        if (invalid !== null) break;
        seen.add(page);
      }
      if (invalid === null) for (const page of seen) this.freePageLocked(page);
    } finally {
      unlockMutex(ctl, M_LOCK);
    }
    if (invalid !== null) {
      throw new MemoryReleaseError(`releasePages(): ${invalid}; nothing was released`, {
        details: { pages: segments.length },
      });
    }
  }

  /**
   * Releases every page and reservation of an owner (a task that ended, or whose
   * worker died). Releasing an owner that holds nothing does nothing.
   *
   * @param owner - the owner
   * @returns the number of pages returned
   */
  release(owner: MemoryOwner): number {
    const key = ownerKey(owner);
    const ctl = this.ctl;
    let freed = 0;
    lockMutex(ctl, M_LOCK);
    try {
      const slot = this.owners.find(key, false);
      if (slot >= 0) {
        if (this.owners.pages(slot) > 0) {
          for (let page = 0; page < this.numberOfPages; page++) {
            if (Atomics.load(ctl, this.layout.pageOwner + page) === slot) {
              this.freePageLocked(page);
              freed++;
            }
          }
        }
        this.f64[M_F64_RESERVED_BYTES] =
          this.f64[M_F64_RESERVED_BYTES]! - this.owners.reserved(slot);
        this.owners.setReserved(slot, 0);
        this.owners.freeIfEmpty(slot);
      }
    } finally {
      unlockMutex(ctl, M_LOCK);
    }
    return freed;
  }

  /** Releases every page and reservation of every owner (shutdown, tests). */
  releaseAll(): void {
    const ctl = this.ctl;
    lockMutex(ctl, M_LOCK);
    try {
      for (let page = 0; page < this.numberOfPages; page++) {
        if (Atomics.load(ctl, this.layout.pageOwner + page) !== NO_OWNER) this.freePageLocked(page);
      }
      this.owners.clear();
      this.f64[M_F64_RESERVED_BYTES] = 0;
    } finally {
      unlockMutex(ctl, M_LOCK);
    }
  }

  /**
   * Books bytes of the managed-memory budget for an owner, without pages.
   *
   * @param owner - the owner (a use case within a task)
   * @param bytes - bytes to reserve (≥ 0)
   * @throws SLUICE_ERR_MEMORY_MANAGED_EXHAUSTED when fewer bytes are left in the budget
   * @throws SLUICE_ERR_MEMORY_OWNERS_EXHAUSTED when the owner table is full or the key too long
   */
  reserveMemory(owner: MemoryOwner, bytes: number): void {
    checkCount(bytes, 'bytes');
    const key = ownerKey(owner);
    const ctl = this.ctl;
    let slot = -1;
    let available = 0;
    lockMutex(ctl, M_LOCK);
    try {
      slot = this.owners.find(key, true);
      if (slot >= 0) {
        available = this.availableBytesLocked();
        if (bytes <= available) {
          this.owners.setReserved(slot, this.owners.reserved(slot) + bytes);
          this.f64[M_F64_RESERVED_BYTES] = this.f64[M_F64_RESERVED_BYTES]! + bytes;
        } else {
          this.owners.freeIfEmpty(slot);
        }
      }
    } finally {
      unlockMutex(ctl, M_LOCK);
    }
    if (slot < 0) this.throwOwnersExhausted(key);
    if (bytes > available) {
      throw new ManagedMemoryExhaustedError(
        `managed memory exhausted: owner '${key.text}' tried to reserve ${bytes} bytes, ${available} bytes available of ${this.getTotalMemoryBytes()}; ${REMEDY}`,
        { details: { owner: key.text, requestedBytes: bytes, availableBytes: available } },
      );
    }
  }

  /**
   * Gives back bytes an owner reserved.
   *
   * @param owner - the owner
   * @param bytes - bytes to give back (≤ what the owner reserved)
   * @throws SLUICE_ERR_MEMORY_RELEASE_INVALID when the owner reserved fewer bytes
   */
  releaseMemory(owner: MemoryOwner, bytes: number): void {
    checkCount(bytes, 'bytes');
    const key = ownerKey(owner);
    const ctl = this.ctl;
    let reserved = 0;
    lockMutex(ctl, M_LOCK);
    try {
      const slot = this.owners.find(key, false);
      if (slot >= 0) {
        reserved = this.owners.reserved(slot);
        if (bytes <= reserved) {
          this.owners.setReserved(slot, reserved - bytes);
          this.f64[M_F64_RESERVED_BYTES] = this.f64[M_F64_RESERVED_BYTES]! - bytes;
          this.owners.freeIfEmpty(slot);
        }
      }
    } finally {
      unlockMutex(ctl, M_LOCK);
    }
    if (bytes > reserved) {
      throw new MemoryReleaseError(
        `releaseMemory(): owner '${key.text}' releases ${bytes} bytes but reserved only ${reserved}`,
        { details: { owner: key.text, bytes, reserved } },
      );
    }
  }

  /** Bytes per page. */
  getPageSize(): number {
    return this.pageSizeBytes;
  }

  /** Size of the managed memory in bytes (`Status.Flink.Memory.Managed.Total`). */
  getTotalMemoryBytes(): number {
    return this.numberOfPages * this.pageSizeBytes;
  }

  /** Bytes in use: allocated pages plus reservations (`Status.Flink.Memory.Managed.Used`). */
  getUsedMemoryBytes(): number {
    return this.getTotalMemoryBytes() - this.availableMemory();
  }

  /** Bytes of the budget neither allocated as pages nor reserved. */
  availableMemory(): number {
    lockMutex(this.ctl, M_LOCK);
    try {
      return this.availableBytesLocked();
    } finally {
      unlockMutex(this.ctl, M_LOCK);
    }
  }

  /** Pages in the free list. */
  getNumberOfFreePages(): number {
    return this.freeList.size();
  }

  /** Pages held by an owner (0 for an unknown owner). */
  getNumberOfPages(owner: MemoryOwner): number {
    const key = ownerKey(owner);
    lockMutex(this.ctl, M_LOCK);
    try {
      const slot = this.owners.find(key, false);
      return slot < 0 ? 0 : this.owners.pages(slot);
    } finally {
      unlockMutex(this.ctl, M_LOCK);
    }
  }

  /** Bytes reserved by an owner (0 for an unknown owner). */
  getReservedMemory(owner: MemoryOwner): number {
    const key = ownerKey(owner);
    lockMutex(this.ctl, M_LOCK);
    try {
      const slot = this.owners.find(key, false);
      return slot < 0 ? 0 : this.owners.reserved(slot);
    } finally {
      unlockMutex(this.ctl, M_LOCK);
    }
  }

  /**
   * Bytes of a fraction of the managed memory, rounded down to whole pages (Flink's
   * `computeMemorySize`, for dividing memory between operators of a slot).
   *
   * @param fraction - 0 … 1
   * @throws SLUICE_ERR_CONFIG_INVALID outside that range
   */
  computeMemorySize(fraction: number): number {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new ConfigError(`MemoryManager: fraction ${fraction} outside [0, 1]`, {
        details: { fraction },
      });
    }
    return Math.floor(this.numberOfPages * fraction) * this.pageSizeBytes;
  }

  /** Whether nothing is allocated or reserved (Flink's `verifyEmpty`). */
  verifyEmpty(): boolean {
    return (
      this.availableMemory() === this.getTotalMemoryBytes() &&
      this.freeList.size() === this.numberOfPages
    );
  }

  private getPage(page: number): MemorySegment {
    let segment = this.pages[page];
    if (segment === undefined) {
      segment = new MemorySegment(this.memory, page * this.pageSizeBytes, this.pageSizeBytes, page);
      this.pages[page] = segment;
    }
    return segment;
  }

  private availableBytesLocked(): number {
    const allocated = Atomics.load(this.ctl, M_ALLOCATED_PAGES);
    return (this.numberOfPages - allocated) * this.pageSizeBytes - this.f64[M_F64_RESERVED_BYTES]!;
  }

  private freePageLocked(page: number): void {
    const ctl = this.ctl;
    const slot = Atomics.exchange(ctl, this.layout.pageOwner + page, NO_OWNER);
    this.freeList.push(page);
    Atomics.sub(ctl, M_ALLOCATED_PAGES, 1);
    if (slot !== NO_OWNER) {
      this.owners.addPages(slot, -1);
      this.owners.freeIfEmpty(slot);
    }
  }

  private throwOwnersExhausted(key: OwnerKey): never {
    const tooLong = key.bytes.length > MAX_OWNER_KEY_BYTES;
    throw new MemoryOwnersExhaustedError(
      tooLong
        ? `managed memory owner key '${key.text}' is ${key.bytes.length} UTF-8 bytes, more than ${MAX_OWNER_KEY_BYTES}; use a shorter key`
        : `managed memory owner table full: ${this.maxOwners} owners hold memory; release(owner) when tasks end, or raise MemoryManagerOptions.maxOwners`,
      { details: { owner: key.text, maxOwners: this.maxOwners } },
    );
  }
}

function checkCount(value: number, name: string): void {
  if (!(Number.isSafeInteger(value) && value >= 0)) {
    throw new ConfigError(`MemoryManager: ${name} = ${value} must be a non-negative integer`, {
      details: { key: name, value },
    });
  }
}

export {
  defaultMemoryManagerOptions,
  type MemoryManagerHandle,
  type MemoryManagerOptions,
} from './memory-manager-handle.ts';
