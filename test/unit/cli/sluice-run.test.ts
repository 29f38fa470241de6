/**
 * `sluice run` (application mode) and `sluice serve` (session mode) on the real runtime:
 * `runCli` in process, the MiniClusterDispatcher with worker threads, the REST server on
 * loopback, and `sluice jobs …` against it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobDetails, JobsList, JobsOverview } from '../../../src/server/schemas/jobs.ts';
import {
  cli,
  FIXTURE_CATALOG,
  request,
  smallProcessFlags,
  startServer,
  TOKEN,
} from './cli-run-kit.ts';

const catalogFlags = () => smallProcessFlags({ 'job-catalog.dir': FIXTURE_CATALOG });

describe('sluice run (application mode) on the runtime', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('a job started with sluice run is visible through GET /jobs, /jobs/:id and sluice jobs list; savepoints answer 501 CHECKPOINT_NOT_SUPPORTED; PATCH cancel ends it and the process exits 0', async () => {
    server = await startServer(['run', ...catalogFlags(), 'nested/endless', 'parallelism=2']);
    const { url } = server;
    await expect
      .poll(async () => (await request<JobsList>(`${url}/jobs`)).json.jobs, { timeout: 20_000 })
      .toEqual([{ id: expect.stringMatching(/^[0-9a-f]{32}$/), status: 'RUNNING' }]);
    const jobId = (await request<JobsList>(`${url}/jobs`)).json.jobs[0]!.id;

    const details = await request<JobDetails>(`${url}/jobs/${jobId}`);
    expect(details.status).toBe(200);
    expect(details.json).toMatchObject({ jid: jobId, name: 'endless', state: 'RUNNING' });
    expect(details.json.vertices.map((v) => [v.name.split(' -> ')[0], v.parallelism])).toEqual([
      ['Source: numbers', 2],
      ['Double', 2],
    ]);

    const table = await cli(['jobs', 'list', '--url', url]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(new RegExp(`^${jobId}\\s+RUNNING\\s+\\S+\\s+\\S+\\s+endless$`, 'm'));
    const listed = JSON.parse(
      (await cli(['jobs', 'list', '--json', '--url', url])).out,
    ) as JobsOverview;
    expect(listed.jobs[0]).toMatchObject({ jid: jobId, state: 'RUNNING', tasks: { total: 4 } });

    // Savepoints: the honest answer until the checkpoint coordinator lands.
    const savepoint = await cli(['jobs', 'savepoint', jobId, '--url', url, '--token', TOKEN]);
    expect(savepoint.code).toBe(1);
    expect(savepoint.err).toContain('SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED');
    for (const path of ['savepoints', 'stop', 'checkpoints']) {
      const answer = await request(`${url}/jobs/${jobId}/${path}`, 'POST', {});
      expect(answer.status).toBe(501);
      expect(answer.json.code).toBe('SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED');
    }
    expect((await request<JobDetails>(`${url}/jobs/${jobId}`)).json.state).toBe('RUNNING');

    const cancel = await request(`${url}/jobs/${jobId}?mode=cancel`, 'PATCH');
    expect(cancel.status).toBe(202);
    // Application mode: the job ended, so the process shuts down by itself.
    expect(await server.exit).toBe(0);
    const lines = server.output.lines();
    expect(lines.find((l) => l.msg === 'job CANCELED: the application shuts down')).toMatchObject({
      jobId,
      exitCode: 0,
    });
    expect(lines.find((l) => l.msg === 'shut down')).toMatchObject({ exitCode: 0 });
    server = undefined;
  });

  it('sluice jobs cancel ends an application job; a finished job exits 0, a failed one 1', async () => {
    server = await startServer(['run', ...catalogFlags(), 'nested/endless']);
    const { url } = server;
    await expect
      .poll(async () => (await request<JobsList>(`${url}/jobs`)).json.jobs.length, {
        timeout: 15_000,
      })
      .toBe(1);
    const jobId = (await request<JobsList>(`${url}/jobs`)).json.jobs[0]!.id;
    const cancel = await cli(['jobs', 'cancel', jobId, '--url', url, '--token', TOKEN]);
    expect(cancel).toMatchObject({ code: 0, out: `cancelling job ${jobId}\n` });
    expect(await server.exit).toBe(0);
    server = undefined;

    const finite = await startServer(['run', ...catalogFlags(), 'finite', 'count=2000']);
    expect(await finite.exit).toBe(0);
    expect(
      finite.output.lines().some((l) => l.msg === 'job FINISHED: the application shuts down'),
    ).toBe(true);

    const failing = await startServer(['run', ...catalogFlags(), 'failing', 'failOn=10']);
    expect(await failing.exit).toBe(1);
    expect(
      failing.output.lines().find((l) => l.msg === 'job FAILED: the application shuts down'),
    ).toMatchObject({ exitCode: 1 });
  });

  it('takes a module path as well as a catalog name; SIGTERM cancels without a savepoint (logged) and exits 0', async () => {
    server = await startServer([
      'run',
      ...smallProcessFlags(),
      `${FIXTURE_CATALOG}nested/endless.ts`,
    ]);
    const { url } = server;
    await expect
      .poll(async () => (await request<JobsList>(`${url}/jobs`)).json.jobs[0]?.status, {
        timeout: 15_000,
      })
      .toBe('RUNNING');
    const running = server;
    server = undefined;
    expect(await running.stop('SIGTERM')).toBe(0);
    const lines = running.output.lines();
    expect(
      lines.find((l) => String(l.msg).startsWith('shutdown: savepoints are not supported')),
    ).toMatchObject({ code: 'SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED' });
    expect(lines.find((l) => l.msg === 'shut down')).toMatchObject({
      exitCode: 0,
      failed: [],
      cancelled: [expect.objectContaining({ code: 'SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED' })],
    });
  });
});

describe('sluice serve (session mode) on the runtime', () => {
  it('runs catalog jobs submitted with POST /jobs; unknown names are 400 listing the catalog', async () => {
    const server = await startServer(['serve', ...catalogFlags()]);
    try {
      const { url } = server;
      const unknown = await request(`${url}/jobs`, 'POST', { jobName: 'nope' });
      expect(unknown.status).toBe(400);
      expect(unknown.json.code).toBe('SLUICE_ERR_REST_UNKNOWN_JOB_MODULE');
      expect(unknown.json.message).toContain('it has failing, finite, nested/endless');
      const submitted = await request<{ jobid: string }>(`${url}/jobs`, 'POST', {
        jobName: 'finite',
        args: ['count=1000'],
      });
      expect(submitted.status).toBe(202);
      const jobId = submitted.json.jobid;
      await expect
        .poll(async () => (await request<JobDetails>(`${url}/jobs/${jobId}`)).json.state, {
          timeout: 15_000,
        })
        .toBe('FINISHED');
      const overview = await request(`${url}/overview`);
      expect(overview.json).toMatchObject({
        'jobs-finished': 1,
        'slots-total': 2,
        'slots-available': 2,
      });
      expect((await request(`${url}/readyz`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
