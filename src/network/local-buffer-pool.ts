import { Type } from 'typebox';
import { compileOptions } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import { AVAILABLE, type AvailabilityProvider } from './availability-provider.ts';
import { Buffer } from './buffer.ts';
import { BufferPoolDestroyedError } from './buffer-pool-errors.ts';
import {
  H_NUM_WAITING_POOLS,
  H_TABLE_GENERATION,
  MAX_SEGMENTS_UNBOUNDED,
  NO_CHANNEL,
  P_GENERATION,
  P_IN_USE,
  P_OWNED,
  P_RETURN_HEAD,
  P_TARGET,
  P_WAITING,
  REFCOUNT_BUSY,
  REFCOUNT_LEASE_MASK,
  REFCOUNT_LEASE_SHIFT,
} from './buffer-pool-layout.ts';
import type { BufferRecycler } from './buffer-recycler.ts';
import type { NetworkBufferPool } from './network-buffer-pool.ts';

/** Options of a {@link LocalBufferPool} (`NetworkBufferPool.createBufferPool`). */
export interface LocalBufferPoolOptions {
  /**
   * Segments the pool is guaranteed, whatever the other pools do (Flink's
   * `numberOfRequiredMemorySegments`).
   * @defaultValue 1 segment
   */
  numberOfRequiredSegments: number;
  /**
   * Most segments the pool may own; redistribution never sizes it past this.
   * @defaultValue `MAX_SEGMENTS_UNBOUNDED` (no cap)
   */
  maxNumberOfSegments: number;
  /**
   * Subpartitions (output channels) the pool serves, for the per-channel cap; 0 when
   * requests name no channel.
   * @defaultValue 0
   */
  numberOfSubpartitions: number;
  /**
   * Most buffers one subpartition may hold at once
   * (`taskmanager.network.memory.max-buffers-per-channel`): a request for a channel at
   * the cap returns `null` and the pool reports itself unavailable until one of that
   * channel's buffers is recycled, so that one slow channel cannot take every buffer.
   * @defaultValue 10 buffers
   */
  maxBuffersPerChannel: number;
}

export const defaultLocalBufferPoolOptions: LocalBufferPoolOptions = {
  numberOfRequiredSegments: 1,
  maxNumberOfSegments: MAX_SEGMENTS_UNBOUNDED,
  numberOfSubpartitions: 0,
  maxBuffersPerChannel: 10,
};

const validateSchema = compileOptions(
  Type.Object(
    {
      numberOfRequiredSegments: Type.Integer({ minimum: 1, maximum: MAX_SEGMENTS_UNBOUNDED }),
      maxNumberOfSegments: Type.Integer({ minimum: 1, maximum: MAX_SEGMENTS_UNBOUNDED }),
      numberOfSubpartitions: Type.Integer({ minimum: 0, maximum: 1 << 20 }),
      maxBuffersPerChannel: Type.Integer({ minimum: 1, maximum: MAX_SEGMENTS_UNBOUNDED }),
    },
    { additionalProperties: false },
  ),
  'LocalBufferPool',
);

/**
 * Validates merged {@link LocalBufferPoolOptions}.
 *
 * @throws SLUICE_ERR_CONFIG_INVALID naming the key, also when max < required
 */
export function validateLocalBufferPoolOptions(options: unknown): LocalBufferPoolOptions {
  const opts = validateSchema(options);
  if (opts.maxNumberOfSegments < opts.numberOfRequiredSegments) {
    throw new ConfigError(
      `LocalBufferPool: maxNumberOfSegments = ${opts.maxNumberOfSegments} is below numberOfRequiredSegments = ${opts.numberOfRequiredSegments}; raise the maximum or lower the requirement`,
      { details: { key: 'maxNumberOfSegments', value: opts.maxNumberOfSegments } },
    );
  }
  return opts;
}

/**
 * Segments taken from the global free list per trip (one mutex acquisition): one
 * cache line of per-segment words, so pools on different threads rarely share one.
 */
const REFILL_BATCH = 16;
/** Longest a timer can wait; only keeps the event loop alive while a future is pending. */
const KEEP_ALIVE_MS = 2 ** 31 - 1;
const noop = (): void => {};

