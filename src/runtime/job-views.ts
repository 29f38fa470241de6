/**
 * Pure functions that turn a job's live state (a {@link JobClient}: status, plan,
 * subtasks with their latest metrics snapshots; a {@link MetricStore}: accumulated
 * times) into the REST API's shapes: Flink's job overview and job details, the
 * back-pressure sample of a vertex and the flow sample of `GET /jobs/{jobid}/flow`.
 *
 * ```
 *  JobClient.plan.json.nodes[v]   ─► vertex (id, name, parallelism, inputs = gates)
 *  JobClient.getSubtasks()[s]     ─► state, timestamps, metrics (TaskMetricsSnapshot)
 *     metrics.channels[{gate g, channel c}] ─► edge nodes[v].inputs[g], c → s
 *  MetricStore.taskTime(…)        ─► accumulated-backpressured/idle/busy-time
 * ```
 *
 * Gate `g` of a subtask is its vertex's input `g` (the runtime builds one input gate
 * per job edge, in the plan's input order) and channel `c` of that gate receives from
 * upstream subtask `c`. Ratios are the snapshot's ms-per-second figures / 1000,
 * clamped to [0, 1]; subtasks that have not reported yet are left out of samples.
 *
 * @remarks Main thread; called by the Dispatcher at request time (not per record).
 * @module
 */
import type { JobPlanNodeJson } from '../graph/json-plan-generator.ts';
import type { TaskMetricsSnapshot } from '../metrics/metric-snapshots.ts';
import type {
  BackPressureSample,
  FlowEdgeSample,
  FlowSample,
  FlowVertexSample,
} from '../server/schemas/flow.ts';
import {
  JOB_STATES,
  type JobDetails,
  type JobOverview,
  type JobPlan,
  type JobVertexDetails,
  EXECUTION_STATES as REST_EXECUTION_STATES,
  type TaskCounts,
  type VertexMetrics,
} from '../server/schemas/jobs.ts';
import {
  type ExecutionState,
  isTerminalExecutionState,
  isTerminalJobStatus,
} from './execution-state.ts';
import type { JobClient, SubtaskInfo } from './job-client.ts';
import type { MetricStore } from './metric-store.ts';

/** A job known to the Dispatcher: its client and when it was submitted (epoch ms). */
export interface JobEntry {
  readonly client: JobClient;
  readonly submittedAtMs: number;
}

function ratio(msPerSecond: number | undefined): number {
  if (msPerSecond === undefined || !(msPerSecond > 0)) return 0;
  return msPerSecond >= 1000 ? 1 : msPerSecond / 1000;
}

function upperCaseCounts(subtasks: readonly SubtaskInfo[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const state of REST_EXECUTION_STATES) counts[state] = 0;
  for (const s of subtasks) counts[s.state] = (counts[s.state] ?? 0) + 1;
  return counts;
}

/**
 * Subtask counts of a job by state, lower case (Flink's `/jobs/overview` `tasks`).
 *
 * @param subtasks - the job's subtasks
 */
export function taskCountsOf(subtasks: readonly SubtaskInfo[]): TaskCounts {
  const upper = upperCaseCounts(subtasks);
  return {
    total: subtasks.length,
    created: upper.CREATED ?? 0,
    scheduled: upper.SCHEDULED ?? 0,
    deploying: upper.DEPLOYING ?? 0,
    running: upper.RUNNING ?? 0,
    finished: upper.FINISHED ?? 0,
    canceling: upper.CANCELING ?? 0,
    canceled: upper.CANCELED ?? 0,
    failed: upper.FAILED ?? 0,
    reconciling: upper.RECONCILING ?? 0,
    initializing: upper.INITIALIZING ?? 0,
  };
}

/** Start, end (-1 while running) and duration of a job. */
function jobTimes(entry: JobEntry, now: number): { start: number; end: number; duration: number } {
  const { client } = entry;
  const timestamps = client.getStatusTimestamps();
  const start = timestamps.CREATED ?? entry.submittedAtMs;
  const status = client.status;
  const end = isTerminalJobStatus(status) ? (timestamps[status] ?? now) : -1;
  return { start, end, duration: (end === -1 ? now : end) - start };
}

/**
 * One job of `GET /jobs/overview` (Flink's `JobDetails`).
 *
 * @param entry - the job
 * @param now - epoch ms of the answer
 */
