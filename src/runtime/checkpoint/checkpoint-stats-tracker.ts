/**
 * Checkpoint statistics of one job: counts, summaries over recent completed
 * checkpoints, the latest of each kind, a bounded history, and the job-level metric
 * figures. Flink's `CheckpointStatsTracker` (with `CheckpointStatsCounts`,
 * `CompletedCheckpointStatsSummary` and `CheckpointStatsHistory` folded in).
 *
 * ```
 *  coordinator ─ reportPending(n) ─► record n: IN_PROGRESS ──► history (most recent first,
 *              ─ reportAck(n) ×k ─►   acks, state size          ≤ web.checkpoints.history)
 *              ─ reportCompleted(n) ► COMPLETED ─► summary window (last 1,000 completed)
 *              └ reportFailed(n) ───► FAILED       latest.completed / .savepoint / .failed
 *  job master ── reportRestored(n) ─► latest.restored, counts.restored
 *  REST ◄── statistics()  (GET /jobs/{jobid}/checkpoints)   /metrics ◄── jobMetrics()
 * ```
 *
 * Invariants: `counts.total = in_progress + completed + failed`; an id leaves
 * IN_PROGRESS at most once (later reports for it are ignored, as are reports for ids
 * never reported pending); in-progress records are tracked even after they fall out
 * of the history. Percentiles are those of Apache Commons Math's `Percentile` (Flink's
 * histograms): position `q·(n+1)`, linear interpolation, clamped to the extremes.
 *
 * Savepoints count as checkpoints in `counts`, the summaries and the job metrics (as in
 * Flink); `latest.completed` is the latest completed *checkpoint* and
 * `latest.savepoint` the latest savepoint.
 *
 * @remarks Main thread; owned by the job master, fed by its checkpoint coordinator.
 * Every method is O(1) except {@link statistics} (sorts the summary window).
 */
import { Type } from 'typebox';
import { compileOptions } from '../../config/validate.ts';
import type { JobMetricsSnapshot } from '../../metrics/metric-snapshots.ts';
import type {
  CheckpointingStatistics,
  CheckpointStatistics,
} from '../../server/schemas/checkpoints.ts';
import type { SnapshotKind } from './checkpoint-types.ts';

/** Options of {@link CheckpointStatsTracker}. */
export interface CheckpointStatsTrackerOptions {
  /**
   * Checkpoints listed in `history` (`web.checkpoints.history`).
   * @defaultValue 10 checkpoints
   */
  historySize: number;
  /**
   * Completed checkpoints the summaries (min/max/avg/percentiles) are computed over,
   * the most recent ones.
   * @defaultValue 1000 checkpoints
   */
  summaryWindowSize: number;
}

/** Defaults (Flink's `web.checkpoints.history` = 10). */
export const defaultCheckpointStatsTrackerOptions: Readonly<CheckpointStatsTrackerOptions> =
  Object.freeze({ historySize: 10, summaryWindowSize: 1000 });

const validate = compileOptions(
  Type.Object(
    {
      historySize: Type.Integer({ minimum: 0, maximum: 100_000 }),
      summaryWindowSize: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    },
    { additionalProperties: false },
  ),
  'CheckpointStatsTracker',
);

/** What one subtask reports with its acknowledgement. */
export interface SubtaskCheckpointFigures {
  /** Bytes of state the subtask snapshotted. */
  stateSizeBytes: number;
  /** Time the subtask spent aligning barriers (ms); absent for single-input tasks. */
  alignmentDurationMs?: number | undefined;
  /** Epoch ms of the acknowledgement. */
  ackTimestampMs: number;
}

/** The checkpoint figures of {@link JobMetricsSnapshot}. */
export type CheckpointJobMetrics = Pick<
  JobMetricsSnapshot,
  | 'numberOfCompletedCheckpoints'
  | 'numberOfFailedCheckpoints'
  | 'numberOfInProgressCheckpoints'
  | 'lastCheckpointDuration'
  | 'lastCheckpointSize'
>;

/** The mutable record behind one checkpoint's `CheckpointStatistics`. */
type CheckpointRecord = CheckpointStatistics & {
  /** Longest barrier alignment reported by a subtask (ms). */
  maxAlignmentDurationMs: number;
};

interface RestoredRecord {
  id: number;
  restore_timestamp: number;
  is_savepoint: boolean;
  external_path: string;
}

/** A window over the last `capacity` values of a figure. */
class SummaryWindow {
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  add(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.values.length;
    if (this.size < this.values.length) this.size++;
  }

  summary(): CheckpointingStatistics['summary']['state_size'] {
    const n = this.size;
    if (n === 0) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
    const sorted = this.values.slice(0, n).sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i]!;
    return {
      min: sorted[0]!,
      max: sorted[n - 1]!,
      avg: sum / n,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p95: percentile(sorted, 0.95),
      p99: percentile(sorted, 0.99),
      p999: percentile(sorted, 0.999),
    };
  }
}

