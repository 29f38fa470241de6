/**
 * The runtime of one task slot, inside its worker thread (Flink's `TaskExecutor` with
 * its `Task`s): takes a deployment from the main thread, imports the job module,
 * builds the same graph as the main thread, and runs the subtasks placed in this slot
 * as {@link StreamTask}s on the worker's event loop.
 *
 * ```
 *   deploy ──► import module ──► build graph ──► fingerprint equal? ──► per subtask:
 *              (JOB_MODULE_INVALID)  (GRAPH_*)     (GRAPH_NONDETERMINISTIC)   StreamTask.invoke()
 *   every metricsIntervalMs ──► metrics {tasks, worker}
 *   cancel ──► StreamTask.cancel() on every task (also before they were created)
 * ```
 *
 * A deployment that fails before its tasks exist (bad module, different graph) reports
 * every subtask of the slot FAILED with that error. Each task reports its own states;
 * its terminal report carries its final metrics snapshot, so the main thread has exact
 * final counts even though it terminates the worker right after.
 *
 * The network exchange is reached through a {@link TaskNetworkEnvironment}, created per
 * deployment by the factory given to the constructor (absent when the job has no
 * exchange).
 *
 * @remarks One per worker thread; every method runs on that thread. Corresponds to
 * Flink's `TaskExecutor` (slot side) and `Task`.
 * @module
 */
import { threadId } from 'node:worker_threads';
import type { Logger } from 'pino';
import { Configuration } from '../config/configuration.ts';
import { serializeError } from '../errors.ts';
import type { JobEdge } from '../graph/job-edge.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import type { JobVertex } from '../graph/job-vertex.ts';
import { MemoryManager } from '../memory/memory-manager.ts';
import type { TaskIOMetricGroup, TaskSnapshotExtras } from '../metrics/task-io-metric-group.ts';
import { ThreadRuntimeSampler } from '../metrics/thread-runtime-sampler.ts';
import { NetworkBufferPool } from '../network/network-buffer-pool.ts';
import type { ExecutionState } from './execution-state.ts';
import { buildJobGraph, loadJobDefinition } from './job-module-loader.ts';
import type { SlotNetworkDeployment } from './job-network.ts';
import { createRootLogger, rootLoggerOptionsFrom, taskLogger } from './logging.ts';
import { NetworkEnvironment } from './network-environment.ts';
import type { OperatorChain } from './operators/operator-chain.ts';
import type { RecordWriterOutput } from './operators/record-writer-output.ts';
import type { ElementContext } from './operators/stream-operator.ts';
import {
  type CountingInputProcessor,
  StreamTask,
  type StreamTaskEnvironment,
} from './stream-task.ts';
import {
  type DeployMessage,
  type FromTaskExecutorMessage,
  restoreKey,
  type ToTaskExecutorMessage,
} from './task-executor-protocol.ts';

/** Where a task executor sends its messages (the worker's `parentPort`). */
export interface TaskExecutorPort {
  postMessage(message: FromTaskExecutorMessage): void;
}

/**
 * The network exchange as the tasks of one deployment see it: record writers for
 * outgoing job edges, input processors over input gates, and teardown.
 */
export interface TaskNetworkEnvironment {
  createRecordWriterOutput(
    edge: JobEdge,
    subtaskIndex: number,
    elementContext: ElementContext,
    metrics?: TaskIOMetricGroup,
  ): RecordWriterOutput<unknown>;
  createInputProcessor(
    vertex: JobVertex,
    subtaskIndex: number,
    chain: OperatorChain,
    metrics?: TaskIOMetricGroup,
  ): CountingInputProcessor;
  /** Network figures of a subtask for its metrics snapshot. */
  metricsOf(vertex: JobVertex, subtaskIndex: number): TaskSnapshotExtras;
  /** Resolves once the subtask's result partitions were drained by their consumers. */
  awaitOutputsConsumed(vertex: JobVertex, subtaskIndex: number): Promise<void>;
  /** Releases the subtask's partitions, gates and buffer pools. */
  releaseResources(vertex: JobVertex, subtaskIndex: number): void;
  /** Releases everything left (after every task ended). */
  close(): void;
}

/** Creates the network environment of a deployment (given its `network` handles). */
export type TaskNetworkEnvironmentFactory = (
  deployment: DeployMessage,
  jobGraph: JobGraph,
) => TaskNetworkEnvironment;

