import { fileURLToPath } from 'node:url';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../../src/config/configuration.ts';
import type { TaskMetricsSnapshot } from '../../../src/metrics/metric-snapshots.ts';
import { NoOpMetricsSink } from '../../../src/metrics/metrics-sink.ts';
import { CompletedOperationCache } from '../../../src/runtime/completed-operation-cache.ts';
import { JobCatalog } from '../../../src/runtime/job-catalog.ts';
import type { JobCheckpointOperations } from '../../../src/runtime/job-checkpoint-operations.ts';
import { emptyCheckpointingStatistics } from '../../../src/runtime/job-checkpoint-operations.ts';
import { MetricStore } from '../../../src/runtime/metric-store.ts';
import { MiniClusterDispatcher } from '../../../src/runtime/mini-cluster-dispatcher.ts';
import { CheckpointingStatistics } from '../../../src/server/schemas/checkpoints.ts';
import { ClusterOverview, Readiness } from '../../../src/server/schemas/cluster.ts';
import { FlowSample } from '../../../src/server/schemas/flow.ts';
import { JobDetails, JobOverview } from '../../../src/server/schemas/jobs.ts';

const CATALOG = fileURLToPath(new URL('../cli/fixtures/catalog/', import.meta.url));

function startDispatcher(checkpointOperations?: JobCheckpointOperations) {
  return MiniClusterDispatcher.start({
    configuration: Configuration.fromJSON({
      'taskmanager.numberOfTaskSlots': 3,
      'taskmanager.memory.network.min': '4mb',
      'taskmanager.memory.network.max': '4mb',
      'taskmanager.memory.managed.size': '8mb',
      'job-catalog.dir': CATALOG,
      'log.level': 'silent',
    }),
    cluster: { metricsIntervalMs: 20, cancelTimeoutMs: 5000 },
    checkpointOperations,
  });
}

async function rejection(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string; httpStatus: number; details?: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}

/** Asserts that a value matches a REST schema (what Fastify would serialize). */
function expectSchema(schema: TSchema, value: unknown): void {
  const errors = [...Value.Errors(schema, value)].slice(0, 3);
  expect(errors).toEqual([]);
}

describe('JobCatalog', () => {
  const catalog = new JobCatalog(CATALOG);

  it('names modules by relative path without extension; helpers (_x) are not jobs', () => {
    expect(catalog.list()).toEqual(['failing', 'finite', 'nested/endless']);
    expect(fileURLToPath(catalog.resolve('nested/endless'))).toBe(`${CATALOG}nested/endless.ts`);
    expect(fileURLToPath(catalog.resolve('finite.ts'))).toBe(`${CATALOG}finite.ts`);
  });

  it('refuses unknown names, names leaving the directory and hidden or helper files', () => {
    for (const name of ['nope', '../catalog/finite', 'nested/../finite', '.hidden', '_args', '']) {
      const error = (() => {
        try {
          catalog.resolve(name);
        } catch (e) {
          return e as Error & { code: string; details: Record<string, unknown> };
        }
        throw new Error(`resolved ${name}`);
      })();
      expect(error.code).toBe('SLUICE_ERR_REST_UNKNOWN_JOB_MODULE');
      expect(error.message).toContain(
        `no job "${name}" in the job catalog ${CATALOG.slice(0, -1)}`,
      );
      expect(error.message).toContain('it has failing, finite, nested/endless');
    }
  });

  it('defaults to the jobs/ directory of the installation', () => {
    const defaults = JobCatalog.fromConfiguration(new Configuration());
    expect(defaults.directory).toBe(fileURLToPath(new URL('../../../jobs', import.meta.url)));
    expect(defaults.list()).toContain('examples/throttled');
  });
});

