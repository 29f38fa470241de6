import { describe, expect, it } from 'vitest';
import { MemorySegment } from '../../../src/memory/memory-segment.ts';
import { DataInputDeserializer } from '../../../src/types/data-input-deserializer.ts';
import type { DataInputView } from '../../../src/types/data-input-view.ts';
import { DataOutputSerializer } from '../../../src/types/data-output-serializer.ts';
import type { DataOutputView } from '../../../src/types/data-output-view.ts';
import { SegmentChainInputView } from '../../../src/types/segment-chain-input-view.ts';
import { decodeUtf8, encodeUtf8Into, utf8Length } from '../../../src/types/utf8.ts';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLE_STRINGS = [
  '',
  'a',
  'hello world',
  'héllo wörld',
  '日本語のテキスト',
  'emoji 😀🎉 and 𝄞',
  'lone high \ud800 surrogate',
  'lone low \udc00 surrogate',
  'trailing high \ud83d',
  '\u0000nul\u0000',
  'x'.repeat(47),
  'y'.repeat(48),
  'é'.repeat(100),
  '😀'.repeat(40),
];

function randomString(random: () => number, maxLength: number): string {
  const length = Math.floor(random() * maxLength);
  let s = '';
  for (let i = 0; i < length; i++) {
    const r = random();
    if (r < 0.6) s += String.fromCharCode(32 + Math.floor(random() * 95));
    else if (r < 0.8) s += String.fromCharCode(0x80 + Math.floor(random() * 0x780));
    else if (r < 0.95) s += String.fromCharCode(0x800 + Math.floor(random() * 0xf000));
    else s += String.fromCodePoint(0x10000 + Math.floor(random() * 0xfffff));
  }
  return s;
}

/** Writes one value of every kind; `check` reads them back in the same order. */
function writeAll(out: DataOutputView): void {
  out.writeInt8(-128);
  out.writeUint8(255);
  out.writeInt16(-32768);
  out.writeUint16(65535);
  out.writeInt32(-2147483648);
  out.writeUint32(4294967295);
  out.writeInt64(-(2n ** 63n));
  out.writeInt64Number(Number.MIN_SAFE_INTEGER);
  out.writeInt64Number(Number.MAX_SAFE_INTEGER);
  out.writeInt64Number(-1);
  out.writeFloat32(1.5);
  out.writeFloat64(Math.PI);
  out.writeFloat64(Number.NaN);
  out.writeBoolean(true);
  out.writeBoolean(false);
  out.write(new Uint8Array([1, 2, 3, 4, 5]), 1, 3);
  out.write(new Uint8Array(40).fill(7));
  for (const s of SAMPLE_STRINGS) out.writeString(s);
}

function checkAll(input: DataInputView): void {
  expect(input.readInt8()).toBe(-128);
  expect(input.readUint8()).toBe(255);
  expect(input.readInt16()).toBe(-32768);
  expect(input.readUint16()).toBe(65535);
  expect(input.readInt32()).toBe(-2147483648);
  expect(input.readUint32()).toBe(4294967295);
  expect(input.readInt64()).toBe(-(2n ** 63n));
  expect(input.readInt64Number()).toBe(Number.MIN_SAFE_INTEGER);
  expect(input.readInt64Number()).toBe(Number.MAX_SAFE_INTEGER);
  expect(input.readInt64Number()).toBe(-1);
  expect(input.readFloat32()).toBe(1.5);
  expect(input.readFloat64()).toBe(Math.PI);
  expect(input.readFloat64()).toBeNaN();
  expect(input.readBoolean()).toBe(true);
  expect(input.readBoolean()).toBe(false);
  expect([...input.readBytes(3)]).toEqual([2, 3, 4]);
  const forty = new Uint8Array(40);
  input.readFully(forty);
  expect(forty.every((b) => b === 7)).toBe(true);
  for (const s of SAMPLE_STRINGS)
    expect(input.readString()).toBe(new TextDecoder().decode(new TextEncoder().encode(s)));
  expect(input.available()).toBe(0);
}

describe('utf8', () => {
  it('utf8Length and encodeUtf8Into agree with TextEncoder, lone surrogates included', () => {
    const random = rng(1);
    const strings = [
      ...SAMPLE_STRINGS,
      ...Array.from({ length: 300 }, () => randomString(random, 80)),
    ];
    for (const s of strings) {
      const expected = new TextEncoder().encode(s);
      expect(utf8Length(s), JSON.stringify(s)).toBe(expected.length);
      const target = new Uint8Array(expected.length + 8);
      const end = encodeUtf8Into(s, target, 3, target.length);
      expect(end).toBe(3 + expected.length);
      expect(target.subarray(3, end)).toEqual(expected);
      expect(decodeUtf8(target, 3, end)).toBe(new TextDecoder().decode(expected));
    }
  });

  it('decodes from a SharedArrayBuffer and replaces invalid sequences instead of throwing', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(64));
    shared.set(new TextEncoder().encode('shared ✓'), 10);
    expect(decodeUtf8(shared, 10, 10 + utf8Length('shared ✓'))).toBe('shared ✓');
    expect(decodeUtf8(new Uint8Array([0x61, 0xff, 0xc3]), 0, 3)).toBe('a\ufffd\ufffd');
  });
});

