/**
 * Sluice's whole runtime in one process (Flink's `MiniCluster`): the main thread plans
 * and controls jobs, each task slot is a worker thread, and the network buffer pool is
 * reserved once, up front, in shared memory. The entry point of tests, the CLI and the
 * REST Dispatcher.
 *
 * ```
 *   MiniCluster.start(configuration)           NetworkBufferPool (SharedArrayBuffer)
 *     submit('jobs/x.ts', { args })
 *       main: import module, build graph, plan ─► JobMaster ─► slot 0: worker ─► StreamTasks
 *       (slots needed ≤ free slots)                        ─► slot 1: worker ─► StreamTasks
 *     ◄─ JobClient: status, plan, result(), cancel(), metricsSnapshot()
 * ```
 *
 * Slots: `taskmanager.numberOfTaskSlots` (default: the available cores). A job takes as
 * many slots as its plan has (its highest parallelism per slot sharing group) for its
 * whole life; its workers are started per attempt and terminated when the attempt ends,
 * so a finished, failed or cancelled job leaves no thread behind.
 *
 * @remarks Main thread only; one per process in production (tests may start several).
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import { isJobDefinition, type JobDefinition } from '../api/define-job.ts';
import { Configuration } from '../config/configuration.ts';
import {
  memoryManagerOptionsOf,
  networkBufferPoolOptionsOf,
  resolveMemoryConfiguration,
} from '../config/memory-configuration.ts';
import { CoreOptions } from '../config/options.ts';
import { compileOptions } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import { ExecutionPlan } from '../graph/execution-plan.ts';
import { MemoryManager } from '../memory/memory-manager.ts';
import type { MetricsSink } from '../metrics/metrics-sink.ts';
import { NoOpMetricsSink } from '../metrics/metrics-sink.ts';
import { NetworkBufferPool } from '../network/network-buffer-pool.ts';
import { networkExchangeOptionsOf } from '../network/network-exchange-options.ts';
import {
  checkpointingOptionsOf,
  checkRestorable,
  findRestorePoint,
} from './checkpoint/checkpointing-options.ts';
import { isTerminalJobStatus } from './execution-state.ts';
import { JobClient } from './job-client.ts';
import { JobMaster } from './job-master.ts';
import { buildJobGraph, loadJobDefinition, toModuleUrl } from './job-module-loader.ts';
import { JobNetwork } from './job-network.ts';
import { createRootLogger, jobLogger, rootLoggerOptionsFrom } from './logging.ts';
import { createRestartBackoffTimeStrategy } from './restart-backoff-time-strategy.ts';
import { ClusterClosedError, JobModuleInvalidError, SlotsBusyError } from './runtime-errors.ts';
import { type StreamTaskOptions, StreamTaskOptionsSchema } from './stream-task.ts';
import { TaskExecutorGateway } from './task-executor-gateway.ts';
import type { JobModuleSpec } from './task-executor-protocol.ts';

/** Options of {@link MiniCluster} that have no configuration key. */
export interface MiniClusterOptions {
  /**
   * Period of the metrics messages each worker sends (per-subtask snapshots).
   * @defaultValue 500 (ms)
   */
  metricsIntervalMs: number;
  /**
   * How long cancelled subtasks may take to stop before their workers are terminated
   * (Flink's `task.cancellation.timeout`, shorter: a worker is cheap to kill).
   * @defaultValue 10000 (ms)
   */
  cancelTimeoutMs: number;
  /** Batch size and time slice of every task's mailbox loop. */
  task: StreamTaskOptions;
  /**
   * Receiver of task, worker and job figures (`SluiceMetrics` for Prometheus).
   * @defaultValue a {@link NoOpMetricsSink}
   */
  metrics?: MetricsSink | undefined;
  /**
   * Root logger of the main thread. Workers log at the configuration's `log.level`
   * and send their lines to the main thread, which writes them through this logger's
   * destination and format (lines below its level are dropped), so an embedder's
   * logger receives the workers' lines too.
   * @defaultValue a root logger from the configuration
   */
  log?: Logger | undefined;
}

