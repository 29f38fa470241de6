/**
 * The main thread's control of one job (Flink's `JobMaster` with its scheduler and
 * `ExecutionGraph`, reduced to what one process needs): deploys every attempt of the
 * job to one worker per slot, follows the state of every subtask, derives the job's
 * status, handles failures with the restart strategy, and tears every attempt down
 * completely — workers terminated, buffer pools reclaimed — before the job ends or the
 * next attempt starts.
 *
 * ```
 *   start ─► RUNNING: attempt n — per slot: new worker, deploy(subtasks of the slot)
 *              all subtasks FINISHED ──────────────► teardown ─► FINISHED (result resolves)
 *              first subtask FAILED ─► cancel others ─► all terminal (or cancel timeout)
 *                 │ strategy allows & recoverable      └► teardown ─┬► RESTARTING: wait
 *                 │                                                 │   backoff ─► attempt n+1
 *                 └ otherwise (FAILING) ──────────────────────────── ┴► FAILED (result rejects)
 *              cancel() ─► CANCELLING ─► cancel all ─► all terminal ─► teardown ─► CANCELED
 * ```
 *
 * Teardown terminates every worker of the attempt (a stuck user function cannot keep a
 * thread alive) and then releases the attempt's network memory, reclaiming by pool id
 * the segments of pools that a dead or terminated worker did not destroy. So when the
 * job reaches a terminal status, no worker of it runs and the network buffer pool's
 * used-segment count is what it was before the job.
 *
 * The failure a job fails with keeps the code, message and stack of the error the
 * subtask reported (for user code `SLUICE_ERR_OPERATOR_FUNCTION_FAILED`) and adds to its
 * `details` the vertex id and name, subtask index, attempt number and restarts.
 *
 * @remarks Main thread only; created by the `MiniCluster`, observed through `JobClient`.
 * @module
 */
import type { Logger } from 'pino';
import { Configuration } from '../config/configuration.ts';
import { CoreOptions } from '../config/options.ts';
import { CollectSink } from '../connectors/collect/collect-sink.ts';
import {
  deserializeError,
  type RemoteError,
  type SerializedError,
  serializeError,
} from '../errors.ts';
import type { ExecutionPlan } from '../graph/execution-plan.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import type { MemoryManager } from '../memory/memory-manager.ts';
import type {
  JobEdgeInfo,
  TaskMetricsSnapshot,
  WorkerMetricsSnapshot,
} from '../metrics/metric-snapshots.ts';
import type { MetricsSink } from '../metrics/metrics-sink.ts';
import type { NetworkBufferPool } from '../network/network-buffer-pool.ts';
import {
  CheckpointCoordinator,
  type CheckpointCoordinatorOptions,
} from './checkpoint/checkpoint-coordinator.ts';
import { CheckpointStatsTracker } from './checkpoint/checkpoint-stats-tracker.ts';
import {
  type CompletedCheckpoint,
  operatorIdOf,
  type SnapshotKind,
  type TaskRestoreState,
} from './checkpoint/checkpoint-types.ts';
import { assignStateForSubtask } from './checkpoint/state-assignment.ts';
import {
  type ExecutionState,
  isTerminalExecutionState,
  isTerminalJobStatus,
  isValidTransition,
  type JobStatus,
} from './execution-state.ts';
import { writeForeignLogLines } from './logging.ts';
import { isRecoverable, type RestartBackoffTimeStrategy } from './restart-backoff-time-strategy.ts';
import { JobCanceledError, WorkerDiedError } from './runtime-errors.ts';
import type { StreamTaskOptions } from './stream-task.ts';
import type { TaskExecutorGateway, TaskExecutorGatewayListener } from './task-executor-gateway.ts';
import {
  type FromTaskExecutorMessage,
  type JobModuleSpec,
  restoreKey,
  type TaskStateMessage,
} from './task-executor-protocol.ts';

/** One subtask of the current attempt, as the main thread sees it. */
export interface SubtaskExecution {
  readonly vertexId: string;
  readonly vertexName: string;
  readonly subtaskIndex: number;
  readonly slotIndex: number;
  attemptNumber: number;
  state: ExecutionState;
  /** Epoch ms at which the subtask entered each state in this attempt. */
  timestamps: Partial<Record<ExecutionState, number>>;
  /** Why it failed (FAILED only). */
  failure: SerializedError | undefined;
  /** Latest figures reported (final figures once terminal). */
  metrics: TaskMetricsSnapshot | undefined;
}

