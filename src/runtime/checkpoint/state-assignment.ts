/**
 * Redistribution of a completed checkpoint's state to the subtasks of a (possibly
 * rescaled) job: keyed state by key group, operator state as a union. Flink's
 * `StateAssignmentOperation`, reduced to the two kinds of state Sluice checkpoints.
 *
 * ```
 *  checkpoint at parallelism 2 (maxParallelism 8)         job at parallelism 3
 *  old subtask 0: key groups 0 1 2 3 ─┐                   new 0: range [0, 2] ← old 0: 0 1 2
 *  old subtask 1: key groups 4 5 6 7 ─┼── by range ──►    new 1: range [3, 5] ← old 0: 3, old 1: 4 5
 *                                     │                   new 2: range [6, 7] ← old 1: 6 7
 *  operator state: [a0] [b1]  ────────┴── union ──►       every new subtask: [a0, b1]
 * ```
 *
 * Invariants: each key group goes to exactly one new subtask (the one whose
 * `computeKeyGroupRangeForOperatorIndex` range holds it); an old snapshot is passed on
 * (with its `states` descriptors) only when it holds a key group of the range, reduced
 * to those key groups; the key-group bytes are shared, not copied. The max parallelism
 * of a keyed operator is fixed for the life of a job.
 *
 * @remarks Pure functions; main thread (the job master, when it deploys a restored
 * attempt). Call {@link checkStateMappingCompleteness} once per restore with every
 * operator of the job, then {@link assignStateForSubtask} per subtask.
 * @module
 */
import { computeKeyGroupRangeForOperatorIndex } from '../../types/key-group-range-assignment.ts';
import type { KeyedStateSnapshot } from '../state/key-group-snapshot.ts';
import { CheckpointIncompatibleError } from './checkpoint-errors.ts';
import type {
  CompletedCheckpoint,
  OperatorRestoreState,
  OperatorState,
  TaskRestoreState,
} from './checkpoint-types.ts';

/** An operator of the new job, as state assignment needs it. */
export interface OperatorToRestore {
  /** Its operator id (`operatorIdOf(node)`). */
  readonly operatorId: string;
  /** Its `pipeline.max-parallelism` (number of key groups). */
  readonly maxParallelism: number;
}

/** Options of {@link checkStateMappingCompleteness}. */
export interface StateMappingOptions {
  /**
   * Accept a checkpoint holding state of operators the job no longer has; that state
   * is dropped (Flink's `--allowNonRestoredState`).
   * @defaultValue false
   */
  allowNonRestoredState: boolean;
}

/** Flink's default: refuse to drop state silently. */
export const defaultStateMappingOptions: Readonly<StateMappingOptions> = Object.freeze({
  allowNonRestoredState: false,
});

/**
 * Checks that every operator with state in the checkpoint exists in the new job, and
 * that the keyed ones kept their max parallelism (Flink's `checkStateMappingCompleteness`
 * and `checkParallelismPreconditions`).
 *
 * @param checkpoint - the checkpoint or savepoint restored from
 * @param jobOperators - every operator of the new job
 * @param options - `allowNonRestoredState` (default false)
 * @returns ids of the operators whose state is dropped (only with `allowNonRestoredState`)
 * @throws SLUICE_ERR_CHECKPOINT_INCOMPATIBLE naming the operator ids whose state cannot
 *   be restored, or an operator whose max parallelism changed (with both values)
 */
export function checkStateMappingCompleteness(
  checkpoint: CompletedCheckpoint,
  jobOperators: readonly OperatorToRestore[],
  options: Partial<StateMappingOptions> = {},
): string[] {
  const { allowNonRestoredState } = { ...defaultStateMappingOptions, ...options };
  const byId = new Map(jobOperators.map((o) => [o.operatorId, o]));
  const missing: string[] = [];
  for (const [operatorId, state] of Object.entries(checkpoint.operators)) {
    const operator = byId.get(operatorId);
    if (operator === undefined) {
      if (hasState(state)) missing.push(operatorId);
    } else {
      checkMaxParallelism(checkpoint, operatorId, state, operator.maxParallelism);
    }
  }
  if (missing.length > 0 && !allowNonRestoredState) {
    throw new CheckpointIncompatibleError(
      `${describe(checkpoint)} holds state of operator id(s) ${missing.join(', ')} that the job does not have; give the operators the same uid as before, or restore with allowNonRestoredState to drop that state`,
      { details: { operatorIds: missing, externalPath: checkpoint.externalPath } },
    );
  }
  return missing;
}

