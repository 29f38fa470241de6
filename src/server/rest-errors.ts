/**
 * Errors of the REST layer and of the {@link Dispatcher} contract behind it.
 *
 * A Dispatcher implementation throws these (or any other `SluiceError`); the REST
 * server's error handler answers with the HTTP status of the code (`ERROR_CODES`)
 * and the body `{code, message, details?}`. Each class below is the only place its
 * code is thrown from, so `grep` finds every use.
 *
 * @module
 */
import { SluiceError } from '../errors.ts';

/** A request field is missing, of the wrong type or out of range (400). */
export class BadRequestError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_BAD_REQUEST';
}

/** A protected endpoint was called without a bearer token (401). */
export class UnauthorizedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_UNAUTHORIZED';
}

/** The bearer token does not match (403). */
export class ForbiddenError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_FORBIDDEN';
}

/** A mutating endpoint was called but the server has no token configured (403). */
export class NoTokenConfiguredError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_NO_TOKEN_CONFIGURED';
}

/** No route matches the method and path (404). */
export class RouteNotFoundError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_NOT_FOUND';
}

/** No job with this id (404). Thrown by Dispatcher implementations. */
export class JobNotFoundError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_JOB_NOT_FOUND';

  /** @param jobId - the unknown job id, quoted in the message */
  static of(jobId: string): JobNotFoundError {
    return new JobNotFoundError(`job ${jobId} not found; list jobs with GET /jobs`, {
      details: { jobId },
    });
  }
}

/** The job has no vertex with this id (404). Thrown by Dispatcher implementations. */
export class VertexNotFoundError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_VERTEX_NOT_FOUND';

  /** @param jobId - the job; @param vertexId - the unknown vertex id */
  static of(jobId: string, vertexId: string): VertexNotFoundError {
    return new VertexNotFoundError(
      `job ${jobId} has no vertex ${vertexId}; read vertex ids from GET /jobs/${jobId}`,
      { details: { jobId, vertexId } },
    );
  }
}

/** No savepoint/checkpoint operation with this trigger id (404). */
export class TriggerNotFoundError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_TRIGGER_NOT_FOUND';

  /** @param jobId - the job; @param triggerId - the unknown trigger id */
  static of(jobId: string, triggerId: string): TriggerNotFoundError {
    return new TriggerNotFoundError(
      `job ${jobId} has no operation with trigger id ${triggerId}; use the request-id returned by the trigger call`,
      { details: { jobId, triggerId } },
    );
  }
}

/** `POST /jobs` named a job that is not in the job catalog (400). */
export class UnknownJobModuleError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_UNKNOWN_JOB_MODULE';
}

/** The operation needs a running job (409). */
export class JobNotRunningError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_JOB_NOT_RUNNING';

  /** @param jobId - the job; @param state - its current state; @param operation - what was asked */
  static of(jobId: string, state: string, operation: string): JobNotRunningError {
    return new JobNotRunningError(`cannot ${operation} job ${jobId}: it is ${state}, not RUNNING`, {
      details: { jobId, state, operation },
    });
  }
}

/** The request body exceeds `rest.server.max-content-length` (413). */
export class BodyTooLargeError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_BODY_TOO_LARGE';
}

/** The request body is not JSON (415). */
export class UnsupportedMediaTypeError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_UNSUPPORTED_MEDIA_TYPE';
}

/** The operation needs the job runtime, which is not built yet (501). */
export class NotImplementedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_REST_NOT_IMPLEMENTED';
}