/** The failure a job failed (or restarted) with: Flink's root exception, with its place. */
export interface JobFailureInfo {
  readonly code: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Vertex of the subtask that failed first (absent for failures of the job itself). */
  readonly vertexId: string | undefined;
  readonly vertexName: string | undefined;
  readonly subtaskIndex: number | undefined;
  readonly attemptNumber: number;
  /** Epoch ms. */
  readonly timestampMs: number;
  /** The error as reported, cause chain included. */
  readonly error: SerializedError;
}

/** What `JobClient.result()` resolves with (Flink's `JobExecutionResult`). */
export interface JobResult {
  readonly jobId: string;
  readonly jobName: string;
  readonly state: 'FINISHED';
  /** From the first RUNNING to FINISHED, ms. */
  readonly netRuntimeMs: number;
  readonly numRestarts: number;
  /** Records of every collect sink of the job, by sink name. */
  readonly collected: Readonly<Record<string, unknown[]>>;
  /** Records of all collect sinks, in sink order (the usual single collect sink's records). */
  readonly records: unknown[];
  /** Records each vertex read from its exchanges, by vertex id. */
  readonly numRecordsIn: Readonly<Record<string, number>>;
  /** Records each vertex wrote to its exchanges, by vertex id. */
  readonly numRecordsOut: Readonly<Record<string, number>>;
}

/** The network memory of one attempt: handles for the workers, released at teardown. */
export interface AttemptNetwork {
  /** The `network` field of slot `slotIndex`'s deployment. */
  deploymentFor(slotIndex: number): unknown;
  /** A slot's worker died: its peers must fail fast instead of waiting for it. */
  markSlotGone(slotIndex: number): void;
  /**
   * Reclaims the segments of buffer pools that the attempt's workers created and did
   * not destroy. Called once, after every worker exited.
   *
   * @returns segments reclaimed
   */
  release(): number;
}

/** What a job master needs; supplied by the cluster. */
export interface JobMasterContext {
  readonly jobId: string;
  readonly spec: JobModuleSpec;
  /** The main thread's build: operator coordinators (collect sinks) live in it. */
  readonly jobGraph: JobGraph;
  readonly plan: ExecutionPlan;
  readonly restartStrategy: RestartBackoffTimeStrategy;
  readonly taskOptions: StreamTaskOptions;
  readonly metricsIntervalMs: number;
  /** How long cancelled subtasks may take before their workers are terminated (ms). */
  readonly cancelTimeoutMs: number;
  readonly metrics: MetricsSink;
  /** The job's logger (bound to its id and name). */
  readonly log: Logger;
  /** The process's managed memory; owners of a torn-down attempt are released. */
  readonly memoryManager: MemoryManager;
  /** The process's network buffers. */
  readonly networkBufferPool: NetworkBufferPool;
  /** Starts the worker of one slot. */
  startWorker(slotIndex: number, listener: TaskExecutorGatewayListener): TaskExecutorGateway;
  /** Checkpointing settings (interval, timeout, storage); absent: no periodic checkpoints. */
  readonly checkpointing?: CheckpointCoordinatorOptions | undefined;
  /** The checkpoint or savepoint the job starts from. */
  readonly restoreFrom?: CompletedCheckpoint | undefined;
  /** Allow state of operators that the job no longer has (`execution.savepoint.ignore-unclaimed-state`). */
  readonly allowNonRestoredState?: boolean | undefined;
  /** Allocates the network memory of an attempt (jobs with exchanges). */
  createAttemptNetwork?(attemptNumber: number): AttemptNetwork;
  /** Told once when the job reached a terminal status (the cluster frees its slots). */
  onTerminal(master: JobMaster): void;
}

