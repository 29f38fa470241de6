/**
 * The contract between the REST API and the component that runs jobs: the
 * {@link Dispatcher} (Flink's name for the component behind its REST endpoints).
 *
 * ```
 *  HTTP ──► Fastify routes ──► Dispatcher ──► runtime (planning, workers, checkpoints)
 *            │ validate, auth    │ figures and operations, no HTTP
 *            └ Flink JSON shapes, levels, flow verdict (flow-analysis.ts)
 * ```
 *
 * The REST layer knows nothing of the runtime; the runtime knows nothing of HTTP.
 * Results are plain objects in the shapes of `schemas/` (Flink's JSON, field for
 * field). Failures are thrown as `SluiceError`s with codes, which the REST layer maps
 * to HTTP statuses; `rest-errors.ts` has the classes: `JobNotFoundError` (404),
 * `VertexNotFoundError` (404), `TriggerNotFoundError` (404), `JobNotRunningError`
 * (409), `UnknownJobModuleError` (400); any other code of `ERROR_CODES` maps likewise.
 *
 * Triggers are idempotent by trigger id: when the caller passes a `triggerId` that
 * already names an operation of the job, the Dispatcher returns that operation's id
 * and starts nothing (Flink's `OperationKey` semantics), so a client can retry a
 * trigger safely.
 *
 * Implementations: the runtime's `MiniClusterDispatcher` (`src/runtime/`), and
 * `TestingDispatcher` (`test/helpers/`) for tests of the REST layer and the CLI.
 *
 * @remarks Called on the main thread by the REST routes, the CLI and the shutdown
 * handler; implementations must tolerate concurrent calls (each returns a promise).
 * @module
 */

import type { CheckpointingStatistics } from './schemas/checkpoints.ts';
import type { ClusterOverview, Readiness } from './schemas/cluster.ts';
import type { BackPressureSample, FlowSample } from './schemas/flow.ts';
import type { JobDetails, JobOverview, JobState } from './schemas/jobs.ts';
import type { CheckpointStatus, SavepointStatus } from './schemas/savepoints.ts';

/** A job submission: a module of the job catalog and how to run it. */
export interface SubmitJobRequest {
  /** Name of a job module in the job catalog (e.g. `examples/throttled`). */
  jobName: string;
  /**
   * Path of a job module outside the catalog (relative to the working directory, or
   * absolute); wins over `jobName`. Set only by `sluice run <path>` — the operator's
   * own command line — never from a REST request.
   */
  modulePath?: string | undefined;
  /** Default parallelism of the job's operators; the configuration's when absent. */
  parallelism?: number | undefined;
  /** Arguments passed to the job module. */
  args?: string[] | undefined;
  /** Savepoint (or retained checkpoint) to restore from. */
  savepointPath?: string | undefined;
  /** Skip savepoint state that belongs to no operator of the new job. */
  allowNonRestoredState?: boolean | undefined;
  /**
   * Fixed job id (32 hex digits). Set only by `sluice run` (application mode): the same
   * job and arguments get the same id, so that a restarted process resumes from the
   * latest checkpoint under `state.checkpoints.dir`. Never from a REST request.
   */
  jobId?: string | undefined;
}

/** A savepoint trigger (Flink's `SavepointTriggerRequestBody`). */
export interface TriggerSavepointRequest {
  /** Directory of the savepoint; the configured default when absent. */
  targetDirectory?: string | undefined;
  /** Cancel the job once the savepoint completes. */
  cancelJob?: boolean | undefined;
  /** Client-chosen id making retries safe. */
  triggerId?: string | undefined;
  /** `CANONICAL` (portable) or `NATIVE`. */
  formatType?: 'CANONICAL' | 'NATIVE' | undefined;
}

/** A stop-with-savepoint trigger (Flink's `StopWithSavepointRequestBody`). */
export interface StopWithSavepointRequest {
  /** Directory of the savepoint; the configured default when absent. */
  targetDirectory?: string | undefined;
  /** Emit `MAX_WATERMARK` before the savepoint so that all event-time timers fire. */
  drain?: boolean | undefined;
  /** Client-chosen id making retries safe. */
  triggerId?: string | undefined;
  /** `CANONICAL` (portable) or `NATIVE`. */
  formatType?: 'CANONICAL' | 'NATIVE' | undefined;
}

