import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  groupMessagesPerPartition,
  loadPatchedKafkajs,
} from '../../../../src/connectors/kafka/kafkajs-client.ts';

const require = createRequire(import.meta.url);

describe('the private kafkajs instance', () => {
  it('groups messages per partition like kafkajs, in linear time, without touching the shared kafkajs', () => {
    const original = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (
      args: unknown,
    ) => Record<number, unknown[]>;
    const patched = loadPatchedKafkajs();
    expect(patched.Kafka).not.toBe((require('kafkajs') as typeof patched).Kafka);
    expect(require('kafkajs/src/producer/groupMessagesPerPartition.js')).toBe(original);

    // The replacement is what the private producer's sendMessages uses: load it the way
    // kafkajs does and compare with the original on the same input.
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId }));
    const messages = Array.from({ length: 50 }, (_, i) => ({
      key: `k${i}`,
      value: String(i),
      partition: (i * 7) % 3,
    }));
    const partitioner = ({ message }: { message: { partition: number } }) => message.partition;
    const expected = original({ topic: 't', partitionMetadata, messages, partitioner });
    expect(Object.keys(expected)).toEqual(['0', '1', '2']);
    expect(Object.values(expected).flat()).toHaveLength(50);
    const linear = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata,
      messages: messages as never,
      partitioner: partitioner as never,
    });
    expect(linear).toEqual(expected);
    expect(
      groupMessagesPerPartition({
        topic: 't',
        partitionMetadata: [],
        messages: [],
        partitioner: () => 0,
      }),
    ).toEqual({});
  });
});
