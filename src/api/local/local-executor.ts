import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Type } from 'typebox';
import { compileOptions } from '../../config/validate.ts';
import { SluiceError } from '../../errors.ts';
import { ExecutionPlan } from '../../graph/execution-plan.ts';
import { NondeterministicGraphError } from '../../graph/graph-errors.ts';
import type { JobEdge } from '../../graph/job-edge.ts';
import type { JobGraph } from '../../graph/job-graph.ts';
import { MemoryManager } from '../../memory/memory-manager.ts';
import { OperatorChain } from '../../runtime/operators/operator-chain.ts';
import type { SourceOperator } from '../../runtime/operators/source-operator.ts';
import {
  SourceInputProcessor,
  type StreamInputProcessor,
} from '../../runtime/operators/stream-input-processor.ts';
import type { OperatorMetrics } from '../../runtime/operators/stream-operator.ts';
import { SystemProcessingTimeService } from '../../runtime/operators/timers/processing-time-service.ts';
import { LocalInputChannel } from './local-input-channel.ts';
import { LocalInputProcessor } from './local-input-processor.ts';
import { LocalRecordWriterOutput } from './local-record-writer-output.ts';

/** Options of {@link LocalExecutor}. */
export interface LocalExecutorOptions {
  /**
   * Records a task processes per step before the executor turns to the next task.
   * @defaultValue 1024 (records)
   */
  batchSize: number;
  /**
   * Elements an in-memory channel holds before its writer's task is paused (soft).
   * @defaultValue 8192 (elements)
   */
  channelCapacity: number;
  /**
   * Slots available (`taskmanager.numberOfTaskSlots`); unset = as many as the job needs.
   * @defaultValue `undefined`
   */
  numberOfTaskSlots?: number | undefined;
  /**
   * Managed memory for keyed state, shared by every subtask of the run
   * (`taskmanager.memory.managed.size`); reserved only when the job has keyed operators.
   * @defaultValue 134217728 (bytes, 128 MiB)
   */
  managedMemoryBytes: number;
}

/** Defaults of {@link LocalExecutorOptions}. */
export const defaultLocalExecutorOptions: LocalExecutorOptions = {
  batchSize: 1024,
  channelCapacity: 8192,
  managedMemoryBytes: 128 * 1024 * 1024,
};

const validateOptions = compileOptions(
  Type.Object({
    batchSize: Type.Integer({ minimum: 1 }),
    channelCapacity: Type.Integer({ minimum: 1 }),
    numberOfTaskSlots: Type.Optional(Type.Integer({ minimum: 1 })),
    managedMemoryBytes: Type.Integer({ minimum: 0, maximum: 2 ** 32 }),
  }),
  'LocalExecutor',
);

/** What to run. */
export interface LocalExecutionRequest {
  /** The job (the main thread's build: its sinks receive operator events). */
  readonly jobGraph: JobGraph;
  /**
   * The graph whose operator instances run the subtasks of slot `slotIndex` — a fresh
   * build of the job per slot, as each worker builds its own. Unset: every subtask runs
   * the function objects of `jobGraph` (shared between its parallel subtasks).
   */
  readonly graphForSlot?: ((slotIndex: number) => JobGraph) | undefined;
  /** Cancels the job: operators are closed, the result state is `CANCELED`. */
  readonly signal?: AbortSignal | undefined;
}

/** Outcome of a job run (Flink's `JobExecutionResult`). */
export interface JobExecutionResult {
  readonly jobId: string;
  readonly jobName: string;
  /** `FINISHED` when every input ended, `CANCELED` when aborted. */
  readonly state: 'FINISHED' | 'CANCELED';
  /** Wall-clock run time, ms. */
  readonly netRuntimeMs: number;
  /** Records each vertex read from its exchanges, by vertex id (Flink's `read-records`). */
  readonly numRecordsIn: Readonly<Record<string, number>>;
  /** Records each vertex wrote to its exchanges, by vertex id (Flink's `write-records`). */
  readonly numRecordsOut: Readonly<Record<string, number>>;
  /**
   * Figures of the operators that report some (`numLateRecordsDropped`, keyed-state
   * bytes, watermarks), by operator name, taken when the input ended: counts and bytes
   * summed over the subtasks, watermarks the minimum.
   */
  readonly operatorMetrics: Readonly<Record<string, OperatorMetrics>>;
}