/** The exchange of the worker runtime: attaches the process's network buffer pool. */
export const createNetworkEnvironment: TaskNetworkEnvironmentFactory = (deployment, jobGraph) =>
  new NetworkEnvironment(
    NetworkBufferPool.attach(deployment.networkBufferPool),
    deployment.network as SlotNetworkDeployment,
    jobGraph,
  );

/** A network environment for jobs without exchanges: any use is a bug in planning. */
const NO_NETWORK: TaskNetworkEnvironment = {
  createRecordWriterOutput(edge) {
    throw new Error(`no network environment for exchange ${edge.streamEdge}`);
  },
  createInputProcessor(vertex) {
    throw new Error(`no network environment for the inputs of ${vertex}`);
  },
  metricsOf: () => ({}),
  awaitOutputsConsumed: () => Promise.resolve(),
  releaseResources() {},
  close() {},
};

/** Runs the subtasks of one slot; see the module documentation. */
export class TaskExecutor {
  private readonly port: TaskExecutorPort;
  private readonly networkFactory: TaskNetworkEnvironmentFactory;
  private readonly tasks: StreamTask[] = [];
  private deployment: DeployMessage | undefined;
  private network: TaskNetworkEnvironment = NO_NETWORK;
  private canceled = false;
  private metricsTimer: ReturnType<typeof setInterval> | undefined;
  private sampler: ThreadRuntimeSampler | undefined;
  private finished: Promise<void> | undefined;
  private log: Logger | undefined;
  private memoryManager: MemoryManager | undefined;
  private readonly taskLogs = new Map<StreamTask, Logger>();

  /**
   * @param port - where messages to the main thread go
   * @param networkFactory - builds the exchange of a deployment that has one
   */
  constructor(
    port: TaskExecutorPort,
    networkFactory: TaskNetworkEnvironmentFactory = createNetworkEnvironment,
  ) {
    this.port = port;
    this.networkFactory = networkFactory;
  }

  /**
   * Handles a message of the main thread.
   *
   * @param message - deploy or cancel
   */
  handleMessage(message: ToTaskExecutorMessage): void {
    if (message.type === 'deploy') {
      if (this.deployment !== undefined) return; // one deployment per worker
      this.deployment = message;
      this.finished = this.deploy(message);
    } else if (message.type === 'cancel') {
      this.cancel();
    } else if (message.type === 'trigger-checkpoint') {
      for (const task of this.tasks) {
        if (task.vertex.isSource())
          task.triggerCheckpoint(message.checkpointId, message.timestampMs);
      }
    } else if (message.type === 'notify-checkpoint-complete') {
      for (const task of this.tasks) task.notifyCheckpointComplete(message.checkpointId);
    }
  }

  /** Resolves when every task of the deployment reached a terminal state. */
  whenFinished(): Promise<void> {
    return this.finished ?? Promise.resolve();
  }

  /** Cancels every task (and the deployment, if its tasks do not exist yet). */
  cancel(): void {
    this.canceled = true;
    for (const task of this.tasks) task.cancel();
  }

  private async deploy(deployment: DeployMessage): Promise<void> {
    // JSON lines to the main thread, which writes them where (and as) its logger writes.
    const port = this.port;
    this.log = createRootLogger({
      ...rootLoggerOptionsFrom(Configuration.fromJSON(deployment.job.configuration)),
      format: 'json',
      destination: { write: (lines: string) => port.postMessage({ type: 'log', lines }) },
      base: { worker: threadId, slot: deployment.slotIndex },
    });
    this.sampler = new ThreadRuntimeSampler(threadId);
    this.memoryManager = MemoryManager.attach(deployment.memoryManager);
    this.metricsTimer = setInterval(() => this.reportMetrics(), deployment.metricsIntervalMs);
    try {
      let graph: JobGraph;
      try {
        const definition = await loadJobDefinition(deployment.job.moduleUrl);
        graph = buildJobGraph(definition, deployment.job, deployment.jobId, deployment.fingerprint);
        if (deployment.network !== undefined) {
          this.network = this.networkFactory(deployment, graph);
        }
      } catch (error) {
        this.log.warn(
          { err: error, jobId: deployment.jobId, moduleUrl: deployment.job.moduleUrl },
          'deployment failed',
        );
        const state = this.canceled ? 'CANCELED' : 'FAILED';
        for (const { vertexId, subtaskIndex } of deployment.subtasks) {
          this.reportState(vertexId, subtaskIndex, state, error);
        }
        return;
      }
      for (const { vertexId, subtaskIndex } of deployment.subtasks) {
        const vertex = graph.getVertex(vertexId);
        if (vertex === undefined) {
          this.reportState(vertexId, subtaskIndex, 'FAILED', new Error(`no vertex ${vertexId}`));
          continue;
        }
        this.tasks.push(this.createTask(deployment, graph, vertex, subtaskIndex));
      }
      if (this.canceled) for (const task of this.tasks) task.cancel();
      await Promise.all(this.tasks.map((task) => task.invoke()));
    } finally {
      clearInterval(this.metricsTimer);
      this.metricsTimer = undefined;
      try {
        this.network.close();
      } catch {
        // The main thread reclaims what a failed close leaves.
      }
      this.sampler.close();
    }
  }

