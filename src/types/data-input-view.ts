/**
 * The source a TypeSerializer reads from: the counterpart of `DataOutputView`,
 * with the same big-endian encodings.
 *
 * Every read checks that enough bytes remain and throws
 * `SLUICE_ERR_TYPES_END_OF_INPUT` otherwise, so that a truncated or corrupt input
 * can never make a serializer read beyond its frame. Length-prefixed reads
 * (`readString`, `readBytes`) check the length against the remaining bytes before
 * allocating anything.
 *
 * @remarks Implementations are owned by one thread and are not thread-safe.
 * Corresponds to Flink's `org.apache.flink.core.memory.DataInputView`.
 */
export interface DataInputView {
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT when no byte remains */
  readInt8(): number;
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT when no byte remains */
  readUint8(): number;
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT when fewer than 2 bytes remain */
  readInt16(): number;
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT when fewer than 2 bytes remain */
  readUint16(): number;
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT when fewer than 4 bytes remain */
  readInt32(): number;
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT when fewer than 4 bytes remain */
  readUint32(): number;
  /** Reads an int64 as a bigint (allocates). @throws SLUICE_ERR_TYPES_END_OF_INPUT */
  readInt64(): bigint;
  /**
   * Reads an int64 as a number without allocating; exact for |v| ≤ 2^53 − 1.
   * @throws SLUICE_ERR_TYPES_END_OF_INPUT when fewer than 8 bytes remain
   */
  readInt64Number(): number;
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT when fewer than 4 bytes remain */
  readFloat32(): number;
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT when fewer than 8 bytes remain */
  readFloat64(): number;
  /**
   * @throws SLUICE_ERR_TYPES_END_OF_INPUT when no byte remains
   * @throws SLUICE_ERR_TYPES_CORRUPT_DATA when the byte is neither 0 nor 1
   */
  readBoolean(): boolean;
  /**
   * Copies exactly `length` bytes into `target` at `offset`.
   * @throws SLUICE_ERR_TYPES_END_OF_INPUT when fewer than `length` bytes remain
   */
  readFully(target: Uint8Array, offset?: number, length?: number): void;
  /**
   * Reads `length` bytes into a new `Uint8Array` (a copy: the input may be recycled).
   * @throws SLUICE_ERR_TYPES_END_OF_INPUT when fewer than `length` bytes remain
   */
  readBytes(length: number): Uint8Array;
  /**
   * Reads `[uint32 byteLength][UTF-8 bytes]`.
   * @throws SLUICE_ERR_TYPES_END_OF_INPUT when the input ends first
   */
  readString(): string;
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT when fewer than `count` bytes remain */
  skipBytesToRead(count: number): void;
  /** Bytes left to read. */
  available(): number;
}
