import { SluiceError } from '../errors.ts';

/** An access fell outside a segment's window. */
export class SegmentOutOfBoundsError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_MEMORY_OUT_OF_BOUNDS';
}

const TWO_POW_32 = 2 ** 32;

/**
 * A fixed-size window of a `SharedArrayBuffer`: the unit of managed memory and of
 * network buffers.
 *
 * ```
 *   SharedArrayBuffer (one per pool, reserved once at start-up)
 *   ┌────────────┬────────────┬────────────┬─────┐
 *   │ segment 0  │ segment 1  │ segment 2  │ ... │
 *   └────────────┴────────────┴────────────┴─────┘
 *   ^offset = i × size          each window: [offset, offset + size)
 * ```
 *
 * Every access is bounds-checked against the window, so a write can never touch a
 * neighbouring segment: an index outside `[0, size)` throws
 * `SLUICE_ERR_MEMORY_OUT_OF_BOUNDS`. Multi-byte values are big-endian (network
 * order, as Flink's `DataOutputView`), so that serialized keys compare correctly
 * byte by byte.
 *
 * Segments hold no ownership state: who may use one is decided by the pool that
 * lent it (see `docs/memory.md`). A segment object is cheap to rebuild on another
 * thread from `(buffer, segmentIndex, size)`: no bytes are copied.
 *
 * @remarks Not thread-safe by itself: exactly one thread writes a segment at a time,
 * as the pools guarantee. Corresponds to Flink's `MemorySegment`.
 */
export class MemorySegment {
  /** The shared buffer this segment is a window of. */
  readonly memory: SharedArrayBuffer | ArrayBuffer;
  /** Position of this segment in its pool (`offset / size` for pool segments). */
  readonly segmentIndex: number;
  /** Byte offset of the window in {@link memory}. */
  readonly offset: number;
  /** Window size in bytes. */
  readonly size: number;
  /** Byte view of the window (index 0 = first byte of the segment). */
  readonly bytes: Uint8Array;
  /** Typed view of the window. */
  readonly view: DataView;

