import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MiniCluster } from '../../../src/runtime/mini-cluster.ts';
import { fixture, rejectionOf, startCluster } from './cluster-test-kit.ts';
import forwardJob from './fixtures/forward-job.ts';
import wordCountJob from './fixtures/word-count-job.ts';

describe('MiniCluster: jobs on worker threads', () => {
  let cluster: MiniCluster;
  beforeAll(async () => {
    cluster = await startCluster(4);
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('runs a chained job at parallelism 2 on two workers and collects exact results', async () => {
    const job = await cluster.submit(fixture('forward-job'), {
      args: { count: 20_000, parallelism: 2 },
    });
    expect(job.status).toBe('RUNNING');
    expect(job.plan.json.nodes).toHaveLength(1);
    expect(cluster.freeSlots).toBe(2);
    const result = await job.result();
    expect(job.status).toBe('FINISHED');
    const expected = [];
    for (let i = 0; i < 20_000; i++) if ((i * 2) % 3 === 0) expected.push(i * 2);
    expect((result.records as number[]).sort((a, b) => a - b)).toEqual(expected);
    expect(result.collected['Sink: Collect']).toHaveLength(expected.length);
    const subtasks = job.getSubtasks();
    expect(subtasks.map((s) => [s.slotIndex, s.subtaskIndex, s.state])).toEqual([
      [0, 0, 'FINISHED'],
      [1, 1, 'FINISHED'],
    ]);
    for (const s of subtasks) {
      const t = s.timestamps;
      expect(t.DEPLOYING! <= t.INITIALIZING! && t.INITIALIZING! <= t.RUNNING!).toBe(true);
      expect(t.RUNNING! <= t.FINISHED!).toBe(true);
    }
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
    expect(cluster.freeSlots).toBe(4);
    expect(cluster.getJob(job.jobId)).toBe(job);
  });

  it('a control message reaches a worker whose source produces without end: metrics arrive, cancel ends it', async () => {
    const job = await cluster.submit(fixture('endless-job'), { args: { parallelism: 2 } });
    expect(await job.waitForSubtasks(['RUNNING'])).toBe(true);
    expect(cluster.getNumberOfRunningWorkers()).toBe(2);
    // Snapshots are sent from a timer of the worker: they arrive only if the task loop yields.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { tasks, workers } = job.metricsSnapshot();
    expect(tasks).toHaveLength(2);
    expect(workers).toHaveLength(2);
    for (const task of tasks) {
      expect(task.taskName).toBe('Source: endless -> Map -> Sink: Writer');
      expect(task.busyTimeMsPerSecond).toBeGreaterThan(0);
    }
    await job.cancel();
    expect(job.status).toBe('CANCELED');
    expect(job.getSubtasks().map((s) => s.state)).toEqual(['CANCELED', 'CANCELED']);
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
    const error = await rejectionOf(job.result());
    expect(error.code).toBe('SLUICE_ERR_RUNTIME_JOB_CANCELED');
  });

  it('runs a job given as its definition, with the module it is exported from', async () => {
    const job = await cluster.submit(forwardJob, {
      module: fixture('forward-job'),
      args: { count: 30 },
    });
    expect((await job.result()).records).toEqual([0, 6, 12, 18, 24, 30, 36, 42, 48, 54]);
    const withoutModule = await rejectionOf(cluster.submit(forwardJob));
    expect(withoutModule.code).toBe('SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID');
    const wrongModule = await rejectionOf(
      cluster.submit(wordCountJob, { module: fixture('forward-job') }),
    );
    expect(wrongModule.code).toBe('SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID');
    expect(wrongModule.message).toContain('not the default export');
  });

  it('rejects a module without a job, a job needing more slots than exist or free, and submissions after close', async () => {
    const notAJob = await rejectionOf(cluster.submit(fixture('not-a-job')));
    expect(notAJob.code).toBe('SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID');
    expect(notAJob.message).toContain('defineJob');
    const missing = await rejectionOf(cluster.submit(fixture('no-such-job')));
    expect(missing.code).toBe('SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID');

    const tooWide = await rejectionOf(
      cluster.submit(fixture('forward-job'), { args: { parallelism: 5 } }),
    );
    expect(tooWide.code).toBe('SLUICE_ERR_GRAPH_NOT_ENOUGH_SLOTS');

    const endless = await cluster.submit(fixture('endless-job'), { args: { parallelism: 3 } });
    const busy = await rejectionOf(
      cluster.submit(fixture('forward-job'), { args: { parallelism: 2 } }),
    );
    expect(busy.code).toBe('SLUICE_ERR_RUNTIME_SLOTS_BUSY');
    expect(busy.details).toMatchObject({ required: 2, free: 1, total: 4 });

    const other = await startCluster(1);
    const running = await other.submit(fixture('endless-job'));
    await other.close();
    expect(running.status).toBe('CANCELED');
    expect(other.getNumberOfRunningWorkers()).toBe(0);
    const closed = await rejectionOf(other.submit(fixture('forward-job')));
    expect(closed.code).toBe('SLUICE_ERR_RUNTIME_CLUSTER_CLOSED');

    await endless.cancel();
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
  });

  it('reports channel credit, backlog and pool usage of a running keyed job', async () => {
    const job = await cluster.submit(fixture('endless-job'), {
      args: { parallelism: 2, keyed: true },
    });
    expect(await job.waitForSubtasks(['RUNNING'])).toBe(true);
    let sum: ReturnType<typeof job.metricsSnapshot>['tasks'][number] | undefined;
    for (let i = 0; i < 200 && sum?.channels === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      sum = job.metricsSnapshot().tasks.find((t) => t.taskName.startsWith('Sum'));
    }
    expect(sum?.channels?.map((c) => c.channel).sort()).toEqual([0, 1]);
    for (const channel of sum!.channels!) {
      expect(channel.credit).toBeGreaterThanOrEqual(0);
      expect(channel.backlog).toBeGreaterThanOrEqual(0);
    }
    expect(sum!.inPoolUsage).toBeGreaterThanOrEqual(0);
    const source = job.metricsSnapshot().tasks.find((t) => t.taskName.startsWith('Source'))!;
    expect(source.outPoolUsage).toBeGreaterThanOrEqual(0);
    await job.cancel();
    expect(job.status).toBe('CANCELED');
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
    expect(cluster.networkBufferPool.getNumberOfUsedMemorySegments()).toBe(0);
  });
});
