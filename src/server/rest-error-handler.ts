/**
 * Turns anything thrown while serving a request into Sluice's JSON error answer
 * `{code, message, details?}` with the HTTP status of the code.
 *
 * | thrown                                         | status | code                                  |
 * |------------------------------------------------|--------|---------------------------------------|
 * | a `SluiceError`, or any error whose `code` is in `ERROR_CODES` (e.g. a `RemoteError` from a worker) | of the code | the error's code |
 * | Fastify schema validation failure              | 400    | `SLUICE_ERR_REST_BAD_REQUEST`, naming the field |
 * | body larger than `rest.server.max-content-length` | 413 | `SLUICE_ERR_REST_BODY_TOO_LARGE`      |
 * | body that is not `application/json`            | 415    | `SLUICE_ERR_REST_UNSUPPORTED_MEDIA_TYPE` |
 * | other Fastify 4xx (malformed JSON, empty body) | 400    | `SLUICE_ERR_REST_BAD_REQUEST`         |
 * | anything else                                  | 500    | `SLUICE_ERR_INTERNAL`, message without internals |
 *
 * @module
 */
import { ERROR_CODES, httpStatusOf } from '../errors.ts';
import type { ErrorBody } from './schemas/common.ts';

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
  details?: unknown;
}

/** An HTTP status and JSON body for an error. */
export interface ErrorReply {
  status: number;
  body: ErrorBody;
  /** Whether it is the server's fault (log it as an error). */
  serverFault: boolean;
}

function validationMessage(error: FastifyLikeError): { message: string; field: string } {
  const first = error.validation?.[0];
  const context = error.validationContext ?? 'request';
  let path = (first?.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const missing = first?.params?.missingProperty;
  const extra = first?.params?.additionalProperty;
  if (typeof missing === 'string') path = path ? `${path}.${missing}` : missing;
  if (typeof extra === 'string') path = path ? `${path}.${extra}` : extra;
  const field = path ? `${context}.${path}` : context;
  const reason =
    typeof extra === 'string'
      ? 'is not a known field'
      : typeof missing === 'string'
        ? 'is required'
        : (first?.message ?? 'is invalid');
  return { field, message: `invalid request: ${field} ${reason}` };
}

/**
 * Maps a thrown value to the answer; see the module documentation.
 *
 * @param error - what the route, a hook or Fastify threw
 * @param requestId - Fastify's request id, quoted in messages of internal errors
 * @param bodyLimitBytes - the body limit, quoted in the 413 message
 * @returns status, body, and whether the server is at fault
 */
export function errorReplyOf(
  error: unknown,
  requestId: string,
  bodyLimitBytes?: number,
): ErrorReply {
  const e = (typeof error === 'object' && error !== null ? error : {}) as FastifyLikeError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (code !== undefined && code in ERROR_CODES) {
    const status = httpStatusOf(code);
    const body: ErrorBody = { code, message };
    if (e.details !== null && typeof e.details === 'object')
      body.details = e.details as Record<string, unknown>;
    return { status, body, serverFault: status >= 500 };
  }
  if (Array.isArray(e.validation)) {
    const { field, message: text } = validationMessage(e);
    return {
      status: 400,
      body: { code: 'SLUICE_ERR_REST_BAD_REQUEST', message: text, details: { field } },
      serverFault: false,
    };
  }
  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (statusCode === 413 || code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      status: 413,
      body: {
        code: 'SLUICE_ERR_REST_BODY_TOO_LARGE',
        message:
          bodyLimitBytes === undefined
            ? 'request body too large: send less or raise rest.server.max-content-length'
            : `request body too large: the limit is ${bodyLimitBytes} bytes; send less or raise rest.server.max-content-length`,
        ...(bodyLimitBytes === undefined ? {} : { details: { limitBytes: bodyLimitBytes } }),
      },
      serverFault: false,
    };
  }
  if (statusCode === 415 || code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      status: 415,
      body: {
        code: 'SLUICE_ERR_REST_UNSUPPORTED_MEDIA_TYPE',
        message: `${message}; send the body as JSON with Content-Type: application/json`,
      },
      serverFault: false,
    };
  }
  if (statusCode >= 400 && statusCode < 500) {
    return {
      status: 400,
      body: { code: 'SLUICE_ERR_REST_BAD_REQUEST', message: `invalid request: ${message}` },
      serverFault: false,
    };
  }
  return {
    status: 500,
    body: {
      code: 'SLUICE_ERR_INTERNAL',
      message: `internal error while serving request ${requestId}; the server log has the cause`,
    },
    serverFault: true,
  };
}
