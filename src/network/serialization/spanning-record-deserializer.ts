import { SluiceError } from '../../errors.ts';
import type { MemorySegment } from '../../memory/memory-segment.ts';
import { describeValue } from '../../types/type-errors.ts';
import {
  type RecordSerializationOptions,
  resolveRecordSerializationOptions,
} from './record-serialization-options.ts';
import { CorruptStreamError, TruncatedStreamError } from './serialization-errors.ts';
import { FRAME_LENGTH_BYTES } from './spanning-record-serializer.ts';

/**
 * Outcome of {@link SpanningRecordDeserializer.getNextRecord}, as Flink's
 * `RecordDeserializer.DeserializationResult`: whether a whole record was read, and
 * whether the current buffer is used up (recycle it and set the next one).
 */
export const DeserializationResult = {
  /** No complete record; the buffer is consumed (its tail is kept in the scratch). */
  PARTIAL_RECORD: Object.freeze({ isFullRecord: false, isBufferConsumed: true }),
  /** A record was read; the buffer holds more data. */
  INTERMEDIATE_RECORD_FROM_BUFFER: Object.freeze({ isFullRecord: true, isBufferConsumed: false }),
  /** A record was read and it ended exactly at the end of the buffer. */
  LAST_RECORD_FROM_BUFFER: Object.freeze({ isFullRecord: true, isBufferConsumed: true }),
} as const;

/** One of the three {@link DeserializationResult} singletons. */
export type DeserializationResult =
  (typeof DeserializationResult)[keyof typeof DeserializationResult];

/**
 * What a frame's payload is read into (Flink: `IOReadableWritable`).
 * `DeserializationDelegate` is the implementation for StreamElements.
 */
export interface DeserializationTarget {
  /**
   * Reads one frame's payload, `bytes[start, end)` (`view` has the same origin as
   * `bytes`). It must read exactly these bytes and throw when they are not a valid
   * payload (unknown tag, too short, bytes left over); the deserializer turns any
   * throw into `SLUICE_ERR_NETWORK_CORRUPT_STREAM`. The bytes are only valid during
   * the call: copy what must outlive it.
   */
  readFrame(bytes: Uint8Array, view: DataView, start: number, end: number): void;
}

/** Scratch buffers above this size are dropped after their frame completes. */
const SHRINK_THRESHOLD_BYTES = 1024 * 1024;

/**
 * Turns a sequence of buffers into complete frames (see `SpanningRecordSerializer` for
 * the layout), reading frames that lie inside one buffer in place and assembling only
 * frames that span buffers in a growable scratch.
 *
 * ```
 *  buffer 1: [frame a][frame b][fra      getNextRecord → a (INTERMEDIATE), b (INTERMEDIATE),
 *                                         PARTIAL (tail "fra" copied to the scratch)
 *  buffer 2: me c][frame d]               → c from the scratch (INTERMEDIATE), d (LAST)
 * ```
 *
 * Use: `setNextBuffer()` with a buffer's segment and byte range, then call
 * `getNextRecord(target)` until the result says `isBufferConsumed` (the segment may
 * then be recycled: nothing refers to it any more), then set the next buffer.
 *
 * Checks, each a coded error that leaves the deserializer failed (every later call
 * rethrows it; the channel is unusable):
 * - a length of 0 or above `maxRecordSizeBytes` → `SLUICE_ERR_NETWORK_CORRUPT_STREAM`
 *   (checked before any allocation, so a corrupt length cannot exhaust memory);
 * - the target throwing while reading the payload (unknown tag, a read past the
 *   frame's end, bytes left unread, invalid data) → `SLUICE_ERR_NETWORK_CORRUPT_STREAM`
 *   with the original error as `cause`;
 * - {@link finish} while a frame is incomplete → `SLUICE_ERR_NETWORK_TRUNCATED_STREAM`.
 *
 * A corrupt stream therefore ends in an error, never a hang: the only state in which
 * it waits for more data is an incomplete frame, which `finish()` (end of partition,
 * channel closed) turns into an error.
 *
 * @remarks Owned by the one task thread reading an input channel; one instance per
 * channel. Corresponds to Flink's `SpillingAdaptiveSpanningRecordDeserializer`
 * (without the spilling: frames are bounded by `maxRecordSizeBytes` instead).
 */
