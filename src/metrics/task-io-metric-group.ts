/**
 * A subtask's I/O counters and time accounting in plain numbers, turned into a
 * {@link TaskMetricsSnapshot} every few hundred milliseconds (Flink's
 * `TaskIOMetricGroup` with its `TimerGauge`s).
 *
 * The task increments the public counters directly (`io.numRecordsIn++`): no
 * method call, no allocation. Time is accounted by state changes, not per record:
 * the mailbox marks the start and end of idle periods (no input) and the record
 * writer marks the start and end of back-pressured periods (no buffer or credit);
 * busy time is the rest of the window.
 *
 * ```
 *  window (since previous snapshot) ─────────────────────────────►
 *  |  busy  |▒▒ idle ▒▒|  busy  |▓▓▓ back-pressured ▓▓▓|  busy  |
 *  idleTimeMsPerSecond = idle / window × 1000, likewise back-pressured;
 *  busyTimeMsPerSecond = 1000 − idle − back-pressured
 * ```
 *
 * An interval still open at snapshot time is split: the part up to now counts in
 * this window, the rest in the next.
 *
 * @remarks Owned by the task's worker thread; only that thread calls it. The
 * snapshot is sent to the main thread by the runtime (`postMessage`).
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { TaskIdentity, TaskMetricsSnapshot } from './metric-snapshots.ts';

/** Figures the runtime adds to a snapshot (network, watermarks, channels, …). */
export type TaskSnapshotExtras = Omit<
  Partial<TaskMetricsSnapshot>,
  | keyof TaskIdentity
  | 'numRecordsIn'
  | 'numRecordsOut'
  | 'numBytesIn'
  | 'numBytesOut'
  | 'numBuffersOut'
  | 'backPressuredTimeMsPerSecond'
  | 'idleTimeMsPerSecond'
  | 'busyTimeMsPerSecond'
  | 'maxHardBackPressuredTimeMs'
  | 'isBackPressured'
>;

/** Counters and time accounting of one subtask; see the module documentation. */
export class TaskIOMetricGroup {
  /** Records received (increment directly). */
  numRecordsIn = 0;
  /** Records emitted (increment directly). */
  numRecordsOut = 0;
  /** Bytes received from the network (increment directly). */
  numBytesIn = 0;
  /** Bytes emitted to the network (increment directly). */
  numBytesOut = 0;
  /** Network buffers emitted (increment directly). */
  numBuffersOut = 0;

  private readonly identity: TaskIdentity;
  private readonly clock: () => number;
  private windowStartMs: number;
  private idleSinceMs = -1;
  private backPressuredSinceMs = -1;
  private idleMs = 0;
  private backPressuredMs = 0;
  private maxHardBackPressuredMs = 0;

  /**
   * @param identity - job, vertex and subtask of the task (copied into every snapshot)
   * @param clock - monotonic milliseconds (default `performance.now`)
   */
  constructor(identity: TaskIdentity, clock: () => number = () => performance.now()) {
    this.identity = { ...identity };
    this.clock = clock;
    this.windowStartMs = clock();
  }

  /** The task has no input: idle time starts (no-op when already idle). */
  markIdleStart(nowMs: number = this.clock()): void {
    if (this.idleSinceMs < 0) this.idleSinceMs = nowMs;
  }

  /** Input arrived: idle time ends (no-op when not idle). */
  markIdleEnd(nowMs: number = this.clock()): void {
    if (this.idleSinceMs >= 0) {
      this.idleMs += nowMs - this.idleSinceMs;
      this.idleSinceMs = -1;
    }
  }

  /** No output buffer or credit: back-pressured time starts (no-op when already). */
  markBackPressuredStart(nowMs: number = this.clock()): void {
    if (this.backPressuredSinceMs < 0) this.backPressuredSinceMs = nowMs;
  }

  /** Output available again: back-pressured time ends (no-op when not back-pressured). */
  markBackPressuredEnd(nowMs: number = this.clock()): void {
    if (this.backPressuredSinceMs >= 0) {
      const waited = nowMs - this.backPressuredSinceMs;
      this.backPressuredMs += waited;
      if (waited > this.maxHardBackPressuredMs) this.maxHardBackPressuredMs = waited;
      this.backPressuredSinceMs = -1;
    }
  }

  /** Whether the task is waiting for output now (Flink's `isBackPressured`). */
  isBackPressured(): boolean {
    return this.backPressuredSinceMs >= 0;
  }

  /**
   * Closes the current window and returns its figures; counters stay cumulative.
   *
   * @param extras - network, watermark, channel, operator and source figures to include
   * @param nowMs - the clock's current time (default: read it)
   * @returns a snapshot for `MetricsSink.updateTaskSnapshot` (structured-clone safe)
   */
  snapshot(extras: TaskSnapshotExtras = {}, nowMs: number = this.clock()): TaskMetricsSnapshot {
    let idle = this.idleMs;
    let backPressured = this.backPressuredMs;
    let maxHard = this.maxHardBackPressuredMs;
    if (this.idleSinceMs >= 0) {
      idle += nowMs - this.idleSinceMs;
      this.idleSinceMs = nowMs;
    }
    const isBackPressured = this.backPressuredSinceMs >= 0;
    if (isBackPressured) {
      const waited = nowMs - this.backPressuredSinceMs;
      backPressured += waited;
      if (waited > maxHard) maxHard = waited;
      this.backPressuredSinceMs = nowMs;
    }
    const windowMs = nowMs - this.windowStartMs;
    const idlePerSecond = windowMs > 0 ? Math.min(1000, (idle / windowMs) * 1000) : 0;
    const bpPerSecond =
      windowMs > 0 ? Math.min(1000 - idlePerSecond, (backPressured / windowMs) * 1000) : 0;
    this.windowStartMs = nowMs;
    this.idleMs = 0;
    this.backPressuredMs = 0;
    this.maxHardBackPressuredMs = 0;
    return {
      ...extras,
      ...this.identity,
      numRecordsIn: this.numRecordsIn,
      numRecordsOut: this.numRecordsOut,
      numBytesIn: this.numBytesIn,
      numBytesOut: this.numBytesOut,
      numBuffersOut: this.numBuffersOut,
      idleTimeMsPerSecond: idlePerSecond,
      backPressuredTimeMsPerSecond: bpPerSecond,
      busyTimeMsPerSecond: windowMs > 0 ? Math.max(0, 1000 - idlePerSecond - bpPerSecond) : 0,
      maxHardBackPressuredTimeMs: maxHard,
      isBackPressured,
    };
  }
}