/**
 * A task's share of the network buffers: lends buffers to one producer (a
 * `ResultPartition`) or consumer (an `InputGate`), non-blocking, with an
 * availability future for backpressure.
 *
 * Mechanism:
 * - The pool owns up to `currentPoolSize` segments (its row in the shared pool
 *   table; `NetworkBufferPool` sets it by redistribution, between required and max).
 *   Segments it owns sit in a **thread-local cache** (free), are **in use** (lent as
 *   buffers), or are on its **return list** (recycled by another thread, waiting to
 *   be drained). `owner[i]` in shared memory names the pool for every one of them.
 * - {@link requestBuffer} pops the cache — no shared-memory traffic but the
 *   segment's reference word and the pool's in-use count. An empty cache is refilled
 *   from the return list, then from the global free list while the pool owns fewer
 *   segments than its size.
 * - A buffer released on this thread comes back into the cache; released on another
 *   thread it is pushed on the return list in shared memory and the pool's
 *   `GENERATION` word is bumped and notified if the pool waits.
 * - Over its size (after a redistribution shrank it) the pool returns segments to the
 *   global free list as they are recycled, and at once those in its cache.
 * - {@link getAvailableFuture} waits with `Atomics.waitAsync` on the `GENERATION`
 *   word, so a recycle on any thread wakes it. The waiter raises `WAITING` before
 *   re-checking, and recyclers check `WAITING` after publishing the segment: one of
 *   the two always sees the other.
 *
 * ```
 *            requestBuffer()                     release() on this thread
 *   cache ─────────────────────► in use ─────────────────────────────► cache
 *     ▲  ▲                          │ release() on another thread
 *     │  └──── drain ◄── return list ◄┘   (+ GENERATION bump/notify)
 *     └─ global free list (while owned < currentPoolSize) ◄── excess / destroy
 * ```
 *
 * @remarks Owned by the thread that created it: every method except the
 * {@link recycle} done by `Buffer.release()` is for that thread only. Corresponds to
 * Flink's `LocalBufferPool`.
 */
export class LocalBufferPool implements BufferRecycler, AvailabilityProvider {
  /** Row of this pool in the shared pool table; what a dead worker's pools are reclaimed by. */
  readonly id: number;
  private readonly network: NetworkBufferPool;
  private readonly ctl: Int32Array;
  private readonly base: number;
  private readonly segRefCount: number;
  private readonly segOwner: number;
  private readonly segChannel: number;
  private readonly segNext: number;
  private readonly numberOfRequiredSegments: number;
  private readonly maxNumberOfSegments: number;
  private readonly maxBuffersPerChannel: number;
  private readonly subpartitionBuffersCount: Int32Array;
  private unavailableSubpartitionsCount = 0;
  private readonly cache: Int32Array;
  private cacheSize = 0;
  private numOwned = 0;
  private numInUse = 0;
  private currentPoolSize: number;
  private seenTableGeneration = -1;
  private lastLease = 0;
  private destroyed = false;
  private waiting = false;
  private pendingFuture: Promise<void> | null = null;
  private resolvePending: (() => void) | null = null;
  private keepAlive: ReturnType<typeof setTimeout> | null = null;
  private waitsInFlight = 0;
  private waitGeneration = 0;
  private readonly onWake: () => void;

  /**
   * Use `NetworkBufferPool.createBufferPool()`, which registers the pool first.
   *
   * @param network - this thread's instance of the network buffer pool
   * @param id - the pool's row in the pool table
   * @param options - validated options
   */
  constructor(network: NetworkBufferPool, id: number, options: LocalBufferPoolOptions) {
    this.network = network;
    this.id = id;
    this.ctl = network.ctl;
    this.base = network.poolBase(id);
    this.segRefCount = network.layout.segRefCount;
    this.segOwner = network.layout.segOwner;
    this.segChannel = network.layout.segChannel;
    this.segNext = network.layout.segNext;
    this.numberOfRequiredSegments = options.numberOfRequiredSegments;
    this.maxNumberOfSegments = options.maxNumberOfSegments;
    this.maxBuffersPerChannel = options.maxBuffersPerChannel;
    this.subpartitionBuffersCount = new Int32Array(options.numberOfSubpartitions);
    this.cache = new Int32Array(network.numberOfSegments);
    this.currentPoolSize = options.numberOfRequiredSegments;
    this.onWake = () => {
      this.waitsInFlight--;
      if (this.pendingFuture !== null && this.waitsInFlight === 0) this.arm();
    };
    this.checkPoolSize();
  }