  private createTask(
    deployment: DeployMessage,
    graph: JobGraph,
    vertex: JobVertex,
    subtaskIndex: number,
  ): StreamTask {
    const network = (): TaskNetworkEnvironment => this.network;
    const port = this.port;
    // The task's counters, for the exchange it creates while it initializes.
    const io = (): TaskIOMetricGroup => task.io;
    const environment: StreamTaskEnvironment = {
      jobId: deployment.jobId,
      jobName: graph.jobName,
      attemptNumber: deployment.attemptNumber,
      memoryManager: this.memoryManager,
      createRecordWriterOutput: (edge, index, element) =>
        network().createRecordWriterOutput(edge, index, element, io()),
      createInputProcessor: (v, index, chain) =>
        network().createInputProcessor(v, index, chain, io()),
      metricsOf: (v, index) => network().metricsOf(v, index),
      awaitOutputsConsumed: (v, index) => network().awaitOutputsConsumed(v, index),
      releaseResources: (v, index) => network().releaseResources(v, index),
      restoreState: deployment.restore?.[restoreKey(vertex.id, subtaskIndex)],
      acknowledgeCheckpoint: (ack) =>
        port.postMessage({
          type: 'acknowledge-checkpoint',
          attemptNumber: deployment.attemptNumber,
          ...ack,
        }),
      declineCheckpoint: (checkpointId, v, index, error) =>
        port.postMessage({
          type: 'decline-checkpoint',
          attemptNumber: deployment.attemptNumber,
          checkpointId,
          vertexId: v.id,
          subtaskIndex: index,
          error: serializeError(error),
        }),
      sendOperatorEvent: (nodeId, index, event) =>
        port.postMessage({
          type: 'operator-event',
          attemptNumber: deployment.attemptNumber,
          nodeId,
          subtaskIndex: index,
          event,
        }),
    };
    const task = new StreamTask(
      vertex,
      subtaskIndex,
      environment,
      (t, state, error) => this.onTaskState(t, state, error),
      deployment.taskOptions,
    );
    this.taskLogs.set(
      task,
      taskLogger(this.log!, {
        jobId: deployment.jobId,
        vertexId: vertex.id,
        subtaskIndex,
        taskName: vertex.name,
      }),
    );
    return task;
  }

  private onTaskState(task: StreamTask, state: ExecutionState, error: unknown): void {
    const terminal = state === 'FINISHED' || state === 'CANCELED' || state === 'FAILED';
    const log = this.taskLogs.get(task);
    if (state === 'FAILED') {
      log?.warn(
        { err: error, attemptNumber: task.attemptNumber },
        `${task.taskNameWithSubtask} switched to FAILED`,
      );
    } else {
      log?.info(
        { attemptNumber: task.attemptNumber },
        `${task.taskNameWithSubtask} switched to ${state}`,
      );
    }
    this.reportState(
      task.vertex.id,
      task.subtaskIndex,
      state,
      error,
      terminal ? task.snapshotMetrics() : undefined,
    );
  }

  private reportState(
    vertexId: string,
    subtaskIndex: number,
    state: ExecutionState,
    error?: unknown,
    metrics?: ReturnType<StreamTask['snapshotMetrics']>,
  ): void {
    this.port.postMessage({
      type: 'task-state',
      vertexId,
      subtaskIndex,
      attemptNumber: this.deployment!.attemptNumber,
      state,
      timestampMs: Date.now(),
      error: state === 'FAILED' ? serializeError(error) : undefined,
      metrics,
    });
  }

  private reportMetrics(): void {
    const sampler = this.sampler;
    if (sampler === undefined) return;
    const tasks = [];
    for (const task of this.tasks) {
      const state = task.getState();
      if (state === 'RUNNING' || state === 'INITIALIZING' || state === 'CANCELING') {
        tasks.push(task.snapshotMetrics());
      }
    }
    this.port.postMessage({
      type: 'metrics',
      attemptNumber: this.deployment!.attemptNumber,
      tasks,
      worker: sampler.sample(),
    });
  }
}
