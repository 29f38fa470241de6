import { describe, expect, inject, it } from 'vitest';
import { waitForKafka } from '../../../../src/connectors/kafka/kafka-admin.ts';
import { freePort } from '../../../../src/connectors/kafka/local-kafka-cluster.ts';
import { testKafka, uniqueTopic } from '../../../helpers/kafka-test-utils.ts';

describe('the real Kafka broker of the test setup', () => {
  it('round-trips 10,000 keyed messages through a 4-partition topic in per-partition order', async () => {
    console.log(`broker mode: ${inject('kafkaMode')} at ${inject('kafkaBrokers').join(',')}`);
    const kafka = testKafka();
    const topic = uniqueTopic('roundtrip');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    await admin.disconnect();

    const total = 10_000;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let start = 0; start < total; start += 1_000) {
      const messages = [];
      for (let seq = start; seq < start + 1_000; seq++) {
        messages.push({
          key: `key-${seq % 97}`,
          value: JSON.stringify({ seq, key: `key-${seq % 97}` }),
        });
      }
      await producer.send({ topic, messages, acks: -1 });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueTopic('group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Map<number, number>(); // seq → partition
    const lastSeqOfPartition = new Map<number, number>();
    const lastOffsetOfPartition = new Map<number, bigint>();
    const partitionOfKey = new Map<string, number>();
    const violations: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${seen.size} of ${total} consumed`)),
        120_000,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const body = JSON.parse(message.value!.toString()) as { seq: number; key: string };
              const key = message.key!.toString();
              if (key !== body.key) violations.push(`key ${key} carries body of ${body.key}`);
              if (seen.has(body.seq)) violations.push(`duplicate seq ${body.seq}`);
              seen.set(body.seq, batch.partition);
              const last = lastSeqOfPartition.get(batch.partition) ?? -1;
              if (body.seq <= last)
                violations.push(`partition ${batch.partition}: ${body.seq} after ${last}`);
              lastSeqOfPartition.set(batch.partition, body.seq);
              const offset = BigInt(message.offset);
              const lastOffset = lastOffsetOfPartition.get(batch.partition) ?? -1n;
              if (offset !== lastOffset + 1n)
                violations.push(
                  `partition ${batch.partition}: offset ${offset} after ${lastOffset}`,
                );
              lastOffsetOfPartition.set(batch.partition, offset);
              const keyPartition = partitionOfKey.get(key) ?? batch.partition;
              if (keyPartition !== batch.partition) violations.push(`key ${key} in two partitions`);
              partitionOfKey.set(key, batch.partition);
            }
            if (seen.size >= total) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    expect(violations).toEqual([]);
    expect(seen.size).toBe(total);
    for (let seq = 0; seq < total; seq++) expect(seen.has(seq)).toBe(true);
    expect(lastSeqOfPartition.size).toBe(4); // 97 keys spread over all 4 partitions
  });

  it('fails with SLUICE_ERR_KAFKA_UNREACHABLE in bounded time when no broker listens', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await waitForKafka([`127.0.0.1:${port}`], { timeoutMs: 2_000 }).catch(
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ code: 'SLUICE_ERR_KAFKA_UNREACHABLE' });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect(elapsed).toBeLessThan(10_000);
  });
});
