import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InputStatus } from '../../../../src/api/connector/source.ts';
import { JsonDeserializationSchema } from '../../../../src/connectors/kafka/kafka-record-deserialization-schema.ts';
import { KafkaSource } from '../../../../src/connectors/kafka/kafka-source.ts';
import { OffsetsInitializer } from '../../../../src/connectors/kafka/offsets-initializer.ts';
import type { MiniCluster } from '../../../../src/runtime/mini-cluster.ts';
import type { KafkaPipelineArgs, TestRecord } from './jobs/kafka-pipeline-job.ts';
import {
  createTopics,
  endOffsets,
  PIPELINE_JOB,
  produceRecords,
  startCluster,
  uniqueTopic,
} from './kafka-it-utils.ts';

const MiB = 1024 * 1024;
const execFileAsync = promisify(execFile);
const mib = (bytes: number) => (bytes / MiB).toFixed(0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Kafka source under backpressure', () => {
  let cluster: MiniCluster;
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('pauses its partitions when its queue is full, holds the fetched data under the bound, and resumes as it drains', async () => {
    const topic = uniqueTopic('bp-reader');
    await createTopics(2, topic);
    const count = 60_000;
    await produceRecords(topic, count, { padBytes: 400 });
    const maxBufferedBytes = 2 * MiB;
    const fetchMaxBytes = 2 * MiB;
    const reader = KafkaSource.builder()
      .setBootstrapServers(inject('kafkaBrokers'))
      .setTopics(topic)
      .setGroupId(uniqueTopic('bp-reader-group'))
      .setStartingOffsets(OffsetsInitializer.earliest())
      .setBounded(OffsetsInitializer.latest())
      .setValueOnlyDeserializer(new JsonDeserializationSchema<TestRecord>())
      .setProperties({
        'source.kafka.max-buffered-bytes': maxBufferedBytes,
        'fetch.max.bytes': fetchMaxBytes,
        'max.partition.fetch.bytes': MiB,
        'heartbeat.interval.ms': 500,
        'kafka.log-level': 'error',
      })
      .build()
      .createReader({
        subtaskIndex: 0,
        parallelism: 1,
        taskName: 'bp',
        operatorName: 'Source: bp',
      });
    await reader.start();
    try {
      // Nobody polls: the reader fills its queue, pauses, and stops fetching.
      const deadline = Date.now() + 30_000;
      while (!reader.isBackpressurePaused() && Date.now() < deadline) await sleep(50);
      expect(reader.isBackpressurePaused()).toBe(true);
      const queued = reader.fetchQueue.bufferedRecords;
      await sleep(2_000);
      expect(reader.fetchQueue.bufferedRecords).toBe(queued); // nothing fetched while paused
      expect(reader.fetchQueue.peakBytes).toBeLessThanOrEqual(maxBufferedBytes + fetchMaxBytes);
      expect(queued).toBeLessThan(count / 4);

      // Draining resumes the partitions; every record arrives, in order per key.
      const lastSeq = new Map<string, number>();
      let received = 0;
      let outOfOrder = 0;
      const output = {
        collect(record: TestRecord) {
          received++;
          if ((lastSeq.get(record.k) ?? -1) >= record.seq) outOfOrder++;
          lastSeq.set(record.k, record.seq);
        },
        emitWatermark() {},
      };
      for (;;) {
        const status = reader.pollNext(output, 500);
        if (status === InputStatus.END_OF_INPUT) break;
        if (status === InputStatus.NOTHING_AVAILABLE) await reader.isAvailable();
        else await new Promise((resolve) => setImmediate(resolve));
      }
      expect(received).toBe(count);
      expect(outOfOrder).toBe(0);
      expect(reader.numPauses).toBeGreaterThan(1);
      expect(reader.fetchQueue.peakBytes).toBeLessThanOrEqual(maxBufferedBytes + fetchMaxBytes);
    } finally {
      await reader.close();
    }
  });

  it('with the sink throttled, pauses: resident memory stays within the stated bound (and far below an unpaused source)', async () => {
    const parallelism = 2;
    const maxBufferedBytes = 4 * MiB;
    const fetchMaxBytes = 4 * MiB;
    const empty = uniqueTopic('bp-empty');
    const input = uniqueTopic('bp-in');
    const output = uniqueTopic('bp-out');
    await createTopics(4, empty, input, output);
    const count = 300_000;
    const padBytes = 500;
    await produceRecords(input, count, { padBytes });
    const inputBytes = count * (padBytes + 40);

    // A child process with --expose-gc measures RSS without this runner's garbage.
    const scenario = fileURLToPath(new URL('./jobs/backpressure-scenario.ts', import.meta.url));
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--expose-gc',
        scenario,
        JSON.stringify({
          brokers: inject('kafkaBrokers'),
          empty,
          input,
          output,
          parallelism,
          count,
          maxBufferedBytes,
          fetchMaxBytes,
          maxBufferedRecords: 20_000,
        }),
      ],
      { maxBuffer: 16 * MiB, timeout: 120_000 },
    );
    const figures = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      rssBefore: number;
      idle: { rss: number };
      paused: { rss: number; written: number; backPressured: boolean; pendingRecords: number };
      unpaused: { rss: number; pendingRecords: number };
    };
    const { idle, paused, unpaused } = figures;
    // Stated bound, per source subtask: the queue's bytes plus one fetch response, with
    // their per-record objects, 3 × (max-buffered-bytes + fetch.max.bytes); the whole
    // process: the same job idle (workers, clients) plus that, plus 16 MiB of slack.
    const bound = parallelism * 3 * (maxBufferedBytes + fetchMaxBytes) + 16 * MiB;
    const growth = paused.rss - idle.rss;
    console.log(
      `backpressure RSS (MiB): before ${mib(figures.rssBefore)}, idle job ${mib(idle.rss)}, throttled ${mib(paused.rss)} (+${mib(growth)}, bound +${mib(bound)}), throttled without pause bound ${mib(unpaused.rss)} (+${mib(unpaused.rss - idle.rss)}); input ${mib(inputBytes)}`,
    );
    expect(paused.written).toBe(0); // the sink took nothing
    expect(paused.backPressured).toBe(true);
    expect(paused.pendingRecords).toBeGreaterThan(count / 2); // most of it still in Kafka
    expect(unpaused.pendingRecords).toBeLessThan(count / 10); // fetched into memory
    expect(growth).toBeLessThan(bound);
    expect(unpaused.rss - idle.rss).toBeGreaterThan(growth + bound);
  });

  it('resumes when the throttled sink does: everything arrives and the bounded job ends', async () => {
    const input = uniqueTopic('bp-resume-in');
    const output = uniqueTopic('bp-resume-out');
    await createTopics(2, input, output);
    const count = 50_000;
    await produceRecords(input, count, { padBytes: 200 });
    const control = new SharedArrayBuffer(8);
    const words = new Int32Array(control);
    Atomics.store(words, 0, 1);
    const args: KafkaPipelineArgs = {
      brokers: inject('kafkaBrokers'),
      input,
      output,
      groupId: uniqueTopic('bp-resume-group'),
      parallelism: 2,
      sourceProperties: { 'source.kafka.max-buffered-bytes': MiB, 'fetch.max.bytes': MiB },
      control,
    };
    const job = await cluster.submit(PIPELINE_JOB, { args });
    expect(await job.waitForSubtasks(['RUNNING'])).toBe(true);
    await sleep(2_000);
    expect(Atomics.load(words, 1)).toBe(0);
    expect(job.status).toBe('RUNNING');
    Atomics.store(words, 0, 0);
    Atomics.notify(words, 0);
    await job.result();
    expect(Atomics.load(words, 1)).toBe(count);
    expect(await endOffsets(output)).toBe(count);
  });
});
