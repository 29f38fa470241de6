/**
 * The data of checkpoints and savepoints as it travels between the tasks (worker
 * threads), the `CheckpointCoordinator` (main thread) and the checkpoint storage
 * (`state.checkpoints.dir`): what one subtask acknowledges, what a completed
 * checkpoint holds, and what a subtask gets back on restore.
 *
 * ```
 *  task (worker)                coordinator (main)                 storage (disk)
 *  barrier n aligned ─► ack {SubtaskStateSnapshot} ─► PendingCheckpoint n
 *                                  all acked ─► CompletedCheckpoint ─► chk-n/_metadata + state
 *  restore ◄─ TaskRestoreState (per subtask: keyed state of its key groups,
 *             the union of every subtask's operator state) ◄─ assignStateForSubtask
 * ```
 *
 * Operators are identified by their **operator id** ({@link operatorIdOf}): the
 * user-given `uid` when set, else the stream node id — stable as long as the job is
 * built the same way, also at another parallelism.
 *
 * Everything here is structured-clone safe (it crosses `postMessage`).
 *
 * @remarks Flink's `OperatorSubtaskState`, `TaskStateSnapshot`, `CompletedCheckpoint`,
 * `CheckpointProperties` and `PrioritizedOperatorSubtaskState`, reduced to keyed state
 * by key group plus union-redistributed operator state.
 * @module
 */
import type { KeyedStateSnapshot } from '../state/key-group-snapshot.ts';

/** A checkpoint taken on the interval, or a savepoint taken on demand. */
export type SnapshotKind = 'CHECKPOINT' | 'SAVEPOINT';

/** State of one operator in one subtask at one checkpoint. */
export interface OperatorSubtaskState {
  /** Keyed state by key group (operators after a `keyBy`). */
  readonly keyed?: KeyedStateSnapshot | undefined;
  /**
   * Operator state as a list of JSON-serializable entries (e.g. a Kafka reader's
   * `{topic, partition, offset}` per partition). Redistributed as a **union** on
   * restore: every subtask gets every subtask's entries and keeps what concerns it
   * (Flink's union list state).
   */
  readonly operatorState?: readonly unknown[] | undefined;
}

/** What one subtask acknowledges for one checkpoint. */
export interface SubtaskStateSnapshot {
  readonly vertexId: string;
  readonly subtaskIndex: number;
  /** By operator id. */
  readonly operators: Readonly<Record<string, OperatorSubtaskState>>;
}

/** The state of one operator over all its subtasks in a completed checkpoint. */
export interface OperatorState {
  /** Parallelism of the operator when the checkpoint was taken. */
  readonly parallelism: number;
  /** `pipeline.max-parallelism` of the operator (key groups); fixed for a job's life. */
  readonly maxParallelism: number;
  /** Index = subtask index; an entry per subtask (an empty object when it had no state). */
  readonly subtasks: readonly OperatorSubtaskState[];
}

/** A completed checkpoint or savepoint, as written to and read from storage. */
export interface CompletedCheckpoint {
  readonly checkpointId: number;
  readonly jobId: string;
  readonly jobName: string;
  readonly kind: SnapshotKind;
  /** Epoch ms when the coordinator triggered it. */
  readonly triggerTimestampMs: number;
  /** Epoch ms when the last subtask acknowledged it. */
  readonly completionTimestampMs: number;
  /** By operator id. */
  readonly operators: Readonly<Record<string, OperatorState>>;
  /** Directory it lives in (absolute path), once written. */
  readonly externalPath: string;
  /** Bytes of state (keyed key groups + operator state as JSON). */
  readonly stateSizeBytes: number;
}

/** What one operator of one subtask restores. */
export interface OperatorRestoreState {
  /**
   * Keyed state holding (at least) the key groups of the subtask's key-group range:
   * the backend's `restore()` skips key groups outside its range.
   */
  readonly keyed: readonly KeyedStateSnapshot[];
  /** The union of every old subtask's operator-state entries. */
  readonly operatorState: readonly unknown[];
}

/** What one subtask restores, sent with the deployment of an attempt. */
export interface TaskRestoreState {
  readonly checkpointId: number;
  readonly kind: SnapshotKind;
  /** Where the checkpoint lives (for logs and statistics). */
  readonly externalPath: string;
  /** By operator id; operators absent here start empty. */
  readonly operators: Readonly<Record<string, OperatorRestoreState>>;
}

/**
 * The operator id of a stream node: its `uid` when the user set one, else its node id.
 *
 * @param node - the stream node (`uid`, `id`)
 * @returns the id under which its state is stored
 */
export function operatorIdOf(node: {
  readonly uid?: string | undefined;
  readonly id: number;
}): string {
  return node.uid ?? `node-${node.id}`;
}
