import type { RuntimeContext } from '../../api/functions.ts';
import type { JobEdge } from '../../graph/job-edge.ts';
import type { JobVertex } from '../../graph/job-vertex.ts';
import type { StreamNode } from '../../graph/stream-node.ts';
import type { MemoryManager } from '../../memory/memory-manager.ts';
import { computeKeyGroupRangeForOperatorIndex } from '../../types/key-group-range-assignment.ts';
import {
  type OperatorSubtaskState,
  operatorIdOf,
  type TaskRestoreState,
} from '../checkpoint/checkpoint-types.ts';
import { defaultMemoryManager } from '../state/default-memory-manager.ts';
import { ManagedKeyedStateBackend } from '../state/managed-keyed-state-backend.ts';
import { BroadcastingOutputCollector, DISCARDING_OUTPUT } from './broadcasting-output-collector.ts';
import { ChainingOutput } from './chaining-output.ts';
import type { RecordWriterOutput, RecordWriterOutputFactory } from './record-writer-output.ts';
import type { KeyedStateBackend } from './state/keyed-state-backend.ts';
import {
  AVAILABLE,
  type AvailabilityProvider,
  createElementContext,
  type ElementContext,
  isAvailabilityProvider,
  isOneInputOperator,
  type OneInputStreamOperator,
  type OperatorMetrics,
  type Output,
  type StreamOperator,
} from './stream-operator.ts';
import {
  type ProcessingTimeService,
  SystemProcessingTimeService,
} from './timers/processing-time-service.ts';

/** What a chain needs from the task that runs it. */
export interface OperatorChainContext extends RecordWriterOutputFactory {
  /** Id of the job. */
  readonly jobId: string;
  /** Index of the subtask this chain runs. */
  readonly subtaskIndex: number;
  /** Restart attempt, 0 for the first run. */
  readonly attemptNumber: number;
  /**
   * Delivers an operator event to the coordinator of stream node `nodeId` (the
   * main thread's instance of it): a direct call in the local executor, a message
   * to the main thread in the worker runtime.
   */
  sendOperatorEvent(nodeId: number, subtaskIndex: number, event: unknown): void;
  /**
   * Managed memory for keyed state (this thread's instance of the process's
   * `MemoryManager`). Unset: a per-thread default of 128 MiB (`defaultMemoryManager()`).
   */
  readonly memoryManager?: MemoryManager;
  /**
   * The task's clock and timers. The worker runtime passes a
   * `SystemProcessingTimeService` whose executor runs callbacks in the task's mailbox
   * and whose `onError` fails the task. Unset: a system clock whose callback errors are
   * kept in {@link OperatorChain.asyncError}.
   */
  readonly processingTimeService?: ProcessingTimeService;
  /**
   * State to start from (a checkpoint or savepoint, assigned to this subtask): keyed
   * state goes into each keyed operator's backend before the operator registers its
   * states, operator state to `initializeState`.
   */
  readonly restoreState?: TaskRestoreState | undefined;
}

/** The synchronous part of a chain's snapshot, and what is left to wait for. */
export interface ChainSnapshot {
  /** By operator id (operators without state are left out). */
  readonly operators: Record<string, OperatorSubtaskState>;
  /** Bytes of keyed key groups plus operator state as JSON. */
  readonly stateSizeBytes: number;
  /** Resolves once everything before the barrier is durable (sinks flushed). */
  readonly flushed: Promise<void>;
}

