import { MemorySegment, SegmentOutOfBoundsError } from '../memory/memory-segment.ts';
import { END_OF_LIST, SharedFreeList } from '../memory/shared-free-list.ts';
import { Buffer } from './buffer.ts';
import {
  BufferPoolTableFullError,
  BufferRecycledError,
  InsufficientNetworkBuffersError,
} from './buffer-pool-errors.ts';
import {
  type BufferPoolLayout,
  bufferPoolLayout,
  H_FREE_HEAD,
  H_FREE_LOCK,
  H_NUM_AVAILABLE,
  H_TABLE_GENERATION,
  NO_OWNER,
  P_OWNED,
  P_RETURN_HEAD,
  P_WAITING,
  REFCOUNT_BUSY,
  REFCOUNT_COUNT_MASK,
  REFCOUNT_LEASE_MASK,
  REFCOUNT_LEASE_SHIFT,
} from './buffer-pool-layout.ts';
import {
  BufferPoolTable,
  REGISTER_INSUFFICIENT,
  REGISTER_TABLE_FULL,
} from './buffer-pool-table.ts';
import type { BufferRecycler } from './buffer-recycler.ts';
import {
  defaultLocalBufferPoolOptions,
  LocalBufferPool,
  type LocalBufferPoolOptions,
  validateLocalBufferPoolOptions,
} from './local-buffer-pool.ts';
import {
  allocateNetworkBufferPool,
  checkNetworkBufferPoolHandle,
  type NetworkBufferPoolHandle,
  type NetworkBufferPoolOptions,
} from './network-buffer-pool-handle.ts';

/** Options of {@link NetworkBufferPool.reclaimBufferPools}. */
export interface ReclaimOptions {
  /**
   * Also take back segments that still have references (held by the dead thread,
   * or by threads that will never release them). Their holders' `Buffer`s become
   * stale: any later use throws `SLUICE_ERR_NETWORK_BUFFER_RECYCLED`.
   * @defaultValue false
   */
  force?: boolean;
}

/** Marks the constructor argument that {@link NetworkBufferPool.attach} passes. */
const ATTACH: unique symbol = Symbol('NetworkBufferPool.attach');

/** Constructor argument of {@link NetworkBufferPool.attach}: attach instead of allocating. */
interface AttachRequest {
  readonly [ATTACH]: NetworkBufferPoolHandle;
}

/**
 * The process-wide pool of network buffers: every segment of network memory,
 * reserved once at start-up in one `SharedArrayBuffer`, lent to `LocalBufferPool`s
 * on any thread through a lock-free free list and a pool table in shared memory.
 *
 * - **One per process, one instance per thread.** The main thread constructs it
 *   (allocating the memory and control block); each worker calls
 *   {@link NetworkBufferPool.attach} with {@link getHandle}'s result. Every instance
 *   works on the same shared words; instances differ only in their thread-local
 *   caches (segment views and the `LocalBufferPool`s created on that thread).
 * - **Pools.** {@link createBufferPool} registers a `LocalBufferPool` in the pool
 *   table (required and maximum segments) and redistributes the excess between all
 *   registered pools, as Flink's `redistributeBuffers` does; pools on every thread
 *   pick up their new size from the table. Destroying a pool redistributes again.
 * - **Cross-thread buffers.** A buffer's segment index can be sent to another
 *   thread, which rebuilds a view with {@link wrap}; when that thread drops the last
 *   reference, this instance acts as the buffer's recycler and hands the segment
 *   back to its owning pool through the pool's return list, waking the owner.
 * - **Dead workers.** {@link reclaimBufferPools} takes back every segment owned by
 *   pools whose thread is gone, using the owner table.
 *
 * See `docs/memory.md` for the layout and the life cycle of a segment.
 *
 * @remarks The constructor and {@link reclaimBufferPools} belong to the main thread;
 * every other method may be called on any thread that attached, for the pools of
 * that thread. Corresponds to Flink's `NetworkBufferPool`.
 */
