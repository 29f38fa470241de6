import { describe, expect, inject, it } from 'vitest';
import type { SinkWriterElementContext } from '../../../../src/api/connector/sink.ts';
import {
  JsonSerializationSchema,
  KafkaRecordSerializationSchema,
} from '../../../../src/connectors/kafka/kafka-record-serialization-schema.ts';
import { KafkaSink } from '../../../../src/connectors/kafka/kafka-sink.ts';
import { DeliveryGuarantee } from '../../../../src/connectors/kafka/kafka-sink-options.ts';
import type { KafkaSinkWriter } from '../../../../src/connectors/kafka/kafka-sink-writer.ts';
import {
  createTopics,
  endOffsets,
  type ReadRecord,
  readTopic,
  uniqueTopic,
} from './kafka-it-utils.ts';

interface Event {
  k: string;
  seq: number;
  p?: number;
}

const context = (timestamp?: number): SinkWriterElementContext => ({
  timestamp: () => timestamp,
  currentWatermark: () => Number.MIN_SAFE_INTEGER,
});

async function writerFor(
  topic: string,
  properties: Record<string, unknown> = {},
  partitioned = false,
): Promise<KafkaSinkWriter<Event>> {
  const serializer = KafkaRecordSerializationSchema.builder<Event>()
    .setTopic(topic)
    .setKeySerializationSchema((e) => e.k)
    .setValueSerializationSchema(new JsonSerializationSchema<Event>())
    .setHeaderProvider((e) => ({ seq: String(e.seq) }));
  if (partitioned) serializer.setPartitioner((e) => e.p);
  const sink = KafkaSink.builder<Event>()
    .setBootstrapServers(inject('kafkaBrokers'))
    .setRecordSerializer(serializer.build())
    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
    .setProperties({ 'kafka.log-level': 'error', ...properties })
    .build();
  return (await sink.createWriter({
    subtaskIndex: 0,
    parallelism: 1,
    taskName: 'Sink: test',
    sendEventToCoordinator() {},
  })) as KafkaSinkWriter<Event>;
}

describe('KafkaSink', () => {
  it('AT_LEAST_ONCE: flush at a barrier returns once every record written before it is in Kafka, in order per key', async () => {
    const topic = uniqueTopic('sink-alo');
    await createTopics(3, topic);
    // Small requests: many requests follow each other, one in flight at a time.
    const writer = await writerFor(topic, { 'sink.kafka.batch-size': '16kb', 'linger.ms': 0 });
    const total = 30_000;
    for (let seq = 0; seq < total; seq++) {
      writer.write({ k: `k${seq % 31}`, seq }, context(1_700_000_000_000 + seq));
      if (!writer.isAvailable()) await writer.getAvailableFuture();
      if (seq === total / 2) {
        await writer.flush(false); // a checkpoint barrier
        expect(await endOffsets(topic)).toBe(total / 2 + 1);
      }
    }
    await writer.flush(false);
    expect(await endOffsets(topic)).toBe(total);
    expect(writer.batcher.numRequests).toBeGreaterThan(20);
    await writer.close();

    const last = new Map<string, number>();
    const violations: string[] = [];
    await readTopic(topic, total, (r: ReadRecord) => {
      const event = JSON.parse(r.value!.toString()) as Event;
      if ((last.get(r.key) ?? -1) >= event.seq) violations.push(`${r.key}: ${event.seq}`);
      last.set(r.key, event.seq);
      if (r.headers.seq !== String(event.seq)) violations.push(`header of ${event.seq}`);
      if (r.timestamp !== 1_700_000_000_000 + event.seq)
        violations.push(`timestamp of ${event.seq}`);
    });
    expect(violations).toEqual([]);
    expect(last.size).toBe(31);
  });

  it('writes gzip-compressed batches, to explicit partitions when the serializer names them', async () => {
    const topic = uniqueTopic('sink-gzip');
    await createTopics(4, topic);
    const writer = await writerFor(topic, { 'compression.type': 'gzip' }, true);
    for (let seq = 0; seq < 4000; seq++)
      writer.write({ k: 'same-key', seq, p: seq % 4 }, context());
    await writer.flush(true);
    await writer.close();
    const byPartition = new Map<number, number[]>();
    await readTopic(topic, 4000, (r) => {
      const event = JSON.parse(r.value!.toString()) as Event;
      const list = byPartition.get(r.partition) ?? [];
      list.push(event.seq);
      byPartition.set(r.partition, list);
    });
    for (let p = 0; p < 4; p++) {
      const seqs = byPartition.get(p)!;
      expect(seqs).toHaveLength(1000);
      expect(seqs.every((seq, i) => seq % 4 === p && (i === 0 || seq > seqs[i - 1]!))).toBe(true);
    }
  });

  it('fails with SLUICE_ERR_KAFKA_PRODUCER_FAILED naming the topic when it does not exist', async () => {
    const topic = uniqueTopic('sink-missing');
    const writer = await writerFor(topic);
    writer.write({ k: 'a', seq: 1 }, context());
    const error = await writer.flush(true).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SLUICE_ERR_KAFKA_PRODUCER_FAILED' });
    expect((error as Error).message).toContain(topic);
    expect(() => writer.write({ k: 'a', seq: 2 }, context())).toThrow(/could not be delivered/);
    await writer.close();
  });
});
