import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { DataInputDeserializer } from '../../../src/types/data-input-deserializer.ts';
import { DataOutputSerializer } from '../../../src/types/data-output-serializer.ts';
import { restoreSerializer } from '../../../src/types/restore-serializer.ts';
import { RowSerializer } from '../../../src/types/row-serializer.ts';
import { StreamRecord } from '../../../src/types/stream-element.ts';
import { StreamElementSerializer } from '../../../src/types/stream-element-serializer.ts';
import { TupleSerializer } from '../../../src/types/tuple-serializer.ts';
import { isFixedLengthSerializer } from '../../../src/types/type-serializer.ts';

function bytesOf<T>(serialize: (v: T, out: DataOutputSerializer) => void, value: T): Uint8Array {
  const out = new DataOutputSerializer(4);
  serialize(value, out);
  return out.getCopyOfBuffer();
}

describe('TupleSerializer', () => {
  const numeric = TupleSerializer.of(['int32', 'float64', 'int64']);

  it('writes a fixed-size numeric tuple in 20 bytes, as a row of the same types does', () => {
    expect(numeric.getLength()).toBe(20);
    expect(isFixedLengthSerializer(numeric)).toBe(true);
    const row = new RowSerializer([
      { name: 'a', type: 'int32' },
      { name: 'b', type: 'float64' },
      { name: 'c', type: 'int64' },
    ]);
    const value: [number, number, number] = [-7, 1.25, Number.MAX_SAFE_INTEGER];
    const bytes = bytesOf(numeric.serialize, value);
    expect(bytes.length).toBe(20);
    expect(bytes).toEqual(bytesOf(row.serialize, { a: -7, b: 1.25, c: Number.MAX_SAFE_INTEGER }));
    const back = numeric.deserialize(new DataInputDeserializer(bytes));
    expect(Array.isArray(back)).toBe(true);
    expect(back).toEqual(value);
  });

  it('writes and reads the same bytes at constant offsets (writeFixed / readFixed)', () => {
    const view = new DataView(new ArrayBuffer(64));
    const value: [number, number, number] = [1023, -0.5, -(2 ** 40) - 3];
    numeric.writeFixed(value, view, 7);
    expect(new Uint8Array(view.buffer, 7, 20)).toEqual(bytesOf(numeric.serialize, value));
    expect(numeric.readFixed(view, 7)).toEqual(value);
    const reuse = numeric.createInstance();
    expect(reuse).toEqual([0, 0, 0]);
    const again = numeric.readFixedWithReuse(reuse, view, 7);
    expect(again).toBe(reuse);
    expect(again).toEqual(value);
  });

  it('reads into a reused array through deserializeWithReuse and a StreamRecord holder', () => {
    const elements = new StreamElementSerializer(numeric);
    const out = new DataOutputSerializer(8);
    elements.serialize(new StreamRecord<[number, number, number]>([3, 4.5, 6], 99), out);
    const holder = elements.createInstance();
    const value = holder.value;
    const read = elements.readElement(
      new DataInputDeserializer(out.getCopyOfBuffer()),
      holder,
      true,
    );
    expect(read).toBe(holder);
    expect(holder.value).toBe(value);
    expect(holder.value).toEqual([3, 4.5, 6]);
    expect(holder.timestamp).toBe(99);
  });

  it('supports variable-length elements (no fixed path) and copies deeply', () => {
    const s = TupleSerializer.of(['string', 'bytes', 'timestamp', 'boolean']);
    expect(s.getLength()).toBe(-1);
    expect(isFixedLengthSerializer(s)).toBe(false);
    const value: [string, Uint8Array, Date, boolean] = [
      'héllo ✓',
      new Uint8Array([1, 2]),
      new Date(5),
      true,
    ];
    const back = s.deserialize(new DataInputDeserializer(bytesOf(s.serialize, value)));
    expect(back).toEqual(value);
    const copy = s.copy(value);
    expect(copy).toEqual(value);
    expect(copy[1]).not.toBe(value[1]);
    expect(copy[2]).not.toBe(value[2]);
  });

  it('rejects non-arrays, short arrays and mistyped elements before writing, naming the element', () => {
    const out = new DataOutputSerializer(4);
    expect(() => numeric.serialize({ 0: 1, 1: 2, 2: 3 } as never, out)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_VALUE_MISMATCH' }),
    );
    expect(() => numeric.serialize([1, 2] as never, out)).toThrow(
      /tuple \(an array of 3 elements\)/,
    );
    expect(() => numeric.serialize(null as never, out)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_NULL_VALUE' }),
    );
    expect(() => numeric.serialize([1.5, 2, 3], out)).toThrow(/tuple element 0/);
    expect(() => numeric.serialize([1, 2, 2 ** 60], out)).toThrow(/tuple element 2/);
    expect(out.length()).toBe(0);
    const view = new DataView(new ArrayBuffer(32));
    expect(() => numeric.writeFixed([1, 'x' as never, 3], view, 0)).toThrow(/tuple element 1/);
    expect(new Uint8Array(view.buffer)).toEqual(new Uint8Array(32));
  });

  it('reads integral numbers as small integers, as an array literal of them holds them', () => {
    // V8 internals, to check the elements kind the JIT sees (not observable otherwise).
    setFlagsFromString('--allow-natives-syntax');
    const hasSmiElements = new Function('a', 'return %HasSmiElements(a)') as (
      a: unknown,
    ) => boolean;
    setFlagsFromString('--no-allow-natives-syntax');
    expect(hasSmiElements([1, 6, 3])).toBe(true);
    const view = new DataView(new ArrayBuffer(64));
    const holder = numeric.createInstance();
    for (const tuple of [
      [1, 6, 3],
      [-5, 2 ** 31 - 1, -(2 ** 31)],
    ] as [number, number, number][]) {
      numeric.writeFixed(tuple, view, 0);
      expect(hasSmiElements(numeric.readFixed(view, 0))).toBe(true);
      expect(hasSmiElements(numeric.readFixedWithReuse(holder, view, 0))).toBe(true);
      const out = new DataOutputSerializer(32);
      numeric.serialize(tuple, out);
      const fresh = numeric.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
      expect(hasSmiElements(fresh)).toBe(true);
      expect(fresh).toEqual(tuple);
    }
    // Values that are not int32 keep their value (and −0 its sign).
    for (const tuple of [
      [0, -0, 0],
      [0, 0.5, 2 ** 40],
      [0, Number.NaN, -(2 ** 53) + 1],
      [0, 2 ** 31, 0],
      [0, Number.NEGATIVE_INFINITY, 0],
    ] as [number, number, number][]) {
      numeric.writeFixed(tuple, view, 0);
      const read = numeric.readFixed(view, 0);
      const reused = numeric.readFixedWithReuse(numeric.createInstance(), view, 0);
      for (let i = 0; i < 3; i++) {
        expect(Object.is(read[i], tuple[i])).toBe(true);
        expect(Object.is(reused[i], tuple[i])).toBe(true);
      }
    }
  });

  it('writes the same int64 bytes on the fixed path as through serialize, int32 or not', () => {
    const int64 = TupleSerializer.of(['int64']);
    const view = new DataView(new ArrayBuffer(8));
    for (const value of [0, -1, 7, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 33) - 3, 2 ** 52]) {
      int64.writeFixed([value], view, 0);
      expect(new Uint8Array(view.buffer)).toEqual(bytesOf(int64.serialize, [value]));
      expect(int64.readFixed(view, 0)).toEqual([value]);
    }
  });

  it('accepts longer arrays (extra elements ignored)', () => {
    expect(bytesOf(numeric.serialize, [1, 2, 3, 'extra'] as never)).toEqual(
      bytesOf(numeric.serialize, [1, 2, 3]),
    );
  });

  it('round-trips through its descriptor (restoreSerializer)', () => {
    const descriptor = numeric.snapshotConfiguration();
    expect(descriptor).toEqual({ type: 'tuple', types: ['int32', 'float64', 'int64'] });
    const restored = restoreSerializer<[number, number, number]>(
      JSON.parse(JSON.stringify(descriptor)),
    );
    expect(restored).toBeInstanceOf(TupleSerializer);
    expect(bytesOf(restored.serialize.bind(restored), [1, 2, 3])).toEqual(
      bytesOf(numeric.serialize, [1, 2, 3]),
    );
  });

  it('rejects invalid schemas with SLUICE_ERR_TYPES_INVALID_SCHEMA', () => {
    for (const bad of [[], ['int128'], 'int32', new Array(26).fill('int32')]) {
      expect(() => new TupleSerializer(bad as never)).toThrow(
        expect.objectContaining({ code: 'SLUICE_ERR_TYPES_INVALID_SCHEMA' }),
      );
    }
    expect(() => restoreSerializer({ type: 'tuple', types: ['float'] })).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_INVALID_SCHEMA' }),
    );
  });
});
