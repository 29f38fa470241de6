/**
 * Triggers checkpoints and savepoints of one job, collects the subtasks'
 * acknowledgements, writes completed checkpoints to storage and only then tells the
 * tasks (which commit Kafka offsets); keeps the latest completed checkpoint for
 * recovery (Flink's `CheckpointCoordinator` with `PendingCheckpoint`).
 *
 * ```
 *  every execution.checkpointing.interval (one at a time; all subtasks RUNNING):
 *    id n ─► trigger-checkpoint(n) to the slots of source subtasks
 *            sources snapshot their offsets, emit barrier n ─► … aligned at each task
 *    ◄─ acknowledge(n, state) from every subtask          ◄─ decline(n, error): n fails
 *    all acknowledged ─► storage.writeCheckpoint (chk-n, write then rename, retention)
 *                     ─► latest completed = n ─► notify-checkpoint-complete(n) to every slot
 *  not complete after execution.checkpointing.timeout ─► expired: n fails
 *  failed checkpoints in a row > tolerable-failed-checkpoints ─► the job fails
 * ```
 *
 * Savepoints run the same way, written to their own directory, and never become the
 * recovery point of a restart (as in Flink, they are the user's). Checkpoint ids grow
 * over the job's life, across restarts and restores.
 *
 * @remarks Main thread; one per job (`JobMaster`). Timers are unref'd.
 * @module
 */
import type { Logger } from 'pino';
import { SluiceError, serializeError } from '../../errors.ts';
import type { JobGraph } from '../../graph/job-graph.ts';
import type { CheckpointStatsTracker } from './checkpoint-stats-tracker.ts';
import {
  type CompletedCheckpoint,
  type OperatorState,
  type OperatorSubtaskState,
  operatorIdOf,
  type SnapshotKind,
  type SubtaskStateSnapshot,
} from './checkpoint-types.ts';
import { FsCheckpointStorage } from './fs-checkpoint-storage.ts';

/** A checkpoint could not be taken or completed (declined, expired, aborted). */
export class CheckpointFailedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CHECKPOINT_FAILED';
}

/** A checkpoint or savepoint was requested while the job cannot take one (409). */
export class CheckpointDeclinedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CHECKPOINT_DECLINED';
}

/** More checkpoints failed in a row than `execution.checkpointing.tolerable-failed-checkpoints`. */
export class TolerableCheckpointFailuresExceededError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CHECKPOINT_TOLERABLE_FAILURES_EXCEEDED';
}

/** Checkpointing settings of a job (Flink's keys). */
export interface CheckpointCoordinatorOptions {
  /** `execution.checkpointing.interval` (ms); undefined: no periodic checkpoints. */
  intervalMs: number | undefined;
  /** `execution.checkpointing.timeout` (ms). */
  timeoutMs: number;
  /** `execution.checkpointing.tolerable-failed-checkpoints`. */
  tolerableFailedCheckpoints: number;
  /** `state.checkpoints.dir`; undefined: checkpoints are kept in memory only. */
  checkpointsDir: string | undefined;
  /** `state.checkpoints.num-retained`. */
  numRetained: number;
  /** `state.savepoints.dir` (default target of savepoints). */
  savepointsDir: string | undefined;
}

/** What the coordinator needs from its job. */
export interface CheckpointCoordinatorContext {
  readonly jobId: string;
  readonly jobName: string;
  readonly jobGraph: JobGraph;
  readonly log: Logger;
  readonly stats: CheckpointStatsTracker;
  /** Whether every subtask of the current attempt is RUNNING. */
  allTasksRunning(): boolean;
  /** Current attempt number (acks of other attempts are ignored). */
  attemptNumber(): number;
  /** Sends the trigger to every slot that runs a source subtask. */
  triggerSources(checkpointId: number, timestampMs: number): void;
  /** Tells every slot that checkpoint `checkpointId` completed. */
  notifyComplete(checkpointId: number): void;
  /** Fails the job (too many failed checkpoints). */
  failJob(error: Error): void;
  /** The statistics changed (a checkpoint started, completed or failed): republish the job metrics. */
  statsChanged(): void;
}

