import { Type } from 'typebox';
import { compileOptions } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import { MemoryHandleInvalidError } from '../memory/memory-errors.ts';
import { END_OF_LIST, SharedFreeList } from '../memory/shared-free-list.ts';
import {
  BUFFER_POOL_LAYOUT_VERSION,
  BUFFER_POOL_MAGIC,
  bufferPoolLayout,
  H_FREE_HEAD,
  H_FREE_LOCK,
  H_MAGIC,
  H_MAX_POOLS,
  H_NUM_AVAILABLE,
  H_NUM_SEGMENTS,
  H_SEGMENT_SIZE,
  H_VERSION,
  NO_OWNER,
  P_RETURN_HEAD,
  POOL_STRIDE,
} from './buffer-pool-layout.ts';

/*
 * The network buffer pool's options and handle: what the main thread allocates, and
 * what crosses to workers so that they can attach to the same memory.
 */

/** Options of {@link NetworkBufferPool}; `resolveMemoryConfiguration()` derives them from the keys. */
export interface NetworkBufferPoolOptions {
  /**
   * Segments in the pool: network memory / segment size (Flink's
   * `TotalMemorySegments`).
   * @defaultValue 2048 (64 MiB of 32 KiB segments, Flink's `taskmanager.memory.network.min`)
   */
  numberOfSegments: number;
  /**
   * Bytes per segment (`taskmanager.memory.segment-size`), a power of two.
   * @defaultValue 32768 bytes
   */
  segmentSizeBytes: number;
  /**
   * Entries of the pool table: most `LocalBufferPool`s alive at once in the process.
   * @defaultValue 1024
   */
  maxBufferPools: number;
}

export const defaultNetworkBufferPoolOptions: NetworkBufferPoolOptions = {
  numberOfSegments: 2048,
  segmentSizeBytes: 32 * 1024,
  maxBufferPools: 1024,
};

const validateOptions = compileOptions(
  Type.Object(
    {
      numberOfSegments: Type.Integer({ minimum: 1, maximum: 0x3fffffff }),
      segmentSizeBytes: Type.Integer({ minimum: 64, maximum: 2 ** 30 }),
      maxBufferPools: Type.Integer({ minimum: 1, maximum: 65536 }),
    },
    { additionalProperties: false },
  ),
  'NetworkBufferPool',
);

/** What a worker needs to attach to the pool: structured-cloneable (SABs and numbers). */
export interface NetworkBufferPoolHandle {
  readonly kind: 'sluice.NetworkBufferPool';
  /** The segments: `numberOfSegments × segmentSizeBytes` bytes. */
  readonly memory: SharedArrayBuffer;
  /** The control block (`buffer-pool-layout.ts`). */
  readonly control: SharedArrayBuffer;
  readonly numberOfSegments: number;
  readonly segmentSizeBytes: number;
  readonly maxBufferPools: number;
}

/**
 * Reserves the segment memory and the control block, and fills the free list.
 *
 * @param options - sizes, merged over the defaults and validated
 * @returns the handle of the new pool (the constructor builds the instance over it)
 * @throws SLUICE_ERR_CONFIG_INVALID for an option out of range or a segment size that
 *   is not a power of two
 * @remarks The creating thread (main), once per process.
 */
export function allocateNetworkBufferPool(
  options: Partial<NetworkBufferPoolOptions>,
): NetworkBufferPoolHandle {
  const opts = validateOptions({ ...defaultNetworkBufferPoolOptions, ...options });
  if ((opts.segmentSizeBytes & (opts.segmentSizeBytes - 1)) !== 0) {
    throw new ConfigError(
      `NetworkBufferPool: segmentSizeBytes = ${opts.segmentSizeBytes} is not a power of two; set taskmanager.memory.segment-size to one (default 32kb)`,
      { details: { key: 'segmentSizeBytes', value: opts.segmentSizeBytes } },
    );
  }
  const layout = bufferPoolLayout(opts.numberOfSegments, opts.maxBufferPools);
  const control = new SharedArrayBuffer(layout.totalWords * 4);
  const ctl = new Int32Array(control);
  ctl[H_MAGIC] = BUFFER_POOL_MAGIC;
  ctl[H_VERSION] = BUFFER_POOL_LAYOUT_VERSION;
  ctl[H_NUM_SEGMENTS] = opts.numberOfSegments;
  ctl[H_SEGMENT_SIZE] = opts.segmentSizeBytes;
  ctl[H_MAX_POOLS] = opts.maxBufferPools;
  ctl.fill(NO_OWNER, layout.segOwner, layout.segOwner + opts.numberOfSegments);
  for (let p = 0; p < opts.maxBufferPools; p++) {
    ctl[layout.poolTable + p * POOL_STRIDE + P_RETURN_HEAD] = END_OF_LIST;
  }
  new SharedFreeList(
    ctl,
    H_FREE_HEAD,
    H_FREE_LOCK,
    H_NUM_AVAILABLE,
    layout.segNext,
    opts.numberOfSegments,
  ).initializeFull();
  return {
    kind: 'sluice.NetworkBufferPool',
    memory: new SharedArrayBuffer(opts.numberOfSegments * opts.segmentSizeBytes),
    control,
    numberOfSegments: opts.numberOfSegments,
    segmentSizeBytes: opts.segmentSizeBytes,
    maxBufferPools: opts.maxBufferPools,
  };
}

/**
 * Checks that a value received from another thread is a network buffer pool handle whose sizes
 * match its control block (`NetworkBufferPool.attach()` calls it).
 *
 * @param handle - the received handle
 * @throws SLUICE_ERR_MEMORY_HANDLE_INVALID naming what does not match
 */
export function checkNetworkBufferPoolHandle(handle: NetworkBufferPoolHandle): void {
  const fail = (why: string): never => {
    throw new MemoryHandleInvalidError(
      `NetworkBufferPool.attach(): not a network buffer pool handle (${why}); pass getHandle()'s result unchanged`,
      { details: { why } },
    );
  };
  if (handle === null || typeof handle !== 'object' || handle.kind !== 'sluice.NetworkBufferPool') {
    fail('kind is not sluice.NetworkBufferPool');
  }
  if (
    !(handle.memory instanceof SharedArrayBuffer) ||
    !(handle.control instanceof SharedArrayBuffer)
  ) {
    fail('memory and control must be SharedArrayBuffers');
  }
  const ctl = new Int32Array(handle.control);
  if (ctl.length < 16 || ctl[H_MAGIC] !== BUFFER_POOL_MAGIC) fail('bad magic');
  if (ctl[H_VERSION] !== BUFFER_POOL_LAYOUT_VERSION) {
    fail(`layout version ${ctl[H_VERSION]}, expected ${BUFFER_POOL_LAYOUT_VERSION}`);
  }
  if (
    ctl[H_NUM_SEGMENTS] !== handle.numberOfSegments ||
    ctl[H_SEGMENT_SIZE] !== handle.segmentSizeBytes ||
    ctl[H_MAX_POOLS] !== handle.maxBufferPools ||
    handle.memory.byteLength !== handle.numberOfSegments * handle.segmentSizeBytes ||
    handle.control.byteLength !==
      bufferPoolLayout(handle.numberOfSegments, handle.maxBufferPools).totalWords * 4
  ) {
    fail('sizes do not match the control block');
  }
}
