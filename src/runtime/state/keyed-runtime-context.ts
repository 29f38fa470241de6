import type { KeyedRuntimeContext, RuntimeContext } from '../../api/functions.ts';
import type { ManagedKeyedStateBackend } from './managed-keyed-state-backend.ts';

/**
 * The {@link KeyedRuntimeContext} of a keyed operator's user function: the operator's
 * runtime context plus keyed state from its backend (Flink's
 * `StreamingRuntimeContext.getState` & co.). Built once per operator, in `open`.
 *
 * @param context - the operator's runtime context
 * @param backend - the operator's keyed state backend
 * @returns a new object; state handles it returns are scoped to the current key
 */
export function createKeyedRuntimeContext(
  context: RuntimeContext,
  backend: ManagedKeyedStateBackend,
): KeyedRuntimeContext {
  return {
    ...context,
    getState: (descriptor) => backend.getState(descriptor),
    getListState: (descriptor) => backend.getListState(descriptor),
    getMapState: (descriptor) => backend.getMapState(descriptor),
    getReducingState: (descriptor) => backend.getReducingState(descriptor),
    getAggregatingState: (descriptor) => backend.getAggregatingState(descriptor),
  };
}
