/**
 * The runtime's {@link Dispatcher} (Flink's `Dispatcher`): the REST API and the CLI
 * over a {@link MiniCluster}. It submits jobs from the job catalog, cancels them,
 * answers job overviews and details in Flink's shapes, the live back-pressure and
 * flow-control figures, readiness, and routes savepoints and checkpoints to a
 * {@link JobCheckpointOperations} (refused with a coded 501 until the checkpoint
 * coordinator exists).
 *
 * ```
 *  REST routes / sluice run ─► MiniClusterDispatcher
 *     submitJob(name) ─ JobCatalog.resolve ─► MiniCluster.submit ─► JobClient
 *     overview, jobs, details ◄─ JobClient (status, plan, subtasks + snapshots)
 *     backpressure, flow      ◄─ latest TaskMetricsSnapshots (job-views.ts)
 *     accumulated times       ◄─ MetricStore (tee in front of SluiceMetrics)
 *     savepoints, checkpoints ─► CompletedOperationCache ─► JobCheckpointOperations
 *     readiness               ◄─ jobs RUNNING + ReadinessCheckProviders (Kafka, …)
 * ```
 *
 * Every job the cluster has is listed, also one submitted to `cluster` directly
 * (benchmarks and tests pass structured arguments that way). Nothing here runs per
 * record: answers are built from the snapshots the workers send every
 * `metricsIntervalMs`.
 *
 * @remarks Main thread; one per process, created by `SluiceApplication`. Methods may
 * be called concurrently (REST, CLI, shutdown); each returns a promise.
 * @module
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import type { Configuration } from '../config/configuration.ts';
import { compileOptions } from '../config/validate.ts';
import type { MetricsSink } from '../metrics/metrics-sink.ts';
import { NoOpMetricsSink } from '../metrics/metrics-sink.ts';
import type {
  Dispatcher,
  StopWithSavepointRequest,
  SubmitJobRequest,
  TriggerCheckpointRequest,
  TriggerSavepointRequest,
} from '../server/job-controller.ts';
import {
  JobNotFoundError,
  JobNotRunningError,
  TriggerNotFoundError,
  VertexNotFoundError,
} from '../server/rest-errors.ts';
import type { CheckpointingStatistics } from '../server/schemas/checkpoints.ts';
import type { ClusterOverview, Readiness, ReadinessCheck } from '../server/schemas/cluster.ts';
import type { BackPressureSample, FlowSample } from '../server/schemas/flow.ts';
import type { JobDetails, JobOverview, JobState } from '../server/schemas/jobs.ts';
import type { CheckpointStatus, SavepointStatus } from '../server/schemas/savepoints.ts';
import { SLUICE_VERSION } from '../server/sluice-version.ts';
import { CompletedOperationCache, type OperationState } from './completed-operation-cache.ts';
import { isTerminalJobStatus } from './execution-state.ts';
import { JobCatalog } from './job-catalog.ts';
import {
  CoordinatorJobCheckpointOperations,
  type JobCheckpointOperations,
} from './job-checkpoint-operations.ts';
import type { JobClient } from './job-client.ts';
import {
  backPressureSampleOf,
  flowSampleOf,
  type JobEntry,
  jobDetailsOf,
  jobOverviewOf,
} from './job-views.ts';
import { MetricStore } from './metric-store.ts';
import { defaultMiniClusterOptions, MiniCluster, type MiniClusterOptions } from './mini-cluster.ts';

/** Something besides the jobs that must be ready before the process takes traffic. */
export interface ReadinessCheckProvider {
  /** Current checks, e.g. `{name: 'kafka:bids-source', ready: false, message: 'broker unreachable'}`. */
  readinessChecks(): ReadinessCheck[];
}

