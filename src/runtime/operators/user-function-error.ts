/**
 * The error a task fails with when user code throws: a map, filter or reduce function,
 * a key selector, a source reader or a sink writer. It names the operator, the task
 * and the subtask, and keeps what was thrown as `cause`.
 */

import type { RuntimeContext } from '../../api/functions.ts';
import { SluiceError } from '../../errors.ts';

/** User code of an operator threw (`SLUICE_ERR_OPERATOR_FUNCTION_FAILED`). */
export class UserFunctionError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_OPERATOR_FUNCTION_FAILED';
}

/**
 * Wraps what user code threw into a {@link UserFunctionError} naming where it ran.
 *
 * A `SluiceError` is returned unchanged: it was raised (and named) further down the
 * chain — a flat-map function calls the next operator from inside itself, and a
 * failure there must not be blamed on the flat map.
 *
 * @param error - the thrown value
 * @param context - runtime context of the operator whose user code threw
 * @param phase - what the operator was doing (`processElement`, `open`, `close`, ...)
 * @returns the error to throw
 */
export function userFunctionFailed(
  error: unknown,
  context: RuntimeContext,
  phase: string,
): SluiceError {
  if (error instanceof SluiceError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new UserFunctionError(
    `user function of operator "${context.operatorName}" threw in ${phase} of subtask ` +
      `${context.subtaskIndex + 1}/${context.parallelism} (index ${context.subtaskIndex}) of task ` +
      `"${context.taskName}": ${reason}; fix the function or guard against the offending record`,
    {
      cause: error,
      details: {
        operatorName: context.operatorName,
        taskName: context.taskName,
        subtaskIndex: context.subtaskIndex,
        parallelism: context.parallelism,
        phase,
      },
    },
  );
}
