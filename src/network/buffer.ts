import { MemorySegment, SegmentOutOfBoundsError } from '../memory/memory-segment.ts';
import { BufferRecycledError } from './buffer-pool-errors.ts';
import {
  REFCOUNT_BUSY,
  REFCOUNT_COUNT_MASK,
  REFCOUNT_LEASE_SHIFT,
  REFCOUNT_MAX,
} from './buffer-pool-layout.ts';
import { type BufferRecycler, FREEING_BUFFER_RECYCLER } from './buffer-recycler.ts';

/**
 * A network buffer: a pooled memory segment plus the number of bytes written to it
 * (`size`), a read position (`readerIndex`) and a reference count shared by every
 * thread that holds it.
 *
 * The reference count lives in the pool's shared control block (one word per
 * segment, see `buffer-pool-layout.ts`), together with a 15-bit `lease` that the pool
 * bumps each time it hands the segment out:
 *
 * ```
 *  requestBuffer()      retain() ×k           release() ×(k+1)         recycle()
 *  count 0 ──► 1 ───────────► 1+k ─────────────────────► 0 ──────► segment back in
 *  lease L ──► L+1                                                  its LocalBufferPool
 * ```
 *
 * - `retain()` adds a holder: a serialized buffer broadcast to k channels is retained
 *   k − 1 times (or k times and released once by the writer).
 * - `release()` drops a holder; the release that reaches zero calls the recycler
 *   exactly once. Releasing at zero, or with a stale lease (the segment was recycled
 *   and handed out again), throws `SLUICE_ERR_NETWORK_BUFFER_RECYCLED` and leaves the
 *   count untouched: both are checked inside the same compare-and-swap.
 * - Another thread rebuilds a view of the same bytes with
 *   `NetworkBufferPool.wrap(segmentIndex, size)`, which does not touch the count: the
 *   sender retains once per receiver before handing the index over, and each receiver
 *   releases its view once.
 *
 * `size` and `readerIndex` belong to this view object only (each thread has its own).
 *
 * @remarks Retain and release may be called from any thread holding a view;
 * `size`/`readerIndex` are plain fields of the view, used by one thread. Corresponds
 * to Flink's `NetworkBuffer` (`retainBuffer` = {@link retain}, `recycleBuffer` =
 * {@link release}).
 */
export class Buffer {
  /** Index of the segment in its pool: what crosses threads. */
  readonly segmentIndex: number;
  /** Lease of the segment this view was made for. */
  readonly lease: number;
  private readonly segment: MemorySegment;
  private readonly refCounts: Int32Array;
  private readonly refIndex: number;
  private readonly recycler: BufferRecycler;
  private readonly lastReleaseFlag: number;
  private size: number;
  private readerIndex: number;

  /**
   * Built by the pools (`LocalBufferPool.requestBuffer`, `NetworkBufferPool.wrap`);
   * use {@link Buffer.allocateUnpooled} for a standalone buffer.
   *
   * @param segment - the segment's window
   * @param refCounts - control words holding the reference-count word
   * @param refIndex - index of this segment's reference-count word in `refCounts`
   * @param lease - the lease this view belongs to
   * @param recycler - receives the segment when the count reaches zero
   * @param size - bytes written (0 … segment size)
   * @param readerIndex - read position (0 … size)
   * @param lastReleaseFlag - bits set in the word by the final release (`REFCOUNT_BUSY`
   *   when the recycler hands the segment to another thread, else 0)
   */
  constructor(
    segment: MemorySegment,
    refCounts: Int32Array,
    refIndex: number,
    lease: number,
    recycler: BufferRecycler,
    size: number,
    readerIndex: number,
    lastReleaseFlag: number,
  ) {
    this.segment = segment;
    this.segmentIndex = segment.segmentIndex;
    this.refCounts = refCounts;
    this.refIndex = refIndex;
    this.lease = lease;
    this.recycler = recycler;
    this.lastReleaseFlag = lastReleaseFlag;
    this.size = size;
    this.readerIndex = readerIndex;
  }

  /**
   * A buffer over a fresh heap segment, not part of any pool (tests, one-off events);
   * releasing it drops the segment.
   *
   * @param sizeBytes - capacity in bytes
   * @returns a buffer with one reference, size 0
   */
  static allocateUnpooled(sizeBytes: number): Buffer {
    const refCounts = new Int32Array(1);
    refCounts[0] = 1;
    return new Buffer(
      MemorySegment.allocateUnpooled(sizeBytes),
      refCounts,
      0,
      0,
      FREEING_BUFFER_RECYCLER,
      0,
      0,
      0,
    );
  }

  /**
   * The segment holding the bytes. Checked once per call, not per byte: callers keep
   * the segment for the duration of one read or write pass.
   *
   * @returns the segment's window
   * @throws SLUICE_ERR_NETWORK_BUFFER_RECYCLED after the last reference was released
   */
  getMemorySegment(): MemorySegment {
    const word = Atomics.load(this.refCounts, this.refIndex);
    if (word >>> REFCOUNT_LEASE_SHIFT !== this.lease || (word & REFCOUNT_COUNT_MASK) === 0) {
      this.throwRecycled('getMemorySegment()', word);
    }
    return this.segment;
  }

