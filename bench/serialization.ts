/**
 * Micro-benchmark of record serialization into 32 KiB shared segments and back.
 *
 * Workload: records `{key: int64, value: int64}` with an event timestamp, the row of
 * the exchange performance target (29-byte frames). Each figure is compared with a
 * hand-written baseline measured in the same run:
 *
 * - write: `SpanningRecordSerializer` + `StreamElementSerializer` + `RowSerializer`
 *   vs raw `DataView` writes of the same frame bytes (`[u32 len][u8 tag][f64 ts][i64][i64]`);
 * - read: `SpanningRecordDeserializer` + `DeserializationDelegate` (with and without
 *   object reuse) vs raw `DataView` reads into a reused object;
 * - key groups: `assignKeyToParallelOperator` per record (number and string keys), as
 *   the key-group channel selector will call it.
 *
 * Variants are interleaved round by round and the best round of each is kept, so that
 * load from other processes on the machine hits them alike; compare the ratios.
 *
 * Prints one JSON line. Run: `node bench/serialization.ts` (about 10 s).
 */
import { MemorySegment } from '../src/memory/memory-segment.ts';
import { DeserializationDelegate } from '../src/network/serialization/deserialization-delegate.ts';
import { SpanningRecordDeserializer } from '../src/network/serialization/spanning-record-deserializer.ts';
import { SpanningRecordSerializer } from '../src/network/serialization/spanning-record-serializer.ts';
import { assignKeyToParallelOperator } from '../src/types/key-group-range-assignment.ts';
import { RowSerializer } from '../src/types/row-serializer.ts';
import { StreamRecord } from '../src/types/stream-element.ts';
import { StreamElementSerializer } from '../src/types/stream-element-serializer.ts';

const SEGMENT_SIZE = 32 * 1024;
const SEGMENTS = 64;
/** Records per pass: one pass writes one stream from segment 0 and fits in SEGMENTS segments. */
const PER_PASS = 65_536;
const RECORDS = Number(process.env.BENCH_RECORDS ?? 2_097_152);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const TWO_POW_32 = 2 ** 32;

type Pair = { key: number; value: number };

/** One stream's segments and how many bytes each holds. */
interface Stream {
  segments: MemorySegment[];
  filled: Int32Array;
  used: number;
}

function createStream(): Stream {
  const memory = new SharedArrayBuffer(SEGMENT_SIZE * SEGMENTS);
  return {
    segments: Array.from(
      { length: SEGMENTS },
      (_, i) => new MemorySegment(memory, i * SEGMENT_SIZE, SEGMENT_SIZE, i),
    ),
    filled: new Int32Array(SEGMENTS),
    used: 0,
  };
}

const handStream = createStream();
const sluiceStream = createStream();

const elementSerializer = new StreamElementSerializer(
  RowSerializer.of([
    { name: 'key', type: 'int64' },
    { name: 'value', type: 'int64' },
  ]),
);

function handWritePass(stream: Stream, first: number): void {
  let s = 0;
  let view = stream.segments[0]!.view;
  let pos = 0;
  for (let i = 0; i < PER_PASS; i++) {
    if (pos + 29 > SEGMENT_SIZE) {
      stream.filled[s] = pos;
      s++;
      view = stream.segments[s]!.view;
      pos = 0;
    }
    const key = i & 1023;
    const value = first + i;
    view.setUint32(pos, 25);
    view.setUint8(pos + 4, 0);
    view.setFloat64(pos + 5, 1_700_000_000_000 + value);
    const kh = Math.floor(key / TWO_POW_32);
    view.setInt32(pos + 13, kh);
    view.setUint32(pos + 17, key - kh * TWO_POW_32);
    const vh = Math.floor(value / TWO_POW_32);
    view.setInt32(pos + 21, vh);
    view.setUint32(pos + 25, value - vh * TWO_POW_32);
    pos += 29;
  }
  stream.filled[s] = pos;
  stream.used = s + 1;
}

const writer = new SpanningRecordSerializer(elementSerializer);
const row: Pair = { key: 0, value: 0 };
const record = new StreamRecord(row, 0);

function sluiceWritePass(stream: Stream, first: number): void {
  let s = 0;
  let segment = stream.segments[0]!;
  let pos = 0;
  for (let i = 0; i < PER_PASS; i++) {
    row.key = i & 1023;
    row.value = first + i;
    record.timestamp = 1_700_000_000_000 + first + i;
    pos = writer.serializeToSegment(record, segment, pos, SEGMENT_SIZE);
    while (pos === SEGMENT_SIZE) {
      stream.filled[s] = pos;
      s++;
      segment = stream.segments[s]!;
      pos = writer.hasPendingData() ? writer.copyPendingToSegment(segment, 0, SEGMENT_SIZE) : 0;
    }
  }
  stream.filled[s] = pos;
  stream.used = s + 1;
}

