/**
 * The seam between the Dispatcher and checkpointing: savepoints, stop-with-savepoint,
 * checkpoints triggered on demand and their statistics, for one job (the part of
 * Flink's `JobMasterGateway` / `SchedulerNG` that reaches the `CheckpointCoordinator`).
 *
 * ```
 *  REST / CLI ─► MiniClusterDispatcher ─► CompletedOperationCache (trigger ids, polling)
 *                  │ job exists, RUNNING?        ▲ completion
 *                  └────────► JobCheckpointOperations.triggerSavepoint(job, …)
 *                               ├ UnsupportedJobCheckpointOperations (this build):
 *                               │   refuses at once: SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED
 *                               └ the CheckpointCoordinator's (to come)
 * ```
 *
 * Contract: each trigger method either **refuses** — throws synchronously, nothing is
 * started, the REST call answers with the error's status (501, 409, …) — or **starts**
 * the operation and returns `{ completion }`, a promise of its outcome (a savepoint's
 * location, a checkpoint's id). A rejected completion is reported as the operation's
 * `failure-cause` when the client polls, not as an HTTP error. The Dispatcher has
 * already checked that the job exists and is RUNNING, and it owns trigger ids
 * (idempotent retries) and polling; implementations only do the work.
 *
 * @remarks Main thread. The Dispatcher calls these; implementations may keep per-job
 * state keyed by `job.jobId`.
 * @module
 */
import { SluiceError } from '../errors.ts';
import type { CheckpointingStatistics } from '../server/schemas/checkpoints.ts';
import type { JobClient } from './job-client.ts';

/**
 * A savepoint, checkpoint or restore was requested but this build cannot take one
 * (HTTP 501). Thrown only by {@link UnsupportedJobCheckpointOperations}.
 */
export class CheckpointNotSupportedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED';
}

/** A savepoint request, as the Dispatcher passes it on. */
export interface SavepointRequest {
  /** Directory of the savepoint; `state.savepoints.dir` when absent. */
  targetDirectory: string | undefined;
  /** `CANONICAL` (portable) or `NATIVE`. */
  formatType: 'CANONICAL' | 'NATIVE';
  /** Cancel the job once the savepoint completed. */
  cancelJob: boolean;
}

/** A stop-with-savepoint request. */
export interface StopWithSavepointOptions {
  /** Directory of the savepoint; `state.savepoints.dir` when absent. */
  targetDirectory: string | undefined;
  /** `CANONICAL` (portable) or `NATIVE`. */
  formatType: 'CANONICAL' | 'NATIVE';
  /** Emit `MAX_WATERMARK` first so that every event-time timer fires. */
  drain: boolean;
}

/** A checkpoint triggered on demand. */
export interface CheckpointRequest {
  /** `CONFIGURED`, `FULL` or `INCREMENTAL`. */
  checkpointType: 'CONFIGURED' | 'FULL' | 'INCREMENTAL';
}

/** A started operation: resolves with its result, rejects with why it failed. */
export interface StartedOperation<T> {
  readonly completion: Promise<T>;
}

/** Savepoints and checkpoints of running jobs; see the module documentation. */
export interface JobCheckpointOperations {
  /**
   * Starts a savepoint of a RUNNING job.
   *
   * @param job - the job
   * @param request - directory, format, whether to cancel afterwards
   * @returns the operation; `completion` resolves with the savepoint's location
   * @throws (synchronously) when the request is refused, e.g.
   *   SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED
   */
  triggerSavepoint(job: JobClient, request: SavepointRequest): StartedOperation<string>;

  /**
   * Starts a savepoint after which the job ends FINISHED.
   *
   * @returns the operation; `completion` resolves with the savepoint's location
   * @throws (synchronously) when refused, e.g. SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED
   */
  stopWithSavepoint(job: JobClient, request: StopWithSavepointOptions): StartedOperation<string>;

  /**
   * Starts a checkpoint now.
   *
   * @returns the operation; `completion` resolves with the checkpoint id
   * @throws (synchronously) when refused, e.g. SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED
   */
  triggerCheckpoint(job: JobClient, request: CheckpointRequest): StartedOperation<number>;

  /** Checkpoint statistics of a job (any state). */
  checkpointStats(job: JobClient): CheckpointingStatistics;

  /**
   * Refuses or accepts a submission that restores from a savepoint; called before the
   * job is submitted.
   *
   * @param savepointPath - the savepoint to restore from
   * @throws SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED when restoring is not possible
   */
  checkRestore(savepointPath: string): void;
}

