/**
 * End-to-end benchmark of the Kafka connectors: topic → map → topic of 1,000,000 small
 * JSON records on one real broker, four ways in one run.
 *
 * - `p1RecordsPerSecond`, `p2RecordsPerSecond`: the job below on a `MiniCluster` at
 *   parallelism 1 and 2 — `KafkaSource` (bounded at the input's current end, JSON
 *   values) → map → `KafkaSink` (idempotent producer, JSON values, keyed), one chain per
 *   worker thread.
 * - `handLoopRecordsPerSecond`: what a user writes without Sluice: a kafkajs consumer
 *   (`eachBatch`) feeding a kafkajs producer (`sendBatch`, idempotent, awaited per
 *   batch) with the same map, in the main thread, on kafkajs 2.2.4 as published.
 * - `handLoopPatchedKafkajsRecordsPerSecond`: the same loop on the private kafkajs
 *   instance Sluice uses (`loadPatchedKafkajs`: linear instead of quadratic grouping of
 *   a `sendBatch` by partition), i.e. the hand loop without the client defect Sluice
 *   works around — the stricter baseline for the runtime's own overhead.
 *
 * Every variant reads the same pre-loaded input topic (4 partitions, keyed records such
 * as `{"k":"k417","seq":12345,"v":832}`) with a fresh consumer group into a fresh output
 * topic. Throughput is timed identically for all of them from the outside: a poller reads
 * the output topic's end offsets every 20 ms; the rate is records / (time the last
 * record landed − time the first landed), so start-up (worker threads, group join) is
 * not counted; the wall time including start-up is reported too (`*WallMs`). The
 * output's end offsets must sum to exactly the input's count (no loss, no duplicate:
 * the producers are idempotent).
 *
 * CPU: `*ProcessCpuPct` is this process (all threads) and `*BrokerCpuPct` the broker
 * JVM (from /proc, when its pid is known: a broker this script starts, or
 * `KAFKA_BROKER_PID`), both in percent of one core over the timed span — on a 2-core
 * machine they show whether the broker is the bottleneck.
 *
 * Uses `KAFKA_BROKERS` when set, else starts a broker as the tests do. Prints one JSON
 * line. Run: `node bench/kafka-e2e.ts` (about 1–2 min on 2 cores). `BENCH_RECORDS`
 * changes the record count; `BENCH_SOURCE_PROPERTIES` / `BENCH_SINK_PROPERTIES` (JSON)
 * add connector properties to the Sluice variants, for tuning.
 *
 * This file is also the benchmark's job module: the cluster's workers import it, and
 * `import.meta.main` keeps them from running the benchmark themselves.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { defineJob } from '../src/api/define-job.ts';
import { WatermarkStrategy } from '../src/api/watermark-strategy.ts';
import { Configuration } from '../src/config/configuration.ts';
import {
  JsonDeserializationSchema,
  KafkaRecordDeserializationSchema,
} from '../src/connectors/kafka/kafka-record-deserialization-schema.ts';
import {
  JsonSerializationSchema,
  KafkaRecordSerializationSchema,
} from '../src/connectors/kafka/kafka-record-serialization-schema.ts';
import { KafkaSink } from '../src/connectors/kafka/kafka-sink.ts';
import { KafkaSource } from '../src/connectors/kafka/kafka-source.ts';
import { loadPatchedKafkajs } from '../src/connectors/kafka/kafkajs-client.ts';
import { startKafkaCluster } from '../src/connectors/kafka/local-kafka-cluster.ts';
import { OffsetsInitializer } from '../src/connectors/kafka/offsets-initializer.ts';
import { MiniCluster } from '../src/runtime/mini-cluster.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const PARTITIONS = 4;
const KEYS = 1000;
/** Records per `sendBatch` of the hand loop (≈ 512 KiB, like the sink's requests). */
const HAND_REQUEST_RECORDS = 8000;

/** An input record. */
interface In {
  k: string;
  seq: number;
  v: number;
}

/** An output record. */
interface Out {
  k: string;
  seq: number;
  v: number;
  even: boolean;
}

/** The map of every variant. */
function transform(r: In): Out {
  return { k: r.k, seq: r.seq, v: r.v * 3 + 1, even: r.v % 2 === 0 };
}

/** Arguments of the job (structured-cloneable). */
export interface KafkaE2EArgs {
  brokers: string[];
  input: string;
  output: string;
  groupId: string;
  parallelism: number;
  /** Extra source properties (`BENCH_SOURCE_PROPERTIES`, JSON). */
  sourceProperties?: Record<string, unknown>;
  /** Extra sink properties (`BENCH_SINK_PROPERTIES`, JSON). */
  sinkProperties?: Record<string, unknown>;
}

