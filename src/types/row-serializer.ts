import { SluiceError } from '../errors.ts';
import type { DataInputView } from './data-input-view.ts';
import type { DataOutputView } from './data-output-view.ts';
import { getBooleanByte, timestampMillis } from './primitive-serializers.ts';
import {
  CorruptDataError,
  InvalidSchemaError,
  throwNullValue,
  throwValueMismatch,
} from './type-errors.ts';
import type {
  FixedLengthTypeSerializer,
  RowField,
  RowFieldType,
  TypeSerializerDescriptor,
} from './type-serializer.ts';

/** JS type of each declared field type. */
export interface RowFieldTypeMap {
  int32: number;
  int64: number;
  float64: number;
  boolean: boolean;
  string: string;
  bytes: Uint8Array;
  timestamp: Date;
}

/** JS type of one field, `| null` when it is nullable. */
export type RowFieldValue<F extends RowField> =
  | RowFieldTypeMap[F['type']]
  | (F extends { readonly nullable: true } ? null : never);

/** The row object type of a schema: `RowOf<[{name:'id',type:'int64'}]>` is `{id: number}`. */
export type RowOf<Fs extends readonly RowField[]> = {
  -readonly [F in Fs[number] as F['name']]: RowFieldValue<F>;
};

/** A row whose schema is only known at run time. */
export type Row = Record<string, unknown>;

/** Serialized size of each field type in bytes; −1 for variable-length types. */
export const FIXED_SIZES: Record<RowFieldType, number> = {
  int32: 4,
  int64: 8,
  float64: 8,
  boolean: 1,
  timestamp: 8,
  string: -1,
  bytes: -1,
};

/** Normalized field: `nullable` always present. */
export interface NormalizedField {
  readonly name: string;
  readonly type: RowFieldType;
  readonly nullable: boolean;
}

/** Functions generated for one schema. */
export interface RowCodec<T> {
  serialize(value: T, target: DataOutputView): void;
  deserialize(source: DataInputView): T;
  deserializeWithReuse(reuse: T, source: DataInputView): T;
  writeFixed(value: T, view: DataView, offset: number): void;
  readFixed(view: DataView, offset: number): T;
  readFixedWithReuse(reuse: T, view: DataView, offset: number): T;
  createInstance(): T;
  copy(value: T): T;
}

/**
 * Serializes plain JS objects of a declared schema; the record serializer of typed
 * streams and the value serializer of typed state.
 *
 * Layout (fields in declared order; a null field writes nothing):
 *
 * ```
 *  [null bitmap][field 0][field 1]...
 *   └ ceil(#nullable / 8) bytes, only when some field is nullable; bit k (LSB first,
 *     byte k >> 3) set = the k-th nullable field is null; unused bits are 0
 *
 *  field encodings (see primitive-serializers.ts):
 *   int32 [int32]   int64 [int64]   float64 [float64]   boolean [uint8 0|1]
 *   timestamp [int64 epoch ms]   string [uint32 n][UTF-8]   bytes [uint32 n][bytes]
 * ```
 *
 * JS values: int32/int64/float64 → number (int64 limited to safe integers),
 * boolean → boolean, string → string, bytes → Uint8Array (read as a copy),
 * timestamp → Date (a Date or epoch-ms integer is accepted on write). Extra
 * properties of the object are ignored.
 *
 * Mechanism: at construction the schema is compiled into straight-line functions
 * (one property read, one type check and one write per field; no loop, no switch),
 * so serializing a small fixed-size row costs about as much as hand-written DataView
 * writes. Field names enter the generated code only as JSON string literals. Every
 * field is validated before the first byte is written, so a bad value leaves the
 * output untouched.
 *
 * @remarks Stateless after construction; share one instance per schema per worker.
 * Rebuild it on another thread from {@link snapshotConfiguration}. Corresponds to
 * Flink's `RowSerializer` (with a null mask, as Flink's `legacyModeEnabled = false`).
 */
