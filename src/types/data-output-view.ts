/**
 * The sink a `TypeSerializer` writes to: big-endian primitives, UTF-8 strings
 * and raw bytes, with no notion of where the bytes end up (a growable heap buffer, a
 * window of a network segment that spills to the heap, ...).
 *
 * Encodings (all multi-byte values big-endian, as Flink's `DataOutputView`):
 *
 * ```
 *  int8/uint8/boolean  1 byte (boolean: 0 or 1)
 *  int16/uint16        2 bytes
 *  int32/uint32/float32 4 bytes
 *  int64/float64       8 bytes (int64: two's complement)
 *  string              [uint32 byteLength][UTF-8 bytes]
 *  write(bytes)        the bytes, no length
 * ```
 *
 * @remarks Implementations are owned by one thread and are not thread-safe.
 * Corresponds to Flink's `org.apache.flink.core.memory.DataOutputView`.
 */
export interface DataOutputView {
  /** Writes the low 8 bits of `value` (−128..127 or 0..255). */
  writeInt8(value: number): void;
  /** Writes the low 8 bits of `value` (0..255). */
  writeUint8(value: number): void;
  /** Writes a signed 16-bit integer. */
  writeInt16(value: number): void;
  /** Writes an unsigned 16-bit integer. */
  writeUint16(value: number): void;
  /** Writes a signed 32-bit integer. */
  writeInt32(value: number): void;
  /** Writes an unsigned 32-bit integer. */
  writeUint32(value: number): void;
  /** Writes a signed 64-bit integer given as a bigint (allocation-free on the write side). */
  writeInt64(value: bigint): void;
  /**
   * Writes an integral number as a signed 64-bit integer without a BigInt. Exact for
   * safe integers (|v| ≤ 2^53 − 1); the caller guarantees integrality.
   */
  writeInt64Number(value: number): void;
  /** Writes an IEEE 754 single. */
  writeFloat32(value: number): void;
  /** Writes an IEEE 754 double. */
  writeFloat64(value: number): void;
  /** Writes 1 for `true`, 0 for `false`. */
  writeBoolean(value: boolean): void;
  /**
   * Writes raw bytes (no length prefix).
   *
   * @param source - the bytes
   * @param offset - first byte of `source` to write (default 0)
   * @param length - number of bytes (default: to the end of `source`)
   */
  write(source: Uint8Array, offset?: number, length?: number): void;
  /** Writes `[uint32 byteLength][UTF-8 bytes]`. */
  writeString(value: string): void;
  /** Advances the position by `count` bytes without writing them (their content is undefined). */
  skipBytesToWrite(count: number): void;
}
