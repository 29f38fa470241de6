/**
 * Helpers of the Kafka connector integration tests: topics, bulk loading, reading a
 * topic back, a small runtime cluster, and the job module path.
 */
import { Configuration } from '../../../../src/config/configuration.ts';
import { MiniCluster } from '../../../../src/runtime/mini-cluster.ts';
import { testKafka, uniqueTopic } from '../../../helpers/kafka-test-utils.ts';

export { uniqueTopic };

/** The pipeline job module (`jobs/kafka-pipeline-job.ts`). */
export const PIPELINE_JOB = new URL('./jobs/kafka-pipeline-job.ts', import.meta.url);

/** Creates topics with `partitions` partitions each. */
export async function createTopics(partitions: number, ...topics: string[]): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Produces `count` records `{k, seq, pad?}` keyed by `k = "k" + seq % keys`, in order,
 * with an idempotent producer; `value(seq)` overrides the JSON value (corrupt records).
 */
export async function produceRecords(
  topic: string,
  count: number,
  options: { keys?: number; padBytes?: number; value?: (seq: number) => string | undefined } = {},
): Promise<void> {
  const keys = options.keys ?? 1000;
  const pad = options.padBytes ? 'x'.repeat(options.padBytes) : undefined;
  const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    // All records of a chunk may hash to one partition: stay well below 1 MiB per request.
    const chunk = Math.max(100, Math.floor((512 * 1024) / (60 + (options.padBytes ?? 0))));
    for (let start = 0; start < count; start += chunk) {
      const messages = [];
      for (let seq = start; seq < Math.min(count, start + chunk); seq++) {
        const k = `k${seq % keys}`;
        const value = options.value?.(seq) ?? JSON.stringify(pad ? { k, seq, pad } : { k, seq });
        messages.push({ key: k, value });
      }
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Sum of the high watermarks of a topic's partitions. */
export async function endOffsets(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A record read back: partition, offset, key, value, headers. */
export interface ReadRecord {
  partition: number;
  offset: number;
  /** Record timestamp (epoch ms). */
  timestamp: number;
  key: string;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Reads a topic from the beginning until `expected` records were seen (or `timeoutMs`).
 *
 * @param onRecord - called per record in partition order (avoids keeping a million objects)
 * @param brokers - another broker than the suite's (a test's own)
 * @returns the records seen (fewer than `expected` after a timeout)
 */
export async function readTopic(
  topic: string,
  expected: number,
  onRecord: (record: ReadRecord) => void,
  timeoutMs = 90_000,
  brokers?: string[],
): Promise<number> {
  const consumer = testKafka('sluice-test', brokers).consumer({
    groupId: uniqueTopic('reader'),
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      if (expected === 0) {
        clearTimeout(timer);
        resolve();
        return;
      }
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const headers: Record<string, string> = {};
              for (const [name, v] of Object.entries(m.headers ?? {})) headers[name] = String(v);
              onRecord({
                partition: batch.partition,
                offset: Number(m.offset),
                timestamp: Number(m.timestamp),
                key: m.key?.toString() ?? '',
                value: m.value,
                headers,
              });
              seen++;
            }
            if (seen >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** A cluster of `slots` slots for Kafka jobs (small network memory, quiet logs). */
export function startCluster(slots = 2): Promise<MiniCluster> {
  return MiniCluster.start(
    Configuration.fromJSON({
      'taskmanager.numberOfTaskSlots': slots,
      'taskmanager.memory.network.min': '4mb',
      'taskmanager.memory.network.max': '4mb',
      'log.level': 'error',
    }),
    { metricsIntervalMs: 200, cancelTimeoutMs: 10_000 },
  );
}