describe('DataOutputSerializer / DataInputDeserializer', () => {
  it('round-trips every primitive through a growing heap buffer', () => {
    const out = new DataOutputSerializer(1);
    writeAll(out);
    expect(out.isWindowed()).toBe(false);
    checkAll(new DataInputDeserializer(out.getCopyOfBuffer()));
  });

  it('writes int64 numbers as the two-complement bytes of the same BigInt, int32 or not', () => {
    const values = [0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 32];
    values.push(2 ** 32 + 5, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
    for (const value of values) {
      const asNumber = new DataOutputSerializer(8);
      asNumber.writeInt64Number(value);
      const asBigInt = new DataOutputSerializer(8);
      asBigInt.writeInt64(BigInt(value));
      expect(asNumber.getCopyOfBuffer()).toEqual(asBigInt.getCopyOfBuffer());
      expect(new DataInputDeserializer(asNumber.getCopyOfBuffer()).readInt64Number()).toBe(
        value === 0 ? 0 : value,
      );
    }
  });

  it('writes in place into a segment window when everything fits', () => {
    const segment = MemorySegment.allocateUnpooled(4096);
    const out = new DataOutputSerializer(16);
    out.wrapSegment(segment, 100, 4000);
    writeAll(out);
    expect(out.isWindowed()).toBe(true);
    const input = new DataInputDeserializer();
    input.setSegment(segment, 100, out.position());
    checkAll(input);
  });

  it('spills to the heap at any boundary and keeps every byte', () => {
    const reference = new DataOutputSerializer();
    writeAll(reference);
    const expected = reference.getCopyOfBuffer();
    const segment = MemorySegment.allocateUnpooled(expected.length + 64);
    for (let room = 0; room <= expected.length; room += 7) {
      const out = new DataOutputSerializer(8);
      out.wrapSegment(segment, 10, 10 + room);
      writeAll(out);
      expect(out.isWindowed(), `room ${room}`).toBe(room >= expected.length);
      expect(out.getCopyOfBuffer(), `room ${room}`).toEqual(expected);
    }
  });

  it('patches a length prefix in window and heap mode', () => {
    const segment = MemorySegment.allocateUnpooled(64);
    const out = new DataOutputSerializer(8);
    out.wrapSegment(segment, 4, 64);
    out.skipBytesToWrite(4);
    out.writeInt32(7);
    out.writeUint32At(0, 99);
    expect(segment.getUint32(4)).toBe(99);
    out.clear();
    out.skipBytesToWrite(4);
    out.writeString('abc');
    out.writeUint32At(0, out.length() - 4);
    expect(new DataView(out.getSharedBuffer().buffer).getUint32(0)).toBe(7);
  });

  it('refuses to grow beyond its maximum with SLUICE_ERR_TYPES_RECORD_TOO_LARGE', () => {
    const out = new DataOutputSerializer(8, 32, 'maxRecordSizeBytes');
    out.write(new Uint8Array(30));
    expect(() => out.writeInt32(1)).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_TYPES_RECORD_TOO_LARGE',
        message: expect.stringContaining('maxRecordSizeBytes'),
      }),
    );
    expect(() => new DataOutputSerializer(0)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }),
    );
  });

  it('every read past the end is SLUICE_ERR_TYPES_END_OF_INPUT, even for huge length prefixes', () => {
    const reads: Array<(input: DataInputView) => unknown> = [
      (i) => i.readInt8(),
      (i) => i.readUint8(),
      (i) => i.readInt16(),
      (i) => i.readUint16(),
      (i) => i.readInt32(),
      (i) => i.readUint32(),
      (i) => i.readInt64(),
      (i) => i.readInt64Number(),
      (i) => i.readFloat32(),
      (i) => i.readFloat64(),
      (i) => i.readBoolean(),
      (i) => i.readBytes(1),
      (i) => i.readFully(new Uint8Array(1)),
      (i) => i.readString(),
      (i) => i.skipBytesToRead(1),
    ];
    for (const read of reads) {
      expect(() => read(new DataInputDeserializer(new Uint8Array(0)))).toThrowError(
        expect.objectContaining({ code: 'SLUICE_ERR_TYPES_END_OF_INPUT' }),
      );
    }
    const hugeLength = new DataInputDeserializer(new Uint8Array([0xff, 0xff, 0xff, 0xf0, 0x61]));
    expect(() => hugeLength.readString()).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_END_OF_INPUT' }),
    );
    expect(() => new DataInputDeserializer(new Uint8Array([2])).readBoolean()).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_CORRUPT_DATA' }),
    );
  });

  it('reads a byte range of a segment without reading outside it', () => {
    const segment = MemorySegment.allocateUnpooled(32);
    segment.putInt32(8, 42);
    segment.putInt32(12, 43);
    const input = new DataInputDeserializer();
    input.setSegment(segment, 8, 12);
    expect(input.readInt32()).toBe(42);
    expect(() => input.readInt32()).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_END_OF_INPUT' }),
    );
  });
});

describe('SegmentChainInputView', () => {
  it('reads values straddling range boundaries at every split point', () => {
    const reference = new DataOutputSerializer();
    writeAll(reference);
    const bytes = reference.getCopyOfBuffer();
    const random = rng(7);
    for (let trial = 0; trial < 60; trial++) {
      const chain = new SegmentChainInputView();
      let offset = 0;
      while (offset < bytes.length) {
        const size = Math.min(bytes.length - offset, Math.floor(random() * 9)); // 0..8, empty ranges too
        const segment = MemorySegment.allocateUnpooled(size + 5);
        segment.put(3, bytes, offset, size);
        chain.addRange(segment, 3, 3 + size);
        offset += size;
      }
      expect(chain.available()).toBe(bytes.length);
      checkAll(chain);
      expect(() => chain.readUint8()).toThrowError(
        expect.objectContaining({ code: 'SLUICE_ERR_TYPES_END_OF_INPUT' }),
      );
    }
  });

  it('rejects ranges outside their segment', () => {
    const chain = new SegmentChainInputView();
    expect(() => chain.addRange(MemorySegment.allocateUnpooled(8), 4, 12)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_OUT_OF_BOUNDS' }),
    );
  });
});