interface Subtask {
  readonly vertexId: string;
  readonly chain: OperatorChain;
  readonly input: StreamInputProcessor;
  opened: boolean;
  finished: boolean;
}

/**
 * Runs a job graph in the current thread, every parallel subtask included: the
 * local stand-in for the worker runtime, for tests, examples and the word count.
 *
 * Each subtask is an {@link OperatorChain} fed by a {@link StreamInputProcessor}: a
 * source's reader, or in-memory {@link LocalInputChannel}s for exchanges (written by
 * {@link LocalRecordWriterOutput}s with the edges' partitioners, so keyBy places keys
 * exactly as the network exchange will). The executor steps through the subtasks
 * round robin, a batch each, and yields to the event loop after every round, so timers
 * and I/O (rate-limited sources, async sinks) proceed. A subtask whose outputs are full
 * is skipped until its consumers drained them (backpressure).
 *
 * ```
 *   round: for each live subtask: outputs available? → processInput(batchSize)
 *          END_OF_INPUT → chain.finish() (end of partition downstream)
 *   no progress → await a source's or sink's availability; then yield; repeat
 * ```
 *
 * On the first error the job stops, every chain is closed, and the error is rethrown
 * (user code errors are `SLUICE_ERR_OPERATOR_FUNCTION_FAILED` naming operator and
 * subtask).
 *
 * @remarks Runs on the calling thread; one job per `execute` call.
 */
export class LocalExecutor {
  readonly options: LocalExecutorOptions;

  /** @throws SLUICE_ERR_CONFIG_INVALID for invalid options */
  constructor(options: Partial<LocalExecutorOptions> = {}) {
    this.options = validateOptions({ ...defaultLocalExecutorOptions, ...options });
  }

  /**
   * Runs the job to its end (or until aborted).
   *
   * @param request - the job, per-slot graphs and an abort signal
   * @returns state, run time and record counts
   * @throws SLUICE_ERR_GRAPH_NOT_ENOUGH_SLOTS when `numberOfTaskSlots` is too small
   * @throws SLUICE_ERR_GRAPH_NONDETERMINISTIC when a per-slot build differs from `jobGraph`
   * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when user code throws
   */
  async execute(request: LocalExecutionRequest): Promise<JobExecutionResult> {
    const { jobGraph, signal } = request;
    const started = performance.now();
    const plan = ExecutionPlan.create(jobGraph, {
      numberOfTaskSlots: this.options.numberOfTaskSlots,
    });
    const channels = this.createChannels(jobGraph);
    const subtasks: Subtask[] = [];
    const failure = new ProcessingTimeSignals();
    const keyed = jobGraph.vertices.some((v) => v.chainedNodes.some((n) => n.isKeyed()));
    const memoryManager = keyed
      ? new MemoryManager({ memorySizeBytes: this.options.managedMemoryBytes })
      : undefined;
    try {
      for (const slot of plan.slots) {
        const slotGraph = this.graphOfSlot(request, slot.slotIndex);
        for (const { vertex, subtaskIndex } of slot.subtasks) {
          subtasks.push(
            this.createSubtask(
              jobGraph,
              slotGraph.getVertex(vertex.id)!,
              subtaskIndex,
              channels,
              memoryManager,
              failure,
            ),
          );
        }
      }
      for (const subtask of subtasks) {
        subtask.opened = true;
        await subtask.chain.open();
      }
      const canceled = await this.run(subtasks, signal, failure);
      const operatorMetrics = collectOperatorMetrics(subtasks);
      await closeAll(subtasks, true);
      return {
        jobId: jobGraph.jobId,
        jobName: jobGraph.jobName,
        state: canceled ? 'CANCELED' : 'FINISHED',
        netRuntimeMs: performance.now() - started,
        ...countRecords(subtasks),
        operatorMetrics,
      };
    } catch (error) {
      await closeAll(subtasks, false);
      throw error;
    } finally {
      memoryManager?.releaseAll();
    }
  }

