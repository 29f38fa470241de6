import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MiniCluster } from '../../../src/runtime/mini-cluster.ts';
import { fixture, startCluster } from './cluster-test-kit.ts';
import { type Event, generate, keep, triple } from './fixtures/typed-rolling-sum-job.ts';

const COUNT = 20_000;
const KEYS = 97;

/** Per key, the rolling sums in order, computed without the engine. */
function expectedSums(): Map<number, Event[]> {
  const sums = new Map<number, Event[]>();
  for (let i = 0; i < COUNT; i++) {
    const e = triple(generate(i, KEYS));
    if (!keep(e)) continue;
    const list = sums.get(e[0]) ?? [];
    const last = list.at(-1);
    list.push(last === undefined ? e : [last[0], last[1] + e[1], last[2]]);
    sums.set(e[0], list);
  }
  return sums;
}

/** The collected records grouped by key, in arrival order (per key order is kept). */
function byKey(records: Event[]): Map<number, Event[]> {
  const grouped = new Map<number, Event[]>();
  for (const r of records) {
    const list = grouped.get(r[0]) ?? [];
    list.push(r);
    grouped.set(r[0], list);
  }
  return grouped;
}

describe('declared record types on worker threads (returns)', () => {
  let cluster: MiniCluster;
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(async () => {
    await cluster.close();
  });

  for (const parallelism of [1, 2]) {
    it(`gives the same rolling sums as JSON records at parallelism ${parallelism}`, async () => {
      const expected = expectedSums();
      for (const typed of [true, false]) {
        const job = await cluster.submit(fixture('typed-rolling-sum-job'), {
          args: { count: COUNT, keys: KEYS, parallelism, typed },
        });
        const result = await job.result();
        const records = result.records as Event[];
        for (const r of records) expect(Array.isArray(r)).toBe(true);
        const actual = byKey(records);
        if (parallelism === 1) {
          expect(actual).toEqual(expected);
        } else {
          // Two sources interleave per key in any order: same count and final sum.
          expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [key, sums] of expected) {
            const got = actual.get(key)!;
            expect(got).toHaveLength(sums.length);
            expect(got.at(-1)![1]).toBe(sums.at(-1)![1]);
          }
        }
      }
      expect(cluster.networkBufferPool.getNumberOfUsedMemorySegments()).toBe(0);
      expect(cluster.memoryManager.getUsedMemoryBytes()).toBe(0);
    });
  }

  it('carries the declared type on the keyBy edge of the plan, JSON without one', async () => {
    const { default: job } = await import('./fixtures/typed-rolling-sum-job.ts');
    for (const typed of [true, false]) {
      const env = job.build({ args: { count: 10, keys: 2, parallelism: 2, typed } });
      const edges = env.getStreamGraph().getStreamEdges();
      const hash = edges.find((e) => e.partitioner.shipStrategy === 'HASH')!;
      expect(hash.typeSerializer).toEqual(
        typed ? { type: 'tuple', types: ['int32', 'float64', 'int64'] } : undefined,
      );
    }
  });
});
