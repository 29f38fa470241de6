import { Type } from 'typebox';
import { compileOptions } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import { MemoryHandleInvalidError } from './memory-errors.ts';
import {
  M_FREE_HEAD,
  M_FREE_LOCK,
  M_MAGIC,
  M_MAX_OWNERS,
  M_NUM_FREE_PAGES,
  M_NUM_PAGES,
  M_PAGE_SIZE,
  M_VERSION,
  MEMORY_MANAGER_LAYOUT_VERSION,
  MEMORY_MANAGER_MAGIC,
  memoryManagerLayout,
  NO_OWNER,
} from './memory-manager-layout.ts';
import { SharedFreeList } from './shared-free-list.ts';

/*
 * The memory manager's options and handle: what the main thread allocates, and what
 * crosses to workers so that they can attach to the same memory.
 */

/** Options of {@link MemoryManager}; `resolveMemoryConfiguration()` derives them from the keys. */
export interface MemoryManagerOptions {
  /**
   * Managed memory in bytes (`taskmanager.memory.managed.size`, or `.fraction` of
   * `taskmanager.memory.process.size`); rounded down to whole pages.
   * @defaultValue 134217728 bytes (128 MiB)
   */
  memorySizeBytes: number;
  /**
   * Bytes per page (`taskmanager.memory.segment-size`), a power of two.
   * @defaultValue 32768 bytes
   */
  pageSizeBytes: number;
  /**
   * Entries of the owner table: most owners holding memory at once.
   * @defaultValue 1024
   */
  maxOwners: number;
}

export const defaultMemoryManagerOptions: MemoryManagerOptions = {
  memorySizeBytes: 128 * 1024 * 1024,
  pageSizeBytes: 32 * 1024,
  maxOwners: 1024,
};

const validateOptions = compileOptions(
  Type.Object(
    {
      memorySizeBytes: Type.Integer({ minimum: 0, maximum: 2 ** 52 }),
      pageSizeBytes: Type.Integer({ minimum: 64, maximum: 2 ** 30 }),
      maxOwners: Type.Integer({ minimum: 1, maximum: 65536 }),
    },
    { additionalProperties: false },
  ),
  'MemoryManager',
);

/** What a worker needs to attach: structured-cloneable (SABs and numbers). */
export interface MemoryManagerHandle {
  readonly kind: 'sluice.MemoryManager';
  /** The pages: `numberOfPages × pageSizeBytes` bytes. */
  readonly memory: SharedArrayBuffer;
  /** The control block (`memory-manager-layout.ts`). */
  readonly control: SharedArrayBuffer;
  readonly numberOfPages: number;
  readonly pageSizeBytes: number;
  readonly maxOwners: number;
}

/**
 * Reserves the pages and the control block, and fills the free list.
 *
 * @param options - sizes, merged over the defaults and validated
 * @returns the handle of the new manager (the constructor builds the instance over it)
 * @throws SLUICE_ERR_CONFIG_INVALID for an option out of range or a page size that is
 *   not a power of two
 * @remarks The creating thread (main), once per process.
 */
export function allocateMemoryManager(options: Partial<MemoryManagerOptions>): MemoryManagerHandle {
  const opts = validateOptions({ ...defaultMemoryManagerOptions, ...options });
  if ((opts.pageSizeBytes & (opts.pageSizeBytes - 1)) !== 0) {
    throw new ConfigError(
      `MemoryManager: pageSizeBytes = ${opts.pageSizeBytes} is not a power of two; set taskmanager.memory.segment-size to one (default 32kb)`,
      { details: { key: 'pageSizeBytes', value: opts.pageSizeBytes } },
    );
  }
  const numberOfPages = Math.floor(opts.memorySizeBytes / opts.pageSizeBytes);
  const layout = memoryManagerLayout(numberOfPages, opts.maxOwners);
  const control = new SharedArrayBuffer(layout.totalWords * 4);
  const ctl = new Int32Array(control);
  ctl[M_MAGIC] = MEMORY_MANAGER_MAGIC;
  ctl[M_VERSION] = MEMORY_MANAGER_LAYOUT_VERSION;
  ctl[M_NUM_PAGES] = numberOfPages;
  ctl[M_PAGE_SIZE] = opts.pageSizeBytes;
  ctl[M_MAX_OWNERS] = opts.maxOwners;
  ctl.fill(NO_OWNER, layout.pageOwner, layout.pageOwner + numberOfPages);
  new SharedFreeList(
    ctl,
    M_FREE_HEAD,
    M_FREE_LOCK,
    M_NUM_FREE_PAGES,
    layout.pageNext,
    numberOfPages,
  ).initializeFull();
  return {
    kind: 'sluice.MemoryManager',
    memory: new SharedArrayBuffer(numberOfPages * opts.pageSizeBytes),
    control,
    numberOfPages,
    pageSizeBytes: opts.pageSizeBytes,
    maxOwners: opts.maxOwners,
  };
}

/**
 * Checks that a value received from another thread is a managed memory handle whose sizes
 * match its control block (`MemoryManager.attach()` calls it).
 *
 * @param handle - the received handle
 * @throws SLUICE_ERR_MEMORY_HANDLE_INVALID naming what does not match
 */
export function checkMemoryManagerHandle(handle: MemoryManagerHandle): void {
  const fail = (why: string): never => {
    throw new MemoryHandleInvalidError(
      `MemoryManager.attach(): not a managed memory handle (${why}); pass getHandle()'s result unchanged`,
      { details: { why } },
    );
  };
  if (handle === null || typeof handle !== 'object' || handle.kind !== 'sluice.MemoryManager') {
    fail('kind is not sluice.MemoryManager');
  }
  if (
    !(handle.memory instanceof SharedArrayBuffer) ||
    !(handle.control instanceof SharedArrayBuffer)
  ) {
    fail('memory and control must be SharedArrayBuffers');
  }
  const ctl = new Int32Array(handle.control);
  if (ctl.length < 32 || ctl[M_MAGIC] !== MEMORY_MANAGER_MAGIC) fail('bad magic');
  if (ctl[M_VERSION] !== MEMORY_MANAGER_LAYOUT_VERSION) {
    fail(`layout version ${ctl[M_VERSION]}, expected ${MEMORY_MANAGER_LAYOUT_VERSION}`);
  }
  if (
    ctl[M_NUM_PAGES] !== handle.numberOfPages ||
    ctl[M_PAGE_SIZE] !== handle.pageSizeBytes ||
    ctl[M_MAX_OWNERS] !== handle.maxOwners ||
    handle.memory.byteLength !== handle.numberOfPages * handle.pageSizeBytes ||
    handle.control.byteLength !==
      memoryManagerLayout(handle.numberOfPages, handle.maxOwners).totalWords * 4
  ) {
    fail('sizes do not match the control block');
  }
}