  /** The main loop; returns `true` when aborted. */
  private async run(
    subtasks: Subtask[],
    signal: AbortSignal | undefined,
    failure: ProcessingTimeSignals,
  ): Promise<boolean> {
    const { batchSize } = this.options;
    const aborted =
      signal === undefined
        ? undefined
        : new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => resolve(), { once: true }),
          );
    let live = subtasks.slice();
    while (live.length > 0) {
      failure.check();
      if (signal?.aborted) return true;
      let progressed = false;
      const waits: Promise<void>[] = [];
      for (const subtask of live) {
        if (!subtask.chain.isAvailable()) {
          waits.push(subtask.chain.getAvailableFuture());
          continue;
        }
        const status = subtask.input.processInput(batchSize);
        if (status === 'MORE_AVAILABLE') {
          progressed = true;
        } else if (status === 'END_OF_INPUT') {
          await subtask.chain.finish();
          subtask.finished = true;
          progressed = true;
        } else if (subtask.input instanceof SourceInputProcessor) {
          waits.push(subtask.input.getAvailableFuture());
        }
      }
      live = live.filter((s) => !s.finished);
      if (!progressed && live.length > 0) {
        // In a DAG some task can always move unless every blocked one waits on a source or sink.
        if (waits.length === 0) {
          throw new SluiceError('local executor stalled: no task can make progress and none waits');
        }
        waits.push(failure.promise, failure.nextTimerRun());
        await Promise.race(aborted === undefined ? waits : [...waits, aborted]);
      }
      await yieldToEventLoop();
    }
    failure.check();
    return false;
  }

  private graphOfSlot(request: LocalExecutionRequest, slotIndex: number): JobGraph {
    if (request.graphForSlot === undefined) return request.jobGraph;
    const graph = request.graphForSlot(slotIndex);
    if (graph.fingerprint() !== request.jobGraph.fingerprint()) {
      throw new NondeterministicGraphError(
        `job "${request.jobGraph.jobName}" built a different graph for slot ${slotIndex} than for ` +
          'planning; the job builder must declare the same operators, in the same order, with the ' +
          'same settings on every call (no randomness, time or environment-dependent branches)',
        { details: { slotIndex } },
      );
    }
    return graph;
  }

  /** One channel per (edge, upstream subtask, downstream subtask) pair that exchanges data. */
  private createChannels(jobGraph: JobGraph): Map<string, LocalInputChannel> {
    const channels = new Map<string, LocalInputChannel>();
    for (const edge of jobGraph.getEdges()) {
      for (let target = 0; target < edge.target.parallelism; target++) {
        for (const source of edge.upstreamSubtasksOf(target)) {
          channels.set(
            channelKey(edge, source, target),
            new LocalInputChannel(this.options.channelCapacity),
          );
        }
      }
    }
    return channels;
  }

  private createSubtask(
    mainGraph: JobGraph,
    vertex: JobGraph['vertices'][number],
    subtaskIndex: number,
    channels: Map<string, LocalInputChannel>,
    memoryManager: MemoryManager | undefined,
    failure: ProcessingTimeSignals,
  ): Subtask {
    const chain = new OperatorChain(vertex, {
      jobId: mainGraph.jobId,
      subtaskIndex,
      attemptNumber: 0,
      memoryManager,
      processingTimeService: new SystemProcessingTimeService({
        // After a timer ran (it may have emitted records), the loop must not keep waiting.
        executor: (action) => {
          action();
          failure.timerRan();
        },
        onError: (error) => failure.fail(error),
      }),
      createRecordWriterOutput: (edge, index, element) =>
        new LocalRecordWriterOutput(
          edge.partitioner.copy(),
          edge
            .downstreamSubtasksOf(index)
            .map((target) => channels.get(channelKey(edge, index, target))!),
          element,
          index,
        ),
      sendOperatorEvent: (nodeId, index, event) =>
        mainGraph.streamGraph.getStreamNode(nodeId).sink?.handleOperatorEvent?.(index, event),
    });
    const input: StreamInputProcessor = vertex.isSource()
      ? new SourceInputProcessor(chain.mainOperator as SourceOperator<unknown>)
      : new LocalInputProcessor(
          vertex.inputs.flatMap((edge) =>
            edge
              .upstreamSubtasksOf(subtaskIndex)
              .map((source) => channels.get(channelKey(edge, source, subtaskIndex))!),
          ),
          chain.headInput,
          chain.elementContext,
        );
    return { vertexId: vertex.id, chain, input, opened: false, finished: false };
  }
}