/**
 * The operators of one subtask of a {@link JobVertex}, wired as direct calls (Flink's
 * `OperatorChain`): each operator's output is a {@link ChainingOutput} into the next
 * operator, a {@link RecordWriterOutput} into an exchange, or a
 * {@link BroadcastingOutputCollector} over several of those.
 *
 * ```
 *   input ─► head.processElement ─► ChainingOutput ─► op2.processElement ─► RecordWriterOutput ─► exchange
 *                                                      └─► ChainingOutput ─► op3 (a branch)
 * ```
 *
 * Records stay raw values along the chain; their timestamp is the chain's single
 * {@link ElementContext}. The chain allocates nothing per record.
 *
 * Lifecycle (as Flink's): `open` from the tail to the head (a consumer is ready before
 * its producer emits); `finish` from the head to the tail (an operator may emit while
 * finishing, into operators not finished yet), then end of partition on every exchange;
 * `close` all operators, also after a failure.
 *
 * @remarks Built and owned by the task thread of its subtask.
 */
export class OperatorChain implements AvailabilityProvider {
  readonly vertex: JobVertex;
  readonly subtaskIndex: number;
  /** Timestamp of the record travelling through the chain. */
  readonly elementContext: ElementContext = createElementContext();
  /** Operators in chain order, head first. */
  readonly operators: readonly StreamOperator<unknown>[];
  /** Outputs into exchanges, in the order of `vertex.outputs`. */
  readonly recordWriterOutputs: readonly RecordWriterOutput<unknown>[];
  /** Chaining outputs into each non-head operator, by stream node id. */
  readonly chainingOutputs: ReadonlyMap<number, ChainingOutput<unknown>>;
  /** The task's clock and timers (see {@link OperatorChainContext.processingTimeService}). */
  readonly processingTimeService: ProcessingTimeService;
  /** First error a processing-time callback threw (default service only); the task fails with it. */
  asyncError: unknown;
  private readonly availabilityProviders: readonly AvailabilityProvider[];
  private readonly stateBackends: KeyedStateBackend[] = [];
  /** Keyed backends by stream node id (snapshots). */
  private readonly backendsByNode = new Map<number, ManagedKeyedStateBackend>();
  private readonly restoreState: TaskRestoreState | undefined;
  private readonly memoryManager: MemoryManager | undefined;
  private readonly jobId: string;
  private readonly attemptNumber: number;

  /**
   * Instantiates and wires the operators of subtask `context.subtaskIndex` of `vertex`.
   *
   * @param vertex - the job vertex
   * @param context - subtask, record writer factory and operator-event channel
   */
  constructor(vertex: JobVertex, context: OperatorChainContext) {
    this.vertex = vertex;
    this.subtaskIndex = context.subtaskIndex;
    this.memoryManager = context.memoryManager;
    this.jobId = context.jobId;
    this.attemptNumber = context.attemptNumber;
    this.restoreState = context.restoreState;
    this.processingTimeService =
      context.processingTimeService ??
      new SystemProcessingTimeService({
        onError: (error) => {
          this.asyncError ??= error;
        },
      });
    const operators = new Map<number, StreamOperator<unknown>>();
    for (const node of vertex.chainedNodes) operators.set(node.id, node.operatorFactory());

    const writerByEdge = new Map<string, RecordWriterOutput<unknown>>();
    const writers = vertex.outputs.map((edge: JobEdge) => {
      const writer = context.createRecordWriterOutput(edge, this.subtaskIndex, this.elementContext);
      writerByEdge.set(edge.streamEdge.id, writer);
      return writer;
    });
    this.recordWriterOutputs = writers;

    const chained = new Set(vertex.chainedEdges.map((e) => e.id));
    const chainingOutputs = new Map<number, ChainingOutput<unknown>>();
    for (const node of vertex.chainedNodes) {
      const outputsByTag = new Map<string | undefined, Output<unknown>[]>();
      for (const edge of node.outEdges) {
        let output: Output<unknown>;
        if (chained.has(edge.id)) {
          const target = operators.get(edge.targetId)!;
          const chaining = new ChainingOutput(target as OneInputStreamOperator<unknown, unknown>);
          chainingOutputs.set(edge.targetId, chaining);
          output = chaining;
        } else {
          output = writerByEdge.get(edge.id)!;
        }
        const list = outputsByTag.get(edge.outputTag) ?? [];
        list.push(output);
        outputsByTag.set(edge.outputTag, list);
      }
      const sideOutputs = new Map<string, Output<unknown>>();
      for (const [tag, outputs] of outputsByTag) {
        if (tag !== undefined) sideOutputs.set(tag, combineOutputs(outputs));
      }
      operators.get(node.id)!.setup({
        output: combineOutputs(outputsByTag.get(undefined) ?? []),
        runtimeContext: this.runtimeContextOf(node, context),
        elementContext: this.elementContext,
        keyedStateBackend: node.isKeyed() ? this.createStateBackend(node) : undefined,
        operatorEventGateway: {
          sendEventToCoordinator: (event) =>
            context.sendOperatorEvent(node.id, this.subtaskIndex, event),
        },
        sideOutputs,
        processingTimeService: this.processingTimeService,
      });
    }
    this.chainingOutputs = chainingOutputs;
    this.operators = vertex.chainedNodes.map((n) => operators.get(n.id)!);
    const restore = this.restoreState;
    if (restore !== undefined) {
      for (const node of vertex.chainedNodes) {
        const entries = restore.operators[operatorIdOf(node)]?.operatorState;
        if (entries !== undefined && entries.length > 0) {
          operators.get(node.id)!.initializeState?.(entries);
        }
      }
    }
    this.availabilityProviders = [
      ...writers,
      ...this.operators.filter((op) => isAvailabilityProvider(op)),
    ];
  }

