import { defaultMemoryManagerOptions, MemoryManager } from '../../memory/memory-manager.ts';

let instance: MemoryManager | undefined;

/**
 * The managed memory of this thread when the runtime gave none: one
 * {@link MemoryManager} of `defaultMemoryManagerOptions.memorySizeBytes` (128 MiB, like
 * Flink's local default), created on first use. The worker runtime should pass the
 * process's shared `MemoryManager` (attached on the worker) in the chain context
 * instead, so that one budget covers every slot.
 *
 * @remarks Per thread (module state); never released.
 */
export function defaultMemoryManager(): MemoryManager {
  instance ??= new MemoryManager(defaultMemoryManagerOptions);
  return instance;
}
