import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MiniCluster } from '../../../../src/runtime/mini-cluster.ts';
import type { KafkaPipelineArgs } from './jobs/kafka-pipeline-job.ts';
import {
  createTopics,
  endOffsets,
  PIPELINE_JOB,
  produceRecords,
  type ReadRecord,
  readTopic,
  startCluster,
  uniqueTopic,
} from './kafka-it-utils.ts';

const RECORDS = 3000;
const isCorrupt = (seq: number) => seq % 100 === 37;
const CORRUPT = RECORDS / 100;
const corruptValue = (seq: number) => `{"k":"k${seq % 50}","seq":${seq}`; // truncated JSON

describe('undeserializable Kafka records (deserialization.failure-policy)', () => {
  let cluster: MiniCluster;
  let input: string;
  beforeAll(async () => {
    cluster = await startCluster(2);
    input = uniqueTopic('policy-in');
    await createTopics(2, input);
    await produceRecords(input, RECORDS, {
      keys: 50,
      value: (seq) => (isCorrupt(seq) ? corruptValue(seq) : undefined),
    });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const run = async (sourceProperties: Record<string, unknown>) => {
    const output = uniqueTopic('policy-out');
    await createTopics(2, output);
    const args: KafkaPipelineArgs = {
      brokers: inject('kafkaBrokers'),
      input,
      output,
      groupId: uniqueTopic('policy-group'),
      parallelism: 2,
      sourceProperties,
    };
    const job = await cluster.submit(PIPELINE_JOB, { args });
    return { job, output };
  };

  it("'fail' (the default): the job fails with SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED naming topic, partition and offset", async () => {
    const { job } = await run({});
    const error = (await job.result().catch((e: unknown) => e)) as Error & {
      code: string;
      details: Record<string, unknown>;
    };
    expect(error.code).toBe('SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED');
    expect(error.message).toMatch(
      new RegExp(
        `cannot deserialize the record at offset \\d+ of partition [01] of topic ${input}: SyntaxError`,
      ),
    );
    expect(error.message).toMatch(/set deserialization.failure-policy to skip or dead-letter/);
    expect(error.details).toMatchObject({ topic: input });
    expect(job.status).toBe('FAILED');
  });

  it("'skip': the job finishes, every good record arrives, the bad ones are counted", async () => {
    const { job, output } = await run({ 'deserialization.failure-policy': 'skip' });
    await job.result();
    expect(await endOffsets(output)).toBe(RECORDS - CORRUPT);
    const errors = job
      .metricsSnapshot()
      .tasks.reduce((sum, t) => sum + (t.source?.numRecordsInErrors ?? 0), 0);
    expect(errors).toBe(CORRUPT);
    const seqs = new Set<number>();
    await readTopic(output, RECORDS - CORRUPT, (r) => {
      seqs.add((JSON.parse(r.value!.toString()) as { seq: number }).seq);
    });
    for (let seq = 0; seq < RECORDS; seq++) expect(seqs.has(seq)).toBe(!isCorrupt(seq));
  });

  it("'dead-letter': bad records go unchanged to the dead-letter topic with the error in headers", async () => {
    const deadLetters = uniqueTopic('policy-dlq');
    await createTopics(1, deadLetters);
    const { job, output } = await run({
      'deserialization.failure-policy': 'dead-letter',
      'deserialization.dead-letter.topic': deadLetters,
    });
    await job.result();
    expect(await endOffsets(output)).toBe(RECORDS - CORRUPT);
    expect(await endOffsets(deadLetters)).toBe(CORRUPT);
    const errors = job
      .metricsSnapshot()
      .tasks.reduce((sum, t) => sum + (t.source?.numRecordsInErrors ?? 0), 0);
    expect(errors).toBe(CORRUPT);
    const letters: ReadRecord[] = [];
    await readTopic(deadLetters, CORRUPT, (r) => letters.push(r));
    expect(letters).toHaveLength(CORRUPT);
    for (const letter of letters) {
      const seq = Number(/"seq":(\d+)/.exec(letter.value!.toString())![1]);
      expect(isCorrupt(seq)).toBe(true);
      expect(letter.value!.toString()).toBe(corruptValue(seq)); // unchanged
      expect(letter.key).toBe(`k${seq % 50}`);
      expect(letter.headers).toMatchObject({
        'sluice.error.code': 'SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED',
        'sluice.source.topic': input,
      });
      expect(letter.headers['sluice.error.message']).toMatch(/^SyntaxError: /);
      expect(['0', '1']).toContain(letter.headers['sluice.source.partition']);
      expect(Number(letter.headers['sluice.source.offset'])).toBeGreaterThanOrEqual(0);
    }
  });
});
