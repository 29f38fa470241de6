/**
 * A placeholder {@link Dispatcher} for builds without the job runtime: the server,
 * probes, `/config` and `/metrics` work, the job list is empty, and every operation
 * that would run a job answers `SLUICE_ERR_REST_NOT_IMPLEMENTED` (501).
 *
 * It exists so that `sluice serve` and `sluice run` can start today; the runtime's
 * Dispatcher replaces it. Nothing else should depend on it.
 *
 * @remarks Main thread. Stateless.
 * @module
 */
import type { Dispatcher } from './job-controller.ts';
import { JobNotFoundError, NotImplementedError } from './rest-errors.ts';
import type { CheckpointingStatistics } from './schemas/checkpoints.ts';
import type { ClusterOverview, Readiness } from './schemas/cluster.ts';
import type { BackPressureSample, FlowSample } from './schemas/flow.ts';
import type { JobDetails, JobOverview } from './schemas/jobs.ts';
import type { CheckpointStatus, SavepointStatus } from './schemas/savepoints.ts';
import { SLUICE_VERSION } from './sluice-version.ts';

/** A Dispatcher with no runtime behind it; see the module documentation. */
export class PendingRuntimeDispatcher implements Dispatcher {
  private readonly slots: number;

  /** @param slots - task slots to report in `/overview` (`taskmanager.numberOfTaskSlots`) */
  constructor(slots: number) {
    this.slots = slots;
  }

  private notImplemented(what: string): NotImplementedError {
    return new NotImplementedError(
      `${what} needs the job runtime, which this build of Sluice does not have yet; the REST API, /metrics and the probes work without it`,
      { details: { operation: what } },
    );
  }

  async overview(): Promise<ClusterOverview> {
    return {
      taskmanagers: 1,
      'slots-total': this.slots,
      'slots-available': this.slots,
      'jobs-running': 0,
      'jobs-finished': 0,
      'jobs-cancelled': 0,
      'jobs-failed': 0,
      version: SLUICE_VERSION,
    };
  }

  async listJobs(): Promise<JobOverview[]> {
    return [];
  }

  async jobDetails(jobId: string): Promise<JobDetails> {
    throw JobNotFoundError.of(jobId);
  }

  async submitJob(request: { jobName: string }): Promise<{ jobId: string }> {
    throw this.notImplemented(`running job ${request.jobName}`);
  }

  async cancelJob(jobId: string): Promise<void> {
    throw JobNotFoundError.of(jobId);
  }

  async stopWithSavepoint(jobId: string): Promise<{ triggerId: string }> {
    throw JobNotFoundError.of(jobId);
  }

  async triggerSavepoint(jobId: string): Promise<{ triggerId: string }> {
    throw JobNotFoundError.of(jobId);
  }

  async savepointStatus(jobId: string): Promise<SavepointStatus> {
    throw JobNotFoundError.of(jobId);
  }

  async triggerCheckpoint(jobId: string): Promise<{ triggerId: string }> {
    throw JobNotFoundError.of(jobId);
  }

  async checkpointStatus(jobId: string): Promise<CheckpointStatus> {
    throw JobNotFoundError.of(jobId);
  }

  async checkpointStats(jobId: string): Promise<CheckpointingStatistics> {
    throw JobNotFoundError.of(jobId);
  }

  async vertexBackpressure(jobId: string): Promise<BackPressureSample | null> {
    throw JobNotFoundError.of(jobId);
  }

  async flow(jobId: string): Promise<FlowSample> {
    throw JobNotFoundError.of(jobId);
  }

  /** Ready: a session without jobs can take submissions (which answer 501). */
  async readiness(): Promise<Readiness> {
    return { ready: true, checks: [] };
  }

  async close(): Promise<void> {}
}
