/**
 * The handle of a submitted job (Flink's `JobClient`): its id, status and plan, its
 * result, cancellation, and live figures. Returned by `MiniCluster.submit`; what tests,
 * the CLI and the REST Dispatcher hold.
 *
 * ```ts
 * const cluster = await MiniCluster.start(configuration);
 * const job = await cluster.submit('jobs/word-count.ts', { args: { text } });
 * console.log(job.plan.text);
 * const { records } = await job.result();      // rejects with the failure, or when cancelled
 * ```
 *
 * Everything is read from the job's `JobMaster` at call time; the objects returned are
 * copies, safe to keep or serialize.
 *
 * @remarks Main thread only.
 * @module
 */
import { type Explanation, JsonPlanGenerator } from '../graph/json-plan-generator.ts';
import type {
  JobMetricsSnapshot,
  TaskMetricsSnapshot,
  WorkerMetricsSnapshot,
} from '../metrics/metric-snapshots.ts';
import type { CheckpointingStatistics } from '../server/schemas/checkpoints.ts';
import type { CompletedCheckpoint } from './checkpoint/checkpoint-types.ts';
import { type ExecutionState, isTerminalJobStatus, type JobStatus } from './execution-state.ts';
import type { JobFailureInfo, JobMaster, JobResult, SubtaskExecution } from './job-master.ts';

/** One subtask of the current attempt (a copy). */
export type SubtaskInfo = Readonly<SubtaskExecution>;

/** The live figures of a job (latest snapshot per subtask and per worker). */
export interface JobMetricsView {
  readonly job: JobMetricsSnapshot;
  /** Latest snapshot of every subtask of the current attempt that reported one. */
  readonly tasks: readonly TaskMetricsSnapshot[];
  /** Latest figures of each worker thread of the current attempt. */
  readonly workers: readonly WorkerMetricsSnapshot[];
}

/** Handle of a submitted job; see the module documentation. */
export class JobClient {
  readonly jobId: string;
  readonly jobName: string;
  /** The execution plan: JSON shaped like Flink's `/jobs/:id/plan`, and its text. */
  readonly plan: Explanation;
  private readonly master: JobMaster;

  /** @param master - the job's master (created by the cluster) */
  constructor(master: JobMaster) {
    this.master = master;
    this.jobId = master.jobId;
    this.jobName = master.jobName;
    this.plan = JsonPlanGenerator.explain(master.plan);
  }

  /** Current status (Flink's `JobStatus`). */
  get status(): JobStatus {
    return this.master.getStatus();
  }

  /** Restarts so far. */
  get numRestarts(): number {
    return this.master.getNumRestarts();
  }

  /** The current attempt, 0 for the first. */
  get attemptNumber(): number {
    return this.master.getAttemptNumber();
  }

  /** Why the latest attempt failed, or `undefined`. */
  get failure(): JobFailureInfo | undefined {
    return this.master.getFailure();
  }

  /** Every failure that ended an attempt, oldest first (Flink's exception history). */
  get exceptionHistory(): readonly JobFailureInfo[] {
    return this.master.getExceptionHistory();
  }

  /** Epoch ms at which the job last entered each status. */
  getStatusTimestamps(): Partial<Record<JobStatus, number>> {
    return { ...this.master.getStatusTimestamps() };
  }

  /** The subtasks of the current attempt, in plan order. */
  getSubtasks(): SubtaskInfo[] {
    return this.master.subtasks.map((s) => ({ ...s, timestamps: { ...s.timestamps } }));
  }

  /**
   * The job's outcome.
   *
   * @returns resolves on FINISHED with the collected records and counts
   * @throws (rejects) the failure on FAILED: the subtask's error code, message and stack,
   *   with `details.vertexId`, `vertexName`, `subtaskIndex`, `attemptNumber`, `numRestarts`
   * @throws (rejects) SLUICE_ERR_RUNTIME_JOB_CANCELED when cancelled
   */
  result(): Promise<JobResult> {
    return this.master.result();
  }

