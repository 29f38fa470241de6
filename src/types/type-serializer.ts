import type { DataInputView } from './data-input-view.ts';
import type { DataOutputView } from './data-output-view.ts';

/** Field types a row schema may declare. */
export type RowFieldType =
  | 'int32'
  | 'int64'
  | 'float64'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'timestamp';

/** One field of a row schema. */
export interface RowField {
  /** Property name in the JS object (non-empty, unique within the row). */
  readonly name: string;
  /** Declared type; see {@link RowSerializer} for the JS value each type takes. */
  readonly type: RowFieldType;
  /** Whether `null` (and `undefined`) is allowed. @defaultValue false */
  readonly nullable?: boolean;
}

/**
 * JSON-safe description of a serializer, from which the same serializer can be
 * rebuilt on another thread or after a restart (`restoreSerializer`).
 *
 * ```
 *  { type: 'int64' }
 *  { type: 'row', fields: [{ name: 'id', type: 'int64' }, { name: 'tag', type: 'string', nullable: true }] }
 *  { type: 'tuple', types: ['int32', 'float64', 'int64'] }
 *  { type: 'stream-element', record: { type: 'json' } }
 * ```
 */
export type TypeSerializerDescriptor =
  | { readonly type: RowFieldType }
  | { readonly type: 'json' }
  | { readonly type: 'key' }
  | { readonly type: 'row'; readonly fields: readonly RowField[] }
  | { readonly type: 'tuple'; readonly types: readonly RowFieldType[] }
  | { readonly type: 'stream-element'; readonly record: TypeSerializerDescriptor };

/**
 * Writes values of type `T` to a {@link DataOutputView} and reads them back from a
 * {@link DataInputView}; the unit from which records, keys and state are serialized.
 *
 * Contract:
 * - `deserialize(serialize(v))` equals `v` (for the serializer's value domain).
 * - `serialize` validates its input and throws a coded error
 *   (`SLUICE_ERR_TYPES_VALUE_MISMATCH`, `SLUICE_ERR_TYPES_NULL_VALUE`) before writing
 *   anything when the value does not fit the declared type.
 * - `deserialize` reads exactly the bytes `serialize` wrote; on truncated or invalid
 *   bytes it throws `SLUICE_ERR_TYPES_END_OF_INPUT` / `SLUICE_ERR_TYPES_CORRUPT_DATA`.
 * - Serializers are stateless and immutable: one instance may be shared by all tasks
 *   of a worker. They are rebuilt per worker from {@link snapshotConfiguration}.
 *
 * @remarks Corresponds to Flink's `TypeSerializer` (`deserialize(T reuse, …)` is
 * {@link deserializeWithReuse} here; `snapshotConfiguration()` returns a JSON
 * descriptor instead of a `TypeSerializerSnapshot`).
 */
export interface TypeSerializer<T> {
  /**
   * Writes `value` to `target`.
   *
   * @throws SLUICE_ERR_TYPES_VALUE_MISMATCH when `value` does not fit the type
   * @throws SLUICE_ERR_TYPES_NULL_VALUE when `value` (or a non-nullable field) is null
   * @throws SLUICE_ERR_TYPES_RECORD_TOO_LARGE when `target` cannot grow enough
   */
  serialize(value: T, target: DataOutputView): void;

  /**
   * Reads a fresh value.
   *
   * @throws SLUICE_ERR_TYPES_END_OF_INPUT / SLUICE_ERR_TYPES_CORRUPT_DATA on bad input
   */
  deserialize(source: DataInputView): T;

  /**
   * Reads a value, reusing `reuse`'s storage where the type allows (object reuse on
   * the hot path); returns the value read, which may or may not be `reuse`.
   *
   * @throws SLUICE_ERR_TYPES_END_OF_INPUT / SLUICE_ERR_TYPES_CORRUPT_DATA on bad input
   */
  deserializeWithReuse(reuse: T, source: DataInputView): T;

  /** Fixed serialized length in bytes, or −1 for variable-length types. */
  getLength(): number;

  /** Whether values are immutable (numbers, strings), so `copy` may return its argument. */
  isImmutableType(): boolean;

  /** A new default value (zero, empty string, …) suitable as a reuse target. */
  createInstance(): T;

  /** A deep copy of `value` that shares no mutable state with it. */
  copy(value: T): T;

  /** The JSON descriptor from which `restoreSerializer` rebuilds this serializer. */
  snapshotConfiguration(): TypeSerializerDescriptor;
}

/**
 * A {@link TypeSerializer} of values with a fixed serialized length that can also
 * write and read them at a known offset of a `DataView`, with one bounds decision
 * for the whole value instead of one per field: the fast path of record framing
 * (`StreamElementSerializer`, `SpanningRecordSerializer`) for small fixed-size rows.
 *
 * The bytes are exactly those of `serialize`/`deserialize`.
 */
export interface FixedLengthTypeSerializer<T> extends TypeSerializer<T> {
  /**
   * Validates `value`, then writes its `getLength()` bytes at `view[offset]`; the
   * caller guarantees the room. Nothing is written when validation fails.
   *
   * @throws the errors of `serialize`
   */
  writeFixed(value: T, view: DataView, offset: number): void;
  /**
   * Reads a fresh value from `view[offset, offset + getLength())`; the caller guarantees the bytes.
   * @throws SLUICE_ERR_TYPES_CORRUPT_DATA on invalid bytes
   */
  readFixed(view: DataView, offset: number): T;
  /**
   * As {@link readFixed}, reusing `reuse` where the type allows.
   * @throws SLUICE_ERR_TYPES_CORRUPT_DATA on invalid bytes
   */
  readFixedWithReuse(reuse: T, view: DataView, offset: number): T;
}

/** Whether `serializer` has a fixed length and the {@link FixedLengthTypeSerializer} methods. */
export function isFixedLengthSerializer<T>(
  serializer: TypeSerializer<T>,
): serializer is FixedLengthTypeSerializer<T> {
  return (
    serializer.getLength() >= 0 &&
    typeof (serializer as Partial<FixedLengthTypeSerializer<T>>).writeFixed === 'function'
  );
}
