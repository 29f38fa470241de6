/**
 * Nexmark end to end on one real broker: for each query (q0, q1, q2, q5, q7, q8), the
 * query job reads the events topic and writes its results topic (`jobs/nexmark/<q>.ts`
 * on a `MiniCluster` of 2 slots), and, for q0–q2, the same query hand-written as a
 * kafkajs loop. One JSON line per query:
 *
 * ```
 * {"bench":"nexmark","query":"q5","events":1000000,"p1RecordsPerSecond":…,"p2RecordsPerSecond":…,
 *  "p50LatencyMs":…,"p99LatencyMs":…,"latencySamples":…,"peakRssMiB":…,"gcSharePercent":…,
 *  "handLoopRecordsPerSecond":…}
 * ```
 *
 * - **Throughput** (`p1RecordsPerSecond`, `p2RecordsPerSecond`, `handLoopRecordsPerSecond`):
 *   input events per second, as Nexmark counts (events read at the source, not results
 *   written), over `BENCH_EVENTS` events (default 1,000,000) pre-loaded into a 4-partition
 *   topic. The job is bounded: it ends once every event was read and every window
 *   fired; the span runs from the first record the source emitted (seen in the job's
 *   metrics, sampled every 100 ms) to the end of the job (its sink flushed), so worker
 *   start-up and the consumer group join are not counted. The hand loop's span runs from
 *   its first fetched batch to its last acknowledged send.
 * - **Latency** (`p50LatencyMs`, `p99LatencyMs`): a separate run at parallelism 1 on a
 *   live stream: the loader writes `BENCH_LATENCY_RATE` events/s (default 5,000) in real
 *   time for `BENCH_LATENCY_SECONDS` (default 30 s) into a fresh topic while the job reads
 *   it. Input and results topics use `LogAppendTime`, so every record carries the time
 *   the broker appended it. For q0–q2 a result's latency is its append time minus its
 *   bid's append time. For windowed queries it is the result's append time minus the
 *   append time of the last event that falls in its window: this includes the watermark
 *   delay — a window can only fire once an event 4 s (the jobs' `outOfOrdernessMs`) past
 *   its end arrived, plus the 200 ms watermark interval — so it is at least ~4.2 s by
 *   construction, as in Flink nexmark with the same bound.
 * - **Memory and GC** (`peakRssMiB`, `gcSharePercent`): the process's largest resident
 *   set sampled every 100 ms during the query's throughput runs (main thread and workers;
 *   the broker is another process), and the workers' garbage-collection time as a share
 *   of their wall time during those runs.
 *
 * Uses `KAFKA_BROKERS` when set, else starts a broker as the tests do. Total run on 2
 * cores: about 10–14 minutes with the defaults. `BENCH_QUERIES=q0,q5` runs a subset.
 *
 * Run: `node bench/nexmark.ts`.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Configuration } from '../src/config/configuration.ts';
import { startKafkaCluster } from '../src/connectors/kafka/local-kafka-cluster.ts';
import {
  ensureTopics,
  loadNexmarkEvents,
  NEXMARK_TOPIC_CONFIG,
} from '../src/connectors/nexmark/nexmark-loader.ts';
import type { Bid, NexmarkEvent } from '../src/connectors/nexmark/nexmark-model.ts';
import {
  DOLLAR_TO_EURO,
  NEXMARK_QUERIES,
  type NexmarkQueryName,
} from '../src/connectors/nexmark/nexmark-queries.ts';
import type { TaskMetricsSnapshot } from '../src/metrics/metric-snapshots.ts';
import type { JobClient } from '../src/runtime/job-client.ts';
import { MiniCluster } from '../src/runtime/mini-cluster.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 5000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 30);
const QUERIES = (process.env.BENCH_QUERIES?.split(',') ?? [
  ...NEXMARK_QUERIES,
]) as NexmarkQueryName[];
const PARTITIONS = 4;
const WINDOW_MS = 10_000;
const OUT_OF_ORDERNESS_MS = 4000;

const run = Date.now().toString(36);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string) => process.stderr.write(`[nexmark] ${message}\n`);

interface Span {
  recordsPerSecond: number;
  peakRssBytes: number;
  gcMs: number;
  workerWallMs: number;
}

/** Samples the process's resident set every 100 ms until stopped. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/**
 * Whether a subtask has handled a record: a chain ending in a sink counts none out, so the
 * Kafka source's read offsets count too.
 */