export class SpanningRecordDeserializer {
  private readonly maxRecordSizeBytes: number;
  private readonly initialBufferSizeBytes: number;
  // Current buffer.
  private segment: MemorySegment | null = null;
  private bytes: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.bytes.buffer);
  private pos = 0;
  private end = 0;
  private bufferStart = 0;
  /** Stream bytes in buffers before the current one (for error messages). */
  private consumedBefore = 0;
  // Spanning frame: scratch[0, spanFilled) holds its first bytes (length prefix included).
  private spanning = false;
  private scratch: Uint8Array;
  private scratchView: DataView;
  private spanFilled = 0;
  /** Frame length once its 4 length bytes are in; −1 before. */
  private spanLength = -1;
  private spanOffset = 0;
  private failure: SluiceError | null = null;

  /**
   * @param options - see {@link RecordSerializationOptions} (same `maxRecordSizeBytes` as the writer)
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid options
   */
  constructor(options?: Partial<RecordSerializationOptions>) {
    const resolved = resolveRecordSerializationOptions(options, 'SpanningRecordDeserializer');
    this.maxRecordSizeBytes = resolved.maxRecordSizeBytes;
    this.initialBufferSizeBytes = resolved.initialBufferSizeBytes;
    this.scratch = new Uint8Array(this.initialBufferSizeBytes);
    this.scratchView = new DataView(this.scratch.buffer);
  }

  /**
   * Hands the next buffer of the stream to the deserializer.
   *
   * @param segment - the buffer's segment (read in place; not retained after the
   *   result of `getNextRecord` says `isBufferConsumed`)
   * @param start - first byte of the buffer's data
   * @param end - one past the last byte
   * @throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS when `[start, end)` is not in the segment
   * @throws SLUICE_ERR_INTERNAL when the previous buffer still has unread bytes
   * @throws the stored error when the deserializer has failed
   */
  setNextBuffer(segment: MemorySegment, start: number, end: number): void {
    if (this.failure !== null) throw this.failure;
    if (this.pos < this.end) {
      throw new SluiceError(
        `SpanningRecordDeserializer: setNextBuffer() while ${this.end - this.pos} bytes of the previous buffer are unread; call getNextRecord() until isBufferConsumed`,
        { details: { unreadBytes: this.end - this.pos } },
      );
    }
    segment.checkRange(start, end - start);
    this.consumedBefore += this.end - this.bufferStart;
    this.segment = segment;
    this.bytes = segment.bytes;
    this.view = segment.view;
    this.pos = start;
    this.end = end;
    this.bufferStart = start;
  }

  /**
   * Reads the next complete frame's payload into `target`.
   *
   * @param target - receives the payload through `readFrame(...)`
   * @returns whether a record was read and whether the buffer is consumed
   * @throws SLUICE_ERR_NETWORK_CORRUPT_STREAM on a corrupt frame (see the class doc)
   */
  getNextRecord(target: DeserializationTarget): DeserializationResult {
    if (this.failure !== null) throw this.failure;
    if (this.spanning) return this.continueSpanning(target);
    const pos = this.pos;
    const remaining = this.end - pos;
    if (remaining >= FRAME_LENGTH_BYTES) {
      const length = this.view.getUint32(pos);
      if (length === 0 || length > this.maxRecordSizeBytes)
        this.badLength(length, this.offsetOf(pos));
      const frameEnd = pos + FRAME_LENGTH_BYTES + length;
      if (frameEnd <= this.end) {
        this.pos = frameEnd;
        this.readFrame(target, this.bytes, this.view, pos + FRAME_LENGTH_BYTES, frameEnd, pos);
        return frameEnd === this.end
          ? DeserializationResult.LAST_RECORD_FROM_BUFFER
          : DeserializationResult.INTERMEDIATE_RECORD_FROM_BUFFER;
      }
      this.startSpanning(remaining, length);
    } else if (remaining > 0) {
      this.startSpanning(remaining, -1);
    }
    return DeserializationResult.PARTIAL_RECORD;
  }

  /** Whether a partial frame or unread bytes remain. */
  hasUnfinishedData(): boolean {
    return this.spanning || this.pos < this.end;
  }

  /**
   * Declares the end of the stream (end of partition, channel closed) and resets.
   *
   * @throws SLUICE_ERR_NETWORK_TRUNCATED_STREAM when a frame is incomplete
   * @throws SLUICE_ERR_INTERNAL when complete frames are still unread
   */
  finish(): void {
    if (this.failure !== null) throw this.failure;
    if (this.spanning) {
      const expected =
        this.spanLength < 0 ? 'an unknown number of' : `${this.spanLength + FRAME_LENGTH_BYTES}`;
      this.fail(
        new TruncatedStreamError(
          `stream ended in the middle of a frame: ${this.spanFilled} of ${expected} bytes received (frame at stream offset ${this.spanOffset}); the upstream task probably failed while writing`,
          {
            details: {
              receivedBytes: this.spanFilled,
              frameLength: this.spanLength,
              streamOffset: this.spanOffset,
            },
          },
        ),
      );
    }
    if (this.pos < this.end) {
      throw new SluiceError(
        `SpanningRecordDeserializer: finish() while ${this.end - this.pos} bytes of the current buffer are unread`,
        { details: { unreadBytes: this.end - this.pos } },
      );
    }
    this.clear();
  }

  /** Forgets all state (buffer, partial frame, failure), e.g. when the channel is released. */
  clear(): void {
    this.segment = null;
    this.bytes = new Uint8Array(0);
    this.view = new DataView(this.bytes.buffer);
    this.pos = 0;
    this.end = 0;
    this.bufferStart = 0;
    this.consumedBefore = 0;
    this.spanning = false;
    this.spanFilled = 0;
    this.spanLength = -1;
    this.failure = null;
    if (this.scratch.length > SHRINK_THRESHOLD_BYTES) this.resetScratch();
  }

  private continueSpanning(target: DeserializationTarget): DeserializationResult {
    if (this.spanLength < 0) {
      this.copyToScratch(FRAME_LENGTH_BYTES - this.spanFilled);
      if (this.spanFilled < FRAME_LENGTH_BYTES) return DeserializationResult.PARTIAL_RECORD;
      const length = this.scratchView.getUint32(0);
      if (length === 0 || length > this.maxRecordSizeBytes) this.badLength(length, this.spanOffset);
      this.spanLength = length;
      this.ensureScratch(FRAME_LENGTH_BYTES + length);
    }
    const frameBytes = FRAME_LENGTH_BYTES + this.spanLength;
    this.copyToScratch(frameBytes - this.spanFilled);
    if (this.spanFilled < frameBytes) return DeserializationResult.PARTIAL_RECORD;
    this.spanning = false;
    this.readFrame(target, this.scratch, this.scratchView, FRAME_LENGTH_BYTES, frameBytes, -1);
    if (this.scratch.length > SHRINK_THRESHOLD_BYTES) this.resetScratch();
    return this.pos === this.end
      ? DeserializationResult.LAST_RECORD_FROM_BUFFER
      : DeserializationResult.INTERMEDIATE_RECORD_FROM_BUFFER;
  }

  /** Copies the buffer's remaining `remaining` bytes (a frame's start) to the scratch. */
  private startSpanning(remaining: number, length: number): void {
    this.spanning = true;
    this.spanOffset = this.offsetOf(this.pos);
    this.spanLength = length;
    this.spanFilled = 0;
    this.ensureScratch(length < 0 ? FRAME_LENGTH_BYTES : FRAME_LENGTH_BYTES + length);
    this.copyToScratch(remaining);
  }

  /** Copies up to `wanted` bytes from the buffer to the scratch. */
  private copyToScratch(wanted: number): void {
    const count = Math.min(wanted, this.end - this.pos);
    if (count <= 0) return;
    this.scratch.set(this.bytes.subarray(this.pos, this.pos + count), this.spanFilled);
    this.pos += count;
    this.spanFilled += count;
  }

  private ensureScratch(size: number): void {
    if (size <= this.scratch.length) return;
    const next = new Uint8Array(
      Math.max(
        size,
        Math.min(this.scratch.length * 2, this.maxRecordSizeBytes + FRAME_LENGTH_BYTES),
      ),
    );
    next.set(this.scratch.subarray(0, this.spanFilled));
    this.scratch = next;
    this.scratchView = new DataView(next.buffer);
  }

  private resetScratch(): void {
    this.scratch = new Uint8Array(this.initialBufferSizeBytes);
    this.scratchView = new DataView(this.scratch.buffer);
  }

  /**
   * Lets `target` read the payload `bytes[start, end)`.
   * @param framePos - position of the frame in the current buffer, or −1 for the scratch
   */
  private readFrame(
    target: DeserializationTarget,
    bytes: Uint8Array,
    view: DataView,
    start: number,
    end: number,
    framePos: number,
  ): void {
    try {
      target.readFrame(bytes, view, start, end);
    } catch (error) {
      this.corruptPayload(error, bytes[start]!, end - start, framePos);
    }
  }

  private offsetOf(position: number): number {
    return this.consumedBefore + (position - this.bufferStart);
  }

  private badLength(length: number, streamOffset: number): never {
    return this.fail(
      new CorruptStreamError(
        `corrupt stream: frame length ${length} at stream offset ${streamOffset} (segment ${this.segment?.segmentIndex ?? '?'}) is ${length === 0 ? 'zero' : `above maxRecordSizeBytes = ${this.maxRecordSizeBytes}`}; the buffer was overwritten or the writer uses a larger maxRecordSizeBytes — check both sides' options and report it`,
        {
          details: {
            frameLength: length,
            streamOffset,
            maxRecordSizeBytes: this.maxRecordSizeBytes,
          },
        },
      ),
    );
  }

  private corruptPayload(cause: unknown, tag: number, length: number, framePos: number): never {
    const streamOffset = framePos >= 0 ? this.offsetOf(framePos) : this.spanOffset;
    const reason = cause instanceof Error ? cause.message : describeValue(cause);
    return this.fail(
      new CorruptStreamError(
        `corrupt stream: frame of ${length} bytes with tag ${tag} at stream offset ${streamOffset} could not be read: ${reason}; check that writer and reader use the same serializer descriptor, and report it`,
        { cause, details: { frameLength: length, tag, streamOffset } },
      ),
    );
  }

  private fail(error: SluiceError): never {
    this.failure = error;
    this.spanning = false;
    this.pos = this.end;
    throw error;
  }
}