  /** Capacity in bytes (the segment size). */
  getMaxCapacity(): number {
    return this.segment.size;
  }

  /** Bytes written, i.e. the end of the readable region. */
  getSize(): number {
    return this.size;
  }

  /**
   * @param sizeBytes - bytes written (readerIndex … capacity)
   * @throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS outside that range
   */
  setSize(sizeBytes: number): void {
    if (!(sizeBytes >= this.readerIndex && sizeBytes <= this.segment.size)) {
      throw new SegmentOutOfBoundsError(
        `buffer size ${sizeBytes} outside [readerIndex ${this.readerIndex}, capacity ${this.segment.size}] of segment ${this.segmentIndex}`,
        { details: { sizeBytes, readerIndex: this.readerIndex, capacity: this.segment.size } },
      );
    }
    this.size = sizeBytes;
  }

  /** Read position in bytes from the start of the segment. */
  getReaderIndex(): number {
    return this.readerIndex;
  }

  /**
   * @param readerIndex - read position (0 … size)
   * @throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS outside that range
   */
  setReaderIndex(readerIndex: number): void {
    if (!(readerIndex >= 0 && readerIndex <= this.size)) {
      throw new SegmentOutOfBoundsError(
        `reader index ${readerIndex} outside [0, size ${this.size}] of segment ${this.segmentIndex}`,
        { details: { readerIndex, size: this.size } },
      );
    }
    this.readerIndex = readerIndex;
  }

  /** Bytes between the reader index and the size. */
  readableBytes(): number {
    return this.size - this.readerIndex;
  }

  /**
   * Adds a reference (one more holder, e.g. one more channel of a broadcast).
   *
   * @returns this buffer
   * @throws SLUICE_ERR_NETWORK_BUFFER_RECYCLED after the last reference was released,
   *   or when the count would exceed 32767
   */
  retain(): this {
    const refCounts = this.refCounts;
    const i = this.refIndex;
    // A plain first read (re-read atomically before failing); the compare-and-swap decides.
    let word = refCounts[i]!;
    for (;;) {
      const count = word & REFCOUNT_COUNT_MASK;
      if (word >>> REFCOUNT_LEASE_SHIFT !== this.lease || count === 0 || count === REFCOUNT_MAX) {
        const fresh = Atomics.load(refCounts, i);
        if (fresh !== word) {
          word = fresh;
          continue;
        }
        this.throwRecycled('retain()', word);
      }
      const seen = Atomics.compareExchange(refCounts, i, word, word + 1);
      if (seen === word) return this;
      word = seen;
    }
  }

  /**
   * Drops a reference; the one that reaches zero recycles the segment to its pool.
   *
   * @throws SLUICE_ERR_NETWORK_BUFFER_RECYCLED when no reference is left (double
   *   release) or the view is stale; the count is not changed
   */
  release(): void {
    const refCounts = this.refCounts;
    const i = this.refIndex;
    // A plain first read (re-read atomically before failing); the compare-and-swap decides.
    let word = refCounts[i]!;
    for (;;) {
      const count = word & REFCOUNT_COUNT_MASK;
      if (word >>> REFCOUNT_LEASE_SHIFT !== this.lease || count === 0) {
        const fresh = Atomics.load(refCounts, i);
        if (fresh !== word) {
          word = fresh;
          continue;
        }
        this.throwRecycled('release()', word);
      }
      const next =
        count === 1 ? (this.lease << REFCOUNT_LEASE_SHIFT) | this.lastReleaseFlag : word - 1;
      const seen = Atomics.compareExchange(refCounts, i, word, next);
      if (seen === word) {
        if (count === 1) this.recycler.recycle(this.segmentIndex);
        return;
      }
      word = seen;
    }
  }

  /** Whether this view's lease has no reference left. */
  isRecycled(): boolean {
    return this.refCnt() === 0;
  }

  /** References held on this view's lease (0 once recycled). */
  refCnt(): number {
    const word = Atomics.load(this.refCounts, this.refIndex);
    return word >>> REFCOUNT_LEASE_SHIFT === this.lease ? word & REFCOUNT_COUNT_MASK : 0;
  }

  private throwRecycled(operation: string, word: number): never {
    const currentLease = word >>> REFCOUNT_LEASE_SHIFT;
    const count = word & REFCOUNT_COUNT_MASK;
    const why =
      currentLease !== this.lease
        ? `the segment was recycled and handed out again (lease ${this.lease}, now ${currentLease})`
        : count === 0
          ? 'its last reference was already released (double release or use after release)'
          : `the reference count is at its maximum of ${REFCOUNT_MAX}`;
    throw new BufferRecycledError(
      `network buffer of segment ${this.segmentIndex}: ${operation} refused, ${why}; ` +
        'a component uses or releases a buffer it no longer holds',
      {
        details: {
          segmentIndex: this.segmentIndex,
          lease: this.lease,
          currentLease,
          refCount: count,
          busy: (word & REFCOUNT_BUSY) !== 0,
        },
      },
    );
  }
}
