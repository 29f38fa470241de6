import { ConfigError } from '../errors.ts';
import type { MemorySegment } from '../memory/memory-segment.ts';
import type { DataOutputView } from './data-output-view.ts';
import { RecordTooLargeError } from './type-errors.ts';
import { encodeUtf8Into, utf8Length } from './utf8.ts';

const TWO_POW_32 = 2 ** 32;
/** Default upper bound of the heap buffer (1 GiB). */
const DEFAULT_MAX_SIZE_BYTES = 2 ** 30;

/**
 * A {@link DataOutputView} over a growable heap buffer that can also write straight
 * into a window of a {@link MemorySegment} and spill to the heap when the window is
 * too small.
 *
 * Two modes:
 *
 * ```
 *  heap mode (after clear())           window mode (after wrapSegment(seg, p, limit))
 *  heap: [ written ....... | free ]    seg:  [ other data | written ... | free ]
 *         0                 pos              0            p=base        pos   limit
 *
 *  window mode, a write that does not fit before limit ("spill"):
 *    1. copy seg[base, pos) to heap[0, pos - base)
 *    2. continue in heap mode; isWindowed() becomes false
 * ```
 *
 * The spill keeps the common case free of copies: a frame that fits in the current
 * network segment is written once, in place; only frames crossing a segment
 * boundary are assembled in the heap and copied out later. Every write checks
 * `pos + n > limit` once; the same comparison detects both the need to grow and the
 * need to spill.
 *
 * Invariants: `base ≤ pos ≤ limit`; in heap mode `base = 0` and the target is the
 * heap buffer; the heap never grows beyond `maxSizeBytes`.
 *
 * @remarks Owned by one thread (the task writing records). Corresponds to Flink's
 * `DataOutputSerializer`, plus the window mode that Flink's `BufferBuilder` copy
 * makes unnecessary there.
 */
export class DataOutputSerializer implements DataOutputView {
  private heap: Uint8Array;
  private heapView: DataView;
  private bytes: Uint8Array;
  private view: DataView;
  private pos = 0;
  private limit: number;
  private base = 0;
  private windowed = false;
  private readonly maxSizeBytes: number;
  private readonly limitName: string;

  /**
   * @param initialSizeBytes - initial heap capacity (bytes, ≥ 1; default 256)
   * @param maxSizeBytes - the heap never grows beyond this (bytes; default 1 GiB)
   * @param limitName - what to raise when the limit is hit, for the error message
   * @throws SLUICE_ERR_CONFIG_INVALID when a size is not a positive integer or initial > max
   */
  constructor(
    initialSizeBytes = 256,
    maxSizeBytes = DEFAULT_MAX_SIZE_BYTES,
    limitName = 'the serializer size limit',
  ) {
    if (
      !Number.isInteger(initialSizeBytes) ||
      !Number.isInteger(maxSizeBytes) ||
      initialSizeBytes < 1 ||
      maxSizeBytes < initialSizeBytes
    ) {
      throw new ConfigError(
        `DataOutputSerializer: invalid sizes initialSizeBytes = ${initialSizeBytes}, maxSizeBytes = ${maxSizeBytes}; both must be integers with 1 ≤ initial ≤ max`,
        { details: { initialSizeBytes, maxSizeBytes } },
      );
    }
    this.heap = new Uint8Array(initialSizeBytes);
    this.heapView = new DataView(this.heap.buffer);
    this.bytes = this.heap;
    this.view = this.heapView;
    this.limit = initialSizeBytes;
    this.maxSizeBytes = maxSizeBytes;
    this.limitName = limitName;
  }

  /** Switches to heap mode and forgets everything written. */
  clear(): void {
    this.bytes = this.heap;
    this.view = this.heapView;
    this.pos = 0;
    this.base = 0;
    this.limit = this.heap.length;
    this.windowed = false;
  }

  /**
   * Switches to window mode: writes go to `segment[position, limit)` until one does
   * not fit, then everything written since this call moves to the heap.
   *
   * @param segment - the target segment
   * @param position - first byte to write (0 ≤ position ≤ limit)
   * @param limit - one past the last writable byte (≤ `segment.size`); the caller checks the range
   */
  wrapSegment(segment: MemorySegment, position: number, limit: number): void {
    this.bytes = segment.bytes;
    this.view = segment.view;
    this.pos = position;
    this.base = position;
    this.limit = limit;
    this.windowed = true;
  }

  /** Whether everything written since {@link wrapSegment} is still in the segment. */
  isWindowed(): boolean {
    return this.windowed;
  }

  /** Absolute write position in the current target (segment index in window mode). */
  position(): number {
    return this.pos;
  }

  /** Bytes written since the last {@link clear} or {@link wrapSegment}. */
  length(): number {
    return this.pos - this.base;
  }

  /**
   * The heap buffer; in heap mode its bytes `[0, length())` are the data written.
   * Shared, not copied: valid until the next write or clear.
   */
  getSharedBuffer(): Uint8Array {
    return this.heap;
  }

  /** A copy of the bytes written since the last clear/wrap. */
  getCopyOfBuffer(): Uint8Array {
    return this.bytes.slice(this.base, this.pos);
  }

  /**
   * Overwrites 4 bytes already written, `offset` bytes after the start of the data
   * (used to patch a length prefix once the payload is written).
   *
   * @param offset - bytes from the start of the data (0 ≤ offset ≤ length() − 4)
   * @param value - unsigned 32-bit value
   */
  writeUint32At(offset: number, value: number): void {
    this.view.setUint32(this.base + offset, value);
  }