/**
 * Apache Commons Math `Percentile` (legacy estimation, Flink's histograms): position
 * `q·(n+1)`, linear interpolation between neighbours, clamped to min and max.
 *
 * @param sorted - ascending values, at least one
 * @param q - quantile in (0, 1)
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const position = q * (n + 1);
  if (position < 1) return sorted[0]!;
  if (position >= n) return sorted[n - 1]!;
  const lower = Math.floor(position);
  const below = sorted[lower - 1]!;
  return below + (position - lower) * (sorted[lower]! - below);
}

/** Checkpoint statistics of one job; see the module documentation. */
export class CheckpointStatsTracker {
  /** Validated options. */
  readonly options: Readonly<CheckpointStatsTrackerOptions>;
  private readonly pending = new Map<number, CheckpointRecord>();
  /** Most recent first; at most `historySize`. */
  private readonly history: CheckpointRecord[] = [];
  private readonly stateSizes: SummaryWindow;
  private readonly durations: SummaryWindow;
  private numCompleted = 0;
  private numFailed = 0;
  private numRestored = 0;
  private latestCompleted: CheckpointRecord | undefined;
  private latestSavepoint: CheckpointRecord | undefined;
  private latestFailed: CheckpointRecord | undefined;
  private latestRestored: RestoredRecord | undefined;
  private lastDurationMs: number | undefined;
  private lastSizeBytes: number | undefined;

  /**
   * @param options - `historySize` (`web.checkpoints.history`) and `summaryWindowSize`;
   *   absent or undefined ones take their defaults
   * @throws SLUICE_ERR_CONFIG_INVALID naming the invalid option
   */
  constructor(options: Partial<CheckpointStatsTrackerOptions> = {}) {
    const merged: Record<string, unknown> = { ...defaultCheckpointStatsTrackerOptions };
    for (const [key, value] of Object.entries(options))
      if (value !== undefined) merged[key] = value;
    this.options = Object.freeze(validate(merged));
    this.stateSizes = new SummaryWindow(this.options.summaryWindowSize);
    this.durations = new SummaryWindow(this.options.summaryWindowSize);
  }

  /**
   * A checkpoint was triggered.
   *
   * @param checkpointId - its id (a repeated id is ignored while it is in progress)
   * @param kind - checkpoint or savepoint
   * @param triggerTimestampMs - epoch ms of the trigger
   * @param numSubtasks - subtasks expected to acknowledge
   */
  reportPending(
    checkpointId: number,
    kind: SnapshotKind,
    triggerTimestampMs: number,
    numSubtasks: number,
  ): void {
    if (this.pending.has(checkpointId)) return;
    const record: CheckpointRecord = {
      id: checkpointId,
      status: 'IN_PROGRESS',
      is_savepoint: kind === 'SAVEPOINT',
      checkpoint_type: kind,
      trigger_timestamp: triggerTimestampMs,
      latest_ack_timestamp: -1,
      state_size: 0,
      checkpointed_size: 0,
      end_to_end_duration: 0,
      alignment_buffered: 0,
      num_subtasks: numSubtasks,
      num_acknowledged_subtasks: 0,
      maxAlignmentDurationMs: 0,
    };
    this.pending.set(checkpointId, record);
    this.history.unshift(record);
    if (this.history.length > this.options.historySize)
      this.history.length = this.options.historySize;
  }

  /**
   * A subtask acknowledged a checkpoint in progress (ignored for other ids).
   *
   * @param checkpointId - the checkpoint
   * @param figures - the subtask's state size (bytes), alignment (ms) and ack time (epoch ms)
   */
  reportAck(checkpointId: number, figures: SubtaskCheckpointFigures): void {
    const record = this.pending.get(checkpointId);
    if (record === undefined) return;
    record.num_acknowledged_subtasks++;
    record.state_size += figures.stateSizeBytes;
    record.checkpointed_size = record.state_size;
    if (figures.ackTimestampMs > record.latest_ack_timestamp) {
      record.latest_ack_timestamp = figures.ackTimestampMs;
      record.end_to_end_duration = Math.max(0, figures.ackTimestampMs - record.trigger_timestamp);
    }
    if ((figures.alignmentDurationMs ?? 0) > record.maxAlignmentDurationMs) {
      record.maxAlignmentDurationMs = figures.alignmentDurationMs!;
    }
  }

