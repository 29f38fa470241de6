/**
 * Benchmark of the worker-thread runtime against the two ends users compare it with.
 *
 * Workload: datagen → map → filter → keyBy → rolling sum → discard over records
 * `[key, value, ts]` (three numbers, a tuple as Flink's `Tuple3`; 1,024 keys; the
 * filter keeps 7 of 8 records). The job declares the record type as users would
 * (`returns(Types.TUPLE(...))`), so records cross the keyBy exchange as 20-byte binary
 * tuples instead of JSON (see `docs/api.md`, `docs/runtime.md`).
 *
 * - `p1RecordsPerSecond`, `p2RecordsPerSecond`: the job below on a `MiniCluster` at
 *   parallelism 1 and 2 — worker threads, the source chain and the keyed chain joined by
 *   the key-group exchange (records serialized into shared segments, credit-based).
 *   Timed from the moment every source is open (they wait for a start signal in shared
 *   memory, so worker start-up is not counted) to the last subtask's FINISHED.
 * - `handLoopRecordsPerSecond`: the same work as one hand-written loop in one thread,
 *   no framework at all (the limit).
 * - `nodeStreamsRecordsPerSecond`: the same pipeline as Node object-mode streams
 *   (`Readable` → `Transform` × 3 → `Writable`, `stream.pipeline`): what users write today.
 *
 * Targets (issue #5): p1 ≥ 0.3 × hand loop; p2 ≥ 1.5 × p1; p1 ≥ 3 × Node streams.
 * Each figure is the best of `BENCH_ROUNDS` runs; compare ratios (the machine is shared).
 *
 * The process runs with V8's `--single-threaded-gc`, as the container image runs Sluice
 * (see the Dockerfile and `docs/runtime.md`): started without it, the benchmark starts
 * itself again with it. All four figures come from that one process; the hand loop and
 * the Node streams measured the same with and without the flag (within the noise).
 *
 * This file is also the benchmark's job module: the cluster's workers import it, and
 * `import.meta.main` keeps them from running the benchmark themselves.
 *
 * Prints one JSON line. Run: `node bench/runtime.ts` (about 40 s).
 */
import { spawnSync } from 'node:child_process';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { defineJob } from '../src/api/define-job.ts';
import { WatermarkStrategy } from '../src/api/watermark-strategy.ts';
import { Configuration } from '../src/config/configuration.ts';
import { DataGeneratorSource } from '../src/connectors/datagen/data-generator-source.ts';
import { DiscardingSink } from '../src/connectors/discard/discarding-sink.ts';
import { MiniCluster } from '../src/runtime/mini-cluster.ts';
import { Types } from '../src/types/types.ts';

const KEYS = 1024;
/**
 * Records per job run: as many as the hand loop's. Every job starts fresh worker threads
 * whose code the JIT compiles again; runs of 2,000,000 records (about half a second)
 * measured mostly that warm-up, while a stream job runs for hours.
 */
