import type { DataInputView } from './data-input-view.ts';
import type { DataOutputView } from './data-output-view.ts';
import {
  compileCodec,
  FIXED_SIZES,
  type NormalizedField,
  normalizeFields,
  type RowFieldTypeMap,
} from './row-serializer.ts';
import { InvalidSchemaError } from './type-errors.ts';
import type {
  FixedLengthTypeSerializer,
  RowFieldType,
  TypeSerializerDescriptor,
} from './type-serializer.ts';

/** Most elements a tuple may declare (Flink's `Tuple25`). */
export const MAX_TUPLE_ARITY = 25;

/** The JS tuple type of a list of field types: `TupleOf<['int64', 'string']>` is `[number, string]`. */
export type TupleOf<Ts extends readonly RowFieldType[]> = {
  -readonly [I in keyof Ts]: Ts[I] extends RowFieldType ? RowFieldTypeMap[Ts[I]] : never;
};

/**
 * Serializes fixed-arity JS arrays (`[key, value, ts]`) whose elements have declared
 * types: Flink's `TupleSerializer` (`Types.TUPLE`). The record serializer of streams of
 * tuples declared with `returns(Types.TUPLE(...))`.
 *
 * Layout (elements in order, no null bitmap: tuple elements are never null):
 *
 * ```
 *  [element 0][element 1]...
 *   int32 [int32]   int64 [int64]   float64 [float64]   boolean [uint8 0|1]
 *   timestamp [int64 epoch ms]   string [uint32 n][UTF-8]   bytes [uint32 n][bytes]
 *
 *  e.g. [int32, float64, int64] = 20 bytes:  0 ┌ i32 ┐4 ┌ f64 ┐12 ┌ i64 ┐20
 * ```
 *
 * The bytes are those of a `RowSerializer` with the same field types. Tuples of
 * fixed-size elements (every type but string and bytes) have a fixed length and the
 * `writeFixed`/`readFixed` constant-offset paths: the exchange writes them straight
 * into the segment and reads them in place, into a reused array with object reuse.
 *
 * Mechanism: as `RowSerializer`, straight-line functions generated per schema (one
 * element read, one type check and one write per element). Every element is validated
 * before the first byte is written. An array with more elements than declared is
 * accepted (the extra ones are ignored), one with fewer is rejected.
 *
 * @remarks Stateless after construction; share one per schema per worker; rebuild it on
 * another thread from {@link snapshotConfiguration}. Flink: `TupleSerializer`.
 */
export class TupleSerializer<T extends unknown[] = unknown[]>
  implements FixedLengthTypeSerializer<T>
{
  /** Element types, in order (frozen). */
  readonly types: readonly RowFieldType[];
  /** @throws SLUICE_ERR_TYPES_VALUE_MISMATCH / SLUICE_ERR_TYPES_NULL_VALUE naming the element and value */
  readonly serialize: (value: T, target: DataOutputView) => void;
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT / SLUICE_ERR_TYPES_CORRUPT_DATA on bad input */
  readonly deserialize: (source: DataInputView) => T;
  /** Overwrites `reuse`'s elements in place and returns it. */
  readonly deserializeWithReuse: (reuse: T, source: DataInputView) => T;
  /** Fixed-length tuples only (no string or bytes element); see {@link FixedLengthTypeSerializer}. */
  readonly writeFixed: (value: T, view: DataView, offset: number) => void;
  /** Fixed-length tuples only. */
  readonly readFixed: (view: DataView, offset: number) => T;
  /** Fixed-length tuples only; overwrites `reuse`'s elements. */
  readonly readFixedWithReuse: (reuse: T, view: DataView, offset: number) => T;
  /** A tuple of defaults: 0, false, '', empty bytes, `new Date(0)`. */
  readonly createInstance: () => T;
  /** A copy sharing no mutable state (bytes and Dates copied). */
  readonly copy: (value: T) => T;
  private readonly length: number;

  /**
   * @param types - the element types, 1 to {@link MAX_TUPLE_ARITY}
   * @throws SLUICE_ERR_TYPES_INVALID_SCHEMA on an unknown type or a bad arity
   */
  constructor(types: readonly RowFieldType[]) {
    if (!Array.isArray(types) || types.length === 0 || types.length > MAX_TUPLE_ARITY) {
      throw new InvalidSchemaError(
        `tuple schema must be an array of 1 to ${MAX_TUPLE_ARITY} element types, got ${JSON.stringify(types) ?? String(types)}`,
      );
    }
    const fields: readonly NormalizedField[] = normalizeFields(
      types.map((type, i) => ({ name: String(i), type })),
    );
    this.types = Object.freeze(fields.map((f) => f.type));
    let length = 0;
    for (const type of this.types) {
      const size = FIXED_SIZES[type];
      length = size < 0 || length < 0 ? -1 : length + size;
    }
    this.length = length;
    const codec = compileCodec<T>(fields, length >= 0, 'array');
    this.serialize = codec.serialize;
    this.deserialize = codec.deserialize;
    this.deserializeWithReuse = codec.deserializeWithReuse;
    this.writeFixed = codec.writeFixed;
    this.readFixed = codec.readFixed;
    this.readFixedWithReuse = codec.readFixedWithReuse;
    this.createInstance = codec.createInstance;
    this.copy = codec.copy;
  }

  /**
   * Builds a serializer whose tuple type is inferred from literal element types.
   *
   * @example
   * ```ts
   * const s = TupleSerializer.of(['int32', 'float64', 'int64']); // TupleSerializer<[number, number, number]>
   * ```
   */
  static of<const Ts extends readonly RowFieldType[]>(types: Ts): TupleSerializer<TupleOf<Ts>> {
    return new TupleSerializer<TupleOf<Ts>>(types);
  }

  /** Sum of the element sizes when every element has a fixed size; −1 otherwise. */
  getLength(): number {
    return this.length;
  }

  isImmutableType(): boolean {
    return false;
  }

  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'tuple', types: [...this.types] };
  }
}
