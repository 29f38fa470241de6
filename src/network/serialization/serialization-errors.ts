/**
 * Errors of framed record streams (`src/network/serialization`); codes in
 * `docs/errors.md`.
 */
import { SluiceError } from '../../errors.ts';

/**
 * A framed stream is corrupt: bad frame length, unknown tag, or a payload that ends
 * early or leaves bytes. The deserializer that threw it stays failed.
 */
export class CorruptStreamError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_NETWORK_CORRUPT_STREAM';
}

/** A framed stream ended in the middle of a frame. */
export class TruncatedStreamError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_NETWORK_TRUNCATED_STREAM';
}
