import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MiniCluster } from '../../../src/runtime/mini-cluster.ts';
import { fixture, rejectionOf, startCluster } from './cluster-test-kit.ts';

const FIXED_DELAY = (attempts: number) => ({
  'restart-strategy.type': 'fixed-delay',
  'restart-strategy.fixed-delay.attempts': attempts,
  'restart-strategy.fixed-delay.delay': '10 ms',
});

describe('job failures and restarts on worker threads', () => {
  let cluster: MiniCluster;
  beforeAll(async () => {
    cluster = await startCluster(4);
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('a user function throwing on record 1,000 fails the job with that error, leaving no worker or buffer', async () => {
    const usedBefore = cluster.networkBufferPool.getNumberOfUsedMemorySegments();
    const job = await cluster.submit(fixture('failing-job'), {
      args: { parallelism: 2, failOnRecord: 1000, failingSubtask: 1, count: -1, discard: true },
    });
    const error = await rejectionOf(job.result());
    expect(job.status).toBe('FAILED');
    expect(error.code).toBe('SLUICE_ERR_OPERATOR_FUNCTION_FAILED');
    expect(error.message).toContain('record 1000 (value 1999) is bad');
    expect(error.message).toContain('"Picky"');
    expect(error.details).toMatchObject({
      operatorName: 'Picky',
      vertexName: 'Source: numbers -> Picky -> Sink: Collect',
      vertexId: job.plan.json.nodes[0]!.id,
      subtaskIndex: 1,
      attemptNumber: 0,
      numRestarts: 0,
    });
    expect(error.stack).toContain('UserFunctionError');
    expect((error.cause as Error).message).toBe('record 1000 (value 1999) is bad');
    expect((error.cause as Error).stack).toContain('failing-job.ts');
    expect(job.failure).toMatchObject({ code: error.code, subtaskIndex: 1, attemptNumber: 0 });
    // Subtask 0 reads without end: it is cancelled because subtask 1 failed.
    const states = job.getSubtasks().map((s) => s.state);
    expect(states).toEqual(['CANCELED', 'FAILED']);
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
    expect(cluster.networkBufferPool.getNumberOfUsedMemorySegments()).toBe(usedBefore);
    expect(cluster.freeSlots).toBe(4);
  });

  it('fixed-delay restarts N times, then fails with the last failure', async () => {
    const job = await cluster.submit(fixture('failing-job'), {
      args: { failOnRecord: 10 },
      configuration: FIXED_DELAY(2),
    });
    const error = await rejectionOf(job.result());
    expect(error.code).toBe('SLUICE_ERR_OPERATOR_FUNCTION_FAILED');
    expect(job.numRestarts).toBe(2);
    expect(error.details).toMatchObject({ attemptNumber: 2, numRestarts: 2 });
    expect(error.details?.restartStrategy).toContain('maxNumberRestartAttempts=2');
    expect(job.exceptionHistory.map((f) => f.attemptNumber)).toEqual([0, 1, 2]);
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
  });

  it('a job that fails once and then succeeds finishes, with the results of its last attempt only', async () => {
    const job = await cluster.submit(fixture('failing-job'), {
      args: { count: 3000, failOnRecord: 2000, failingAttempts: 1 },
      configuration: FIXED_DELAY(3),
    });
    const result = await job.result();
    expect(job.status).toBe('FINISHED');
    expect(result.numRestarts).toBe(1);
    expect(job.attemptNumber).toBe(1);
    expect(result.records).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(job.getSubtasks()[0]!.attemptNumber).toBe(1);
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
  });

  it('a job with exchanges that fails once restarts with fresh channels and finishes exactly', async () => {
    const text = Array.from(
      { length: 1000 },
      (_, i) => `${'abcdefg'[i % 7]} ${'hij'[i % 3]} y`,
    ).join('\n');
    const job = await cluster.submit(fixture('word-count-job'), {
      args: { text, parallelism: 2, failOnRecord: 500, failingAttempts: 1 },
      configuration: FIXED_DELAY(2),
    });
    const result = await job.result();
    expect(result.numRestarts).toBe(1);
    const last = new Map<string, number>();
    for (const [word, count] of result.records as [string, number][]) last.set(word, count);
    expect(last.get('y')).toBe(1000);
    expect(last.get('a')).toBe(143);
    expect(last.get('h')).toBe(334);
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
    expect(cluster.networkBufferPool.getNumberOfUsedMemorySegments()).toBe(0);
    expect(cluster.memoryManager.getUsedMemoryBytes()).toBe(0);
  });

  it('a worker that crashes fails its subtasks with SLUICE_ERR_RUNTIME_WORKER_DIED carrying the cause', async () => {
    const job = await cluster.submit(fixture('crashing-job'));
    const error = await rejectionOf(job.result());
    expect(error.code).toBe('SLUICE_ERR_RUNTIME_WORKER_DIED');
    expect(error.message).toContain('asynchronous bug in user code');
    expect(error.details).toMatchObject({ slotIndex: 0, subtaskIndex: 0 });
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
  });

  it('a job module that builds another graph on the workers fails without restarting', async () => {
    const job = await cluster.submit(fixture('nondeterministic-job'), {
      configuration: FIXED_DELAY(3),
    });
    const error = await rejectionOf(job.result());
    expect(error.code).toBe('SLUICE_ERR_GRAPH_NONDETERMINISTIC');
    expect(job.numRestarts).toBe(0);
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
  });

  it('a worker that dies mid-exchange fails the job with SLUICE_ERR_RUNTIME_WORKER_DIED; its pools are reclaimed', async () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `w${i % 7} x${i % 3}`).join('\n');
    const job = await cluster.submit(fixture('word-count-job'), {
      args: { text, parallelism: 2, crashOnLine: 100 },
    });
    const error = await rejectionOf(job.result());
    expect(error.code).toBe('SLUICE_ERR_RUNTIME_WORKER_DIED');
    expect(error.message).toContain('splitter crashed on line 100');
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
    expect(cluster.networkBufferPool.getNumberOfUsedMemorySegments()).toBe(0);
    expect(cluster.networkBufferPool.getNumberOfRegisteredBufferPools()).toBe(0);
    expect(cluster.memoryManager.getUsedMemoryBytes()).toBe(0);
  });
});
