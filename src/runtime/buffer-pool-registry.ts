/**
 * Which network buffer pools a slot's worker holds, in shared memory, so that the main
 * thread can reclaim them after the worker was terminated or died — even when it died
 * before it could send a message.
 *
 * ```
 *  Int32 index   0 COUNT   1 … CAPACITY: pool id, or FREE (−1) once destroyed
 *  worker:  register(id) → slots[COUNT++] = id (Atomics.store), before the pool is used
 *           unregister(id) → that slot = FREE, after the pool was destroyed
 *  main:    liveIds() after the worker's exit event: every id not FREE
 * ```
 *
 * One registry per slot and attempt (allocated by the main thread with the attempt's
 * network, sent in the deployment). A pool id is registered before the worker can hand
 * out any of its segments, and unregistered only after the pool was destroyed, so the
 * main thread never reclaims a pool id that another worker may have been given since.
 *
 * @remarks The worker writes, the main thread reads after the worker exited.
 * @module
 */

/** Word holding the number of slots used. */
const COUNT = 0;
/** A slot whose pool was destroyed. */
const FREE = -1;

/** Pool ids of one slot's worker; see the module documentation. */
export class BufferPoolRegistry {
  /** The shared words (for the deployment message). */
  readonly memory: SharedArrayBuffer;
  private readonly words: Int32Array;

  /**
   * @param memoryOrCapacity - an existing registry's memory (worker), or the number of
   *   pools the slot may create (main thread)
   */
  constructor(memoryOrCapacity: SharedArrayBuffer | number) {
    this.memory =
      typeof memoryOrCapacity === 'number'
        ? new SharedArrayBuffer((1 + Math.max(1, memoryOrCapacity)) * 4)
        : memoryOrCapacity;
    this.words = new Int32Array(this.memory);
  }

  /**
   * Records a pool the worker created.
   *
   * @param poolId - `LocalBufferPool.id`
   * @throws RangeError when more pools are registered than the registry was sized for
   */
  register(poolId: number): void {
    const words = this.words;
    const count = Atomics.load(words, COUNT);
    if (1 + count >= words.length) {
      throw new RangeError(
        `buffer pool registry full: ${count} pools registered; it was sized for ${words.length - 1}`,
      );
    }
    Atomics.store(words, 1 + count, poolId);
    Atomics.store(words, COUNT, count + 1);
  }

  /** Records that a pool was destroyed (no longer to reclaim). */
  unregister(poolId: number): void {
    const words = this.words;
    const count = Atomics.load(words, COUNT);
    for (let i = 1; i <= count; i++) {
      if (Atomics.load(words, i) === poolId) {
        Atomics.store(words, i, FREE);
        return;
      }
    }
  }

  /** Pools registered and not destroyed. */
  liveIds(): number[] {
    const words = this.words;
    const count = Atomics.load(words, COUNT);
    const ids: number[] = [];
    for (let i = 1; i <= count; i++) {
      const id = Atomics.load(words, i);
      if (id !== FREE) ids.push(id);
    }
    return ids;
  }
}