/**
 * What processing-time callbacks (timers, periodic watermarks) tell the run loop, which
 * otherwise only wakes for sources: the first error one threw (the loop checks it every
 * round and wakes on it), and that one ran (it may have emitted records to process).
 */
class ProcessingTimeSignals {
  readonly promise: Promise<void>;
  private error: unknown;
  private failed = false;
  private wake!: () => void;
  private timerRun: Promise<void> | undefined;
  private wakeTimerRun: (() => void) | undefined;

  constructor() {
    this.promise = new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  /** Resolves after the next processing-time callback ran. */
  nextTimerRun(): Promise<void> {
    this.timerRun ??= new Promise<void>((resolve) => {
      this.wakeTimerRun = resolve;
    });
    return this.timerRun;
  }

  timerRan(): void {
    const wake = this.wakeTimerRun;
    this.timerRun = undefined;
    this.wakeTimerRun = undefined;
    wake?.();
  }

  fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.error = error;
    this.wake();
  }

  /** @throws the recorded error, if any */
  check(): void {
    if (this.failed) throw this.error;
  }
}

function collectOperatorMetrics(subtasks: readonly Subtask[]): Record<string, OperatorMetrics> {
  const result: Record<string, Record<string, number>> = {};
  for (const { chain } of subtasks) {
    for (const { operatorName, metrics } of chain.getOperatorMetrics()) {
      const sum = result[operatorName] ?? {};
      result[operatorName] = sum;
      for (const [name, value] of Object.entries(metrics)) {
        if (typeof value !== 'number') continue;
        const known = sum[name];
        sum[name] =
          known === undefined
            ? value
            : name.endsWith('Watermark')
              ? Math.min(known, value)
              : known + value;
      }
    }
  }
  return result as Record<string, OperatorMetrics>;
}

function channelKey(edge: JobEdge, source: number, target: number): string {
  return `${edge.streamEdge.id}/${source}/${target}`;
}

/** Closes every opened chain; rethrows the first close error only after a successful run. */
async function closeAll(subtasks: readonly Subtask[], rethrow: boolean): Promise<void> {
  let firstError: unknown;
  for (const subtask of subtasks) {
    if (!subtask.opened) continue;
    subtask.opened = false;
    try {
      await subtask.chain.close();
    } catch (error) {
      firstError ??= error;
    }
  }
  if (rethrow && firstError !== undefined) throw firstError;
}

function countRecords(
  subtasks: readonly Subtask[],
): Pick<JobExecutionResult, 'numRecordsIn' | 'numRecordsOut'> {
  const numRecordsIn: Record<string, number> = {};
  const numRecordsOut: Record<string, number> = {};
  for (const { vertexId, chain, input } of subtasks) {
    numRecordsIn[vertexId] =
      (numRecordsIn[vertexId] ?? 0) +
      (input instanceof LocalInputProcessor ? input.numRecordsIn : 0);
    let out = 0;
    for (const writer of chain.recordWriterOutputs) out += writer.numRecordsOut;
    numRecordsOut[vertexId] = (numRecordsOut[vertexId] ?? 0) + out;
  }
  return { numRecordsIn, numRecordsOut };
}
