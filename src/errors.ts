/**
 * Sluice's error model: one base class with a stable `code`, a `cause` and a
 * `retriable` flag; every error code lives in {@link ERROR_CODES}, which also gives
 * the HTTP status the REST layer answers with.
 *
 * Errors cross worker threads as plain objects (`{code, message, cause}`) and lose
 * their class on the way: match on `code`, never on `instanceof`. Use
 * {@link serializeError} / {@link deserializeError} at every thread boundary.
 *
 * `docs/errors.md` is a table of the same codes with their meaning and remedy; a
 * unit test fails when the two drift apart.
 */

/**
 * Every error code Sluice throws, with the HTTP status the REST layer maps it to
 * and whether retrying the same call may succeed.
 */
export const ERROR_CODES = {
  SLUICE_ERR_INTERNAL: { status: 500, retriable: false },
  SLUICE_ERR_CONFIG_INVALID: { status: 400, retriable: false },
  SLUICE_ERR_KAFKA_BROKER_START: { status: 500, retriable: true },
  SLUICE_ERR_KAFKA_UNREACHABLE: { status: 503, retriable: true },
  SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED: { status: 500, retriable: false },
  SLUICE_ERR_KAFKA_CONSUMER_FAILED: { status: 503, retriable: true },
  SLUICE_ERR_KAFKA_PRODUCER_FAILED: { status: 503, retriable: true },
  SLUICE_ERR_NEXMARK_TOPIC_NOT_EMPTY: { status: 409, retriable: false },
  SLUICE_ERR_REST_BAD_REQUEST: { status: 400, retriable: false },
  SLUICE_ERR_REST_UNAUTHORIZED: { status: 401, retriable: false },
  SLUICE_ERR_REST_FORBIDDEN: { status: 403, retriable: false },
  SLUICE_ERR_REST_NO_TOKEN_CONFIGURED: { status: 403, retriable: false },
  SLUICE_ERR_REST_NOT_FOUND: { status: 404, retriable: false },
  SLUICE_ERR_REST_JOB_NOT_FOUND: { status: 404, retriable: false },
  SLUICE_ERR_REST_VERTEX_NOT_FOUND: { status: 404, retriable: false },
  SLUICE_ERR_REST_TRIGGER_NOT_FOUND: { status: 404, retriable: false },
  SLUICE_ERR_REST_UNKNOWN_JOB_MODULE: { status: 400, retriable: false },
  SLUICE_ERR_REST_JOB_NOT_RUNNING: { status: 409, retriable: false },
  SLUICE_ERR_REST_BODY_TOO_LARGE: { status: 413, retriable: false },
  SLUICE_ERR_REST_UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false },
  SLUICE_ERR_REST_NOT_IMPLEMENTED: { status: 501, retriable: false },
  SLUICE_ERR_CLI_SERVER_UNREACHABLE: { status: 503, retriable: true },
  SLUICE_ERR_CLI_SHUTDOWN_TIMEOUT: { status: 500, retriable: false },
  SLUICE_ERR_MEMORY_OUT_OF_BOUNDS: { status: 500, retriable: false },
  SLUICE_ERR_MEMORY_MANAGED_EXHAUSTED: { status: 500, retriable: false },
  SLUICE_ERR_MEMORY_OWNERS_EXHAUSTED: { status: 500, retriable: false },
  SLUICE_ERR_MEMORY_RELEASE_INVALID: { status: 500, retriable: false },
  SLUICE_ERR_MEMORY_HANDLE_INVALID: { status: 500, retriable: false },
  SLUICE_ERR_NETWORK_BUFFERS_INSUFFICIENT: { status: 500, retriable: false },
  SLUICE_ERR_NETWORK_BUFFER_RECYCLED: { status: 500, retriable: false },
  SLUICE_ERR_NETWORK_POOL_DESTROYED: { status: 500, retriable: false },
  SLUICE_ERR_NETWORK_POOL_TABLE_FULL: { status: 500, retriable: false },
  SLUICE_ERR_TYPES_INVALID_SCHEMA: { status: 400, retriable: false },
  SLUICE_ERR_TYPES_VALUE_MISMATCH: { status: 400, retriable: false },
  SLUICE_ERR_TYPES_NULL_VALUE: { status: 400, retriable: false },
  SLUICE_ERR_TYPES_END_OF_INPUT: { status: 500, retriable: false },
  SLUICE_ERR_TYPES_CORRUPT_DATA: { status: 500, retriable: false },
  SLUICE_ERR_TYPES_RECORD_TOO_LARGE: { status: 500, retriable: false },
  SLUICE_ERR_NETWORK_CORRUPT_STREAM: { status: 500, retriable: false },
  SLUICE_ERR_NETWORK_TRUNCATED_STREAM: { status: 500, retriable: false },
  SLUICE_ERR_NETWORK_PARTNER_GONE: { status: 500, retriable: true },
  SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION: { status: 500, retriable: false },
  SLUICE_ERR_GRAPH_EMPTY: { status: 400, retriable: false },
  SLUICE_ERR_GRAPH_NO_SINK: { status: 400, retriable: false },
  SLUICE_ERR_GRAPH_CYCLE: { status: 400, retriable: false },
  SLUICE_ERR_GRAPH_INVALID_PARALLELISM: { status: 400, retriable: false },
  SLUICE_ERR_GRAPH_NOT_KEYED: { status: 400, retriable: false },
  SLUICE_ERR_GRAPH_FORWARD_PARALLELISM: { status: 400, retriable: false },
  SLUICE_ERR_GRAPH_DUPLICATE_UID: { status: 400, retriable: false },
  SLUICE_ERR_GRAPH_NOT_ENOUGH_SLOTS: { status: 400, retriable: false },
  SLUICE_ERR_GRAPH_NONDETERMINISTIC: { status: 400, retriable: false },
  SLUICE_ERR_API_INVALID_USE: { status: 400, retriable: false },
  SLUICE_ERR_OPERATOR_FUNCTION_FAILED: { status: 500, retriable: false },
  SLUICE_ERR_STATE_MEMORY_EXHAUSTED: { status: 500, retriable: false },
  SLUICE_ERR_STATE_DESCRIPTOR_CONFLICT: { status: 400, retriable: false },
  SLUICE_ERR_STATE_SNAPSHOT_INVALID: { status: 500, retriable: false },
  SLUICE_ERR_TIME_MISSING_TIMESTAMP: { status: 400, retriable: false },
  SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID: { status: 400, retriable: false },
  SLUICE_ERR_RUNTIME_WORKER_DIED: { status: 500, retriable: true },
  SLUICE_ERR_RUNTIME_JOB_CANCELED: { status: 409, retriable: false },
  SLUICE_ERR_RUNTIME_CLUSTER_CLOSED: { status: 503, retriable: false },
  SLUICE_ERR_RUNTIME_SLOTS_BUSY: { status: 503, retriable: true },
  SLUICE_ERR_CHECKPOINT_NOT_SUPPORTED: { status: 501, retriable: false },
  SLUICE_ERR_CHECKPOINT_CORRUPT: { status: 500, retriable: false },
  SLUICE_ERR_CHECKPOINT_NOT_FOUND: { status: 404, retriable: false },
  SLUICE_ERR_CHECKPOINT_STORAGE_FAILED: { status: 500, retriable: true },
  SLUICE_ERR_CHECKPOINT_INCOMPATIBLE: { status: 400, retriable: false },
  SLUICE_ERR_CHECKPOINT_FAILED: { status: 500, retriable: true },
  SLUICE_ERR_CHECKPOINT_DECLINED: { status: 409, retriable: true },
  SLUICE_ERR_CHECKPOINT_TOLERABLE_FAILURES_EXCEEDED: { status: 500, retriable: false },
} as const;

