import { describe, expect, it } from 'vitest';
import { InputStatus, type ReaderOutput } from '../../../../src/api/connector/source.ts';
import { DEAD_LETTER_HEADERS } from '../../../../src/connectors/kafka/deserialization-failure-handler.ts';
import { JsonDeserializationSchema } from '../../../../src/connectors/kafka/kafka-record-deserialization-schema.ts';
import { KafkaSource } from '../../../../src/connectors/kafka/kafka-source.ts';
import type { KafkaSourceReader } from '../../../../src/connectors/kafka/kafka-source-reader.ts';
import { OffsetsInitializer } from '../../../../src/connectors/kafka/offsets-initializer.ts';
import { splitOwner } from '../../../../src/connectors/kafka/subtask-partition-assigner.ts';
import { batchOf, FakeKafkaClients, settle } from './fake-kafka-clients.ts';

interface Rec {
  n: number;
}

class CollectingOutput implements ReaderOutput<Rec> {
  readonly values: number[] = [];
  readonly timestamps: (number | undefined)[] = [];
  collect(record: Rec, timestamp?: number): void {
    this.values.push(record.n);
    this.timestamps.push(timestamp);
  }
  emitWatermark(): void {}
}

function json(n: number): string {
  return JSON.stringify({ n });
}

function range(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => json(from + i));
}

interface Setup {
  clients: FakeKafkaClients;
  reader: KafkaSourceReader<Rec>;
  output: CollectingOutput;
}

async function startReader(
  properties: Record<string, unknown> = {},
  configure: (b: ReturnType<typeof KafkaSource.builder<Rec>>) => void = () => {},
  context = { subtaskIndex: 0, parallelism: 1 },
  topics: Record<string, [number, number][]> = { t: [[0, 1000]] },
): Promise<Setup> {
  const clients = new FakeKafkaClients();
  for (const [topic, partitions] of Object.entries(topics))
    clients.admin.setTopic(topic, partitions);
  const builder = KafkaSource.builder()
    .setBootstrapServers('fake:9092')
    .setTopics(...Object.keys(topics))
    .setGroupId('g')
    .setValueOnlyDeserializer(new JsonDeserializationSchema<Rec>())
    .setClientFactory(() => clients)
    .setProperties({ 'kafka.log-level': 'nothing', ...properties });
  configure(builder as never);
  const reader = builder
    .build()
    .createReader({ ...context, taskName: 'Source: t', operatorName: 'Source: t' });
  await reader.start();
  return { clients, reader, output: new CollectingOutput() };
}

function drain(reader: KafkaSourceReader<Rec>, output: CollectingOutput, max = 1024): string {
  let status: string = InputStatus.MORE_AVAILABLE;
  while (status === InputStatus.MORE_AVAILABLE) status = reader.pollNext(output, max);
  return status;
}

