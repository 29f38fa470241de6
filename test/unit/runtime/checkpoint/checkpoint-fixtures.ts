import type {
  CompletedCheckpoint,
  OperatorState,
} from '../../../../src/runtime/checkpoint/checkpoint-types.ts';
import type { KeyedStateSnapshot } from '../../../../src/runtime/state/key-group-snapshot.ts';
import { computeKeyGroupRangeForOperatorIndex } from '../../../../src/types/key-group-range-assignment.ts';

export const JOB_ID = 'abcdef0123456789abcdef0123456789';

/** Deterministic bytes for a key group: its id repeated, length depending on the id. */
export function keyGroupBytes(keyGroup: number, salt = 0): Uint8Array {
  const bytes = new Uint8Array(4 + ((keyGroup * 7 + salt) % 23));
  bytes.fill((keyGroup + salt) & 0xff);
  new DataView(bytes.buffer).setUint32(0, keyGroup);
  return bytes;
}

/** A keyed snapshot of `subtaskIndex` of `parallelism` holding every key group of its range. */
export function keyedSnapshot(
  maxParallelism: number,
  parallelism: number,
  subtaskIndex: number,
  salt = 0,
): KeyedStateSnapshot {
  const range = computeKeyGroupRangeForOperatorIndex(maxParallelism, parallelism, subtaskIndex);
  const keyGroups = new Map<number, Uint8Array>();
  for (let kg = range.startKeyGroup; kg <= range.endKeyGroup; kg++) {
    keyGroups.set(kg, keyGroupBytes(kg, salt));
  }
  return {
    version: 1,
    maxParallelism,
    states: [
      {
        id: 0,
        name: 'count',
        kind: 'value',
        configuration: `{"type":"int","sub":${subtaskIndex}}`,
      },
    ],
    keyGroups,
  };
}

/** Keyed operator state over `parallelism` subtasks. */
export function keyedOperator(
  maxParallelism: number,
  parallelism: number,
  salt = 0,
): OperatorState {
  return {
    parallelism,
    maxParallelism,
    subtasks: Array.from({ length: parallelism }, (_, i) => ({
      keyed: keyedSnapshot(maxParallelism, parallelism, i, salt),
    })),
  };
}

/** Source-like operator with a union list per subtask. */
export function sourceOperator(parallelism: number): OperatorState {
  return {
    parallelism,
    maxParallelism: 128,
    subtasks: Array.from({ length: parallelism }, (_, i) => ({
      operatorState: [{ topic: 'in', partition: i, offset: 1000 + i }],
    })),
  };
}

export function checkpointOf(
  checkpointId: number,
  operators: Record<string, OperatorState> = {
    source: sourceOperator(2),
    counter: keyedOperator(16, 2),
    sink: { parallelism: 2, maxParallelism: 128, subtasks: [{}, {}] },
  },
): Omit<CompletedCheckpoint, 'externalPath'> {
  return {
    checkpointId,
    jobId: JOB_ID,
    jobName: 'keyed count',
    kind: 'CHECKPOINT',
    triggerTimestampMs: 1_700_000_000_000 + checkpointId * 1000,
    completionTimestampMs: 1_700_000_000_250 + checkpointId * 1000,
    operators,
    stateSizeBytes: 4321,
  };
}