  /** The first operator: the source, or the one the input processor feeds. */
  get mainOperator(): StreamOperator<unknown> {
    return this.operators[0]!;
  }

  /**
   * The head as a one-input operator.
   *
   * @throws TypeError when the head is a source
   */
  get headInput(): OneInputStreamOperator<unknown, unknown> {
    const head = this.mainOperator;
    if (!isOneInputOperator(head)) throw new TypeError(`head of ${this.vertex} takes no input`);
    return head;
  }

  /** `true` when every exchange and every sink writer of the chain can take a batch. */
  isAvailable(): boolean {
    const providers = this.availabilityProviders;
    for (let i = 0; i < providers.length; i++) if (!providers[i]!.isAvailable()) return false;
    return true;
  }

  /** Resolves when the first unavailable output may have room again. */
  getAvailableFuture(): Promise<void> {
    for (const provider of this.availabilityProviders) {
      if (!provider.isAvailable()) return provider.getAvailableFuture();
    }
    return AVAILABLE;
  }

  /** Opens the operators, tail first. */
  async open(): Promise<void> {
    for (let i = this.operators.length - 1; i >= 0; i--) await this.operators[i]!.open();
  }

  /**
   * End of input: stops processing-time callbacks (as Flink's quiesce), finishes the
   * operators head first, then ends every exchange.
   */
  async finish(): Promise<void> {
    this.processingTimeService.quiesce();
    for (const operator of this.operators) await operator.finish();
    for (const writer of this.recordWriterOutputs) writer.finish();
  }

  /** Hands partly filled buffers of every exchange to the consumers. */
  flush(): void {
    for (const writer of this.recordWriterOutputs) writer.flush();
  }

  /**
   * Closes every operator and exchange, even when some fail.
   *
   * @throws the first error an operator's close raised, after closing all
   */
  async close(): Promise<void> {
    this.processingTimeService.shutdown();
    let firstError: unknown;
    for (const operator of this.operators) {
      try {
        await operator.close();
      } catch (error) {
        firstError ??= error;
      }
    }
    for (const writer of this.recordWriterOutputs) writer.close();
    for (const backend of this.stateBackends) backend.dispose();
    if (firstError !== undefined) throw firstError;
  }

