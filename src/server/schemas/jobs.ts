/**
 * Schemas of the job endpoints, in Flink's JSON shapes: `/jobs`, `/jobs/overview`,
 * `/jobs/{jobid}` (details with plan and per-vertex metrics), submission and cancel.
 *
 * Field names follow Flink exactly (kebab-case where Flink uses it, `maxParallelism`
 * where Flink uses camelCase), so that scripts written against Flink's REST API work.
 *
 * @module
 */
import { type Static, Type } from 'typebox';
import { Id } from './common.ts';

/** Job states (Flink's `JobStatus`). */
export const JOB_STATES = [
  'INITIALIZING',
  'CREATED',
  'RUNNING',
  'FAILING',
  'FAILED',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'RESTARTING',
  'SUSPENDED',
  'RECONCILING',
] as const;
export type JobState = (typeof JOB_STATES)[number];
export const JobState = Type.Enum([...JOB_STATES]);

/** Task (subtask) states (Flink's `ExecutionState`). */
export const EXECUTION_STATES = [
  'CREATED',
  'SCHEDULED',
  'DEPLOYING',
  'RUNNING',
  'FINISHED',
  'CANCELING',
  'CANCELED',
  'FAILED',
  'RECONCILING',
  'INITIALIZING',
] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];
export const ExecutionState = Type.Enum([...EXECUTION_STATES]);

/** `GET /jobs`: ids and states only. */
export const JobsList = Type.Object({
  jobs: Type.Array(Type.Object({ id: Type.String(), status: JobState })),
});
export type JobsList = Static<typeof JobsList>;

/** Subtask counts by state, lower-case keys (Flink's `/jobs/overview` `tasks`). */
export const TaskCounts = Type.Object({
  total: Type.Integer(),
  created: Type.Integer(),
  scheduled: Type.Integer(),
  deploying: Type.Integer(),
  running: Type.Integer(),
  finished: Type.Integer(),
  canceling: Type.Integer(),
  canceled: Type.Integer(),
  failed: Type.Integer(),
  reconciling: Type.Integer(),
  initializing: Type.Integer(),
});
export type TaskCounts = Static<typeof TaskCounts>;

/** One job of `GET /jobs/overview` (Flink's `JobDetails`). */
export const JobOverview = Type.Object({
  jid: Type.String(),
  name: Type.String(),
  state: JobState,
  'start-time': Type.Number({ description: 'Epoch ms.' }),
  'end-time': Type.Number({ description: 'Epoch ms, -1 while running.' }),
  duration: Type.Number({ description: 'ms' }),
  'last-modification': Type.Number({ description: 'Epoch ms of the last state change.' }),
  tasks: TaskCounts,
});
export type JobOverview = Static<typeof JobOverview>;

/** `GET /jobs/overview`. */
export const JobsOverview = Type.Object({ jobs: Type.Array(JobOverview) });
export type JobsOverview = Static<typeof JobsOverview>;

/** Per-vertex I/O and time figures in job details (Flink's `IOMetricsInfo`). */
export const VertexMetrics = Type.Object({
  'read-bytes': Type.Number(),
  'read-bytes-complete': Type.Boolean(),
  'write-bytes': Type.Number(),
  'write-bytes-complete': Type.Boolean(),
  'read-records': Type.Number(),
  'read-records-complete': Type.Boolean(),
  'write-records': Type.Number(),
  'write-records-complete': Type.Boolean(),
  'accumulated-backpressured-time': Type.Number({ description: 'ms, summed over subtasks' }),
  'accumulated-idle-time': Type.Number({ description: 'ms, summed over subtasks' }),
  'accumulated-busy-time': Type.Number({ description: 'ms, summed over subtasks; NaN as -1' }),
});
export type VertexMetrics = Static<typeof VertexMetrics>;

/** Subtask counts by state, upper-case keys (Flink's job-details vertex `tasks`). */
export const ExecutionStateCounts = Type.Record(Type.String(), Type.Integer(), {
  description: 'Subtasks per ExecutionState, e.g. `{"RUNNING": 2, "FINISHED": 0, …}`.',
});

