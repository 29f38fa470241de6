import { END_OF_LIST } from '../memory/shared-free-list.ts';
import { lockMutex, unlockMutex } from '../memory/shared-mutex.ts';
import {
  type BufferPoolLayout,
  H_NUM_REQUIRED,
  H_NUM_WAITING_POOLS,
  H_POOL_HIGH_WATER,
  H_TABLE_GENERATION,
  H_TABLE_LOCK,
  P_GENERATION,
  P_IN_USE,
  P_MAX,
  P_OWNED,
  P_REQUIRED,
  P_RETURN_HEAD,
  P_STATE,
  P_TARGET,
  P_WAITING,
  POOL_DESTROYED,
  POOL_FREE,
  POOL_REGISTERED,
  POOL_STRIDE,
} from './buffer-pool-layout.ts';
import { type BufferPoolSizing, redistributeBuffers } from './buffer-redistribution.ts';

/** {@link BufferPoolTable.register}: the required segments of all pools would exceed the total. */
export const REGISTER_INSUFFICIENT = -1;
/** {@link BufferPoolTable.register}: every entry is taken. */
export const REGISTER_TABLE_FULL = -2;

/**
 * The pool table of the `NetworkBufferPool`'s control block: one entry per
 * `LocalBufferPool` of the process, whatever thread owns it, with its required, max
 * and current size, the segments it owns, its wake-up word and its return list (see
 * `buffer-pool-layout.ts`).
 *
 * Registering and unregistering take the table mutex (short, never across an await)
 * and redistribute the excess segments between all registered pools (Flink's
 * `redistributeBuffers`): every entry's `TARGET` is rewritten, `TABLE_GENERATION`
 * bumped, and every pool's `GENERATION` bumped and notified, so that a pool on any
 * thread picks up its new size at its next request, recycle or wake-up.
 *
 * An entry is reusable once its pool is destroyed and every segment it owned has come
 * back (`OWNED` = 0, empty return list): a late recycle can never land in a new pool.
 *
 * @remarks Stateless beyond the shared words: each thread's `NetworkBufferPool`
 * instance has one. Any thread may call it.
 */
export class BufferPoolTable {
  private readonly ctl: Int32Array;
  private readonly poolTable: number;
  private readonly numberOfSegments: number;
  private readonly maxBufferPools: number;

  /**
   * @param ctl - the control words
   * @param layout - positions in the control block
   * @param numberOfSegments - segments of the network buffer pool
   * @param maxBufferPools - entries of the table
   */
  constructor(
    ctl: Int32Array,
    layout: BufferPoolLayout,
    numberOfSegments: number,
    maxBufferPools: number,
  ) {
    this.ctl = ctl;
    this.poolTable = layout.poolTable;
    this.numberOfSegments = numberOfSegments;
    this.maxBufferPools = maxBufferPools;
  }

  /** Word index of a pool's entry. */
  base(poolId: number): number {
    return this.poolTable + poolId * POOL_STRIDE;
  }

  /**
   * Registers a pool and redistributes.
   *
   * @param required - segments guaranteed to the pool
   * @param max - most segments it may own
   * @returns the pool id, or `REGISTER_INSUFFICIENT` / `REGISTER_TABLE_FULL`
   */
  register(required: number, max: number): number {
    const ctl = this.ctl;
    lockMutex(ctl, H_TABLE_LOCK);
    try {
      if (Atomics.load(ctl, H_NUM_REQUIRED) + required > this.numberOfSegments) {
        return REGISTER_INSUFFICIENT;
      }
      const id = this.findFreeEntryLocked();
      if (id < 0) return REGISTER_TABLE_FULL;
      const base = this.base(id);
      Atomics.store(ctl, base + P_REQUIRED, required);
      Atomics.store(ctl, base + P_MAX, max);
      Atomics.store(ctl, base + P_TARGET, required);
      Atomics.store(ctl, base + P_OWNED, 0);
      Atomics.store(ctl, base + P_IN_USE, 0);
      Atomics.store(ctl, base + P_WAITING, 0);
      Atomics.store(ctl, base + P_RETURN_HEAD, END_OF_LIST);
      Atomics.store(ctl, base + P_STATE, POOL_REGISTERED);
      Atomics.add(ctl, H_NUM_REQUIRED, required);
      if (id >= Atomics.load(ctl, H_POOL_HIGH_WATER)) Atomics.store(ctl, H_POOL_HIGH_WATER, id + 1);
      this.redistributeLocked();
      return id;
    } finally {
      unlockMutex(ctl, H_TABLE_LOCK);
    }
  }

