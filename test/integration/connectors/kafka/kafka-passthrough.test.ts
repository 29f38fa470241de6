import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MiniCluster } from '../../../../src/runtime/mini-cluster.ts';
import type { KafkaPipelineArgs } from './jobs/kafka-pipeline-job.ts';
import {
  createTopics,
  endOffsets,
  PIPELINE_JOB,
  produceRecords,
  readTopic,
  startCluster,
  uniqueTopic,
} from './kafka-it-utils.ts';

const RECORDS = 1_000_000;
const KEYS = 1000;

describe('Kafka passthrough on the worker runtime', () => {
  let cluster: MiniCluster;
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('copies 1,000,000 keyed records at parallelism 2, keeping per-key order, losing and duplicating nothing', async () => {
    const input = uniqueTopic('pass-in');
    const output = uniqueTopic('pass-out');
    await createTopics(4, input, output);
    await produceRecords(input, RECORDS, { keys: KEYS });

    const args: KafkaPipelineArgs = {
      brokers: inject('kafkaBrokers'),
      input,
      output,
      groupId: uniqueTopic('pass-group'),
      parallelism: 2,
    };
    const started = Date.now();
    const job = await cluster.submit(PIPELINE_JOB, { args });
    await job.result();
    const jobMs = Date.now() - started;

    // Both subtasks read: each owned two of the four input partitions, to their end.
    const sources = job.metricsSnapshot().tasks.map((t) => t.source?.partitions ?? []);
    expect(sources).toHaveLength(2);
    expect(sources.map((p) => p.length)).toEqual([2, 2]);
    expect(sources.flat().reduce((sum, p) => sum + p.currentOffset, 0)).toBe(RECORDS);

    expect(await endOffsets(output)).toBe(RECORDS);
    const seen = new Uint8Array(RECORDS);
    const lastSeqOfKey = new Int32Array(KEYS).fill(-1);
    const partitionOfKey = new Int8Array(KEYS).fill(-1);
    const violations: string[] = [];
    const read = await readTopic(output, RECORDS, ({ partition, key, value }) => {
      const record = JSON.parse(value!.toString()) as { k: string; seq: number };
      const k = Number(key.slice(1));
      if (record.k !== key) violations.push(`key ${key} carries ${record.k}`);
      if (seen[record.seq] !== 0) violations.push(`duplicate seq ${record.seq}`);
      seen[record.seq] = 1;
      if (record.seq <= lastSeqOfKey[k]!) {
        violations.push(`key ${key}: seq ${record.seq} after ${lastSeqOfKey[k]}`);
      }
      lastSeqOfKey[k] = record.seq;
      if (partitionOfKey[k] !== -1 && partitionOfKey[k] !== partition) {
        violations.push(`key ${key} in partitions ${partitionOfKey[k]} and ${partition}`);
      }
      partitionOfKey[k] = partition;
    });
    expect(violations.slice(0, 10)).toEqual([]);
    expect(read).toBe(RECORDS);
    expect(seen.indexOf(0)).toBe(-1);
    console.log(
      `passthrough: ${RECORDS} records at parallelism 2 in ${jobMs} ms (job incl. start-up)`,
    );
  });
});