let sink = 0;
const target: Pair = { key: 0, value: 0 };

function handReadPass(stream: Stream): number {
  let n = 0;
  for (let s = 0; s < stream.used; s++) {
    const view = stream.segments[s]!.view;
    const end = stream.filled[s]!;
    let pos = 0;
    while (pos + 4 <= end) {
      const length = view.getUint32(pos);
      const ts = view.getFloat64(pos + 5);
      target.key = view.getInt32(pos + 13) * TWO_POW_32 + view.getUint32(pos + 17);
      target.value = view.getInt32(pos + 21) * TWO_POW_32 + view.getUint32(pos + 25);
      sink += target.key + target.value + ts;
      pos += 4 + length;
      n++;
    }
  }
  return n;
}

const deserializer = new SpanningRecordDeserializer();
const reusingDelegate = new DeserializationDelegate(elementSerializer, true);
const freshDelegate = new DeserializationDelegate(elementSerializer, false);

function sluiceReadPass(stream: Stream, delegate: DeserializationDelegate<Pair>): number {
  let n = 0;
  for (let s = 0; s < stream.used; s++) {
    deserializer.setNextBuffer(stream.segments[s]!, 0, stream.filled[s]!);
    for (;;) {
      const result = deserializer.getNextRecord(delegate);
      if (result.isFullRecord) {
        const element = delegate.element as StreamRecord<Pair>;
        sink += element.value.key + element.value.value + element.timestamp;
        n++;
      }
      if (result.isBufferConsumed) break;
    }
  }
  return n;
}

/** Runs the write `pass` until RECORDS records; returns the record count. */
function repeatWrite(pass: (first: number) => void): number {
  for (let done = 0; done < RECORDS; done += PER_PASS) pass(done);
  return RECORDS;
}

/** Runs the read `pass` until RECORDS records; returns the records read. */
function repeatRead(pass: () => number): number {
  let n = 0;
  for (let done = 0; done < RECORDS; done += PER_PASS) n += pass();
  return n;
}

/**
 * Best records/s of each variant over the rounds, variants interleaved round by round.
 */
function measure(variants: Array<() => number>): number[] {
  const best = variants.map(() => 0);
  for (let r = 0; r < ROUNDS; r++) {
    variants.forEach((run, i) => {
      const start = process.hrtime.bigint();
      const n = run();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      best[i] = Math.max(best[i]!, n / seconds);
    });
  }
  return best;
}

const [writeHand = 0, writeSluice = 0] = measure([
  () => repeatWrite((first) => handWritePass(handStream, first)),
  () => repeatWrite((first) => sluiceWritePass(sluiceStream, first)),
]);
// Each stream now holds its writer's last pass; the readers re-read it.
const [readHand = 0, readReuse = 0, readFresh = 0] = measure([
  () => repeatRead(() => handReadPass(handStream)),
  () => repeatRead(() => sluiceReadPass(sluiceStream, reusingDelegate)),
  () => repeatRead(() => sluiceReadPass(sluiceStream, freshDelegate)),
]);
deserializer.finish();

const stringKeys = Array.from({ length: 1024 }, (_, i) => `user-${i}`);
const [keyGroupNumbers = 0, keyGroupStrings = 0] = measure([
  () => {
    for (let i = 0; i < RECORDS; i++) sink += assignKeyToParallelOperator(i & 1023, 128, 2);
    return RECORDS;
  },
  () => {
    for (let i = 0; i < RECORDS; i++)
      sink += assignKeyToParallelOperator(stringKeys[i & 1023]!, 128, 2);
    return RECORDS;
  },
]);

const round = (x: number) => Math.round(x);
const ratio = (x: number) => Math.round(x * 1000) / 1000;
process.stdout.write(
  `${JSON.stringify({
    bench: 'serialization',
    records: RECORDS,
    rounds: ROUNDS,
    frameBytes: 29,
    writeHandWrittenPerSec: round(writeHand),
    writeSluicePerSec: round(writeSluice),
    writeRatio: ratio(writeSluice / writeHand),
    readHandWrittenPerSec: round(readHand),
    readSluiceObjectReusePerSec: round(readReuse),
    readSluiceFreshPerSec: round(readFresh),
    readRatioObjectReuse: ratio(readReuse / readHand),
    readRatioFresh: ratio(readFresh / readHand),
    keyGroupNumberKeysPerSec: round(keyGroupNumbers),
    keyGroupStringKeysPerSec: round(keyGroupStrings),
    checksum: sink > 0,
  })}\n`,
);
