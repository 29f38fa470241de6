import { SluiceError } from '../../errors.ts';
import type { MemorySegment } from '../../memory/memory-segment.ts';
import { DataOutputSerializer } from '../../types/data-output-serializer.ts';
import { type StreamElement, StreamElementKind } from '../../types/stream-element.ts';
import type { StreamElementSerializer } from '../../types/stream-element-serializer.ts';
import { RecordTooLargeError } from '../../types/type-errors.ts';
import {
  type RecordSerializationOptions,
  resolveRecordSerializationOptions,
} from './record-serialization-options.ts';

/** Bytes of the length prefix of every frame. */
export const FRAME_LENGTH_BYTES = 4;

/**
 * Frames {@link StreamElement}s into network segments: each element becomes one
 * length-prefixed frame, written in place when it fits and split over as many
 * segments as needed when it does not.
 *
 * Frame layout (all frames of a subpartition are concatenated; a frame may start in
 * one segment and end several segments later):
 *
 * ```
 *  ┌──────────────┬────────┬──────────────────────────────┐
 *  │ u32 length   │ u8 tag │ payload (see StreamElement-  │   length = 1 + payload bytes
 *  │ (big-endian) │        │ Serializer: f64 ts, record…) │   1 ≤ length ≤ maxRecordSizeBytes
 *  └──────────────┴────────┴──────────────────────────────┘
 *
 *  segment k                         segment k+1            segment k+2
 *  [..frame|frame|len tag payl]      [oad..................][...oad|frame|...]
 *                   └──────── one frame spanning three segments ────┘
 * ```
 *
 * Writing one element:
 *
 * 1. {@link serializeToSegment} serializes straight into `segment[position, limit)`
 *    (no copy) and patches the length prefix. If everything fits it returns the new
 *    position: the common case for small records.
 * 2. Otherwise the serializer has moved the bytes to its heap scratch and finished
 *    the frame there; it fills the segment up to `limit` with the frame's first
 *    bytes and returns `limit`. {@link hasPendingData} is now true: the caller ships
 *    the full segment, obtains the next one and calls {@link copyPendingToSegment}
 *    until nothing is pending. The caller may wait (backpressure) between calls: the
 *    pending bytes stay here.
 *
 * ```ts
 * let pos = serializer.serializeToSegment(element, builder.segment, builder.position, builder.limit);
 * builder.commit(pos);
 * while (serializer.hasPendingData()) {
 *   builder = await nextBufferBuilder(); // flush the full one first
 *   builder.commit(serializer.copyPendingToSegment(builder.segment, builder.position, builder.limit));
 * }
 * ```
 *
 * Invariant: between calls, either nothing is pending or exactly one frame's tail is.
 * Bytes between the returned position and `limit` may have been scribbled on by a
 * write attempt; they are not part of the stream (not committed).
 *
 * @remarks Owned by the one task thread that writes a result partition (one instance
 * per partition is enough: frames are never interleaved). Corresponds to Flink's
 * `SpanningRecordSerializer` (≤ 1.11) / `RecordWriter.serializeRecord` +
 * `BufferBuilder.appendAndCommit`, with the in-place fast path added.
 */
export class SpanningRecordSerializer<T> {
  private readonly serializer: StreamElementSerializer<T>;
  private readonly out: DataOutputSerializer;
  private readonly maxRecordSizeBytes: number;
  /** Pending frame bytes are `out.getSharedBuffer()[pendingPos, pendingEnd)`. */
  private pendingPos = 0;
  private pendingEnd = 0;

  /**
   * @param serializer - serializer of the elements
   * @param options - see {@link RecordSerializationOptions}
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid options
   */
  constructor(
    serializer: StreamElementSerializer<T>,
    options?: Partial<RecordSerializationOptions>,
  ) {
    const resolved = resolveRecordSerializationOptions(options, 'SpanningRecordSerializer');
    this.serializer = serializer;
    this.maxRecordSizeBytes = resolved.maxRecordSizeBytes;
    this.out = new DataOutputSerializer(
      Math.min(resolved.initialBufferSizeBytes, resolved.maxRecordSizeBytes + FRAME_LENGTH_BYTES),
      resolved.maxRecordSizeBytes + FRAME_LENGTH_BYTES,
      'maxRecordSizeBytes (RecordSerializationOptions, on writers and readers alike)',
    );
  }

