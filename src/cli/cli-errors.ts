/**
 * Errors of the `sluice` command line.
 *
 * @module
 */
import { SluiceError } from '../errors.ts';

/** The REST server at `--url` did not answer, or answered with something that is not Sluice's JSON. */
export class ServerUnreachableError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CLI_SERVER_UNREACHABLE';
}

/** A job's stop-with-savepoint did not complete within `shutdown.grace-period`, or failed. */
export class ShutdownTimeoutError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CLI_SHUTDOWN_TIMEOUT';
}
