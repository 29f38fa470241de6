import { describe, expect, it } from 'vitest';
import { MemorySegment } from '../../../src/memory/memory-segment.ts';
import { DataInputDeserializer } from '../../../src/types/data-input-deserializer.ts';
import { DataOutputSerializer } from '../../../src/types/data-output-serializer.ts';
import { JsonSerializer } from '../../../src/types/json-serializer.ts';
import {
  BooleanSerializer,
  BytesSerializer,
  Float64Serializer,
  Int32Serializer,
  Int64Serializer,
  StringSerializer,
  TimestampSerializer,
} from '../../../src/types/primitive-serializers.ts';
import { restoreSerializer } from '../../../src/types/restore-serializer.ts';
import { type Row, RowSerializer } from '../../../src/types/row-serializer.ts';
import {
  isFixedLengthSerializer,
  type RowField,
  type TypeSerializer,
} from '../../../src/types/type-serializer.ts';

function roundTrip<T>(serializer: TypeSerializer<T>, value: T): { bytes: Uint8Array; back: T } {
  const out = new DataOutputSerializer(4);
  serializer.serialize(value, out);
  const bytes = out.getCopyOfBuffer();
  const input = new DataInputDeserializer(bytes);
  const back = serializer.deserialize(input);
  expect(input.available()).toBe(0);
  return { bytes, back };
}

function bytesOf<T>(serializer: TypeSerializer<T>, value: T): Uint8Array {
  const out = new DataOutputSerializer();
  serializer.serialize(value, out);
  return out.getCopyOfBuffer();
}

const ALL_TYPES: RowField[] = [
  { name: 'i32', type: 'int32' },
  { name: 'i64', type: 'int64' },
  { name: 'f64', type: 'float64' },
  { name: 'flag', type: 'boolean' },
  { name: 'text', type: 'string' },
  { name: 'blob', type: 'bytes' },
  { name: 'at', type: 'timestamp' },
];
const ALL_NULLABLE: RowField[] = ALL_TYPES.map((f) => ({
  ...f,
  name: `n_${f.name}`,
  nullable: true,
}));

function fullRow(seed: number): Row {
  return {
    i32: -2147483648 + seed,
    i64: Number.MAX_SAFE_INTEGER - seed,
    f64: seed === 0 ? Number.NaN : -1.5e300 / seed,
    flag: seed % 2 === 0,
    text: `日本 ✓ 😀 ${seed} ${'é'.repeat(seed % 50)}`,
    blob: Uint8Array.from({ length: seed * 13 }, (_, i) => (i * 31 + seed) & 255),
    at: new Date(1_700_000_000_000 + seed),
  };
}