/** Defaults of {@link MiniClusterOptions}. */
export const defaultMiniClusterOptions: MiniClusterOptions = {
  metricsIntervalMs: 500,
  cancelTimeoutMs: 10_000,
  task: { batchSize: 1024, timeSliceMs: 2 },
};

const validateOptions = compileOptions(
  Type.Object({
    metricsIntervalMs: Type.Number({ minimum: 10, maximum: 3_600_000 }),
    cancelTimeoutMs: Type.Number({ minimum: 0, maximum: 3_600_000 }),
    task: StreamTaskOptionsSchema,
    metrics: Type.Optional(Type.Unknown()),
    log: Type.Optional(Type.Unknown()),
  }),
  'MiniCluster',
);

/** How to run a submitted job. */
export interface SubmitOptions {
  /** Arguments for the job builder (structured-cloneable: they are sent to every worker). */
  args?: unknown;
  /** Default parallelism of the job's operators (wins over `parallelism.default`). */
  parallelism?: number | undefined;
  /** Job name (wins over the definition's and `pipeline.name`). */
  jobName?: string | undefined;
  /** Configuration keys for this job only, layered over the cluster's (e.g. restart strategy). */
  configuration?: Configuration | Record<string, unknown> | undefined;
  /**
   * The module a job given as a `JobDefinition` is the default export of: workers
   * import it (required when submitting a definition).
   */
  module?: string | URL | undefined;
  /**
   * A fixed job id (32 hex digits) instead of a random one. With `state.checkpoints.dir`
   * set, a job submitted under an id that has completed checkpoints there resumes from
   * the latest of them (application mode across process restarts, as Flink's
   * application mode with high availability).
   */
  jobId?: string | undefined;
  /**
   * Savepoint or checkpoint to start from (its directory or `_metadata` file); wins over
   * `execution.savepoint.path` and over the latest checkpoint of a fixed job id.
   */
  savepointPath?: string | undefined;
}

/** The runtime in one process; see the module documentation. */
export class MiniCluster {
  readonly configuration: Configuration;
  readonly options: MiniClusterOptions;
  /** Slots (worker threads) available to jobs: `taskmanager.numberOfTaskSlots`. */
  readonly numberOfTaskSlots: number;
  /** The process's network buffers, shared with every worker. */
  readonly networkBufferPool: NetworkBufferPool;
  /** The process's managed memory (keyed state), shared with every worker. */
  readonly memoryManager: MemoryManager;
  private readonly metrics: MetricsSink;
  private readonly log: Logger;
  private readonly jobs = new Map<string, { master: JobMaster; client: JobClient }>();
  private readonly workers = new Set<TaskExecutorGateway>();
  private usedSlots = 0;
  private closed = false;

  private constructor(configuration: Configuration, options: MiniClusterOptions) {
    this.configuration = configuration;
    this.options = options;
    this.metrics = options.metrics ?? new NoOpMetricsSink();
    this.log = options.log ?? createRootLogger(rootLoggerOptionsFrom(configuration));
    this.numberOfTaskSlots = configuration.get(CoreOptions.NUMBER_OF_TASK_SLOTS);
    const memory = resolveMemoryConfiguration(configuration);
    this.networkBufferPool = new NetworkBufferPool(networkBufferPoolOptionsOf(memory));
    this.memoryManager = new MemoryManager(memoryManagerOptionsOf(memory));
    const pool = this.networkBufferPool;
    this.metrics.setNetworkMemorySource(() => ({
      availableSegments: pool.getNumberOfAvailableMemorySegments(),
      usedSegments: pool.getNumberOfUsedMemorySegments(),
      totalSegments: pool.getTotalNumberOfMemorySegments(),
    }));
    const managed = this.memoryManager;
    this.metrics.setManagedMemorySource(() => ({
      usedBytes: managed.getUsedMemoryBytes(),
      totalBytes: managed.getTotalMemoryBytes(),
    }));
  }

