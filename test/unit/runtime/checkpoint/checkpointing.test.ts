import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MiniCluster } from '../../../../src/runtime/mini-cluster.ts';
import { fixture, startCluster } from '../cluster-test-kit.ts';

const KEYS = 16;

/** Per key: the highest count the collect sink saw, and the lowest. */
function countsByKey(records: unknown[]): { max: Map<number, number>; min: Map<number, number> } {
  const max = new Map<number, number>();
  const min = new Map<number, number>();
  for (const [key, count] of records as [number, number][]) {
    max.set(key, Math.max(max.get(key) ?? 0, count));
    min.set(key, Math.min(min.get(key) ?? Number.POSITIVE_INFINITY, count));
  }
  return { max, min };
}

function expectedCounts(total: number): Map<number, number> {
  const expected = new Map<number, number>();
  for (let i = 0; i < total; i++) expected.set(i % KEYS, (expected.get(i % KEYS) ?? 0) + 1);
  return expected;
}

describe('checkpoints on worker threads', () => {
  let cluster: MiniCluster;
  let dir: string;
  beforeAll(async () => {
    cluster = await startCluster(4);
    dir = await mkdtemp(join(tmpdir(), 'sluice-checkpoints-'));
  });
  afterAll(async () => {
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('periodic checkpoints complete, are written atomically and only the retained ones stay', async () => {
    const total = 6000;
    const job = await cluster.submit(fixture('checkpointed-count-job'), {
      args: { count: total, keys: KEYS, parallelism: 2, rate: 4000 },
      configuration: {
        'execution.checkpointing.interval': '50 ms',
        'state.checkpoints.dir': dir,
        'state.checkpoints.num-retained': 2,
      },
    });
    const result = await job.result();
    const stats = job.checkpointStatistics();
    expect(stats.counts.completed).toBeGreaterThanOrEqual(3);
    expect(stats.latest.completed?.status).toBe('COMPLETED');
    expect(stats.latest.completed?.num_acknowledged_subtasks).toBe(4);
    const entries = await readdir(join(dir, job.jobId));
    expect(entries.filter((e) => e.startsWith('chk-')).length).toBe(2);
    expect(entries.some((e) => e.includes('inprogress'))).toBe(false);
    expect(countsByKey(result.records).max).toEqual(expectedCounts(total));
  });

  it('after a task failure the job restarts from the latest checkpoint: state and source positions restored, final counts exact', async () => {
    const total = 8000;
    const job = await cluster.submit(fixture('checkpointed-count-job'), {
      args: { count: total, keys: KEYS, parallelism: 2, rate: 4000, failOnRecord: 2500 },
      configuration: {
        'execution.checkpointing.interval': '50 ms',
        'restart-strategy.fixed-delay.delay': '10 ms',
      },
    });
    const result = await job.result();
    expect(result.numRestarts).toBe(1);
    const stats = job.checkpointStatistics();
    expect(stats.counts.restored).toBe(1); // the restart restored a checkpoint
    expect(stats.latest.restored).toMatchObject({ is_savepoint: false });
    const { max, min } = countsByKey(result.records);
    // Exact: every record counted once in the state, whatever was replayed.
    expect(max).toEqual(expectedCounts(total));
    // The last attempt started from a checkpoint: counts did not start again at 1,
    // and it emitted fewer records than the whole input.
    for (const key of min.keys()) expect(min.get(key)).toBeGreaterThan(1);
    expect(result.records.length).toBeLessThan(total);
  });

  it('savepoints rescale keyed state: count at parallelism 2 → 1 → 3, final counts exact', async () => {
    // 3 s of records at the rate below: the first two jobs must still be running when
    // their savepoints are taken (a savepoint needs every subtask RUNNING), also when a
    // loaded machine makes the first job start late and read far before it is stopped.
    const total = 18_000;
    const args = (countParallelism: number) => ({
      count: total,
      keys: KEYS,
      parallelism: 2,
      countParallelism,
      rate: 6000,
    });
    const first = await cluster.submit(fixture('checkpointed-count-job'), { args: args(2) });
    await first.waitForSubtasks(['RUNNING']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const savepoint1 = await first.stopWithSavepoint(dir);
    expect((await first.result()).records.length).toBeLessThan(total);
    expect(first.status).toBe('FINISHED');
    expect(savepoint1.externalPath).toContain(`${dir}/savepoint-`);

    const second = await cluster.submit(fixture('checkpointed-count-job'), {
      args: args(1),
      savepointPath: savepoint1.externalPath,
    });
    await second.waitForSubtasks(['RUNNING']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const savepoint2 = await second.stopWithSavepoint(dir);
    expect(savepoint2.checkpointId).toBeGreaterThan(savepoint1.checkpointId);
    expect(second.checkpointStatistics().latest.restored).toMatchObject({
      is_savepoint: true,
      external_path: savepoint1.externalPath,
    });

    const third = await cluster.submit(fixture('checkpointed-count-job'), {
      args: args(3),
      savepointPath: join(savepoint2.externalPath, '_metadata'),
    });
    const { max } = countsByKey((await third.result()).records);
    expect(max).toEqual(expectedCounts(total));
  });

  it('a savepoint of another job shape is refused at submission, naming the operators', async () => {
    const job = await cluster.submit(fixture('checkpointed-count-job'), {
      args: { count: 1_000_000, keys: KEYS, parallelism: 1, rate: 1000 },
    });
    await job.waitForSubtasks(['RUNNING']);
    const savepoint = await job.stopWithSavepoint(dir);
    const error = await cluster
      .submit(fixture('typed-rolling-sum-job'), {
        savepointPath: savepoint.externalPath,
        args: { count: 10, keys: 2, parallelism: 1, typed: false },
      })
      .then(
        () => undefined,
        (e: Error & { code: string }) => e,
      );
    expect(error?.code).toBe('SLUICE_ERR_CHECKPOINT_INCOMPATIBLE');
    expect(error?.message).toContain('numbers, count');
  });
});
