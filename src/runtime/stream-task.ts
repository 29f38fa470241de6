/**
 * One subtask of a job vertex running on a worker's event loop (Flink's `StreamTask`):
 * it owns the subtask's {@link OperatorChain} and the {@link StreamInputProcessor} that
 * feeds it, drives them from a {@link MailboxProcessor}, accounts busy, idle and
 * back-pressured time, and reports its lifecycle.
 *
 * ```
 *   invoke():
 *     INITIALIZING   build the chain (operators, record writers, input), open it tail first
 *     RUNNING        mailbox loop, one default action = one batch:
 *                      outputs unavailable? → back-pressured: await their future
 *                      input.processInput(batchSize)
 *                        MORE_AVAILABLE    → again (yield to the event loop every slice)
 *                        NOTHING_AVAILABLE → idle: await the input's future
 *                        END_OF_INPUT      → leave the loop
 *     end of input   chain.finish() (operators head first, then end of partition on every
 *                    exchange), then wait until the exchanges drained
 *     close          chain.close() and the environment's resources: always, also after
 *                    a failure or a cancel
 *     FINISHED | CANCELED | FAILED
 * ```
 *
 * Cancellation ({@link StreamTask.cancel}) stops the mailbox loop between two batches
 * (at once when it waits) and closes the chain without finishing it. Any error ends the
 * task in FAILED with that error; errors raised after a cancel are side effects of the
 * cancel (a destroyed buffer pool, a closed channel) and end it in CANCELED.
 *
 * Hot path: the default action allocates nothing per record; it checks availability
 * once per batch and reads the clock only when a wait starts or ends.
 *
 * @remarks Created and run by the worker's `TaskExecutor`; every method runs on that
 * worker's thread. Corresponds to Flink's `StreamTask` (with `OneInputStreamTask` and
 * `SourceOperatorStreamTask`).
 * @module
 */
import { Type } from 'typebox';
import { compileOptions } from '../config/validate.ts';
import type { JobVertex } from '../graph/job-vertex.ts';
import type { MemoryManager } from '../memory/memory-manager.ts';
import type { TaskMetricsSnapshot } from '../metrics/metric-snapshots.ts';
import { TaskIOMetricGroup, type TaskSnapshotExtras } from '../metrics/task-io-metric-group.ts';
import { CheckpointBarrier } from '../types/stream-element.ts';
import type { SubtaskStateSnapshot, TaskRestoreState } from './checkpoint/checkpoint-types.ts';
import type { ExecutionState } from './execution-state.ts';
import type { CheckpointBarrierListener } from './io/checkpoint-barrier-handler.ts';
import { type DefaultActionResult, DONE, MailboxProcessor, MORE } from './mailbox-processor.ts';
import { OperatorChain } from './operators/operator-chain.ts';
import type { RecordWriterOutputFactory } from './operators/record-writer-output.ts';
import type { SourceOperator } from './operators/source-operator.ts';
import {
  SourceInputProcessor,
  type StreamInputProcessor,
} from './operators/stream-input-processor.ts';
import { SystemProcessingTimeService } from './operators/timers/processing-time-service.ts';

/** Options of {@link StreamTask}. */
export interface StreamTaskOptions {
  /**
   * Records one call of the input processor may push into the chain.
   * @defaultValue 1024 (records)
   */
  batchSize: number;
  /**
   * Longest run of batches before the task yields to the worker's event loop (control
   * messages, timers, the other tasks of the slot).
   * @defaultValue 2 (ms)
   */
  timeSliceMs: number;
}

/** Defaults of {@link StreamTaskOptions}. */
export const defaultStreamTaskOptions: StreamTaskOptions = { batchSize: 1024, timeSliceMs: 2 };

/** Schema of {@link StreamTaskOptions} (shared with the cluster options). */
export const StreamTaskOptionsSchema = Type.Object({
  batchSize: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  timeSliceMs: Type.Number({ exclusiveMinimum: 0, maximum: 1000 }),
});

const validateOptions = compileOptions(StreamTaskOptionsSchema, 'StreamTask');

