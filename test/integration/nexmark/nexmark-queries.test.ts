/**
 * Every Nexmark query on the worker runtime against the suite's Kafka broker: 200,000
 * events of a fixed seed loaded with the loader (4 partitions, shuffled in groups of 100),
 * each query job (`jobs/nexmark/<q>.ts`, bounded) writes its results topic, and the
 * results — every window's included — equal the in-memory reference exactly.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NexmarkGenerator } from '../../../src/connectors/nexmark/nexmark-generator.ts';
import {
  ensureTopics,
  loadNexmarkEvents,
  NEXMARK_TOPIC_CONFIG,
} from '../../../src/connectors/nexmark/nexmark-loader.ts';
import type { NexmarkEvent } from '../../../src/connectors/nexmark/nexmark-model.ts';
import type { NexmarkQueryName } from '../../../src/connectors/nexmark/nexmark-queries.ts';
import type { MiniCluster } from '../../../src/runtime/mini-cluster.ts';
import { readTopic, startCluster, uniqueTopic } from '../connectors/kafka/kafka-it-utils.ts';
import { canonical, referenceOf } from './nexmark-reference.ts';

const EVENTS = 200_000;
// 2,000 events/s: 100 s of event time, so 10 tumbling and 54 sliding windows.
const GENERATOR = { seed: 20_260_101, outOfOrderGroupSize: 100, firstEventRate: 2000 };

/** Parallelism of each query's run: both 1 and 2 are covered, windowed queries at 2. */
const RUNS: [NexmarkQueryName, number][] = [
  ['q0', 2],
  ['q1', 1],
  ['q2', 2],
  ['q5', 2],
  ['q7', 1],
  ['q8', 2],
];

describe('Nexmark queries on Kafka equal the in-memory reference', () => {
  let cluster: MiniCluster;
  let events: NexmarkEvent[];
  const topic = uniqueTopic('nexmark-events');
  const brokers = inject('kafkaBrokers');

  beforeAll(async () => {
    cluster = await startCluster(2);
    const loaded = await loadNexmarkEvents({
      brokers,
      topic,
      events: EVENTS,
      partitions: 4,
      generator: GENERATOR,
    });
    expect(loaded.written).toBe(EVENTS);
    const generator = new NexmarkGenerator(GENERATOR);
    events = Array.from({ length: EVENTS }, (_, n) => generator.event(n));
  });
  afterAll(async () => {
    await cluster?.close();
  });

  for (const [query, parallelism] of RUNS) {
    it(`${query} at parallelism ${parallelism}`, async () => {
      const output = uniqueTopic(`nexmark-${query}`);
      await ensureTopics(brokers, [
        { topic: output, partitions: 2, config: { ...NEXMARK_TOPIC_CONFIG } },
      ]);
      const started = Date.now();
      const job = await cluster.submit(
        new URL(`../../../jobs/nexmark/${query}.ts`, import.meta.url),
        {
          args: {
            brokers,
            topic,
            output,
            group: uniqueTopic(`nexmark-${query}-group`),
            bounded: true,
            parallelism,
          },
        },
      );
      await job.result();
      const jobMs = Date.now() - started;
      const late = job
        .metricsSnapshot()
        .tasks.flatMap((t) => t.operators ?? [])
        .reduce((sum, o) => sum + (o.numLateRecordsDropped ?? 0), 0);
      expect(late).toBe(0);

      const expected = referenceOf(query, events);
      expect(expected.length).toBeGreaterThan(0);
      const results: unknown[] = [];
      await readTopic(output, expected.length, ({ value }) => {
        results.push(JSON.parse(value!.toString()));
      });
      expect(results.length).toBe(expected.length);
      expect(canonical(results)).toEqual(canonical(expected));
      console.log(
        `nexmark ${query} p${parallelism}: ${EVENTS} events → ${results.length} results in ${jobMs} ms (job incl. start-up)`,
      );
    });
  }
});
