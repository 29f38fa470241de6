/**
 * Serializers of single values: int32, int64, float64, boolean, timestamp, string
 * and bytes. They are tiny and share one file; each is also the per-field encoding
 * of {@link RowSerializer}.
 *
 * ```
 *  int32      [int32]                       number, integer in [-2^31, 2^31 - 1]
 *  int64      [int64]                       number, safe integer
 *  float64    [float64]                     number (NaN and ±Infinity included)
 *  boolean    [uint8 0|1]                   boolean
 *  timestamp  [int64 epoch ms]              Date (or epoch ms) in, Date out
 *  string     [uint32 byteLength][UTF-8]    string
 *  bytes      [uint32 length][bytes]        Uint8Array (read as a copy)
 * ```
 *
 * Corresponding Flink classes: `IntSerializer`, `LongSerializer`, `DoubleSerializer`,
 * `BooleanSerializer`, `SqlTimestampSerializer`, `StringSerializer`,
 * `BytePrimitiveArraySerializer`.
 */
import type { DataInputView } from './data-input-view.ts';
import type { DataOutputView } from './data-output-view.ts';
import { CorruptDataError, throwNullValue, throwValueMismatch } from './type-errors.ts';
import type {
  FixedLengthTypeSerializer,
  TypeSerializer,
  TypeSerializerDescriptor,
} from './type-serializer.ts';

const WHERE = 'value';
const TWO_POW_32 = 2 ** 32;

/** Writes an integral number as int64 at `view[offset]` (big-endian, two's complement). */
export function setInt64Number(view: DataView, offset: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  view.setInt32(offset, high);
  view.setUint32(offset + 4, value - high * TWO_POW_32);
}

/** Reads an int64 at `view[offset]` as a number (exact for safe integers). */
export function getInt64Number(view: DataView, offset: number): number {
  return view.getInt32(offset) * TWO_POW_32 + view.getUint32(offset + 4);
}

/** Reads a boolean byte at `view[offset]`; anything but 0 or 1 is corrupt. */
export function getBooleanByte(view: DataView, offset: number): boolean {
  const b = view.getUint8(offset);
  if (b > 1) {
    throw new CorruptDataError(
      `corrupt boolean: byte ${b}, expected 0 or 1; the data was not written by the same serializer`,
      { details: { byte: b } },
    );
  }
  return b === 1;
}

function checkNotNull(value: unknown, type: string): void {
  if (value === null || value === undefined) throwNullValue(WHERE, type, value);
}

/** int32 as a JS number. @remarks Stateless; share freely. Flink: `IntSerializer`. */
export class Int32Serializer implements FixedLengthTypeSerializer<number> {
  static readonly INSTANCE = new Int32Serializer();
  serialize(value: number, target: DataOutputView): void {
    if (typeof value !== 'number' || (value | 0) !== value) {
      checkNotNull(value, 'int32');
      throwValueMismatch(WHERE, 'int32', value);
    }
    target.writeInt32(value);
  }
  writeFixed(value: number, view: DataView, offset: number): void {
    if (typeof value !== 'number' || (value | 0) !== value) {
      checkNotNull(value, 'int32');
      throwValueMismatch(WHERE, 'int32', value);
    }
    view.setInt32(offset, value);
  }
  readFixed(view: DataView, offset: number): number {
    return view.getInt32(offset);
  }
  readFixedWithReuse(_reuse: number, view: DataView, offset: number): number {
    return view.getInt32(offset);
  }
  deserialize(source: DataInputView): number {
    return source.readInt32();
  }
  deserializeWithReuse(_reuse: number, source: DataInputView): number {
    return source.readInt32();
  }
  getLength(): number {
    return 4;
  }
  isImmutableType(): boolean {
    return true;
  }
  createInstance(): number {
    return 0;
  }
  copy(value: number): number {
    return value;
  }
  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'int32' };
  }
}

