/**
 * Benchmark of keyed event-time windows over keyed state in managed memory, against
 * the same sliding count hand-written with JavaScript `Map`s of objects, measured in
 * the same run.
 *
 * - Data: `RECORDS` generated records (default 500,000) over 100,000 keys, event time
 *   advancing 100 s over the run (each key about once every 20 s), a watermark after
 *   every 1,024 records (timestamp − 1), parallelism 1, one local executor.
 * - `slidingRecordsPerSecond`: `keyBy → window(SlidingEventTimeWindows.of(10 s, 2 s))
 *   → aggregate(count)` (each record in 5 windows; ~250,000 windows and timers alive).
 * - `tumblingRecordsPerSecond`: the same with `TumblingEventTimeWindows.of(10 s)`.
 * - `heapMiB`: peak V8 heap used during the sliding job (sampled every 20 ms);
 *   `managedMiB`: managed memory the sliding window operator held (pages).
 * - `objectMapRecordsPerSecond`: the sliding count as a plain loop over
 *   `Map<key, Map<windowStart, count>>` plus a `Map<windowEnd, Set<key>>` to fire
 *   windows on the same watermarks (no framework); `objectMapHeapMiB` its peak heap.
 *
 * The emitted counts of the job and of the hand-written loop are checked to add up to
 * RECORDS × 5. Prints one JSON line. Run: `node bench/windows.ts` (about 15 s of CPU on the
 * loaded 2-core development machine). Compare ratios, not absolute values.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  DataGeneratorSource,
  DiscardingSink,
  Float64Serializer,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  type TimeWindow,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type WindowAssigner,
} from '../src/api/index.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const RECORDS = Number(process.env.BENCH_RECORDS ?? 500_000);
const KEYS = 100_000;
const EVENT_TIME_SPAN_MS = 100_000;
const SIZE_MS = 10_000;
const SLIDE_MS = 2_000;
const WATERMARK_EVERY = 1024;

interface Event {
  key: number;
  ts: number;
}

/** Record `i`: a scattered key, event time advancing linearly. */
function eventOf(i: number, reuse: Event): Event {
  reuse.key = (i * 7919) % KEYS;
  reuse.ts = Math.floor((i * EVENT_TIME_SPAN_MS) / RECORDS);
  return reuse;
}

/** Peak `heapUsed` while `run` runs (sampled every 20 ms). */
async function withPeakHeap<T>(run: () => Promise<T>): Promise<{ value: T; peakHeap: number }> {
  gc();
  let peak = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 20);
  try {
    const value = await run();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { value, peakHeap: peak };
  } finally {
    clearInterval(sampler);
  }
}

async function windowJob(assigner: WindowAssigner<Event, TimeWindow>) {
  const env = new StreamExecutionEnvironment({ parallelism: 1 });
  let total = 0;
  const strategy = WatermarkStrategy.forGenerator<Event>(() => {
    let n = 0;
    return {
      onEvent: (_e, ts, out) => {
        if (++n % WATERMARK_EVERY === 0) out.emitWatermark(ts - 1);
      },
      onPeriodicEmit() {},
    };
  }).withTimestampAssigner((e) => e.ts);
  env
    // A fresh object per record: records travel by reference and windows may keep them.
    .fromSource(
      new DataGeneratorSource((i) => eventOf(i, { key: 0, ts: 0 }), RECORDS),
      strategy,
      'events',
    )
    .keyBy((e) => e.key)
    .window(assigner)
    .aggregate({
      createAccumulator: () => 0,
      add: (_e: Event, count: number) => count + 1,
      getResult: (count: number) => count,
      merge: (a: number, b: number) => a + b,
      accumulatorSerializer: Float64Serializer.INSTANCE,
    })
    .process<never>((count) => {
      total += count;
    })
    .sinkTo(new DiscardingSink());
  const started = performance.now();
  const result = await env.executeLocal({ managedMemoryBytes: 512 * 2 ** 20 });
  const seconds = (performance.now() - started) / 1000;
  const metrics = Object.entries(result.operatorMetrics).find(([name]) =>
    name.startsWith('Window('),
  )![1];
  return { recordsPerSecond: RECORDS / seconds, total, managedBytes: metrics.managedMemoryBytes! };
}

/** The sliding count with Maps of objects, firing on the same watermarks. */
function objectMapSliding(): { recordsPerSecond: number; total: number } {
  const windowsByKey = new Map<number, Map<number, number>>();
  const keysByEnd = new Map<number, Set<number>>();
  const ends: number[] = [];
  let endsHead = 0;
  let total = 0;
  const fire = (watermark: number): void => {
    while (endsHead < ends.length && ends[endsHead]! - 1 <= watermark) {
      const end = ends[endsHead++]!;
      const start = end - SIZE_MS;
      for (const key of keysByEnd.get(end)!) {
        const windows = windowsByKey.get(key)!;
        total += windows.get(start)!;
        windows.delete(start);
        if (windows.size === 0) windowsByKey.delete(key);
      }
      keysByEnd.delete(end);
    }
  };
  const reuse: Event = { key: 0, ts: 0 };
  const started = performance.now();
  for (let i = 0; i < RECORDS; i++) {
    const { key, ts } = eventOf(i, reuse);
    let windows = windowsByKey.get(key);
    if (windows === undefined) {
      windows = new Map();
      windowsByKey.set(key, windows);
    }
    const lastStart = ts - (ts % SLIDE_MS);
    for (let start = lastStart; start > ts - SIZE_MS; start -= SLIDE_MS) {
      windows.set(start, (windows.get(start) ?? 0) + 1);
      const end = start + SIZE_MS;
      let keys = keysByEnd.get(end);
      if (keys === undefined) {
        keys = new Set();
        keysByEnd.set(end, keys);
        ends.push(end);
        ends.sort((a, b) => a - b);
      }
      keys.add(key);
    }
    if ((i + 1) % WATERMARK_EVERY === 0) fire(ts - 1);
  }
  fire(Number.MAX_SAFE_INTEGER);
  const seconds = (performance.now() - started) / 1000;
  return { recordsPerSecond: RECORDS / seconds, total };
}

const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

const sliding = await withPeakHeap(() =>
  windowJob(SlidingEventTimeWindows.of<Event>(SIZE_MS, SLIDE_MS)),
);
const tumbling = await windowJob(TumblingEventTimeWindows.of<Event>(SIZE_MS));
const objectMap = await withPeakHeap(async () => objectMapSliding());
const windowsPerRecord = SIZE_MS / SLIDE_MS;
if (
  sliding.value.total !== RECORDS * windowsPerRecord ||
  objectMap.value.total !== sliding.value.total
) {
  throw new Error(
    `counts disagree: job ${sliding.value.total}, Map ${objectMap.value.total}, expected ${RECORDS * windowsPerRecord}`,
  );
}
if (tumbling.total !== RECORDS) throw new Error(`tumbling counted ${tumbling.total} of ${RECORDS}`);

console.log(
  JSON.stringify({
    bench: 'windows',
    records: RECORDS,
    keys: KEYS,
    slidingRecordsPerSecond: Math.round(sliding.value.recordsPerSecond),
    tumblingRecordsPerSecond: Math.round(tumbling.recordsPerSecond),
    heapMiB: mib(sliding.peakHeap),
    managedMiB: mib(sliding.value.managedBytes),
    objectMapRecordsPerSecond: Math.round(objectMap.value.recordsPerSecond),
    objectMapHeapMiB: mib(objectMap.peakHeap),
  }),
);