describe('primitive serializers', () => {
  it('round-trip their value domain, extremes included', () => {
    const cases: Array<[TypeSerializer<never>, unknown[]]> = [
      [Int32Serializer.INSTANCE as never, [0, -1, 2147483647, -2147483648, 12345]],
      [
        Int64Serializer.INSTANCE as never,
        [0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 40 + 3],
      ],
      [
        Float64Serializer.INSTANCE as never,
        [0, -0.5, Math.PI, Number.POSITIVE_INFINITY, Number.MIN_VALUE, Number.NaN],
      ],
      [BooleanSerializer.INSTANCE as never, [true, false]],
      [
        StringSerializer.INSTANCE as never,
        ['', 'ascii', 'ünïcödé', '😀 astral', 'x'.repeat(100_000)],
      ],
      [
        BytesSerializer.INSTANCE as never,
        [new Uint8Array(0), new Uint8Array([0, 255, 7]), new Uint8Array(70_000).fill(9)],
      ],
    ];
    for (const [serializer, values] of cases) {
      for (const value of values) {
        const { bytes, back } = roundTrip(serializer, value as never);
        expect(back, `${serializer.constructor.name} ${String(value).slice(0, 20)}`).toEqual(value);
        if (serializer.getLength() >= 0) expect(bytes.length).toBe(serializer.getLength());
      }
    }
    const at = new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 123));
    expect(roundTrip(TimestampSerializer.INSTANCE, at).back).toEqual(at);
    expect(roundTrip(TimestampSerializer.INSTANCE, 5 as unknown as Date).back).toEqual(new Date(5));
  });

  it('reject values outside their type with a coded error naming the value', () => {
    const out = new DataOutputSerializer();
    const bad: Array<[TypeSerializer<never>, unknown, string]> = [
      [Int32Serializer.INSTANCE as never, 1.5, 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [Int32Serializer.INSTANCE as never, 2 ** 31, 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [Int32Serializer.INSTANCE as never, Number.NaN, 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [Int64Serializer.INSTANCE as never, '12', 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [Int64Serializer.INSTANCE as never, 2 ** 53, 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [Int64Serializer.INSTANCE as never, 12n, 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [Float64Serializer.INSTANCE as never, '1', 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [BooleanSerializer.INSTANCE as never, 1, 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [StringSerializer.INSTANCE as never, null, 'SLUICE_ERR_TYPES_NULL_VALUE'],
      [BytesSerializer.INSTANCE as never, [1, 2], 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [
        TimestampSerializer.INSTANCE as never,
        new Date(Number.NaN),
        'SLUICE_ERR_TYPES_VALUE_MISMATCH',
      ],
      [TimestampSerializer.INSTANCE as never, undefined, 'SLUICE_ERR_TYPES_NULL_VALUE'],
    ];
    for (const [serializer, value, code] of bad) {
      expect(() => serializer.serialize(value as never, out), String(value)).toThrowError(
        expect.objectContaining({ code }),
      );
    }
    expect(() => Int64Serializer.INSTANCE.serialize('12' as never, out)).toThrowError(
      /int64.*"12" \(string\)/,
    );
  });

  it('timestamp reuse updates the Date in place', () => {
    const out = new DataOutputSerializer();
    TimestampSerializer.INSTANCE.serialize(new Date(42), out);
    const reuse = new Date(0);
    const back = TimestampSerializer.INSTANCE.deserializeWithReuse(
      reuse,
      new DataInputDeserializer(out.getCopyOfBuffer()),
    );
    expect(back).toBe(reuse);
    expect(reuse.getTime()).toBe(42);
  });
});

describe('JsonSerializer', () => {
  it('round-trips JSON values and undefined', () => {
    const json = JsonSerializer.INSTANCE;
    for (const value of [
      null,
      0,
      'x',
      [1, 'two', { three: 3 }],
      { a: { b: [true, null] } },
      undefined,
      'ü😀',
    ])
      expect(roundTrip(json, value).back).toEqual(value);
  });

  it('rejects what JSON cannot encode and reports invalid JSON as corrupt data', () => {
    const out = new DataOutputSerializer();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [10n, cyclic, () => 1, Symbol('s')]) {
      expect(() => JsonSerializer.INSTANCE.serialize(value, out)).toThrowError(
        expect.objectContaining({ code: 'SLUICE_ERR_TYPES_VALUE_MISMATCH' }),
      );
    }
    expect(() => JsonSerializer.INSTANCE.copy({ f: () => 1 })).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_VALUE_MISMATCH' }),
    );
    expect(JsonSerializer.INSTANCE.copy({ d: new Date(1) })).toEqual({ d: new Date(1) });
    const garbage = new DataOutputSerializer();
    garbage.writeString('{not json');
    expect(() =>
      JsonSerializer.INSTANCE.deserialize(new DataInputDeserializer(garbage.getCopyOfBuffer())),
    ).toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_TYPES_CORRUPT_DATA' }));
  });
});

describe('RowSerializer', () => {
  const serializer = new RowSerializer([...ALL_TYPES, ...ALL_NULLABLE]);

  it('round-trips every field type, large values and multi-byte UTF-8', () => {
    for (let seed = 0; seed < 60; seed++) {
      const row = { ...fullRow(seed) };
      for (const f of ALL_TYPES) row[`n_${f.name}`] = seed % 3 === 0 ? null : row[f.name];
      const { back } = roundTrip(serializer, row);
      expect(back).toEqual(row);
    }
    const big: Row = {
      ...fullRow(1),
      text: '漢'.repeat(200_000),
      blob: new Uint8Array(300_000).fill(1),
    };
    for (const f of ALL_TYPES) big[`n_${f.name}`] = null;
    expect(roundTrip(serializer, big).back).toEqual(big);
  });

  it('writes a null bitmap only for nullable fields, one bit per nullable field', () => {
    const fixed = RowSerializer.of([
      { name: 'a', type: 'int32' },
      { name: 'b', type: 'boolean' },
    ]);
    expect([...bytesOf(fixed, { a: 1, b: true })]).toEqual([0, 0, 0, 1, 1]);
    const fields: RowField[] = Array.from({ length: 10 }, (_, i) => ({
      name: `f${i}`,
      type: 'int32',
      nullable: true,
    }));
    const nullable = new RowSerializer(fields);
    const row: Row = {};
    for (let i = 0; i < 10; i++) row[`f${i}`] = i === 0 || i === 9 ? null : i;
    const bytes = bytesOf(nullable, row);
    expect([bytes[0], bytes[1]]).toEqual([0b0000_0001, 0b0000_0010]);
    expect(bytes.length).toBe(2 + 8 * 4);
    expect(roundTrip(nullable, row).back).toEqual(row);
    // unused bitmap bits set → corrupt
    bytes[1] = 0b1000_0010;
    expect(() => nullable.deserialize(new DataInputDeserializer(bytes))).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_CORRUPT_DATA' }),
    );
  });

  it('treats undefined and missing nullable fields as null', () => {
    const s = RowSerializer.of([
      { name: 'a', type: 'string', nullable: true },
      { name: 'b', type: 'int64' },
    ]);
    expect(roundTrip(s, { b: 3 } as never).back).toEqual({ a: null, b: 3 });
  });

  it('names the field and the value on type errors, before writing anything', () => {
    const s = RowSerializer.of([
      { name: 'id', type: 'int64' },
      { name: 'price', type: 'float64' },
      { name: 'count', type: 'int32' },
      { name: 'name', type: 'string' },
    ]);
    const ok = { id: 1, price: 2.5, count: 3, name: 'x' };
    const cases: Array<[object, string, RegExp]> = [
      [
        { ...ok, id: 'abc' },
        'SLUICE_ERR_TYPES_VALUE_MISMATCH',
        /row field "id" is declared int64.*"abc" \(string\)/,
      ],
      [
        { ...ok, count: Number.NaN },
        'SLUICE_ERR_TYPES_VALUE_MISMATCH',
        /row field "count" is declared int32.*NaN/,
      ],
      [{ ...ok, count: 1.25 }, 'SLUICE_ERR_TYPES_VALUE_MISMATCH', /"count".*1\.25/],
      [
        { ...ok, name: null },
        'SLUICE_ERR_TYPES_NULL_VALUE',
        /row field "name" is declared string \(not nullable\), got null/,
      ],
      [{ ...ok, price: undefined }, 'SLUICE_ERR_TYPES_NULL_VALUE', /"price".*undefined/],
    ];
    for (const [row, code, message] of cases) {
      const out = new DataOutputSerializer();
      expect(() => s.serialize(row as never, out)).toThrowError(expect.objectContaining({ code }));
      expect(() => s.serialize(row as never, out)).toThrowError(message);
      expect(out.length()).toBe(0);
    }
    expect(() => s.serialize(null as never, new DataOutputSerializer())).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_NULL_VALUE' }),
    );
    expect(() => s.serialize(7 as never, new DataOutputSerializer())).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_VALUE_MISMATCH' }),
    );
  });

  it('rejects malformed schemas', () => {
    const bad: unknown[] = [
      [{ name: '', type: 'int32' }],
      [{ name: '__proto__', type: 'int32' }],
      [
        { name: 'a', type: 'int32' },
        { name: 'a', type: 'string' },
      ],
      [{ name: 'a', type: 'decimal' }],
      [{ name: 'a', type: 'int32', nullable: 'yes' }],
      [null],
      'not an array',
    ];
    for (const fields of bad) {
      expect(() => new RowSerializer(fields as RowField[]), JSON.stringify(fields)).toThrowError(
        expect.objectContaining({ code: 'SLUICE_ERR_TYPES_INVALID_SCHEMA' }),
      );
    }
  });

  it('is safe with field names that are not identifiers', () => {
    const names = [
      'a b',
      'quote"d',
      "single'",
      'back\\slash',
      'new\nline',
      '</script>',
      'constructor',
      '😀',
      '0',
      'toString',
    ];
    const s = new RowSerializer(names.map((name) => ({ name, type: 'string' as const })));
    const row = Object.fromEntries(names.map((n) => [n, `v:${n}`]));
    expect(roundTrip(s, row).back).toEqual(row);
    expect(s.createInstance()).toEqual(Object.fromEntries(names.map((n) => [n, ''])));
  });

  it('reuses the target object, including Dates, and copies deeply', () => {
    const s = new RowSerializer(ALL_TYPES);
    const reuse = s.createInstance();
    const at = reuse.at;
    const value = fullRow(5);
    const out = new DataOutputSerializer();
    s.serialize(value, out);
    const back = s.deserializeWithReuse(reuse, new DataInputDeserializer(out.getCopyOfBuffer()));
    expect(back).toBe(reuse);
    expect(back.at).toBe(at);
    expect(back).toEqual(value);
    const copy = s.copy(value);
    expect(copy).toEqual(value);
    expect(copy.blob).not.toBe(value.blob);
    expect(copy.at).not.toBe(value.at);
    expect(s.copy(null as never)).toBeNull();
  });

  it('fixed-length rows write the same bytes through writeFixed/readFixed', () => {
    const s = RowSerializer.of([
      { name: 'key', type: 'int64' },
      { name: 'value', type: 'float64' },
      { name: 'n', type: 'int32' },
      { name: 'ok', type: 'boolean' },
      { name: 'at', type: 'timestamp' },
    ]);
    expect(s.getLength()).toBe(8 + 8 + 4 + 1 + 8);
    expect(isFixedLengthSerializer(s)).toBe(true);
    expect(isFixedLengthSerializer(new RowSerializer(ALL_TYPES))).toBe(false);
    const row = { key: -123456789012, value: 0.1, n: -7, ok: true, at: new Date(99) };
    const segment = MemorySegment.allocateUnpooled(64);
    s.writeFixed(row, segment.view, 3);
    expect(segment.bytes.slice(3, 3 + s.getLength())).toEqual(bytesOf(s, row));
    expect(s.readFixed(segment.view, 3)).toEqual(row);
    const reuse = s.createInstance();
    expect(s.readFixedWithReuse(reuse, segment.view, 3)).toBe(reuse);
    expect(reuse).toEqual(row);
    expect(() => s.writeFixed({ ...row, key: 'x' } as never, segment.view, 3)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_VALUE_MISMATCH' }),
    );
    segment.putUint8(3 + 20, 9); // the boolean byte
    expect(() => s.readFixed(segment.view, 3)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_CORRUPT_DATA' }),
    );
  });

  it('truncated input is SLUICE_ERR_TYPES_END_OF_INPUT at every cut', () => {
    const row = { ...fullRow(7) };
    for (const f of ALL_TYPES) row[`n_${f.name}`] = row[f.name];
    const bytes = bytesOf(serializer, row);
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => serializer.deserialize(new DataInputDeserializer(bytes, 0, cut))).toThrowError(
        expect.objectContaining({ code: 'SLUICE_ERR_TYPES_END_OF_INPUT' }),
      );
    }
  });
});

