import { SluiceError } from '../errors.ts';

/**
 * The DataStream API was called in a way it does not support: a stream of another
 * environment, an asynchronous job builder, an empty name, ... The message names the
 * call and the remedy.
 */
export class InvalidApiUseError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_API_INVALID_USE';
}