export class NetworkBufferPool implements BufferRecycler {
  readonly numberOfSegments: number;
  readonly segmentSizeBytes: number;
  readonly maxBufferPools: number;
  /** @internal The control words (for `LocalBufferPool`). */
  readonly ctl: Int32Array;
  /** @internal Word positions of the per-segment arrays and the pool table. */
  readonly layout: BufferPoolLayout;
  /** @internal The global free list of segments. */
  readonly freeList: SharedFreeList;
  /** @internal The pool table. */
  readonly table: BufferPoolTable;
  private readonly memory: SharedArrayBuffer;
  private readonly control: SharedArrayBuffer;
  private readonly segments: (MemorySegment | undefined)[];
  private readonly localPools: (LocalBufferPool | undefined)[];
  private numberOfLocalPools = 0;
  private watchingTable = false;
  private readonly onTableChanged = (): void => {
    this.watchingTable = false;
    this.trimLocalPools();
    this.watchTable();
  };

  /**
   * Reserves the network memory and the control block (main thread, once).
   *
   * @param options - sizes; see {@link NetworkBufferPoolOptions} (workers use
   *   {@link NetworkBufferPool.attach} instead)
   * @throws SLUICE_ERR_CONFIG_INVALID when an option is out of range or the segment
   *   size is not a power of two
   */
  constructor(options: Partial<NetworkBufferPoolOptions> | AttachRequest = {}) {
    const handle = ATTACH in options ? options[ATTACH] : allocateNetworkBufferPool(options);
    const ctl = new Int32Array(handle.control);
    const layout = bufferPoolLayout(handle.numberOfSegments, handle.maxBufferPools);
    this.numberOfSegments = handle.numberOfSegments;
    this.segmentSizeBytes = handle.segmentSizeBytes;
    this.maxBufferPools = handle.maxBufferPools;
    this.memory = handle.memory;
    this.control = handle.control;
    this.ctl = ctl;
    this.layout = layout;
    this.freeList = new SharedFreeList(
      ctl,
      H_FREE_HEAD,
      H_FREE_LOCK,
      H_NUM_AVAILABLE,
      layout.segNext,
      handle.numberOfSegments,
    );
    this.table = new BufferPoolTable(ctl, layout, handle.numberOfSegments, handle.maxBufferPools);
    this.segments = new Array(handle.numberOfSegments);
    this.localPools = new Array(handle.maxBufferPools);
  }

  /**
   * Attaches to a pool created on another thread (typically in a worker, with the
   * handle from `workerData` or a message).
   *
   * @param handle - the result of {@link getHandle} on the creating thread
   * @returns an instance over the same shared memory
   * @throws SLUICE_ERR_MEMORY_HANDLE_INVALID when `handle` is not such a handle
   */
  static attach(handle: NetworkBufferPoolHandle): NetworkBufferPool {
    checkNetworkBufferPoolHandle(handle);
    return new NetworkBufferPool({ [ATTACH]: handle });
  }

  /** A structured-cloneable description of the shared memory, for {@link attach}. */
  getHandle(): NetworkBufferPoolHandle {
    return {
      kind: 'sluice.NetworkBufferPool',
      memory: this.memory,
      control: this.control,
      numberOfSegments: this.numberOfSegments,
      segmentSizeBytes: this.segmentSizeBytes,
      maxBufferPools: this.maxBufferPools,
    };
  }