  /**
   * Snapshots every operator for checkpoint `checkpointId`, synchronously (between two
   * records): keyed state of each keyed operator by key group, operator state of those
   * that have some; then starts their asynchronous parts (sink flushes).
   *
   * @param checkpointId - the checkpoint
   * @returns the state by operator id, its size and the flush future
   * @throws what an operator's `snapshotState` throws (the checkpoint is declined)
   */
  snapshotState(checkpointId: number): ChainSnapshot {
    const result: Record<string, OperatorSubtaskState> = {};
    let size = 0;
    const nodes = this.vertex.chainedNodes;
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      const operator = this.operators[i]!;
      const backend = this.backendsByNode.get(node.id);
      const keyed = backend?.snapshot();
      const operatorState = operator.snapshotState?.(checkpointId);
      if (keyed !== undefined) for (const bytes of keyed.keyGroups.values()) size += bytes.length;
      if (operatorState !== undefined) size += JSON.stringify(operatorState).length;
      if (keyed !== undefined || operatorState !== undefined) {
        result[operatorIdOf(node)] = { keyed, operatorState };
      }
    }
    for (const operator of this.operators) {
      const flush = operator.flushForCheckpoint?.(checkpointId);
      if (flush !== undefined) flushes.push(flush);
    }
    const flushed = flushes.length === 0 ? AVAILABLE : Promise.all(flushes).then(() => {});
    return { operators: result, stateSizeBytes: size, flushed };
  }

  /**
   * Tells every operator that checkpoint `checkpointId` completed.
   *
   * @throws the first error an operator raised, after telling all
   */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    let firstError: unknown;
    for (const operator of this.operators) {
      try {
        await operator.notifyCheckpointComplete?.(checkpointId);
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  /** Figures of every operator that reports some, by operator name (chain order). */
  getOperatorMetrics(): { operatorName: string; metrics: OperatorMetrics }[] {
    const result: { operatorName: string; metrics: OperatorMetrics }[] = [];
    for (const operator of this.operators) {
      const metrics = operator.getMetrics?.();
      if (metrics !== undefined) result.push({ operatorName: operator.operatorName, metrics });
    }
    return result;
  }

  /** Keyed state in managed memory, over this subtask's key groups. */
  private createStateBackend(node: StreamNode): KeyedStateBackend {
    const parallelism = this.vertex.parallelism;
    const backend = new ManagedKeyedStateBackend({
      memoryManager: this.memoryManager ?? defaultMemoryManager(),
      owner: `${this.jobId.slice(0, 16)}/${node.id}/${this.subtaskIndex}/${this.attemptNumber}/state`,
      maxParallelism: node.maxParallelism,
      keyGroupRange: computeKeyGroupRangeForOperatorIndex(
        node.maxParallelism,
        parallelism,
        this.subtaskIndex,
      ),
      description: `operator "${node.name}" (subtask ${this.subtaskIndex + 1}/${parallelism})`,
    });
    const restored = this.restoreState?.operators[operatorIdOf(node)]?.keyed;
    if (restored !== undefined && restored.length > 0) backend.restore(restored);
    this.stateBackends.push(backend);
    this.backendsByNode.set(node.id, backend);
    return backend;
  }

  private runtimeContextOf(node: StreamNode, context: OperatorChainContext): RuntimeContext {
    const vertex = this.vertex;
    return {
      jobId: context.jobId,
      taskName: vertex.name,
      taskNameWithSubtasks: `${vertex.name} (${this.subtaskIndex + 1}/${vertex.parallelism})`,
      operatorName: node.name,
      subtaskIndex: this.subtaskIndex,
      parallelism: vertex.parallelism,
      maxParallelism: node.maxParallelism,
      attemptNumber: context.attemptNumber,
    };
  }
}

/** One output as it is, several as a broadcast, none as a discarding output. */
function combineOutputs(outputs: readonly Output<unknown>[]): Output<unknown> {
  if (outputs.length === 0) return DISCARDING_OUTPUT;
  return outputs.length === 1 ? outputs[0]! : new BroadcastingOutputCollector(outputs);
}