describe('MiniClusterDispatcher', () => {
  let dispatcher: MiniClusterDispatcher;
  beforeAll(async () => {
    dispatcher = await startDispatcher();
  });
  afterAll(async () => {
    await dispatcher.close();
  });

  it('runs a catalog job to FINISHED: overview, job list and Flink-shaped details', async () => {
    const { jobId } = await dispatcher.submitJob({ jobName: 'finite', args: ['count=3000'] });
    expect(await dispatcher.awaitJobTermination(jobId)).toBe('FINISHED');
    const overview = await dispatcher.overview();
    expectSchema(ClusterOverview, overview);
    expect(overview).toMatchObject({ taskmanagers: 1, 'slots-total': 3, 'slots-available': 3 });
    expect(overview['jobs-finished']).toBeGreaterThanOrEqual(1);
    const listed = (await dispatcher.listJobs()).find((j) => j.jid === jobId);
    expectSchema(JobOverview, listed);
    expect(listed).toMatchObject({
      name: 'finite',
      state: 'FINISHED',
      tasks: { total: 1, finished: 1 },
    });
    expect(listed!['end-time']).toBeGreaterThanOrEqual(listed!['start-time']);
    const details = await dispatcher.jobDetails(jobId);
    expectSchema(JobDetails, details);
    expect(details).toMatchObject({
      jid: jobId,
      name: 'finite',
      state: 'FINISHED',
      'job-type': 'STREAMING',
    });
    expect(details.timestamps.FINISHED).toBeGreaterThan(0);
    expect(details.timestamps.FAILED).toBe(0);
    expect(details['status-counts'].FINISHED).toBe(1);
    expect(details.plan.nodes).toHaveLength(1);
    expect(details.vertices).toEqual([
      expect.objectContaining({
        id: details.plan.nodes[0]!.id,
        name: expect.stringMatching(/^Source: numbers -> Map -> Sink: /),
        status: 'FINISHED',
        parallelism: 1,
        tasks: expect.objectContaining({ FINISHED: 1, RUNNING: 0 }),
      }),
    ]);
  });

  it('shows a running job with exchanges: details, back pressure, flow channels, readiness', async () => {
    const { jobId } = await dispatcher.submitJob({
      jobName: 'nested/endless',
      args: ['parallelism=2'],
    });
    const details = await (async () => {
      for (;;) {
        const d = await dispatcher.jobDetails(jobId);
        const double = d.vertices.find((v) => v.name.startsWith('Double'));
        const numbers = d.vertices.find((v) => v.name === 'Source: numbers');
        // The source's figures come in their own snapshot: records are counted when
        // written, bytes when a buffer is published (full or flushed), so wait for both.
        if (
          d.state === 'RUNNING' &&
          double &&
          numbers &&
          numbers.metrics['write-bytes'] > 0 &&
          double.metrics['read-records'] > 0 &&
          double.metrics['read-records-complete'] &&
          double.metrics['accumulated-busy-time'] + double.metrics['accumulated-idle-time'] > 0
        )
          return d;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    expectSchema(JobDetails, details);
    const [source, double] = details.vertices;
    expect(source).toMatchObject({ name: 'Source: numbers', parallelism: 2, status: 'RUNNING' });
    expect(double).toMatchObject({
      name: expect.stringMatching(/^Double -> Sink: /),
      status: 'RUNNING',
    });
    expect(details.plan.nodes[1]!.inputs).toEqual([
      { num: 0, id: source!.id, ship_strategy: 'REBALANCE', exchange: 'pipelined_bounded' },
    ]);
    expect(source!.metrics['write-records']).toBeGreaterThan(0);
    expect(source!.metrics['write-bytes']).toBeGreaterThan(0);

    const bp = await dispatcher.vertexBackpressure(jobId, double!.id);
    expect(bp?.subtasks.map((s) => s.subtask)).toEqual([0, 1]);
    for (const s of bp!.subtasks) {
      expect(s.busyRatio + s.idleRatio + s.backPressuredRatio).toBeGreaterThan(0.5);
      expect(s.busyRatio + s.idleRatio + s.backPressuredRatio).toBeLessThan(1.5);
    }
    expect((await rejection(dispatcher.vertexBackpressure(jobId, 'nope'))).code).toBe(
      'SLUICE_ERR_REST_VERTEX_NOT_FOUND',
    );

    const flow = await dispatcher.flow(jobId);
    expectSchema(FlowSample, flow);
    expect(flow.edges).toHaveLength(1);
    expect(flow.edges[0]).toMatchObject({
      source: source!.id,
      target: double!.id,
      shipStrategy: 'REBALANCE',
    });
    // All to all: every sender subtask to every receiver subtask, as each receiver reports.
    const pairs = flow.edges[0]!.channels.map(
      (c) => `${c.sourceSubtask}->${c.targetSubtask}`,
    ).sort();
    expect(pairs).toEqual(['0->0', '0->1', '1->0', '1->1']);

    await expect.poll(async () => (await dispatcher.readiness()).ready).toBe(true);
    const readiness = await dispatcher.readiness();
    expectSchema(Readiness, readiness);
    expect(readiness.checks).toContainEqual({ name: `job:${jobId}`, ready: true });
    const removeCheck = dispatcher.addReadinessCheck({
      readinessChecks: () => [{ name: 'kafka:bids', ready: false, message: 'broker unreachable' }],
    });
    expect(await dispatcher.readiness()).toMatchObject({ ready: false });
    removeCheck();

    // Savepoints need a directory (none configured here): refused at once, nothing started.
    for (const call of [
      () => dispatcher.triggerSavepoint(jobId, { triggerId: 't1' }),
      () => dispatcher.stopWithSavepoint(jobId, { drain: false }),
    ]) {
      const error = await rejection(call());
      expect(error.code).toBe('SLUICE_ERR_CHECKPOINT_DECLINED');
      expect(error.httpStatus).toBe(409);
      expect(error.message).toContain('state.savepoints.dir');
    }
    expect((await rejection(dispatcher.savepointStatus(jobId, 't1'))).code).toBe(
      'SLUICE_ERR_REST_TRIGGER_NOT_FOUND',
    );
    // A checkpoint on demand completes (kept in memory without state.checkpoints.dir).
    const checkpoint = await dispatcher.triggerCheckpoint(jobId, { triggerId: 'c1' });
    await expect
      .poll(() => dispatcher.checkpointStatus(jobId, checkpoint.triggerId))
      .toMatchObject({ status: { id: 'COMPLETED' }, operation: { checkpointId: 1 } });
    const stats = await dispatcher.checkpointStats(jobId);
    expectSchema(CheckpointingStatistics, stats);
    expect(stats.counts).toMatchObject({ completed: 1, failed: 0, in_progress: 0 });
    expect(stats.latest.completed).toMatchObject({
      id: 1,
      status: 'COMPLETED',
      is_savepoint: false,
    });
    expect(await dispatcher.jobDetails(jobId)).toMatchObject({ state: 'RUNNING' });

    await dispatcher.cancelJob(jobId);
    expect(await dispatcher.awaitJobTermination(jobId)).toBe('CANCELED');
    expect((await rejection(dispatcher.cancelJob(jobId))).code).toBe(
      'SLUICE_ERR_REST_JOB_NOT_RUNNING',
    );
    expect((await rejection(dispatcher.triggerSavepoint(jobId, {}))).code).toBe(
      'SLUICE_ERR_REST_JOB_NOT_RUNNING',
    );
    expect((await dispatcher.readiness()).checks.some((c) => c.name === `job:${jobId}`)).toBe(
      false,
    );
  });

  it('a failing catalog job ends FAILED; unknown names, ids and savepoint restores are refused', async () => {
    const { jobId } = await dispatcher.submitJob({ jobName: 'failing', args: ['failOn=50'] });
    expect(await dispatcher.awaitJobTermination(jobId)).toBe('FAILED');
    expect((await dispatcher.jobDetails(jobId)).vertices[0]).toMatchObject({
      status: 'FAILED',
      tasks: expect.objectContaining({ FAILED: 1 }),
    });
    expect((await rejection(dispatcher.submitJob({ jobName: 'nope' }))).code).toBe(
      'SLUICE_ERR_REST_UNKNOWN_JOB_MODULE',
    );
    const restore = await rejection(
      dispatcher.submitJob({ jobName: 'finite', savepointPath: '/sp/savepoint-1' }),
    );
    expect(restore.code).toBe('SLUICE_ERR_CHECKPOINT_NOT_FOUND');
    expect(restore.message).toContain('/sp/savepoint-1');
    for (const call of [
      dispatcher.jobDetails('f00'),
      dispatcher.cancelJob('f00'),
      dispatcher.flow('f00'),
    ]) {
      expect((await rejection(call)).code).toBe('SLUICE_ERR_REST_JOB_NOT_FOUND');
    }
  });
});

describe('MiniClusterDispatcher with checkpoint operations plugged in', () => {
  it('keeps trigger ids idempotent and reports completion and failure when polled', async () => {
    let finish: (location: string) => void = () => {};
    const started: string[] = [];
    const operations: JobCheckpointOperations = {
      checkpointStats: () => emptyCheckpointingStatistics(),
      checkRestore: () => {},
      triggerSavepoint: (job, request) => {
        started.push(`savepoint ${job.jobId} ${request.targetDirectory}`);
        return { completion: new Promise<string>((resolve) => (finish = resolve)) };
      },
      stopWithSavepoint: () => ({ completion: Promise.reject(new Error('barrier timed out')) }),
      triggerCheckpoint: () => ({ completion: Promise.resolve(17) }),
    };
    const dispatcher = await startDispatcher(operations);
    try {
      const { jobId } = await dispatcher.submitJob({ jobName: 'nested/endless' });
      const first = await dispatcher.triggerSavepoint(jobId, {
        triggerId: 'nightly',
        targetDirectory: '/sp',
      });
      const retry = await dispatcher.triggerSavepoint(jobId, {
        triggerId: 'nightly',
        targetDirectory: '/sp',
      });
      expect(first).toEqual({ triggerId: 'nightly' });
      expect(retry).toEqual({ triggerId: 'nightly' });
      expect(started).toEqual([`savepoint ${jobId} /sp`]);
      expect(await dispatcher.savepointStatus(jobId, 'nightly')).toEqual({
        status: { id: 'IN_PROGRESS' },
      });
      finish('/sp/savepoint-1');
      await expect
        .poll(() => dispatcher.savepointStatus(jobId, 'nightly'))
        .toEqual({
          status: { id: 'COMPLETED' },
          operation: { location: '/sp/savepoint-1' },
        });
      const stop = await dispatcher.stopWithSavepoint(jobId, {});
      expect(stop.triggerId).toMatch(/^[0-9a-f]{32}$/);
      await expect
        .poll(() => dispatcher.savepointStatus(jobId, stop.triggerId))
        .toEqual({
          status: { id: 'COMPLETED' },
          operation: {
            'failure-cause': { code: 'SLUICE_ERR_INTERNAL', message: 'barrier timed out' },
          },
        });
      const checkpoint = await dispatcher.triggerCheckpoint(jobId, { triggerId: 'c1' });
      await expect
        .poll(() => dispatcher.checkpointStatus(jobId, checkpoint.triggerId))
        .toEqual({
          status: { id: 'COMPLETED' },
          operation: { checkpointId: 17 },
        });
      // A checkpoint trigger id is not a savepoint's and the other way round.
      expect((await rejection(dispatcher.savepointStatus(jobId, 'c1'))).code).toBe(
        'SLUICE_ERR_REST_TRIGGER_NOT_FOUND',
      );
      expect((await rejection(dispatcher.checkpointStatus(jobId, 'nightly'))).code).toBe(
        'SLUICE_ERR_REST_TRIGGER_NOT_FOUND',
      );
    } finally {
      await dispatcher.close();
    }
  });
});

describe('CompletedOperationCache', () => {
  it('registers nothing when the start refuses', () => {
    const cache = new CompletedOperationCache();
    expect(() =>
      cache.register('j', 't', 'savepoint', () => {
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(cache.get('j', 't', ['savepoint'])).toBeUndefined();
  });
});

describe('MetricStore', () => {
  it('accumulates the time ratios over the wall-clock time between snapshots', () => {
    let now = 10_000;
    const forwarded: TaskMetricsSnapshot[] = [];
    const sink = new NoOpMetricsSink();
    sink.updateTaskSnapshot = (s) => forwarded.push(s);
    const store = new MetricStore(sink, 500, () => now);
    const snapshot = (busy: number, idle: number, bp: number): TaskMetricsSnapshot => ({
      jobId: 'j',
      jobName: 'job',
      vertexId: 'v',
      taskName: 'V',
      subtaskIndex: 1,
      numRecordsIn: 0,
      numRecordsOut: 0,
      numBytesIn: 0,
      numBytesOut: 0,
      busyTimeMsPerSecond: busy,
      idleTimeMsPerSecond: idle,
      backPressuredTimeMsPerSecond: bp,
      isBackPressured: false,
    });
    store.updateTaskSnapshot(snapshot(1000, 0, 0)); // first: one interval (500 ms)
    now += 2000;
    store.updateTaskSnapshot(snapshot(250, 250, 500)); // 2 s at these rates
    expect(store.taskTime('j', 'v', 1)).toEqual({
      busyMs: 1000,
      idleMs: 500,
      backPressuredMs: 1000,
      lastUpdateMs: 12_000,
    });
    expect(store.lastUpdateMs('j')).toBe(12_000);
    expect(forwarded).toHaveLength(2);
    store.forgetJob('j');
    expect(store.taskTime('j', 'v', 1)).toBeUndefined();
  });
});
