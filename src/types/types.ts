import { FIXED_SIZES, type RowOf } from './row-serializer.ts';
import { InvalidSchemaError } from './type-errors.ts';
import { TypeInformation } from './type-information.ts';
import type { RowField, RowFieldType } from './type-serializer.ts';

/** A field type usable inside `TUPLE` / `ROW_NAMED`. */
export type FieldTypeInformation<T> = TypeInformation<T> & {
  readonly descriptor: { readonly type: RowFieldType };
};

type FieldType<T> = FieldTypeInformation<T>;

function field<T>(type: RowFieldType): FieldType<T> {
  return new TypeInformation<T>({ type }) as FieldType<T>;
}

function fieldTypeOf(info: unknown, where: string): RowFieldType {
  const type = (info as { descriptor?: { type?: unknown } } | null)?.descriptor?.type;
  if (typeof type !== 'string' || !Object.hasOwn(FIXED_SIZES, type)) {
    throw new InvalidSchemaError(
      `${where}: ${JSON.stringify(type) ?? String(info)} is not a field type; use Types.INT32, INT64, FLOAT64, BOOLEAN, STRING, BYTES or TIMESTAMP`,
      { details: { type } },
    );
  }
  return type as RowFieldType;
}

/** JS type of a list of field types. */
type ValuesOf<Fs extends readonly FieldType<unknown>[]> = {
  -readonly [I in keyof Fs]: Fs[I] extends FieldType<infer V> ? V : never;
};

/**
 * Record types to declare on streams (Flink's `Types`): give one to
 * `returns(...)` (or to a source) and the stream's records cross exchanges with a
 * binary serializer instead of JSON — fixed-size tuples and rows are written straight
 * into network segments and read in place.
 *
 * ```ts
 * stream.map((e) => [e.key, e.value * 3, e.ts]).returns(Types.TUPLE(Types.INT32, Types.FLOAT64, Types.INT64));
 * stream.map(parse).returns(Types.ROW_NAMED(['id', 'name'], Types.INT64, Types.STRING));
 * ```
 *
 * | type | JS value | bytes |
 * |---|---|---|
 * | `INT32` / `INT64` / `FLOAT64` | number (INT32: 32-bit integer, INT64: safe integer) | 4 / 8 / 8 |
 * | `BOOLEAN` | boolean | 1 |
 * | `STRING` / `BYTES` | string / Uint8Array | 4 + length |
 * | `TIMESTAMP` | Date (a Date or epoch-ms integer on write) | 8 |
 * | `TUPLE(t…)` | array `[v0, v1, …]` (`TupleSerializer`) | sum |
 * | `ROW_NAMED(names, t…)` / `ROW(fields)` | object `{name: v}` (`RowSerializer`) | sum (+ null bitmap) |
 * | `JSON()` | anything JSON can carry (the default for undeclared streams) | variable |
 *
 * @throws SLUICE_ERR_TYPES_INVALID_SCHEMA from the factories on an invalid schema
 * @remarks Pure; usable on any thread.
 */
export const Types = {
  INT32: field<number>('int32'),
  INT64: field<number>('int64'),
  FLOAT64: field<number>('float64'),
  BOOLEAN: field<boolean>('boolean'),
  STRING: field<string>('string'),
  BYTES: field<Uint8Array>('bytes'),
  TIMESTAMP: field<Date>('timestamp'),

  /** A fixed-arity array of typed elements (Flink's `Types.TUPLE`). */
  TUPLE<const Fs extends readonly FieldType<unknown>[]>(
    ...types: Fs
  ): TypeInformation<ValuesOf<Fs>> {
    return new TypeInformation<ValuesOf<Fs>>({
      type: 'tuple',
      types: types.map((t, i) => fieldTypeOf(t, `Types.TUPLE element ${i}`)),
    });
  },

  /** An object with the named, typed fields, none nullable (Flink's `Types.ROW_NAMED`). */
  ROW_NAMED<const Ns extends readonly string[], const Fs extends readonly FieldType<unknown>[]>(
    names: Ns,
    ...types: Fs
  ): TypeInformation<{
    [I in keyof Ns & keyof Fs & `${number}` as Ns[I] & string]: ValuesOf<Fs>[I];
  }> {
    if (!Array.isArray(names) || names.length !== types.length) {
      throw new InvalidSchemaError(
        `Types.ROW_NAMED: ${Array.isArray(names) ? names.length : 'no'} names for ${types.length} types; give one name per type`,
      );
    }
    return new TypeInformation({
      type: 'row',
      fields: names.map((name, i) => ({
        name,
        type: fieldTypeOf(types[i], `Types.ROW_NAMED field "${name}"`),
      })),
    });
  },

  /** An object of a full row schema, with nullable fields (see `RowSerializer`). */
  ROW<const Fs extends readonly RowField[]>(fields: Fs): TypeInformation<RowOf<Fs>> {
    return new TypeInformation<RowOf<Fs>>({ type: 'row', fields });
  },

  /** Any JSON value (the serializer of undeclared streams). */
  JSON<T = unknown>(): TypeInformation<T> {
    return new TypeInformation<T>({ type: 'json' });
  },
} as const;
