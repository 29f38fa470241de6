/**
 * Where a network buffer's segment goes when its last reference is released.
 *
 * A `Buffer` calls {@link BufferRecycler.recycle} exactly once, after its reference
 * count has dropped to zero; the recycler returns the segment to the pool that owns
 * it. On the thread that requested the buffer the recycler is the `LocalBufferPool`
 * itself (the segment goes back into its local cache); on any other thread it is that
 * thread's `NetworkBufferPool` instance, which hands the segment back to the owner
 * through shared memory.
 *
 * @remarks Called on the thread that drops the last reference. Corresponds to
 * Flink's `BufferRecycler`, keyed by segment index instead of `MemorySegment` so
 * that recycling allocates nothing.
 */
export interface BufferRecycler {
  /**
   * Returns a segment whose reference count has just reached zero.
   *
   * @param segmentIndex - index of the segment in its pool
   */
  recycle(segmentIndex: number): void;
}

/** A recycler that drops the segment: for unpooled buffers (tests, one-off events). */
export const FREEING_BUFFER_RECYCLER: BufferRecycler = {
  recycle(): void {},
};