/** An input processor that counts the records it pushed (the network input does). */
export interface CountingInputProcessor extends StreamInputProcessor {
  /** Records pushed into the chain so far (Flink's `numRecordsIn`). */
  readonly numRecordsIn?: number;
  /** Where aligned checkpoint barriers go (network inputs). */
  setCheckpointBarrierListener?(listener: CheckpointBarrierListener): void;
}

/**
 * What a task needs from the worker that runs it (Flink's `Environment`): where its
 * exchanges go, where its input comes from, and the channel to the main thread.
 */
export interface StreamTaskEnvironment extends RecordWriterOutputFactory {
  readonly jobId: string;
  readonly jobName: string;
  /** Restart attempt, 0 for the first run. */
  readonly attemptNumber: number;
  /** This thread's instance of the process's managed memory (keyed state). */
  readonly memoryManager?: MemoryManager | undefined;
  /**
   * The input of a non-source subtask: its input gates, deserialized, feeding
   * `chain.headInput` (the network input processor).
   *
   * @throws when the vertex's inputs cannot be wired
   */
  createInputProcessor(
    vertex: JobVertex,
    subtaskIndex: number,
    chain: OperatorChain,
  ): CountingInputProcessor;
  /** Sends an operator event to the coordinator on the main thread. */
  sendOperatorEvent(nodeId: number, subtaskIndex: number, event: unknown): void;
  /**
   * After `finish()`: resolves once the consumers have taken everything this subtask
   * wrote (its result partitions drained), so that its buffers can be released.
   */
  awaitOutputsConsumed?(vertex: JobVertex, subtaskIndex: number): Promise<void>;
  /** Releases the subtask's network resources (buffer pools, gates); after close. */
  releaseResources?(vertex: JobVertex, subtaskIndex: number): void;
  /** Network figures of the subtask (pool usage, queues, channel credit and backlog). */
  metricsOf?(vertex: JobVertex, subtaskIndex: number): TaskSnapshotExtras;
  /** State this subtask starts from (recovery, savepoint); absent: empty. */
  readonly restoreState?: TaskRestoreState | undefined;
  /**
   * Acknowledges checkpoint `checkpointId` to the coordinator, with the subtask's state
   * (after the asynchronous part completed).
   */
  acknowledgeCheckpoint?(ack: CheckpointAck): void;
  /** Declines checkpoint `checkpointId` (the snapshot or a flush failed). */
  declineCheckpoint?(
    checkpointId: number,
    vertex: JobVertex,
    subtaskIndex: number,
    error: unknown,
  ): void;
}

/** A subtask's acknowledgement of a checkpoint (Flink's `AcknowledgeCheckpoint`). */
export interface CheckpointAck {
  readonly checkpointId: number;
  readonly state: SubtaskStateSnapshot;
  /** Bytes of state in the snapshot. */
  readonly stateSizeBytes: number;
  /** Barrier alignment (ms; 0 for sources and single-channel inputs). */
  readonly alignmentDurationMs: number;
  /** Synchronous part: barrier forwarded and state copied (ms). */
  readonly syncDurationMs: number;
  /** Asynchronous part: flushes (ms). */
  readonly asyncDurationMs: number;
  /** Trigger (coordinator's timestamp) → barrier at this task (ms). */
  readonly startDelayMs: number;
}

/** Receives a task's state changes. */
export type TaskStateListener = (task: StreamTask, state: ExecutionState, error?: unknown) => void;

const NOT_WAITING = 0;
const WAITING_INPUT = 1;
const WAITING_OUTPUT = 2;