const JOB_RECORDS = Number(process.env.BENCH_JOB_RECORDS ?? 10_000_000);
const HAND_RECORDS = Number(process.env.BENCH_HAND_RECORDS ?? 10_000_000);
const STREAM_RECORDS = Number(process.env.BENCH_STREAM_RECORDS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The record: three numbers, key, value and timestamp. */
type Event = [key: number, value: number, ts: number];

/**
 * The record type, declared as users would (`returns(...)`): the keyBy exchange then
 * carries 20-byte binary tuples instead of JSON.
 */
const EVENT_TYPE = Types.TUPLE(Types.INT32, Types.FLOAT64, Types.INT64);

/** Start-signal words in shared memory: sources opened, and "go". */
const READY = 0;
const GO = 1;

interface BenchArgs {
  count: number;
  parallelism: number;
  /** Int32Array words READY and GO (shared with the workers through the args). */
  control: SharedArrayBuffer;
  /**
   * Optional Int32Array word 0: records generated so far, in steps of
   * {@link PROGRESS_STEP} (`bench/metrics-overhead.ts` samples it; absent here).
   */
  progress?: SharedArrayBuffer;
}

/** Records between two updates of the optional progress word. */
const PROGRESS_STEP = 4096;

const generate = (i: number): Event => [i % KEYS, i, i];
const triple = (e: Event): Event => [e[0], e[1] * 3, e[2]];
const keep = (e: Event): boolean => (e[1] & 7) !== 0;

/** `generate`, counting into `progress` word 0 every {@link PROGRESS_STEP} records. */
function countingGenerate(progress: SharedArrayBuffer): (i: number) => Event {
  const words = new Int32Array(progress);
  let pending = 0;
  return (i) => {
    if (++pending === PROGRESS_STEP) {
      Atomics.add(words, 0, PROGRESS_STEP);
      pending = 0;
    }
    return generate(i);
  };
}

export default defineJob<BenchArgs>(
  (env, args) => {
    env.setParallelism(args.parallelism);
    const control = new Int32Array(args.control);
    env
      .fromSource(
        new DataGeneratorSource<Event>(
          {
            async open() {
              Atomics.add(control, READY, 1);
              const wait = Atomics.waitAsync(control, GO, 0);
              if (wait.async) await wait.value;
            },
            map: args.progress === undefined ? generate : countingGenerate(args.progress),
          },
          args.count,
        ),
        WatermarkStrategy.noWatermarks(),
        'events',
      )
      .map(triple)
      .returns(EVENT_TYPE)
      .filter(keep)
      .keyBy((e) => e[0])
      .sum(1)
      .sinkTo(new DiscardingSink<Event>());
  },
  { name: 'runtime bench' },
);

/** The same work in one plain loop: the limit. */
function handLoop(count: number): number {
  const sums = new Map<number, Event>();
  let discarded = 0;
  for (let i = 0; i < count; i++) {
    const mapped = triple(generate(i));
    if (!keep(mapped)) continue;
    const previous = sums.get(mapped[0]);
    const sum: Event =
      previous === undefined ? mapped : [previous[0], previous[1] + mapped[1], previous[2]];
    sums.set(mapped[0], sum);
    discarded++;
  }
  return discarded;
}

/** The same pipeline as Node object-mode streams. */
async function nodeStreams(count: number): Promise<number> {
  let next = 0;
  const source = new Readable({
    objectMode: true,
    read() {
      while (next < count) if (!this.push(generate(next++))) return;
      this.push(null);
    },
  });
  const map = new Transform({
    objectMode: true,
    transform(e: Event, _encoding, done) {
      done(null, triple(e));
    },
  });
  const filter = new Transform({
    objectMode: true,
    transform(e: Event, _encoding, done) {
      if (keep(e)) done(null, e);
      else done();
    },
  });
  const sums = new Map<number, Event>();
  const sum = new Transform({
    objectMode: true,
    transform(e: Event, _encoding, done) {
      const previous = sums.get(e[0]);
      const out: Event =
        previous === undefined ? e : [previous[0], previous[1] + e[1], previous[2]];
      sums.set(e[0], out);
      done(null, out);
    },
  });
  let discarded = 0;
  const sink = new Writable({
    objectMode: true,
    write(_e: Event, _encoding, done) {
      discarded++;
      done();
    },
  });
  await pipeline(source, map, filter, sum, sink);
  return discarded;
}

/** Runs the job at `parallelism` once; returns records per second of the source. */
async function runJob(cluster: MiniCluster, parallelism: number): Promise<number> {
  const control = new SharedArrayBuffer(8);
  const words = new Int32Array(control);
  const job = await cluster.submit(new URL(import.meta.url), {
    args: { count: JOB_RECORDS, parallelism, control } satisfies BenchArgs,
  });
  while (Atomics.load(words, READY) < parallelism) {
    if (job.status !== 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const startMs = Date.now();
  Atomics.store(words, GO, 1);
  Atomics.notify(words, GO);
  await job.result();
  const endMs = Math.max(...job.getSubtasks().map((s) => s.timestamps.FINISHED ?? 0));
  return JOB_RECORDS / ((endMs - startMs) / 1000);
}

function best(rates: number[]): number {
  return Math.round(Math.max(...rates));
}

async function main(): Promise<void> {
  const hand: number[] = [];
  const streams: number[] = [];
  const p1: number[] = [];
  const p2: number[] = [];
  const cluster = await MiniCluster.start(
    Configuration.fromJSON({
      'taskmanager.numberOfTaskSlots': 2,
      'taskmanager.memory.network.min': '16mb',
      'taskmanager.memory.network.max': '16mb',
      'taskmanager.memory.managed.size': '64mb',
      'log.level': 'silent',
    }),
  );
  try {
    for (let round = 0; round < ROUNDS; round++) {
      let t = performance.now();
      handLoop(HAND_RECORDS);
      hand.push(HAND_RECORDS / ((performance.now() - t) / 1000));
      t = performance.now();
      await nodeStreams(STREAM_RECORDS);
      streams.push(STREAM_RECORDS / ((performance.now() - t) / 1000));
      p1.push(await runJob(cluster, 1));
      p2.push(await runJob(cluster, 2));
    }
  } finally {
    await cluster.close();
  }
  const result = {
    bench: 'runtime',
    p1RecordsPerSecond: best(p1),
    p2RecordsPerSecond: best(p2),
    handLoopRecordsPerSecond: best(hand),
    nodeStreamsRecordsPerSecond: best(streams),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The V8 flag the image starts Sluice with (see the Dockerfile). */
const GC_FLAG = '--single-threaded-gc';

// Not a top-level await: the cluster imports this module (the job) while it runs.
if (import.meta.main && !process.execArgv.includes(GC_FLAG)) {
  // Measure Sluice as the image runs it: again, in a process started with the flag.
  const child = spawnSync(
    process.execPath,
    [GC_FLAG, ...process.execArgv, fileURLToPath(import.meta.url)],
    { stdio: 'inherit' },
  );
  process.exitCode = child.status ?? 1;
} else if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