export function jobOverviewOf(entry: JobEntry, now: number): JobOverview {
  const { client } = entry;
  const subtasks = client.getSubtasks();
  const { start, end, duration } = jobTimes(entry, now);
  let lastModification = start;
  for (const t of Object.values(client.getStatusTimestamps())) {
    if (t !== undefined && t > lastModification) lastModification = t;
  }
  for (const s of subtasks) {
    for (const t of Object.values(s.timestamps)) {
      if (t !== undefined && t > lastModification) lastModification = t;
    }
  }
  return {
    jid: client.jobId,
    name: client.jobName,
    state: client.status,
    'start-time': start,
    'end-time': end,
    duration,
    'last-modification': lastModification,
    tasks: taskCountsOf(subtasks),
  };
}

/** Flink's aggregate state of a vertex (`ExecutionJobVertex.getAggregateJobVertexState`). */
function vertexStateOf(subtasks: readonly SubtaskInfo[], parallelism: number): ExecutionState {
  const count = (state: ExecutionState) => subtasks.filter((s) => s.state === state).length;
  if (count('FAILED') > 0) return 'FAILED';
  if (count('CANCELING') > 0) return 'CANCELING';
  if (count('CANCELED') > 0) return 'CANCELED';
  if (count('RUNNING') > 0) return 'RUNNING';
  const finished = count('FINISHED');
  if (finished > 0) return finished === parallelism ? 'FINISHED' : 'RUNNING';
  if (count('INITIALIZING') > 0) return 'INITIALIZING';
  if (count('DEPLOYING') > 0) return 'DEPLOYING';
  return 'CREATED';
}

function vertexMetricsOf(
  jobId: string,
  vertexId: string,
  subtasks: readonly SubtaskInfo[],
  store: MetricStore,
): VertexMetrics {
  let readBytes = 0;
  let writeBytes = 0;
  let readRecords = 0;
  let writeRecords = 0;
  let backPressured = 0;
  let idle = 0;
  let busy = 0;
  let reported = 0;
  for (const s of subtasks) {
    const m = s.metrics;
    if (m !== undefined) {
      reported++;
      readBytes += m.numBytesIn;
      writeBytes += m.numBytesOut;
      readRecords += m.numRecordsIn;
      writeRecords += m.numRecordsOut;
    }
    const time = store.taskTime(jobId, vertexId, s.subtaskIndex);
    if (time !== undefined) {
      backPressured += time.backPressuredMs;
      idle += time.idleMs;
      busy += time.busyMs;
    }
  }
  const complete = reported === subtasks.length;
  return {
    'read-bytes': readBytes,
    'read-bytes-complete': complete,
    'write-bytes': writeBytes,
    'write-bytes-complete': complete,
    'read-records': readRecords,
    'read-records-complete': complete,
    'write-records': writeRecords,
    'write-records-complete': complete,
    'accumulated-backpressured-time': Math.round(backPressured),
    'accumulated-idle-time': Math.round(idle),
    'accumulated-busy-time': Math.round(busy),
  };
}

function vertexDetailsOf(
  entry: JobEntry,
  node: JobPlanNodeJson,
  subtasks: readonly SubtaskInfo[],
  store: MetricStore,
  now: number,
): JobVertexDetails {
  let start = Number.POSITIVE_INFINITY;
  let end = -1;
  for (const s of subtasks) {
    const t = s.timestamps.DEPLOYING ?? s.timestamps.CREATED;
    if (t !== undefined && t < start) start = t;
    if (isTerminalExecutionState(s.state)) end = Math.max(end, s.timestamps[s.state] ?? now);
  }
  const allEnded = subtasks.length > 0 && subtasks.every((s) => isTerminalExecutionState(s.state));
  const startTime = Number.isFinite(start) ? start : -1;
  const endTime = allEnded ? end : -1;
  return {
    id: node.id,
    name: node.operator,
    maxParallelism: node.max_parallelism,
    parallelism: node.parallelism,
    status: vertexStateOf(subtasks, node.parallelism),
    'start-time': startTime,
    'end-time': endTime,
    duration: startTime === -1 ? -1 : (endTime === -1 ? now : endTime) - startTime,
    tasks: upperCaseCounts(subtasks),
    metrics: vertexMetricsOf(entry.client.jobId, node.id, subtasks, store),
  };
}

/** The plan in the REST schema's shape (Flink's fields only). */
function restPlanOf(client: JobClient): JobPlan {
  const { json } = client.plan;
  return {
    jid: json.jid,
    name: json.name,
    type: json.type,
    nodes: json.nodes.map((n) => ({
      id: n.id,
      parallelism: n.parallelism,
      operator: n.operator,
      operator_strategy: n.operator_strategy,
      description: n.description,
      inputs: n.inputs.map((i) => ({ ...i })),
      optimizer_properties: {},
    })),
  };
}

