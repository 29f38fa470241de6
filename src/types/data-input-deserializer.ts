import type { MemorySegment } from '../memory/memory-segment.ts';
import type { DataInputView } from './data-input-view.ts';
import { CorruptDataError, EndOfInputError } from './type-errors.ts';
import { decodeUtf8 } from './utf8.ts';

const TWO_POW_32 = 2 ** 32;
const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY_BYTES.buffer);

/**
 * A {@link DataInputView} over one contiguous byte range: a range of a network
 * segment (zero copy) or of a heap buffer.
 *
 * ```
 *  bytes: [ ... | frame being read .............. | ... ]
 *               ^start      ^position             ^end
 * ```
 *
 * Every read checks `position + n ≤ end` and throws `SLUICE_ERR_TYPES_END_OF_INPUT`
 * otherwise, so a serializer can never read past the range it was given, whatever
 * the bytes say. Re-pointing the view ({@link setBuffer}, {@link setSegment})
 * allocates nothing.
 *
 * @remarks Owned by one thread (the task reading records). Corresponds to Flink's
 * `DataInputDeserializer`.
 */
export class DataInputDeserializer implements DataInputView {
  private bytes: Uint8Array = EMPTY_BYTES;
  private view: DataView = EMPTY_VIEW;
  private pos = 0;
  private end = 0;

  /**
   * @param source - optional initial bytes (see {@link setBytes})
   * @param start - first byte of the range (default 0)
   * @param end - one past the last byte (default `source.length`)
   */
  constructor(source?: Uint8Array, start = 0, end = source?.length ?? 0) {
    if (source !== undefined) this.setBytes(source, start, end);
  }

  /**
   * Points the view at `bytes[start, end)`, using `view` for multi-byte reads.
   * Allocation-free.
   *
   * @param bytes - the bytes
   * @param view - a DataView with the same origin and length as `bytes`
   * @param start - first byte (0 ≤ start ≤ end)
   * @param end - one past the last byte (≤ `bytes.length`)
   */
  setBuffer(bytes: Uint8Array, view: DataView, start: number, end: number): void {
    this.bytes = bytes;
    this.view = view;
    this.pos = start;
    this.end = end;
  }

  /** Points the view at `segment[start, end)` (zero copy, allocation-free). */
  setSegment(segment: MemorySegment, start: number, end: number): void {
    this.setBuffer(segment.bytes, segment.view, start, end);
  }

  /** Points the view at `source[start, end)` (allocates one DataView). */
  setBytes(source: Uint8Array, start = 0, end = source.length): void {
    this.setBuffer(
      source,
      new DataView(source.buffer, source.byteOffset, source.length),
      start,
      end,
    );
  }

  /** Forgets the current buffer (drops the reference so a segment can be recycled). */
  releaseArrays(): void {
    this.setBuffer(EMPTY_BYTES, EMPTY_VIEW, 0, 0);
  }

  /** The DataView reads go through (origin = the bytes given to {@link setBuffer}). */
  getView(): DataView {
    return this.view;
  }

  /** Current read position (index into the bytes given to {@link setBuffer}). */
  position(): number {
    return this.pos;
  }

  available(): number {
    return this.end - this.pos;
  }

  readInt8(): number {
    const p = this.pos;
    if (p + 1 > this.end) this.endOfInput(1);
    this.pos = p + 1;
    return this.view.getInt8(p);
  }

  readUint8(): number {
    const p = this.pos;
    if (p + 1 > this.end) this.endOfInput(1);
    this.pos = p + 1;
    return this.bytes[p]!;
  }

  readBoolean(): boolean {
    const p = this.pos;
    if (p + 1 > this.end) this.endOfInput(1);
    this.pos = p + 1;
    const b = this.bytes[p]!;
    if (b > 1) {
      throw new CorruptDataError(
        `corrupt boolean: byte ${b} at position ${p}, expected 0 or 1; the data was not written by the same serializer`,
        { details: { byte: b, position: p } },
      );
    }
    return b === 1;
  }

  readInt16(): number {
    const p = this.pos;
    if (p + 2 > this.end) this.endOfInput(2);
    this.pos = p + 2;
    return this.view.getInt16(p);
  }

  readUint16(): number {
    const p = this.pos;
    if (p + 2 > this.end) this.endOfInput(2);
    this.pos = p + 2;
    return this.view.getUint16(p);
  }

  readInt32(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.endOfInput(4);
    this.pos = p + 4;
    return this.view.getInt32(p);
  }

  readUint32(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.endOfInput(4);
    this.pos = p + 4;
    return this.view.getUint32(p);
  }

  readInt64(): bigint {
    const p = this.pos;
    if (p + 8 > this.end) this.endOfInput(8);
    this.pos = p + 8;
    return this.view.getBigInt64(p);
  }

  readInt64Number(): number {
    const p = this.pos;
    if (p + 8 > this.end) this.endOfInput(8);
    this.pos = p + 8;
    return this.view.getInt32(p) * TWO_POW_32 + this.view.getUint32(p + 4);
  }

  readFloat32(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.endOfInput(4);
    this.pos = p + 4;
    return this.view.getFloat32(p);
  }

  readFloat64(): number {
    const p = this.pos;
    if (p + 8 > this.end) this.endOfInput(8);
    this.pos = p + 8;
    return this.view.getFloat64(p);
  }

  readFully(target: Uint8Array, offset = 0, length = target.length - offset): void {
    const p = this.pos;
    if (!(length >= 0) || p + length > this.end) this.endOfInput(length);
    target.set(this.bytes.subarray(p, p + length), offset);
    this.pos = p + length;
  }

  readBytes(length: number): Uint8Array {
    const p = this.pos;
    if (!(length >= 0) || p + length > this.end) this.endOfInput(length);
    this.pos = p + length;
    return this.bytes.slice(p, p + length);
  }

  readString(): string {
    const length = this.readUint32();
    const p = this.pos;
    if (p + length > this.end) this.endOfInput(length);
    this.pos = p + length;
    return decodeUtf8(this.bytes, p, p + length);
  }

  skipBytesToRead(count: number): void {
    const p = this.pos;
    if (!(count >= 0) || p + count > this.end) this.endOfInput(count);
    this.pos = p + count;
  }

  private endOfInput(requested: number): never {
    throw new EndOfInputError(
      `end of input: ${requested} bytes requested at position ${this.pos}, ${this.end - this.pos} available; the data is truncated or was written by a different serializer`,
      { details: { requested, position: this.pos, available: this.end - this.pos } },
    );
  }
}
