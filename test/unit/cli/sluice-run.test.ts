/**
 * `sluice run` (application mode) and `sluice serve` (session mode) on the real runtime:
 * `runCli` in process, the MiniClusterDispatcher with worker threads, the REST server on
 * loopback, and `sluice jobs …` against it.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('a job started with sluice run is visible through GET /jobs, /jobs/:id and sluice jobs list; savepoints need a directory, take one with it; PATCH cancel ends it and the process exits 0', async () => {
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

    // No state.savepoints.dir (nor state.checkpoints.dir) here: a savepoint needs a directory.
    for (const path of ['savepoints', 'stop']) {
      const answer = await request(`${url}/jobs/${jobId}/${path}`, 'POST', {});
      expect(answer.status).toBe(409);
      expect(answer.json.code).toBe('SLUICE_ERR_CHECKPOINT_DECLINED');
    }
    // Savepoints are taken once every subtask runs (before: 409 DECLINED, retriable).
    await expect
      .poll(
        async () =>
          (await request<JobDetails>(`${url}/jobs/${jobId}`)).json.vertices.every(
            (v) => v.tasks.RUNNING === v.parallelism,
          ),
        { timeout: 20_000 },
      )
      .toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-run-savepoints-'));
    try {
      const savepoint = await cli([
        'jobs',
        'savepoint',
        jobId,
        '-d',
        dir,
        '--url',
        url,
        '--token',
        TOKEN,
      ]);
      expect(savepoint.code).toBe(0);
      expect(savepoint.out).toContain(
        `savepoint completed: ${dir}/savepoint-${jobId.slice(0, 6)}-`,
      );
      expect((await readdir(dir)).filter((n) => n.startsWith('savepoint-'))).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const checkpoint = await request(`${url}/jobs/${jobId}/checkpoints`, 'POST', {});
    expect(checkpoint.status).toBe(202);
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

  it('takes a module path as well as a catalog name; SIGTERM stops the job with a savepoint and exits 0; run again, it resumes from it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-run-sigterm-'));
    const args = [
      'run',
      ...smallProcessFlags(),
      '-D',
      `state.checkpoints.dir=${dir}`,
      `${FIXTURE_CATALOG}nested/endless.ts`,
    ];
    try {
      server = await startServer(args);
      const { url } = server;
      await expect
        .poll(async () => (await request<JobsList>(`${url}/jobs`)).json.jobs[0]?.status, {
          timeout: 15_000,
        })
        .toBe('RUNNING');
      const jobId = (await request<JobsList>(`${url}/jobs`)).json.jobs[0]!.id;
      const running = server;
      server = undefined;
      expect(await running.stop('SIGTERM')).toBe(0);
      const shutDown = running.output.lines().find((l) => l.msg === 'shut down');
      expect(shutDown).toMatchObject({
        exitCode: 0,
        failed: [],
        cancelled: [],
        savepoints: [{ jobId, location: expect.stringContaining(`${dir}/savepoint-`) }],
      });
      // The same command again: same job id, resumed from that savepoint.
      server = await startServer(args);
      const again = server.url;
      await expect
        .poll(async () => (await request<JobsList>(`${again}/jobs`)).json.jobs[0]?.status, {
          timeout: 15_000,
        })
        .toBe('RUNNING');
      expect((await request<JobsList>(`${again}/jobs`)).json.jobs[0]!.id).toBe(jobId);
      const stats = await request<{ latest: { restored: { external_path: string } | null } }>(
        `${again}/jobs/${jobId}/checkpoints`,
      );
      expect(stats.json.latest.restored?.external_path).toBe(
        (shutDown as { savepoints: { location: string }[] }).savepoints[0]!.location,
      );
    } finally {
      await server?.stop('SIGTERM');
      server = undefined;
      await rm(dir, { recursive: true, force: true });
    }
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
