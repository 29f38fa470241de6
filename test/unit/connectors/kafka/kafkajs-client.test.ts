import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadPatchedKafkajs } from '../../../../src/connectors/kafka/kafkajs-client.ts';
import {
  createPartitioner,
  groupMessagesPerPartition,
  murmur2,
} from '../../../../src/connectors/kafka/kafkajs-patches.ts';

const require = createRequire(import.meta.url);
type Fn = (...args: never[]) => unknown;
const published = (path: string) => require(`kafkajs/src/producer/${path}`) as Fn;

describe('the private, patched kafkajs instance', () => {
  it('is a separate instance: whoever else loads kafkajs keeps the published modules', () => {
    const original = published('groupMessagesPerPartition.js');
    const patched = loadPatchedKafkajs();
    expect(patched.Kafka).not.toBe((require('kafkajs') as typeof patched).Kafka);
    expect(published('groupMessagesPerPartition.js')).toBe(original);
    expect(published('partitioners/default/murmur2.js')).not.toBe(murmur2);
  });

  it("hashes keys exactly like kafkajs' (Java-compatible) murmur2", () => {
    const reference = published('partitioners/default/murmur2.js') as (key: unknown) => number;
    const keys: unknown[] = ['', 'a', 'ab', 'abc', 'abcd', 'k417', 'hello world', 'ünïcødé ✓', 42];
    for (let i = 0; i < 300; i++) keys.push(`key-${i}-${'x'.repeat(i % 13)}`);
    for (let i = 0; i < 50; i++)
      keys.push(Buffer.from(Array.from({ length: i }, (_, j) => (i * 37 + j * 101) & 0xff)));
    for (const key of keys) expect(murmur2(key), String(key)).toBe(reference(key));
  });

  it('groups and partitions messages like kafkajs, in the same order', () => {
    const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: 1 }));
    const messages = Array.from({ length: 500 }, (_, i) => ({
      key: i % 7 === 0 ? null : `k${i % 61}`,
      value: String(i),
      partition: i % 11 === 0 ? 2 : undefined,
    }));
    const referenceGroup = published('groupMessagesPerPartition.js') as (args: unknown) => unknown;
    const referencePartitioner = (
      require('kafkajs/src/producer/partitioners/default/index.js') as () => (a: unknown) => number
    )();
    const ours = createPartitioner(murmur2)();
    const keyed = messages.filter((m) => m.key !== null); // keyless ones are round robin from a random start
    const expected = referenceGroup({
      topic: 't',
      partitionMetadata,
      messages: keyed,
      partitioner: referencePartitioner,
    });
    expect(
      groupMessagesPerPartition({
        topic: 't',
        partitionMetadata,
        messages: keyed,
        partitioner: ours,
      }),
    ).toEqual(expected);
    // Keyless records go round robin over partitions with a leader.
    const withoutLeader = partitionMetadata.map((p) => ({
      ...p,
      leader: p.partitionId === 1 ? -1 : 1,
    }));
    const spread = new Set(
      Array.from({ length: 30 }, () =>
        ours({ topic: 'u', partitionMetadata: withoutLeader, message: { key: null } }),
      ),
    );
    expect([...spread].sort()).toEqual([0, 2, 3]);
    expect(
      groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: ours }),
    ).toEqual({});
  });
});