/**
 * Flink's job details (`JobDetailsInfo`): vertices with aggregated metrics, plan,
 * timestamps and subtask counts.
 *
 * @param entry - the job
 * @param store - accumulated times
 * @param now - epoch ms of the answer
 */
export function jobDetailsOf(entry: JobEntry, store: MetricStore, now: number): JobDetails {
  const { client } = entry;
  const subtasks = client.getSubtasks();
  const { start, end, duration } = jobTimes(entry, now);
  const statusTimestamps = client.getStatusTimestamps();
  const timestamps: Record<string, number> = {};
  for (const state of JOB_STATES) timestamps[state] = statusTimestamps[state as never] ?? 0;
  const nodes = client.plan.json.nodes;
  const vertices = nodes.map((node) =>
    vertexDetailsOf(
      entry,
      node,
      subtasks.filter((s) => s.vertexId === node.id),
      store,
      now,
    ),
  );
  return {
    jid: client.jobId,
    name: client.jobName,
    isStoppable: false,
    state: client.status,
    'job-type': 'STREAMING',
    'start-time': start,
    'end-time': end,
    duration,
    maxParallelism: Math.max(-1, ...nodes.map((n) => n.max_parallelism)),
    now,
    timestamps,
    vertices,
    'status-counts': upperCaseCounts(subtasks),
    plan: restPlanOf(client),
  };
}

/** Latest snapshot of each subtask of a vertex, by subtask index. */
function snapshotsOf(subtasks: readonly SubtaskInfo[], vertexId: string): TaskMetricsSnapshot[] {
  const out: TaskMetricsSnapshot[] = [];
  for (const s of subtasks)
    if (s.vertexId === vertexId && s.metrics !== undefined) out.push(s.metrics);
  return out.sort((a, b) => a.subtaskIndex - b.subtaskIndex);
}

/**
 * The back-pressure figures of one vertex's subtasks.
 *
 * @returns the sample, or `null` before any subtask of the vertex reported
 */
export function backPressureSampleOf(
  client: JobClient,
  vertexId: string,
  endTimestamp: number,
): BackPressureSample | null {
  const snapshots = snapshotsOf(client.getSubtasks(), vertexId);
  if (snapshots.length === 0) return null;
  return {
    endTimestamp,
    subtasks: snapshots.map((m) => ({
      subtask: m.subtaskIndex,
      backPressuredRatio: ratio(m.backPressuredTimeMsPerSecond),
      idleRatio: ratio(m.idleTimeMsPerSecond),
      busyRatio: ratio(m.busyTimeMsPerSecond),
    })),
  };
}

/**
 * The flow-control figures of a job: per vertex the subtasks' ratios and pool usage,
 * per edge every channel's credit, backlog and queued buffers (as the receiving
 * subtask last reported them).
 *
 * @param client - the job
 * @param timestamp - epoch ms of the sample
 */
export function flowSampleOf(client: JobClient, timestamp: number): FlowSample {
  const subtasks = client.getSubtasks();
  const vertices: FlowVertexSample[] = [];
  const edges: FlowEdgeSample[] = [];
  for (const node of client.plan.json.nodes) {
    const snapshots = snapshotsOf(subtasks, node.id);
    vertices.push({
      id: node.id,
      name: node.operator,
      parallelism: node.parallelism,
      subtasks: snapshots.map((m) => ({
        subtask: m.subtaskIndex,
        backPressuredRatio: ratio(m.backPressuredTimeMsPerSecond),
        idleRatio: ratio(m.idleTimeMsPerSecond),
        busyRatio: ratio(m.busyTimeMsPerSecond),
        inPoolUsage: m.inPoolUsage ?? 0,
        outPoolUsage: m.outPoolUsage ?? 0,
      })),
    });
    node.inputs.forEach((input, gate) => {
      const channels: FlowEdgeSample['channels'] = [];
      for (const m of snapshots) {
        for (const c of m.channels ?? []) {
          if (c.gate !== gate) continue;
          channels.push({
            sourceSubtask: c.channel,
            targetSubtask: m.subtaskIndex,
            credit: c.credit,
            backlog: c.backlog,
            queuedBuffers: c.queuedBuffers,
          });
        }
      }
      edges.push({
        source: input.id,
        target: node.id,
        shipStrategy: input.ship_strategy,
        channels,
      });
    });
  }
  return { jid: client.jobId, timestamp, vertices, edges };
}
