import { describe, expect, inject, it } from 'vitest';
import { InputStatus, type ReaderOutput } from '../../../../src/api/connector/source.ts';
import {
  JsonDeserializationSchema,
  type KafkaRecord,
  KafkaRecordDeserializationSchema,
} from '../../../../src/connectors/kafka/kafka-record-deserialization-schema.ts';
import { KafkaSource } from '../../../../src/connectors/kafka/kafka-source.ts';
import type { KafkaSourceReader } from '../../../../src/connectors/kafka/kafka-source-reader.ts';
import { OffsetsInitializer } from '../../../../src/connectors/kafka/offsets-initializer.ts';
import type { TestRecord } from './jobs/kafka-pipeline-job.ts';
import { createTopics, produceRecords, uniqueTopic } from './kafka-it-utils.ts';

type Rec = KafkaRecord<string, TestRecord>;

/** Records one reader emitted, by partition, in order. */
class Received implements ReaderOutput<Rec> {
  readonly byPartition = new Map<number, number[]>();
  count = 0;
  collect(record: Rec): void {
    let list = this.byPartition.get(record.partition);
    if (list === undefined) {
      list = [];
      this.byPartition.set(record.partition, list);
    }
    list.push(record.offset);
    this.count++;
  }
  emitWatermark(): void {}
}

function readerOf(topic: string, groupId: string): KafkaSourceReader<Rec> {
  return (
    KafkaSource.builder()
      .setBootstrapServers(inject('kafkaBrokers'))
      .setTopics(topic)
      .setGroupId(groupId)
      .setStartingOffsets(OffsetsInitializer.committedOffsets('earliest'))
      .setDeserializer(
        KafkaRecordDeserializationSchema.wholeRecord(new JsonDeserializationSchema<TestRecord>()),
      )
      .setProperties({
        'heartbeat.interval.ms': 300,
        'session.timeout.ms': 10_000,
        'source.kafka.max-buffered-records': 2_000,
        'max.partition.fetch.bytes': 16 * 1024,
        'kafka.log-level': 'error',
      })
      .build()
      // Two replicas of a parallelism-1 job: the same subtask index, so the group's
      // assignor falls back to round robin and partitions move between them.
      .createReader({ subtaskIndex: 0, parallelism: 1, taskName: 'r', operatorName: 'Source: r' })
  );
}

/** Polls `reader` up to `records` records (or until it has nothing). */
async function poll(reader: KafkaSourceReader<Rec>, out: Received, records: number) {
  const target = out.count + records;
  while (out.count < target) {
    const status = reader.pollNext(out, Math.min(100, target - out.count));
    if (status === InputStatus.NOTHING_AVAILABLE) {
      await Promise.race([reader.isAvailable(), new Promise((r) => setTimeout(r, 200))]);
    } else {
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe('Kafka source across a rebalance', () => {
  it('drops the queued records of partitions that moved, and the new owner re-reads them from the committed offsets', async () => {
    const topic = uniqueTopic('rebalance');
    await createTopics(4, topic);
    const total = 40_000;
    await produceRecords(topic, total, { keys: 97, padBytes: 100 });
    const groupId = uniqueTopic('rebalance-group');

    const a = readerOf(topic, groupId);
    const outA = new Received();
    await a.start();
    await poll(a, outA, 6_000);
    const committed = a.snapshotState(1);
    await a.notifyCheckpointComplete(1);
    expect(a.commitsSucceeded).toBe(1);
    await poll(a, outA, 3_000); // emitted after the commit: re-read if its partition moves
    const emittedBeforeMove = new Map(a.snapshotState(2).map((o) => [o.partition, o.offset]));

    const b = readerOf(topic, groupId);
    const outB = new Received();
    const bStarted = b.start();
    // A keeps polling (heartbeating) until the group settled on two members.
    const deadline = Date.now() + 60_000;
    while (a.snapshotState(3).length !== 2 && Date.now() < deadline) {
      await Promise.race([poll(a, outA, 50), new Promise((r) => setTimeout(r, 100))]);
    }
    await bStarted;
    const kept = new Set(a.snapshotState(4).map((o) => o.partition));
    expect(kept.size).toBe(2);
    const aCountAtMove = new Map([...outA.byPartition].map(([p, list]) => [p, list.length]));

    // Both drain everything.
    const until = Date.now() + 90_000;
    let idleRounds = 0;
    while (Date.now() < until && idleRounds < 15) {
      const before = outA.count + outB.count;
      await Promise.all(
        [poll(a, outA, 500), poll(b, outB, 500)].map((p) =>
          Promise.race([p, new Promise((r) => setTimeout(r, 200))]),
        ),
      );
      idleRounds = outA.count + outB.count === before ? idleRounds + 1 : 0;
    }
    await Promise.all([a.close(), b.close()]);

    const committedOf = new Map(committed.map((o) => [o.partition, o.offset]));
    for (let partition = 0; partition < 4; partition++) {
      const fromA = outA.byPartition.get(partition) ?? [];
      const fromB = outB.byPartition.get(partition) ?? [];
      if (kept.has(partition)) {
        // Kept: A read it once, in order, without a gap or a repeat; B never saw it.
        expect(fromB).toEqual([]);
        expect(fromA).toEqual(fromA.map((_, i) => i));
      } else {
        // Moved: A stopped where it was (its queued records dropped); B started at the
        // committed offset, so A's records after the commit were read twice.
        const aAtMove = aCountAtMove.get(partition) ?? 0;
        expect(fromA.length).toBe(aAtMove);
        expect(fromA.length).toBeGreaterThanOrEqual(emittedBeforeMove.get(partition) ?? 0);
        expect(fromB[0]).toBe(committedOf.get(partition));
        expect(fromB).toEqual(fromB.map((_, i) => fromB[0]! + i));
        const end = fromB.at(-1)! + 1;
        const union = new Set([...fromA, ...fromB]);
        expect(union.size).toBe(end); // nothing lost
      }
    }
    const distinct = [...outA.byPartition, ...outB.byPartition].reduce((set, [p, offsets]) => {
      for (const o of offsets) set.add(`${p}:${o}`);
      return set;
    }, new Set<string>());
    expect(distinct.size).toBe(total);
  });
});
