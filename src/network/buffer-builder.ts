import { MemorySegment } from '../memory/memory-segment.ts';
import type { Buffer } from './buffer.ts';

/** The part of `SpanningRecordSerializer` that hands out a spanning frame's pending tail. */
export interface PendingFrameSource {
  pendingBytes(): number;
  copyPendingToSegment(segment: MemorySegment, position: number, limit: number): number;
}

/** A view over no bytes: what an idle builder exposes, so that every fast-path write misses. */
const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY_BYTES.buffer);
/** First size of the heap overflow. */
const INITIAL_OVERFLOW_BYTES = 4096;

/**
 * The segment a result partition is writing into for one subpartition (or, for a
 * broadcast partition, for all of them), plus a heap overflow for bytes that arrive
 * while no segment can be had.
 *
 * ```
 *  segment (network buffer)                                 overflow (heap, usually empty)
 *  [frame|frame|frame|fra··········free··········]          [me|frame|frame]
 *   0                 ▲ position                ▲ limit      ▲ start        ▲ end
 * ```
 *
 * - The writer serializes straight into `view` at `position` (the fast path checks
 *   only `position + frame ≤ limit`). With no segment, `limit` is 0, so every
 *   fast-path write misses and the slow path requests a segment.
 * - When the pool has no segment for this channel, whole frames (or a spanning
 *   frame's tail) go to the overflow, and everything after them too, to keep the
 *   order. The partition moves overflow bytes into segments as they become
 *   available, and reports itself unavailable meanwhile: the overflow is a soft
 *   bound for callers that check availability per batch, not per record.
 *
 * @remarks Owned by the producing task's thread. Corresponds to Flink's
 * `BufferBuilder` (single writer; here the reader is on another thread and only sees
 * finished buffers).
 */
export class BufferBuilder {
  /** Subpartition written, or −1 for the shared builder of a broadcast partition. */
  readonly target: number;
  /** The buffer being filled, or null. */
  buffer: Buffer | null = null;
  /** Its segment, or null. */
  segment: MemorySegment | null = null;
  /** The segment's view (empty when none). */
  view: DataView = EMPTY_VIEW;
  /** The segment's bytes (empty when none). */
  bytes: Uint8Array = EMPTY_BYTES;
  /** First free byte. */
  position = 0;
  /** One past the last usable byte (0 when there is no segment). */
  limit = 0;
  /** A flush was asked while the buffer could not be shipped at once. */
  flushRequested = false;
  /** EndOfPartition was written: the buffer holding its last byte is flagged LAST. */
  endOfPartitionPending = false;
  /** The LAST buffer was finished; nothing more is written. */
  finished = false;
  /** The receiver released the channel: writes are dropped. */
  discarding = false;
  /** A placeholder that accepts no record (per-subpartition writes on a broadcast partition). */
  readonly disabled: boolean;
  private overflow: MemorySegment | null = null;
  private overflowStart = 0;
  private overflowEnd = 0;

  /**
   * @param target - subpartition index, or −1 for a broadcast partition's shared builder
   * @param disabled - a placeholder that never gets a segment
   */
  constructor(target: number, disabled = false) {
    this.target = target;
    this.disabled = disabled;
  }

  /** Starts filling `buffer` (size 0, one reference held by this builder). */
  attach(buffer: Buffer): void {
    const segment = buffer.getMemorySegment();
    this.buffer = buffer;
    this.segment = segment;
    this.view = segment.view;
    this.bytes = segment.bytes;
    this.position = 0;
    this.limit = segment.size;
  }

  /** Forgets the buffer (finished or released by the caller). */
  detach(): void {
    this.buffer = null;
    this.segment = null;
    this.view = EMPTY_VIEW;
    this.bytes = EMPTY_BYTES;
    this.position = 0;
    this.limit = 0;
    this.flushRequested = false;
  }

  /** Whether bytes wait in the overflow. */
  hasOverflow(): boolean {
    return this.overflowEnd > this.overflowStart;
  }

  /** Bytes waiting in the overflow. */
  overflowBytes(): number {
    return this.overflowEnd - this.overflowStart;
  }

  /**
   * Appends `source[start, end)` to the overflow.
   *
   * @returns whether the overflow was empty before (the caller counts overflowing builders)
   */
  appendOverflow(source: Uint8Array, start: number, end: number): boolean {
    const wasEmpty = !this.hasOverflow();
    const overflow = this.ensureOverflow(end - start);
    overflow.bytes.set(source.subarray(start, end), this.overflowEnd);
    this.overflowEnd += end - start;
    return wasEmpty;
  }

  /**
   * Moves the pending tail of a spanning frame from the serializer to the overflow.
   *
   * @returns whether the overflow was empty before
   */
  takePending(serializer: PendingFrameSource): boolean {
    const wasEmpty = !this.hasOverflow();
    const overflow = this.ensureOverflow(serializer.pendingBytes());
    this.overflowEnd = serializer.copyPendingToSegment(overflow, this.overflowEnd, overflow.size);
    return wasEmpty;
  }

  /**
   * Copies overflow bytes into the segment, as many as fit.
   *
   * @returns whether the overflow is now empty
   */
  moveOverflowToSegment(): boolean {
    const overflow = this.overflow!;
    const count = Math.min(this.limit - this.position, this.overflowEnd - this.overflowStart);
    this.bytes.set(
      overflow.bytes.subarray(this.overflowStart, this.overflowStart + count),
      this.position,
    );
    this.position += count;
    this.overflowStart += count;
    if (this.overflowStart < this.overflowEnd) return false;
    this.clearOverflow();
    return true;
  }

  /** Drops the overflow (release) and shrinks it back. */
  clearOverflow(): void {
    this.overflowStart = 0;
    this.overflowEnd = 0;
    if (this.overflow !== null && this.overflow.size > INITIAL_OVERFLOW_BYTES * 16) {
      this.overflow = null;
    }
  }

  private ensureOverflow(extra: number): MemorySegment {
    const overflow = this.overflow;
    if (overflow !== null && this.overflowEnd + extra <= overflow.size) return overflow;
    const used = this.overflowEnd - this.overflowStart;
    let size = overflow === null ? INITIAL_OVERFLOW_BYTES : overflow.size;
    while (size < used + extra) size *= 2;
    let next: MemorySegment;
    if (overflow !== null && size === overflow.size) {
      next = overflow;
      next.bytes.copyWithin(0, this.overflowStart, this.overflowEnd);
    } else {
      next = MemorySegment.allocateUnpooled(size);
      if (overflow !== null) {
        next.bytes.set(overflow.bytes.subarray(this.overflowStart, this.overflowEnd), 0);
      }
    }
    this.overflow = next;
    this.overflowStart = 0;
    this.overflowEnd = used;
    return next;
  }
}
