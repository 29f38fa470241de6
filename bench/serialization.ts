/**
 * Micro-benchmark of record serialization into 32 KiB shared segments and back.
 *
 * Workload: records `{key: int64, value: int64}` with an event timestamp, the row of
 * the exchange performance target. Each figure is compared with a hand-written
 * baseline measured in the same run on the same segments:
 *
 * - write: `SpanningRecordSerializer` + `StreamElementSerializer` + `RowSerializer`
 *   vs raw `DataView` writes of the same frame bytes (`[u32 len][u8 tag][f64 ts][i64][i64]`);
 * - read: `SpanningRecordDeserializer` + `DeserializationDelegate` (with and without
 *   object reuse) vs raw `DataView` reads summing the fields;
 * - key groups: `KeyGroupRangeAssignment.assignKeyToParallelOperator` per record, as
 *   the key-group channel selector will call it.
 *
 * Prints one JSON line: records/s of each variant and the ratios to the baselines.
 * Run: `node bench/serialization.ts` (about 20 s on a loaded 2-core machine).
 */
import { MemorySegment } from '../src/memory/memory-segment.ts';
import { DeserializationDelegate } from '../src/network/serialization/deserialization-delegate.ts';
import { SpanningRecordDeserializer } from '../src/network/serialization/spanning-record-deserializer.ts';
import { SpanningRecordSerializer } from '../src/network/serialization/spanning-record-serializer.ts';
import { KeyGroupRangeAssignment } from '../src/types/key-group-range-assignment.ts';
import { RowSerializer } from '../src/types/row-serializer.ts';
import { StreamRecord } from '../src/types/stream-element.ts';
import { StreamElementSerializer } from '../src/types/stream-element-serializer.ts';

const SEGMENT_SIZE = 32 * 1024;
const SEGMENTS = 64;
/** Records per pass: a pass writes one stream from segment 0 and fits in SEGMENTS segments. */
const PER_PASS = 65_536;
const RECORDS = Number(process.env.BENCH_RECORDS ?? 2_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TWO_POW_32 = 2 ** 32;

const memory = new SharedArrayBuffer(SEGMENT_SIZE * SEGMENTS);
const segments = Array.from(
  { length: SEGMENTS },
  (_, i) => new MemorySegment(memory, i * SEGMENT_SIZE, SEGMENT_SIZE, i),
);
/** Bytes written per segment by the last write pass, for the read passes. */
const filled = new Int32Array(SEGMENTS);
let segmentsUsed = 0;

const rowSerializer = RowSerializer.of([
  { name: 'key', type: 'int64' },
  { name: 'value', type: 'int64' },
]);
const elementSerializer = new StreamElementSerializer(rowSerializer);

function handWrittenWrite(count: number): void {
  for (let done = 0; done < count; done += PER_PASS) handWrittenPass(PER_PASS, done);
}

function handWrittenPass(count: number, first: number): void {
  let s = 0;
  let segment = segments[0]!;
  let view = segment.view;
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if (pos + 29 > SEGMENT_SIZE) {
      filled[s] = pos;
      s++;
      segment = segments[s]!;
      view = segment.view;
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
  filled[s] = pos;
  segmentsUsed = s + 1;
}

const writer = new SpanningRecordSerializer(elementSerializer);
const row = { key: 0, value: 0 };
const record = new StreamRecord(row, 0);

function sluiceWrite(count: number): void {
  for (let done = 0; done < count; done += PER_PASS) sluicePass(PER_PASS, done);
}

function sluicePass(count: number, first: number): void {
  let s = 0;
  let segment = segments[0]!;
  let pos = 0;
  for (let i = 0; i < count; i++) {
    row.key = i & 1023;
    row.value = first + i;
    record.timestamp = 1_700_000_000_000 + first + i;
    pos = writer.serializeToSegment(record, segment, pos, SEGMENT_SIZE);
    while (pos === SEGMENT_SIZE) {
      filled[s] = pos;
      s++;
      segment = segments[s]!;
      pos = writer.hasPendingData() ? writer.copyPendingToSegment(segment, 0, SEGMENT_SIZE) : 0;
    }
  }
  filled[s] = pos;
  segmentsUsed = s + 1;
}

let sink = 0;

function handWrittenRead(): number {
  let n = 0;
  for (let done = 0; done < RECORDS; done += PER_PASS) n += handWrittenReadPass();
  return n;
}

function handWrittenReadPass(): number {
  let n = 0;
  for (let s = 0; s < segmentsUsed; s++) {
    const view = segments[s]!.view;
    const end = filled[s]!;
    let pos = 0;
    while (pos + 4 <= end) {
      const length = view.getUint32(pos);
      if (pos + 4 + length > end) break;
      const ts = view.getFloat64(pos + 5);
      const key = view.getInt32(pos + 13) * TWO_POW_32 + view.getUint32(pos + 17);
      const value = view.getInt32(pos + 21) * TWO_POW_32 + view.getUint32(pos + 25);
      sink += key + value + ts;
      pos += 4 + length;
      n++;
    }
  }
  return n;
}

const deserializer = new SpanningRecordDeserializer();
const reusingDelegate = new DeserializationDelegate(elementSerializer, true);
const freshDelegate = new DeserializationDelegate(elementSerializer, false);

function sluiceRead(objectReuse: boolean): number {
  let n = 0;
  const delegate = objectReuse ? reusingDelegate : freshDelegate;
  for (let done = 0; done < RECORDS; done += PER_PASS) n += sluiceReadPass(delegate);
  deserializer.finish();
  return n;
}

function sluiceReadPass(delegate: DeserializationDelegate<{ key: number; value: number }>): number {
  let n = 0;
  for (let s = 0; s < segmentsUsed; s++) {
    deserializer.setNextBuffer(segments[s]!, 0, filled[s]!);
    for (;;) {
      const result = deserializer.getNextRecord(delegate);
      if (result.isFullRecord) {
        const element = delegate.element as StreamRecord<{ key: number; value: number }>;
        sink += element.value.key + element.value.value + element.timestamp;
        n++;
      }
      if (result.isBufferConsumed) break;
    }
  }
  return n;
}

function keyGroups(count: number): void {
  for (let i = 0; i < count; i++) {
    sink += KeyGroupRangeAssignment.assignKeyToParallelOperator(i & 1023, 128, 2);
  }
}

function keyGroupsStrings(keys: readonly string[], count: number): void {
  for (let i = 0; i < count; i++) {
    sink += KeyGroupRangeAssignment.assignKeyToParallelOperator(keys[i & 1023]!, 128, 2);
  }
}

/** Best records/s over the rounds. */
function measure(run: () => number): number {
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    const n = run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, n / seconds);
  }
  return best;
}

const stringKeys = Array.from({ length: 1024 }, (_, i) => `user-${i}`);
// Read passes re-read the stream of the last write pass (the hand-written one for
// the hand-written reader, Sluice's for Sluice's: the bytes are identical).
const writeHand = measure(() => {
  handWrittenWrite(RECORDS);
  return RECORDS;
});
const writeSluice = measure(() => {
  sluiceWrite(RECORDS);
  return RECORDS;
});
handWrittenPass(PER_PASS, 0);
const readHand = measure(handWrittenRead);
sluicePass(PER_PASS, 0);
const readReuse = measure(() => sluiceRead(true));
const readFresh = measure(() => sluiceRead(false));
const keyGroupNumbers = measure(() => {
  keyGroups(RECORDS);
  return RECORDS;
});
const keyGroupStrings = measure(() => {
  keyGroupsStrings(stringKeys, RECORDS);
  return RECORDS;
});

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
    sink: sink > 0,
  })}\n`,
);
