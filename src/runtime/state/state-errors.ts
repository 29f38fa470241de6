import { SluiceError } from '../../errors.ts';

/**
 * Keyed state needs more managed memory than the budget has left. Thrown instead of
 * growing the V8 heap; the message names the operator, the subtask, what the backend
 * holds and the option to raise (`taskmanager.memory.managed.size`).
 */
export class StateMemoryExhaustedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_STATE_MEMORY_EXHAUSTED';
}

/** Two keyed states of one operator share a name but differ in kind or serializer. */
export class StateDescriptorConflictError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_STATE_DESCRIPTOR_CONFLICT';
}

/** A keyed-state snapshot cannot be restored (corrupt bytes, wrong version or range). */
export class StateSnapshotInvalidError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_STATE_SNAPSHOT_INVALID';
}