  /**
   * Writes one framed element into `segment` from `position`, up to `limit`.
   *
   * @param element - the element
   * @param segment - the segment being filled
   * @param position - first free byte (0 ≤ position ≤ limit)
   * @param limit - one past the last usable byte (≤ `segment.size`)
   * @returns the position after the bytes written: `< limit` or `= limit` with the
   *   whole frame written, or `= limit` with the rest pending ({@link hasPendingData})
   * @throws SLUICE_ERR_TYPES_RECORD_TOO_LARGE when the frame exceeds `maxRecordSizeBytes`
   * @throws the element serializer's errors (nothing is committed or pending then)
   * @throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS when `[position, limit)` is not in the segment
   * @throws SLUICE_ERR_INTERNAL when a previous frame is still pending
   */
  serializeToSegment(
    element: StreamElement<T>,
    segment: MemorySegment,
    position: number,
    limit: number,
  ): number {
    if (this.pendingPos < this.pendingEnd) this.throwPending();
    if (!(position >= 0 && position <= limit && limit <= segment.size)) {
      segment.checkRange(position, limit - position);
    }
    if (element.kind === StreamElementKind.RECORD) {
      // Fast path: fixed-length record types written at constant offsets.
      const view = segment.view;
      const length = this.serializer.tryWriteRecordFixed(
        element,
        view,
        position + FRAME_LENGTH_BYTES,
        limit,
      );
      if (length > 0) {
        if (length > this.maxRecordSizeBytes) this.throwTooLarge(length);
        view.setUint32(position, length);
        return position + FRAME_LENGTH_BYTES + length;
      }
    }
    const out = this.out;
    out.wrapSegment(segment, position, limit);
    out.skipBytesToWrite(FRAME_LENGTH_BYTES);
    this.serializer.serialize(element, out);
    const frameLength = out.length() - FRAME_LENGTH_BYTES;
    if (frameLength > this.maxRecordSizeBytes) this.throwTooLarge(frameLength);
    out.writeUint32At(0, frameLength);
    if (out.isWindowed()) return out.position();
    this.pendingPos = 0;
    this.pendingEnd = frameLength + FRAME_LENGTH_BYTES;
    return this.copyPendingToSegment(segment, position, limit);
  }

  /**
   * Copies the next pending bytes of a spanning frame into `segment[position, limit)`.
   *
   * @returns the position after the bytes copied (`limit` while more is pending)
   * @throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS when `[position, limit)` is not in the segment
   */
  copyPendingToSegment(segment: MemorySegment, position: number, limit: number): number {
    segment.checkRange(position, limit - position);
    const count = Math.min(limit - position, this.pendingEnd - this.pendingPos);
    const heap = this.out.getSharedBuffer();
    segment.bytes.set(heap.subarray(this.pendingPos, this.pendingPos + count), position);
    this.pendingPos += count;
    return position + count;
  }

  /** Whether a frame's tail still waits for {@link copyPendingToSegment}. */
  hasPendingData(): boolean {
    return this.pendingPos < this.pendingEnd;
  }

  /** Number of frame bytes still pending. */
  pendingBytes(): number {
    return this.pendingEnd - this.pendingPos;
  }

  /**
   * Serializes one framed element into the heap scratch and returns it, for writers
   * that copy the same frame to several channels (broadcast).
   *
   * @returns a view of the scratch holding the whole frame (length prefix included),
   *   valid until the next call on this serializer
   * @throws as {@link serializeToSegment}
   */
  serializeFrame(element: StreamElement<T>): Uint8Array {
    if (this.pendingPos < this.pendingEnd) this.throwPending();
    const out = this.out;
    out.clear();
    out.skipBytesToWrite(FRAME_LENGTH_BYTES);
    this.serializer.serialize(element, out);
    const frameLength = out.length() - FRAME_LENGTH_BYTES;
    if (frameLength > this.maxRecordSizeBytes) this.throwTooLarge(frameLength);
    out.writeUint32At(0, frameLength);
    return out.getSharedBuffer().subarray(0, frameLength + FRAME_LENGTH_BYTES);
  }

  /** Drops a pending frame (e.g. when the partition is released after a failure). */
  clear(): void {
    this.pendingPos = 0;
    this.pendingEnd = 0;
    this.out.clear();
  }

  private throwPending(): never {
    throw new SluiceError(
      `SpanningRecordSerializer: a frame is still pending (${this.pendingEnd - this.pendingPos} bytes); call copyPendingToSegment() until hasPendingData() is false before writing the next element`,
      { details: { pendingBytes: this.pendingEnd - this.pendingPos } },
    );
  }

  private throwTooLarge(frameLength: number): never {
    this.out.clear();
    throw new RecordTooLargeError(
      `record too large: its frame is ${frameLength} bytes, maxRecordSizeBytes is ${this.maxRecordSizeBytes}; make the record smaller or raise maxRecordSizeBytes (RecordSerializationOptions) on writers and readers alike`,
      { details: { frameLength, maxRecordSizeBytes: this.maxRecordSizeBytes } },
    );
  }
}