export class RowSerializer<T extends object = Row> implements FixedLengthTypeSerializer<T> {
  /** The schema, normalized (`nullable` always set), frozen. */
  readonly fields: readonly NormalizedField[];
  // The generated functions are own properties: a call is one property load away.
  /** @throws SLUICE_ERR_TYPES_VALUE_MISMATCH / SLUICE_ERR_TYPES_NULL_VALUE naming the field and value */
  readonly serialize: (value: T, target: DataOutputView) => void;
  /** @throws SLUICE_ERR_TYPES_END_OF_INPUT / SLUICE_ERR_TYPES_CORRUPT_DATA on bad input */
  readonly deserialize: (source: DataInputView) => T;
  /** Overwrites `reuse`'s fields in place (a timestamp field's Date too) and returns it. */
  readonly deserializeWithReuse: (reuse: T, source: DataInputView) => T;
  /**
   * Fixed-length rows only (no nullable, string or bytes field): see
   * {@link FixedLengthTypeSerializer}. Throws `SLUICE_ERR_INTERNAL` on other rows.
   */
  readonly writeFixed: (value: T, view: DataView, offset: number) => void;
  /** Fixed-length rows only; see {@link writeFixed}. */
  readonly readFixed: (view: DataView, offset: number) => T;
  /** Fixed-length rows only; see {@link writeFixed}. */
  readonly readFixedWithReuse: (reuse: T, view: DataView, offset: number) => T;
  /** A row of defaults: 0, false, '', empty bytes, `new Date(0)`; null for nullable fields. */
  readonly createInstance: () => T;
  /** A copy sharing no mutable state (bytes and Dates copied). */
  readonly copy: (value: T) => T;
  private readonly length: number;