/** int64 as a JS number (safe integers only). Flink: `LongSerializer`. */
export class Int64Serializer implements FixedLengthTypeSerializer<number> {
  static readonly INSTANCE = new Int64Serializer();
  serialize(value: number, target: DataOutputView): void {
    if (!Number.isSafeInteger(value)) {
      checkNotNull(value, 'int64');
      throwValueMismatch(WHERE, 'int64', value);
    }
    target.writeInt64Number(value);
  }
  writeFixed(value: number, view: DataView, offset: number): void {
    if (!Number.isSafeInteger(value)) {
      checkNotNull(value, 'int64');
      throwValueMismatch(WHERE, 'int64', value);
    }
    setInt64Number(view, offset, value);
  }
  readFixed(view: DataView, offset: number): number {
    return getInt64Number(view, offset);
  }
  readFixedWithReuse(_reuse: number, view: DataView, offset: number): number {
    return getInt64Number(view, offset);
  }
  deserialize(source: DataInputView): number {
    return source.readInt64Number();
  }
  deserializeWithReuse(_reuse: number, source: DataInputView): number {
    return source.readInt64Number();
  }
  getLength(): number {
    return 8;
  }
  isImmutableType(): boolean {
    return true;
  }
  createInstance(): number {
    return 0;
  }
  copy(value: number): number {
    return value;
  }
  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'int64' };
  }
}

/** float64 as a JS number. Flink: `DoubleSerializer`. */
export class Float64Serializer implements FixedLengthTypeSerializer<number> {
  static readonly INSTANCE = new Float64Serializer();
  serialize(value: number, target: DataOutputView): void {
    if (typeof value !== 'number') {
      checkNotNull(value, 'float64');
      throwValueMismatch(WHERE, 'float64', value);
    }
    target.writeFloat64(value);
  }
  writeFixed(value: number, view: DataView, offset: number): void {
    if (typeof value !== 'number') {
      checkNotNull(value, 'float64');
      throwValueMismatch(WHERE, 'float64', value);
    }
    view.setFloat64(offset, value);
  }
  readFixed(view: DataView, offset: number): number {
    return view.getFloat64(offset);
  }
  readFixedWithReuse(_reuse: number, view: DataView, offset: number): number {
    return view.getFloat64(offset);
  }
  deserialize(source: DataInputView): number {
    return source.readFloat64();
  }
  deserializeWithReuse(_reuse: number, source: DataInputView): number {
    return source.readFloat64();
  }
  getLength(): number {
    return 8;
  }
  isImmutableType(): boolean {
    return true;
  }
  createInstance(): number {
    return 0;
  }
  copy(value: number): number {
    return value;
  }
  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'float64' };
  }
}

/** boolean as one byte (0 or 1). Flink: `BooleanSerializer`. */
export class BooleanSerializer implements FixedLengthTypeSerializer<boolean> {
  static readonly INSTANCE = new BooleanSerializer();
  serialize(value: boolean, target: DataOutputView): void {
    if (typeof value !== 'boolean') {
      checkNotNull(value, 'boolean');
      throwValueMismatch(WHERE, 'boolean', value);
    }
    target.writeBoolean(value);
  }
  writeFixed(value: boolean, view: DataView, offset: number): void {
    if (typeof value !== 'boolean') {
      checkNotNull(value, 'boolean');
      throwValueMismatch(WHERE, 'boolean', value);
    }
    view.setUint8(offset, value ? 1 : 0);
  }
  readFixed(view: DataView, offset: number): boolean {
    return getBooleanByte(view, offset);
  }
  readFixedWithReuse(_reuse: boolean, view: DataView, offset: number): boolean {
    return getBooleanByte(view, offset);
  }
  deserialize(source: DataInputView): boolean {
    return source.readBoolean();
  }
  deserializeWithReuse(_reuse: boolean, source: DataInputView): boolean {
    return source.readBoolean();
  }
  getLength(): number {
    return 1;
  }
  isImmutableType(): boolean {
    return true;
  }
  createInstance(): boolean {
    return false;
  }
  copy(value: boolean): boolean {
    return value;
  }
  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'boolean' };
  }
}

/**
 * Converts a timestamp value (Date or epoch ms) to epoch milliseconds, or returns
 * NaN when it is neither a valid Date nor a safe integer.
 */