  /**
   * Starts a cluster: reserves the network memory; workers start per job.
   *
   * @param configuration - Flink-style keys (slots, memory, restart strategy, …)
   * @param options - metrics period, cancel timeout, task loop tuning, metrics sink
   * @returns the running cluster
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid keys or options
   */
  static async start(
    configuration: Configuration = new Configuration(),
    options: Partial<MiniClusterOptions> = {},
  ): Promise<MiniCluster> {
    const merged = validateOptions({
      ...defaultMiniClusterOptions,
      ...options,
      task: { ...defaultMiniClusterOptions.task, ...options.task },
    }) as MiniClusterOptions;
    return new MiniCluster(configuration, merged);
  }

  /** Slots not held by a running job. */
  get freeSlots(): number {
    return this.numberOfTaskSlots - this.usedSlots;
  }

  /** Worker threads alive now (they exist only while a job attempt runs). */
  getNumberOfRunningWorkers(): number {
    return this.workers.size;
  }

  /** Every job submitted, running or ended. */
  listJobs(): JobClient[] {
    return [...this.jobs.values()].map((j) => j.client);
  }

  /** The job with `jobId`, or `undefined`. */
  getJob(jobId: string): JobClient | undefined {
    return this.jobs.get(jobId)?.client;
  }

  /**
   * Submits a job module: imports it here to plan, then starts one worker per slot of
   * the plan; each imports the same module and runs its subtasks.
   *
   * @param job - path (relative to the working directory) or URL of a module whose
   *   default export is `defineJob(...)`; or that default export itself, with
   *   `options.module` naming its module (workers import the module)
   * @param options - arguments, parallelism, name, per-job configuration
   * @returns the job's client; the job is RUNNING (deploying) when this resolves
   * @throws SLUICE_ERR_RUNTIME_CLUSTER_CLOSED after {@link close}
   * @throws SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID when the module does not load or export a
   *   job, or a definition is given without its module (or with another module)
   * @throws SLUICE_ERR_GRAPH_* when the job is invalid (GRAPH_NOT_ENOUGH_SLOTS: more
   *   slots than the cluster has)
   * @throws SLUICE_ERR_RUNTIME_SLOTS_BUSY when running jobs hold the slots it needs
   */
  async submit(
    job: string | URL | JobDefinition<never>,
    options: SubmitOptions = {},
  ): Promise<JobClient> {
    this.checkOpen();
    const given = isJobDefinition(job) ? job : undefined;
    const jobModule = given === undefined ? (job as string | URL) : options.module;
    if (jobModule === undefined) {
      throw new JobModuleInvalidError(
        `job "${given?.name ?? 'unnamed'}" was given as a definition without its module; workers import jobs by module: pass { module: new URL('./my-job.ts', import.meta.url) } with the module whose default export it is`,
      );
    }
    const configuration =
      options.configuration === undefined
        ? this.configuration
        : this.configuration.merge(
            options.configuration instanceof Configuration
              ? options.configuration
              : Configuration.fromJSON(options.configuration),
          );
    const spec: JobModuleSpec = {
      moduleUrl: toModuleUrl(jobModule),
      args: options.args ?? {},
      configuration: configuration.toJSON(),
      options: {
        ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }),
        ...(options.jobName === undefined ? {} : { jobName: options.jobName }),
      },
    };
    const definition = await loadJobDefinition(spec.moduleUrl);
    if (given !== undefined && (definition as unknown) !== given) {
      throw new JobModuleInvalidError(
        `job "${given.name ?? 'unnamed'}" is not the default export of ${spec.moduleUrl}; pass the module the definition comes from`,
        { details: { moduleUrl: spec.moduleUrl } },
      );
    }
    this.checkOpen();
    const jobId = options.jobId ?? randomBytes(16).toString('hex');
    if (!/^[0-9a-f]{32}$/.test(jobId)) {
      throw new ConfigError(
        `job id "${jobId}" is not 32 lower-case hex digits (Flink's JobID form); leave it unset for a random one`,
        { details: { jobId } },
      );
    }
    if (this.jobs.has(jobId) && !isTerminalJobStatus(this.jobs.get(jobId)!.client.status)) {
      throw new SlotsBusyError(`job ${jobId} is already running in this cluster`, {
        details: { jobId },
      });
    }
    const jobGraph = buildJobGraph(definition, spec, jobId);
    const checkpointing = checkpointingOptionsOf(configuration);
    const restoreFrom = await findRestorePoint(
      options.savepointPath ?? configuration.getOptional(CoreOptions.SAVEPOINT_PATH),
      options.jobId === undefined ? undefined : checkpointing,
      jobId,
    );
    const allowNonRestoredState = configuration.get(CoreOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE);
    if (restoreFrom !== undefined) checkRestorable(restoreFrom, jobGraph, allowNonRestoredState);
    const plan = ExecutionPlan.create(jobGraph, { numberOfTaskSlots: this.numberOfTaskSlots });
    if (plan.numberOfSlots > this.freeSlots) {
      throw new SlotsBusyError(
        `job "${jobGraph.jobName}" needs ${plan.numberOfSlots} slots but only ${this.freeSlots} of ${this.numberOfTaskSlots} are free (running jobs hold ${this.usedSlots}); wait for a job to end or cancel one, lower the parallelism, or raise taskmanager.numberOfTaskSlots`,
        {
          details: {
            required: plan.numberOfSlots,
            free: this.freeSlots,
            total: this.numberOfTaskSlots,
          },
        },
      );
    }
    const exchangeOptions = JobNetwork.isNeeded(jobGraph)
      ? networkExchangeOptionsOf(configuration)
      : undefined;
    this.usedSlots += plan.numberOfSlots;
    const master = new JobMaster({
      jobId,
      spec,
      jobGraph,
      plan,
      restartStrategy: createRestartBackoffTimeStrategy(configuration),
      checkpointing,
      restoreFrom,
      allowNonRestoredState,
      taskOptions: this.options.task,
      metricsIntervalMs: this.options.metricsIntervalMs,
      cancelTimeoutMs: this.options.cancelTimeoutMs,
      metrics: this.metrics,
      log: jobLogger(this.log, { jobId, jobName: jobGraph.jobName }),
      memoryManager: this.memoryManager,
      networkBufferPool: this.networkBufferPool,
      startWorker: (slotIndex, listener) => {
        const gateway = new TaskExecutorGateway(
          slotIndex,
          listener,
          `sluice slot ${slotIndex} of job ${jobId}`,
          (exited) => {
            this.workers.delete(exited);
            this.metrics.removeWorker(exited.threadId);
          },
        );
        this.workers.add(gateway);
        return gateway;
      },
      createAttemptNetwork:
        exchangeOptions === undefined
          ? undefined
          : () => new JobNetwork(jobGraph, plan, this.networkBufferPool, exchangeOptions),
      onTerminal: () => {
        this.usedSlots -= plan.numberOfSlots;
      },
    });
    const client = new JobClient(master);
    this.jobs.set(jobId, { master, client });
    master.start();
    return client;
  }

  /**
   * Cancels every running job and waits until their workers are gone; no more
   * submissions afterwards. Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.jobs.values()].map(({ master }) => master.cancel()));
    this.metrics.setNetworkMemorySource(undefined);
    this.metrics.setManagedMemorySource(undefined);
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new ClusterClosedError(
        'the mini cluster is closed and takes no more jobs; start a new one with MiniCluster.start()',
      );
    }
  }
}
