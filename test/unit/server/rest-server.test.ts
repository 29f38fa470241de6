import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Configuration } from '../../../src/config/configuration.ts';
import { CoreOptions } from '../../../src/config/options.ts';
import { SluiceMetrics } from '../../../src/metrics/sluice-metrics.ts';
import { RestServer } from '../../../src/server/rest-server.ts';
import { ClusterOverview, ConfigEntries, Readiness } from '../../../src/server/schemas/cluster.ts';
import { JobDetails, JobsList, JobsOverview } from '../../../src/server/schemas/jobs.ts';
import { TestingDispatcher } from '../../helpers/testing-dispatcher.ts';
import { AUTH, expectError, expectShape, type Kit, startKit } from './rest-test-kit.ts';

describe('REST: cluster and job endpoints', () => {
  let kit: Kit;
  beforeEach(async () => {
    kit = await startKit();
  });
  afterEach(async () => {
    await kit.server.close();
  });

  it('GET /overview: slots and job counts', async () => {
    const response = await kit.inject({ url: '/overview' });
    expect(response.statusCode).toBe(200);
    expectShape(ClusterOverview, response.json());
    expect(response.json()).toMatchObject({ 'jobs-running': 1, 'slots-total': 2, taskmanagers: 1 });
  });

  it('GET /jobs: ids and states', async () => {
    const response = await kit.inject({ url: '/jobs' });
    expect(response.statusCode).toBe(200);
    expectShape(JobsList, response.json());
    expect(response.json()).toEqual({ jobs: [{ id: kit.jobId, status: 'RUNNING' }] });
  });

  it('GET /jobs/overview: name, state, times, task counts', async () => {
    const response = await kit.inject({ url: '/jobs/overview' });
    expect(response.statusCode).toBe(200);
    expectShape(JobsOverview, response.json());
    const [job] = response.json().jobs;
    expect(job).toMatchObject({ jid: kit.jobId, name: 'q1', state: 'RUNNING', 'end-time': -1 });
    expect(job.tasks).toMatchObject({ total: 3, running: 3 });
  });

  it('GET /jobs/:jobid: details with vertices, metrics and plan', async () => {
    const response = await kit.inject({ url: `/jobs/${kit.jobId}` });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expectShape(JobDetails, body);
    expect(body.vertices.map((v: { id: string }) => v.id)).toEqual(['src', 'map']);
    expect(body.vertices[1].metrics).toMatchObject({
      'read-records': 10,
      'accumulated-backpressured-time': 5,
      'accumulated-idle-time': 6,
      'accumulated-busy-time': 7,
    });
    expect(body.plan.nodes[1].inputs[0]).toMatchObject({ id: 'src', ship_strategy: 'HASH' });
  });

  it('GET /jobs/:jobid: unknown id → 404, malformed id → 400', async () => {
    expectError(await kit.inject({ url: '/jobs/0123abcd' }), 404, 'SLUICE_ERR_REST_JOB_NOT_FOUND');
    const bad = await kit.inject({ url: `/jobs/${encodeURIComponent('a b')}` });
    expectError(bad, 400, 'SLUICE_ERR_REST_BAD_REQUEST');
    expect(bad.json().message).toContain('params.jobid');
  });

  it('POST /jobs: submits a job module and answers 202 {jobid}', async () => {
    const response = await kit.inject({
      method: 'POST',
      url: '/jobs',
      headers: AUTH,
      payload: {
        jobName: 'wordcount',
        parallelism: 3,
        args: ['--in', 'topic'],
        savepointPath: '/sp/1',
      },
    });
    expect(response.statusCode).toBe(202);
    const { jobid } = response.json();
    expect(kit.dispatcher.job(jobid)).toMatchObject({
      name: 'wordcount',
      args: ['--in', 'topic'],
      savepointPath: '/sp/1',
    });
    expect(kit.dispatcher.job(jobid)?.vertices[0]?.parallelism).toBe(3);
  });

  it('POST /jobs: bad bodies → 400 naming the field; unknown module → 400 with its code', async () => {
    const post = (payload: unknown) =>
      kit.inject({ method: 'POST', url: '/jobs', headers: AUTH, payload: payload as object });
    const cases: [unknown, string][] = [
      [{}, 'body.jobName is required'],
      [{ jobName: 'wordcount', parallelism: 0 }, 'body.parallelism'],
      [{ jobName: 'wordcount', parallelism: 'two' }, 'body.parallelism'],
      [{ jobName: 'wordcount', args: 'x' }, 'body.args'],
      [{ jobName: 'wordcount', savepointpath: '/x' }, 'body.savepointpath is not a known field'],
      [{ jobName: '../etc/passwd' }, 'body.jobName'],
      [[1, 2], 'body'],
    ];
    for (const [payload, message] of cases) {
      const response = await post(payload);
      expectError(response, 400, 'SLUICE_ERR_REST_BAD_REQUEST');
      expect(response.json().message).toContain(message);
    }
    const malformed = await kit.inject({
      method: 'POST',
      url: '/jobs',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '{"jobName": ',
    });
    expectError(malformed, 400, 'SLUICE_ERR_REST_BAD_REQUEST');
    const unknown = await post({ jobName: 'nope' });
    expectError(unknown, 400, 'SLUICE_ERR_REST_UNKNOWN_JOB_MODULE');
    expect(unknown.json().details).toEqual({ jobName: 'nope' });
  });

  it('PATCH /jobs/:jobid?mode=cancel: 202, then 409 once cancelled; 404 for unknown ids', async () => {
    const cancel = (id: string, query = '?mode=cancel') =>
      kit.inject({ method: 'PATCH', url: `/jobs/${id}${query}`, headers: AUTH });
    const response = await cancel(kit.jobId);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({});
    expect(kit.dispatcher.job(kit.jobId)?.state).toBe('CANCELED');
    const again = await cancel(kit.jobId, '');
    expectError(again, 409, 'SLUICE_ERR_REST_JOB_NOT_RUNNING');
    expect(again.json().message).toContain('CANCELED');
    expectError(await cancel('deadbeef'), 404, 'SLUICE_ERR_REST_JOB_NOT_FOUND');
    expectError(await cancel(kit.jobId, '?mode=stop'), 400, 'SLUICE_ERR_REST_BAD_REQUEST');
  });

  it('GET /healthz and /readyz: alive; ready only while jobs run', async () => {
    const health = await kit.inject({ url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json().status).toBe('ok');
    const ready = await kit.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expectShape(Readiness, ready.json());
    kit.dispatcher.readinessOverride = {
      ready: false,
      checks: [{ name: 'kafka:source', ready: false, message: 'broker unreachable' }],
    };
    const notReady = await kit.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().checks[0]).toEqual({
      name: 'kafka:source',
      ready: false,
      message: 'broker unreachable',
    });
    kit.dispatcher.readinessOverride = undefined;
    kit.server.markShuttingDown();
    const draining = await kit.inject({ url: '/readyz' });
    expect(draining.statusCode).toBe(503);
    expect(draining.json().checks[0].name).toBe('shutdown');
  });

  it('unknown routes and methods → 404 with a code', async () => {
    expectError(await kit.inject({ url: '/nope' }), 404, 'SLUICE_ERR_REST_NOT_FOUND');
    expectError(
      await kit.inject({ method: 'DELETE', url: `/jobs/${kit.jobId}` }),
      404,
      'SLUICE_ERR_REST_NOT_FOUND',
    );
  });

  it('GET /openapi.json and /docs: the OpenAPI document and Swagger UI', async () => {
    const doc = (await kit.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/jobs/{jobid}/savepoints'].post.security).toEqual([{ bearerAuth: [] }]);
    const ui = await kit.inject({ url: '/docs' });
    expect(ui.statusCode).toBeLessThan(400);
  });
});

describe('REST: /config and /metrics', () => {
  it('GET /config shows every option with its source and redacts secrets', async () => {
    const configuration = new Configuration()
      .set(CoreOptions.BUFFER_TIMEOUT, 5, 'dynamic')
      .setRaw('rest.token-file', '/var/run/secrets/token', 'file')
      .setRaw('connector.kafka.sasl.password', 'hunter2', 'env')
      .setRaw('connector.kafka.api-key', 'k', 'env');
    const server = await RestServer.create({ dispatcher: new TestingDispatcher(), configuration });
    try {
      const response = await server.app.inject({ url: '/config' });
      expect(response.statusCode).toBe(200);
      expectShape(ConfigEntries, response.json());
      const byKey = new Map(
        response.json().map((e: { key: string; value: unknown; source: string }) => [e.key, e]),
      );
      expect(byKey.get('execution.buffer-timeout')).toEqual({
        key: 'execution.buffer-timeout',
        value: 5,
        source: 'dynamic',
      });
      expect(byKey.get('taskmanager.memory.segment-size')).toMatchObject({
        value: 32768,
        source: 'default',
      });
      expect(byKey.get('rest.token-file')).toMatchObject({ value: '/var/run/secrets/token' });
      expect(byKey.get('connector.kafka.sasl.password')).toMatchObject({ value: '******' });
      expect(byKey.get('connector.kafka.api-key')).toMatchObject({ value: '******' });
      expect(response.body).not.toContain('hunter2');
      const flink = (await server.app.inject({ url: '/jobmanager/config' })).json();
      expect(flink).toContainEqual({ key: 'execution.buffer-timeout', value: '5' });
    } finally {
      await server.close();
    }
  });

  it('GET /metrics serves the Prometheus text of the registry', async () => {
    const metrics = new SluiceMetrics({ collectDefaultMetrics: false });
    metrics.setNetworkMemorySource(() => ({
      availableSegments: 7,
      usedSegments: 3,
      totalSegments: 10,
    }));
    const server = await RestServer.create({ dispatcher: new TestingDispatcher(), metrics });
    try {
      const response = await server.app.inject({ url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/plain');
      expect(response.body).toContain('sluice_network_AvailableMemorySegments 7');
    } finally {
      await server.close();
      metrics.close();
    }
  });
});
