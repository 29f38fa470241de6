/**
 * A Nexmark query as a job: events topic → {@link NexmarkEventDeserializationSchema} →
 * event-time watermarks → the query → results topic (JSON values). The modules
 * `jobs/nexmark/q*.ts` are one line each: `export default nexmarkQueryJob('q5')`.
 *
 * ```
 *  Kafka topic ─► KafkaSource ──► query (nexmark-queries.ts) ──► KafkaSink ─► Kafka topic
 *  (JSON events)  only the kinds   event time = dateTime,          JSON results, record
 *                 the query reads  watermark = max − outOfOrderness − 1   time = when written
 * ```
 *
 * Arguments (`sluice run nexmark/q5 name=value …`, or an object from a test):
 *
 * | argument | default | meaning |
 * |---|---|---|
 * | `brokers` | `$KAFKA_BROKERS` | bootstrap servers, `host:port[,…]` |
 * | `topic` | `nexmark-events` | events topic (`sluice nexmark load` writes it) |
 * | `output` | `nexmark-<query>-results` | results topic (must exist) |
 * | `group` | `sluice-nexmark-<query>` | consumer group |
 * | `offsets` | `committed` | where to start: `committed` (else earliest), `earliest`, `latest` |
 * | `bounded` | `false` | stop at the topic's end as of the start (then every window fires) |
 * | `parallelism` | the job's default | parallelism of every operator |
 * | `outOfOrdernessMs` | `4000` | watermark delay (Flink nexmark's `dateTime - INTERVAL '4' SECOND`) |
 * | `windowSizeMs`, `windowSlideMs` | `10000`, `2000` | windows of q5, q7, q8 |
 * | `source` | `kafka` | `generator`: generate events in the job (`events`, `seed`, `rate`) instead of reading Kafka |
 *
 * Records the query does not need (persons and auctions for q0–q7, bids for q8) are
 * dropped by the deserializer before they are parsed. Result records are written with
 * the time they were written as their Kafka timestamp (not the window's event time,
 * which may be years old and would make Kafka's time-based retention delete them).
 *
 * @remarks The builder runs on the main thread and on every worker: it reads only its
 * arguments and `KAFKA_BROKERS` (the same in every thread of a process).
 * @module
 */

import type { DataStream } from '../../api/data-stream.ts';
import { defineJob, type JobDefinition } from '../../api/define-job.ts';
import type { StreamExecutionEnvironment } from '../../api/stream-execution-environment.ts';
import { WatermarkStrategy } from '../../api/watermark-strategy.ts';
import { ConfigError } from '../../errors.ts';
import {
  JsonSerializationSchema,
  KafkaRecordSerializationSchema,
} from '../kafka/kafka-record-serialization-schema.ts';
import { KafkaSink } from '../kafka/kafka-sink.ts';
import { KafkaSource } from '../kafka/kafka-source.ts';
import { OffsetsInitializer } from '../kafka/offsets-initializer.ts';
import { NexmarkEventDeserializationSchema } from './nexmark-event-deserialization-schema.ts';
import { eventTimestamp, type NexmarkEvent, type NexmarkEventType } from './nexmark-model.ts';
import { buildNexmarkQuery, type NexmarkQueryName, type NexmarkResult } from './nexmark-queries.ts';
import { NexmarkSource } from './nexmark-source.ts';

/** The arguments of a Nexmark query job, resolved; see the module documentation. */
export interface NexmarkJobArgs {
  brokers: string[];
  topic: string;
  output: string;
  group: string;
  offsets: 'committed' | 'earliest' | 'latest';
  bounded: boolean;
  parallelism: number | undefined;
  outOfOrdernessMs: number;
  windowSizeMs: number;
  windowSlideMs: number;
  source: 'kafka' | 'generator';
  /** Generator source: number of events. */
  events: number;
  /** Generator source: seed. */
  seed: number;
  /** Generator source: events per second of event time. */
  rate: number;
  /** Extra Kafka source properties (object arguments only). */
  sourceProperties: Record<string, unknown>;
  /** Extra Kafka sink properties (object arguments only). */
  sinkProperties: Record<string, unknown>;
}

/** Which event kinds each query reads. */
const KINDS: Record<NexmarkQueryName, NexmarkEventType[]> = {
  q0: [2],
  q1: [2],
  q2: [2],
  q5: [2],
  q7: [2],
  q8: [0, 1],
};

/** Raw arguments: `name=value` / `--name=value` strings, or an object. */
function rawArgs(args: unknown): Record<string, unknown> {
  if (Array.isArray(args)) {
    const out: Record<string, unknown> = {};
    for (const item of args) {
      const match = /^(?:--)?([\w.-]+)=(.*)$/s.exec(String(item));
      if (match === null) {
        throw new ConfigError(
          `nexmark job: argument "${String(item)}" is not name=value (e.g. brokers=localhost:9092)`,
          { details: { key: String(item) } },
        );
      }
      out[match[1]!] = match[2];
    }
    return out;
  }
  return args !== null && typeof args === 'object' ? { ...(args as Record<string, unknown>) } : {};
}

/**
 * Resolves a query job's arguments.
 *
 * @param query - the query (for the defaults of `output` and `group`)
 * @param args - strings `name=value` or an object
 * @param env - environment (for `KAFKA_BROKERS`)
 * @returns the arguments with defaults
 * @throws SLUICE_ERR_CONFIG_INVALID naming an argument that does not parse, or when no
 *   brokers are given for the Kafka source
 */
