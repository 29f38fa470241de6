/**
 * Job routes: list, overview, details, submission and cancellation, in Flink's
 * paths and shapes.
 *
 * @module
 */
import { Empty, errorResponses, JobIdParams } from '../schemas/common.ts';
import {
  CancelQuery,
  JobDetails,
  JobSubmitRequest,
  JobSubmitResponse,
  JobsList,
  JobsOverview,
} from '../schemas/jobs.ts';
import type { RouteContext, SluiceFastify } from './route-context.ts';

/** Registers the job routes. */
export function registerJobRoutes(app: SluiceFastify, context: RouteContext): void {
  const { dispatcher } = context;

  app.get(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Ids and states of all jobs',
        response: { 200: JobsList, ...errorResponses(401, 403) },
      },
      config: { access: 'read' },
    },
    async () => ({
      jobs: (await dispatcher.listJobs()).map((j) => ({ id: j.jid, status: j.state })),
    }),
  );

  app.get(
    '/jobs/overview',
    {
      schema: {
        tags: ['jobs'],
        summary: 'All jobs with name, state, times and task counts',
        response: { 200: JobsOverview, ...errorResponses(401, 403) },
      },
      config: { access: 'read' },
    },
    async () => ({ jobs: await dispatcher.listJobs() }),
  );

  app.get(
    '/jobs/:jobid',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Job details: state, timestamps, vertices with metrics, plan',
        params: JobIdParams,
        response: { 200: JobDetails, ...errorResponses(400, 401, 403, 404) },
      },
      config: { access: 'read' },
    },
    async (request) => dispatcher.jobDetails(request.params.jobid),
  );

  app.post(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Run a job module from the job catalog (Flink: POST /jars/{jarid}/run)',
        security: [{ bearerAuth: [] }],
        body: JobSubmitRequest,
        response: {
          202: JobSubmitResponse,
          ...errorResponses(400, 401, 403, 413, 415, 501),
        },
      },
      config: { access: 'mutate' },
    },
    async (request, reply) => {
      const { jobId } = await dispatcher.submitJob(request.body);
      return reply.code(202).send({ jobid: jobId });
    },
  );

  app.patch(
    '/jobs/:jobid',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancel the job (mode=cancel, the default)',
        security: [{ bearerAuth: [] }],
        params: JobIdParams,
        querystring: CancelQuery,
        response: { 202: Empty, ...errorResponses(400, 401, 403, 404, 409) },
      },
      config: { access: 'mutate' },
    },
    async (request, reply) => {
      await dispatcher.cancelJob(request.params.jobid);
      return reply.code(202).send({});
    },
  );
}