/** How to start a {@link MiniClusterDispatcher}. */
export interface MiniClusterDispatcherOptions {
  /** The process configuration (slots, memory, `job-catalog.dir`, restart strategy, …). */
  configuration: Configuration;
  /**
   * Where the runtime's figures go (`SluiceMetrics` for `/metrics`).
   * @defaultValue a no-op sink
   */
  metrics?: MetricsSink | undefined;
  /**
   * Root logger of the main thread.
   * @defaultValue one from the configuration (MiniCluster's)
   */
  log?: Logger | undefined;
  /**
   * MiniCluster options without a configuration key (metrics period, cancel timeout).
   * @defaultValue `defaultMiniClusterOptions`
   */
  cluster?: Partial<Omit<MiniClusterOptions, 'metrics' | 'log'>> | undefined;
  /**
   * Where job names are looked up.
   * @defaultValue `JobCatalog.fromConfiguration(configuration)`
   */
  catalog?: JobCatalog | undefined;
  /**
   * Savepoints and checkpoints.
   * @defaultValue {@link CoordinatorJobCheckpointOperations} (each job's checkpoint coordinator)
   */
  checkpointOperations?: JobCheckpointOperations | undefined;
}

/** Defaults of {@link MiniClusterDispatcherOptions} (all optional fields). */
export const defaultMiniClusterDispatcherOptions: Readonly<
  Omit<MiniClusterDispatcherOptions, 'configuration'>
> = Object.freeze({});

const validateOptions = compileOptions(
  Type.Object({
    configuration: Type.Unknown(),
    metrics: Type.Optional(Type.Unknown()),
    log: Type.Optional(Type.Unknown()),
    cluster: Type.Optional(Type.Object({}, { additionalProperties: true })),
    catalog: Type.Optional(Type.Unknown()),
    checkpointOperations: Type.Optional(Type.Unknown()),
  }),
  'MiniClusterDispatcher',
);

/** States from which a job can be cancelled. */
const CANCELLABLE: readonly JobState[] = ['CREATED', 'RUNNING', 'RESTARTING'];

/** The runtime's Dispatcher; see the module documentation. */
export class MiniClusterDispatcher implements Dispatcher {
  /** The cluster jobs run on (submit to it directly to pass structured arguments). */
  readonly cluster: MiniCluster;
  /** Where `submitJob` looks names up. */
  readonly catalog: JobCatalog;
  private readonly store: MetricStore;
  private readonly operations = new CompletedOperationCache();
  private readonly checkpoints: JobCheckpointOperations;
  private readonly submittedAt = new Map<string, number>();
  private readonly readinessProviders = new Set<ReadinessCheckProvider>();
  private readonly log: Logger | undefined;

  private constructor(
    cluster: MiniCluster,
    store: MetricStore,
    catalog: JobCatalog,
    checkpoints: JobCheckpointOperations,
    log: Logger | undefined,
  ) {
    this.cluster = cluster;
    this.store = store;
    this.catalog = catalog;
    this.checkpoints = checkpoints;
    this.log = log;
  }

  /**
   * Starts the MiniCluster (reserving its network and managed memory) and the
   * Dispatcher over it.
   *
   * @param options - configuration, metrics sink, logger, cluster options, catalog
   * @returns the Dispatcher
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid options or configuration keys
   */
  static async start(options: MiniClusterDispatcherOptions): Promise<MiniClusterDispatcher> {
    validateOptions({ ...defaultMiniClusterDispatcherOptions, ...options });
    const { configuration } = options;
    const clusterOptions = { ...defaultMiniClusterOptions, ...options.cluster };
    const store = new MetricStore(
      options.metrics ?? new NoOpMetricsSink(),
      clusterOptions.metricsIntervalMs,
    );
    const cluster = await MiniCluster.start(configuration, {
      ...clusterOptions,
      metrics: store,
      log: options.log,
    });
    return new MiniClusterDispatcher(
      cluster,
      store,
      options.catalog ?? JobCatalog.fromConfiguration(configuration),
      options.checkpointOperations ?? new CoordinatorJobCheckpointOperations(),
      options.log,
    );
  }

  /**
   * Adds a readiness check (a connector's Kafka clients, …) to `/readyz`.
   *
   * @param provider - called at every readiness request
   * @returns removes the provider again
   */
  addReadinessCheck(provider: ReadinessCheckProvider): () => void {
    this.readinessProviders.add(provider);
    return () => this.readinessProviders.delete(provider);
  }

  private entries(): JobEntry[] {
    return this.cluster.listJobs().map((client) => this.entryOf(client));
  }