  /**
   * Lends a buffer, without waiting.
   *
   * @param targetChannel - subpartition the buffer is for, or -1 (no per-channel cap)
   * @returns a buffer with one reference and size 0, or `null` when the pool has no
   *   segment to lend now or the channel holds `maxBuffersPerChannel` buffers (then
   *   wait on {@link getAvailableFuture})
   * @throws SLUICE_ERR_NETWORK_POOL_DESTROYED after {@link destroy}
   */
  requestBuffer(targetChannel: number = NO_CHANNEL): Buffer | null {
    const segmentIndex = this.requestSegmentIndex(targetChannel);
    if (segmentIndex < 0) return null;
    return new Buffer(
      this.network.getSegment(segmentIndex),
      this.ctl,
      this.segRefCount + segmentIndex,
      this.lastLease,
      this,
      0,
      0,
      0,
    );
  }

  /**
   * Takes back a segment whose last reference was released on this thread (called by
   * `Buffer.release()`; not for direct use).
   *
   * @param segmentIndex - a segment this pool lent
   */
  recycle(segmentIndex: number): void {
    const ctl = this.ctl;
    ctl[this.base + P_IN_USE] = --this.numInUse;
    if (this.destroyed) {
      this.network.returnSegmentToGlobal(this.id, segmentIndex);
      return;
    }
    this.takeBack(segmentIndex);
    if (this.waiting) {
      Atomics.add(ctl, this.base + P_GENERATION, 1);
      Atomics.notify(ctl, this.base + P_GENERATION);
    }
  }

  /**
   * Whether {@link requestBuffer} would succeed for any channel now: a segment is at
   * hand (cache, return list, or the global list within the pool's size) and no
   * channel is at its cap. Destroyed pools report available, so waiters wake up and
   * see the error.
   */
  isAvailable(): boolean {
    if (this.destroyed) return true;
    const available = this.checkAvailability();
    if (available && this.pendingFuture !== null) this.completePending();
    return available;
  }

  /**
   * `AVAILABLE` when a buffer can be requested now; otherwise one future (the same
   * until it resolves) that resolves when a buffer was recycled to this pool on any
   * thread, the global free list got segments the pool may take, the pool grew, or
   * the pool was destroyed. While it is pending the event loop is kept alive.
   */
  getAvailableFuture(): Promise<void> {
    if (this.isAvailable()) return AVAILABLE;
    let future = this.pendingFuture;
    if (future === null) {
      future = new Promise<void>((resolve) => {
        this.resolvePending = resolve;
      });
      this.pendingFuture = future;
      this.keepAlive = setTimeout(noop, KEEP_ALIVE_MS);
      this.arm(); // may resolve it at once (a segment came back meanwhile)
    }
    return future;
  }

  /**
   * Sets the pool's size (Flink's `setNumBuffers`, normally done by redistribution,
   * which overrides it again when pools come and go); segments beyond it go back to
   * the global free list.
   *
   * @param numBuffers - new size (≥ required; capped at max)
   * @throws SLUICE_ERR_CONFIG_INVALID below the required segments
   * @throws SLUICE_ERR_NETWORK_POOL_DESTROYED after {@link destroy}
   */
  setNumBuffers(numBuffers: number): void {
    this.checkNotDestroyed('setNumBuffers()');
    if (!(Number.isInteger(numBuffers) && numBuffers >= this.numberOfRequiredSegments)) {
      throw new ConfigError(
        `LocalBufferPool ${this.id}: setNumBuffers(${numBuffers}) is below the ${this.numberOfRequiredSegments} required segments`,
        { details: { numBuffers, required: this.numberOfRequiredSegments } },
      );
    }
    const size = Math.min(numBuffers, this.maxNumberOfSegments);
    Atomics.store(this.ctl, this.base + P_TARGET, size);
    this.currentPoolSize = size;
    this.returnExcessSegments();
    if (this.waiting) {
      Atomics.add(this.ctl, this.base + P_GENERATION, 1);
      Atomics.notify(this.ctl, this.base + P_GENERATION);
    }
  }

