/**
 * Graceful shutdown on SIGTERM/SIGINT: stop every running job with a savepoint
 * within `shutdown.grace-period`, cancel the jobs that did not make it, then let
 * the caller close the server and exit.
 *
 * ```
 * SIGTERM ─► stopWithSavepoint(job, triggerId "shutdown-…") for every RUNNING job
 *         ─► poll savepointStatus every pollIntervalMs until COMPLETED or the deadline
 *         ─► failed / timed out: cancelJob (no savepoint), reported as
 *            SLUICE_ERR_CLI_SHUTDOWN_TIMEOUT
 *         ─► refused with SLUICE_ERR_CHECKPOINT_DECLINED while subtasks still deploy:
 *            retried every pollIntervalMs until the deadline; for good (no savepoint
 *            directory: neither state.savepoints.dir nor state.checkpoints.dir set):
 *            cancelJob, reported as `failed`
 *         ─► refused with SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED (a Dispatcher without
 *            checkpoints): cancelJob at once, logged and reported as `cancelled`
 * ```
 *
 * The grace period should end before Kubernetes' `terminationGracePeriodSeconds`
 * (default 30 s) sends SIGKILL: hence the 25 s default.
 *
 * @remarks Main thread; runs once per process.
 * @module
 */
import type { Logger } from 'pino';
import { option } from '../config/config-option.ts';
import { registerOptions } from '../config/options.ts';
import { serializeError } from '../errors.ts';
import type { Dispatcher } from '../server/job-controller.ts';
import { ShutdownTimeoutError } from './cli-errors.ts';

/** Configuration keys of shutdown (registered on import). */
export const ShutdownOptions = {
  GRACE_PERIOD: option.duration(
    'shutdown.grace-period',
    25_000,
    'On SIGTERM/SIGINT, time allowed for stopping jobs with a savepoint before they are cancelled (ms).',
    { min: 0 },
  ),
} as const;
registerOptions(ShutdownOptions);

/** Options of {@link stopJobsForShutdown}. */
export interface GracefulShutdownOptions {
  /** Time allowed for all savepoints (ms). */
  gracePeriodMs: number;
  /**
   * Interval between status polls (ms).
   * @defaultValue 200
   */
  pollIntervalMs?: number;
  /** Where progress is logged. */
  log?: Logger | undefined;
}

/** What happened to each running job. */
export interface ShutdownReport {
  /** Jobs stopped with a savepoint, and where the savepoint is. */
  savepoints: { jobId: string; location: string }[];
  /** Jobs cancelled without a savepoint, and why. */
  failed: { jobId: string; code: string; message: string }[];
  /**
   * Jobs cancelled without a savepoint because this build cannot take one
   * (SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED): expected, so not a failure.
   */
  cancelled: { jobId: string; code: string; message: string }[];
}

/** The code with which a Dispatcher refuses savepoints it cannot take. */
const NOT_SUPPORTED = 'SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED';
/** Refused for now (not every subtask runs yet), or for good (no savepoint directory). */
const DECLINED = 'SLUICE_ERR_CHECKPOINT_DECLINED';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stopOne(
  dispatcher: Dispatcher,
  jobId: string,
  deadline: number,
  pollIntervalMs: number,
): Promise<{ location: string }> {
  let triggerId: string;
  for (;;) {
    try {
      ({ triggerId } = await dispatcher.stopWithSavepoint(jobId, {
        drain: false,
        triggerId: `shutdown-${jobId}`.slice(0, 64),
      }));
      break;
    } catch (error) {
      // Subtasks still deploying (a SIGTERM right after the start): retry until they run.
      const e = serializeError(error);
      const left = deadline - Date.now();
      if (e.code !== DECLINED || e.details?.key !== undefined || left <= 0) throw error;
      await sleep(Math.min(pollIntervalMs, left));
    }
  }
  for (;;) {
    const status = await dispatcher.savepointStatus(jobId, triggerId);
    if (status.status.id === 'COMPLETED') {
      const failure = status.operation?.['failure-cause'];
      if (failure !== undefined || status.operation?.location === undefined) {
        throw new ShutdownTimeoutError(
          `stop-with-savepoint of job ${jobId} failed during shutdown: ${failure?.message ?? 'no location'}`,
          { details: { jobId, cause: failure } },
        );
      }
      return { location: status.operation.location };
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new ShutdownTimeoutError(
        `stop-with-savepoint of job ${jobId} did not complete within shutdown.grace-period; cancelling it without a savepoint (raise shutdown.grace-period and the pod's terminationGracePeriodSeconds)`,
        { details: { jobId, triggerId } },
      );
    }
    await sleep(Math.min(pollIntervalMs, left));
  }
}

/**
 * Stops every running job with a savepoint, cancelling those that fail or time out.
 * Never throws: failures are in the report.
 *
 * @param dispatcher - the jobs to stop
 * @param options - grace period, poll interval, logger
 * @returns which jobs have a savepoint and which were cancelled without one
 */
export async function stopJobsForShutdown(
  dispatcher: Dispatcher,
  options: GracefulShutdownOptions,
): Promise<ShutdownReport> {
  const deadline = Date.now() + options.gracePeriodMs;
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const report: ShutdownReport = { savepoints: [], failed: [], cancelled: [] };
  let running: string[];
  try {
    running = (await dispatcher.listJobs()).filter((j) => j.state === 'RUNNING').map((j) => j.jid);
  } catch (error) {
    const e = serializeError(error);
    options.log?.error({ err: error }, 'shutdown: cannot list jobs');
    report.failed.push({ jobId: '*', code: e.code, message: e.message });
    return report;
  }
  options.log?.info(
    { jobs: running, gracePeriodMs: options.gracePeriodMs },
    'shutdown: stopping jobs with a savepoint',
  );
  await Promise.all(
    running.map(async (jobId) => {
      try {
        const { location } = await stopOne(dispatcher, jobId, deadline, pollIntervalMs);
        report.savepoints.push({ jobId, location });
        options.log?.info({ jobId, location }, 'shutdown: job stopped with a savepoint');
      } catch (error) {
        const e = serializeError(error);
        if (e.code === NOT_SUPPORTED) {
          report.cancelled.push({ jobId, code: e.code, message: e.message });
          options.log?.warn(
            { jobId, code: e.code },
            'shutdown: savepoints are not supported by this build (no checkpoint coordinator yet); cancelling the job without a savepoint',
          );
        } else {
          report.failed.push({ jobId, code: e.code, message: e.message });
          options.log?.error(
            { jobId, code: e.code, err: error },
            'shutdown: job stopped without a savepoint',
          );
        }
        try {
          await dispatcher.cancelJob(jobId);
        } catch {
          // Already stopped or gone: nothing more to do.
        }
      }
    }),
  );
  return report;
}