  private entryOf(client: JobClient): JobEntry {
    const submittedAtMs =
      this.submittedAt.get(client.jobId) ??
      client.getStatusTimestamps().RUNNING ??
      Math.min(Date.now(), ...client.getSubtasks().map((s) => s.timestamps.CREATED ?? Date.now()));
    return { client, submittedAtMs };
  }

  private job(jobId: string): JobClient {
    const client = this.cluster.getJob(jobId);
    if (client === undefined) throw JobNotFoundError.of(jobId);
    return client;
  }

  private runningJob(jobId: string, operation: string): JobClient {
    const client = this.job(jobId);
    if (client.status !== 'RUNNING') throw JobNotRunningError.of(jobId, client.status, operation);
    return client;
  }

  async overview(): Promise<ClusterOverview> {
    const counts = { running: 0, finished: 0, cancelled: 0, failed: 0 };
    for (const client of this.cluster.listJobs()) {
      const status = client.status;
      if (status === 'FINISHED') counts.finished++;
      else if (status === 'CANCELED') counts.cancelled++;
      else if (status === 'FAILED') counts.failed++;
      else counts.running++;
    }
    return {
      taskmanagers: 1,
      'slots-total': this.cluster.numberOfTaskSlots,
      'slots-available': this.cluster.freeSlots,
      'jobs-running': counts.running,
      'jobs-finished': counts.finished,
      'jobs-cancelled': counts.cancelled,
      'jobs-failed': counts.failed,
      version: SLUICE_VERSION,
    };
  }

  async listJobs(): Promise<JobOverview[]> {
    const now = Date.now();
    return this.entries().map((entry) => jobOverviewOf(entry, now));
  }

  async jobDetails(jobId: string): Promise<JobDetails> {
    return jobDetailsOf(this.entryOf(this.job(jobId)), this.store, Date.now());
  }

  /**
   * Resolves the name in the job catalog and submits the module to the cluster.
   * `modulePath` (command line only) bypasses the catalog.
   *
   * @throws SLUICE_ERR_REST_UNKNOWN_JOB_MODULE, SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED
   *   (a savepoint path without checkpointing), SLUICE_ERR_RUNTIME_SLOTS_BUSY,
   *   SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID, SLUICE_ERR_GRAPH_*
   */
  async submitJob(request: SubmitJobRequest): Promise<{ jobId: string }> {
    const module =
      request.modulePath === undefined
        ? this.catalog.resolve(request.jobName)
        : pathToFileURL(resolve(request.modulePath));
    if (request.savepointPath !== undefined) this.checkpoints.checkRestore(request.savepointPath);
    const submittedAtMs = Date.now();
    const client = await this.cluster.submit(module, {
      args: request.args ?? [],
      parallelism: request.parallelism,
      jobId: request.jobId,
      savepointPath: request.savepointPath,
      ...(request.allowNonRestoredState === true
        ? { configuration: { 'execution.savepoint.ignore-unclaimed-state': true } }
        : {}),
    });
    this.submittedAt.set(client.jobId, submittedAtMs);
    this.log?.info(
      { jobId: client.jobId, jobName: client.jobName, module: module.href },
      'job submitted from the job catalog',
    );
    return { jobId: client.jobId };
  }

  async cancelJob(jobId: string): Promise<void> {
    const client = this.job(jobId);
    if (!CANCELLABLE.includes(client.status))
      throw JobNotRunningError.of(jobId, client.status, 'cancel');
    client.cancel().catch((error: unknown) => {
      this.log?.error({ jobId, err: error }, 'cancelling the job failed');
    });
  }

  /** Resolves with the job's final state once it is FINISHED, FAILED or CANCELED. */
  async awaitJobTermination(jobId: string): Promise<JobState> {
    const client = this.job(jobId);
    await client.whenTerminal();
    return client.status;
  }

  async stopWithSavepoint(
    jobId: string,
    request: StopWithSavepointRequest,
  ): Promise<{ triggerId: string }> {
    const client = this.runningJob(jobId, 'stop with a savepoint');
    const triggerId = this.operations.register(jobId, request.triggerId, 'stop', () =>
      this.checkpoints.stopWithSavepoint(client, {
        targetDirectory: request.targetDirectory,
        formatType: request.formatType ?? 'CANONICAL',
        drain: request.drain ?? false,
      }),
    );
    return { triggerId };
  }

