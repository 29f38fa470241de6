/**
 * The Dispatcher's view of the task figures (Flink's `MetricStore` behind its REST
 * handlers): a {@link MetricsSink} that passes every call on to the process's sink
 * (`SluiceMetrics`, for `/metrics`) and keeps what the REST answers need beyond the
 * latest snapshot: the time each subtask spent back-pressured, idle and busy since it
 * started, and when the last snapshot of each job arrived.
 *
 * ```
 *  JobMaster ─updateTaskSnapshot─► MetricStore ─► SluiceMetrics (/metrics)
 *                                    └ per subtask: accumulated ms += rate × Δt
 * ```
 *
 * A snapshot carries each time figure as ms per second over the last window; the store
 * integrates it over the wall-clock time since the subtask's previous snapshot (the
 * first snapshot counts one metrics interval, `firstWindowMs`). Accumulated times of a
 * subtask survive its end and restarts (Flink's job-details `accumulated-*-time` are
 * totals); they are dropped with the job ({@link forgetJob}).
 *
 * Calls come every metrics interval per subtask, never per record: no hot path here.
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
} from '../metrics/metric-snapshots.ts';
import type { MetricsSink } from '../metrics/metrics-sink.ts';

/** Time a subtask spent in each state since it first reported (ms). */
export interface AccumulatedTaskTime {
  backPressuredMs: number;
  idleMs: number;
  busyMs: number;
  /** `Date.now()` when its last snapshot arrived. */
  lastUpdateMs: number;
}

/** Tee of the runtime's figures; see the module documentation. */
export class MetricStore implements MetricsSink {
  private readonly delegate: MetricsSink;
  private readonly firstWindowMs: number;
  private readonly now: () => number;
  /** jobId → `vertexId#subtask` → accumulated time. */
  private readonly times = new Map<string, Map<string, AccumulatedTaskTime>>();

  /**
   * @param delegate - the sink every call is passed on to
   * @param firstWindowMs - the window a subtask's first snapshot covers (the metrics
   *   interval, ms)
   * @param now - wall clock (ms), replaceable in tests
   */
  constructor(delegate: MetricsSink, firstWindowMs: number, now: () => number = Date.now) {
    this.delegate = delegate;
    this.firstWindowMs = firstWindowMs;
    this.now = now;
  }

  updateTaskSnapshot(snapshot: TaskMetricsSnapshot): void {
    const now = this.now();
    let job = this.times.get(snapshot.jobId);
    if (job === undefined) {
      job = new Map();
      this.times.set(snapshot.jobId, job);
    }
    const key = `${snapshot.vertexId}#${snapshot.subtaskIndex}`;
    let time = job.get(key);
    let windowMs = this.firstWindowMs;
    if (time === undefined) {
      time = { backPressuredMs: 0, idleMs: 0, busyMs: 0, lastUpdateMs: now };
      job.set(key, time);
    } else {
      windowMs = Math.max(0, now - time.lastUpdateMs);
    }
    const seconds = windowMs / 1000;
    time.backPressuredMs += finite(snapshot.backPressuredTimeMsPerSecond) * seconds;
    time.idleMs += finite(snapshot.idleTimeMsPerSecond) * seconds;
    time.busyMs += finite(snapshot.busyTimeMsPerSecond) * seconds;
    time.lastUpdateMs = now;
    this.delegate.updateTaskSnapshot(snapshot);
  }

  /**
   * Accumulated time of one subtask.
   *
   * @returns the figures, or `undefined` before its first snapshot
   */
  taskTime(jobId: string, vertexId: string, subtaskIndex: number): AccumulatedTaskTime | undefined {
    return this.times.get(jobId)?.get(`${vertexId}#${subtaskIndex}`);
  }

  /**
   * When the latest snapshot of any subtask of a job arrived.
   *
   * @returns epoch ms, or `undefined` before the first
   */
  lastUpdateMs(jobId: string): number | undefined {
    const job = this.times.get(jobId);
    if (job === undefined) return undefined;
    let last: number | undefined;
    for (const time of job.values())
      if (last === undefined || time.lastUpdateMs > last) last = time.lastUpdateMs;
    return last;
  }

  /** Drops the accumulated figures of a job (it is no longer listed). */
  forgetJob(jobId: string): void {
    this.times.delete(jobId);
  }

  removeTask(jobId: string, vertexId: string, subtaskIndex: number): void {
    this.delegate.removeTask(jobId, vertexId, subtaskIndex);
  }

  updateJobSnapshot(snapshot: JobMetricsSnapshot): void {
    this.delegate.updateJobSnapshot(snapshot);
  }

  removeJob(jobId: string): void {
    this.delegate.removeJob(jobId);
  }

  updateWorkerSnapshot(snapshot: WorkerMetricsSnapshot): void {
    this.delegate.updateWorkerSnapshot(snapshot);
  }

  removeWorker(worker: number | string): void {
    this.delegate.removeWorker(worker);
  }

  setNetworkMemorySource(source: (() => NetworkMemoryFigures) | undefined): void {
    this.delegate.setNetworkMemorySource(source);
  }

  setManagedMemorySource(source: (() => ManagedMemoryFigures) | undefined): void {
    this.delegate.setManagedMemorySource(source);
  }
}

function finite(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