export default defineJob<KafkaE2EArgs>(
  (env, args) => {
    env.setParallelism(args.parallelism);
    const source = KafkaSource.builder()
      .setBootstrapServers(args.brokers)
      .setTopics(args.input)
      .setGroupId(args.groupId)
      .setStartingOffsets(OffsetsInitializer.earliest())
      .setBounded(OffsetsInitializer.latest())
      .setDeserializer(
        KafkaRecordDeserializationSchema.valueOnly(new JsonDeserializationSchema<In>()),
      )
      .setProperties(args.sourceProperties ?? {})
      .build();
    const sink = KafkaSink.builder<Out>()
      .setBootstrapServers(args.brokers)
      .setRecordSerializer(
        KafkaRecordSerializationSchema.builder<Out>()
          .setTopic(args.output)
          .setKeySerializationSchema((r) => r.k)
          .setValueSerializationSchema(new JsonSerializationSchema<Out>())
          .build(),
      )
      .setProperties(args.sinkProperties ?? {})
      .build();
    env
      .fromSource(source, WatermarkStrategy.noWatermarks(), 'input')
      .map(transform)
      .name('transform')
      .sinkTo(sink)
      .name('output');
  },
  { name: 'kafka e2e' },
);

interface Timed {
  recordsPerSecond: number;
  wallMs: number;
  spanMs: number;
  processCpuPct: number;
  brokerCpuPct: number | undefined;
}

