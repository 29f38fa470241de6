/**
 * The latest snapshot of every series, with cumulative counters kept monotonic and
 * label cardinality capped.
 *
 * Snapshots arrive from the runtime (every few hundred ms per subtask) and replace
 * the previous ones; the metrics layer reads them at scrape time. Counters in a
 * snapshot are cumulative since the subtask started, so a restarted subtask reports
 * smaller numbers: {@link MonotonicCounter} adds the new count to the old total
 * instead, and Prometheus sees one counter that never goes down. A removed task
 * keeps its totals (hidden) until its job is removed, so a restart on the same
 * subtask continues the same counter.
 *
 * Label pairs are rendered (escaped text) once per series, when the series first
 * appears, and reused at every scrape.
 *
 * @remarks Main thread only. No prom-client here.
 * @module
 */
import type {
  ChannelMetricsSnapshot,
  JobMetricsSnapshot,
  KafkaPartitionSnapshot,
  OperatorMetricsSnapshot,
  TaskMetricsSnapshot,
  WorkerMetricsSnapshot,
} from './metric-snapshots.ts';

/**
 * The label pairs of one series, rendered once in Prometheus text format and
 * escaped: `job_id="j1",job_name="q5"` (no braces, so that a child set can append).
 */
export type Labels = string;

/** Escapes a label value for the text format: backslash, double quote, newline. */
function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : value;
}

/**
 * Renders label pairs in the given order.
 *
 * @param labels - label names and values
 * @returns `name="value",…`, escaped
 */
