import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../../../src/config/configuration.ts';
import { MiniCluster } from '../../../../src/runtime/mini-cluster.ts';
import type { WindowJobArgs } from './fixtures/window-job.ts';
import { type Event, generate, type Kind, reference } from './window-test-data.ts';

/**
 * The window correctness job of `window-correctness.test.ts` on worker threads: the
 * source and the windows run in two workers, records and watermarks cross the network
 * exchange, keyed state and timers live in the cluster's shared managed memory.
 */
describe('event-time windows on worker threads against the brute-force reference', () => {
  let cluster: MiniCluster;
  beforeAll(async () => {
    cluster = await MiniCluster.start(
      Configuration.fromJSON({
        'taskmanager.numberOfTaskSlots': 2,
        'taskmanager.memory.network.min': '8mb',
        'taskmanager.memory.network.max': '8mb',
        'taskmanager.memory.managed.size': '64mb',
        'log.level': 'silent',
      }),
      { metricsIntervalMs: 100, cancelTimeoutMs: 5000 },
    );
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const cases: [Kind, number][] = [
    ['tumbling', 200],
    ['sliding', 200],
    ['session', 150],
  ];
  for (const [kind, lateness] of cases) {
    it(`${kind} windows, allowed lateness ${lateness} ms, parallelism 2`, async () => {
      const seed = 42 + lateness;
      const args: WindowJobArgs = { kind, lateness, parallelism: 2, seed };
      const job = await cluster.submit(new URL('./fixtures/window-job.ts', import.meta.url), {
        args,
      });
      const result = await job.result();
      const expected = reference(generate(seed, lateness), kind, lateness);
      const emissions = (result.collected['Sink: Results'] as string[]).sort();
      const late = (result.collected['Sink: Late'] as Event[])
        .map((e) => e.id)
        .sort((a, b) => a - b);
      expect(emissions.length).toBe(expected.emissions.length);
      expect(emissions).toEqual(expected.emissions);
      expect(late).toEqual(expected.late);
    });
  }
});