interface PendingCheckpoint {
  readonly checkpointId: number;
  readonly kind: SnapshotKind;
  readonly targetDirectory: string | undefined;
  readonly triggerTimestampMs: number;
  readonly attemptNumber: number;
  readonly acks: Map<string, SubtaskStateSnapshot>;
  readonly expected: Set<string>;
  stateSizeBytes: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(checkpoint: CompletedCheckpoint): void;
  reject(error: Error): void;
}

const keyOf = (vertexId: string, subtaskIndex: number): string => `${vertexId}#${subtaskIndex}`;

/** See the module documentation. */
export class CheckpointCoordinator {
  readonly options: Readonly<CheckpointCoordinatorOptions>;
  private readonly context: CheckpointCoordinatorContext;
  private readonly storage: FsCheckpointStorage | undefined;
  private readonly pending = new Map<number, PendingCheckpoint>();
  private nextCheckpointId = 1;
  private latestCompleted: CompletedCheckpoint | undefined;
  private consecutiveFailures = 0;
  private periodicTimer: ReturnType<typeof setInterval> | undefined;
  private shutDown = false;

  /**
   * @param options - interval, timeout, tolerance, storage directories
   * @param context - the job
   * @param restoredFrom - the checkpoint or savepoint the job started from (ids continue after it)
   */
  constructor(
    options: CheckpointCoordinatorOptions,
    context: CheckpointCoordinatorContext,
    restoredFrom?: CompletedCheckpoint,
  ) {
    this.options = Object.freeze({ ...options });
    this.context = context;
    this.storage =
      options.checkpointsDir === undefined
        ? undefined
        : new FsCheckpointStorage(
            {
              checkpointsDir: options.checkpointsDir,
              jobId: context.jobId,
              numRetained: options.numRetained,
              savepointsDir: options.savepointsDir,
            },
            context.log,
          );
    if (restoredFrom !== undefined) {
      this.nextCheckpointId = restoredFrom.checkpointId + 1;
      this.latestCompleted = restoredFrom;
    }
  }

  /** The checkpoint a restart restores: the latest completed (or the one the job started from). */
  getLatestCompleted(): CompletedCheckpoint | undefined {
    return this.latestCompleted;
  }

  /** Number of checkpoints in progress. */
  get numPending(): number {
    return this.pending.size;
  }

  /** Starts the periodic trigger (no-op without an interval). */
  startCheckpointScheduler(): void {
    const interval = this.options.intervalMs;
    if (interval === undefined || this.periodicTimer !== undefined || this.shutDown) return;
    this.periodicTimer = setInterval(() => this.triggerPeriodic(), interval);
    this.periodicTimer.unref?.();
  }

  /**
   * Triggers a checkpoint or savepoint now.
   *
   * @param kind - CHECKPOINT or SAVEPOINT
   * @param targetDirectory - savepoints: parent directory (default `state.savepoints.dir`)
   * @returns resolves with the completed checkpoint (written), rejects when it fails
   * @throws SLUICE_ERR_CHECKPOINT_DECLINED (synchronously) when not every task runs
   * @throws SLUICE_ERR_CONFIG_INVALID (synchronously) for a savepoint without a directory
   */
  trigger(kind: SnapshotKind, targetDirectory?: string): Promise<CompletedCheckpoint> {
    if (this.shutDown || !this.context.allTasksRunning()) {
      throw new CheckpointDeclinedError(
        `cannot take a ${kind.toLowerCase()} of job ${this.context.jobId} ("${this.context.jobName}") now: not every subtask is RUNNING (the job is starting, restarting, finishing or ended); retry once GET /jobs/${this.context.jobId} shows every vertex RUNNING`,
        { details: { jobId: this.context.jobId, kind } },
      );
    }
    if (kind === 'SAVEPOINT' && (targetDirectory ?? this.options.savepointsDir) === undefined) {
      throw new CheckpointDeclinedError(
        `savepoint of job ${this.context.jobId}: no target directory given and state.savepoints.dir is not set; pass a target directory or set state.savepoints.dir`,
        { details: { jobId: this.context.jobId, key: 'state.savepoints.dir' } },
      );
    }
    const checkpointId = this.nextCheckpointId++;
    const now = Date.now();
    const expected = new Set<string>();
    for (const vertex of this.context.jobGraph.vertices) {
      for (let i = 0; i < vertex.parallelism; i++) expected.add(keyOf(vertex.id, i));
    }
    let resolve!: (checkpoint: CompletedCheckpoint) => void;
    let reject!: (error: Error) => void;
    const completion = new Promise<CompletedCheckpoint>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const pending: PendingCheckpoint = {
      checkpointId,
      kind,
      targetDirectory,
      triggerTimestampMs: now,
      attemptNumber: this.context.attemptNumber(),
      acks: new Map(),
      expected,
      stateSizeBytes: 0,
      timer: undefined,
      resolve,
      reject,
    };
    pending.timer = setTimeout(
      () =>
        this.failPending(
          pending,
          `expired: not every subtask acknowledged within execution.checkpointing.timeout (${this.options.timeoutMs} ms; ${pending.acks.size} of ${expected.size} did); a backpressured job delays barriers — raise the timeout or remove the bottleneck`,
        ),
      this.options.timeoutMs,
    );
    pending.timer.unref?.();
    this.pending.set(checkpointId, pending);
    this.context.stats.reportPending(checkpointId, kind, now, expected.size);
    this.context.statsChanged();
    this.context.triggerSources(checkpointId, now);
    return completion;
  }

