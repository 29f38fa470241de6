import { describe, expect, it } from 'vitest';
import { KafkaProducerBatcher } from '../../../../src/connectors/kafka/kafka-producer-batcher.ts';
import { FakeProducer, settle } from './fake-kafka-clients.ts';

const options = {
  lingerMs: 0,
  maxRequestBytes: 1000,
  maxBufferedBytes: 5000,
  maxBufferedRecords: 1000,
};

describe('KafkaProducerBatcher', () => {
  it('keeps one request in flight and sends what accumulated meanwhile next, in order', async () => {
    const producer = new FakeProducer();
    producer.hold = true;
    const batcher = new KafkaProducerBatcher(producer, options, 'test');
    for (let i = 0; i < 5; i++) batcher.add('t', { value: String(i) }, 10);
    await settle();
    expect(producer.inFlight).toBe(1);
    for (let i = 5; i < 12; i++) batcher.add('t', { value: String(i) }, 10);
    await settle();
    expect(producer.inFlight).toBe(1);
    producer.release();
    await settle();
    producer.release();
    await batcher.flush();
    expect(producer.maxInFlight).toBe(1);
    expect(producer.requests.map((r) => r[0]!.messages.length)).toEqual([5, 7]);
    expect(producer.sent().map((m) => m.value)).toEqual(
      Array.from({ length: 12 }, (_, i) => String(i)),
    );
    expect(batcher.numRecordsSent).toBe(12);
  });

  it('a flush (checkpoint barrier) waits for the records added before it, not for those that keep coming', async () => {
    const producer = new FakeProducer();
    producer.hold = true;
    const batcher = new KafkaProducerBatcher(producer, options, 'test');
    const add = (from: number, to: number) => {
      for (let i = from; i < to; i++) batcher.add('t', { value: String(i) }, 10);
    };
    add(0, 3);
    await settle(); // request [0..3) in flight
    add(3, 6);
    let flushed = false;
    const flush = batcher.flush().then(() => {
      flushed = true;
    });
    add(6, 9); // the task keeps writing after the barrier
    producer.release();
    await settle(); // [0..3) acknowledged, [3..9) in flight
    expect(flushed).toBe(false);
    add(9, 12);
    producer.release();
    await settle(); // [3..9) acknowledged, [9..12) in flight and held
    expect(flushed).toBe(true);
    expect(producer.inFlight).toBe(1);
    await flush;
    producer.hold = false;
    producer.release();
    await batcher.flush();
    expect(batcher.numRecordsSent).toBe(12);
  });

  it('splits a backlog larger than one request, oldest records first per topic', async () => {
    const producer = new FakeProducer();
    const batcher = new KafkaProducerBatcher(producer, { ...options, lingerMs: 50 }, 'test');
    for (let i = 0; i < 30; i++) batcher.add(i % 2 ? 'a' : 'b', { value: String(i) }, 100);
    await batcher.flush();
    expect(producer.requests.length).toBeGreaterThan(1);
    for (const topic of ['a', 'b']) {
      const values = producer
        .sent()
        .filter((m) => m.topic === topic)
        .map((m) => Number(m.value));
      expect(values).toEqual([...values].sort((x, y) => x - y));
      expect(values).toHaveLength(15);
    }
  });

  it('is unavailable while buffered + in-flight records reach the bound, and wakes on acknowledgement', async () => {
    const producer = new FakeProducer();
    producer.hold = true;
    const batcher = new KafkaProducerBatcher(
      producer,
      { ...options, maxBufferedRecords: 10 },
      'test',
    );
    for (let i = 0; i < 10; i++) batcher.add('t', { value: 'x' }, 1);
    expect(batcher.isAvailable()).toBe(false);
    const available = batcher.getAvailableFuture();
    await settle();
    producer.release();
    await available;
    expect(batcher.isAvailable()).toBe(true);
  });

  it('turns a failed request into SLUICE_ERR_KAFKA_PRODUCER_FAILED for flush and every later add', async () => {
    const producer = new FakeProducer();
    producer.failWith = new Error('NOT_ENOUGH_REPLICAS');
    const batcher = new KafkaProducerBatcher(producer, options, 'Kafka sink subtask 1/1');
    batcher.add('out', { value: 'x' }, 1);
    const error = await batcher.flush().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SLUICE_ERR_KAFKA_PRODUCER_FAILED',
      details: { topics: ['out'], records: 1 },
    });
    expect((error as Error).message).toMatch(
      /Kafka sink subtask 1\/1: 1 records to topic\(s\) out/,
    );
    expect(() => batcher.add('out', { value: 'y' }, 1)).toThrow(/NOT_ENOUGH_REPLICAS/);
    expect(batcher.isAvailable()).toBe(true); // so that the task reaches the error
  });
});