function hasRecords(task: TaskMetricsSnapshot): boolean {
  return (
    task.numRecordsIn > 0 ||
    task.numRecordsOut > 0 ||
    (task.operators ?? []).some((o) => o.numRecordsIn > 0) ||
    (task.source?.partitions ?? []).some((p) => p.currentOffset > 0)
  );
}

function jobModule(query: NexmarkQueryName): URL {
  return new URL(`../jobs/nexmark/${query}.ts`, import.meta.url);
}

/** Runs a bounded query job over the pre-loaded topic and times it (see the header). */
async function timedJob(
  cluster: MiniCluster,
  brokers: string[],
  query: NexmarkQueryName,
  input: string,
  parallelism: number,
): Promise<Span> {
  const output = `nexmark-bench-${query}-p${parallelism}-${run}`;
  await ensureTopics(brokers, [
    { topic: output, partitions: 2, config: { ...NEXMARK_TOPIC_CONFIG } },
  ]);
  const rss = rssSampler();
  const job: JobClient = await cluster.submit(jobModule(query), {
    args: {
      brokers,
      topic: input,
      output,
      group: `nexmark-bench-${query}-p${parallelism}-${run}`,
      bounded: true,
      parallelism,
    },
  });
  let first = 0;
  const gcStart = new Map<string | number, { gc: number; at: number }>();
  const gcLast = new Map<string | number, { gc: number; at: number }>();
  let done = false;
  const poller = (async () => {
    while (!done) {
      const snapshot = job.metricsSnapshot();
      const now = performance.now();
      if (first === 0 && snapshot.tasks.some(hasRecords)) first = now;
      for (const w of snapshot.workers) {
        if (!gcStart.has(w.worker)) gcStart.set(w.worker, { gc: w.gcTimeMs, at: now });
        gcLast.set(w.worker, { gc: w.gcTimeMs, at: now });
      }
      await sleep(100);
    }
  })();
  await job.result();
  const end = performance.now();
  done = true;
  await poller;
  const peakRssBytes = rss.stop();
  let gcMs = 0;
  let workerWallMs = 0;
  for (const [worker, start] of gcStart) {
    const last = gcLast.get(worker) ?? start;
    gcMs += last.gc - start.gc;
    workerWallMs += last.at - start.at;
  }
  const spanMs = Math.max(1, end - (first || end));
  return {
    recordsPerSecond: Math.round((EVENTS * 1000) / spanMs),
    peakRssBytes,
    gcMs,
    workerWallMs,
  };
}

