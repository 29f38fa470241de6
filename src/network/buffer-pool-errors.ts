import { SluiceError } from '../errors.ts';

/**
 * A buffer was used, retained or released after its last reference was released
 * (double release, or a stale `Buffer` of an earlier lease of the same segment).
 */
export class BufferRecycledError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_NETWORK_BUFFER_RECYCLED';
}

/** A `LocalBufferPool` was used after `destroy()` (Flink: "Buffer pool is destroyed."). */
export class BufferPoolDestroyedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_NETWORK_POOL_DESTROYED';
}

/**
 * The required segments of a new `LocalBufferPool` exceed what the
 * `NetworkBufferPool` has left (Flink: "Insufficient number of network buffers").
 */
export class InsufficientNetworkBuffersError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_NETWORK_BUFFERS_INSUFFICIENT';
}

/** Every entry of the pool table is taken by a registered (or draining) pool. */
export class BufferPoolTableFullError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_NETWORK_POOL_TABLE_FULL';
}