/** One subtask on a worker; see the module documentation. */
export class StreamTask {
  readonly vertex: JobVertex;
  readonly subtaskIndex: number;
  readonly attemptNumber: number;
  /** Counters and time accounting (Flink's `TaskIOMetricGroup`). */
  readonly io: TaskIOMetricGroup;
  readonly options: StreamTaskOptions;
  private readonly environment: StreamTaskEnvironment;
  private readonly listener: TaskStateListener;
  private readonly mailbox: MailboxProcessor;
  private chain: OperatorChain | undefined;
  private input: CountingInputProcessor | undefined;
  private state: ExecutionState = 'DEPLOYING';
  private canceled = false;
  private waiting = NOT_WAITING;
  private asyncError: unknown;
  private readonly canceledFuture: Promise<void>;
  private signalCanceled!: () => void;
  /** Last barrier alignment (ms) and trigger-to-barrier delay (ms), for metrics. */
  private lastAlignmentMs = -1;
  private lastStartDelayMs = -1;
  /** Highest checkpoint this task snapshotted (barriers of older ones are ignored). */
  private lastCheckpointId = -1;

  /**
   * @param vertex - the vertex, from this worker's build of the job graph
   * @param subtaskIndex - which parallel subtask (0 ≤ i < parallelism)
   * @param environment - exchanges, input, operator events
   * @param listener - told of every state change (INITIALIZING, RUNNING, terminal)
   * @param options - batch size and time slice
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid options
   */
  constructor(
    vertex: JobVertex,
    subtaskIndex: number,
    environment: StreamTaskEnvironment,
    listener: TaskStateListener,
    options: Partial<StreamTaskOptions> = {},
  ) {
    this.vertex = vertex;
    this.subtaskIndex = subtaskIndex;
    this.attemptNumber = environment.attemptNumber;
    this.environment = environment;
    this.listener = listener;
    this.options = validateOptions({ ...defaultStreamTaskOptions, ...options });
    this.io = new TaskIOMetricGroup({
      jobId: environment.jobId,
      jobName: environment.jobName,
      vertexId: vertex.id,
      taskName: vertex.name,
      subtaskIndex,
    });
    this.mailbox = new MailboxProcessor(() => this.processInput(), {
      timeSliceMs: this.options.timeSliceMs,
    });
    this.canceledFuture = new Promise((resolve) => {
      this.signalCanceled = resolve;
    });
  }

  /** Current state. */
  getState(): ExecutionState {
    return this.state;
  }

  /** `Vertex name (i+1/p)`, as Flink names tasks in logs. */
  get taskNameWithSubtask(): string {
    return `${this.vertex.name} (${this.subtaskIndex + 1}/${this.vertex.parallelism})`;
  }

  /**
   * Runs the subtask to its end; never rejects: the outcome is the final state
   * reported to the listener (and returned).
   *
   * @returns FINISHED, CANCELED or FAILED
   */
  async invoke(): Promise<ExecutionState> {
    if (this.canceled) return this.terminate('CANCELED');
    let opened = false;
    try {
      this.switchState('INITIALIZING');
      const chain = new OperatorChain(this.vertex, {
        jobId: this.environment.jobId,
        subtaskIndex: this.subtaskIndex,
        attemptNumber: this.attemptNumber,
        memoryManager: this.environment.memoryManager,
        // Timers fire as mails between two batches; what they throw fails the task.
        processingTimeService: new SystemProcessingTimeService({
          executor: (action) => this.mailbox.execute(action),
          onError: (error) => this.failAsync(error),
        }),
        createRecordWriterOutput: (edge, index, element) =>
          this.environment.createRecordWriterOutput(edge, index, element),
        sendOperatorEvent: (nodeId, index, event) =>
          this.environment.sendOperatorEvent(nodeId, index, event),
        restoreState: this.environment.restoreState,
      });
      this.chain = chain;
      this.input = this.vertex.isSource()
        ? new SourceInputProcessor(chain.mainOperator as SourceOperator<unknown>)
        : this.environment.createInputProcessor(this.vertex, this.subtaskIndex, chain);
      this.input.setCheckpointBarrierListener?.({
        triggerCheckpointOnBarrier: (barrier, alignmentMs) =>
          this.performCheckpoint(barrier, alignmentMs),
        abortCheckpointOnBarrier: (checkpointId) =>
          this.decline(
            checkpointId,
            new Error(
              `checkpoint ${checkpointId} was overtaken by a newer barrier during alignment`,
            ),
          ),
      });
      opened = true;
      await chain.open();
      if (!this.canceled) {
        this.switchState('RUNNING');
        const ended = await this.mailbox.runMailboxLoop();
        this.endWait();
        if (ended && !this.canceled) {
          await chain.finish();
          // Consumers still read this subtask's buffers: release them only afterwards.
          const consumed = this.environment.awaitOutputsConsumed?.(this.vertex, this.subtaskIndex);
          if (consumed !== undefined) await Promise.race([consumed, this.canceledFuture]);
        }
      }
      opened = false;
      await chain.close();
      this.release();
      return this.terminate(this.canceled ? 'CANCELED' : 'FINISHED');
    } catch (error) {
      if (opened) {
        try {
          await this.chain!.close();
        } catch {
          // The first error is the one reported.
        }
      }
      this.release();
      return this.terminate(this.canceled ? 'CANCELED' : 'FAILED', error);
    }
  }