/** The hand-written q0/q1/q2: eachBatch → parse → query → sendBatch (awaited). */
async function handLoop(kafka: Kafka, query: NexmarkQueryName, input: string): Promise<number> {
  const output = `nexmark-bench-${query}-hand-${run}`;
  const consumer = kafka.consumer({
    groupId: `nexmark-bench-hand-${query}-${run}`,
    maxWaitTimeInMs: 500,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  let processed = 0;
  let first = 0;
  let last = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          if (first === 0) first = performance.now();
          const messages: { value: string }[] = [];
          for (const m of batch.messages) {
            const event = JSON.parse(m.value!.toString()) as NexmarkEvent;
            const bid = event.bid;
            if (bid === null) continue;
            if (query === 'q0') messages.push({ value: JSON.stringify(bid) });
            else if (query === 'q1') {
              messages.push({
                value: JSON.stringify({ ...bid, price: DOLLAR_TO_EURO * bid.price }),
              });
            } else if (bid.auction % 123 === 0) {
              messages.push({ value: JSON.stringify({ auction: bid.auction, price: bid.price }) });
            }
          }
          for (let i = 0; i < messages.length; i += 4000) {
            await producer.sendBatch({
              topicMessages: [{ topic: output, messages: messages.slice(i, i + 4000) }],
              acks: -1,
            });
          }
          resolveOffset(batch.lastOffset());
          await heartbeat();
          processed += batch.messages.length;
          if (processed >= EVENTS) {
            last = performance.now();
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await producer.disconnect();
  return Math.round((EVENTS * 1000) / Math.max(1, last - first));
}

interface ReadRecord {
  timestamp: number;
  value: string;
}

/** Reads a whole topic (until `expected` records, or quiet for 3 s). */
async function readAll(kafka: Kafka, topic: string, expected: number): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({ groupId: `nexmark-bench-read-${topic}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const records: ReadRecord[] = [];
  let lastSeen = Date.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (records.length >= expected || Date.now() - lastSeen > 3000) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            records.push({ timestamp: Number(m.timestamp), value: m.value!.toString() });
          }
          lastSeen = Date.now();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return records;
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Latency of a query on a live stream (see the header). */
async function latencyRun(
  cluster: MiniCluster,
  kafka: Kafka,
  brokers: string[],
  query: NexmarkQueryName,
): Promise<{ p50: number | null; p99: number | null; samples: number }> {
  const input = `nexmark-bench-live-${query}-${run}`;
  const output = `nexmark-bench-live-${query}-out-${run}`;
  await ensureTopics(brokers, [
    { topic: input, partitions: PARTITIONS, config: { ...NEXMARK_TOPIC_CONFIG } },
    { topic: output, partitions: 1, config: { ...NEXMARK_TOPIC_CONFIG } },
  ]);
  const job = await cluster.submit(jobModule(query), {
    args: {
      brokers,
      topic: input,
      output,
      group: `nexmark-bench-live-${query}-${run}`,
      offsets: 'earliest',
      parallelism: 1,
    },
  });
  await job.waitForSubtasks();
  await sleep(3000); // the consumer joins its group
  const events = LATENCY_RATE * LATENCY_SECONDS;
  await loadNexmarkEvents({
    brokers,
    topic: input,
    events,
    partitions: PARTITIONS,
    realTime: true,
    generator: { seed: 1, firstEventRate: LATENCY_RATE },
  });
  // Let the job drain (windows whose watermark has passed fire), then stop it.
  let before = -1;
  for (let i = 0; i < 30; i++) {
    await sleep(1000);
    const now = job.metricsSnapshot().tasks.reduce((s, t) => s + t.numRecordsOut, 0);
    if (now === before) break;
    before = now;
  }
  await job.cancel();

  const inputs = await readAll(kafka, input, events);
  const outputs = await readAll(kafka, output, Number.POSITIVE_INFINITY);
  // Append time of each input, by bid identity (q0–q2) and by 100 ms bucket of event time.
  const bidAppend = new Map<string, number>();
  const bucketAppend = new Map<number, number>(); // ⌊dateTime/100⌋ → latest append time
  const bidKey = (b: { auction: number; price: number }, extra = '') =>
    `${b.auction}/${b.price}/${extra}`;
  for (const r of inputs) {
    const event = JSON.parse(r.value) as NexmarkEvent;
    const bid = event.bid;
    const relevant = query === 'q8' ? event.bid === null : event.bid !== null; // q8 reads persons, auctions
    if (bid !== null) {
      bidAppend.set(bidKey(bid, query === 'q2' ? '' : bid.extra), r.timestamp);
    }
    if (relevant) {
      const t = bid?.dateTime ?? event.auction?.dateTime ?? event.person!.dateTime;
      const bucket = Math.floor(t / 100);
      bucketAppend.set(bucket, Math.max(bucketAppend.get(bucket) ?? 0, r.timestamp));
    }
  }
  const lastAppendIn = (start: number, end: number): number | undefined => {
    let max: number | undefined;
    for (let b = Math.floor(start / 100); b < Math.ceil(end / 100); b++) {
      const t = bucketAppend.get(b);
      if (t !== undefined) max = Math.max(max ?? 0, t);
    }
    return max;
  };
  const latencies: number[] = [];
  for (const r of outputs) {
    const result = JSON.parse(r.value) as Record<string, number> & Bid;
    let from: number | undefined;
    if (query === 'q0' || query === 'q1') {
      from = bidAppend.get(
        bidKey(
          {
            auction: result.auction,
            price: query === 'q1' ? Math.round(result.price / DOLLAR_TO_EURO) : result.price,
          },
          result.extra,
        ),
      );
    } else if (query === 'q2') {
      from = bidAppend.get(bidKey(result));
    } else if (query === 'q5') {
      from = lastAppendIn(result.starttime!, result.endtime!);
    } else if (query === 'q7') {
      const start = result.dateTime - (result.dateTime % WINDOW_MS);
      from = lastAppendIn(start, start + WINDOW_MS);
    } else {
      from = lastAppendIn(result.starttime!, result.starttime! + WINDOW_MS);
    }
    if (from !== undefined) latencies.push(r.timestamp - from);
  }
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    samples: latencies.length,
  };
}

async function main(): Promise<void> {
  let stopBroker = async () => {};
  let brokers: string[];
  if (process.env.KAFKA_BROKERS) {
    brokers = process.env.KAFKA_BROKERS.split(',');
  } else {
    const broker = await startKafkaCluster({ log: (m) => log(`kafka: ${m}`) });
    brokers = broker.brokers;
    stopBroker = () => broker.stop();
  }
  const kafka = new Kafka({ clientId: 'nexmark-bench', brokers, logLevel: logLevel.NOTHING });
  const input = `nexmark-bench-events-${run}`;
  const loaded = await loadNexmarkEvents({
    brokers,
    topic: input,
    events: EVENTS,
    partitions: PARTITIONS,
  });
  log(`loaded ${EVENTS} events in ${(loaded.elapsedMs / 1000).toFixed(1)} s`);
  const cluster = await MiniCluster.start(
    Configuration.fromJSON({
      'taskmanager.numberOfTaskSlots': 2,
      'taskmanager.memory.network.min': '8mb',
      'taskmanager.memory.network.max': '8mb',
      'log.level': 'warn',
    }),
    { metricsIntervalMs: 100 },
  );
  try {
    for (const query of QUERIES) {
      const p1 = await timedJob(cluster, brokers, query, input, 1);
      log(`${query} p1: ${p1.recordsPerSecond} events/s`);
      const p2 = await timedJob(cluster, brokers, query, input, 2);
      log(`${query} p2: ${p2.recordsPerSecond} events/s`);
      const hand =
        query === 'q0' || query === 'q1' || query === 'q2'
          ? await handLoop(kafka, query, input)
          : null;
      if (hand !== null) log(`${query} hand loop: ${hand} events/s`);
      const latency = await latencyRun(cluster, kafka, brokers, query);
      log(
        `${query} latency p50 ${latency.p50} ms, p99 ${latency.p99} ms (${latency.samples} results)`,
      );
      const workerWall = p1.workerWallMs + p2.workerWallMs;
      console.log(
        JSON.stringify({
          bench: 'nexmark',
          query,
          events: EVENTS,
          p1RecordsPerSecond: p1.recordsPerSecond,
          p2RecordsPerSecond: p2.recordsPerSecond,
          p50LatencyMs: latency.p50,
          p99LatencyMs: latency.p99,
          latencySamples: latency.samples,
          latencyEventsPerSecond: LATENCY_RATE,
          latencyIncludesWatermarkDelayMs:
            query === 'q5' || query === 'q7' || query === 'q8' ? OUT_OF_ORDERNESS_MS : 0,
          peakRssMiB: Math.round(Math.max(p1.peakRssBytes, p2.peakRssBytes) / 1048576),
          gcSharePercent:
            workerWall > 0 ? Number((((p1.gcMs + p2.gcMs) / workerWall) * 100).toFixed(1)) : null,
          handLoopRecordsPerSecond: hand,
          p2VsP1: Number((p2.recordsPerSecond / p1.recordsPerSecond).toFixed(2)),
          p1VsHandLoop: hand === null ? null : Number((p1.recordsPerSecond / hand).toFixed(2)),
        }),
      );
    }
  } finally {
    await cluster.close();
    const admin = kafka.admin();
    await admin.connect();
    const ours = (await admin.listTopics()).filter((t) => t.endsWith(run));
    await admin.deleteTopics({ topics: ours }).catch(() => {});
    await admin.disconnect();
    await stopBroker();
  }
}

// Not awaited at top level: keep the module importable.
if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