  /**
   * Creates a `LocalBufferPool` owned by the calling thread and redistributes the
   * excess segments between all pools of the process.
   *
   * @param options - required and maximum segments, subpartitions, per-channel cap
   * @returns the new pool; its segments are requested lazily
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid options (max < required, …)
   * @throws SLUICE_ERR_NETWORK_BUFFERS_INSUFFICIENT when the required segments of all
   *   pools would exceed the total
   * @throws SLUICE_ERR_NETWORK_POOL_TABLE_FULL when `maxBufferPools` pools exist
   */
  createBufferPool(options: Partial<LocalBufferPoolOptions> = {}): LocalBufferPool {
    const opts = validateLocalBufferPoolOptions({ ...defaultLocalBufferPoolOptions, ...options });
    const id = this.table.register(opts.numberOfRequiredSegments, opts.maxNumberOfSegments);
    if (id === REGISTER_INSUFFICIENT) {
      const available = this.numberOfSegments - this.table.numberOfRequired();
      throw new InsufficientNetworkBuffersError(
        `insufficient number of network buffers: required ${opts.numberOfRequiredSegments}, but only ${available} of ${this.numberOfSegments} segments of ${this.segmentSizeBytes} bytes are not required by other pools; raise taskmanager.memory.network.fraction, .min or .max (or taskmanager.memory.process.size)`,
        {
          details: {
            required: opts.numberOfRequiredSegments,
            available,
            totalSegments: this.numberOfSegments,
            segmentSizeBytes: this.segmentSizeBytes,
          },
        },
      );
    }
    if (id === REGISTER_TABLE_FULL) {
      throw new BufferPoolTableFullError(
        `network buffer pool table full: ${this.maxBufferPools} LocalBufferPools exist; destroy the pools of finished tasks or raise NetworkBufferPoolOptions.maxBufferPools`,
        { details: { maxBufferPools: this.maxBufferPools } },
      );
    }
    const pool = new LocalBufferPool(this, id, opts);
    this.localPools[id] = pool;
    this.numberOfLocalPools++;
    this.trimLocalPools();
    this.watchTable();
    return pool;
  }

  /**
   * Rebuilds a view of a buffer handed over by index from another thread (or this
   * one), without touching its reference count: the sender retained it for this
   * receiver, and the receiver releases the view once.
   *
   * @param segmentIndex - the buffer's `segmentIndex`
   * @param sizeBytes - bytes written by the sender
   * @param readerIndex - read position (default 0)
   * @returns a view whose `release()` returns the segment to its owning pool
   * @throws SLUICE_ERR_NETWORK_BUFFER_RECYCLED when the segment has no reference
   * @throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS for an index, size or reader index out of range
   */
  wrap(segmentIndex: number, sizeBytes: number, readerIndex = 0): Buffer {
    const segment = this.getSegment(segmentIndex);
    const ctl = this.ctl;
    const word = Atomics.load(ctl, this.layout.segRefCount + segmentIndex);
    const owner = Atomics.load(ctl, this.layout.segOwner + segmentIndex);
    if ((word & REFCOUNT_COUNT_MASK) === 0 || owner === NO_OWNER) {
      throw new BufferRecycledError(
        `wrap(): network buffer of segment ${segmentIndex} has no reference left (owner ${owner}); the sender must retain a buffer for each receiver before handing its index over`,
        { details: { segmentIndex, owner, refCount: word & REFCOUNT_COUNT_MASK } },
      );
    }
    const local = this.localPools[owner];
    const buffer = new Buffer(
      segment,
      ctl,
      this.layout.segRefCount + segmentIndex,
      word >>> REFCOUNT_LEASE_SHIFT,
      local ?? this,
      0,
      0,
      local === undefined ? REFCOUNT_BUSY : 0,
    );
    buffer.setSize(sizeBytes);
    buffer.setReaderIndex(readerIndex);
    return buffer;
  }