  /**
   * Cancels the subtask: the mailbox loop stops between two batches (at once when it
   * waits for input or output), the chain is closed without finishing. Idempotent.
   */
  cancel(): void {
    if (this.canceled) return;
    this.canceled = true;
    if (this.state !== 'FINISHED' && this.state !== 'FAILED' && this.state !== 'CANCELED') {
      this.switchState('CANCELING');
    }
    this.mailbox.stop();
    this.signalCanceled();
  }

  /**
   * Starts checkpoint `checkpointId` at this source subtask (the coordinator's
   * trigger): between two batches, the reader's position and the chain's state are
   * snapshotted and barrier `checkpointId` is sent downstream (Flink's
   * `triggerCheckpointAsync`). A task that is not RUNNING declines.
   *
   * @param checkpointId - the checkpoint
   * @param timestampMs - when the coordinator triggered it (epoch ms)
   */
  triggerCheckpoint(checkpointId: number, timestampMs: number): void {
    if (this.state !== 'RUNNING' || this.chain === undefined) {
      this.decline(
        checkpointId,
        new Error(`${this.taskNameWithSubtask} is ${this.state}, not RUNNING`),
      );
      return;
    }
    this.mailbox.execute(() => {
      if (this.state !== 'RUNNING' || this.canceled) {
        this.decline(checkpointId, new Error(`${this.taskNameWithSubtask} is ${this.state}`));
        return;
      }
      this.performCheckpoint(new CheckpointBarrier(checkpointId, timestampMs), 0);
    });
  }

  /**
   * Checkpoint `checkpointId` completed everywhere: the operators are told (a Kafka
   * source commits its offsets), as a mail between two batches.
   *
   * @param checkpointId - the completed checkpoint
   */
  notifyCheckpointComplete(checkpointId: number): void {
    const chain = this.chain;
    if (chain === undefined || this.canceled) return;
    // Not awaited by the mailbox: an offset commit's round trip must not stall processing.
    this.mailbox.execute(() => {
      chain.notifyCheckpointComplete(checkpointId).catch((error) => this.failAsync(error));
    });
  }

  /**
   * Barrier `barrier` reached this task (sources: the trigger; others: aligned on every
   * channel): forward it, snapshot the chain, acknowledge once its flushes are done.
   * Runs between two records.
   */
  private performCheckpoint(barrier: CheckpointBarrier, alignmentMs: number): void {
    const chain = this.chain!;
    const id = barrier.checkpointId;
    if (id <= this.lastCheckpointId) return;
    this.lastCheckpointId = id;
    const start = Date.now();
    this.lastAlignmentMs = alignmentMs;
    this.lastStartDelayMs = Math.max(0, start - barrier.timestamp);
    let snapshot: ReturnType<OperatorChain['snapshotState']>;
    try {
      for (const output of chain.recordWriterOutputs) output.emitCheckpointBarrier?.(barrier);
      snapshot = chain.snapshotState(id);
    } catch (error) {
      this.decline(id, error);
      return;
    }
    const syncEnd = Date.now();
    snapshot.flushed.then(
      () => {
        this.environment.acknowledgeCheckpoint?.({
          checkpointId: id,
          state: {
            vertexId: this.vertex.id,
            subtaskIndex: this.subtaskIndex,
            operators: snapshot.operators,
          },
          stateSizeBytes: snapshot.stateSizeBytes,
          alignmentDurationMs: alignmentMs,
          syncDurationMs: syncEnd - start,
          asyncDurationMs: Date.now() - syncEnd,
          startDelayMs: this.lastStartDelayMs,
        });
      },
      (error: unknown) => this.decline(id, error),
    );
  }

