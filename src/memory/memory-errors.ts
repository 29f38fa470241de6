import { SluiceError } from '../errors.ts';

/**
 * Managed memory has too few free pages or bytes for an allocation or reservation
 * (Flink's `MemoryAllocationException` / `MemoryReservationException`).
 */
export class ManagedMemoryExhaustedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_MEMORY_MANAGED_EXHAUSTED';
}

/** The `MemoryManager`'s owner table is full, or an owner key is too long. */
export class MemoryOwnersExhaustedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_MEMORY_OWNERS_EXHAUSTED';
}

/** Memory was released that is not held (a free page, or more bytes than reserved). */
export class MemoryReleaseError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_MEMORY_RELEASE_INVALID';
}

/** `attach()` was given something that is not a handle of the expected shared memory. */
export class MemoryHandleInvalidError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_MEMORY_HANDLE_INVALID';
}
