/**
 * Errors of the network exchange (result partitions, input gates, channels); codes in
 * `docs/errors.md`.
 */
import { SluiceError } from '../errors.ts';

/**
 * The other side of a channel is gone: its worker died (the main thread marked it),
 * or it released the channel before the end of the stream (cancelled or failed).
 * Raised on the surviving side instead of waiting forever; retriable in the sense
 * that a restart of the job (a new attempt) may succeed.
 */
export class PartnerGoneError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_NETWORK_PARTNER_GONE';
}

/**
 * The exchange was used against its protocol: a second partition or gate attached
 * to the same endpoint, a record emitted after `finish()`, a buffer released out of
 * order or twice, a use after `release()`/`close()`, an invalid handle, or credit
 * beyond the channel's ring. A bug in the caller (or corrupted shared memory).
 */
export class ProtocolViolationError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION';
}
