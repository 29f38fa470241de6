import { describe, expect, it } from 'vitest';
import { MemorySegment } from '../../../src/memory/memory-segment.ts';
import { DataInputDeserializer } from '../../../src/types/data-input-deserializer.ts';
import { DataOutputSerializer } from '../../../src/types/data-output-serializer.ts';
import { JsonSerializer } from '../../../src/types/json-serializer.ts';
import { restoreSerializer } from '../../../src/types/restore-serializer.ts';
import { RowSerializer } from '../../../src/types/row-serializer.ts';
import {
  CheckpointBarrier,
  EndOfPartition,
  LatencyMarker,
  type StreamElement,
  StreamElementKind,
  StreamRecord,
  Watermark,
  WatermarkStatus,
} from '../../../src/types/stream-element.ts';
import {
  StreamElementSerializer,
  StreamElementTag,
} from '../../../src/types/stream-element-serializer.ts';

const row = RowSerializer.of([
  { name: 'key', type: 'int64' },
  { name: 'value', type: 'float64' },
]);
type Pair = { key: number; value: number };
const serializer = new StreamElementSerializer(row);

function bytesOf<T>(s: StreamElementSerializer<T>, element: StreamElement<T>): Uint8Array {
  const out = new DataOutputSerializer();
  s.serialize(element, out);
  return out.getCopyOfBuffer();
}

const ELEMENTS: StreamElement<Pair>[] = [
  new StreamRecord({ key: 1, value: 2.5 }, 1_700_000_000_123),
  new StreamRecord({ key: -7, value: Number.NaN }),
  new Watermark(1_700_000_000_000),
  Watermark.MAX_WATERMARK,
  Watermark.UNINITIALIZED,
  WatermarkStatus.IDLE,
  WatermarkStatus.ACTIVE,
  new CheckpointBarrier(17, 1_700_000_000_999),
  EndOfPartition.INSTANCE,
  new LatencyMarker(1_700_000_000_001, 'vertex-é-1', 3),
];

describe('StreamElementSerializer', () => {
  it('round-trips every element kind through the fresh and the reuse path', () => {
    const holder = serializer.createInstance();
    for (const element of ELEMENTS) {
      const bytes = bytesOf(serializer, element);
      const fresh = serializer.deserialize(new DataInputDeserializer(bytes));
      expect(fresh).toEqual(element);
      const input = new DataInputDeserializer(bytes);
      const reused = serializer.deserializeWithReuse(holder, input);
      expect(reused).toEqual(element);
      expect(input.available()).toBe(0);
      if (element.kind === StreamElementKind.RECORD) expect(reused).toBe(holder);
    }
  });

  it('uses the documented tags and layout', () => {
    const withTs = bytesOf(serializer, new StreamRecord({ key: 1, value: 0 }, 5));
    expect(withTs[0]).toBe(StreamElementTag.RECORD_WITH_TIMESTAMP);
    expect(withTs.length).toBe(1 + 8 + 16);
    expect(new DataView(withTs.buffer).getFloat64(1)).toBe(5);
    expect(bytesOf(serializer, new StreamRecord({ key: 1, value: 0 }))[0]).toBe(1);
    expect([...bytesOf(serializer, EndOfPartition.INSTANCE)]).toEqual([6]);
    expect([...bytesOf(serializer, WatermarkStatus.IDLE)]).toEqual([4, 1]);
    const barrier = bytesOf(serializer, new CheckpointBarrier(2 ** 40, 9));
    expect(barrier[0]).toBe(5);
    expect(new DataView(barrier.buffer).getBigInt64(1)).toBe(2n ** 40n);
  });

  it('fixed-length records: the constant-offset paths write and read the same bytes', () => {
    const segment = MemorySegment.allocateUnpooled(128);
    const holder = serializer.createInstance();
    for (const record of [
      new StreamRecord({ key: 2 ** 50, value: -0.25 }, -12),
      new StreamRecord({ key: -3, value: 1e300 }),
    ]) {
      const n = serializer.tryWriteRecordFixed(record, segment.view, 10, 128);
      const expected = bytesOf(serializer, record);
      expect(n).toBe(expected.length);
      expect(segment.bytes.slice(10, 10 + n)).toEqual(expected);
      for (const reuse of [true, false]) {
        expect(serializer.tryReadRecordFixed(segment.view, 10, n, holder, reuse)).toBe(true);
        expect(holder).toEqual(record);
      }
      // does not fit → nothing written, -1
      expect(serializer.tryWriteRecordFixed(record, segment.view, 128 - n + 1, 128)).toBe(-1);
      // wrong length → not taken
      expect(serializer.tryReadRecordFixed(segment.view, 10, n + 1, holder, true)).toBe(false);
    }
    const json = new StreamElementSerializer(JsonSerializer.INSTANCE);
    expect(json.tryWriteRecordFixed(new StreamRecord({ a: 1 }), segment.view, 0, 128)).toBe(-1);
  });

  it('unknown tags and truncated payloads are coded errors', () => {
    expect(() =>
      serializer.deserialize(new DataInputDeserializer(new Uint8Array([9]))),
    ).toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_TYPES_CORRUPT_DATA' }));
    for (const element of ELEMENTS) {
      const bytes = bytesOf(serializer, element);
      for (let cut = 0; cut < bytes.length; cut++) {
        expect(() => serializer.deserialize(new DataInputDeserializer(bytes, 0, cut))).toThrowError(
          expect.objectContaining({ code: 'SLUICE_ERR_TYPES_END_OF_INPUT' }),
        );
      }
    }
    expect(() =>
      serializer.serialize(new CheckpointBarrier(1.5, 0), new DataOutputSerializer()),
    ).toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_TYPES_VALUE_MISMATCH' }));
    expect(() =>
      serializer.serialize(
        { kind: 99 } as unknown as StreamElement<Pair>,
        new DataOutputSerializer(),
      ),
    ).toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_TYPES_VALUE_MISMATCH' }));
  });

  it('copies records deeply, shares immutable control elements, and restores from its descriptor', () => {
    const record = new StreamRecord({ key: 1, value: 2 }, 3);
    const copy = serializer.copy(record) as StreamRecord<Pair>;
    expect(copy).toEqual(record);
    expect(copy.value).not.toBe(record.value);
    expect(serializer.copy(Watermark.MAX_WATERMARK)).toBe(Watermark.MAX_WATERMARK);
    const restored = restoreSerializer<StreamElement<Pair>>(
      JSON.parse(JSON.stringify(serializer.snapshotConfiguration())),
    );
    for (const element of ELEMENTS)
      expect(bytesOf(restored as never, element)).toEqual(bytesOf(serializer, element));
  });

  it('StreamRecord holders are mutable and reusable', () => {
    const r = new StreamRecord('a');
    expect(r.hasTimestamp).toBe(false);
    expect(r.timestamp).toBe(Number.NEGATIVE_INFINITY);
    r.replace('b', 10);
    expect([r.value, r.timestamp, r.hasTimestamp]).toEqual(['b', 10, true]);
    r.eraseTimestamp();
    expect(r.hasTimestamp).toBe(false);
    r.setTimestamp(4);
    expect(r.replace('c')).toBe(r);
    expect(r.hasTimestamp).toBe(false);
  });
});