  /**
   * A subtask acknowledged.
   *
   * @param attemptNumber - attempt of the sender
   * @param checkpointId - the checkpoint
   * @param state - its state
   * @param figures - size and durations for the statistics
   */
  receiveAcknowledge(
    attemptNumber: number,
    checkpointId: number,
    state: SubtaskStateSnapshot,
    figures: { stateSizeBytes: number; alignmentDurationMs: number },
  ): void {
    const pending = this.pending.get(checkpointId);
    if (pending === undefined || pending.attemptNumber !== attemptNumber) return;
    const key = keyOf(state.vertexId, state.subtaskIndex);
    if (!pending.expected.has(key) || pending.acks.has(key)) return;
    pending.acks.set(key, state);
    pending.stateSizeBytes += figures.stateSizeBytes;
    this.context.stats.reportAck(checkpointId, {
      stateSizeBytes: figures.stateSizeBytes,
      alignmentDurationMs: figures.alignmentDurationMs,
      ackTimestampMs: Date.now(),
    });
    if (pending.acks.size === pending.expected.size) void this.complete(pending);
  }

  /**
   * A subtask declined: the checkpoint fails.
   *
   * @param attemptNumber - attempt of the sender
   * @param checkpointId - the checkpoint
   * @param reason - what the task reported
   */
  receiveDecline(attemptNumber: number, checkpointId: number, reason: string): void {
    const pending = this.pending.get(checkpointId);
    if (pending === undefined || pending.attemptNumber !== attemptNumber) return;
    this.failPending(pending, `declined by a task: ${reason}`);
  }

  /**
   * Fails every checkpoint in progress (a task failed, the job restarts or ends); these
   * failures are not counted against the tolerance (Flink does not count them either).
   *
   * @param reason - why
   */
  abortPending(reason: string): void {
    for (const pending of [...this.pending.values()]) this.failPending(pending, reason, false);
  }

  /** Stops the scheduler and aborts what is in progress. Idempotent. */
  shutdown(reason = 'the job ended'): void {
    this.shutDown = true;
    if (this.periodicTimer !== undefined) clearInterval(this.periodicTimer);
    this.periodicTimer = undefined;
    this.abortPending(reason);
  }

  private triggerPeriodic(): void {
    // One checkpoint at a time (Flink's default max-concurrent-checkpoints = 1).
    for (const pending of this.pending.values()) if (pending.kind === 'CHECKPOINT') return;
    if (!this.context.allTasksRunning()) return;
    this.trigger('CHECKPOINT').catch(() => {
      // Counted and logged in failPending.
    });
  }