/** One vertex of job details (Flink's `JobVertexDetailsInfo`). */
export const JobVertexDetails = Type.Object({
  id: Type.String(),
  name: Type.String(),
  maxParallelism: Type.Integer(),
  parallelism: Type.Integer(),
  status: ExecutionState,
  'start-time': Type.Number(),
  'end-time': Type.Number(),
  duration: Type.Number(),
  tasks: ExecutionStateCounts,
  metrics: VertexMetrics,
});
export type JobVertexDetails = Static<typeof JobVertexDetails>;

/** One input of a plan node (Flink's `JsonPlanGenerator` output). */
export const PlanInput = Type.Object({
  num: Type.Integer(),
  id: Type.String({ description: 'Upstream vertex id.' }),
  ship_strategy: Type.String({ description: 'FORWARD, HASH, REBALANCE, BROADCAST, …' }),
  exchange: Type.String({ description: 'pipelined_bounded' }),
});

/** One node of the plan: a vertex (a chain of operators). */
export const PlanNode = Type.Object({
  id: Type.String(),
  parallelism: Type.Integer(),
  operator: Type.String(),
  operator_strategy: Type.String(),
  description: Type.String({ description: 'The chained operators, e.g. `Source: bids -> Map`.' }),
  inputs: Type.Optional(Type.Array(PlanInput)),
  optimizer_properties: Type.Record(Type.String(), Type.Unknown()),
});

/** The job graph (Flink's `plan`). */
export const JobPlan = Type.Object({
  jid: Type.String(),
  name: Type.String(),
  type: Type.String({ description: 'STREAMING' }),
  nodes: Type.Array(PlanNode),
});
export type JobPlan = Static<typeof JobPlan>;

/** `GET /jobs/{jobid}` (Flink's `JobDetailsInfo`). */
export const JobDetails = Type.Object({
  jid: Type.String(),
  name: Type.String(),
  isStoppable: Type.Boolean(),
  state: JobState,
  'job-type': Type.String({ description: 'STREAMING' }),
  'start-time': Type.Number(),
  'end-time': Type.Number({ description: '-1 while running' }),
  duration: Type.Number(),
  maxParallelism: Type.Integer(),
  now: Type.Number({ description: 'Epoch ms when the answer was built.' }),
  timestamps: Type.Record(Type.String(), Type.Number(), {
    description: 'Epoch ms at which the job entered each state (0 = never).',
  }),
  vertices: Type.Array(JobVertexDetails),
  'status-counts': ExecutionStateCounts,
  plan: JobPlan,
});
export type JobDetails = Static<typeof JobDetails>;

/** `POST /jobs`: run a job module from the job catalog (Sluice's `/jars/{id}/run`). */
export const JobSubmitRequest = Type.Object(
  {
    jobName: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$',
      description:
        'Name of a job module in the job catalog: its path relative to `job-catalog.dir` without extension, e.g. `examples/throttled`.',
    }),
    parallelism: Type.Optional(Type.Integer({ minimum: 1, maximum: 32768 })),
    args: Type.Optional(
      Type.Array(Type.String({ maxLength: 4096 }), {
        maxItems: 256,
        description: "Arguments for the job module (Flink's `programArgsList`).",
      }),
    ),
    savepointPath: Type.Optional(
      Type.String({ minLength: 1, maxLength: 4096, description: 'Savepoint to restore from.' }),
    ),
    allowNonRestoredState: Type.Optional(
      Type.Boolean({ description: 'Skip savepoint state that maps to no operator.' }),
    ),
  },
  { additionalProperties: false },
);
export type JobSubmitRequest = Static<typeof JobSubmitRequest>;

/** Answer of `POST /jobs` (Flink's `JarRunResponseBody`). */
export const JobSubmitResponse = Type.Object({ jobid: Id });
export type JobSubmitResponse = Static<typeof JobSubmitResponse>;

/** `PATCH /jobs/{jobid}?mode=cancel` query (Flink's `TerminationModeQueryParameter`). */
export const CancelQuery = Type.Object({
  mode: Type.Optional(Type.Enum(['cancel'], { description: 'Only `cancel` (the default).' })),
});