/** Broker JVM CPU time (ms) from /proc, or undefined. */
function brokerCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ=100
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  let stop = async () => {};
  let brokerPid = process.env.KAFKA_BROKER_PID ? Number(process.env.KAFKA_BROKER_PID) : undefined;
  let brokers: string[];
  if (process.env.KAFKA_BROKERS) {
    brokers = process.env.KAFKA_BROKERS.split(',');
  } else {
    const cluster = await startKafkaCluster({ log: (m) => console.error(`[kafka] ${m}`) });
    brokers = cluster.brokers;
    brokerPid = cluster.pid;
    stop = () => cluster.stop();
  }
  const kafka = new Kafka({
    clientId: 'bench',
    brokers,
    logLevel: process.env.BENCH_KAFKAJS_LOG ? logLevel.INFO : logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const run = Date.now().toString(36);
  const input = `bench-e2e-in-${run}`;
  await admin.createTopics({
    topics: [{ topic: input, numPartitions: PARTITIONS }],
    waitForLeaders: true,
  });
  await preload(kafka, input);

  const endOffsetsSum = async (topic: string): Promise<number> => {
    for (;;) {
      try {
        return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
      } catch (error) {
        if ((error as { retriable?: boolean }).retriable !== true) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };

  /** Runs one variant against a fresh output topic and times it from outside. */
  const timed = async (name: string, body: (output: string) => Promise<void>): Promise<Timed> => {
    const output = `bench-e2e-out-${name}-${run}`;
    await admin.createTopics({
      topics: [{ topic: output, numPartitions: PARTITIONS }],
      waitForLeaders: true,
    });
    let first = 0;
    let last = 0;
    let cpuAtFirst = process.cpuUsage();
    let brokerAtFirst = brokerCpuMs(brokerPid);
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const sum = await endOffsetsSum(output);
        if (sum > 0 && first === 0) {
          first = Date.now();
          cpuAtFirst = process.cpuUsage();
          brokerAtFirst = brokerCpuMs(brokerPid);
        }
        if (sum >= RECORDS) {
          last = Date.now();
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const started = Date.now();
    await body(output);
    await poller;
    polling = false;
    const wallMs = Date.now() - started;
    const cpu = process.cpuUsage(cpuAtFirst);
    const brokerNow = brokerCpuMs(brokerPid);
    const total = await endOffsetsSum(output);
    if (total !== RECORDS)
      throw new Error(`${name}: ${total} records in ${output}, expected ${RECORDS}`);
    const spanMs = Math.max(1, last - first);
    return {
      recordsPerSecond: Math.round((RECORDS * 1000) / spanMs),
      wallMs,
      spanMs,
      processCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / spanMs) * 100),
      brokerCpuPct:
        brokerNow === undefined || brokerAtFirst === undefined
          ? undefined
          : Math.round(((brokerNow - brokerAtFirst) / spanMs) * 100),
    };
  };

  const cluster = await MiniCluster.start(
    Configuration.fromJSON({
      'taskmanager.numberOfTaskSlots': 2,
      'taskmanager.memory.network.min': '4mb',
      'taskmanager.memory.network.max': '4mb',
      'log.level': process.env.BENCH_DEBUG ? 'info' : 'warn',
    }),
  );
  const sluice = (parallelism: number) => async (output: string) => {
    const job = await cluster.submit(new URL(import.meta.url), {
      args: {
        brokers,
        input,
        output,
        groupId: `bench-p${parallelism}-${run}`,
        parallelism,
        sourceProperties: JSON.parse(process.env.BENCH_SOURCE_PROPERTIES ?? '{}'),
        sinkProperties: JSON.parse(process.env.BENCH_SINK_PROPERTIES ?? '{}'),
      } satisfies KafkaE2EArgs,
    });
    const debug = process.env.BENCH_DEBUG
      ? setInterval(() => console.error(job.status, JSON.stringify(job.metricsSnapshot())), 2000)
      : undefined;
    try {
      await job.result();
    } finally {
      clearInterval(debug);
    }
  };
  const patched = loadPatchedKafkajs();
  const patchedKafka = new patched.Kafka({
    clientId: 'bench',
    brokers,
    logLevel: logLevel.NOTHING,
  });
  const hand = await timed('hand', (output) => handLoop(kafka, input, output));
  const handPatched = await timed('handpatched', (output) => handLoop(patchedKafka, input, output));
  const p1 = await timed('p1', sluice(1));
  const p2 = await timed('p2', sluice(2));
  await cluster.close();
  await admin.deleteTopics({ topics: [input] }).catch(() => {});
  await admin.disconnect();
  await stop();
  console.log(
    JSON.stringify({
      bench: 'kafka-e2e',
      records: RECORDS,
      partitions: PARTITIONS,
      p1RecordsPerSecond: p1.recordsPerSecond,
      p2RecordsPerSecond: p2.recordsPerSecond,
      handLoopRecordsPerSecond: hand.recordsPerSecond,
      handLoopPatchedKafkajsRecordsPerSecond: handPatched.recordsPerSecond,
      p1VsHandLoop: Number((p1.recordsPerSecond / hand.recordsPerSecond).toFixed(2)),
      p1VsHandLoopPatchedKafkajs: Number(
        (p1.recordsPerSecond / handPatched.recordsPerSecond).toFixed(2),
      ),
      p2VsP1: Number((p2.recordsPerSecond / p1.recordsPerSecond).toFixed(2)),
      p1WallMs: p1.wallMs,
      p2WallMs: p2.wallMs,
      handLoopWallMs: hand.wallMs,
      handLoopPatchedKafkajsWallMs: handPatched.wallMs,
      p1ProcessCpuPct: p1.processCpuPct,
      p2ProcessCpuPct: p2.processCpuPct,
      handLoopProcessCpuPct: hand.processCpuPct,
      handLoopPatchedKafkajsProcessCpuPct: handPatched.processCpuPct,
      p1BrokerCpuPct: p1.brokerCpuPct,
      p2BrokerCpuPct: p2.brokerCpuPct,
      handLoopBrokerCpuPct: hand.brokerCpuPct,
      handLoopPatchedKafkajsBrokerCpuPct: handPatched.brokerCpuPct,
    }),
  );
}

/** Writes the input: RECORDS keyed JSON records, in large unordered-safe batches. */
async function preload(kafka: Kafka, topic: string): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const chunk = 20_000;
  for (let start = 0; start < RECORDS; start += chunk) {
    const messages = [];
    for (let seq = start; seq < Math.min(RECORDS, start + chunk); seq++) {
      const k = `k${seq % KEYS}`;
      messages.push({ key: k, value: JSON.stringify({ k, seq, v: (seq * 7) % 1000 }) });
    }
    await producer.send({ topic, messages, acks: -1 });
  }
  await producer.disconnect();
}

/** The hand-written loop: eachBatch → map → sendBatch (awaited), until every record went through. */
async function handLoop(
  kafka: Pick<Kafka, 'consumer' | 'producer'>,
  input: string,
  output: string,
): Promise<void> {
  const consumer = kafka.consumer({ groupId: `bench-hand-${output}`, maxWaitTimeInMs: 500 });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  let processed = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const messages = new Array(batch.messages.length);
          for (let i = 0; i < batch.messages.length; i++) {
            const m = batch.messages[i]!;
            const out = transform(JSON.parse(m.value!.toString()) as In);
            messages[i] = { key: out.k, value: JSON.stringify(out), timestamp: m.timestamp };
          }
          // One input batch (≤ max.partition.fetch.bytes) holds keys of one partition, so its
          // output goes to one partition too: send it in requests the broker accepts.
          for (let i = 0; i < messages.length; i += HAND_REQUEST_RECORDS) {
            await producer.sendBatch({
              topicMessages: [
                { topic: output, messages: messages.slice(i, i + HAND_REQUEST_RECORDS) },
              ],
              acks: -1,
            });
          }
          resolveOffset(batch.lastOffset());
          await heartbeat();
          processed += messages.length;
          if (processed >= RECORDS) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await producer.disconnect();
}

// Not awaited at top level: the cluster imports this module while it runs, and a module
// still evaluating (top-level await) cannot be imported.
if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