export function renderLabels(labels: Readonly<Record<string, string>>): Labels {
  let out = '';
  for (const [name, value] of Object.entries(labels)) {
    out += `${out === '' ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  }
  return out;
}

/**
 * A counter fed with cumulative readings that may restart from 0.
 *
 * `update(raw)`: a reading at or above the previous one adds the difference; a
 * smaller reading means the source restarted and adds the reading itself.
 */
export class MonotonicCounter {
  /** The exported, never-decreasing total. */
  total = 0;
  private last = 0;

  /** @param raw - the cumulative reading (NaN and negatives are ignored) */
  update(raw: number | undefined): void {
    if (raw === undefined || !(raw >= 0)) return;
    this.total += raw >= this.last ? raw - this.last : raw;
    this.last = raw;
  }

  /** The source restarted: the next reading counts from 0. */
  restart(): void {
    this.last = 0;
  }
}

/** Caps on label cardinality. */
export interface SeriesCaps {
  /** Subtask series, active or kept for a restart. @defaultValue 4096 */
  maxTasks: number;
  /** Input-channel series per subtask. @defaultValue 256 */
  maxChannelsPerTask: number;
  /** Operator series per subtask. @defaultValue 64 */
  maxOperatorsPerTask: number;
  /** Kafka partition series per subtask. @defaultValue 1024 */
  maxPartitionsPerTask: number;
  /** Job series. @defaultValue 256 */
  maxJobs: number;
  /** Thread series. @defaultValue 1025 */
  maxWorkers: number;
}

/** Default {@link SeriesCaps}. */
export const defaultSeriesCaps: Readonly<SeriesCaps> = Object.freeze({
  maxTasks: 4096,
  maxChannelsPerTask: 256,
  maxOperatorsPerTask: 64,
  maxPartitionsPerTask: 1024,
  maxJobs: 256,
  maxWorkers: 1025,
});

/** One chained operator's series. */
export interface OperatorEntry {
  readonly labels: Labels;
  snapshot: OperatorMetricsSnapshot;
  readonly numRecordsIn: MonotonicCounter;
  readonly numRecordsOut: MonotonicCounter;
  readonly numLateRecordsDropped: MonotonicCounter;
}

/** One subtask's series. */
export interface TaskEntry {
  readonly jobId: string;
  readonly labels: Labels;
  snapshot: TaskMetricsSnapshot;
  active: boolean;
  readonly numRecordsIn: MonotonicCounter;
  readonly numRecordsOut: MonotonicCounter;
  readonly numBytesIn: MonotonicCounter;
  readonly numBytesOut: MonotonicCounter;
  readonly numBuffersOut: MonotonicCounter;
  /** Source records in errors (`source.numRecordsInErrors`). */
  readonly numRecordsInErrors: MonotonicCounter;
  /** Channels of the latest snapshot with their labels (capped). */
  channels: { labels: Labels; snapshot: ChannelMetricsSnapshot }[];
  /** Partitions of the latest snapshot with their labels (capped). */
  partitions: { labels: Labels; snapshot: KafkaPartitionSnapshot }[];
  readonly operators: Map<string, OperatorEntry>;
  readonly channelLabels: Map<string, Labels>;
  readonly partitionLabels: Map<string, Labels>;
}

/** One job's series. */
export interface JobEntry {
  readonly labels: Labels;
  snapshot: JobMetricsSnapshot;
  readonly numberOfCompletedCheckpoints: MonotonicCounter;
  readonly numberOfFailedCheckpoints: MonotonicCounter;
  readonly numRestarts: MonotonicCounter;
}

/** One thread's series. */
export interface WorkerEntry {
  readonly labels: Labels;
  snapshot: WorkerMetricsSnapshot;
  readonly gcTimeMs: MonotonicCounter;
  readonly gcCount: MonotonicCounter;
}

/**
 * Latest snapshots by series, read by `SluiceMetrics` at scrape time.
 */
export class MetricSeriesStore {
  readonly tasks = new Map<string, TaskEntry>();
  readonly jobs = new Map<string, JobEntry>();
  readonly workers = new Map<string, WorkerEntry>();
  /** Series dropped by a cap, by label set (`task`, `channel`, …), cumulative. */
  readonly droppedSeries = new Map<string, number>();
  private readonly caps: SeriesCaps;

  /** @param caps - cardinality caps; see {@link defaultSeriesCaps} */
  constructor(caps: Partial<SeriesCaps> = {}) {
    this.caps = { ...defaultSeriesCaps, ...caps };
  }

  private drop(set: string, count = 1): void {
    this.droppedSeries.set(set, (this.droppedSeries.get(set) ?? 0) + count);
  }

  /** Stores a subtask snapshot. @see MetricsSink.updateTaskSnapshot */
  updateTask(snapshot: TaskMetricsSnapshot): void {
    const key = taskKey(snapshot.jobId, snapshot.vertexId, snapshot.subtaskIndex);
    let entry = this.tasks.get(key);
    if (entry === undefined) {
      if (this.tasks.size >= this.caps.maxTasks) {
        this.drop('task');
        return;
      }
      entry = {
        jobId: snapshot.jobId,
        labels: renderLabels({
          job_id: snapshot.jobId,
          job_name: snapshot.jobName,
          task_name: snapshot.taskName,
          vertex_id: snapshot.vertexId,
          subtask_index: String(snapshot.subtaskIndex),
        }),
        snapshot,
        active: true,
        numRecordsIn: new MonotonicCounter(),
        numRecordsOut: new MonotonicCounter(),
        numBytesIn: new MonotonicCounter(),
        numBytesOut: new MonotonicCounter(),
        numBuffersOut: new MonotonicCounter(),
        numRecordsInErrors: new MonotonicCounter(),
        channels: [],
        partitions: [],
        operators: new Map(),
        channelLabels: new Map(),
        partitionLabels: new Map(),
      };
      this.tasks.set(key, entry);
    } else if (!entry.active) {
      entry.active = true;
      for (const c of [
        entry.numRecordsIn,
        entry.numRecordsOut,
        entry.numBytesIn,
        entry.numBytesOut,
        entry.numBuffersOut,
        entry.numRecordsInErrors,
      ])
        c.restart();
      for (const op of entry.operators.values()) {
        op.numRecordsIn.restart();
        op.numRecordsOut.restart();
        op.numLateRecordsDropped.restart();
      }
    }
    entry.snapshot = snapshot;
    entry.numRecordsIn.update(snapshot.numRecordsIn);
    entry.numRecordsOut.update(snapshot.numRecordsOut);
    entry.numBytesIn.update(snapshot.numBytesIn);
    entry.numBytesOut.update(snapshot.numBytesOut);
    entry.numBuffersOut.update(snapshot.numBuffersOut);
    entry.numRecordsInErrors.update(snapshot.source?.numRecordsInErrors ?? 0);
    this.updateChannels(entry, snapshot.channels ?? []);
    this.updateOperators(entry, snapshot.operators ?? []);
    this.updatePartitions(entry, snapshot.source?.partitions ?? []);
  }

  private updateChannels(entry: TaskEntry, channels: readonly ChannelMetricsSnapshot[]): void {
    const max = this.caps.maxChannelsPerTask;
    if (channels.length > max) this.drop('channel', channels.length - max);
    const kept = channels.length > max ? channels.slice(0, max) : channels;
    if (entry.channelLabels.size > 4 * max) entry.channelLabels.clear();
    entry.channels = kept.map((c) => {
      const k = `${c.gate}/${c.channel}`;
      let labels = entry.channelLabels.get(k);
      if (labels === undefined) {
        labels = `${entry.labels},${renderLabels({ gate: String(c.gate), channel: String(c.channel) })}`;
        entry.channelLabels.set(k, labels);
      }
      return { labels, snapshot: c };
    });
  }

  private updateOperators(entry: TaskEntry, operators: readonly OperatorMetricsSnapshot[]): void {
    for (const op of operators) {
      let o = entry.operators.get(op.operatorName);
      if (o === undefined) {
        if (entry.operators.size >= this.caps.maxOperatorsPerTask) {
          this.drop('operator');
          continue;
        }
        o = {
          labels: `${entry.labels},${renderLabels({ operator_name: op.operatorName })}`,
          snapshot: op,
          numRecordsIn: new MonotonicCounter(),
          numRecordsOut: new MonotonicCounter(),
          numLateRecordsDropped: new MonotonicCounter(),
        };
        entry.operators.set(op.operatorName, o);
      }
      o.snapshot = op;
      o.numRecordsIn.update(op.numRecordsIn);
      o.numRecordsOut.update(op.numRecordsOut);
      o.numLateRecordsDropped.update(op.numLateRecordsDropped);
    }
  }

  private updatePartitions(entry: TaskEntry, partitions: readonly KafkaPartitionSnapshot[]): void {
    const max = this.caps.maxPartitionsPerTask;
    if (partitions.length > max) this.drop('partition', partitions.length - max);
    const kept = partitions.length > max ? partitions.slice(0, max) : partitions;
    if (entry.partitionLabels.size > 4 * max) entry.partitionLabels.clear();
    entry.partitions = kept.map((p) => {
      const k = `${p.topic}/${p.partition}`;
      let labels = entry.partitionLabels.get(k);
      if (labels === undefined) {
        labels = `${entry.labels},${renderLabels({ topic: p.topic, partition: String(p.partition) })}`;
        entry.partitionLabels.set(k, labels);
      }
      return { labels, snapshot: p };
    });
  }

  /** Hides a subtask's series, keeping its totals for a restart. */
  removeTask(jobId: string, vertexId: string, subtaskIndex: number): void {
    const entry = this.tasks.get(taskKey(jobId, vertexId, subtaskIndex));
    if (entry !== undefined) entry.active = false;
  }

  /** Stores job-level figures. */
  updateJob(snapshot: JobMetricsSnapshot): void {
    let entry = this.jobs.get(snapshot.jobId);
    if (entry === undefined) {
      if (this.jobs.size >= this.caps.maxJobs) {
        this.drop('job');
        return;
      }
      entry = {
        labels: renderLabels({ job_id: snapshot.jobId, job_name: snapshot.jobName }),
        snapshot,
        numberOfCompletedCheckpoints: new MonotonicCounter(),
        numberOfFailedCheckpoints: new MonotonicCounter(),
        numRestarts: new MonotonicCounter(),
      };
      this.jobs.set(snapshot.jobId, entry);
    }
    entry.snapshot = snapshot;
    entry.numberOfCompletedCheckpoints.update(snapshot.numberOfCompletedCheckpoints);
    entry.numberOfFailedCheckpoints.update(snapshot.numberOfFailedCheckpoints);
    entry.numRestarts.update(snapshot.numRestarts);
  }

  /** Forgets every series of a job, task series included. */
  removeJob(jobId: string): void {
    this.jobs.delete(jobId);
    for (const [key, entry] of this.tasks) if (entry.jobId === jobId) this.tasks.delete(key);
  }

  /** Stores a thread's figures. */
  updateWorker(snapshot: WorkerMetricsSnapshot): void {
    const key = String(snapshot.worker);
    let entry = this.workers.get(key);
    if (entry === undefined) {
      if (this.workers.size >= this.caps.maxWorkers) {
        this.drop('worker');
        return;
      }
      entry = {
        labels: renderLabels({ worker: key }),
        snapshot,
        gcTimeMs: new MonotonicCounter(),
        gcCount: new MonotonicCounter(),
      };
      this.workers.set(key, entry);
    }
    entry.snapshot = snapshot;
    entry.gcTimeMs.update(snapshot.gcTimeMs);
    entry.gcCount.update(snapshot.gcCount);
  }

  /** Forgets a thread's series. */
  removeWorker(worker: number | string): void {
    this.workers.delete(String(worker));
  }
}

function taskKey(jobId: string, vertexId: string, subtaskIndex: number): string {
  return `${jobId}\u0000${vertexId}\u0000${subtaskIndex}`;
}