const ZERO_SUMMARY = Object.freeze({
  min: 0,
  max: 0,
  avg: 0,
  p50: 0,
  p90: 0,
  p95: 0,
  p99: 0,
  p999: 0,
});

/**
 * Statistics of a job that took no checkpoint: every count 0, no latest, no history.
 *
 * @returns a fresh object in Flink's `CheckpointingStatistics` shape
 */
export function emptyCheckpointingStatistics(): CheckpointingStatistics {
  return {
    counts: { restored: 0, total: 0, in_progress: 0, completed: 0, failed: 0 },
    summary: {
      state_size: { ...ZERO_SUMMARY },
      checkpointed_size: { ...ZERO_SUMMARY },
      end_to_end_duration: { ...ZERO_SUMMARY },
      alignment_buffered: { ...ZERO_SUMMARY },
    },
    latest: { completed: null, savepoint: null, failed: null, restored: null },
    history: [],
  };
}

/**
 * The operations of a build without a checkpoint coordinator: every trigger is refused
 * with SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED (HTTP 501) naming what to do instead, and
 * the statistics are honestly empty. Replaced by the coordinator's implementation.
 *
 * @remarks Main thread; stateless.
 */
export class UnsupportedJobCheckpointOperations implements JobCheckpointOperations {
  private refuse(what: string, job: JobClient): CheckpointNotSupportedError {
    return new CheckpointNotSupportedError(
      `${what} of job ${job.jobId} ("${job.jobName}") is not supported yet: this build of Sluice has no checkpoint coordinator, so nothing was started and the job keeps running; cancel the job instead (PATCH /jobs/${job.jobId}?mode=cancel or sluice jobs cancel ${job.jobId})`,
      { details: { operation: what, jobId: job.jobId } },
    );
  }

  triggerSavepoint(job: JobClient): StartedOperation<string> {
    throw this.refuse('a savepoint', job);
  }

  stopWithSavepoint(job: JobClient): StartedOperation<string> {
    throw this.refuse('stop-with-savepoint', job);
  }

  triggerCheckpoint(job: JobClient): StartedOperation<number> {
    throw this.refuse('a checkpoint', job);
  }

  checkpointStats(): CheckpointingStatistics {
    return emptyCheckpointingStatistics();
  }

  checkRestore(savepointPath: string): void {
    throw new CheckpointNotSupportedError(
      `restoring from savepoint ${savepointPath} is not supported yet: this build of Sluice has no checkpoint coordinator, so the job was not started; submit it without a savepoint path (it then starts from the beginning of its sources)`,
      { details: { operation: 'restore', savepointPath } },
    );
  }
}

/**
 * The operations backed by each job's `CheckpointCoordinator` (through its
 * `JobClient`): savepoints, stop-with-savepoint and checkpoints start at once and
 * complete when written; statistics are the coordinator's. Restoring from a savepoint
 * is checked when the job is submitted (the path must load).
 *
 * @remarks Main thread; stateless (the state lives in each job's coordinator).
 */
export class CoordinatorJobCheckpointOperations implements JobCheckpointOperations {
  triggerSavepoint(job: JobClient, request: SavepointRequest): StartedOperation<string> {
    const started = job.triggerSavepoint(request.targetDirectory);
    const completion = started.then(async (savepoint) => {
      if (request.cancelJob) await job.cancel();
      return savepoint.externalPath;
    });
    return { completion };
  }

  stopWithSavepoint(job: JobClient, request: StopWithSavepointOptions): StartedOperation<string> {
    if (request.drain) {
      throw new CheckpointNotSupportedError(
        `stop-with-savepoint with drain of job ${job.jobId} is not supported: Sluice does not emit MAX_WATERMARK before the final savepoint; stop without drain (event-time windows resume from the savepoint)`,
        { details: { operation: 'stop-with-savepoint', drain: true, jobId: job.jobId } },
      );
    }
    const completion = job
      .stopWithSavepoint(request.targetDirectory)
      .then((savepoint) => savepoint.externalPath);
    return { completion };
  }

  triggerCheckpoint(job: JobClient): StartedOperation<number> {
    const completion = job.triggerCheckpoint().then((checkpoint) => checkpoint.checkpointId);
    return { completion };
  }

  checkpointStats(job: JobClient): CheckpointingStatistics {
    return job.checkpointStatistics();
  }

  checkRestore(): void {
    // Restores are checked by MiniCluster.submit (the savepoint must load and match).
  }
}