export function parseNexmarkJobArgs(
  query: NexmarkQueryName,
  args: unknown,
  env: Record<string, string | undefined> = process.env,
): NexmarkJobArgs {
  const raw = rawArgs(args);
  const fail = (name: string, value: unknown, expected: string): never => {
    throw new ConfigError(
      `nexmark ${query}: argument ${name}=${String(value)} is not ${expected}`,
      { details: { key: name, value } },
    );
  };
  const number = (name: string, fallback: number, min: number): number => {
    const value = raw[name];
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) fail(name, value, `a number ≥ ${min}`);
    return n;
  };
  const string = (name: string, fallback: string): string => {
    const value = raw[name];
    return value === undefined || value === '' ? fallback : String(value);
  };
  const oneOf = <T extends string>(name: string, values: readonly T[], fallback: T): T => {
    const value = string(name, fallback);
    if (!values.includes(value as T)) fail(name, value, `one of ${values.join(', ')}`);
    return value as T;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const value = raw[name];
    if (value === undefined || value === '') return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    return fail(name, value, 'true or false');
  };
  const brokersRaw = raw.brokers ?? env.KAFKA_BROKERS ?? '';
  const brokers = (
    Array.isArray(brokersRaw) ? brokersRaw.map(String) : String(brokersRaw).split(',')
  )
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const source = oneOf('source', ['kafka', 'generator'] as const, 'kafka');
  if (brokers.length === 0) {
    throw new ConfigError(
      `nexmark ${query}: no Kafka brokers: pass brokers=host:port or set KAFKA_BROKERS`,
      { details: { key: 'brokers' } },
    );
  }
  const parallelism = raw.parallelism === undefined ? undefined : number('parallelism', 1, 1);
  const objectArg = (name: string): Record<string, unknown> => {
    const value = raw[name];
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  };
  return {
    brokers,
    topic: string('topic', 'nexmark-events'),
    output: string('output', `nexmark-${query}-results`),
    group: string('group', `sluice-nexmark-${query}`),
    offsets: oneOf('offsets', ['committed', 'earliest', 'latest'] as const, 'committed'),
    bounded: bool('bounded', false),
    parallelism: parallelism === undefined ? undefined : Math.floor(parallelism),
    outOfOrdernessMs: number('outOfOrdernessMs', 4000, 0),
    windowSizeMs: number('windowSizeMs', 10_000, 1),
    windowSlideMs: number('windowSlideMs', 2000, 1),
    source,
    events: number('events', 1_000_000, 0),
    seed: number('seed', 0, 0),
    rate: number('rate', 10_000, 1),
    sourceProperties: objectArg('sourceProperties'),
    sinkProperties: objectArg('sinkProperties'),
  };
}

/** The events of a query job: its Kafka topic, or the generator. */
function eventsOf(
  env: StreamExecutionEnvironment,
  query: NexmarkQueryName,
  a: NexmarkJobArgs,
): DataStream<NexmarkEvent> {
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(
    a.outOfOrdernessMs,
  ).withTimestampAssigner(eventTimestamp);
  if (a.source === 'generator') {
    const source = new NexmarkSource({
      events: a.bounded ? a.events : Number.POSITIVE_INFINITY,
      generator: { seed: a.seed, firstEventRate: a.rate },
    });
    return env.fromSource(source, strategy, 'nexmark');
  }
  const offsets =
    a.offsets === 'earliest'
      ? OffsetsInitializer.earliest()
      : a.offsets === 'latest'
        ? OffsetsInitializer.latest()
        : OffsetsInitializer.committedOffsets('earliest');
  const builder = KafkaSource.builder()
    .setBootstrapServers(a.brokers)
    .setTopics(a.topic)
    .setGroupId(a.group)
    .setStartingOffsets(offsets)
    .setValueOnlyDeserializer(new NexmarkEventDeserializationSchema(KINDS[query]))
    .setProperties({ 'kafka.log-level': 'error', ...a.sourceProperties });
  if (a.bounded) builder.setBounded(OffsetsInitializer.latest());
  return env.fromSource(builder.build(), strategy, a.topic);
}

/** Writes results as JSON without their event timestamps (see the module documentation). */
function resultSink<T>(a: NexmarkJobArgs): KafkaSink<T> {
  const inner = KafkaRecordSerializationSchema.builder<T>()
    .setTopic(a.output)
    .setValueSerializationSchema(new JsonSerializationSchema<T>())
    .build();
  return KafkaSink.builder<T>()
    .setBootstrapServers(a.brokers)
    .setRecordSerializer({
      serialize: (element, context) => inner.serialize(element, context, undefined),
    })
    .setProperties({ 'kafka.log-level': 'error', ...a.sinkProperties })
    .build();
}

/**
 * The job module of one query; see the module documentation.
 *
 * @param query - `q0`, `q1`, `q2`, `q5`, `q7` or `q8`
 * @returns the job definition (the default export of `jobs/nexmark/<query>.ts`)
 */
export function nexmarkQueryJob(query: NexmarkQueryName): JobDefinition<unknown> {
  return defineJob<unknown>(
    (env, args) => {
      const a = parseNexmarkJobArgs(query, args);
      if (a.parallelism !== undefined) env.setParallelism(a.parallelism);
      const results = buildNexmarkQuery(query, eventsOf(env, query, a), a);
      results.sinkTo(resultSink<NexmarkResult>(a)).name(a.output);
    },
    { name: `nexmark ${query}` },
  );
}