  /**
   * @param memory - the backing buffer (a `SharedArrayBuffer` to share across workers)
   * @param offset - byte offset of the window in `memory` (≥ 0)
   * @param size - window size in bytes (> 0, `offset + size ≤ memory.byteLength`)
   * @param segmentIndex - index of the segment in its pool (default `offset / size`)
   * @throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS when the window does not fit in `memory`
   */
  constructor(
    memory: SharedArrayBuffer | ArrayBuffer,
    offset: number,
    size: number,
    segmentIndex = Math.floor(offset / size),
  ) {
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(size) ||
      offset < 0 ||
      size <= 0 ||
      offset + size > memory.byteLength
    ) {
      throw new SegmentOutOfBoundsError(
        `segment window [${offset}, ${offset + size}) does not fit in a buffer of ${memory.byteLength} bytes`,
        { details: { offset, size, byteLength: memory.byteLength } },
      );
    }
    this.memory = memory;
    this.offset = offset;
    this.size = size;
    this.segmentIndex = segmentIndex;
    this.bytes = new Uint8Array(memory, offset, size);
    this.view = new DataView(memory, offset, size);
  }

  /** A segment over a fresh, unshared heap buffer (for tests and spill-free scratch). */
  static allocateUnpooled(size: number): MemorySegment {
    return new MemorySegment(new ArrayBuffer(size), 0, size, 0);
  }

  /** @throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS unless `[index, index + length)` lies in the window */
  checkRange(index: number, length: number): void {
    if (!(index >= 0 && length >= 0 && index + length <= this.size)) {
      throw new SegmentOutOfBoundsError(
        `access [${index}, ${index + length}) outside segment ${this.segmentIndex} of ${this.size} bytes`,
        { details: { index, length, size: this.size, segmentIndex: this.segmentIndex } },
      );
    }
  }

  getInt8(index: number): number {
    this.checkRange(index, 1);
    return this.view.getInt8(index);
  }
  putInt8(index: number, value: number): void {
    this.checkRange(index, 1);
    this.view.setInt8(index, value);
  }
  getUint8(index: number): number {
    this.checkRange(index, 1);
    return this.bytes[index]!;
  }
  putUint8(index: number, value: number): void {
    this.checkRange(index, 1);
    this.bytes[index] = value;
  }
  getInt16(index: number): number {
    this.checkRange(index, 2);
    return this.view.getInt16(index);
  }
  putInt16(index: number, value: number): void {
    this.checkRange(index, 2);
    this.view.setInt16(index, value);
  }
  getInt32(index: number): number {
    this.checkRange(index, 4);
    return this.view.getInt32(index);
  }
  putInt32(index: number, value: number): void {
    this.checkRange(index, 4);
    this.view.setInt32(index, value);
  }
  getUint32(index: number): number {
    this.checkRange(index, 4);
    return this.view.getUint32(index);
  }
  putUint32(index: number, value: number): void {
    this.checkRange(index, 4);
    this.view.setUint32(index, value);
  }
  getInt64(index: number): bigint {
    this.checkRange(index, 8);
    return this.view.getBigInt64(index);
  }
  putInt64(index: number, value: bigint): void {
    this.checkRange(index, 8);
    this.view.setBigInt64(index, value);
  }
  /**
   * Reads an int64 as a JavaScript number without allocating a BigInt.
   * Exact for values in the safe-integer range (|v| ≤ 2^53 − 1).
   */
  getInt64Number(index: number): number {
    this.checkRange(index, 8);
    return this.view.getInt32(index) * TWO_POW_32 + this.view.getUint32(index + 4);
  }
  /**
   * Writes an integral number as an int64 (two's complement, big-endian) without a
   * BigInt. Exact for safe integers.
   */
  putInt64Number(index: number, value: number): void {
    this.checkRange(index, 8);
    const high = Math.floor(value / TWO_POW_32);
    this.view.setInt32(index, high);
    this.view.setUint32(index + 4, value - high * TWO_POW_32);
  }
  getFloat32(index: number): number {
    this.checkRange(index, 4);
    return this.view.getFloat32(index);
  }
  putFloat32(index: number, value: number): void {
    this.checkRange(index, 4);
    this.view.setFloat32(index, value);
  }
  getFloat64(index: number): number {
    this.checkRange(index, 8);
    return this.view.getFloat64(index);
  }
  putFloat64(index: number, value: number): void {
    this.checkRange(index, 8);
    this.view.setFloat64(index, value);
  }

  /** Copies `length` bytes from this segment at `index` into `target` at `targetOffset`. */
  get(
    index: number,
    target: Uint8Array,
    targetOffset = 0,
    length = target.length - targetOffset,
  ): void {
    this.checkRange(index, length);
    target.set(this.bytes.subarray(index, index + length), targetOffset);
  }

  /** Copies `length` bytes of `source` from `sourceOffset` into this segment at `index`. */
  put(
    index: number,
    source: Uint8Array,
    sourceOffset = 0,
    length = source.length - sourceOffset,
  ): void {
    this.checkRange(index, length);
    this.bytes.set(source.subarray(sourceOffset, sourceOffset + length), index);
  }

  /**
   * Copies `length` bytes from this segment at `offset` to `target` at `targetOffset`.
   * Overlapping ranges of the same segment are handled as `memmove`.
   */
  copyTo(offset: number, target: MemorySegment, targetOffset: number, length: number): void {
    this.checkRange(offset, length);
    target.checkRange(targetOffset, length);
    target.bytes.set(this.bytes.subarray(offset, offset + length), targetOffset);
  }

  /**
   * Compares `length` bytes of this segment at `offset` with `other` at `otherOffset`,
   * as unsigned bytes (lexicographic order of serialized keys).
   *
   * @returns a negative number, 0 or a positive number
   */
  compare(other: MemorySegment, offset: number, otherOffset: number, length: number): number {
    this.checkRange(offset, length);
    other.checkRange(otherOffset, length);
    const a = this.bytes;
    const b = other.bytes;
    for (let i = 0; i < length; i++) {
      const diff = a[offset + i]! - b[otherOffset + i]!;
      if (diff !== 0) return diff;
    }
    return 0;
  }

  /** Whether `length` bytes at `offset` equal `other`'s at `otherOffset`. */
  equalTo(other: MemorySegment, offset: number, otherOffset: number, length: number): boolean {
    return this.compare(other, offset, otherOffset, length) === 0;
  }

  /**
   * Swaps `length` bytes of this segment at `offset` with `other`'s at `otherOffset`
   * through `scratch` (at least `length` bytes), as sorting serialized records needs.
   */
  swapBytes(
    scratch: Uint8Array,
    other: MemorySegment,
    offset: number,
    otherOffset: number,
    length: number,
  ): void {
    this.checkRange(offset, length);
    other.checkRange(otherOffset, length);
    if (scratch.length < length) {
      throw new SegmentOutOfBoundsError(
        `swap scratch of ${scratch.length} bytes is smaller than the ${length} bytes to swap`,
        { details: { scratchLength: scratch.length, length } },
      );
    }
    scratch.set(this.bytes.subarray(offset, offset + length), 0);
    this.bytes.set(other.bytes.subarray(otherOffset, otherOffset + length), offset);
    other.bytes.set(scratch.subarray(0, length), otherOffset);
  }

  /** Fills `length` bytes from `offset` with `value` (default 0). */
  fill(offset = 0, length = this.size - offset, value = 0): void {
    this.checkRange(offset, length);
    this.bytes.fill(value, offset, offset + length);
  }
}