  async triggerSavepoint(
    jobId: string,
    request: TriggerSavepointRequest,
  ): Promise<{ triggerId: string }> {
    const client = this.runningJob(jobId, 'take a savepoint of');
    const triggerId = this.operations.register(jobId, request.triggerId, 'savepoint', () =>
      this.checkpoints.triggerSavepoint(client, {
        targetDirectory: request.targetDirectory,
        formatType: request.formatType ?? 'CANONICAL',
        cancelJob: request.cancelJob ?? false,
      }),
    );
    return { triggerId };
  }

  async savepointStatus(jobId: string, triggerId: string): Promise<SavepointStatus> {
    this.job(jobId);
    const state = this.operation(jobId, triggerId, ['savepoint', 'stop']);
    if (state.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' } };
    return {
      status: { id: 'COMPLETED' },
      operation:
        state.failure === undefined
          ? { location: String(state.result) }
          : { 'failure-cause': state.failure },
    };
  }

  async triggerCheckpoint(
    jobId: string,
    request: TriggerCheckpointRequest,
  ): Promise<{ triggerId: string }> {
    const client = this.runningJob(jobId, 'checkpoint');
    const triggerId = this.operations.register(jobId, request.triggerId, 'checkpoint', () =>
      this.checkpoints.triggerCheckpoint(client, {
        checkpointType: request.checkpointType ?? 'CONFIGURED',
      }),
    );
    return { triggerId };
  }

  async checkpointStatus(jobId: string, triggerId: string): Promise<CheckpointStatus> {
    this.job(jobId);
    const state = this.operation(jobId, triggerId, ['checkpoint']);
    if (state.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' } };
    return {
      status: { id: 'COMPLETED' },
      operation:
        state.failure === undefined
          ? { checkpointId: Number(state.result) }
          : { 'failure-cause': state.failure },
    };
  }

  private operation(
    jobId: string,
    triggerId: string,
    kinds: OperationState['kind'][],
  ): OperationState {
    const state = this.operations.get(jobId, triggerId, kinds);
    if (state === undefined) throw TriggerNotFoundError.of(jobId, triggerId);
    return state;
  }

  async checkpointStats(jobId: string): Promise<CheckpointingStatistics> {
    return this.checkpoints.checkpointStats(this.job(jobId));
  }

  async vertexBackpressure(jobId: string, vertexId: string): Promise<BackPressureSample | null> {
    const client = this.job(jobId);
    if (!client.plan.json.nodes.some((n) => n.id === vertexId)) {
      throw VertexNotFoundError.of(jobId, vertexId);
    }
    return backPressureSampleOf(client, vertexId, this.store.lastUpdateMs(jobId) ?? Date.now());
  }

  async flow(jobId: string): Promise<FlowSample> {
    const client = this.job(jobId);
    return flowSampleOf(client, this.store.lastUpdateMs(jobId) ?? Date.now());
  }

  /**
   * Ready when every job that has not ended is RUNNING with all its subtasks running
   * (or finished), and every readiness provider is ready. A session without jobs is
   * ready (it takes submissions).
   */
  async readiness(): Promise<Readiness> {
    const checks: ReadinessCheck[] = [];
    for (const client of this.cluster.listJobs()) {
      const status = client.status;
      if (isTerminalJobStatus(status)) continue;
      const subtasks = client.getSubtasks();
      const running = subtasks.filter((s) => s.state === 'RUNNING' || s.state === 'FINISHED');
      const ready = status === 'RUNNING' && running.length === subtasks.length;
      checks.push({
        name: `job:${client.jobId}`,
        ready,
        ...(ready
          ? {}
          : {
              message:
                status === 'RUNNING'
                  ? `job "${client.jobName}": ${running.length} of ${subtasks.length} subtasks running`
                  : `job "${client.jobName}" is ${status}`,
            }),
      });
    }
    for (const provider of this.readinessProviders) checks.push(...provider.readinessChecks());
    return { ready: checks.every((c) => c.ready), checks };
  }

  /** Cancels every job that still runs and waits until its workers are gone. */
  async close(): Promise<void> {
    await this.cluster.close();
  }
}