  /**
   * Recycles a segment whose last reference was dropped on this thread while its
   * owning pool lives on another: pushes it on the owner's return list and wakes the
   * owner, or returns it to the free list if the owner was destroyed.
   *
   * @param segmentIndex - the segment, its reference word marked BUSY
   * @remarks Called by `Buffer.release()`; not for direct use.
   */
  recycle(segmentIndex: number): void {
    const ctl = this.ctl;
    const owner = Atomics.load(ctl, this.layout.segOwner + segmentIndex);
    if (owner === NO_OWNER) return;
    if (!this.table.isRegistered(owner)) {
      this.returnSegmentToGlobal(owner, segmentIndex);
      return;
    }
    const base = this.poolBase(owner);
    const next = this.layout.segNext + segmentIndex;
    let head = Atomics.load(ctl, base + P_RETURN_HEAD);
    for (;;) {
      Atomics.store(ctl, next, head);
      const seen = Atomics.compareExchange(ctl, base + P_RETURN_HEAD, head, segmentIndex);
      if (seen === head) break;
      head = seen;
    }
    // Destroyed while we pushed: whoever takes the list first returns its segments.
    if (!this.table.isRegistered(owner)) this.drainReturnList(owner);
    if (Atomics.load(ctl, base + P_WAITING) !== 0) this.table.wake(owner);
  }

  /**
   * Takes back every segment owned by the given pools, for pools whose thread is
   * gone (a worker died or was terminated): the pools are unregistered, their
   * return lists drained, and the owner table scanned for their segments.
   *
   * Without `force`, segments that still have references stay out until their
   * holders release them (they then go straight to the free list); with `force`
   * they are taken back too, and their holders' views become stale.
   *
   * @param poolIds - ids of the dead pools (`LocalBufferPool.id`)
   * @param options - `force`
   * @returns the number of segments returned to the free list
   * @remarks Main thread (or any thread) after the owning thread has stopped; never
   * for a pool whose thread is still running (its local cache would be stolen).
   */
  reclaimBufferPools(poolIds: readonly number[], options: ReclaimOptions = {}): number {
    const ctl = this.ctl;
    const { segOwner, segRefCount } = this.layout;
    let returned = 0;
    for (const id of poolIds) {
      if (!(Number.isInteger(id) && id >= 0 && id < this.maxBufferPools)) continue;
      const local = this.localPools[id];
      if (local !== undefined) {
        local.destroy();
        continue;
      }
      this.table.unregister(id);
      returned += this.drainReturnList(id);
      for (let i = 0; i < this.numberOfSegments; i++) {
        if (Atomics.load(ctl, segOwner + i) !== id) continue;
        const word = Atomics.load(ctl, segRefCount + i);
        if ((word & REFCOUNT_BUSY) !== 0) continue; // a live thread is returning it
        if ((word & REFCOUNT_COUNT_MASK) !== 0) {
          if (options.force !== true) continue;
          const lease = ((word >>> REFCOUNT_LEASE_SHIFT) + 1) & REFCOUNT_LEASE_MASK;
          if (
            Atomics.compareExchange(ctl, segRefCount + i, word, lease << REFCOUNT_LEASE_SHIFT) !==
            word
          ) {
            i--; // a holder released meanwhile: look again
            continue;
          }
        }
        if (this.returnSegmentToGlobal(id, i)) returned++;
      }
      this.table.wake(id);
    }
    return returned;
  }

  /** Segments in the free list (Flink's `AvailableMemorySegments`). */
  getNumberOfAvailableMemorySegments(): number {
    return this.freeList.size();
  }

  /** Segments owned by some pool (Flink's `UsedMemorySegments`). */
  getNumberOfUsedMemorySegments(): number {
    return this.numberOfSegments - this.freeList.size();
  }

  /** All segments (Flink's `TotalMemorySegments`). */
  getTotalNumberOfMemorySegments(): number {
    return this.numberOfSegments;
  }

  /** Sum of the required segments of all registered pools. */
  getNumberOfRequiredMemorySegments(): number {
    return this.table.numberOfRequired();
  }

  /** Pools registered in the table, on any thread. */
  getNumberOfRegisteredBufferPools(): number {
    return this.table.numberOfRegistered();
  }