/**
 * The state one subtask of a vertex restores: per operator of its chain, the keyed
 * snapshots reduced to the subtask's key-group range and the union of operator state.
 *
 * @param checkpoint - the checkpoint or savepoint restored from
 * @param operators - the operators of the vertex (its chain) in the new job
 * @param parallelism - the vertex's new parallelism (1 ≤ p ≤ maxParallelism)
 * @param subtaskIndex - the restoring subtask, in [0, parallelism)
 * @returns the restore state; operators without state in the checkpoint are absent (they
 *   start empty)
 * @throws SLUICE_ERR_CHECKPOINT_INCOMPATIBLE when a keyed operator's max parallelism
 *   differs from the checkpoint's; SLUICE_ERR_CONFIG_INVALID when the parallelism is out
 *   of range
 */
export function assignStateForSubtask(
  checkpoint: CompletedCheckpoint,
  operators: readonly OperatorToRestore[],
  parallelism: number,
  subtaskIndex: number,
): TaskRestoreState {
  const restored: Record<string, OperatorRestoreState> = {};
  for (const { operatorId, maxParallelism } of operators) {
    const state = checkpoint.operators[operatorId];
    if (state === undefined) continue;
    checkMaxParallelism(checkpoint, operatorId, state, maxParallelism);
    const range = computeKeyGroupRangeForOperatorIndex(maxParallelism, parallelism, subtaskIndex);
    const keyed: KeyedStateSnapshot[] = [];
    const operatorState: unknown[] = [];
    for (const subtask of state.subtasks) {
      if (subtask.operatorState !== undefined) {
        for (const entry of subtask.operatorState) operatorState.push(entry);
      }
      if (subtask.keyed === undefined) continue;
      let keyGroups: Map<number, Uint8Array> | undefined;
      for (const [keyGroup, bytes] of subtask.keyed.keyGroups) {
        if (keyGroup < range.startKeyGroup || keyGroup > range.endKeyGroup) continue;
        keyGroups ??= new Map();
        keyGroups.set(keyGroup, bytes);
      }
      if (keyGroups !== undefined) {
        keyed.push({
          version: subtask.keyed.version,
          maxParallelism: subtask.keyed.maxParallelism,
          states: subtask.keyed.states,
          keyGroups,
        });
      }
    }
    restored[operatorId] = { keyed, operatorState };
  }
  return {
    checkpointId: checkpoint.checkpointId,
    kind: checkpoint.kind,
    externalPath: checkpoint.externalPath,
    operators: restored,
  };
}

/**
 * Approximate bytes of restore state: key-group bytes plus the operator-state entries'
 * JSON length. Cheap (no copies); for logs and for deciding how to ship it.
 *
 * @param state - a subtask's restore state, or one operator's
 * @returns bytes (approximate for operator state)
 */
export function estimateSize(state: TaskRestoreState | OperatorRestoreState): number {
  if ('operators' in state) {
    let total = 0;
    for (const operator of Object.values(state.operators)) total += estimateSize(operator);
    return total;
  }
  let total = 0;
  for (const snapshot of state.keyed) {
    for (const bytes of snapshot.keyGroups.values()) total += bytes.byteLength;
  }
  if (state.operatorState.length > 0) total += JSON.stringify(state.operatorState).length;
  return total;
}

function hasState(state: OperatorState): boolean {
  return state.subtasks.some(
    (s) =>
      (s.operatorState !== undefined && s.operatorState.length > 0) ||
      (s.keyed !== undefined && s.keyed.keyGroups.size > 0),
  );
}

/** Key groups are the unit of keyed state: their number cannot change (Flink forbids it). */
function checkMaxParallelism(
  checkpoint: CompletedCheckpoint,
  operatorId: string,
  state: OperatorState,
  maxParallelism: number,
): void {
  if (state.maxParallelism === maxParallelism) return;
  if (!state.subtasks.some((s) => s.keyed !== undefined)) return; // operator state only
  throw new CheckpointIncompatibleError(
    `operator ${operatorId}: ${describe(checkpoint)} was taken with max parallelism ${state.maxParallelism}, the job has ${maxParallelism}; the max parallelism (number of key groups) of a keyed operator cannot change — set pipeline.max-parallelism (or the operator's max parallelism) back to ${state.maxParallelism}`,
    {
      details: {
        operatorId,
        checkpointMaxParallelism: state.maxParallelism,
        jobMaxParallelism: maxParallelism,
      },
    },
  );
}

function describe(checkpoint: CompletedCheckpoint): string {
  const what =
    checkpoint.kind === 'SAVEPOINT' ? 'savepoint' : `checkpoint ${checkpoint.checkpointId}`;
  return checkpoint.externalPath === '' ? what : `${what} (${checkpoint.externalPath})`;
}
