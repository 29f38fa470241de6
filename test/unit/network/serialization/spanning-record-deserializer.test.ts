import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../../../src/errors.ts';
import { MemorySegment } from '../../../../src/memory/memory-segment.ts';
import { DeserializationDelegate } from '../../../../src/network/serialization/deserialization-delegate.ts';
import {
  DeserializationResult,
  type DeserializationTarget,
  SpanningRecordDeserializer,
} from '../../../../src/network/serialization/spanning-record-deserializer.ts';
import { SpanningRecordSerializer } from '../../../../src/network/serialization/spanning-record-serializer.ts';
import { RowSerializer } from '../../../../src/types/row-serializer.ts';
import {
  CheckpointBarrier,
  EndOfPartition,
  LatencyMarker,
  type StreamElement,
  StreamElementKind,
  StreamRecord,
  Watermark,
  WatermarkStatus,
} from '../../../../src/types/stream-element.ts';
import { StreamElementSerializer } from '../../../../src/types/stream-element-serializer.ts';

const SEGMENT_SIZE = 32 * 1024;
const FRAMING_RECORDS = Number(process.env.SLUICE_FRAMING_RECORDS ?? 1_000_000);

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

type Payload = { seq: number; payload: Uint8Array; note: string | null };
const payloadRow = RowSerializer.of([
  { name: 'seq', type: 'int64' },
  { name: 'payload', type: 'bytes' },
  { name: 'note', type: 'string', nullable: true },
]);
const payloadSerializer = new StreamElementSerializer(payloadRow);

/** Size of record `seq`'s payload: mostly small, some medium, 1 in 2000 larger than a segment. */
function payloadSize(random: () => number): number {
  const r = random();
  if (r < 0.0005) return SEGMENT_SIZE + Math.floor(random() * 3 * SEGMENT_SIZE);
  if (r < 0.02) return Math.floor(random() * 5000);
  return Math.floor(random() * 40);
}

function fillPayload(seq: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (seq * 31 + i) & 255;
  return bytes;
}

function payloadMatches(seq: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== ((seq * 31 + i) & 255)) return false;
  return true;
}

/** Feeds one buffer and collects every element until it is consumed. */
function drain<T>(
  deserializer: SpanningRecordDeserializer,
  delegate: DeserializationDelegate<T>,
  segment: MemorySegment,
  start: number,
  end: number,
  onElement: (element: StreamElement<T>) => void,
): void {
  deserializer.setNextBuffer(segment, start, end);
  for (;;) {
    const result = deserializer.getNextRecord(delegate);
    if (result.isFullRecord) onElement(delegate.element!);
    if (result.isBufferConsumed) return;
  }
}