/** Controls one job on the main thread; see the module documentation. */
export class JobMaster implements TaskExecutorGatewayListener {
  readonly jobId: string;
  readonly jobName: string;
  readonly jobGraph: JobGraph;
  readonly plan: ExecutionPlan;
  /** Subtasks of the current attempt, in plan order (slot by slot). */
  readonly subtasks: readonly SubtaskExecution[];
  private readonly context: JobMasterContext;
  private readonly byKey = new Map<string, SubtaskExecution>();
  private status: JobStatus = 'CREATED';
  private readonly statusTimestamps: Partial<Record<JobStatus, number>> = {};
  private attemptNumber = 0;
  private numRestarts = 0;
  private failure: JobFailureInfo | undefined;
  private readonly exceptionHistory: JobFailureInfo[] = [];
  private gateways: TaskExecutorGateway[] = [];
  private network: AttemptNetwork | undefined;
  private attemptActive = false;
  private tearingDown = false;
  private cancelTimer: ReturnType<typeof setTimeout> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly workerMetrics = new Map<number, WorkerMetricsSnapshot>();
  private readonly changeListeners = new Set<() => void>();
  /** Checkpoint statistics (REST, metrics). */
  readonly checkpointStats: CheckpointStatsTracker;
  /** Checkpoints and savepoints of this job. */
  readonly checkpointCoordinator: CheckpointCoordinator;
  /** The plan's edges for `sluice_job_edge_info` (fixed for the job's life). */
  private readonly edges: readonly JobEdgeInfo[];
  /** Set by {@link stopWithSavepoint}: the cancel that follows ends the job FINISHED. */
  private stopping = false;
  private readonly resultPromise: Promise<JobResult>;
  private resolveResult!: (result: JobResult) => void;
  private rejectResult!: (error: Error) => void;

  /** @param context - the job, its plan, and the cluster's services */
  constructor(context: JobMasterContext) {
    this.context = context;
    this.jobId = context.jobId;
    this.jobGraph = context.jobGraph;
    this.jobName = context.jobGraph.jobName;
    this.plan = context.plan;
    const subtasks: SubtaskExecution[] = [];
    for (const slot of context.plan.slots) {
      for (const { vertex, subtaskIndex } of slot.subtasks) {
        const execution: SubtaskExecution = {
          vertexId: vertex.id,
          vertexName: vertex.name,
          subtaskIndex,
          slotIndex: slot.slotIndex,
          attemptNumber: 0,
          state: 'CREATED',
          timestamps: { CREATED: Date.now() },
          failure: undefined,
          metrics: undefined,
        };
        subtasks.push(execution);
        this.byKey.set(keyOf(vertex.id, subtaskIndex), execution);
      }
    }
    this.subtasks = subtasks;
    this.statusTimestamps.CREATED = Date.now();
    this.resultPromise = new Promise<JobResult>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    this.resultPromise.catch(() => {}); // callers that never ask for the result
    this.edges = this.jobGraph.vertices.flatMap((vertex) =>
      vertex.outputs.map((edge) => ({
        edgeId: `${edge.source.id}-${edge.target.id}-${edge.inputIndex}`,
        sourceVertexId: edge.source.id,
        targetVertexId: edge.target.id,
        shipStrategy: String(edge.shipStrategy),
      })),
    );
    this.checkpointStats = new CheckpointStatsTracker({
      historySize: Configuration.fromJSON(context.spec.configuration).get(
        CoreOptions.CHECKPOINTS_HISTORY,
      ),
    });
    const restoreFrom = context.restoreFrom;
    if (restoreFrom !== undefined) {
      this.checkpointStats.reportRestored(
        restoreFrom.checkpointId,
        restoreFrom.kind,
        restoreFrom.externalPath,
        Date.now(),
      );
    }
    this.checkpointCoordinator = new CheckpointCoordinator(
      context.checkpointing ?? {
        intervalMs: undefined,
        timeoutMs: 600_000,
        tolerableFailedCheckpoints: Number.MAX_SAFE_INTEGER,
        checkpointsDir: undefined,
        numRetained: 1,
        savepointsDir: undefined,
      },
      {
        jobId: this.jobId,
        jobName: this.jobName,
        jobGraph: this.jobGraph,
        log: context.log,
        stats: this.checkpointStats,
        allTasksRunning: () =>
          this.status === 'RUNNING' && this.subtasks.every((s) => s.state === 'RUNNING'),
        attemptNumber: () => this.attemptNumber,
        triggerSources: (id, timestampMs) => {
          const sourceSlots = new Set(
            this.subtasks.filter((s) => this.isSourceVertex(s.vertexId)).map((s) => s.slotIndex),
          );
          for (const gateway of this.gateways) {
            if (sourceSlots.has(gateway.slotIndex)) gateway.triggerCheckpoint(id, timestampMs);
          }
        },
        notifyComplete: (id) => {
          for (const gateway of this.gateways) gateway.notifyCheckpointComplete(id);
        },
        statsChanged: () => {
          if (!isTerminalJobStatus(this.status)) {
            this.context.metrics.updateJobSnapshot(this.jobMetrics());
          }
        },
        failJob: (error) => this.handleFailure(undefined, serializeError(error)),
      },
      restoreFrom,
    );
  }

