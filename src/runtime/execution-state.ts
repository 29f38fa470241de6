/**
 * The states of a subtask and of a job, with Flink's names (`ExecutionState`,
 * `JobStatus`), and the transitions the runtime allows.
 *
 * ```
 *  subtask (ExecutionState), one per attempt:
 *
 *   CREATED ─► DEPLOYING ─► INITIALIZING ─► RUNNING ─► FINISHED
 *      │           │             │             │
 *      └───────────┴──────┬──────┴─────────────┤
 *                         ▼                    ▼
 *                     CANCELING ─► CANCELED   FAILED   (any non-terminal state may fail)
 *
 *  job (JobStatus):
 *
 *   CREATED ─► RUNNING ─► FINISHED
 *                │  ▲
 *                │  └──── RESTARTING ◄─┐ a task failed and the restart strategy allows
 *                ├─► FAILING ─► FAILED ┘ another attempt (otherwise FAILING)
 *                └─► CANCELLING ─► CANCELED
 * ```
 *
 * Flink spells the job state `CANCELLING` and the task state `CANCELING`; Sluice keeps
 * both spellings so that REST clients written for Flink match.
 *
 * @module
 */

/** State of one subtask attempt (Flink's `ExecutionState`). */
export type ExecutionState =
  | 'CREATED'
  | 'DEPLOYING'
  | 'INITIALIZING'
  | 'RUNNING'
  | 'FINISHED'
  | 'CANCELING'
  | 'CANCELED'
  | 'FAILED';

/** Every {@link ExecutionState}, in lifecycle order. */
export const EXECUTION_STATES: readonly ExecutionState[] = [
  'CREATED',
  'DEPLOYING',
  'INITIALIZING',
  'RUNNING',
  'FINISHED',
  'CANCELING',
  'CANCELED',
  'FAILED',
];

/** State of a job (Flink's `JobStatus`). */
export type JobStatus =
  | 'CREATED'
  | 'RUNNING'
  | 'FAILING'
  | 'FAILED'
  | 'CANCELLING'
  | 'CANCELED'
  | 'FINISHED'
  | 'RESTARTING';

/** Every {@link JobStatus}, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = [
  'CREATED',
  'RUNNING',
  'FAILING',
  'FAILED',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'RESTARTING',
];

/** Whether a subtask in `state` will not change any more. */
export function isTerminalExecutionState(state: ExecutionState): boolean {
  return state === 'FINISHED' || state === 'CANCELED' || state === 'FAILED';
}

/** Whether a job in `status` will not change any more (Flink's `isGloballyTerminalState`). */
export function isTerminalJobStatus(status: JobStatus): boolean {
  return status === 'FINISHED' || status === 'CANCELED' || status === 'FAILED';
}

const TASK_ORDER: Record<ExecutionState, number> = {
  CREATED: 0,
  DEPLOYING: 1,
  INITIALIZING: 2,
  RUNNING: 3,
  CANCELING: 4,
  FINISHED: 5,
  CANCELED: 5,
  FAILED: 5,
};

/**
 * Whether a subtask may move from `from` to `to`: only forward, never out of a terminal
 * state. Reports that arrive late (a RUNNING after a CANCELING was decided) are dropped
 * by the caller when this is `false`.
 *
 * @param from - current state
 * @param to - reported state
 */
export function isValidTransition(from: ExecutionState, to: ExecutionState): boolean {
  if (isTerminalExecutionState(from)) return false;
  if (to === 'FAILED' || to === 'CANCELED') return true;
  if (from === 'CANCELING') return false;
  return TASK_ORDER[to] > TASK_ORDER[from];
}
