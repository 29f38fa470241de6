/**
 * Writes Nexmark events into a Kafka topic as JSON (what `sluice nexmark load`, the demo,
 * the benchmark and the integration tests use): event n goes to partition n mod P, so
 * every partition holds an even, time-ordered share of the stream and a source reading
 * the partitions at similar speeds sees little event-time skew between them.
 *
 * ```
 *  generator ─► batch of events (JSON) ─► idempotent producer (acks=all, one request
 *   (event n)   partition = n mod P         in flight) ─► topic
 *        ▲                                        │
 *        └── next batch is generated while the previous one is in flight ◄─┘ progress
 * ```
 *
 * A topic is loaded once: when it already holds exactly the requested number of events
 * the loader writes nothing (a second run of the demo resumes without reloading); when it
 * holds another non-zero number it refuses with `SLUICE_ERR_NEXMARK_TOPIC_NOT_EMPTY`.
 * The topic is created when missing (`partitions`, message timestamps
 * `LogAppendTime`: records carry when they were appended, which latency measurements use
 * and time-based retention keeps).
 *
 * Pacing: by default events are written as fast as the broker takes them, stamped with
 * event times spaced by `firstEventRate` from the generator's `baseTime`. With
 * `realTime`, event time starts now and events are written when their time comes, at
 * `firstEventRate` per second — a live stream.
 *
 * @remarks Main thread of a script or the CLI; uses Sluice's patched kafkajs.
 * @module
 */
import { logLevel } from 'kafkajs';
import { SluiceError } from '../../errors.ts';
import { errorSummary, KafkaProducerError } from '../kafka/kafka-errors.ts';
import { loadPatchedKafkajs } from '../kafka/kafkajs-client.ts';
import { NexmarkGenerator } from './nexmark-generator.ts';
import type { NexmarkGeneratorOptions } from './nexmark-generator-options.ts';

/**
 * The events topic holds events already, but not the number requested: loading more
 * would mix two streams.
 */
export class NexmarkTopicNotEmptyError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_NEXMARK_TOPIC_NOT_EMPTY';
}

/** Options of {@link loadNexmarkEvents}. */
export interface NexmarkLoadOptions {
  /** Bootstrap servers, `host:port`. */
  brokers: string[];
  /** The events topic. */
  topic: string;
  /** Number of events to write. */
  events: number;
  /** Partitions of the topic when it is created. @defaultValue 4 */
  partitions?: number;
  /** Generator options (seed, firstEventRate, …). @defaultValue Beam's, seed 0 */
  generator?: Partial<NexmarkGeneratorOptions>;
  /**
   * Write each event when its event time comes, event time starting now (a live
   * stream at `firstEventRate` events/s).
   * @defaultValue false (as fast as possible)
   */
  realTime?: boolean;
  /** Events per produce request (over all partitions). @defaultValue 4000 */
  batchEvents?: number;
  /** Called after every acknowledged batch with the events written so far. */
  onProgress?: (written: number) => void;
  /** Stops writing (the promise then resolves with what was written). */
  signal?: AbortSignal;
}

/** What {@link loadNexmarkEvents} did. */
export interface NexmarkLoadResult {
  /** Events written by this call. */
  written: number;
  /** The topic already held the requested events: nothing was written. */
  skipped: boolean;
  /** Bytes of JSON written. */
  bytes: number;
  /** Wall time (ms). */
  elapsedMs: number;
}

type Kafkajs = ReturnType<typeof loadPatchedKafkajs>;
let kafkajs: Kafkajs | undefined;
const client = (brokers: string[], clientId: string) => {
  kafkajs ??= loadPatchedKafkajs();
  return new kafkajs.Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs an admin call again while it fails with a retriable error (a topic just created
 * has no leader yet for a moment), for up to 30 s.
 */
async function retrying<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true || Date.now() > deadline)
        throw error;
      await sleep(100);
    }
  }
}

/** A topic to create, with optional Kafka topic configuration. */
export interface NexmarkTopicSpec {
  topic: string;
  partitions: number;
  /** Topic configuration entries, e.g. `{'message.timestamp.type': 'LogAppendTime'}`. */
  config?: Record<string, string>;
}

/**
 * Creates the topics that do not exist yet (existing ones are left as they are).
 *
 * @param brokers - bootstrap servers
 * @param topics - names, partitions and configuration
 */
