import { describe, expect, it } from 'vitest';
import { stopJobsForShutdown } from '../../../src/cli/graceful-shutdown.ts';
import { loadConfiguration } from '../../../src/config/configuration.ts';
import { TestingDispatcher } from '../../helpers/testing-dispatcher.ts';

describe('stopJobsForShutdown', () => {
  it('stops every running job with a savepoint and leaves finished ones alone', async () => {
    const dispatcher = new TestingDispatcher();
    const a = dispatcher.addJob({ name: 'a' });
    const b = dispatcher.addJob({ name: 'b' });
    dispatcher.addJob({ name: 'done', state: 'FINISHED' });
    const report = await stopJobsForShutdown(dispatcher, { gracePeriodMs: 1000 });
    expect(report.failed).toEqual([]);
    expect(report.savepoints.map((s) => s.jobId).sort()).toEqual([a, b].sort());
    expect(dispatcher.job(a)?.state).toBe('FINISHED');
    expect(dispatcher.calls.filter((c) => c.method === 'stopWithSavepoint')).toHaveLength(2);
  });

  it('waits for a slow savepoint within the grace period', async () => {
    const dispatcher = new TestingDispatcher();
    const job = dispatcher.addJob({ name: 'slow' });
    dispatcher.autoComplete = false;
    setTimeout(() => dispatcher.complete(job, `shutdown-${job}`, '/sp/late'), 100);
    const report = await stopJobsForShutdown(dispatcher, {
      gracePeriodMs: 5000,
      pollIntervalMs: 20,
    });
    expect(report).toEqual({
      savepoints: [{ jobId: job, location: '/sp/late' }],
      failed: [],
      cancelled: [],
    });
  });

  it('cancels a job whose savepoint fails or does not complete in time', async () => {
    const dispatcher = new TestingDispatcher();
    const stuck = dispatcher.addJob({ name: 'stuck' });
    const failing = dispatcher.addJob({ name: 'failing' });
    dispatcher.autoComplete = false;
    setTimeout(
      () => dispatcher.fail(failing, `shutdown-${failing}`, 'SLUICE_ERR_INTERNAL', 'disk full'),
      20,
    );
    const report = await stopJobsForShutdown(dispatcher, {
      gracePeriodMs: 150,
      pollIntervalMs: 10,
    });
    expect(report.savepoints).toEqual([]);
    expect(report.failed).toHaveLength(2);
    const byJob = new Map(report.failed.map((f) => [f.jobId, f]));
    expect(byJob.get(stuck)?.code).toBe('SLUICE_ERR_CLI_SHUTDOWN_TIMEOUT');
    expect(byJob.get(stuck)?.message).toContain('shutdown.grace-period');
    expect(byJob.get(failing)?.message).toContain('disk full');
    expect(dispatcher.job(stuck)?.state).toBe('CANCELED');
    expect(dispatcher.job(failing)?.state).toBe('CANCELED');
  });

  it('reports, never throws, when the jobs cannot be listed', async () => {
    const dispatcher = new TestingDispatcher();
    dispatcher.listJobs = async () => {
      throw new Error('runtime gone');
    };
    const report = await stopJobsForShutdown(dispatcher, { gracePeriodMs: 10 });
    expect(report.failed).toEqual([
      { jobId: '*', code: 'SLUICE_ERR_INTERNAL', message: 'runtime gone' },
    ]);
  });

  it('shutdown.grace-period is a registered duration key (default 25 s)', () => {
    expect(
      loadConfiguration({ env: {} })
        .entries()
        .find((e) => e.key === 'shutdown.grace-period'),
    ).toEqual({
      key: 'shutdown.grace-period',
      value: 25_000,
      source: 'default',
    });
    const configuration = loadConfiguration({ env: { SLUICE_SHUTDOWN_GRACE_PERIOD: '1 min' } });
    expect(configuration.getRaw('shutdown.grace-period')).toBe(60_000);
  });
});