  /**
   * Triggers a checkpoint or a savepoint of the running job.
   *
   * @param kind - CHECKPOINT or SAVEPOINT
   * @param targetDirectory - savepoints: parent directory (default `state.savepoints.dir`)
   * @returns resolves with the completed checkpoint, rejects with SLUICE_ERR_CHECKPOINT_FAILED
   * @throws SLUICE_ERR_CHECKPOINT_DECLINED (synchronously) when not every subtask runs
   */
  triggerCheckpoint(kind: SnapshotKind, targetDirectory?: string): Promise<CompletedCheckpoint> {
    return this.checkpointCoordinator.trigger(kind, targetDirectory);
  }

  /**
   * Takes a savepoint, then cancels every task; the job ends FINISHED (Flink's
   * stop-with-savepoint, without draining).
   *
   * @param targetDirectory - parent directory (default `state.savepoints.dir`)
   * @returns resolves with the savepoint once it is written and the job ended
   * @throws SLUICE_ERR_CHECKPOINT_DECLINED (synchronously) when not every subtask runs
   */
  stopWithSavepoint(targetDirectory?: string): Promise<CompletedCheckpoint> {
    const completion = this.checkpointCoordinator.trigger('SAVEPOINT', targetDirectory);
    return completion.then(async (savepoint) => {
      if (this.status === 'RUNNING') {
        this.stopping = true;
        this.checkpointCoordinator.shutdown('the job is stopping with a savepoint');
        this.setStatus('CANCELLING');
        this.cancelAllTasks();
        this.checkAttemptTerminated();
      }
      await this.whenTerminal(); // as Flink's: the operation completes once the job ended
      return savepoint;
    });
  }

  /** Current status. */
  getStatus(): JobStatus {
    return this.status;
  }

  /** Epoch ms at which the job entered each status (latest entry). */
  getStatusTimestamps(): Readonly<Partial<Record<JobStatus, number>>> {
    return this.statusTimestamps;
  }

  /** Attempts restarted so far (Flink's `numRestarts`). */
  getNumRestarts(): number {
    return this.numRestarts;
  }

  /** Current attempt, 0 for the first. */
  getAttemptNumber(): number {
    return this.attemptNumber;
  }

  /** The failure of the latest failed attempt, or `undefined`. */
  getFailure(): JobFailureInfo | undefined {
    return this.failure;
  }

  /** Every failure that ended an attempt, oldest first. */
  getExceptionHistory(): readonly JobFailureInfo[] {
    return this.exceptionHistory;
  }

  /** Latest figures of each worker of the attempt, by slot. */
  getWorkerMetrics(): ReadonlyMap<number, WorkerMetricsSnapshot> {
    return this.workerMetrics;
  }

  /** Settles with the job: resolves on FINISHED, rejects on FAILED or CANCELED. */
  result(): Promise<JobResult> {
    return this.resultPromise;
  }

  /**
   * Calls `listener` after every change of the job's status or of a subtask's state.
   *
   * @param listener - called with no arguments; reads the state it needs
   * @returns unsubscribes the listener
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => {
      this.changeListeners.delete(listener);
    };
  }

  /** Starts the first attempt. */
  start(): void {
    this.context.metrics.updateJobSnapshot(this.jobMetrics());
    this.setStatus('RUNNING');
    this.deployAttempt();
  }

  /**
   * Cancels the job: every subtask is cancelled, the workers terminated.
   *
   * @returns resolves once the job reached a terminal status
   */
  cancel(): Promise<void> {
    const status = this.status;
    if (status === 'RUNNING') {
      this.setStatus('CANCELLING');
      this.cancelAllTasks();
      this.checkAttemptTerminated();
    } else if (status === 'RESTARTING') {
      this.setStatus('CANCELLING');
      if (this.restartTimer !== undefined) {
        clearTimeout(this.restartTimer);
        this.restartTimer = undefined;
        this.finishJob('CANCELED');
      }
    } else if (status === 'CREATED') {
      this.setStatus('CANCELLING');
      this.finishJob('CANCELED');
    }
    return this.whenTerminal();
  }

