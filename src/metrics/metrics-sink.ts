/**
 * The small interface through which the runtime feeds the metrics layer.
 *
 * Runtime modules depend on this interface only, never on prom-client:
 * `SluiceMetrics` implements it on the main thread; tests pass
 * {@link NoOpMetricsSink}. Calls happen when a snapshot arrives (every few hundred
 * ms per subtask) or when a job or task ends — never per record.
 *
 * ```
 * worker thread                         main thread
 * TaskIOMetricGroup ──snapshot()──► postMessage ──► MetricsSink.updateTaskSnapshot()
 * (plain numbers)     every N ms                    └─ read by /metrics at scrape time
 * ```
 *
 * @remarks Main thread only.
 * @module
 */
import type {
  JobMetricsSnapshot,
  ManagedMemoryFigures,
  NetworkMemoryFigures,
  TaskMetricsSnapshot,
  WorkerMetricsSnapshot,
} from './metric-snapshots.ts';

/** Receiver of the runtime's periodic figures (Flink's `MetricGroup`s, flattened). */
export interface MetricsSink {
  /** Stores the latest figures of one subtask (replaces the previous snapshot). */
  updateTaskSnapshot(snapshot: TaskMetricsSnapshot): void;
  /** Forgets one subtask's series (the task ended or was redeployed elsewhere). */
  removeTask(jobId: string, vertexId: string, subtaskIndex: number): void;
  /** Stores the latest job-level figures (checkpoints, restarts). */
  updateJobSnapshot(snapshot: JobMetricsSnapshot): void;
  /** Forgets every series of a job (it reached a terminal state). */
  removeJob(jobId: string): void;
  /** Stores the latest figures of one worker thread. */
  updateWorkerSnapshot(snapshot: WorkerMetricsSnapshot): void;
  /** Forgets a worker's series (the worker exited). */
  removeWorker(worker: number | string): void;
  /** Sets the callback read at scrape time for the network buffer pool; `undefined` clears it. */
  setNetworkMemorySource(source: (() => NetworkMemoryFigures) | undefined): void;
  /** Sets the callback read at scrape time for managed memory; `undefined` clears it. */
  setManagedMemorySource(source: (() => ManagedMemoryFigures) | undefined): void;
}

/** A {@link MetricsSink} that drops everything (tests, tools without metrics). */
export class NoOpMetricsSink implements MetricsSink {
  updateTaskSnapshot(_snapshot: TaskMetricsSnapshot): void {}
  removeTask(_jobId: string, _vertexId: string, _subtaskIndex: number): void {}
  updateJobSnapshot(_snapshot: JobMetricsSnapshot): void {}
  removeJob(_jobId: string): void {}
  updateWorkerSnapshot(_snapshot: WorkerMetricsSnapshot): void {}
  removeWorker(_worker: number | string): void {}
  setNetworkMemorySource(_source: (() => NetworkMemoryFigures) | undefined): void {}
  setManagedMemorySource(_source: (() => ManagedMemoryFigures) | undefined): void {}
}