  /**
   * Marks a pool destroyed (its segments now go to the free list when recycled),
   * clears its waiting flag and redistributes. Does nothing if it is not registered.
   *
   * @param poolId - the pool
   * @returns whether the pool was registered
   */
  unregister(poolId: number): boolean {
    const ctl = this.ctl;
    const base = this.base(poolId);
    lockMutex(ctl, H_TABLE_LOCK);
    try {
      if (Atomics.load(ctl, base + P_STATE) !== POOL_REGISTERED) return false;
      Atomics.store(ctl, base + P_STATE, POOL_DESTROYED);
      Atomics.sub(ctl, H_NUM_REQUIRED, Atomics.load(ctl, base + P_REQUIRED));
      if (Atomics.exchange(ctl, base + P_WAITING, 0) !== 0) {
        Atomics.sub(ctl, H_NUM_WAITING_POOLS, 1);
      }
      this.redistributeLocked();
      return true;
    } finally {
      unlockMutex(ctl, H_TABLE_LOCK);
    }
  }

  /** Whether a pool is registered (not destroyed). */
  isRegistered(poolId: number): boolean {
    return Atomics.load(this.ctl, this.base(poolId) + P_STATE) === POOL_REGISTERED;
  }

  /** Pools registered now, on any thread. */
  numberOfRegistered(): number {
    let n = 0;
    const high = Atomics.load(this.ctl, H_POOL_HIGH_WATER);
    for (let id = 0; id < high; id++) if (this.isRegistered(id)) n++;
    return n;
  }

  /** Sum of the required segments of registered pools. */
  numberOfRequired(): number {
    return Atomics.load(this.ctl, H_NUM_REQUIRED);
  }

  /** Bumps a pool's `GENERATION` word and wakes its waiter. */
  wake(poolId: number): void {
    const index = this.base(poolId) + P_GENERATION;
    Atomics.add(this.ctl, index, 1);
    Atomics.notify(this.ctl, index);
  }

  /** Wakes every waiting pool (segments came back to the free list). Cheap when none waits. */
  wakeWaitingPools(): void {
    const ctl = this.ctl;
    if (Atomics.load(ctl, H_NUM_WAITING_POOLS) === 0) return;
    const high = Atomics.load(ctl, H_POOL_HIGH_WATER);
    for (let id = 0; id < high; id++) {
      if (Atomics.load(ctl, this.base(id) + P_WAITING) !== 0) this.wake(id);
    }
  }

  /** A free entry, or a destroyed one whose segments have all come back. */
  private findFreeEntryLocked(): number {
    const ctl = this.ctl;
    for (let id = 0; id < this.maxBufferPools; id++) {
      const base = this.base(id);
      const state = Atomics.load(ctl, base + P_STATE);
      if (state === POOL_FREE) return id;
      if (
        state === POOL_DESTROYED &&
        Atomics.load(ctl, base + P_OWNED) === 0 &&
        Atomics.load(ctl, base + P_RETURN_HEAD) === END_OF_LIST
      ) {
        return id;
      }
    }
    return -1;
  }

  /** Sets every registered pool's target size; the caller holds the table mutex. */
  private redistributeLocked(): void {
    const ctl = this.ctl;
    const high = Atomics.load(ctl, H_POOL_HIGH_WATER);
    const ids: number[] = [];
    const sizings: BufferPoolSizing[] = [];
    for (let id = 0; id < high; id++) {
      const base = this.base(id);
      if (Atomics.load(ctl, base + P_STATE) !== POOL_REGISTERED) continue;
      ids.push(id);
      sizings.push({
        required: Atomics.load(ctl, base + P_REQUIRED),
        max: Atomics.load(ctl, base + P_MAX),
      });
    }
    const targets: number[] = [];
    redistributeBuffers(this.numberOfSegments, sizings, targets);
    for (let k = 0; k < ids.length; k++) {
      Atomics.store(ctl, this.base(ids[k]!) + P_TARGET, targets[k]!);
    }
    Atomics.add(ctl, H_TABLE_GENERATION, 1);
    Atomics.notify(ctl, H_TABLE_GENERATION);
    for (const id of ids) this.wake(id);
  }
}