  /** Resolves when the job reached FINISHED, FAILED or CANCELED (never rejects). */
  whenTerminal(): Promise<void> {
    if (isTerminalJobStatus(this.status)) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onChange(() => {
        if (!isTerminalJobStatus(this.status)) return;
        off();
        resolve();
      });
    });
  }

  // ---- TaskExecutorGatewayListener ----

  onMessage(gateway: TaskExecutorGateway, message: FromTaskExecutorMessage): void {
    if (message.type === 'log') {
      // Also from a worker of an earlier attempt: its last lines say why it ended.
      writeForeignLogLines(this.context.log, message.lines);
      return;
    }
    if (!this.gateways.includes(gateway)) return;
    switch (message.type) {
      case 'task-state':
        this.onTaskState(message);
        break;
      case 'metrics':
        this.workerMetrics.set(gateway.slotIndex, message.worker);
        this.context.metrics.updateWorkerSnapshot(message.worker);
        for (const snapshot of message.tasks) this.storeMetrics(snapshot);
        break;
      case 'acknowledge-checkpoint':
        this.checkpointCoordinator.receiveAcknowledge(
          message.attemptNumber,
          message.checkpointId,
          message.state,
          message,
        );
        break;
      case 'decline-checkpoint':
        this.checkpointCoordinator.receiveDecline(
          message.attemptNumber,
          message.checkpointId,
          `${message.error.code}: ${message.error.message} (vertex ${message.vertexId}, subtask ${message.subtaskIndex})`,
        );
        break;
      case 'operator-event': {
        const node = this.jobGraph.streamGraph.getStreamNode(message.nodeId);
        node.sink?.handleOperatorEvent?.(message.subtaskIndex, message.event);
        break;
      }
    }
  }

  onWorkerError(gateway: TaskExecutorGateway, error: unknown): void {
    this.failSlot(gateway, error, undefined);
  }

  onWorkerExit(gateway: TaskExecutorGateway, exitCode: number): void {
    if (this.gateways.includes(gateway)) this.network?.markSlotGone(gateway.slotIndex);
    this.failSlot(gateway, undefined, exitCode);
  }

  // ---- attempts ----

  private deployAttempt(): void {
    const attemptNumber = this.attemptNumber;
    const now = Date.now();
    for (const subtask of this.subtasks) {
      subtask.attemptNumber = attemptNumber;
      subtask.state = 'CREATED';
      subtask.timestamps = { CREATED: now };
      subtask.failure = undefined;
      subtask.metrics = undefined;
    }
    this.workerMetrics.clear();
    this.attemptActive = true;
    const spec = this.context.spec;
    const fingerprint = this.jobGraph.fingerprint();
    try {
      const restore = this.restoreAssignment();
      const from = this.checkpointCoordinator.getLatestCompleted();
      if (from !== undefined && attemptNumber > 0) {
        // A failover restore counts too (Flink's `counts.restored`, `latest.restored`);
        // the restore of the first attempt was reported when the job was created.
        this.checkpointStats.reportRestored(
          from.checkpointId,
          from.kind,
          from.externalPath,
          Date.now(),
        );
      }
      if (from !== undefined) {
        this.context.log.info(
          {
            attemptNumber,
            checkpointId: from.checkpointId,
            kind: from.kind,
            path: from.externalPath,
          },
          `job "${this.jobName}" restored from ${from.kind === 'SAVEPOINT' ? 'savepoint' : 'checkpoint'} ${from.checkpointId} (${from.externalPath})`,
        );
      }
      this.network = this.context.createAttemptNetwork?.(attemptNumber);
      for (const slot of this.plan.slots) {
        const gateway = this.context.startWorker(slot.slotIndex, this);
        this.gateways.push(gateway);
        gateway.deploy({
          type: 'deploy',
          jobId: this.jobId,
          jobName: this.jobName,
          attemptNumber,
          slotIndex: slot.slotIndex,
          job: spec,
          fingerprint,
          subtasks: slot.subtasks.map((s) => ({
            vertexId: s.vertex.id,
            subtaskIndex: s.subtaskIndex,
          })),
          taskOptions: this.context.taskOptions,
          metricsIntervalMs: this.context.metricsIntervalMs,
          memoryManager: this.context.memoryManager.getHandle(),
          networkBufferPool: this.context.networkBufferPool.getHandle(),
          network: this.network?.deploymentFor(slot.slotIndex),
          restore: restore?.(slot.subtasks),
        });
        for (const s of slot.subtasks) {
          this.transition(this.byKey.get(keyOf(s.vertex.id, s.subtaskIndex))!, 'DEPLOYING', now);
        }
      }
    } catch (error) {
      this.handleFailure(undefined, serializeError(error));
      for (const subtask of this.subtasks) {
        if (!isTerminalExecutionState(subtask.state)) this.transition(subtask, 'CANCELED');
      }
      this.checkAttemptTerminated();
    }
  }

  private onTaskState(message: TaskStateMessage): void {
    const subtask = this.byKey.get(keyOf(message.vertexId, message.subtaskIndex));
    if (subtask === undefined || message.attemptNumber !== this.attemptNumber) return;
    let state = message.state;
    // A subtask that finished before it saw the cancel counts as cancelled (Flink does so).
    if (subtask.state === 'CANCELING' && state === 'FINISHED') state = 'CANCELED';
    if (!isValidTransition(subtask.state, state)) return;
    if (message.metrics !== undefined) this.storeMetrics(message.metrics);
    this.transition(subtask, state, message.timestampMs);
    if (state === 'RUNNING' && this.subtasks.every((s) => s.state === 'RUNNING')) {
      this.checkpointCoordinator.startCheckpointScheduler();
    }
    if (state === 'FAILED') {
      subtask.failure = message.error;
      this.handleFailure(subtask, message.error ?? serializeError(new Error('task failed')));
    } else if (state === 'CANCELED' && this.status === 'RUNNING') {
      this.handleFailure(
        subtask,
        serializeError(new Error(`subtask ${describeSubtask(subtask)} was cancelled unexpectedly`)),
      );
    }
    this.checkAttemptTerminated();
  }

  /** A worker crashed or exited on its own: its unfinished subtasks failed. */
  private failSlot(
    gateway: TaskExecutorGateway,
    error: unknown,
    exitCode: number | undefined,
  ): void {
    if (!this.gateways.includes(gateway)) return;
    const open = this.subtasks.filter(
      (s) => s.slotIndex === gateway.slotIndex && !isTerminalExecutionState(s.state),
    );
    if (open.length === 0) return;
    const names = open.map(describeSubtask).join(', ');
    const failure = new WorkerDiedError(
      exitCode === undefined
        ? `worker of slot ${gateway.slotIndex} (thread ${gateway.threadId}) crashed while running ${names}: ${error instanceof Error ? error.message : String(error)}; an error thrown outside the task loop (e.g. in a timer of user code) ends the worker: catch it in the function`
        : `worker of slot ${gateway.slotIndex} (thread ${gateway.threadId}) exited with code ${exitCode} while running ${names}; look for process.exit() or a fatal error in user code`,
      {
        cause: error,
        details: { slotIndex: gateway.slotIndex, threadId: gateway.threadId, exitCode },
      },
    );
    const serialized = serializeError(failure);
    for (const subtask of open) {
      this.transition(subtask, 'FAILED');
      subtask.failure = serialized;
    }
    this.handleFailure(open[0], serialized);
    this.checkAttemptTerminated();
  }

  private handleFailure(subtask: SubtaskExecution | undefined, error: SerializedError): void {
    if (this.status !== 'RUNNING') return; // a consequence of the first failure or a cancel
    const info: JobFailureInfo = {
      code: error.code,
      message: error.message,
      stack: error.stack,
      vertexId: subtask?.vertexId,
      vertexName: subtask?.vertexName,
      subtaskIndex: subtask?.subtaskIndex,
      attemptNumber: this.attemptNumber,
      timestampMs: Date.now(),
      error,
    };
    this.failure = info;
    this.exceptionHistory.push(info);
    this.context.log.warn(
      {
        err: deserializeError(error),
        vertexId: info.vertexId,
        subtaskIndex: info.subtaskIndex,
        attemptNumber: info.attemptNumber,
      },
      `job failed in ${subtask === undefined ? 'deployment' : describeSubtask(subtask)}`,
    );
    this.checkpointCoordinator.abortPending(`the job failed: ${error.message}`);
    const strategy = this.context.restartStrategy;
    strategy.notifyFailure(error);
    const restart = isRecoverable(error.code) && strategy.canRestart();
    this.setStatus(restart ? 'RESTARTING' : 'FAILING');
    this.cancelAllTasks();
  }

  private cancelAllTasks(): void {
    for (const subtask of this.subtasks) {
      if (!isTerminalExecutionState(subtask.state)) this.transition(subtask, 'CANCELING');
    }
    for (const gateway of this.gateways) gateway.cancel();
    if (this.cancelTimer === undefined && this.attemptActive) {
      this.cancelTimer = setTimeout(() => {
        this.cancelTimer = undefined;
        // Subtasks that did not react in time: their workers are terminated below.
        for (const subtask of this.subtasks) {
          if (!isTerminalExecutionState(subtask.state)) this.transition(subtask, 'CANCELED');
        }
        this.checkAttemptTerminated();
      }, this.context.cancelTimeoutMs);
    }
  }

  private checkAttemptTerminated(): void {
    if (!this.attemptActive || this.tearingDown) return;
    for (const subtask of this.subtasks) if (!isTerminalExecutionState(subtask.state)) return;
    this.tearingDown = true;
    void this.teardownAttempt().then(() => {
      this.tearingDown = false;
      this.attemptActive = false;
      this.onAttemptTornDown();
    });
  }

  /** Terminates every worker of the attempt, then releases its network memory. */
  private async teardownAttempt(): Promise<void> {
    if (this.cancelTimer !== undefined) {
      clearTimeout(this.cancelTimer);
      this.cancelTimer = undefined;
    }
    const gateways = this.gateways;
    await Promise.all(gateways.map((gateway) => gateway.terminate()));
    this.gateways = [];
    const network = this.network;
    this.network = undefined;
    try {
      const reclaimed = network?.release() ?? 0;
      if (reclaimed > 0) {
        this.context.log.info(
          { reclaimed, attemptNumber: this.attemptNumber },
          'network segments of terminated workers reclaimed',
        );
      }
    } finally {
      this.releaseManagedMemory();
    }
  }

  /**
   * Releases the managed memory of the attempt's keyed operators: a chain that closed
   * released it already; a terminated or crashed worker did not.
   */
  private releaseManagedMemory(): void {
    const memory = this.context.memoryManager;
    for (const vertex of this.jobGraph.vertices) {
      for (const node of vertex.chainedNodes) {
        if (!node.isKeyed()) continue;
        for (let subtask = 0; subtask < vertex.parallelism; subtask++) {
          memory.release(managedStateOwner(this.jobId, node.id, subtask, this.attemptNumber));
        }
      }
    }
  }

  private onAttemptTornDown(): void {
    switch (this.status) {
      case 'RUNNING':
        this.finishJob('FINISHED');
        break;
      case 'FAILING':
        this.finishJob('FAILED');
        break;
      case 'CANCELLING':
        this.finishJob(this.stopping ? 'FINISHED' : 'CANCELED');
        break;
      case 'RESTARTING':
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          this.numRestarts++;
          this.attemptNumber++;
          this.clearCollectedResults();
          this.context.metrics.updateJobSnapshot(this.jobMetrics());
          this.setStatus('RUNNING');
          this.deployAttempt();
        }, this.context.restartStrategy.getBackoffTimeMs());
        break;
      default:
        break;
    }
  }

  private finishJob(status: 'FINISHED' | 'FAILED' | 'CANCELED'): void {
    this.checkpointCoordinator.shutdown(`the job ended ${status}`);
    if (status === 'FINISHED') {
      const result = this.buildResult();
      this.setStatus(status);
      this.resolveResult(result);
    } else if (status === 'FAILED') {
      this.setStatus(status);
      this.rejectResult(this.failureError());
    } else {
      this.setStatus(status);
      this.rejectResult(
        new JobCanceledError(`job "${this.jobName}" (${this.jobId}) was cancelled`, {
          details: { jobId: this.jobId, numRestarts: this.numRestarts },
        }),
      );
    }
    this.context.metrics.removeJob(this.jobId);
    this.context.onTerminal(this);
  }

  /** The error `result()` rejects with: the reported one, placed in the job. */
  private failureError(): RemoteError {
    const info = this.failure!;
    return deserializeError({
      ...info.error,
      details: {
        ...info.error.details,
        jobId: this.jobId,
        vertexId: info.vertexId,
        vertexName: info.vertexName,
        subtaskIndex: info.subtaskIndex,
        attemptNumber: info.attemptNumber,
        numRestarts: this.numRestarts,
        restartStrategy: this.context.restartStrategy.toString(),
      },
    });
  }

  private buildResult(): JobResult {
    const collected: Record<string, unknown[]> = {};
    const records: unknown[] = [];
    for (const node of this.jobGraph.streamGraph.getStreamNodes()) {
      if (!(node.sink instanceof CollectSink)) continue;
      const name = node.name in collected ? `${node.name} (${node.id})` : node.name;
      const results = node.sink.getResults();
      collected[name] = results;
      for (const record of results) records.push(record);
    }
    const numRecordsIn: Record<string, number> = {};
    const numRecordsOut: Record<string, number> = {};
    for (const subtask of this.subtasks) {
      const m = subtask.metrics;
      numRecordsIn[subtask.vertexId] =
        (numRecordsIn[subtask.vertexId] ?? 0) + (m?.numRecordsIn ?? 0);
      numRecordsOut[subtask.vertexId] =
        (numRecordsOut[subtask.vertexId] ?? 0) + (m?.numRecordsOut ?? 0);
    }
    const running = this.statusTimestamps.RUNNING ?? this.statusTimestamps.CREATED ?? Date.now();
    return {
      jobId: this.jobId,
      jobName: this.jobName,
      state: 'FINISHED',
      netRuntimeMs: Date.now() - running,
      numRestarts: this.numRestarts,
      collected,
      records,
      numRecordsIn,
      numRecordsOut,
    };
  }

  private clearCollectedResults(): void {
    for (const node of this.jobGraph.streamGraph.getStreamNodes()) {
      if (node.sink instanceof CollectSink) node.sink.clear();
    }
  }

  private storeMetrics(snapshot: TaskMetricsSnapshot): void {
    const subtask = this.byKey.get(keyOf(snapshot.vertexId, snapshot.subtaskIndex));
    if (subtask === undefined) return;
    subtask.metrics = snapshot;
    this.context.metrics.updateTaskSnapshot(snapshot);
  }

  private jobMetrics() {
    return {
      jobId: this.jobId,
      jobName: this.jobName,
      ...this.checkpointStats.jobMetrics(),
      numRestarts: this.numRestarts,
      edges: this.edges,
    };
  }

  private isSourceVertex(vertexId: string): boolean {
    return this.jobGraph.getVertex(vertexId)?.isSource() ?? false;
  }

  /**
   * The state each subtask of a slot restores, from the latest completed checkpoint
   * (or the savepoint the job started from); undefined when there is none.
   */
  private restoreAssignment():
    | ((
        subtasks: readonly { vertex: { id: string }; subtaskIndex: number }[],
      ) => Record<string, TaskRestoreState>)
    | undefined {
    const checkpoint = this.checkpointCoordinator.getLatestCompleted();
    if (checkpoint === undefined) return undefined;
    return (subtasks) => {
      const result: Record<string, TaskRestoreState> = {};
      for (const { vertex: ref, subtaskIndex } of subtasks) {
        const vertex = this.jobGraph.getVertex(ref.id)!;
        const operators = vertex.chainedNodes.map((node) => ({
          operatorId: operatorIdOf(node),
          maxParallelism: node.maxParallelism,
        }));
        result[restoreKey(vertex.id, subtaskIndex)] = assignStateForSubtask(
          checkpoint,
          operators,
          vertex.parallelism,
          subtaskIndex,
        );
      }
      return result;
    };
  }

  private transition(
    subtask: SubtaskExecution,
    state: ExecutionState,
    timestampMs = Date.now(),
  ): void {
    subtask.state = state;
    subtask.timestamps[state] = timestampMs;
    this.notifyChange();
  }

  private setStatus(status: JobStatus): void {
    if (this.status === status) return;
    this.context.log.info(
      { attemptNumber: this.attemptNumber, numRestarts: this.numRestarts },
      `job "${this.jobName}" switched from ${this.status} to ${status}`,
    );
    this.status = status;
    this.statusTimestamps[status] = Date.now();
    this.notifyChange();
  }

  private notifyChange(): void {
    for (const listener of [...this.changeListeners]) listener();
  }
}

/**
 * The managed-memory owner of a keyed operator's state: the key `OperatorChain` gives
 * its `ManagedKeyedStateBackend` (keep the two in step).
 */
export function managedStateOwner(
  jobId: string,
  nodeId: number,
  subtaskIndex: number,
  attemptNumber: number,
): string {
  return `${jobId.slice(0, 16)}/${nodeId}/${subtaskIndex}/${attemptNumber}/state`;
}

function keyOf(vertexId: string, subtaskIndex: number): string {
  return `${vertexId}#${subtaskIndex}`;
}

function describeSubtask(subtask: SubtaskExecution): string {
  return `"${subtask.vertexName}" (subtask ${subtask.subtaskIndex})`;
}