export function timestampMillis(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  return Number.isSafeInteger(value) ? (value as number) : Number.NaN;
}

/**
 * Timestamps as int64 epoch milliseconds; takes a `Date` or an integer number, reads a
 * `Date` (the reuse variant updates the reused Date in place). Flink:
 * `SqlTimestampSerializer` (millisecond precision).
 */
export class TimestampSerializer implements FixedLengthTypeSerializer<Date> {
  static readonly INSTANCE = new TimestampSerializer();
  serialize(value: Date | number, target: DataOutputView): void {
    const ms = timestampMillis(value);
    if (Number.isNaN(ms)) {
      checkNotNull(value, 'timestamp');
      throwValueMismatch(WHERE, 'timestamp', value);
    }
    target.writeInt64Number(ms);
  }
  writeFixed(value: Date | number, view: DataView, offset: number): void {
    const ms = timestampMillis(value);
    if (Number.isNaN(ms)) {
      checkNotNull(value, 'timestamp');
      throwValueMismatch(WHERE, 'timestamp', value);
    }
    setInt64Number(view, offset, ms);
  }
  readFixed(view: DataView, offset: number): Date {
    return new Date(getInt64Number(view, offset));
  }
  readFixedWithReuse(reuse: Date, view: DataView, offset: number): Date {
    const ms = getInt64Number(view, offset);
    if (reuse instanceof Date) {
      reuse.setTime(ms);
      return reuse;
    }
    return new Date(ms);
  }
  deserialize(source: DataInputView): Date {
    return new Date(source.readInt64Number());
  }
  deserializeWithReuse(reuse: Date, source: DataInputView): Date {
    const ms = source.readInt64Number();
    if (reuse instanceof Date) {
      reuse.setTime(ms);
      return reuse;
    }
    return new Date(ms);
  }
  getLength(): number {
    return 8;
  }
  isImmutableType(): boolean {
    return false;
  }
  createInstance(): Date {
    return new Date(0);
  }
  copy(value: Date): Date {
    return new Date(value.getTime());
  }
  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'timestamp' };
  }
}

/** Strings as `[uint32 byteLength][UTF-8]`. Flink: `StringSerializer`. */
export class StringSerializer implements TypeSerializer<string> {
  static readonly INSTANCE = new StringSerializer();
  serialize(value: string, target: DataOutputView): void {
    if (typeof value !== 'string') {
      checkNotNull(value, 'string');
      throwValueMismatch(WHERE, 'string', value);
    }
    target.writeString(value);
  }
  deserialize(source: DataInputView): string {
    return source.readString();
  }
  deserializeWithReuse(_reuse: string, source: DataInputView): string {
    return source.readString();
  }
  getLength(): number {
    return -1;
  }
  isImmutableType(): boolean {
    return true;
  }
  createInstance(): string {
    return '';
  }
  copy(value: string): string {
    return value;
  }
  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'string' };
  }
}

/** Byte arrays as `[uint32 length][bytes]`; reads a copy. Flink: `BytePrimitiveArraySerializer`. */
export class BytesSerializer implements TypeSerializer<Uint8Array> {
  static readonly INSTANCE = new BytesSerializer();
  serialize(value: Uint8Array, target: DataOutputView): void {
    if (!(value instanceof Uint8Array)) {
      checkNotNull(value, 'bytes');
      throwValueMismatch(WHERE, 'bytes', value);
    }
    target.writeUint32(value.length);
    target.write(value, 0, value.length);
  }
  deserialize(source: DataInputView): Uint8Array {
    return source.readBytes(source.readUint32());
  }
  deserializeWithReuse(_reuse: Uint8Array, source: DataInputView): Uint8Array {
    return source.readBytes(source.readUint32());
  }
  getLength(): number {
    return -1;
  }
  isImmutableType(): boolean {
    return false;
  }
  createInstance(): Uint8Array {
    return new Uint8Array(0);
  }
  copy(value: Uint8Array): Uint8Array {
    return value.slice();
  }
  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'bytes' };
  }
}