  private async complete(pending: PendingCheckpoint): Promise<void> {
    const { checkpointId, kind } = pending;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.timer = undefined;
    const snapshot: Omit<CompletedCheckpoint, 'externalPath'> = {
      checkpointId,
      jobId: this.context.jobId,
      jobName: this.context.jobName,
      kind,
      triggerTimestampMs: pending.triggerTimestampMs,
      completionTimestampMs: Date.now(),
      operators: this.collectOperators(pending),
      stateSizeBytes: pending.stateSizeBytes,
    };
    let completed: CompletedCheckpoint;
    try {
      if (kind === 'SAVEPOINT') {
        const target = pending.targetDirectory ?? this.options.savepointsDir!;
        const storage =
          this.storage ??
          new FsCheckpointStorage({ checkpointsDir: target, jobId: this.context.jobId });
        completed = await storage.writeSavepoint(snapshot, target);
      } else if (this.storage !== undefined) {
        completed = await this.storage.writeCheckpoint(snapshot);
      } else {
        completed = { ...snapshot, externalPath: '<jobmanager memory>' };
      }
    } catch (error) {
      this.failPending(
        pending,
        `could not be written: ${error instanceof Error ? error.message : String(error)}`,
        true,
        error,
      );
      return;
    }
    if (this.pending.get(checkpointId) !== pending) return; // aborted while writing
    this.pending.delete(checkpointId);
    this.consecutiveFailures = 0;
    if (kind === 'CHECKPOINT') this.latestCompleted = completed;
    // Older checkpoints still in progress can no longer matter.
    for (const older of [...this.pending.values()]) {
      if (older.checkpointId < checkpointId && older.kind === 'CHECKPOINT') {
        this.failPending(older, `subsumed by checkpoint ${checkpointId}`, false);
      }
    }
    this.context.stats.reportCompleted(
      checkpointId,
      completed.externalPath,
      completed.stateSizeBytes,
      completed.completionTimestampMs,
    );
    this.context.log.info(
      {
        checkpointId,
        kind,
        path: completed.externalPath,
        stateSizeBytes: completed.stateSizeBytes,
        durationMs: completed.completionTimestampMs - completed.triggerTimestampMs,
      },
      `completed ${kind === 'SAVEPOINT' ? 'savepoint' : 'checkpoint'} ${checkpointId} of job ${this.context.jobId}`,
    );
    this.context.statsChanged();
    this.context.notifyComplete(checkpointId);
    pending.resolve(completed);
  }

  private collectOperators(pending: PendingCheckpoint): Record<string, OperatorState> {
    const operators: Record<string, OperatorState> = {};
    for (const vertex of this.context.jobGraph.vertices) {
      for (const node of vertex.chainedNodes) {
        const id = operatorIdOf(node);
        const subtasks: OperatorSubtaskState[] = [];
        let any = false;
        for (let i = 0; i < vertex.parallelism; i++) {
          const state = pending.acks.get(keyOf(vertex.id, i))?.operators[id];
          if (state !== undefined) any = true;
          subtasks.push(state ?? {});
        }
        if (any) {
          operators[id] = {
            parallelism: vertex.parallelism,
            maxParallelism: node.maxParallelism,
            subtasks,
          };
        }
      }
    }
    return operators;
  }

  private failPending(
    pending: PendingCheckpoint,
    reason: string,
    counted = true,
    cause?: unknown,
  ): void {
    if (this.pending.get(pending.checkpointId) !== pending) return;
    this.pending.delete(pending.checkpointId);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    const what = pending.kind === 'SAVEPOINT' ? 'savepoint' : 'checkpoint';
    const error = new CheckpointFailedError(
      `${what} ${pending.checkpointId} of job ${this.context.jobId} failed: ${reason}`,
      {
        cause,
        details: {
          jobId: this.context.jobId,
          checkpointId: pending.checkpointId,
          kind: pending.kind,
        },
      },
    );
    this.context.stats.reportFailed(pending.checkpointId, Date.now(), error.message);
    this.context.statsChanged();
    this.context.log.warn(
      { checkpointId: pending.checkpointId, kind: pending.kind, err: serializeError(error) },
      error.message,
    );
    pending.reject(error);
    if (!counted || pending.kind === 'SAVEPOINT') return;
    this.consecutiveFailures++;
    if (this.consecutiveFailures > this.options.tolerableFailedCheckpoints) {
      this.context.failJob(
        new TolerableCheckpointFailuresExceededError(
          `${this.consecutiveFailures} checkpoints of job ${this.context.jobId} failed in a row, more than execution.checkpointing.tolerable-failed-checkpoints = ${this.options.tolerableFailedCheckpoints}; last: ${reason}`,
          { cause: error, details: { consecutiveFailures: this.consecutiveFailures } },
        ),
      );
    }
  }
}
