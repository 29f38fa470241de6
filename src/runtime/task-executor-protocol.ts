/**
 * The control protocol between the main thread (`JobMaster` through a
 * `TaskExecutorGateway`) and a task slot's worker (`TaskExecutor`): plain,
 * structured-clone safe objects over the worker's port. Records never travel here —
 * they go through chains and the network exchange; these messages are a handful per
 * subtask plus one metrics message per worker per interval, and one operator event per
 * collect batch.
 *
 * ```
 *  main thread (JobMaster)                          worker (TaskExecutor, slot i)
 *    ── deploy {job module, args, fingerprint,  ──►  import module, build graph, check
 *              subtasks of slot i, network}           fingerprint, create StreamTasks
 *    ◄── task-state {vertex, subtask, state}   ───   INITIALIZING, RUNNING, FINISHED …
 *    ◄── operator-event {nodeId, subtask, event} ─   e.g. a collect sink batch
 *    ◄── metrics {tasks[], worker}             ───   every metricsIntervalMs
 *    ── cancel                                  ──►  cancel every task of the slot
 *    ── trigger-checkpoint {id, timestamp}      ──►  source tasks: snapshot, emit barrier
 *    ◄── acknowledge-checkpoint {id, state}    ───   each task, barrier aligned + flushed
 *    ◄── decline-checkpoint {id, error}        ───   a task could not take it
 *    ── notify-checkpoint-complete {id}         ──►  every task (e.g. commit Kafka offsets)
 *    (main terminates the worker once the whole job attempt is over)
 * ```
 *
 * Errors travel as `SerializedError` (`serializeError` / `deserializeError` of
 * `src/errors.ts`); match on `code`.
 *
 * @module
 */
import type { StreamExecutionEnvironmentOptions } from '../api/stream-execution-environment.ts';
import type { SerializedError } from '../errors.ts';
import type { MemoryManagerHandle } from '../memory/memory-manager-handle.ts';
import type { TaskMetricsSnapshot, WorkerMetricsSnapshot } from '../metrics/metric-snapshots.ts';
import type { NetworkBufferPoolHandle } from '../network/network-buffer-pool-handle.ts';
import type { TaskRestoreState } from './checkpoint/checkpoint-types.ts';
import type { ExecutionState } from './execution-state.ts';
import type { CheckpointAck, StreamTaskOptions } from './stream-task.ts';

/** How a thread builds a job: the module and what to build it with. */
export interface JobModuleSpec {
  /** `file:` URL of the job module (its default export is `defineJob(...)`). */
  readonly moduleUrl: string;
  /** Arguments for the job builder (structured-cloneable). */
  readonly args: unknown;
  /** Flink-style configuration the environment is made from (`Configuration.toJSON()`). */
  readonly configuration: Record<string, unknown>;
  /** Environment options that win over the configuration (e.g. `parallelism`). */
  readonly options: Partial<StreamExecutionEnvironmentOptions>;
}

/** One subtask placed in a slot. */
export interface SubtaskRef {
  readonly vertexId: string;
  readonly subtaskIndex: number;
}

/** main → worker: run these subtasks of this job attempt. */
export interface DeployMessage {
  readonly type: 'deploy';
  readonly jobId: string;
  readonly jobName: string;
  readonly attemptNumber: number;
  readonly slotIndex: number;
  readonly job: JobModuleSpec;
  /** `JobGraph.fingerprint()` of the main thread's build; the worker's must equal it. */
  readonly fingerprint: string;
  readonly subtasks: readonly SubtaskRef[];
  readonly taskOptions: StreamTaskOptions;
  /** Period of metrics messages, ms. */
  readonly metricsIntervalMs: number;
  /** The process's managed memory (keyed state), to attach to. */
  readonly memoryManager: MemoryManagerHandle;
  /** The process's network buffers, to attach to. */
  readonly networkBufferPool: NetworkBufferPoolHandle;
  /** The slot's side of the job's exchanges (absent when the job has none). */
  readonly network?: unknown;
  /**
   * State to start from, by subtask (`restoreKey(vertexId, subtaskIndex)`); absent
   * when the attempt starts empty.
   */
  readonly restore?: Readonly<Record<string, TaskRestoreState>> | undefined;
}

/** Key of a subtask in {@link DeployMessage.restore}. */
export function restoreKey(vertexId: string, subtaskIndex: number): string {
  return `${vertexId}#${subtaskIndex}`;
}

/** main → worker: source subtasks of the slot start checkpoint `checkpointId`. */
export interface TriggerCheckpointMessage {
  readonly type: 'trigger-checkpoint';
  readonly checkpointId: number;
  /** Epoch ms of the trigger. */
  readonly timestampMs: number;
}

/** main → worker: checkpoint `checkpointId` completed (commit side effects). */
export interface NotifyCheckpointCompleteMessage {
  readonly type: 'notify-checkpoint-complete';
  readonly checkpointId: number;
}

/** main → worker: cancel every subtask of the slot. */
export interface CancelMessage {
  readonly type: 'cancel';
}

/** Messages the main thread sends. */
export type ToTaskExecutorMessage =
  | DeployMessage
  | CancelMessage
  | TriggerCheckpointMessage
  | NotifyCheckpointCompleteMessage;

/** worker → main: a subtask changed state. */
export interface TaskStateMessage {
  readonly type: 'task-state';
  readonly vertexId: string;
  readonly subtaskIndex: number;
  readonly attemptNumber: number;
  readonly state: ExecutionState;
  /** Epoch ms of the change. */
  readonly timestampMs: number;
  /** Why it failed (FAILED only). */
  readonly error?: SerializedError | undefined;
  /** Final figures of the subtask (terminal states only). */
  readonly metrics?: TaskMetricsSnapshot | undefined;
}

/** worker → main: the figures of every subtask of the slot and of the thread. */
export interface MetricsMessage {
  readonly type: 'metrics';
  readonly attemptNumber: number;
  readonly tasks: readonly TaskMetricsSnapshot[];
  readonly worker: WorkerMetricsSnapshot;
}

/** worker → main: an operator event for the coordinator of stream node `nodeId`. */
export interface OperatorEventMessage {
  readonly type: 'operator-event';
  readonly attemptNumber: number;
  readonly nodeId: number;
  readonly subtaskIndex: number;
  readonly event: unknown;
}

/** worker → main: a subtask's state for a checkpoint (Flink's `AcknowledgeCheckpoint`). */
export interface AcknowledgeCheckpointMessage extends CheckpointAck {
  readonly type: 'acknowledge-checkpoint';
  readonly attemptNumber: number;
}

/** worker → main: a subtask could not take a checkpoint (Flink's `DeclineCheckpoint`). */
export interface DeclineCheckpointMessage {
  readonly type: 'decline-checkpoint';
  readonly attemptNumber: number;
  readonly checkpointId: number;
  readonly vertexId: string;
  readonly subtaskIndex: number;
  readonly error: SerializedError;
}

/**
 * worker → main: log lines of the worker's logger (pino JSON lines, each ending in a
 * newline), written by the main thread to its own logger's destination, so that an
 * embedder's log destination and format apply to the workers too.
 */
export interface LogMessage {
  readonly type: 'log';
  readonly lines: string;
}

/** Messages a worker sends. */
export type FromTaskExecutorMessage =
  | LogMessage
  | TaskStateMessage
  | MetricsMessage
  | OperatorEventMessage
  | AcknowledgeCheckpointMessage
  | DeclineCheckpointMessage;
