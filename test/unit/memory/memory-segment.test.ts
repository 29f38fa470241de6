import { describe, expect, it } from 'vitest';
import { MemorySegment } from '../../../src/memory/memory-segment.ts';

const OUT_OF_BOUNDS = expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_OUT_OF_BOUNDS' });

/** Two neighbouring 64-byte segments of one shared buffer. */
function neighbours(): [MemorySegment, MemorySegment, Uint8Array] {
  const memory = new SharedArrayBuffer(128);
  return [
    new MemorySegment(memory, 0, 64),
    new MemorySegment(memory, 64, 64),
    new Uint8Array(memory),
  ];
}

describe('MemorySegment', () => {
  it('is a window of its buffer, indexed from 0', () => {
    const [, second, all] = neighbours();
    expect(second.segmentIndex).toBe(1);
    expect(second.offset).toBe(64);
    second.putUint8(0, 7);
    expect(all[64]).toBe(7);
  });

  it('refuses a window that does not fit its buffer', () => {
    const memory = new SharedArrayBuffer(100);
    expect(() => new MemorySegment(memory, 64, 64)).toThrowError(OUT_OF_BOUNDS);
    expect(() => new MemorySegment(memory, -1, 10)).toThrowError(OUT_OF_BOUNDS);
    expect(() => new MemorySegment(memory, 0, 0)).toThrowError(OUT_OF_BOUNDS);
  });

  it('reads back every type it writes, big-endian', () => {
    const segment = MemorySegment.allocateUnpooled(64);
    segment.putInt32(0, 0x01020304);
    expect([...segment.bytes.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    segment.putInt8(4, -5);
    segment.putUint8(5, 250);
    segment.putInt16(6, -12345);
    segment.putUint32(8, 0xfffffffe);
    segment.putInt64(12, -(2n ** 62n) + 3n);
    segment.putFloat32(20, 1.5);
    segment.putFloat64(24, Math.PI);
    expect(segment.getInt32(0)).toBe(0x01020304);
    expect(segment.getInt8(4)).toBe(-5);
    expect(segment.getUint8(5)).toBe(250);
    expect(segment.getInt16(6)).toBe(-12345);
    expect(segment.getUint32(8)).toBe(0xfffffffe);
    expect(segment.getInt64(12)).toBe(-(2n ** 62n) + 3n);
    expect(segment.getFloat32(20)).toBe(1.5);
    expect(segment.getFloat64(24)).toBe(Math.PI);
  });

  it.each([0, 1, -1, 2 ** 32, -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])(
    'writes int64 %d without BigInt, readable as BigInt too',
    (value) => {
      const segment = MemorySegment.allocateUnpooled(16);
      segment.putInt64Number(8, value);
      expect(segment.getInt64Number(8)).toBe(value);
      expect(segment.getInt64(8)).toBe(BigInt(value));
    },
  );

  it('throws SLUICE_ERR_MEMORY_OUT_OF_BOUNDS for every access past the window', () => {
    const segment = MemorySegment.allocateUnpooled(16);
    expect(() => segment.getInt8(16)).toThrowError(OUT_OF_BOUNDS);
    expect(() => segment.putUint8(-1, 0)).toThrowError(OUT_OF_BOUNDS);
    expect(() => segment.getInt16(15)).toThrowError(OUT_OF_BOUNDS);
    expect(() => segment.putInt32(13, 0)).toThrowError(OUT_OF_BOUNDS);
    expect(() => segment.getInt64(9)).toThrowError(OUT_OF_BOUNDS);
    expect(() => segment.putInt64Number(9, 1)).toThrowError(OUT_OF_BOUNDS);
    expect(() => segment.getFloat64(Number.NaN)).toThrowError(OUT_OF_BOUNDS);
    expect(() => segment.put(10, new Uint8Array(7))).toThrowError(OUT_OF_BOUNDS);
    expect(() => segment.get(10, new Uint8Array(7))).toThrowError(OUT_OF_BOUNDS);
    expect(() => segment.fill(8, 9)).toThrowError(
      expect.objectContaining({ message: expect.stringContaining('access [8, 17)') }),
    );
  });

  it('never touches the neighbouring segment, even on a failed write', () => {
    const [first, second] = neighbours();
    second.fill(0, 64, 0xaa);
    first.putInt64Number(56, -1);
    first.putInt32(60, -1);
    expect(() => first.putInt32(61, 0)).toThrowError(OUT_OF_BOUNDS);
    expect(() => first.putInt64(57, 0n)).toThrowError(OUT_OF_BOUNDS);
    expect(() => first.put(60, new Uint8Array(8).fill(1))).toThrowError(OUT_OF_BOUNDS);
    expect(() => first.copyTo(0, second, 60, 8)).toThrowError(OUT_OF_BOUNDS);
    expect(() => first.fill(0, 65)).toThrowError(OUT_OF_BOUNDS);
    expect(second.bytes.every((b) => b === 0xaa)).toBe(true);
  });

  it('copies byte ranges in and out, between segments and within one (memmove)', () => {
    const [first, second] = neighbours();
    first.put(0, Uint8Array.of(1, 2, 3, 4, 5), 1, 3);
    expect([...first.bytes.subarray(0, 3)]).toEqual([2, 3, 4]);
    const out = new Uint8Array(5);
    first.get(0, out, 2, 3);
    expect([...out]).toEqual([0, 0, 2, 3, 4]);
    first.copyTo(0, second, 10, 3);
    expect([...second.bytes.subarray(10, 13)]).toEqual([2, 3, 4]);
    first.put(0, Uint8Array.of(1, 2, 3, 4, 5, 6));
    first.copyTo(0, first, 2, 4);
    expect([...first.bytes.subarray(0, 6)]).toEqual([1, 2, 1, 2, 3, 4]);
  });

  it('compares byte ranges as unsigned bytes, as serialized keys sort', () => {
    const a = MemorySegment.allocateUnpooled(8);
    const b = MemorySegment.allocateUnpooled(8);
    a.put(0, Uint8Array.of(1, 0x80, 3));
    b.put(4, Uint8Array.of(1, 0x7f, 9));
    expect(a.compare(b, 0, 4, 3)).toBeGreaterThan(0);
    expect(b.compare(a, 4, 0, 3)).toBeLessThan(0);
    expect(a.compare(b, 0, 4, 1)).toBe(0);
    expect(a.equalTo(b, 0, 4, 1)).toBe(true);
    expect(a.equalTo(b, 0, 4, 2)).toBe(false);
    expect(() => a.compare(b, 0, 6, 3)).toThrowError(OUT_OF_BOUNDS);
  });

  it('swaps byte ranges between segments through a scratch array', () => {
    const [first, second] = neighbours();
    first.put(0, Uint8Array.of(1, 2, 3, 4));
    second.put(8, Uint8Array.of(9, 8, 7, 6));
    first.swapBytes(new Uint8Array(4), second, 0, 8, 4);
    expect([...first.bytes.subarray(0, 4)]).toEqual([9, 8, 7, 6]);
    expect([...second.bytes.subarray(8, 12)]).toEqual([1, 2, 3, 4]);
    expect(() => first.swapBytes(new Uint8Array(2), second, 0, 8, 4)).toThrowError(OUT_OF_BOUNDS);
  });

  it('fills a range', () => {
    const segment = MemorySegment.allocateUnpooled(8);
    segment.fill(2, 3, 0xff);
    expect([...segment.bytes]).toEqual([0, 0, 255, 255, 255, 0, 0, 0]);
    segment.fill();
    expect(segment.bytes.every((b) => b === 0)).toBe(true);
  });
});