  private decline(checkpointId: number, error: unknown): void {
    this.environment.declineCheckpoint?.(checkpointId, this.vertex, this.subtaskIndex, error);
  }

  /** Whether {@link cancel} was called. */
  isCanceled(): boolean {
    return this.canceled;
  }

  /** The mailbox (to queue control actions such as checkpoint triggers). */
  getMailbox(): MailboxProcessor {
    return this.mailbox;
  }

  /**
   * The subtask's figures since the previous snapshot (time ratios) and since it
   * started (counts).
   *
   * @returns a structured-clone safe snapshot for the main thread
   */
  snapshotMetrics(): TaskMetricsSnapshot {
    const io = this.io;
    const chain = this.chain;
    if (chain !== undefined) {
      let out = 0;
      for (const writer of chain.recordWriterOutputs) out += writer.numRecordsOut;
      io.numRecordsOut = out;
    }
    const input = this.input;
    if (input !== undefined) io.numRecordsIn = input.numRecordsIn ?? 0;
    let extras: TaskSnapshotExtras = {};
    try {
      extras = this.environment.metricsOf?.(this.vertex, this.subtaskIndex) ?? {};
    } catch {
      // Figures of a released network: the counters alone.
    }
    if (this.lastAlignmentMs >= 0) {
      extras = {
        ...extras,
        checkpointAlignmentTime: this.lastAlignmentMs * 1e6,
        checkpointStartDelayNanos: this.lastStartDelayMs * 1e6,
      };
    }
    if (chain !== undefined && this.vertex.isSource()) {
      const source = (chain.mainOperator as SourceOperator<unknown>).snapshotSourceMetrics();
      if (source !== undefined) extras = { ...extras, source };
    }
    return io.snapshot(extras);
  }

  /**
   * Fails the task from outside its loop (a timer callback threw): the error is thrown
   * by a mail, so the loop ends with it between two batches.
   */
  private failAsync(error: unknown): void {
    if (this.asyncError !== undefined) return;
    this.asyncError = error;
    this.mailbox.execute(() => {
      throw error;
    });
  }

  /** The default action: one batch of input, or the future to wait for. */
  private processInput(): DefaultActionResult {
    if (this.waiting !== NOT_WAITING) this.endWait();
    const chain = this.chain!;
    if (!chain.isAvailable()) {
      this.io.markBackPressuredStart();
      this.waiting = WAITING_OUTPUT;
      return chain.getAvailableFuture();
    }
    const input = this.input!;
    const status = input.processInput(this.options.batchSize);
    if (status === 'MORE_AVAILABLE') return MORE;
    if (status === 'END_OF_INPUT') return DONE;
    this.io.markIdleStart();
    this.waiting = WAITING_INPUT;
    return input.getAvailableFuture();
  }

  private endWait(): void {
    if (this.waiting === WAITING_INPUT) this.io.markIdleEnd();
    else if (this.waiting === WAITING_OUTPUT) this.io.markBackPressuredEnd();
    this.waiting = NOT_WAITING;
  }

  private release(): void {
    try {
      this.environment.releaseResources?.(this.vertex, this.subtaskIndex);
    } catch {
      // Releasing is best effort; the main thread reclaims what is left.
    }
  }

  private terminate(state: ExecutionState, error?: unknown): ExecutionState {
    this.endWait();
    this.switchState(state, error);
    return state;
  }

  private switchState(state: ExecutionState, error?: unknown): void {
    this.state = state;
    this.listener(this, state, error);
  }
}