describe('restoreSerializer', () => {
  it('rebuilds every serializer from its JSON descriptor, writing identical bytes', () => {
    const row = new RowSerializer([...ALL_TYPES, ...ALL_NULLABLE]);
    const value = { ...fullRow(3) };
    for (const f of ALL_TYPES) value[`n_${f.name}`] = null;
    const restored = restoreSerializer<Row>(
      JSON.parse(JSON.stringify(row.snapshotConfiguration())),
    );
    expect(bytesOf(restored, value)).toEqual(bytesOf(row, value));
    expect(restored.snapshotConfiguration()).toEqual(row.snapshotConfiguration());
    for (const type of [
      'int32',
      'int64',
      'float64',
      'boolean',
      'timestamp',
      'string',
      'bytes',
      'json',
      'key',
    ] as const) {
      expect(restoreSerializer({ type }).snapshotConfiguration()).toEqual({ type });
    }
    const nested = {
      type: 'stream-element',
      record: { type: 'row', fields: [{ name: 'a', type: 'int32' }] },
    };
    expect(restoreSerializer(nested).snapshotConfiguration()).toEqual(nested);
  });

  it('rejects unknown or malformed descriptors', () => {
    for (const d of [
      null,
      'int32',
      {},
      { type: 'decimal' },
      { type: 'row' },
      { type: 'row', fields: [{ name: 'x' }] },
      { type: 'stream-element' },
    ]) {
      expect(() => restoreSerializer(d), JSON.stringify(d)).toThrowError(
        expect.objectContaining({ code: 'SLUICE_ERR_TYPES_INVALID_SCHEMA' }),
      );
    }
  });
});