export async function ensureTopics(
  brokers: string[],
  topics: readonly NexmarkTopicSpec[],
): Promise<void> {
  const admin = client(brokers, 'sluice-nexmark-admin').admin();
  await admin.connect();
  try {
    const existing = new Set(await retrying(() => admin.listTopics()));
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    await retrying(() =>
      admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      }),
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Records in a topic (sum over partitions of high − low watermark); 0 when it is missing.
 *
 * @param brokers - bootstrap servers
 * @param topic - the topic
 */
export async function countTopicRecords(brokers: string[], topic: string): Promise<number> {
  const admin = client(brokers, 'sluice-nexmark-admin').admin();
  await admin.connect();
  try {
    if (!(await retrying(() => admin.listTopics())).includes(topic)) return 0;
    const offsets = await retrying(() => admin.fetchTopicOffsets(topic));
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Topic configuration of every topic the Nexmark tools create. */
export const NEXMARK_TOPIC_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  'message.timestamp.type': 'LogAppendTime',
});

/**
 * Writes `events` Nexmark events into `topic`; see the module documentation.
 *
 * @param options - brokers, topic, count, generator options, pacing, progress callback
 * @returns what was written
 * @throws SLUICE_ERR_NEXMARK_TOPIC_NOT_EMPTY when the topic holds another number of
 *   records; SLUICE_ERR_KAFKA_PRODUCER_FAILED when the broker refuses the records
 *   after the producer's retries (the message says how many were written)
 */
export async function loadNexmarkEvents(options: NexmarkLoadOptions): Promise<NexmarkLoadResult> {
  const started = Date.now();
  const { brokers, topic, events } = options;
  const partitions = options.partitions ?? 4;
  await ensureTopics(brokers, [{ topic, partitions, config: { ...NEXMARK_TOPIC_CONFIG } }]);
  const held = await countTopicRecords(brokers, topic);
  if (held === events) {
    return { written: 0, skipped: true, bytes: 0, elapsedMs: Date.now() - started };
  }
  if (held !== 0) {
    throw new NexmarkTopicNotEmptyError(
      `topic ${topic} holds ${held} records, not the ${events} events requested: delete it (or choose another topic) and load again`,
      { details: { topic, records: held, events } },
    );
  }
  const admin = client(brokers, 'sluice-nexmark-admin').admin();
  await admin.connect();
  const topicPartitions = (await retrying(() => admin.fetchTopicOffsets(topic))).length;
  await admin.disconnect();

  const realTime = options.realTime ?? false;
  const generatorOptions = { ...options.generator };
  if (realTime) generatorOptions.baseTime ??= Date.now();
  const generator = new NexmarkGenerator(generatorOptions);
  const config = generator.config;
  // Paced: batches of 10 ms of events, so that each is written close to its time.
  const batchEvents = realTime
    ? Math.max(1, Math.floor(config.options.firstEventRate / 100))
    : (options.batchEvents ?? 8000);

  const makeBatch = (from: number) => {
    const to = Math.min(events, from + batchEvents);
    const messages = new Array(to - from);
    let bytes = 0;
    for (let n = from; n < to; n++) {
      const value = JSON.stringify(generator.event(n));
      bytes += value.length;
      messages[n - from] = { value, partition: n % topicPartitions };
    }
    return { from, to, messages, bytes };
  };

  const producer = client(brokers, 'sluice-nexmark-loader').producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  let written = 0;
  let bytes = 0;
  try {
    let next = events > 0 ? makeBatch(0) : undefined;
    while (next !== undefined && options.signal?.aborted !== true) {
      const batch = next;
      if (realTime) {
        const due = config.timestampForEvent(config.adjustedEventNumber(batch.from));
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
      }
      const sent = producer.send({ topic, messages: batch.messages, acks: -1 });
      next = batch.to < events ? makeBatch(batch.to) : undefined;
      try {
        await sent;
      } catch (error) {
        throw new KafkaProducerError(
          `writing Nexmark events to ${topic} failed after ${written} of ${events} events: ${errorSummary(error)}`,
          { cause: error, details: { topic, written, events } },
        );
      }
      written = batch.to;
      bytes += batch.bytes;
      options.onProgress?.(written);
    }
  } finally {
    await producer.disconnect().catch(() => {});
  }
  return { written, skipped: false, bytes, elapsedMs: Date.now() - started };
}
