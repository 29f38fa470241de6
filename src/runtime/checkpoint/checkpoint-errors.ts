/**
 * Errors of checkpoint storage and state assignment. Match on `code` (errors lose their
 * class across threads); each message names the path or operator and the remedy.
 *
 * @module
 */
import { SluiceError } from '../../errors.ts';

/**
 * A checkpoint or savepoint cannot be read: `_metadata` is not JSON, has an unknown
 * format version or shape, or the `state` data file is missing, truncated or altered.
 */
export class CheckpointCorruptError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CHECKPOINT_CORRUPT';
}

/** The given checkpoint or savepoint path does not exist or holds no `_metadata`. */
export class CheckpointNotFoundError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CHECKPOINT_NOT_FOUND';
}

/**
 * Writing, renaming or deleting in checkpoint storage failed (disk full, permission,
 * missing volume). Retriable: the next checkpoint tries again.
 */
export class CheckpointStorageFailedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CHECKPOINT_STORAGE_FAILED';
}

/**
 * A checkpoint cannot be restored into the new job: a max parallelism changed, or it
 * holds state of operators the job no longer has (without `allowNonRestoredState`).
 */
export class CheckpointIncompatibleError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_CHECKPOINT_INCOMPATIBLE';
}