  /**
   * Unregisters the pool (redistributing its share to the others) and returns every
   * segment it holds to the global free list; buffers still in use go there when
   * released, on whatever thread. Resolves a pending availability future. Idempotent.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.network.destroyBufferPool(this);
    while (this.cacheSize > 0) this.returnToGlobal(this.cache[--this.cacheSize]!);
    this.network.drainReturnList(this.id);
    this.completePending();
    Atomics.add(this.ctl, this.base + P_GENERATION, 1);
    Atomics.notify(this.ctl, this.base + P_GENERATION);
  }

  /** Whether {@link destroy} was called (Flink's `isDestroyed`). */
  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** The pool's current size (Flink's `getNumBuffers`). */
  getNumBuffers(): number {
    return this.currentPoolSize;
  }

  /** Segments guaranteed to the pool. */
  getNumberOfRequiredMemorySegments(): number {
    return this.numberOfRequiredSegments;
  }

  /** Most segments the pool may own (`MAX_SEGMENTS_UNBOUNDED` = no cap). */
  getMaxNumberOfMemorySegments(): number {
    return this.maxNumberOfSegments;
  }

  /** Most buffers one subpartition may hold. */
  getMaxBuffersPerChannel(): number {
    return this.maxBuffersPerChannel;
  }

  /** Free segments in the pool's cache, ready to lend. */
  getNumberOfAvailableMemorySegments(): number {
    return this.cacheSize;
  }

  /** Segments the pool owns: cached, in use, or on its return list. */
  getNumberOfRequestedMemorySegments(): number {
    return Atomics.load(this.ctl, this.base + P_OWNED);
  }

  /**
   * Buffers lent and not yet recycled (Flink's `bestEffortGetNumOfUsedBuffers`); takes
   * in what other threads recycled first.
   */
  bestEffortGetNumOfUsedBuffers(): number {
    if (!this.destroyed) this.drainReturnList();
    return this.numInUse;
  }

  /**
   * Fraction of the pool in use, 0 … 1: what Flink reports as `inPoolUsage` /
   * `outPoolUsage`. Capped at 1 for the moment after a shrink when more buffers are
   * in use than the new size.
   */
  getUsage(): number {
    const size = this.currentPoolSize;
    return size === 0 ? 0 : Math.min(1, this.bestEffortGetNumOfUsedBuffers() / size);
  }

  /**
   * @internal Picks up a new size from the pool table after a redistribution and
   * returns cached segments beyond it. Cheap when nothing changed (one load).
   */
  checkPoolSize(): void {
    if (this.destroyed) return;
    const generation = Atomics.load(this.ctl, H_TABLE_GENERATION);
    if (generation === this.seenTableGeneration) return;
    this.seenTableGeneration = generation;
    this.currentPoolSize = Math.min(
      Atomics.load(this.ctl, this.base + P_TARGET),
      this.maxNumberOfSegments,
    );
    this.returnExcessSegments();
  }

  private requestSegmentIndex(channel: number): number {
    if (this.destroyed) this.checkNotDestroyed('requestBuffer()');
    const counts = this.subpartitionBuffersCount;
    if (channel !== NO_CHANNEL) {
      if (!(channel >= 0 && channel < counts.length)) this.throwBadChannel(channel);
      if (counts[channel]! >= this.maxBuffersPerChannel) return -1;
    }
    if (this.cacheSize === 0 && !this.refill()) return -1;
    const segmentIndex = this.cache[--this.cacheSize]!;
    const ctl = this.ctl;
    // Plain accesses: a cached segment is this thread's alone and this thread wrote its
    // word last; other threads read it after the hand-over, which synchronises.
    const refIndex = this.segRefCount + segmentIndex;
    const lease = ((ctl[refIndex]! >>> REFCOUNT_LEASE_SHIFT) + 1) & REFCOUNT_LEASE_MASK;
    ctl[refIndex] = (lease << REFCOUNT_LEASE_SHIFT) | 1;
    this.lastLease = lease;
    ctl[this.base + P_IN_USE] = ++this.numInUse;
    ctl[this.segChannel + segmentIndex] = channel;
    if (channel !== NO_CHANNEL && ++counts[channel]! === this.maxBuffersPerChannel) {
      this.unavailableSubpartitionsCount++;
    }
    return segmentIndex;
  }

  /** A segment this pool owns is free again (recycled here or drained from the return list). */
  private takeBack(segmentIndex: number): void {
    const channel = this.ctl[this.segChannel + segmentIndex]!;
    if (
      channel !== NO_CHANNEL &&
      this.subpartitionBuffersCount[channel]-- === this.maxBuffersPerChannel
    ) {
      this.unavailableSubpartitionsCount--;
    }
    // A plain read suffices here: refill() and checkPoolSize() read it atomically.
    if (this.ctl[H_TABLE_GENERATION] !== this.seenTableGeneration) this.checkPoolSize();
    if (this.numOwned > this.currentPoolSize) this.returnToGlobal(segmentIndex);
    else this.cache[this.cacheSize++] = segmentIndex;
  }

  /** Fills the empty cache: return list first, then the global list within the pool's size. */
  private refill(): boolean {
    if (this.drainReturnList() > 0 && this.cacheSize > 0) return true;
    this.checkPoolSize();
    const wanted = Math.min(this.currentPoolSize - this.numOwned, REFILL_BATCH);
    if (wanted <= 0) return this.cacheSize > 0;
    const offset = this.cacheSize;
    const taken = this.network.freeList.popMany(this.cache, offset, wanted);
    if (taken === 0) return this.cacheSize > 0;
    const ctl = this.ctl;
    for (let k = 0; k < taken; k++)
      Atomics.store(ctl, this.segOwner + this.cache[offset + k]!, this.id);
    this.numOwned += taken;
    Atomics.add(ctl, this.base + P_OWNED, taken);
    this.cacheSize += taken;
    return true;
  }

  /** Takes the segments other threads recycled to this pool. */
  private drainReturnList(): number {
    const ctl = this.ctl;
    if (Atomics.load(ctl, this.base + P_RETURN_HEAD) === -1) return 0;
    let entry = Atomics.exchange(ctl, this.base + P_RETURN_HEAD, -1);
    let drained = 0;
    while (entry !== -1) {
      const next = Atomics.load(ctl, this.segNext + entry);
      const refIndex = this.segRefCount + entry;
      Atomics.store(ctl, refIndex, Atomics.load(ctl, refIndex) & ~REFCOUNT_BUSY);
      ctl[this.base + P_IN_USE] = --this.numInUse;
      this.takeBack(entry);
      drained++;
      entry = next;
    }
    return drained;
  }

  private checkAvailability(): boolean {
    if (this.cacheSize === 0) this.refill();
    else if (this.unavailableSubpartitionsCount > 0) this.drainReturnList();
    return this.cacheSize > 0 && this.unavailableSubpartitionsCount === 0;
  }

  /** Re-checks availability and, if still unavailable, waits for the next GENERATION bump. */
  private arm(): void {
    const ctl = this.ctl;
    const generationIndex = this.base + P_GENERATION;
    if (!this.waiting) {
      this.waiting = true;
      Atomics.store(ctl, this.base + P_WAITING, 1);
      Atomics.add(ctl, H_NUM_WAITING_POOLS, 1);
    }
    for (;;) {
      const generation = Atomics.load(ctl, generationIndex);
      if (this.destroyed || this.checkAvailability()) {
        this.completePending();
        return;
      }
      // A wait registered at this generation is still pending: it covers us.
      if (this.waitsInFlight > 0 && this.waitGeneration === generation) return;
      const result = Atomics.waitAsync(ctl, generationIndex, generation);
      if (result.async) {
        this.waitsInFlight++;
        this.waitGeneration = generation;
        result.value.then(this.onWake);
        return;
      }
    }
  }

  private completePending(): void {
    if (this.waiting) {
      this.waiting = false;
      if (Atomics.exchange(this.ctl, this.base + P_WAITING, 0) !== 0) {
        Atomics.sub(this.ctl, H_NUM_WAITING_POOLS, 1);
      }
    }
    if (this.keepAlive !== null) {
      clearTimeout(this.keepAlive);
      this.keepAlive = null;
    }
    const resolve = this.resolvePending;
    this.pendingFuture = null;
    this.resolvePending = null;
    resolve?.();
  }

  private returnExcessSegments(): void {
    while (this.numOwned > this.currentPoolSize && this.cacheSize > 0) {
      this.returnToGlobal(this.cache[--this.cacheSize]!);
    }
  }

  private returnToGlobal(segmentIndex: number): void {
    if (this.network.returnSegmentToGlobal(this.id, segmentIndex)) this.numOwned--;
  }

  private checkNotDestroyed(operation: string): void {
    if (this.destroyed) {
      throw new BufferPoolDestroyedError(
        `LocalBufferPool ${this.id}: ${operation} after destroy(); the task owning the pool was cancelled or finished`,
        { details: { poolId: this.id } },
      );
    }
  }

  private throwBadChannel(channel: number): never {
    throw new ConfigError(
      `LocalBufferPool ${this.id}: target channel ${channel} outside [0, ${this.subpartitionBuffersCount.length}) subpartitions; pass numberOfSubpartitions when creating the pool`,
      { details: { channel, numberOfSubpartitions: this.subpartitionBuffersCount.length } },
    );
  }
}
