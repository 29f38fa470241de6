/**
 * Errors of the worker-thread runtime (`SLUICE_ERR_RUNTIME_*`): loading job modules,
 * worker threads that die, cancelled jobs, a closed cluster, busy slots. Task failures
 * themselves keep the code of what failed (`SLUICE_ERR_OPERATOR_FUNCTION_FAILED` for
 * user code), enriched with the vertex, subtask and attempt (see `JobFailureInfo`).
 *
 * @module
 */

import { SluiceError } from '../errors.ts';

/** A job module could not be imported, or its default export is not `defineJob(...)`. */
export class JobModuleInvalidError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID';
}

/** A task slot's worker thread crashed or exited while it ran subtasks. */
export class WorkerDiedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_RUNTIME_WORKER_DIED';
}

/** The job was cancelled before it finished; `JobClient.result()` rejects with it. */
export class JobCanceledError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_RUNTIME_JOB_CANCELED';
}

/** The cluster was closed: no more submissions; running jobs were cancelled. */
export class ClusterClosedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_RUNTIME_CLUSTER_CLOSED';
}

/** The job needs more slots than are free now (other jobs hold them). */
export class SlotsBusyError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_RUNTIME_SLOTS_BUSY';
}