/** A Sluice error code (`SLUICE_ERR_<AREA>_<WHAT>`). */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Plain-object form of an error, safe to send through `postMessage`. */
export interface SerializedError {
  code: string;
  message: string;
  stack?: string | undefined;
  retriable?: boolean | undefined;
  details?: Record<string, unknown> | undefined;
  cause?: SerializedError | undefined;
}

/**
 * Base class of every error Sluice throws on purpose.
 *
 * Subclasses declare `static code = 'SLUICE_ERR_…' as const`; the constructor reads
 * it through `new.target`, so a subclass needs no constructor of its own.
 *
 * @example
 * ```ts
 * class BufferPoolDestroyedError extends SluiceError {
 *   static override readonly code = 'SLUICE_ERR_NETWORK_POOL_DESTROYED';
 * }
 * throw new BufferPoolDestroyedError('buffer pool destroyed: requestBuffer() after destroy()');
 * ```
 */
export class SluiceError extends Error {
  static readonly code: ErrorCode = 'SLUICE_ERR_INTERNAL';

  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Whether the same call may succeed when retried. */
  readonly retriable: boolean;
  /** Offending values, for logs and REST bodies. */
  readonly details: Record<string, unknown> | undefined;

  /**
   * @param message - what went wrong, naming the offending values and the remedy
   * @param options - `cause` (any thrown value) and `details` (offending values)
   */
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    const code = (new.target as unknown as { code: ErrorCode }).code;
    this.name = new.target.name;
    this.code = code;
    this.retriable = ERROR_CODES[code]?.retriable ?? false;
    this.details = options?.details;
  }

  /** HTTP status for this error's code. */
  get httpStatus(): number {
    return ERROR_CODES[this.code]?.status ?? 500;
  }

  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/** A configuration value is missing, of the wrong type or out of range. */
export class ConfigError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CONFIG_INVALID';
}

/**
 * Turns any thrown value into a plain object for `postMessage` or JSON.
 *
 * @param error - any thrown value (a `SluiceError`, an `Error`, or anything else)
 * @returns `{code, message, stack, cause}`; unknown errors get `SLUICE_ERR_INTERNAL`
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (error instanceof Error) {
    const ownCode = (error as { code?: unknown }).code;
    const code = typeof ownCode === 'string' ? ownCode : 'SLUICE_ERR_INTERNAL';
    const out: SerializedError = { code, message: error.message, stack: error.stack };
    if (error instanceof SluiceError) {
      out.retriable = error.retriable;
      if (error.details !== undefined) out.details = error.details;
    }
    if (error.cause !== undefined && depth < 8) out.cause = serializeError(error.cause, depth + 1);
    return out;
  }
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    return error as SerializedError;
  }
  return { code: 'SLUICE_ERR_INTERNAL', message: String(error) };
}

/** An error rebuilt from its serialized form on another thread; `code` is kept verbatim. */
export class RemoteError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(serialized: SerializedError) {
    super(
      serialized.message,
      serialized.cause ? { cause: deserializeError(serialized.cause) } : undefined,
    );
    this.name = 'RemoteError';
    this.code = serialized.code;
    this.retriable = serialized.retriable ?? false;
    this.details = serialized.details;
    if (serialized.stack) this.stack = serialized.stack;
  }
}

/**
 * Rebuilds an error from {@link serializeError}'s output.
 *
 * @returns a {@link RemoteError} carrying the original code, message and stack
 */
export function deserializeError(serialized: SerializedError): RemoteError {
  return new RemoteError(serialized);
}

/** HTTP status for an error code; 500 for unknown codes. */
export function httpStatusOf(code: string): number {
  return (ERROR_CODES as Record<string, { status: number }>)[code]?.status ?? 500;
}