/** A checkpoint trigger (Flink's `CheckpointTriggerRequestBody`). */
export interface TriggerCheckpointRequest {
  /** `CONFIGURED` (default), `FULL` or `INCREMENTAL`. */
  checkpointType?: 'CONFIGURED' | 'FULL' | 'INCREMENTAL' | undefined;
  /** Client-chosen id making retries safe. */
  triggerId?: string | undefined;
}

/**
 * The operations behind the REST API; see the module documentation.
 *
 * Every method may throw (reject with) a `SluiceError`; the REST layer answers
 * with its code's HTTP status.
 */
export interface Dispatcher {
  /** Cluster figures for `GET /overview`. */
  overview(): Promise<ClusterOverview>;

  /** Every known job, running or finished, for `GET /jobs` and `GET /jobs/overview`. */
  listJobs(): Promise<JobOverview[]>;

  /**
   * Details of one job (Flink's `JobDetailsInfo`: vertices with metrics, plan).
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND
   */
  jobDetails(jobId: string): Promise<JobDetails>;

  /**
   * Starts a job from the job catalog.
   * @returns the new job's id
   * @throws SLUICE_ERR_REST_UNKNOWN_JOB_MODULE when the name is not in the catalog
   */
  submitJob(request: SubmitJobRequest): Promise<{ jobId: string }>;

  /**
   * Cancels a job (no savepoint). Returns once cancellation has started.
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND, SLUICE_ERR_REST_JOB_NOT_RUNNING
   */
  cancelJob(jobId: string): Promise<void>;

  /**
   * Takes a savepoint and stops the job when it completes.
   * @returns the trigger id to poll with {@link Dispatcher.savepointStatus}
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND, SLUICE_ERR_REST_JOB_NOT_RUNNING
   */
  stopWithSavepoint(
    jobId: string,
    request: StopWithSavepointRequest,
  ): Promise<{ triggerId: string }>;

  /**
   * Takes a savepoint (and cancels the job afterwards when `cancelJob`).
   * @returns the trigger id to poll with {@link Dispatcher.savepointStatus}
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND, SLUICE_ERR_REST_JOB_NOT_RUNNING
   */
  triggerSavepoint(jobId: string, request: TriggerSavepointRequest): Promise<{ triggerId: string }>;

  /**
   * State of a savepoint or stop-with-savepoint operation.
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND, SLUICE_ERR_REST_TRIGGER_NOT_FOUND
   */
  savepointStatus(jobId: string, triggerId: string): Promise<SavepointStatus>;

  /**
   * Triggers a checkpoint now.
   * @returns the trigger id to poll with {@link Dispatcher.checkpointStatus}
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND, SLUICE_ERR_REST_JOB_NOT_RUNNING
   */
  triggerCheckpoint(
    jobId: string,
    request: TriggerCheckpointRequest,
  ): Promise<{ triggerId: string }>;

  /**
   * State of a triggered checkpoint.
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND, SLUICE_ERR_REST_TRIGGER_NOT_FOUND
   */
  checkpointStatus(jobId: string, triggerId: string): Promise<CheckpointStatus>;

  /**
   * Checkpoint statistics (Flink's `CheckpointingStatistics`).
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND
   */
  checkpointStats(jobId: string): Promise<CheckpointingStatistics>;

  /**
   * Latest back-pressure figures of a vertex's subtasks, or `null` before the first
   * sample; the REST layer derives Flink's levels from them.
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND, SLUICE_ERR_REST_VERTEX_NOT_FOUND
   */
  vertexBackpressure(jobId: string, vertexId: string): Promise<BackPressureSample | null>;

  /**
   * Latest flow-control figures of every vertex, edge and channel; the REST layer
   * adds the bottleneck verdict.
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND
   */
  flow(jobId: string): Promise<FlowSample>;

  /**
   * Resolves with the job's final state once it is FINISHED, FAILED or CANCELED; used
   * by application mode (`sluice run`) to exit with the job. Optional: without it,
   * `sluice run` keeps serving until it is signalled.
   * @throws SLUICE_ERR_REST_JOB_NOT_FOUND
   */
  awaitJobTermination?(jobId: string): Promise<JobState>;

  /** Whether the process should receive traffic: jobs running, Kafka clients connected. */
  readiness(): Promise<Readiness>;

  /** Releases everything (workers, clients); called once, after the server closed. */
  close(): Promise<void>;
}