  /**
   * The segment with the given index (a view cached per thread; no bytes copied).
   *
   * @param segmentIndex - 0 … numberOfSegments − 1
   * @throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS for an index out of range
   */
  getSegment(segmentIndex: number): MemorySegment {
    const cached = this.segments[segmentIndex];
    if (cached !== undefined) return cached;
    if (
      !(Number.isInteger(segmentIndex) && segmentIndex >= 0 && segmentIndex < this.numberOfSegments)
    ) {
      throw new SegmentOutOfBoundsError(
        `segment index ${segmentIndex} outside the network buffer pool's ${this.numberOfSegments} segments`,
        { details: { segmentIndex, numberOfSegments: this.numberOfSegments } },
      );
    }
    const segment = new MemorySegment(
      this.memory,
      segmentIndex * this.segmentSizeBytes,
      this.segmentSizeBytes,
      segmentIndex,
    );
    this.segments[segmentIndex] = segment;
    return segment;
  }

  /**
   * @internal Returns a segment owned by `poolId` to the free list, unless another
   * thread already did (the owner word is claimed with a compare-and-swap).
   *
   * @returns whether this call returned it
   */
  returnSegmentToGlobal(poolId: number, segmentIndex: number): boolean {
    const ctl = this.ctl;
    const refIndex = this.layout.segRefCount + segmentIndex;
    const word = Atomics.load(ctl, refIndex);
    if ((word & REFCOUNT_BUSY) !== 0) Atomics.store(ctl, refIndex, word & ~REFCOUNT_BUSY);
    if (
      Atomics.compareExchange(ctl, this.layout.segOwner + segmentIndex, poolId, NO_OWNER) !== poolId
    ) {
      return false;
    }
    this.freeList.push(segmentIndex);
    Atomics.sub(ctl, this.poolBase(poolId) + P_OWNED, 1);
    this.table.wakeWaitingPools();
    return true;
  }

  /** @internal Called by `LocalBufferPool.destroy()` on the owning thread. */
  destroyBufferPool(pool: LocalBufferPool): void {
    this.table.unregister(pool.id);
    if (this.localPools[pool.id] === pool) {
      this.localPools[pool.id] = undefined;
      this.numberOfLocalPools--;
    }
    this.trimLocalPools();
  }

  /**
   * @internal Takes a pool's return list and returns its segments to the free list
   * (the pool is destroyed).
   *
   * @returns the number of segments returned
   */
  drainReturnList(poolId: number): number {
    const ctl = this.ctl;
    let entry = Atomics.exchange(ctl, this.poolBase(poolId) + P_RETURN_HEAD, END_OF_LIST);
    let returned = 0;
    while (entry !== END_OF_LIST) {
      const next = Atomics.load(ctl, this.layout.segNext + entry);
      if (this.returnSegmentToGlobal(poolId, entry)) returned++;
      entry = next;
    }
    return returned;
  }

  /** @internal Word index of a pool's table entry. */
  poolBase(poolId: number): number {
    return this.table.base(poolId);
  }

  /** Lets this thread's pools return segments beyond their new size right away. */
  private trimLocalPools(): void {
    if (this.numberOfLocalPools === 0) return;
    for (const pool of this.localPools) pool?.checkPoolSize();
  }

  /**
   * While this thread has pools, waits (`Atomics.waitAsync`, which keeps no event loop
   * alive) for the next redistribution by any thread and then trims them, so that an
   * idle pool does not sit on segments another pool now needs.
   */
  private watchTable(): void {
    if (this.watchingTable || this.numberOfLocalPools === 0) return;
    const ctl = this.ctl;
    for (;;) {
      const generation = Atomics.load(ctl, H_TABLE_GENERATION);
      const wait = Atomics.waitAsync(ctl, H_TABLE_GENERATION, generation);
      if (wait.async) {
        this.watchingTable = true;
        wait.value.then(this.onTableChanged);
        return;
      }
      this.trimLocalPools();
    }
  }
}

export { MAX_SEGMENTS_UNBOUNDED } from './buffer-pool-layout.ts';
export {
  defaultNetworkBufferPoolOptions,
  type NetworkBufferPoolHandle,
  type NetworkBufferPoolOptions,
} from './network-buffer-pool-handle.ts';