  writeInt8(value: number): void {
    let p = this.pos;
    if (p + 1 > this.limit) p = this.require(1);
    this.view.setInt8(p, value);
    this.pos = p + 1;
  }

  writeUint8(value: number): void {
    let p = this.pos;
    if (p + 1 > this.limit) p = this.require(1);
    this.bytes[p] = value;
    this.pos = p + 1;
  }

  writeBoolean(value: boolean): void {
    let p = this.pos;
    if (p + 1 > this.limit) p = this.require(1);
    this.bytes[p] = value ? 1 : 0;
    this.pos = p + 1;
  }

  writeInt16(value: number): void {
    let p = this.pos;
    if (p + 2 > this.limit) p = this.require(2);
    this.view.setInt16(p, value);
    this.pos = p + 2;
  }

  writeUint16(value: number): void {
    let p = this.pos;
    if (p + 2 > this.limit) p = this.require(2);
    this.view.setUint16(p, value);
    this.pos = p + 2;
  }

  writeInt32(value: number): void {
    let p = this.pos;
    if (p + 4 > this.limit) p = this.require(4);
    this.view.setInt32(p, value);
    this.pos = p + 4;
  }

  writeUint32(value: number): void {
    let p = this.pos;
    if (p + 4 > this.limit) p = this.require(4);
    this.view.setUint32(p, value);
    this.pos = p + 4;
  }

  writeInt64(value: bigint): void {
    let p = this.pos;
    if (p + 8 > this.limit) p = this.require(8);
    this.view.setBigInt64(p, value);
    this.pos = p + 8;
  }

  writeInt64Number(value: number): void {
    let p = this.pos;
    if (p + 8 > this.limit) p = this.require(8);
    if ((value | 0) === value) {
      // An int32 needs no division: its high word is its sign, its low word its bits.
      this.view.setInt32(p, value >> 31);
      this.view.setInt32(p + 4, value);
    } else {
      const high = Math.floor(value / TWO_POW_32);
      this.view.setInt32(p, high);
      this.view.setUint32(p + 4, value - high * TWO_POW_32);
    }
    this.pos = p + 8;
  }

  writeFloat32(value: number): void {
    let p = this.pos;
    if (p + 4 > this.limit) p = this.require(4);
    this.view.setFloat32(p, value);
    this.pos = p + 4;
  }

  writeFloat64(value: number): void {
    let p = this.pos;
    if (p + 8 > this.limit) p = this.require(8);
    this.view.setFloat64(p, value);
    this.pos = p + 8;
  }

  write(source: Uint8Array, offset = 0, length = source.length - offset): void {
    let p = this.pos;
    if (p + length > this.limit) p = this.require(length);
    const target = this.bytes;
    if (length <= 16) {
      for (let i = 0; i < length; i++) target[p + i] = source[offset + i]!;
    } else {
      target.set(source.subarray(offset, offset + length), p);
    }
    this.pos = p + length;
  }

  writeString(value: string): void {
    let p = this.pos;
    // Room for the worst case (3 bytes per UTF-16 unit): encode first, patch the length.
    if (p + 4 + 3 * value.length > this.limit) {
      const byteLength = utf8Length(value);
      if (p + 4 + byteLength > this.limit) p = this.require(4 + byteLength);
      this.view.setUint32(p, byteLength);
      this.pos = encodeUtf8Into(value, this.bytes, p + 4, p + 4 + byteLength);
      return;
    }
    const end = encodeUtf8Into(value, this.bytes, p + 4, this.limit);
    this.view.setUint32(p, end - p - 4);
    this.pos = end;
  }

  skipBytesToWrite(count: number): void {
    let p = this.pos;
    if (p + count > this.limit) p = this.require(count);
    this.pos = p + count;
  }

  /**
   * Slow path of every write: spills the window to the heap and/or grows the heap so
   * that `count` more bytes fit.
   *
   * @returns the (possibly moved) write position
   * @throws SLUICE_ERR_TYPES_RECORD_TOO_LARGE when the data would exceed `maxSizeBytes`
   */
  private require(count: number): number {
    const written = this.pos - this.base;
    const needed = written + count;
    if (needed > this.maxSizeBytes) {
      throw new RecordTooLargeError(
        `serialized record too large: at least ${needed} bytes, limit ${this.maxSizeBytes} bytes; make the record smaller or raise ${this.limitName}`,
        { details: { neededBytes: needed, maxSizeBytes: this.maxSizeBytes } },
      );
    }
    if (this.windowed) {
      if (needed > this.heap.length) this.replaceHeap(needed, 0);
      this.heap.set(this.bytes.subarray(this.base, this.pos), 0);
      this.windowed = false;
      this.bytes = this.heap;
      this.view = this.heapView;
      this.base = 0;
      this.pos = written;
      this.limit = this.heap.length;
      return written;
    }
    if (needed > this.heap.length) {
      this.replaceHeap(needed, written);
      this.bytes = this.heap;
      this.view = this.heapView;
      this.limit = this.heap.length;
    }
    return this.pos;
  }

  /** Allocates a larger heap (at least double), keeping its first `keepBytes` bytes. */
  private replaceHeap(needed: number, keepBytes: number): void {
    const capacity = Math.min(this.maxSizeBytes, Math.max(needed, this.heap.length * 2));
    const next = new Uint8Array(capacity);
    if (keepBytes > 0) next.set(this.heap.subarray(0, keepBytes), 0);
    this.heap = next;
    this.heapView = new DataView(next.buffer);
  }
}
