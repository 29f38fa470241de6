import { describe, expect, it } from 'vitest';
import {
  FetchedRecordsQueue,
  type QueuedBatch,
} from '../../../../src/connectors/kafka/fetched-records-queue.ts';
import { KafkaPartitionSplitState } from '../../../../src/connectors/kafka/kafka-partition-split-state.ts';

function batch(split: KafkaPartitionSplitState, records: number, bytes: number): QueuedBatch {
  const messages = Array.from({ length: records }, (_, i) => ({
    key: null,
    value: new Uint8Array(1),
    timestamp: '0',
    offset: String(i),
  }));
  return { split, messages, position: 0, end: records, nextFetchOffset: records, bytes };
}

describe('FetchedRecordsQueue', () => {
  const a = new KafkaPartitionSplitState('t', 0);
  const b = new KafkaPartitionSplitState('t', 1);

  it('is full at either bound and has space again below both low-water marks', () => {
    const queue = new FetchedRecordsQueue(1000, 100, 0.5);
    queue.add(batch(a, 60, 400));
    expect(queue.isFull()).toBe(false);
    queue.add(batch(b, 50, 100));
    expect(queue.isFull()).toBe(true); // 110 records
    expect(queue.hasSpace()).toBe(false);
    const head = queue.peek()!;
    head.position = 60;
    queue.consumed(60); // first batch gone: 50 records, 100 bytes
    expect(queue.bufferedRecords).toBe(50);
    expect(queue.bufferedBytes).toBe(100);
    expect(queue.hasSpace()).toBe(true);
    expect(queue.peakRecords).toBe(110);
  });

  it('releases bytes when a batch is fully consumed, records as they are consumed', () => {
    const queue = new FetchedRecordsQueue(1000, 100, 0.5);
    queue.add(batch(a, 10, 700));
    const head = queue.peek()!;
    head.position = 4;
    queue.consumed(4);
    expect(queue.bufferedRecords).toBe(6);
    expect(queue.bufferedBytes).toBe(700);
    head.position = 10;
    queue.consumed(6);
    expect(queue.bufferedBytes).toBe(0);
    expect(queue.isEmpty()).toBe(true);
  });

  it('resolves the availability future at the next add, once for every waiter', async () => {
    const queue = new FetchedRecordsQueue(1000, 100, 0.5);
    const f1 = queue.getAvailableFuture();
    const f2 = queue.getAvailableFuture();
    expect(f1).toBe(f2);
    let resolved = false;
    void f1.then(() => {
      resolved = true;
    });
    await Promise.resolve();
    expect(resolved).toBe(false);
    queue.add(batch(a, 1, 1));
    await f1;
    expect(resolved).toBe(true);
    await queue.getAvailableFuture(); // resolved while not empty
  });

  it('wakes a waiting consumer when space frees up and drops the batches of a removed partition', async () => {
    const queue = new FetchedRecordsQueue(1000, 10, 0.5);
    queue.add(batch(a, 6, 10));
    queue.add(batch(b, 4, 10)); // 10 records: no space until ≤ 5
    let woke = false;
    const space = queue.awaitSpace().then(() => {
      woke = true;
    });
    await Promise.resolve();
    expect(woke).toBe(false);
    expect(queue.hasSpace()).toBe(false);
    expect(queue.removePartition(a)).toBe(6);
    await space;
    expect(woke).toBe(true);
    expect(queue.peek()!.split).toBe(b);
    expect(queue.bufferedBytes).toBe(10);
  });
});