describe('KafkaSourceReader', () => {
  it('starts new partitions paused, seeks them to the starting offsets, then resumes them', async () => {
    const { clients, reader } = await startReader({}, (b) =>
      b.setStartingOffsets(OffsetsInitializer.committedOffsets('earliest')),
    );
    clients.admin.setTopic('t', [
      [5, 100],
      [0, 50],
    ]);
    clients.admin.committed.set('t:1', 42);
    const consumer = clients.consumers[0]!;
    expect(consumer.config.member).toEqual({ subtaskIndex: 0, parallelism: 1 });
    consumer.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    expect(consumer.isPaused('t', 0)).toBe(true);
    expect(consumer.isPaused('t', 1)).toBe(true);
    await settle();
    expect(consumer.seeks).toEqual([
      { topic: 't', partition: 0, offset: 5 },
      { topic: 't', partition: 1, offset: 42 },
    ]);
    expect(consumer.isPaused('t', 0)).toBe(false);
    expect(consumer.isPaused('t', 1)).toBe(false);
    await reader.close();
  });

  it('emits records with their Kafka timestamps and tracks the next offset per partition', async () => {
    const { clients, reader, output } = await startReader();
    const consumer = clients.consumers[0]!;
    consumer.assign([{ topic: 't', partition: 0 }]);
    await settle();
    expect(reader.pollNext(output, 10)).toBe(InputStatus.NOTHING_AVAILABLE);
    const available = reader.isAvailable();
    await consumer.deliver(batchOf('t', 0, 0, range(0, 5)));
    await available;
    expect(reader.pollNext(output, 3)).toBe(InputStatus.MORE_AVAILABLE);
    expect(reader.snapshotState(1)).toEqual([{ topic: 't', partition: 0, offset: 3 }]);
    expect(reader.pollNext(output, 10)).toBe(InputStatus.NOTHING_AVAILABLE);
    expect(output.values).toEqual([0, 1, 2, 3, 4]);
    expect(output.timestamps[0]).toBe(1_700_000_000_000);
    expect(reader.snapshotState(2)).toEqual([{ topic: 't', partition: 0, offset: 5 }]);
    const metrics = reader.snapshotMetrics();
    expect(metrics.partitions).toEqual([
      { topic: 't', partition: 0, currentOffset: 5, committedOffset: -1, lag: 0 },
    ]);
    await reader.close();
  });

  it('pauses every partition when the queue is full, heartbeats while it waits, and resumes below the low-water mark', async () => {
    const { clients, reader, output } = await startReader(
      {
        'source.kafka.max-buffered-records': 100,
        'source.kafka.resume-fraction': 0.5,
        'heartbeat.interval.ms': 10,
      },
      () => {},
      { subtaskIndex: 0, parallelism: 1 },
      { t: [[0, 1000]], u: [[0, 1000]] },
    );
    const consumer = clients.consumers[0]!;
    consumer.assign([
      { topic: 't', partition: 0 },
      { topic: 'u', partition: 0 },
    ]);
    await settle();
    await consumer.deliver(batchOf('t', 0, 0, range(0, 60)));
    expect(reader.isBackpressurePaused()).toBe(false);
    let released = false;
    const held = consumer.deliver(batchOf('u', 0, 0, range(1000, 60))).then(() => {
      released = true;
    });
    await settle();
    expect(reader.isBackpressurePaused()).toBe(true);
    expect(consumer.isPaused('t', 0)).toBe(true);
    expect(consumer.isPaused('u', 0)).toBe(true);
    expect(released).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(consumer.heartbeats).toBeGreaterThan(0);
    expect(reader.fetchQueue.bufferedRecords).toBe(120);
    reader.pollNext(output, 50); // 70 left: above the low-water mark (50)
    await settle();
    expect(released).toBe(false);
    reader.pollNext(output, 30); // 40 left
    await held;
    expect(reader.isBackpressurePaused()).toBe(false);
    expect(consumer.isPaused('t', 0)).toBe(false);
    expect(consumer.isPaused('u', 0)).toBe(false);
    expect(drain(reader, output)).toBe(InputStatus.NOTHING_AVAILABLE);
    expect(output.values).toHaveLength(120);
    expect(reader.numPauses).toBe(1);
    await reader.close();
  });

  it('lets a rebalance error of the heartbeat end the wait (the client then rejoins)', async () => {
    const { clients, reader } = await startReader({
      'source.kafka.max-buffered-records': 10,
      'heartbeat.interval.ms': 5,
    });
    const consumer = clients.consumers[0]!;
    consumer.assign([{ topic: 't', partition: 0 }]);
    await settle();
    consumer.heartbeatError = Object.assign(new Error('The group is rebalancing'), {
      type: 'REBALANCE_IN_PROGRESS',
    });
    await expect(consumer.deliver(batchOf('t', 0, 0, range(0, 20)))).rejects.toThrow(/rebalancing/);
    await reader.close();
  });

  it('drops the queued records of a revoked partition and keeps those of a partition that came back', async () => {
    const { clients, reader, output } = await startReader({}, () => {}, undefined, {
      t: [
        [0, 1000],
        [0, 1000],
      ],
    });
    const consumer = clients.consumers[0]!;
    consumer.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    await settle();
    await consumer.deliver(batchOf('t', 0, 0, range(0, 10)));
    await consumer.deliver(batchOf('t', 1, 0, range(100, 10)));
    reader.pollNext(output, 4); // 4 records of partition 0 emitted
    consumer.seeks.length = 0;
    consumer.assign([{ topic: 't', partition: 0 }]); // partition 1 went to another member
    expect(consumer.seeks).toEqual([{ topic: 't', partition: 0, offset: 10 }]);
    expect(drain(reader, output)).toBe(InputStatus.NOTHING_AVAILABLE);
    expect(output.values).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(reader.snapshotState(1)).toEqual([{ topic: 't', partition: 0, offset: 10 }]);
    await reader.close();
  });

  it('ignores batches of partitions it does not hold or that are not started', async () => {
    const { clients, reader, output } = await startReader();
    const consumer = clients.consumers[0]!;
    consumer.assign([{ topic: 't', partition: 0 }]);
    await consumer.deliver(batchOf('t', 0, 0, range(0, 3))); // before the seek resolved
    await settle();
    await consumer.deliver(batchOf('t', 5, 0, range(0, 3)));
    expect(drain(reader, output)).toBe(InputStatus.NOTHING_AVAILABLE);
    expect(output.values).toEqual([]);
    await reader.close();
  });

  it('skips records below its fetch position (a batch fetched before a seek)', async () => {
    const { clients, reader, output } = await startReader();
    const consumer = clients.consumers[0]!;
    consumer.assign([{ topic: 't', partition: 0 }]);
    await settle();
    await consumer.deliver(batchOf('t', 0, 0, range(0, 5)));
    await consumer.deliver(batchOf('t', 0, 3, range(3, 5))); // overlaps 3, 4
    drain(reader, output);
    expect(output.values).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('ends a bounded read at the stopping offsets of the partitions it owns', async () => {
    const topics: Record<string, [number, number][]> = {
      t: [
        [0, 8],
        [0, 0],
        [0, 5],
      ],
    };
    const owned = [0, 1, 2].filter((p) => splitOwner('t', p, 2) === 0);
    const { clients, reader, output } = await startReader(
      {},
      (b) => b.setBounded(OffsetsInitializer.latest()),
      { subtaskIndex: 0, parallelism: 2 },
      topics,
    );
    const consumer = clients.consumers[0]!;
    consumer.assign(owned.map((partition) => ({ topic: 't', partition })));
    await settle();
    for (const p of owned) {
      const high = topics.t![p]![1];
      if (high > 0) await consumer.deliver(batchOf('t', p, 0, range(p * 100, high + 3)));
    }
    expect(drain(reader, output)).toBe(InputStatus.END_OF_INPUT);
    const expected = owned.flatMap((p) =>
      Array.from({ length: topics.t![p]![1] }, (_, i) => p * 100 + i),
    );
    expect(output.values.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    for (const p of owned) expect(consumer.isPaused('t', p)).toBe(true);
    await reader.close();
  });

  it('finishes at once when a bounded read owns no partition, without joining the group', async () => {
    const { clients, reader, output } = await startReader(
      {},
      (b) => b.setBounded(OffsetsInitializer.latest()),
      { subtaskIndex: 3, parallelism: 4 },
      { t: [[0, 10]] },
    );
    expect(splitOwner('t', 0, 4)).not.toBe(3);
    expect(clients.consumers).toHaveLength(0);
    expect(reader.pollNext(output, 10)).toBe(InputStatus.END_OF_INPUT);
    await reader.close();
  });

  it("fails with SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED naming topic, partition and offset (policy 'fail')", async () => {
    const { clients, reader, output } = await startReader();
    const consumer = clients.consumers[0]!;
    consumer.assign([{ topic: 't', partition: 0 }]);
    await settle();
    await consumer.deliver(batchOf('t', 0, 40, [json(1), '{"n": oops', json(3)]));
    let error: unknown;
    try {
      drain(reader, output);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED',
      details: { topic: 't', partition: 0, offset: '41' },
    });
    expect((error as Error).message).toMatch(/offset 41 of partition 0 of topic t/);
    expect((error as Error).message).toMatch(/deserialization.failure-policy/);
    expect(output.values).toEqual([1]);
    expect(reader.snapshotState(1)).toEqual([{ topic: 't', partition: 0, offset: 41 }]);
  });

  it("skips and counts undeserializable records (policy 'skip')", async () => {
    const { clients, reader, output } = await startReader({
      'deserialization.failure-policy': 'skip',
    });
    const consumer = clients.consumers[0]!;
    consumer.assign([{ topic: 't', partition: 0 }]);
    await settle();
    await consumer.deliver(batchOf('t', 0, 0, [json(1), 'not json', json(3), '{', json(5)]));
    expect(drain(reader, output)).toBe(InputStatus.NOTHING_AVAILABLE);
    expect(output.values).toEqual([1, 3, 5]);
    expect(reader.numRecordsInErrors).toBe(2);
    expect(reader.snapshotMetrics()).toMatchObject({ numRecordsInErrors: 2 });
    expect(reader.snapshotState(1)).toEqual([{ topic: 't', partition: 0, offset: 5 }]);
    await reader.close();
  });

  it("sends undeserializable records unchanged to the dead-letter topic with the error in headers (policy 'dead-letter')", async () => {
    const { clients, reader, output } = await startReader(
      {
        'deserialization.failure-policy': 'dead-letter',
        'deserialization.dead-letter.topic': 'dlq',
      },
      (b) => b.setBounded(OffsetsInitializer.latest()),
      undefined,
      { t: [[0, 3]] },
    );
    const consumer = clients.consumers[0]!;
    consumer.assign([{ topic: 't', partition: 0 }]);
    await settle();
    await consumer.deliver(batchOf('t', 0, 0, [json(1), 'broken', json(3)]));
    expect(drain(reader, output)).toBe(InputStatus.NOTHING_AVAILABLE); // dead letter not acked yet
    await reader.isAvailable();
    expect(drain(reader, output)).toBe(InputStatus.END_OF_INPUT);
    expect(output.values).toEqual([1, 3]);
    expect(reader.numRecordsInErrors).toBe(1);
    expect(reader.numRecordsDeadLettered).toBe(1);
    const producer = clients.producers[0]!;
    expect(producer.config).toMatchObject({ idempotent: true, acks: -1 });
    const [letter] = producer.sent();
    expect(letter!.topic).toBe('dlq');
    expect(Buffer.from(letter!.value as Uint8Array).toString()).toBe('broken');
    expect(Buffer.from(letter!.key as Uint8Array).toString()).toBe('k1');
    const headers = letter!.headers as Record<string, unknown>;
    expect(headers[DEAD_LETTER_HEADERS.ERROR_CODE]).toBe('SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED');
    expect(String(headers[DEAD_LETTER_HEADERS.ERROR_MESSAGE])).toMatch(/SyntaxError/);
    expect(headers[DEAD_LETTER_HEADERS.SOURCE_TOPIC]).toBe('t');
    expect(headers[DEAD_LETTER_HEADERS.SOURCE_PARTITION]).toBe('0');
    expect(headers[DEAD_LETTER_HEADERS.SOURCE_OFFSET]).toBe('1');
    expect(Buffer.from(headers.origin as Uint8Array).toString()).toBe('test');
    await reader.close();
  });

  it('fails the read when the dead-letter topic cannot be written', async () => {
    const { clients, reader, output } = await startReader({
      'deserialization.failure-policy': 'dead-letter',
      'deserialization.dead-letter.topic': 'dlq',
    });
    const consumer = clients.consumers[0]!;
    consumer.assign([{ topic: 't', partition: 0 }]);
    await settle();
    clients.producers[0]!.failWith = new Error('UNKNOWN_TOPIC_OR_PARTITION');
    await consumer.deliver(batchOf('t', 0, 0, ['broken', json(2)]));
    drain(reader, output);
    await expect(reader.flush()).rejects.toMatchObject({
      code: 'SLUICE_ERR_KAFKA_PRODUCER_FAILED',
    });
    expect(() => reader.pollNext(output, 10)).toThrow(/dead-letter topic dlq/);
  });

  it('commits the offsets of a completed checkpoint and forgets older ones', async () => {
    const { clients, reader, output } = await startReader();
    const consumer = clients.consumers[0]!;
    consumer.assign([{ topic: 't', partition: 0 }]);
    await settle();
    await consumer.deliver(batchOf('t', 0, 0, range(0, 10)));
    reader.pollNext(output, 4);
    reader.snapshotState(7);
    reader.pollNext(output, 4);
    reader.snapshotState(8);
    await reader.notifyCheckpointComplete(8);
    await reader.notifyCheckpointComplete(7); // already forgotten
    expect(consumer.commits).toEqual([[{ topic: 't', partition: 0, offset: 8 }]]);
    expect(reader.snapshotMetrics().partitions![0]!.committedOffset).toBe(8);
    consumer.commitError = new Error('REBALANCE_IN_PROGRESS');
    reader.pollNext(output, 1);
    reader.snapshotState(9);
    await reader.notifyCheckpointComplete(9); // logged and counted, not thrown
    expect(reader.commitsFailed).toBe(1);
    expect(reader.commitsSucceeded).toBe(1);
    await reader.close();
  });

  it('commits emitted offsets on close only with enable.auto.commit', async () => {
    for (const autoCommit of [false, true]) {
      const { clients, reader, output } = await startReader({ 'enable.auto.commit': autoCommit });
      const consumer = clients.consumers[0]!;
      consumer.assign([{ topic: 't', partition: 0 }]);
      await settle();
      await consumer.deliver(batchOf('t', 0, 0, range(0, 6)));
      reader.pollNext(output, 6);
      await reader.close();
      expect(consumer.commits).toEqual(
        autoCommit ? [[{ topic: 't', partition: 0, offset: 6 }]] : [],
      );
      expect(consumer.disconnected).toBe(true);
    }
  });

  it('starts restored partitions from the restored offsets instead of the starting offsets', async () => {
    const clients = new FakeKafkaClients();
    clients.admin.setTopic('t', [[0, 100]]);
    const reader = KafkaSource.builder()
      .setBootstrapServers('fake:9092')
      .setTopics('t')
      .setGroupId('g')
      .setValueOnlyDeserializer(new JsonDeserializationSchema<Rec>())
      .setClientFactory(() => clients)
      .setProperty('kafka.log-level', 'nothing')
      .build()
      .createReader({ subtaskIndex: 0, parallelism: 1, taskName: 'x', operatorName: 'x' });
    reader.restoreState([{ topic: 't', partition: 0, offset: 77 }]);
    await reader.start();
    clients.consumers[0]!.assign([{ topic: 't', partition: 0 }]);
    await settle();
    expect(clients.consumers[0]!.seeks).toEqual([{ topic: 't', partition: 0, offset: 77 }]);
    await reader.close();
  });

  it('resolves a topic pattern against the topics that exist at start', async () => {
    const { clients, reader } = await startReader(
      {},
      (b) => b.setTopicPattern(/^orders-/),
      undefined,
      {
        'orders-eu': [[0, 1]],
        'orders-us': [[0, 1]],
        payments: [[0, 1]],
      },
    );
    expect(clients.consumers[0]!.subscribed).toEqual(['orders-eu', 'orders-us']);
    await reader.close();
  });

  it('routes each partition to its own output when the runtime offers split outputs, and releases it on revocation', async () => {
    const { clients, reader } = await startReader({}, () => {}, undefined, {
      t: [
        [0, 100],
        [0, 100],
      ],
    });
    const perSplit = new Map<string, CollectingOutput>();
    const released: string[] = [];
    const main = Object.assign(new CollectingOutput(), {
      createOutputForSplit(splitId: string) {
        const out = new CollectingOutput();
        perSplit.set(splitId, out);
        return out;
      },
      releaseOutputForSplit(splitId: string) {
        released.push(splitId);
      },
    });
    const consumer = clients.consumers[0]!;
    consumer.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    await settle();
    await consumer.deliver(batchOf('t', 0, 0, range(0, 3)));
    await consumer.deliver(batchOf('t', 1, 0, range(10, 2)));
    drain(reader, main);
    expect(main.values).toEqual([]);
    expect(perSplit.get('t:0')!.values).toEqual([0, 1, 2]);
    expect(perSplit.get('t:1')!.values).toEqual([10, 11]);
    consumer.assign([{ topic: 't', partition: 0 }]);
    expect(released).toEqual(['t:1']);
    await reader.close();
  });

  it('surfaces a consumer crash as SLUICE_ERR_KAFKA_CONSUMER_FAILED', async () => {
    const { clients, reader, output } = await startReader();
    clients.consumers[0]!.listener!.onCrash(new Error('SASL authentication failed'));
    await reader.isAvailable();
    expect(() => reader.pollNext(output, 1)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_KAFKA_CONSUMER_FAILED' }),
    );
  });
});