  /**
   * Cancels the job.
   *
   * @returns resolves once the job is terminal (CANCELED, or FINISHED/FAILED if it
   *   ended first) and its workers are gone
   */
  cancel(): Promise<void> {
    return this.master.cancel();
  }

  /** Resolves once the job is FINISHED, FAILED or CANCELED (never rejects). */
  /**
   * Triggers a checkpoint now.
   *
   * @returns resolves with the completed checkpoint (its `externalPath`, `checkpointId`)
   * @throws SLUICE_ERR_CHECKPOINT_DECLINED (synchronously) when not every subtask runs;
   *   the promise rejects with SLUICE_ERR_CHECKPOINT_FAILED when it fails
   */
  triggerCheckpoint(): Promise<CompletedCheckpoint> {
    return this.master.triggerCheckpoint('CHECKPOINT');
  }

  /**
   * Takes a savepoint (the job keeps running).
   *
   * @param targetDirectory - parent directory; `state.savepoints.dir` when absent
   * @returns resolves with the savepoint (its directory in `externalPath`)
   * @throws SLUICE_ERR_CHECKPOINT_DECLINED (synchronously) when not every subtask runs
   *   or no directory is known
   */
  triggerSavepoint(targetDirectory?: string): Promise<CompletedCheckpoint> {
    return this.master.triggerCheckpoint('SAVEPOINT', targetDirectory);
  }

  /**
   * Takes a savepoint and then stops the job (it ends FINISHED).
   *
   * @param targetDirectory - parent directory; `state.savepoints.dir` when absent
   * @returns resolves with the savepoint once it is written and the job ended
   * @throws SLUICE_ERR_CHECKPOINT_DECLINED (synchronously) as {@link triggerSavepoint}
   */
  stopWithSavepoint(targetDirectory?: string): Promise<CompletedCheckpoint> {
    return this.master.stopWithSavepoint(targetDirectory);
  }

  /** Checkpoint statistics in Flink's `CheckpointingStatistics` shape. */
  checkpointStatistics(): CheckpointingStatistics {
    return this.master.checkpointStats.statistics();
  }

  /** The latest completed checkpoint (what a restart restores), or undefined. */
  latestCompletedCheckpoint(): CompletedCheckpoint | undefined {
    return this.master.checkpointCoordinator.getLatestCompleted();
  }

  whenTerminal(): Promise<void> {
    return this.master.whenTerminal();
  }

  /**
   * Resolves once every subtask of the current attempt is in one of `states` (for
   * example all RUNNING), or the job ended.
   *
   * @param states - states that count (default: RUNNING)
   * @returns `true` when the condition was met, `false` when the job ended first
   */
  waitForSubtasks(states: readonly ExecutionState[] = ['RUNNING']): Promise<boolean> {
    const met = (): boolean => this.master.subtasks.every((s) => states.includes(s.state));
    if (met()) return Promise.resolve(true);
    if (isTerminalJobStatus(this.status)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const off = this.master.onChange(() => {
        if (met()) {
          off();
          resolve(true);
        } else if (isTerminalJobStatus(this.status)) {
          off();
          resolve(false);
        }
      });
    });
  }

  /**
   * The latest figures: per subtask (records in/out, busy/idle/back-pressured ms per
   * second, network figures once the exchange reports them) and per worker.
   */
  metricsSnapshot(): JobMetricsView {
    const tasks: TaskMetricsSnapshot[] = [];
    for (const subtask of this.master.subtasks) if (subtask.metrics) tasks.push(subtask.metrics);
    return {
      job: {
        jobId: this.jobId,
        jobName: this.jobName,
        numberOfCompletedCheckpoints: 0,
        numberOfFailedCheckpoints: 0,
        numberOfInProgressCheckpoints: 0,
        numRestarts: this.numRestarts,
      },
      tasks,
      workers: [...this.master.getWorkerMetrics().values()],
    };
  }
}