/** Writes elements as a stream and returns its bytes as one array (for splitting tests). */
function streamBytes<T>(
  serializer: StreamElementSerializer<T>,
  elements: StreamElement<T>[],
): Uint8Array {
  const writer = new SpanningRecordSerializer(serializer);
  const chunks: Uint8Array[] = [];
  for (const element of elements) chunks.push(writer.serializeFrame(element).slice());
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Splits `bytes` into random buffers (1 … maxChunk bytes) on fresh segments. */
function* randomBuffers(
  bytes: Uint8Array,
  random: () => number,
  maxChunk: number,
): Generator<[MemorySegment, number, number]> {
  let at = 0;
  while (at < bytes.length) {
    const size = Math.min(bytes.length - at, 1 + Math.floor(random() * maxChunk));
    const offset = Math.floor(random() * 8);
    const segment = MemorySegment.allocateUnpooled(offset + size + 8);
    segment.fill(0, segment.size, 0xab);
    segment.put(offset, bytes, at, size);
    yield [segment, offset, offset + size];
    at += size;
  }
}

const ALLOWED_CODES = new Set([
  'SLUICE_ERR_NETWORK_CORRUPT_STREAM',
  'SLUICE_ERR_NETWORK_TRUNCATED_STREAM',
]);

/**
 * Feeds `buffers` to a fresh deserializer and returns the elements read and the coded
 * error that ended the stream, if any. Any other exception fails the test.
 */
function feed<T>(
  serializer: StreamElementSerializer<T>,
  buffers: Iterable<[MemorySegment, number, number]>,
  maxRecordSizeBytes?: number,
): { elements: StreamElement<T>[]; error: SluiceError | null } {
  const deserializer = new SpanningRecordDeserializer(
    maxRecordSizeBytes === undefined ? undefined : { maxRecordSizeBytes },
  );
  const delegate = new DeserializationDelegate(serializer);
  const elements: StreamElement<T>[] = [];
  try {
    for (const [segment, start, end] of buffers) {
      drain(deserializer, delegate, segment, start, end, (e) => elements.push(serializer.copy(e)));
    }
    deserializer.finish();
    return { elements, error: null };
  } catch (error) {
    if (!(error instanceof SluiceError) || !ALLOWED_CODES.has(error.code)) throw error;
    // the failure is sticky: the channel cannot be read past it
    expect(() => deserializer.getNextRecord(delegate)).toThrow(error);
    return { elements, error };
  }
}

describe('SpanningRecordDeserializer', () => {
  it(`frames ${FRAMING_RECORDS} random-sized records (some > 32 KiB) over 32 KiB segments flushed at random points: no loss, duplication or reordering`, () => {
    const random = rng(2024);
    const writer = new SpanningRecordSerializer(payloadSerializer);
    const deserializer = new SpanningRecordDeserializer();
    const delegate = new DeserializationDelegate(payloadSerializer, true);
    // A ring of 3 shared segments; a recycled segment is scribbled on before reuse so
    // that a deserializer reading a buffer after it was consumed would see garbage.
    const memory = new SharedArrayBuffer(3 * SEGMENT_SIZE);
    const ring = [0, 1, 2].map((i) => new MemorySegment(memory, i * SEGMENT_SIZE, SEGMENT_SIZE, i));
    let ringIndex = 0;
    let segment = ring[0]!;
    let start = 0;
    let pos = 0;

    const expectedSeq: number[] = [];
    const expectedSize: number[] = [];
    let expectedControl = 0;
    let readIndex = 0;
    let readRecords = 0;
    let readControl = 0;
    let spanning = 0;
    let largest = 0;

    const onElement = (element: StreamElement<Payload>) => {
      if (element.kind === StreamElementKind.RECORD) {
        const value = element.value;
        const seq = expectedSeq[readIndex]!;
        if (value.seq !== seq || value.payload.length !== expectedSize[readIndex]) {
          throw new Error(`record ${readIndex}: expected seq ${seq}, got ${value.seq}`);
        }
        if (!payloadMatches(seq, value.payload)) throw new Error(`payload of ${seq} corrupted`);
        if (value.note !== (seq % 7 === 0 ? null : `n${seq}`)) throw new Error(`note of ${seq}`);
        if (element.timestamp !== seq * 10) throw new Error(`timestamp of ${seq}`);
        readIndex++;
        readRecords++;
      } else {
        if (element.kind !== StreamElementKind.WATERMARK || element.timestamp !== readControl) {
          throw new Error(`control element ${readControl} out of place`);
        }
        readControl++;
      }
    };
    const flush = () => {
      if (pos > start) drain(deserializer, delegate, segment, start, pos, onElement);
      if (pos === SEGMENT_SIZE) {
        ringIndex = (ringIndex + 1) % ring.length;
        segment = ring[ringIndex]!;
        segment.fill(0, SEGMENT_SIZE, 0xab);
        pos = 0;
      }
      start = pos;
    };

    const record = new StreamRecord<Payload>({ seq: 0, payload: new Uint8Array(0), note: null }, 0);
    for (let seq = 0; seq < FRAMING_RECORDS; seq++) {
      const size = payloadSize(random);
      largest = Math.max(largest, size);
      record.value = {
        seq,
        payload: fillPayload(seq, size),
        note: seq % 7 === 0 ? null : `n${seq}`,
      };
      record.timestamp = seq * 10;
      expectedSeq.push(seq);
      expectedSize.push(size);
      pos = writer.serializeToSegment(record, segment, pos, SEGMENT_SIZE);
      if (writer.hasPendingData()) spanning++;
      while (writer.hasPendingData() || pos === SEGMENT_SIZE) {
        flush();
        if (writer.hasPendingData()) pos = writer.copyPendingToSegment(segment, pos, SEGMENT_SIZE);
      }
      if (random() < 0.001) {
        pos = writer.serializeToSegment(
          new Watermark(expectedControl++),
          segment,
          pos,
          SEGMENT_SIZE,
        );
        while (writer.hasPendingData() || pos === SEGMENT_SIZE) {
          flush();
          if (writer.hasPendingData())
            pos = writer.copyPendingToSegment(segment, pos, SEGMENT_SIZE);
        }
      }
      if (random() < 0.01) flush(); // buffer timeout: ship a partly filled buffer
      if (readIndex > 10_000) {
        expectedSeq.splice(0, readIndex);
        expectedSize.splice(0, readIndex);
        readIndex = 0;
      }
    }
    flush();
    deserializer.finish();
    expect(readRecords).toBe(FRAMING_RECORDS);
    expect(readIndex).toBe(expectedSeq.length);
    expect(readControl).toBe(expectedControl);
    expect(largest).toBeGreaterThan(SEGMENT_SIZE);
    expect(spanning).toBeGreaterThan(1000);
  });

  it('reads the same stream split at arbitrary byte boundaries, length prefixes split too', () => {
    const random = rng(99);
    const elements: StreamElement<Payload>[] = [];
    for (let seq = 0; seq < 3000; seq++) {
      elements.push(
        new StreamRecord(
          { seq, payload: fillPayload(seq, payloadSize(random)), note: seq % 2 ? 'ü' : null },
          seq,
        ),
      );
      if (seq % 100 === 0) elements.push(new CheckpointBarrier(seq, seq + 1));
      if (seq % 333 === 0) elements.push(new LatencyMarker(seq, `v${seq}`, seq % 4));
      if (seq % 500 === 0) elements.push(WatermarkStatus.IDLE);
    }
    elements.push(EndOfPartition.INSTANCE);
    const bytes = streamBytes(payloadSerializer, elements);
    for (const maxChunk of [3, 17, 1000, 40_000]) {
      const { elements: read, error } = feed(
        payloadSerializer,
        randomBuffers(bytes, random, maxChunk),
      );
      expect(error).toBeNull();
      expect(read).toEqual(elements);
    }
  });

  it('reports results as Flink does: intermediate, last, partial', () => {
    const serializer = new StreamElementSerializer(
      RowSerializer.of([{ name: 'x', type: 'int32' }]),
    );
    const bytes = streamBytes(serializer, [new Watermark(1), new Watermark(2), new Watermark(3)]);
    const frame = bytes.length / 3;
    const deserializer = new SpanningRecordDeserializer();
    const delegate = new DeserializationDelegate(serializer);
    const segment = MemorySegment.allocateUnpooled(bytes.length);
    segment.put(0, bytes);
    deserializer.setNextBuffer(segment, 0, frame + 2);
    expect(deserializer.getNextRecord(delegate)).toBe(
      DeserializationResult.INTERMEDIATE_RECORD_FROM_BUFFER,
    );
    expect(deserializer.getNextRecord(delegate)).toBe(DeserializationResult.PARTIAL_RECORD);
    expect(deserializer.hasUnfinishedData()).toBe(true);
    deserializer.setNextBuffer(segment, frame + 2, 2 * frame);
    expect(deserializer.getNextRecord(delegate)).toBe(
      DeserializationResult.LAST_RECORD_FROM_BUFFER,
    );
    expect(delegate.element).toEqual(new Watermark(2));
    deserializer.setNextBuffer(segment, 2 * frame, 3 * frame);
    expect(deserializer.getNextRecord(delegate)).toBe(
      DeserializationResult.LAST_RECORD_FROM_BUFFER,
    );
    expect(deserializer.hasUnfinishedData()).toBe(false);
    deserializer.setNextBuffer(segment, 0, 0);
    expect(deserializer.getNextRecord(delegate)).toBe(DeserializationResult.PARTIAL_RECORD);
    deserializer.finish();
  });

  it('object reuse hands out the same holder and value; without it, fresh values', () => {
    const serializer = new StreamElementSerializer(
      RowSerializer.of([
        { name: 'a', type: 'int64' },
        { name: 'b', type: 'int64' },
      ]),
    );
    const bytes = streamBytes(serializer, [
      new StreamRecord({ a: 1, b: 2 }, 5),
      new StreamRecord({ a: 3, b: 4 }),
    ]);
    const segment = MemorySegment.allocateUnpooled(bytes.length);
    segment.put(0, bytes);
    for (const reuse of [true, false]) {
      const deserializer = new SpanningRecordDeserializer();
      const delegate = new DeserializationDelegate(serializer, reuse);
      deserializer.setNextBuffer(segment, 0, bytes.length);
      deserializer.getNextRecord(delegate);
      const first = delegate.element as StreamRecord<{ a: number; b: number }>;
      const firstValue = first.value;
      expect(firstValue).toEqual({ a: 1, b: 2 });
      deserializer.getNextRecord(delegate);
      const second = delegate.element as StreamRecord<{ a: number; b: number }>;
      expect(second).toBe(first);
      expect(second.value).toEqual({ a: 3, b: 4 });
      expect(second.hasTimestamp).toBe(false);
      expect(second.value === firstValue).toBe(reuse);
    }
  });

  it('a frame length of 0 or above the maximum is corrupt, before any allocation, in place or spanning', () => {
    for (const [prefix, split] of [
      [[0, 0, 0, 0, 1], 5],
      [[0xff, 0xff, 0xff, 0xff, 1, 2], 6],
      [[0x01, 0x00, 0x00, 0x01, 0], 2], // 16 MiB + 1 > default max, length split over buffers
    ] as const) {
      const bytes = Uint8Array.from(prefix);
      const segment = MemorySegment.allocateUnpooled(bytes.length);
      segment.put(0, bytes);
      const buffers: Array<[MemorySegment, number, number]> = [
        [segment, 0, split],
        [segment, split, bytes.length],
      ];
      const { error } = feed(
        payloadSerializer,
        buffers.filter(([, s, e]) => e > s),
      );
      expect(error?.code).toBe('SLUICE_ERR_NETWORK_CORRUPT_STREAM');
      expect(error?.message).toMatch(/frame length \d+ at stream offset 0/);
    }
  });

  it('an unknown tag, a payload that ends early and one that leaves bytes are corrupt, naming tag and offset', () => {
    const cases: Array<[number[], RegExp]> = [
      [[0, 0, 0, 1, 9], /tag 9.*unknown stream element tag 9/],
      [[0, 0, 0, 2, 2, 1], /tag 2.*end of input/], // watermark needs 8 bytes
      [[0, 0, 0, 10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 7], /leaves 1 of 10 bytes unread/],
    ];
    for (const [bytes, message] of cases) {
      const segment = MemorySegment.allocateUnpooled(bytes.length);
      segment.put(0, Uint8Array.from(bytes));
      const { error } = feed(payloadSerializer, [[segment, 0, bytes.length]]);
      expect(error?.code).toBe('SLUICE_ERR_NETWORK_CORRUPT_STREAM');
      expect(error?.message).toMatch(message);
      expect(error?.cause).toBeDefined();
    }
  });

  it('end of input in the middle of a frame is SLUICE_ERR_NETWORK_TRUNCATED_STREAM; every complete frame before it is delivered', () => {
    const random = rng(5);
    const elements: StreamElement<Payload>[] = [];
    for (let seq = 0; seq < 40; seq++) {
      elements.push(
        new StreamRecord({
          seq,
          payload: fillPayload(seq, Math.floor(random() * 300)),
          note: null,
        }),
      );
    }
    const bytes = streamBytes(payloadSerializer, elements);
    const boundaries = new Set<number>([0]);
    for (let i = 0, at = 0; i < elements.length; i++) {
      at += new DataView(bytes.buffer).getUint32(at) + 4;
      boundaries.add(at);
    }
    for (let cut = 0; cut <= bytes.length; cut += 1 + Math.floor(random() * 7)) {
      const { elements: read, error } = feed(
        payloadSerializer,
        randomBuffers(bytes.subarray(0, cut), random, 64),
      );
      if (boundaries.has(cut)) {
        expect(error).toBeNull();
      } else {
        expect(error?.code).toBe('SLUICE_ERR_NETWORK_TRUNCATED_STREAM');
        expect(error?.message).toMatch(/stream ended in the middle of a frame/);
      }
      expect(read).toEqual(elements.slice(0, read.length));
      expect(read.length).toBe([...boundaries].filter((b) => b > 0 && b <= cut).length);
    }
  });

  it('fuzz: random bytes end in a coded error or in elements, never in another exception or a hang', () => {
    const random = rng(77);
    let errors = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const buffers: Array<[MemorySegment, number, number]> = [];
      const count = 1 + Math.floor(random() * 6);
      for (let b = 0; b < count; b++) {
        const size = Math.floor(random() * 120);
        const segment = MemorySegment.allocateUnpooled(size + 1);
        for (let i = 0; i < size; i++) segment.bytes[i] = Math.floor(random() * 256);
        if (b === 0 && size >= 5 && random() < 0.7) {
          // plausible frame header: small length, a valid or nearly valid tag
          segment.putUint32(0, Math.floor(random() * 60));
          segment.putUint8(4, Math.floor(random() * 9));
        }
        buffers.push([segment, 0, size]);
      }
      const { error } = feed(payloadSerializer, buffers, random() < 0.5 ? 4096 : undefined);
      if (error !== null) errors++;
    }
    expect(errors).toBeGreaterThan(2000);
  });

  it('fuzz: bit flips of a valid stream end in a coded error or in elements', () => {
    const random = rng(31);
    const elements: StreamElement<Payload>[] = [];
    for (let seq = 0; seq < 30; seq++) {
      elements.push(
        new StreamRecord(
          { seq, payload: fillPayload(seq, Math.floor(random() * 50)), note: seq % 2 ? 'x' : null },
          seq,
        ),
      );
      if (seq % 10 === 0)
        elements.push(new LatencyMarker(1, 'v', 2), new CheckpointBarrier(seq, 0));
    }
    const bytes = streamBytes(payloadSerializer, elements);
    let survived = 0;
    for (let trial = 0; trial < 1500; trial++) {
      const flipped = bytes.slice();
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) {
        const bit = Math.floor(random() * flipped.length * 8);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
      }
      const { error } = feed(payloadSerializer, randomBuffers(flipped, random, 200), 1 << 20);
      if (error === null) survived++;
    }
    expect(survived).toBeLessThan(1500);
  });

  it('fails the channel for good after an error; misuse of the buffer protocol is SLUICE_ERR_INTERNAL', () => {
    const deserializer = new SpanningRecordDeserializer();
    const target: DeserializationTarget = {
      readFrame() {
        throw new TypeError('boom');
      },
    };
    const segment = MemorySegment.allocateUnpooled(16);
    segment.putUint32(0, 1);
    segment.putUint32(5, 1);
    deserializer.setNextBuffer(segment, 0, 10);
    let error: SluiceError | undefined;
    try {
      deserializer.getNextRecord(target);
    } catch (e) {
      error = e as SluiceError;
    }
    expect(error).toBeInstanceOf(SluiceError);
    const failure = error as SluiceError;
    expect(failure.code).toBe('SLUICE_ERR_NETWORK_CORRUPT_STREAM');
    expect((failure.cause as Error).message).toBe('boom');
    expect(() => deserializer.getNextRecord(target)).toThrow(failure);
    expect(() => deserializer.setNextBuffer(segment, 0, 5)).toThrow(failure);
    expect(() => deserializer.finish()).toThrow(failure);
    deserializer.clear();

    const ok: DeserializationTarget = { readFrame() {} };
    deserializer.setNextBuffer(segment, 0, 10);
    expect(deserializer.getNextRecord(ok)).toBe(
      DeserializationResult.INTERMEDIATE_RECORD_FROM_BUFFER,
    );
    expect(() => deserializer.setNextBuffer(segment, 0, 5)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_INTERNAL' }),
    );
    expect(() => deserializer.finish()).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_INTERNAL' }),
    );
    expect(() => new SpanningRecordDeserializer().setNextBuffer(segment, 10, 20)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_OUT_OF_BOUNDS' }),
    );
  });
});
