import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointingStatistics } from '../../../src/server/schemas/checkpoints.ts';
import { FlowInfo, JobVertexBackPressureInfo } from '../../../src/server/schemas/flow.ts';
import { CheckpointStatus, SavepointStatus } from '../../../src/server/schemas/savepoints.ts';
import { AUTH, expectError, expectShape, type Kit, startKit } from './rest-test-kit.ts';

describe('REST: savepoints, stop, checkpoints', () => {
  let kit: Kit;
  beforeEach(async () => {
    kit = await startKit();
  });
  afterEach(async () => {
    await kit.server.close();
  });

  const post = (url: string, payload?: object) =>
    kit.inject({ method: 'POST', url, headers: AUTH, ...(payload ? { payload } : {}) });

  it('POST /jobs/:jobid/savepoints → 202 request-id, polled until COMPLETED with a location', async () => {
    kit.dispatcher.autoComplete = false;
    const trigger = await post(`/jobs/${kit.jobId}/savepoints`, {
      'target-directory': '/savepoints',
      'cancel-job': false,
    });
    expect(trigger.statusCode).toBe(202);
    const requestId = trigger.json()['request-id'];
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(kit.dispatcher.calls.at(-1)).toEqual({
      method: 'triggerSavepoint',
      args: [
        kit.jobId,
        {
          targetDirectory: '/savepoints',
          cancelJob: false,
          triggerId: undefined,
          formatType: undefined,
        },
      ],
    });
    const pending = await kit.inject({ url: `/jobs/${kit.jobId}/savepoints/${requestId}` });
    expect(pending.statusCode).toBe(200);
    expect(pending.json()).toEqual({ status: { id: 'IN_PROGRESS' } });
    kit.dispatcher.complete(kit.jobId, requestId, '/savepoints/savepoint-1');
    const done = await kit.inject({ url: `/jobs/${kit.jobId}/savepoints/${requestId}` });
    expectShape(SavepointStatus, done.json());
    expect(done.json()).toEqual({
      status: { id: 'COMPLETED' },
      operation: { location: '/savepoints/savepoint-1' },
    });
  });

  it('a failed savepoint reports its failure-cause', async () => {
    kit.dispatcher.autoComplete = false;
    const id = (await post(`/jobs/${kit.jobId}/savepoints`, {})).json()['request-id'];
    kit.dispatcher.fail(kit.jobId, id, 'SLUICE_ERR_INTERNAL', 'disk full');
    const status = await kit.inject({ url: `/jobs/${kit.jobId}/savepoints/${id}` });
    expect(status.json()).toEqual({
      status: { id: 'COMPLETED' },
      operation: { 'failure-cause': { code: 'SLUICE_ERR_INTERNAL', message: 'disk full' } },
    });
  });

  it('a client triggerId makes the trigger idempotent: a retry returns the same operation', async () => {
    const first = await post(`/jobs/${kit.jobId}/savepoints`, { triggerId: 'retry-me' });
    const second = await post(`/jobs/${kit.jobId}/savepoints`, { triggerId: 'retry-me' });
    expect(first.json()).toEqual({ 'request-id': 'retry-me' });
    expect(second.json()).toEqual({ 'request-id': 'retry-me' });
    const history = (await kit.inject({ url: `/jobs/${kit.jobId}/checkpoints` })).json().history;
    expect(history.filter((h: { is_savepoint: boolean }) => h.is_savepoint)).toHaveLength(1);
  });

  it('savepoint trigger accepts an empty body; rejects bad ones; 404 and 409 by job state', async () => {
    expect((await post(`/jobs/${kit.jobId}/savepoints`)).statusCode).toBe(202);
    for (const payload of [
      { 'cancel-job': 'yes' },
      { targetDirectory: '/x' },
      { triggerId: 'has space' },
      { 'target-directory': '' },
    ]) {
      expectError(
        await post(`/jobs/${kit.jobId}/savepoints`, payload),
        400,
        'SLUICE_ERR_REST_BAD_REQUEST',
      );
    }
    expectError(await post('/jobs/0badc0de/savepoints', {}), 404, 'SLUICE_ERR_REST_JOB_NOT_FOUND');
    kit.dispatcher.job(kit.jobId)!.state = 'FINISHED';
    expectError(
      await post(`/jobs/${kit.jobId}/savepoints`, {}),
      409,
      'SLUICE_ERR_REST_JOB_NOT_RUNNING',
    );
  });

  it('GET /jobs/:jobid/savepoints/:triggerid: unknown job or trigger → 404', async () => {
    expectError(
      await kit.inject({ url: `/jobs/${kit.jobId}/savepoints/unknown` }),
      404,
      'SLUICE_ERR_REST_TRIGGER_NOT_FOUND',
    );
    expectError(
      await kit.inject({ url: '/jobs/nojob/savepoints/x' }),
      404,
      'SLUICE_ERR_REST_JOB_NOT_FOUND',
    );
  });

  it('POST /jobs/:jobid/stop: drain and targetDirectory (camelCase, as Flink); the job finishes', async () => {
    const response = await post(`/jobs/${kit.jobId}/stop`, {
      drain: true,
      targetDirectory: '/sp',
      triggerId: 'stop-1',
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ 'request-id': 'stop-1' });
    expect(kit.dispatcher.calls.at(-1)?.args[1]).toMatchObject({
      drain: true,
      targetDirectory: '/sp',
    });
    const status = await kit.inject({ url: `/jobs/${kit.jobId}/savepoints/stop-1` });
    expect(status.json().operation.location).toBe('/savepoints/savepoint-stop-1');
    expect(kit.dispatcher.job(kit.jobId)?.state).toBe('FINISHED');
    expectError(
      await post(`/jobs/${kit.jobId}/stop`, { drain: 1 }),
      400,
      'SLUICE_ERR_REST_BAD_REQUEST',
    );
    expectError(await post('/jobs/ghost/stop', {}), 404, 'SLUICE_ERR_REST_JOB_NOT_FOUND');
    expectError(await post(`/jobs/${kit.jobId}/stop`, {}), 409, 'SLUICE_ERR_REST_JOB_NOT_RUNNING');
  });

  it('POST /jobs/:jobid/checkpoints and polling by trigger id', async () => {
    kit.dispatcher.autoComplete = false;
    const trigger = await post(`/jobs/${kit.jobId}/checkpoints`, { checkpointType: 'FULL' });
    expect(trigger.statusCode).toBe(202);
    const id = trigger.json()['request-id'];
    expect((await kit.inject({ url: `/jobs/${kit.jobId}/checkpoints/${id}` })).json()).toEqual({
      status: { id: 'IN_PROGRESS' },
    });
    kit.dispatcher.complete(kit.jobId, id);
    const done = (await kit.inject({ url: `/jobs/${kit.jobId}/checkpoints/${id}` })).json();
    expectShape(CheckpointStatus, done);
    expect(done).toEqual({ status: { id: 'COMPLETED' }, operation: { checkpointId: 1 } });
    expectError(
      await post(`/jobs/${kit.jobId}/checkpoints`, { checkpointType: 'PARTIAL' }),
      400,
      'SLUICE_ERR_REST_BAD_REQUEST',
    );
    expectError(
      await kit.inject({ url: `/jobs/${kit.jobId}/checkpoints/nope` }),
      404,
      'SLUICE_ERR_REST_TRIGGER_NOT_FOUND',
    );
    expectError(await post('/jobs/ghost/checkpoints', {}), 404, 'SLUICE_ERR_REST_JOB_NOT_FOUND');
  });

  it('GET /jobs/:jobid/checkpoints: counts, summary, latest and history', async () => {
    await post(`/jobs/${kit.jobId}/checkpoints`, {});
    await post(`/jobs/${kit.jobId}/savepoints`, { 'target-directory': '/sp' });
    const stats = (await kit.inject({ url: `/jobs/${kit.jobId}/checkpoints` })).json();
    expectShape(CheckpointingStatistics, stats);
    expect(stats.counts).toMatchObject({ completed: 2, total: 2, failed: 0 });
    expect(stats.latest.completed.is_savepoint).toBe(false);
    expect(stats.latest.savepoint.external_path).toMatch(/^\/savepoints\//);
    expect(stats.latest.failed).toBeNull();
    expectError(
      await kit.inject({ url: '/jobs/ghost/checkpoints' }),
      404,
      'SLUICE_ERR_REST_JOB_NOT_FOUND',
    );
  });
});

describe('REST: back pressure and flow', () => {
  let kit: Kit;
  beforeEach(async () => {
    kit = await startKit();
  });
  afterEach(async () => {
    await kit.server.close();
  });

  it("GET …/vertices/:vertexid/backpressure: Flink's levels per subtask and for the vertex", async () => {
    kit.dispatcher.setBackPressure(kit.jobId, 'src', {
      endTimestamp: 123,
      subtasks: [{ subtask: 0, backPressuredRatio: 0.35, idleRatio: 0.05, busyRatio: 0.6 }],
    });
    const response = await kit.inject({ url: `/jobs/${kit.jobId}/vertices/src/backpressure` });
    expect(response.statusCode).toBe(200);
    expectShape(JobVertexBackPressureInfo, response.json());
    expect(response.json()).toEqual({
      status: 'ok',
      'backpressure-level': 'low',
      'end-timestamp': 123,
      subtasks: [
        {
          subtask: 0,
          'attempt-number': 0,
          'backpressure-level': 'low',
          ratio: 0.35,
          idleRatio: 0.05,
          busyRatio: 0.6,
        },
      ],
    });
    kit.dispatcher.setBackPressure(kit.jobId, 'map', null);
    expect(
      (await kit.inject({ url: `/jobs/${kit.jobId}/vertices/map/backpressure` })).json(),
    ).toEqual({
      status: 'deprecated',
    });
    expectError(
      await kit.inject({ url: `/jobs/${kit.jobId}/vertices/nope/backpressure` }),
      404,
      'SLUICE_ERR_REST_VERTEX_NOT_FOUND',
    );
    expectError(
      await kit.inject({ url: '/jobs/ghost/vertices/src/backpressure' }),
      404,
      'SLUICE_ERR_REST_JOB_NOT_FOUND',
    );
  });

  it('GET /jobs/:jobid/flow: channels with credit and backlog, and the bottleneck', async () => {
    kit.dispatcher.setFlow(kit.jobId, {
      jid: kit.jobId,
      timestamp: 99,
      vertices: [
        {
          id: 'src',
          name: 'Source: bids',
          parallelism: 1,
          subtasks: [
            {
              subtask: 0,
              backPressuredRatio: 0.92,
              idleRatio: 0,
              busyRatio: 0.08,
              inPoolUsage: 0,
              outPoolUsage: 1,
            },
          ],
        },
        {
          id: 'map',
          name: 'Map',
          parallelism: 1,
          subtasks: [
            {
              subtask: 0,
              backPressuredRatio: 0,
              idleRatio: 0.01,
              busyRatio: 0.99,
              inPoolUsage: 1,
              outPoolUsage: 0.1,
            },
          ],
        },
      ],
      edges: [
        {
          source: 'src',
          target: 'map',
          shipStrategy: 'REBALANCE',
          channels: [
            { sourceSubtask: 0, targetSubtask: 0, credit: 0, backlog: 5, queuedBuffers: 2 },
          ],
        },
      ],
    });
    const response = await kit.inject({ url: `/jobs/${kit.jobId}/flow` });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expectShape(FlowInfo, body);
    expect(body.edges[0].channels[0]).toEqual({
      sourceSubtask: 0,
      targetSubtask: 0,
      credit: 0,
      backlog: 5,
      queuedBuffers: 2,
      senderOutPoolUsage: 1,
      receiverInPoolUsage: 1,
      blocked: true,
    });
    expect(body.verdict.bottleneck).toMatchObject({ vertexId: 'map', blockedInputChannels: 1 });
    expectError(
      await kit.inject({ url: '/jobs/ghost/flow' }),
      404,
      'SLUICE_ERR_REST_JOB_NOT_FOUND',
    );
  });
});
