/**
 * Back-pressure routes: Flink's per-vertex back-pressure and Sluice's flow-control
 * graph with its bottleneck verdict.
 *
 * @module
 */
import { analyzeFlow, backPressureInfo } from '../flow-analysis.ts';
import { errorResponses, JobIdParams, VertexParams } from '../schemas/common.ts';
import { FlowInfo, JobVertexBackPressureInfo } from '../schemas/flow.ts';
import type { RouteContext, SluiceFastify } from './route-context.ts';

/** Registers the back-pressure routes. */
export function registerFlowRoutes(app: SluiceFastify, context: RouteContext): void {
  const { dispatcher } = context;

  app.get(
    '/jobs/:jobid/vertices/:vertexid/backpressure',
    {
      schema: {
        tags: ['flow'],
        summary: 'Back-pressure level of a vertex and its subtasks (ok ≤ 0.10 < low ≤ 0.50 < high)',
        params: VertexParams,
        response: { 200: JobVertexBackPressureInfo, ...errorResponses(400, 401, 403, 404) },
      },
      config: { access: 'read' },
    },
    async (request) =>
      backPressureInfo(
        await dispatcher.vertexBackpressure(request.params.jobid, request.params.vertexid),
      ),
  );

  app.get(
    '/jobs/:jobid/flow',
    {
      schema: {
        tags: ['flow'],
        summary:
          'Live flow-control graph: credit, backlog and pool usage per channel, time ratios per vertex, and the bottleneck',
        params: JobIdParams,
        response: { 200: FlowInfo, ...errorResponses(400, 401, 403, 404) },
      },
      config: { access: 'read' },
    },
    async (request) =>
      analyzeFlow(await dispatcher.flow(request.params.jobid), context.flowThresholds),
  );
}