  /**
   * @param fields - the schema: `{name, type, nullable?}` per field, in wire order
   * @throws SLUICE_ERR_TYPES_INVALID_SCHEMA on an unknown type, an empty, duplicate or
   *   `__proto__` name, or a non-boolean `nullable`
   */
  constructor(fields: readonly RowField[]) {
    this.fields = normalizeFields(fields);
    let length = 0;
    for (const field of this.fields) {
      const size = FIXED_SIZES[field.type];
      length = field.nullable || size < 0 || length < 0 ? -1 : length + size;
    }
    this.length = length;
    const codec = compileCodec<T>(this.fields, length >= 0);
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
   * Builds a serializer whose value type is inferred from a literal schema.
   *
   * @example
   * ```ts
   * const s = RowSerializer.of([{ name: 'id', type: 'int64' }, { name: 'tag', type: 'string', nullable: true }]);
   * // s: RowSerializer<{ id: number; tag: string | null }>
   * ```
   */
  static of<const Fs extends readonly RowField[]>(fields: Fs): RowSerializer<RowOf<Fs>> {
    return new RowSerializer<RowOf<Fs>>(fields);
  }

  /** Sum of the field sizes for rows of fixed-size, non-nullable fields; −1 otherwise. */
  getLength(): number {
    return this.length;
  }

  isImmutableType(): boolean {
    return false;
  }

  snapshotConfiguration(): TypeSerializerDescriptor {
    return {
      type: 'row',
      fields: this.fields.map((f) =>
        f.nullable
          ? { name: f.name, type: f.type, nullable: true }
          : { name: f.name, type: f.type },
      ),
    };
  }
}

export function normalizeFields(fields: readonly RowField[]): readonly NormalizedField[] {
  if (!Array.isArray(fields)) {
    throw new InvalidSchemaError(
      `row schema must be an array of fields {name, type, nullable?}, got ${typeof fields}`,
    );
  }
  const seen = new Set<string>();
  const out: NormalizedField[] = [];
  fields.forEach((field: RowField, index: number) => {
    const name = (field as { name?: unknown } | null)?.name;
    const type = (field as { type?: unknown } | null)?.type;
    const nullable = (field as { nullable?: unknown } | null)?.nullable;
    if (typeof name !== 'string' || name.length === 0 || name === '__proto__') {
      throw new InvalidSchemaError(
        `row field ${index} has an invalid name ${JSON.stringify(name)}: names are non-empty strings other than "__proto__"`,
        { details: { index, name } },
      );
    }
    if (seen.has(name)) {
      throw new InvalidSchemaError(`row field name "${name}" is declared twice (field ${index})`, {
        details: { index, name },
      });
    }
    if (typeof type !== 'string' || !Object.hasOwn(FIXED_SIZES, type)) {
      throw new InvalidSchemaError(
        `row field "${name}" has unknown type ${JSON.stringify(type)}; use one of ${Object.keys(FIXED_SIZES).join(', ')}`,
        { details: { index, name, type } },
      );
    }
    if (nullable !== undefined && typeof nullable !== 'boolean') {
      throw new InvalidSchemaError(
        `row field "${name}": nullable must be a boolean, got ${JSON.stringify(nullable)}`,
        { details: { index, name, nullable } },
      );
    }
    seen.add(name);
    out.push(Object.freeze({ name, type: type as RowFieldType, nullable: nullable === true }));
  });
  return Object.freeze(out);
}

/** Helpers the generated code calls; passed in as `h`. */
const helpers = {
  Date,
  Uint8Array,
  timestampMillis,
  getBooleanByte,
  notFixed(): never {
    throw new SluiceError(
      'RowSerializer: writeFixed/readFixed called on a row with nullable, string or bytes fields (getLength() is -1)',
    );
  },
  bad(field: NormalizedField, value: unknown, tuple: boolean): never {
    const where = tuple ? `tuple element ${field.name}` : `row field "${field.name}"`;
    if (value === null || value === undefined) throwNullValue(where, field.type, value);
    throwValueMismatch(where, field.type, value);
  },
  isArray: Array.isArray,
  /** `arity` ≥ 0: a tuple of that many elements was expected. */
  notObject(value: unknown, arity: number): never {
    const what = arity < 0 ? 'row' : 'tuple';
    if (value === null || value === undefined) throwNullValue(what, what, value);
    throwValueMismatch(
      what,
      arity < 0 ? 'row (an object)' : `tuple (an array of ${arity} elements)`,
      value,
    );
  },
  corruptBitmap(byte: number, mask: number): never {
    throw new CorruptDataError(
      `corrupt row null bitmap: byte 0x${byte.toString(16)} has bits outside the mask 0x${mask.toString(16)}; the data was not written with this row schema`,
      { details: { byte, mask } },
    );
  },
};

/** Type check (true = bad) for a non-null value in variable `v`. */
function checkExpr(type: RowFieldType, v: string): string {
  switch (type) {
    case 'int32':
      return `typeof ${v} !== 'number' || (${v} | 0) !== ${v}`;
    case 'int64':
      return `!Number.isSafeInteger(${v})`;
    case 'float64':
      return `typeof ${v} !== 'number'`;
    case 'boolean':
      return `typeof ${v} !== 'boolean'`;
    case 'string':
      return `typeof ${v} !== 'string'`;
    case 'bytes':
      return `!(${v} instanceof h.Uint8Array)`;
    case 'timestamp':
      // ${v}t holds the epoch millis, computed once for the check and the write.
      return `Number.isNaN(${v}t = h.timestampMillis(${v}))`;
  }
}

function writeStmt(type: RowFieldType, v: string): string {
  switch (type) {
    case 'int32':
      return `out.writeInt32(${v});`;
    case 'int64':
      return `out.writeInt64Number(${v});`;
    case 'float64':
      return `out.writeFloat64(${v});`;
    case 'boolean':
      return `out.writeBoolean(${v});`;
    case 'string':
      return `out.writeString(${v});`;
    case 'bytes':
      return `out.writeUint32(${v}.length); out.write(${v}, 0, ${v}.length);`;
    case 'timestamp':
      return `out.writeInt64Number(${v}t);`;
  }
}

function readExpr(type: RowFieldType): string {
  switch (type) {
    case 'int32':
      return 'inp.readInt32()';
    case 'int64':
      return 'inp.readInt64Number()';
    case 'float64':
      return 'inp.readFloat64()';
    case 'boolean':
      return 'inp.readBoolean()';
    case 'string':
      return 'inp.readString()';
    case 'bytes':
      return 'inp.readBytes(inp.readUint32())';
    case 'timestamp':
      return 'new h.Date(inp.readInt64Number())';
  }
}

const TWO_POW_32 = '4294967296';

/** Writes the checked value `v` at `view[p + offset]` (fixed-size types only). */
function writeFixedStmt(type: RowFieldType, v: string, offset: number): string {
  const at = `p + ${offset}`;
  switch (type) {
    case 'int32':
      return `view.setInt32(${at}, ${v});`;
    case 'int64':
    case 'timestamp': {
      const x = type === 'timestamp' ? `${v}t` : v;
      // An int32 needs no division: its high word is its sign, its low word its bits.
      return `if ((${x} | 0) === ${x}) { view.setInt32(${at}, ${x} >> 31); view.setInt32(${at} + 4, ${x}); } else { const hi = Math.floor(${x} / ${TWO_POW_32}); view.setInt32(${at}, hi); view.setUint32(${at} + 4, ${x} - hi * ${TWO_POW_32}); }`;
    }
    case 'float64':
      return `view.setFloat64(${at}, ${v});`;
    case 'boolean':
      return `view.setUint8(${at}, ${v} ? 1 : 0);`;
    default:
      return 'h.notFixed();';
  }
}

/** Reads a fixed-size value at `view[p + offset]`. */
function readFixedExpr(type: RowFieldType, offset: number): string {
  const at = `p + ${offset}`;
  switch (type) {
    case 'int32':
      return `view.getInt32(${at})`;
    case 'int64':
      return `(view.getInt32(${at}) * ${TWO_POW_32} + view.getUint32(${at} + 4))`;
    case 'timestamp':
      return `new h.Date(view.getInt32(${at}) * ${TWO_POW_32} + view.getUint32(${at} + 4))`;
    case 'float64':
      return `view.getFloat64(${at})`;
    case 'boolean':
      return `h.getBooleanByte(view, ${at})`;
    default:
      return 'h.notFixed()';
  }
}

/**
 * Makes the number in variable `v` a small integer when it is an int32 (float64 and
 * int64 fields; nothing for other types). DataView reads return float64 numbers, which
 * V8 stores in a tuple as a double array and in an object as a double field even when
 * the value is integral; the same tuple built by user code from small integers is a
 * small-integer array. Without this, user functions that see records on both sides of
 * an exchange (a `keyBy` key selector) see two kinds of array and get slower (measured:
 * about 20 % of the runtime benchmark's CPU per record at parallelism 1). −0, NaN and
 * non-integers stay as they are.
 */
function smiStmt(type: RowFieldType, v: string): string {
  if (type === 'float64')
    return `if ((${v} | 0) === ${v} && (${v} !== 0 || 1 / ${v} > 0)) ${v} |= 0;`;
  if (type === 'int64') return `if ((${v} | 0) === ${v}) ${v} |= 0;`;
  return '';
}

function defaultExpr(type: RowFieldType): string {
  switch (type) {
    case 'int32':
    case 'int64':
    case 'float64':
      return '0';
    case 'boolean':
      return 'false';
    case 'string':
      return "''";
    case 'bytes':
      return 'new h.Uint8Array(0)';
    case 'timestamp':
      return 'new h.Date(0)';
  }
}

function copyExpr(type: RowFieldType, v: string): string {
  if (type === 'bytes') return `(${v} instanceof h.Uint8Array ? ${v}.slice() : ${v})`;
  if (type === 'timestamp') return `(${v} instanceof h.Date ? new h.Date(${v}.getTime()) : ${v})`;
  return v;
}

/**
 * Generates the straight-line codec of a schema. Only JSON string literals of the
 * field names and fixed snippets per type enter the source.
 */
export function compileCodec<T>(
  fields: readonly NormalizedField[],
  fixed: boolean,
  shape: 'object' | 'array' = 'object',
): RowCodec<T> {
  const asArray = shape === 'array';
  const position = new Map<NormalizedField, number>();
  for (const [i, f] of fields.entries()) position.set(f, i);
  // Objects: a JSON string literal of the name; tuples: the element index.
  const key = (f: NormalizedField) => (asArray ? String(position.get(f)) : JSON.stringify(f.name));
  const build = (value: (f: NormalizedField, i: number) => string) =>
    asArray
      ? `[${fields.map((f, i) => value(f, i)).join(', ')}]`
      : `{ ${fields.map((f, i) => `${key(f)}: ${value(f, i)}`).join(', ')} }`;
  const notShape = asArray
    ? '!h.isArray(v) || v.length < NFIELDS'
    : 'v === null || typeof v !== "object"';
  const nullableIndex = new Map<NormalizedField, number>();
  for (const f of fields) if (f.nullable) nullableIndex.set(f, nullableIndex.size);
  const bitmapBytes = Math.ceil(nullableIndex.size / 8);
  const isNull = (f: NormalizedField) => {
    const k = nullableIndex.get(f)!;
    return `(n${k >> 3} & ${1 << (k & 7)}) !== 0`;
  };

  // Validation: every field checked before anything is written.
  const check: string[] = [
    `if (${notShape.replace('NFIELDS', String(fields.length))}) h.notObject(v, ${asArray ? fields.length : -1});`,
  ];
  for (let b = 0; b < bitmapBytes; b++) check.push(`let n${b} = 0;`);
  fields.forEach((f, i) => {
    check.push(`const f${i} = v[${key(f)}];`);
    if (f.type === 'timestamp') check.push(`let f${i}t = 0;`);
    if (f.nullable) {
      const k = nullableIndex.get(f)!;
      check.push(
        `if (f${i} === null || f${i} === undefined) n${k >> 3} |= ${1 << (k & 7)}; else if (${checkExpr(f.type, `f${i}`)}) h.bad(fields[${i}], f${i}, ${asArray});`,
      );
    } else {
      check.push(`if (${checkExpr(f.type, `f${i}`)}) h.bad(fields[${i}], f${i}, ${asArray});`);
    }
  });

  const ser: string[] = [...check];
  for (let b = 0; b < bitmapBytes; b++) ser.push(`out.writeUint8(n${b});`);
  fields.forEach((f, i) => {
    const write = writeStmt(f.type, `f${i}`);
    ser.push(f.nullable ? `if (!(${isNull(f)})) { ${write} }` : write);
  });

  const readBitmap: string[] = [];
  for (let b = 0; b < bitmapBytes; b++) {
    const bitsInByte = Math.min(8, nullableIndex.size - b * 8);
    const mask = (1 << bitsInByte) - 1;
    readBitmap.push(`const n${b} = inp.readUint8();`);
    if (mask !== 0xff)
      readBitmap.push(`if ((n${b} & ${~mask & 0xff}) !== 0) h.corruptBitmap(n${b}, ${mask});`);
  }
  const read = (f: NormalizedField) =>
    f.nullable ? `(${isNull(f)} ? null : ${readExpr(f.type)})` : readExpr(f.type);

  const des: string[] = [...readBitmap];
  fields.forEach((f, i) => {
    des.push(`let a${i} = ${read(f)};`, smiStmt(f.type, `a${i}`));
  });
  des.push(`return ${build((_f, i) => `a${i}`)};`);

  const reuse: string[] = [
    asArray
      ? 'if (!h.isArray(r)) return deserialize(inp);'
      : 'if (r === null || typeof r !== "object") return deserialize(inp);',
  ];
  reuse.push(...readBitmap);
  for (const f of fields) {
    if (f.type === 'timestamp') {
      const assign = `{ const ms = inp.readInt64Number(); const d = r[${key(f)}]; if (d instanceof h.Date) d.setTime(ms); else r[${key(f)}] = new h.Date(ms); }`;
      reuse.push(f.nullable ? `if (${isNull(f)}) r[${key(f)}] = null; else ${assign}` : assign);
    } else if (smiStmt(f.type, 'x') !== '') {
      reuse.push(`{ let x = ${read(f)}; ${smiStmt(f.type, 'x')} r[${key(f)}] = x; }`);
    } else {
      reuse.push(`r[${key(f)}] = ${read(f)};`);
    }
  }
  reuse.push('return r;');

  // Fixed-length rows: the same bytes at constant offsets from p.
  const writeFixed: string[] = fixed ? [...check] : ['h.notFixed();'];
  const readFixed: string[] = [];
  const readFixedReuse: string[] = [];
  if (fixed) {
    let offset = 0;
    readFixedReuse.push(
      asArray
        ? 'if (!h.isArray(r)) return readFixed(view, p);'
        : 'if (r === null || typeof r !== "object") return readFixed(view, p);',
    );
    fields.forEach((f, i) => {
      writeFixed.push(writeFixedStmt(f.type, `f${i}`, offset));
      readFixed.push(`let a${i} = ${readFixedExpr(f.type, offset)};`, smiStmt(f.type, `a${i}`));
      if (f.type === 'timestamp') {
        readFixedReuse.push(
          `{ const ms = view.getInt32(p + ${offset}) * ${TWO_POW_32} + view.getUint32(p + ${offset + 4}); const d = r[${key(f)}]; if (d instanceof h.Date) d.setTime(ms); else r[${key(f)}] = new h.Date(ms); }`,
        );
      } else if (smiStmt(f.type, 'x') !== '') {
        readFixedReuse.push(
          `{ let x = ${readFixedExpr(f.type, offset)}; ${smiStmt(f.type, 'x')} r[${key(f)}] = x; }`,
        );
      } else {
        readFixedReuse.push(`r[${key(f)}] = ${readFixedExpr(f.type, offset)};`);
      }
      offset += FIXED_SIZES[f.type];
    });
    readFixed.push(`return ${build((_f, i) => `a${i}`)};`);
    readFixedReuse.push('return r;');
  } else {
    readFixed.push('return h.notFixed();');
    readFixedReuse.push('return h.notFixed();');
  }

  const create = `return ${build((f) => (f.nullable ? 'null' : defaultExpr(f.type)))};`;
  const copy = `if (v === null || typeof v !== "object") return v;\nreturn ${build((f) => copyExpr(f.type, `v[${key(f)}]`))};`;

  const source = `
    "use strict";
    function serialize(v, out) {\n${ser.join('\n')}\n}
    function deserialize(inp) {\n${des.join('\n')}\n}
    function deserializeWithReuse(r, inp) {\n${reuse.join('\n')}\n}
    function writeFixed(v, view, p) {\n${writeFixed.join('\n')}\n}
    function readFixed(view, p) {\n${readFixed.join('\n')}\n}
    function readFixedWithReuse(r, view, p) {\n${readFixedReuse.join('\n')}\n}
    function createInstance() {\n${create}\n}
    function copy(v) {\n${copy}\n}
    return { serialize, deserialize, deserializeWithReuse, writeFixed, readFixed, readFixedWithReuse, createInstance, copy };`;
  // Code generated from a validated schema; field names enter only as JSON string literals.
  const factory = new Function('h', 'fields', source) as (
    h: typeof helpers,
    f: readonly NormalizedField[],
  ) => RowCodec<T>;
  return factory(helpers, fields);
}
