/**
 * Asynchronous job operations: stop with savepoint, savepoints, checkpoints, and
 * polling them by trigger id; plus checkpoint statistics.
 *
 * A trigger answers 202 `{"request-id"}`; the client polls
 * `GET …/savepoints/{triggerid}` (savepoints and stop) or
 * `GET …/checkpoints/{triggerid}` until `status.id` is `COMPLETED`. A body may be
 * omitted when all its fields are optional.
 *
 * @module
 */
import type { FastifyRequest } from 'fastify';
import { CheckpointingStatistics } from '../schemas/checkpoints.ts';
import { errorResponses, JobIdParams, TriggerParams, TriggerResponse } from '../schemas/common.ts';
import {
  CheckpointStatus,
  CheckpointTriggerRequest,
  SavepointStatus,
  SavepointTriggerRequest,
  StopWithSavepointRequest,
} from '../schemas/savepoints.ts';
import type { RouteContext, SluiceFastify } from './route-context.ts';

/** Lets a trigger be posted without a body: all its fields are optional. */
async function defaultEmptyBody(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

/** Registers the operation routes. */
export function registerOperationRoutes(app: SluiceFastify, context: RouteContext): void {
  const { dispatcher } = context;
  const mutateErrors = errorResponses(400, 401, 403, 404, 409, 413, 415);
  const readErrors = errorResponses(400, 401, 403, 404);

  app.post(
    '/jobs/:jobid/stop',
    {
      schema: {
        tags: ['savepoints'],
        summary: 'Stop the job with a savepoint',
        security: [{ bearerAuth: [] }],
        params: JobIdParams,
        body: StopWithSavepointRequest,
        response: { 202: TriggerResponse, ...mutateErrors },
      },
      config: { access: 'mutate' },
      preValidation: defaultEmptyBody,
    },
    async (request, reply) => {
      const body = request.body;
      const { triggerId } = await dispatcher.stopWithSavepoint(request.params.jobid, {
        targetDirectory: body.targetDirectory,
        drain: body.drain ?? false,
        triggerId: body.triggerId,
        formatType: body.formatType,
      });
      return reply.code(202).send({ 'request-id': triggerId });
    },
  );

  app.post(
    '/jobs/:jobid/savepoints',
    {
      schema: {
        tags: ['savepoints'],
        summary: 'Trigger a savepoint (and optionally cancel the job)',
        security: [{ bearerAuth: [] }],
        params: JobIdParams,
        body: SavepointTriggerRequest,
        response: { 202: TriggerResponse, ...mutateErrors },
      },
      config: { access: 'mutate' },
      preValidation: defaultEmptyBody,
    },
    async (request, reply) => {
      const body = request.body;
      const { triggerId } = await dispatcher.triggerSavepoint(request.params.jobid, {
        targetDirectory: body['target-directory'],
        cancelJob: body['cancel-job'] ?? false,
        triggerId: body.triggerId,
        formatType: body.formatType,
      });
      return reply.code(202).send({ 'request-id': triggerId });
    },
  );

  app.get(
    '/jobs/:jobid/savepoints/:triggerid',
    {
      schema: {
        tags: ['savepoints'],
        summary: 'State of a savepoint or stop-with-savepoint operation',
        params: TriggerParams,
        response: { 200: SavepointStatus, ...readErrors },
      },
      config: { access: 'read' },
    },
    async (request) => dispatcher.savepointStatus(request.params.jobid, request.params.triggerid),
  );

  app.post(
    '/jobs/:jobid/checkpoints',
    {
      schema: {
        tags: ['checkpoints'],
        summary: 'Trigger a checkpoint now',
        security: [{ bearerAuth: [] }],
        params: JobIdParams,
        body: CheckpointTriggerRequest,
        response: { 202: TriggerResponse, ...mutateErrors },
      },
      config: { access: 'mutate' },
      preValidation: defaultEmptyBody,
    },
    async (request, reply) => {
      const { triggerId } = await dispatcher.triggerCheckpoint(request.params.jobid, {
        checkpointType: request.body.checkpointType,
        triggerId: request.body.triggerId,
      });
      return reply.code(202).send({ 'request-id': triggerId });
    },
  );

  app.get(
    '/jobs/:jobid/checkpoints',
    {
      schema: {
        tags: ['checkpoints'],
        summary: 'Checkpoint statistics: counts, summary, latest, history',
        params: JobIdParams,
        response: { 200: CheckpointingStatistics, ...readErrors },
      },
      config: { access: 'read' },
    },
    async (request) => dispatcher.checkpointStats(request.params.jobid),
  );

  app.get(
    '/jobs/:jobid/checkpoints/:triggerid',
    {
      schema: {
        tags: ['checkpoints'],
        summary: 'State of a triggered checkpoint',
        params: TriggerParams,
        response: { 200: CheckpointStatus, ...readErrors },
      },
      config: { access: 'read' },
    },
    async (request) => dispatcher.checkpointStatus(request.params.jobid, request.params.triggerid),
  );
}