  /**
   * A checkpoint in progress completed and was written (ignored for other ids).
   *
   * @param checkpointId - the checkpoint
   * @param externalPath - where it was written
   * @param stateSizeBytes - its total state size (bytes)
   * @param completionTimestampMs - epoch ms of completion
   */
  reportCompleted(
    checkpointId: number,
    externalPath: string,
    stateSizeBytes: number,
    completionTimestampMs: number,
  ): void {
    const record = this.pending.get(checkpointId);
    if (record === undefined) return;
    this.pending.delete(checkpointId);
    record.status = 'COMPLETED';
    record.external_path = externalPath;
    record.state_size = stateSizeBytes;
    record.checkpointed_size = stateSizeBytes;
    record.end_to_end_duration = Math.max(0, completionTimestampMs - record.trigger_timestamp);
    if (record.latest_ack_timestamp < 0) record.latest_ack_timestamp = completionTimestampMs;
    this.numCompleted++;
    this.stateSizes.add(stateSizeBytes);
    this.durations.add(record.end_to_end_duration);
    this.lastDurationMs = record.end_to_end_duration;
    this.lastSizeBytes = stateSizeBytes;
    if (record.is_savepoint) this.latestSavepoint = record;
    else this.latestCompleted = record;
  }

  /**
   * A checkpoint in progress failed (declined, timed out, subsumed, storage failure);
   * ignored for other ids.
   *
   * @param checkpointId - the checkpoint
   * @param failureTimestampMs - epoch ms of the failure
   * @param message - why, for `failure_message`
   */
  reportFailed(checkpointId: number, failureTimestampMs: number, message: string): void {
    const record = this.pending.get(checkpointId);
    if (record === undefined) return;
    this.pending.delete(checkpointId);
    record.status = 'FAILED';
    record.failure_timestamp = failureTimestampMs;
    record.failure_message = message;
    record.end_to_end_duration = Math.max(0, failureTimestampMs - record.trigger_timestamp);
    this.numFailed++;
    this.latestFailed = record;
  }

  /**
   * The job restored its state from a checkpoint or savepoint.
   *
   * @param checkpointId - id of the checkpoint restored
   * @param kind - checkpoint or savepoint
   * @param externalPath - its directory
   * @param restoreTimestampMs - epoch ms of the restore
   */
  reportRestored(
    checkpointId: number,
    kind: SnapshotKind,
    externalPath: string,
    restoreTimestampMs: number,
  ): void {
    this.numRestored++;
    this.latestRestored = {
      id: checkpointId,
      restore_timestamp: restoreTimestampMs,
      is_savepoint: kind === 'SAVEPOINT',
      external_path: externalPath,
    };
  }

  /**
   * Longest barrier alignment a subtask reported for a checkpoint still in progress or
   * in the history.
   *
   * @returns ms, or undefined when the id is unknown
   */
  maxAlignmentDurationMs(checkpointId: number): number | undefined {
    const record =
      this.pending.get(checkpointId) ?? this.history.find((r) => r.id === checkpointId);
    return record?.maxAlignmentDurationMs;
  }

  /**
   * The statistics of `GET /jobs/{jobid}/checkpoints` (Flink's `CheckpointingStatistics`).
   *
   * @returns a fresh object (safe to serialize or keep)
   */
  statistics(): CheckpointingStatistics {
    const stateSize = this.stateSizes.summary();
    return {
      counts: {
        restored: this.numRestored,
        total: this.pending.size + this.numCompleted + this.numFailed,
        in_progress: this.pending.size,
        completed: this.numCompleted,
        failed: this.numFailed,
      },
      summary: {
        state_size: stateSize,
        checkpointed_size: { ...stateSize },
        end_to_end_duration: this.durations.summary(),
        alignment_buffered: { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 },
      },
      latest: {
        completed: view(this.latestCompleted),
        savepoint: view(this.latestSavepoint),
        failed: view(this.latestFailed),
        restored: this.latestRestored === undefined ? null : { ...this.latestRestored },
      },
      history: this.history.map((r) => view(r)!),
    };
  }

  /**
   * The checkpoint figures of the job's metrics snapshot (Flink's job-scope gauges).
   *
   * @returns counts, and the duration (ms) and size (bytes) of the last completed one
   */
  jobMetrics(): CheckpointJobMetrics {
    const figures: CheckpointJobMetrics = {
      numberOfCompletedCheckpoints: this.numCompleted,
      numberOfFailedCheckpoints: this.numFailed,
      numberOfInProgressCheckpoints: this.pending.size,
    };
    if (this.lastDurationMs !== undefined) figures.lastCheckpointDuration = this.lastDurationMs;
    if (this.lastSizeBytes !== undefined) figures.lastCheckpointSize = this.lastSizeBytes;
    return figures;
  }
}

/** The schema's view of a record: a copy without the tracker's own fields. */
function view(record: CheckpointRecord | undefined): CheckpointStatistics | null {
  if (record === undefined) return null;
  const { maxAlignmentDurationMs: _, ...statistics } = record;
  return statistics;
}
