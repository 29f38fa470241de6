import { describe, expect, it } from 'vitest';
import { MemorySegment } from '../../../../src/memory/memory-segment.ts';
import {
  FRAME_LENGTH_BYTES,
  SpanningRecordSerializer,
} from '../../../../src/network/serialization/spanning-record-serializer.ts';
import { JsonSerializer } from '../../../../src/types/json-serializer.ts';
import { RowSerializer } from '../../../../src/types/row-serializer.ts';
import { EndOfPartition, StreamRecord, Watermark } from '../../../../src/types/stream-element.ts';
import { StreamElementSerializer } from '../../../../src/types/stream-element-serializer.ts';

const fixedRow = RowSerializer.of([
  { name: 'key', type: 'int64' },
  { name: 'value', type: 'int64' },
]);
const textRow = RowSerializer.of([
  { name: 'id', type: 'int32' },
  { name: 'text', type: 'string' },
]);

/** Concatenates the committed bytes of several segment ranges. */
function concat(parts: Array<[MemorySegment, number, number]>): Uint8Array {
  const total = parts.reduce((n, [, s, e]) => n + e - s, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const [segment, start, end] of parts) {
    out.set(segment.bytes.subarray(start, end), at);
    at += end - start;
  }
  return out;
}

describe('SpanningRecordSerializer', () => {
  it('writes small frames in place, byte-identical to serializeFrame, for fixed and variable rows', () => {
    for (const rowSerializer of [fixedRow, textRow] as const) {
      const elementSerializer = new StreamElementSerializer(rowSerializer as RowSerializer<object>);
      const writer = new SpanningRecordSerializer(elementSerializer);
      const reference = new SpanningRecordSerializer(elementSerializer);
      const segment = MemorySegment.allocateUnpooled(1024);
      const value = rowSerializer === fixedRow ? { key: 5, value: -6 } : { id: 1, text: 'héllo' };
      const elements = [
        new StreamRecord(value, 99),
        new StreamRecord(value),
        new Watermark(100),
        EndOfPartition.INSTANCE,
      ];
      let pos = 10;
      const expected: number[] = [];
      for (const element of elements) {
        pos = writer.serializeToSegment(element, segment, pos, 1024);
        expect(writer.hasPendingData()).toBe(false);
        expected.push(...reference.serializeFrame(element));
      }
      expect([...segment.bytes.subarray(10, pos)]).toEqual(expected);
      const frame = reference.serializeFrame(new StreamRecord(value, 1));
      expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0)).toBe(
        frame.length - FRAME_LENGTH_BYTES,
      );
    }
  });

  it('splits a frame that does not fit over as many segments as needed', () => {
    const writer = new SpanningRecordSerializer(new StreamElementSerializer(textRow));
    const reference = new SpanningRecordSerializer(new StreamElementSerializer(textRow));
    const record = new StreamRecord({ id: 7, text: 'ü'.repeat(50_000) }, 3);
    const expected = reference.serializeFrame(record).slice();
    const parts: Array<[MemorySegment, number, number]> = [];
    let segment = MemorySegment.allocateUnpooled(4096);
    let pos = writer.serializeToSegment(record, segment, 4000, 4096);
    expect(pos).toBe(4096);
    parts.push([segment, 4000, pos]);
    while (writer.hasPendingData()) {
      const before = writer.pendingBytes();
      segment = MemorySegment.allocateUnpooled(4096);
      pos = writer.copyPendingToSegment(segment, 0, 4096);
      expect(writer.pendingBytes()).toBe(before - pos);
      parts.push([segment, 0, pos]);
    }
    expect(parts.length).toBe(Math.ceil((expected.length - 96) / 4096) + 1);
    expect(concat(parts)).toEqual(expected);
  });

  it('a frame written at a full segment, or with only part of its length prefix fitting, is pending entirely or partly', () => {
    const writer = new SpanningRecordSerializer(new StreamElementSerializer(fixedRow));
    const segment = MemorySegment.allocateUnpooled(64);
    const record = new StreamRecord({ key: 1, value: 2 }, 3);
    expect(writer.serializeToSegment(record, segment, 64, 64)).toBe(64);
    expect(writer.pendingBytes()).toBe(4 + 25);
    expect(writer.copyPendingToSegment(segment, 0, 64)).toBe(29);
    expect(writer.serializeToSegment(record, segment, 62, 64)).toBe(64);
    expect(writer.pendingBytes()).toBe(27);
  });

  it('refuses a new element while a frame is pending (SLUICE_ERR_INTERNAL)', () => {
    const writer = new SpanningRecordSerializer(new StreamElementSerializer(fixedRow));
    const segment = MemorySegment.allocateUnpooled(64);
    writer.serializeToSegment(new StreamRecord({ key: 1, value: 2 }), segment, 60, 64);
    expect(() => writer.serializeToSegment(new Watermark(1), segment, 0, 64)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_INTERNAL' }),
    );
    writer.clear();
    expect(writer.hasPendingData()).toBe(false);
  });

  it('a record that fails validation or is too large leaves nothing pending', () => {
    const writer = new SpanningRecordSerializer(
      new StreamElementSerializer(JsonSerializer.INSTANCE),
      {
        maxRecordSizeBytes: 100,
      },
    );
    const segment = MemorySegment.allocateUnpooled(64);
    expect(() => writer.serializeToSegment(new StreamRecord(10n), segment, 0, 64)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_TYPES_VALUE_MISMATCH' }),
    );
    expect(writer.hasPendingData()).toBe(false);
    expect(() =>
      writer.serializeToSegment(new StreamRecord('x'.repeat(200)), segment, 0, 64),
    ).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_TYPES_RECORD_TOO_LARGE',
        message: expect.stringContaining('maxRecordSizeBytes'),
      }),
    );
    expect(writer.hasPendingData()).toBe(false);
    // 100-byte frames are still fine: 1 tag + 4 length + 95 bytes of JSON text
    const ok = new StreamRecord('y'.repeat(93));
    expect(writer.serializeToSegment(ok, segment, 0, 64)).toBe(64);
    expect(writer.pendingBytes()).toBe(4 + 100 - 64);
  });

  it('enforces maxRecordSizeBytes on the fixed-length fast path too', () => {
    const writer = new SpanningRecordSerializer(new StreamElementSerializer(fixedRow), {
      maxRecordSizeBytes: 20,
    });
    const segment = MemorySegment.allocateUnpooled(64);
    expect(() =>
      writer.serializeToSegment(new StreamRecord({ key: 1, value: 2 }, 3), segment, 0, 64),
    ).toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_TYPES_RECORD_TOO_LARGE' }));
    expect(writer.serializeToSegment(new StreamRecord({ key: 1, value: 2 }), segment, 0, 64)).toBe(
      21,
    );
  });

  it('checks the target range and its options', () => {
    const writer = new SpanningRecordSerializer(new StreamElementSerializer(fixedRow));
    const segment = MemorySegment.allocateUnpooled(64);
    for (const [position, limit] of [
      [-1, 10],
      [10, 65],
      [20, 10],
    ] as const) {
      expect(() =>
        writer.serializeToSegment(Watermark.MAX_WATERMARK, segment, position, limit),
      ).toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_OUT_OF_BOUNDS' }));
    }
    expect(
      () =>
        new SpanningRecordSerializer(new StreamElementSerializer(fixedRow), {
          maxRecordSizeBytes: 1,
        }),
    ).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_CONFIG_INVALID',
        message: expect.stringContaining('maxRecordSizeBytes'),
      }),
    );
    expect(
      () =>
        new SpanningRecordSerializer(new StreamElementSerializer(fixedRow), { nope: 1 } as never),
    ).toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }));
  });
});
