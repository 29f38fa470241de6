import type { MemorySegment } from '../memory/memory-segment.ts';
import type { DataInputView } from './data-input-view.ts';
import { CorruptDataError, EndOfInputError } from './type-errors.ts';
import { decodeUtf8 } from './utf8.ts';

const TWO_POW_32 = 2 ** 32;
const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY_BYTES.buffer);

/**
 * A {@link DataInputView} over a chain of segment ranges read as one byte stream:
 * values may straddle the boundary between two ranges.
 *
 * ```
 *  range 0: seg 7 [s0, e0)    range 1: seg 2 [s1, e1)    range 2: seg 9 [s2, e2)
 *  [ .... a b c ]             [ d e f g ......... ]      [ ... ]
 *            └── an int32 "a b c d" spans ranges 0 and 1
 * ```
 *
 * Reads inside the current range go straight to the segment's DataView; a read that
 * crosses a boundary gathers its bytes into an 8-byte scratch (primitives) or a
 * fresh array (strings, byte arrays). Empty ranges are skipped.
 *
 * @remarks Owned by one thread. Corresponds to Flink's `AbstractPagedInputView`
 * (e.g. reading a serialized value spread over managed-memory pages).
 */
export class SegmentChainInputView implements DataInputView {
  private readonly segments: MemorySegment[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private index = -1;
  private bytes: Uint8Array = EMPTY_BYTES;
  private view: DataView = EMPTY_VIEW;
  private pos = 0;
  private end = 0;
  /** Bytes in the ranges after the current one. */
  private later = 0;
  private readonly scratch = new Uint8Array(8);
  private readonly scratchView = new DataView(this.scratch.buffer);

  /**
   * Appends `segment[start, end)` to the chain.
   *
   * @param segment - the segment
   * @param start - first byte of the range (0 ≤ start ≤ end)
   * @param end - one past the last byte (≤ `segment.size`)
   * @throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS when the range is outside the segment
   */
  addRange(segment: MemorySegment, start: number, end: number): void {
    segment.checkRange(start, end - start);
    this.segments.push(segment);
    this.starts.push(start);
    this.ends.push(end);
    if (this.index < 0) {
      this.index = 0;
      this.bytes = segment.bytes;
      this.view = segment.view;
      this.pos = start;
      this.end = end;
    } else {
      this.later += end - start;
    }
  }

  /** Removes all ranges. */
  clear(): void {
    this.segments.length = 0;
    this.starts.length = 0;
    this.ends.length = 0;
    this.index = -1;
    this.bytes = EMPTY_BYTES;
    this.view = EMPTY_VIEW;
    this.pos = 0;
    this.end = 0;
    this.later = 0;
  }

  available(): number {
    return this.end - this.pos + this.later;
  }

  readInt8(): number {
    const p = this.pos;
    if (p + 1 <= this.end) {
      this.pos = p + 1;
      return this.view.getInt8(p);
    }
    return this.gather(1).getInt8(0);
  }

  readUint8(): number {
    const p = this.pos;
    if (p + 1 <= this.end) {
      this.pos = p + 1;
      return this.bytes[p]!;
    }
    return this.gather(1).getUint8(0);
  }

  readBoolean(): boolean {
    const b = this.readUint8();
    if (b > 1) {
      throw new CorruptDataError(`corrupt boolean: byte ${b}, expected 0 or 1`, {
        details: { byte: b },
      });
    }
    return b === 1;
  }

  readInt16(): number {
    const p = this.pos;
    if (p + 2 <= this.end) {
      this.pos = p + 2;
      return this.view.getInt16(p);
    }
    return this.gather(2).getInt16(0);
  }

  readUint16(): number {
    const p = this.pos;
    if (p + 2 <= this.end) {
      this.pos = p + 2;
      return this.view.getUint16(p);
    }
    return this.gather(2).getUint16(0);
  }

  readInt32(): number {
    const p = this.pos;
    if (p + 4 <= this.end) {
      this.pos = p + 4;
      return this.view.getInt32(p);
    }
    return this.gather(4).getInt32(0);
  }

  readUint32(): number {
    const p = this.pos;
    if (p + 4 <= this.end) {
      this.pos = p + 4;
      return this.view.getUint32(p);
    }
    return this.gather(4).getUint32(0);
  }

  readInt64(): bigint {
    const p = this.pos;
    if (p + 8 <= this.end) {
      this.pos = p + 8;
      return this.view.getBigInt64(p);
    }
    return this.gather(8).getBigInt64(0);
  }

  readInt64Number(): number {
    const p = this.pos;
    if (p + 8 <= this.end) {
      this.pos = p + 8;
      return this.view.getInt32(p) * TWO_POW_32 + this.view.getUint32(p + 4);
    }
    const v = this.gather(8);
    return v.getInt32(0) * TWO_POW_32 + v.getUint32(4);
  }

  readFloat32(): number {
    const p = this.pos;
    if (p + 4 <= this.end) {
      this.pos = p + 4;
      return this.view.getFloat32(p);
    }
    return this.gather(4).getFloat32(0);
  }

  readFloat64(): number {
    const p = this.pos;
    if (p + 8 <= this.end) {
      this.pos = p + 8;
      return this.view.getFloat64(p);
    }
    return this.gather(8).getFloat64(0);
  }

  readFully(target: Uint8Array, offset = 0, length = target.length - offset): void {
    this.checkAvailable(length);
    let done = 0;
    while (done < length) {
      if (this.pos === this.end) this.advance();
      const n = Math.min(length - done, this.end - this.pos);
      target.set(this.bytes.subarray(this.pos, this.pos + n), offset + done);
      this.pos += n;
      done += n;
    }
  }

  readBytes(length: number): Uint8Array {
    this.checkAvailable(length);
    const out = new Uint8Array(length);
    this.readFully(out, 0, length);
    return out;
  }

  readString(): string {
    const length = this.readUint32();
    this.checkAvailable(length);
    const p = this.pos;
    if (p + length <= this.end) {
      this.pos = p + length;
      return decodeUtf8(this.bytes, p, p + length);
    }
    const gathered = this.readBytes(length);
    return decodeUtf8(gathered, 0, length);
  }

  skipBytesToRead(count: number): void {
    this.checkAvailable(count);
    let left = count;
    while (left > 0) {
      if (this.pos === this.end) this.advance();
      const n = Math.min(left, this.end - this.pos);
      this.pos += n;
      left -= n;
    }
  }

  /** Copies the next `count` (≤ 8) bytes, possibly from several ranges, into the scratch. */
  private gather(count: number): DataView {
    this.checkAvailable(count);
    for (let i = 0; i < count; i++) {
      while (this.pos === this.end) this.advance();
      this.scratch[i] = this.bytes[this.pos++]!;
    }
    return this.scratchView;
  }

  /** Moves to the next range; the caller has checked that bytes remain. */
  private advance(): void {
    this.index++;
    const segment = this.segments[this.index]!;
    this.bytes = segment.bytes;
    this.view = segment.view;
    this.pos = this.starts[this.index]!;
    this.end = this.ends[this.index]!;
    this.later -= this.end - this.pos;
  }

  private checkAvailable(count: number): void {
    if (!(count >= 0) || count > this.available()) {
      throw new EndOfInputError(
        `end of input: ${count} bytes requested, ${this.available()} available in the segment chain; the data is truncated or was written by a different serializer`,
        { details: { requested: count, available: this.available() } },
      );
    }
  }
}
