/**
 * An in-memory {@link Dispatcher} for tests of the REST server, the CLI and the
 * shutdown handler: jobs are records, operations complete when told to (or at
 * once), and every call is recorded.
 *
 * ```ts
 * const dispatcher = new TestingDispatcher();
 * const job = dispatcher.addJob({ name: 'q1', vertices: [{ id: 'src', name: 'Source' }] });
 * await dispatcher.triggerSavepoint(job, { triggerId: 't1' }); // completes at once
 * dispatcher.autoComplete = false;                              // now they stay IN_PROGRESS
 * ```
 */
import { randomBytes } from 'node:crypto';
import type {
  Dispatcher,
  StopWithSavepointRequest,
  SubmitJobRequest,
  TriggerCheckpointRequest,
  TriggerSavepointRequest,
} from '../../src/server/job-controller.ts';
import {
  JobNotFoundError,
  JobNotRunningError,
  TriggerNotFoundError,
  UnknownJobModuleError,
  VertexNotFoundError,
} from '../../src/server/rest-errors.ts';
import type {
  CheckpointingStatistics,
  CheckpointStatistics,
} from '../../src/server/schemas/checkpoints.ts';
import type { ClusterOverview, Readiness } from '../../src/server/schemas/cluster.ts';
import type { BackPressureSample, FlowSample } from '../../src/server/schemas/flow.ts';
import type {
  JobDetails,
  JobOverview,
  JobState,
  JobVertexDetails,
} from '../../src/server/schemas/jobs.ts';
import type { CheckpointStatus, SavepointStatus } from '../../src/server/schemas/savepoints.ts';

/** A vertex of a testing job. */
export interface TestingVertex {
  id: string;
  name: string;
  parallelism?: number;
  /** Upstream vertex ids (plan inputs). */
  inputs?: string[];
}

/** A job held by the {@link TestingDispatcher}. */
export interface TestingJob {
  jid: string;
  name: string;
  state: JobState;
  startTime: number;
  endTime: number;
  vertices: Required<TestingVertex>[];
  args: string[];
  savepointPath: string | undefined;
}

interface Operation {
  kind: 'savepoint' | 'stop' | 'checkpoint';
  status: 'IN_PROGRESS' | 'COMPLETED';
  location?: string;
  checkpointId?: number;
  failure?: { code: string; message: string };
  cancelJob?: boolean;
}

const ZERO_SUMMARY = { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };

/** An in-memory Dispatcher; see the module documentation. */
export class TestingDispatcher implements Dispatcher {
  /** Every call, in order: method name and arguments. */
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** Job names `submitJob` accepts. */
  readonly catalog = new Set<string>(['wordcount', 'nexmark-q1']);
  /** Whether triggered operations complete at once. */
  autoComplete = true;
  /** Readiness answer; computed from the jobs when `undefined`. */
  readinessOverride: Readiness | undefined;
  /** Set by `close()`. */
  closed = false;
  /** Slots reported by `overview()`. */
  slots = 2;

  private readonly jobs = new Map<string, TestingJob>();
  private readonly operations = new Map<string, Operation>();
  private readonly backPressure = new Map<string, BackPressureSample | null>();
  private readonly flows = new Map<string, FlowSample>();
  private readonly history = new Map<string, CheckpointStatistics[]>();
  private nextCheckpointId = 1;
  private clock = 1_700_000_000_000;

  /** A fresh 32-hex-digit id, as Flink's. */
  static newId(): string {
    return randomBytes(16).toString('hex');
  }

  private now(): number {
    this.clock += 1000;
    return this.clock;
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  /**
   * Adds a job.
   * @returns its id
   */
  addJob(job: {
    jid?: string;
    name: string;
    state?: JobState;
    vertices?: TestingVertex[];
  }): string {
    const jid = job.jid ?? TestingDispatcher.newId();
    const vertices = (
      job.vertices ?? [{ id: `${jid.slice(0, 8)}v0`, name: 'Source: datagen' }]
    ).map((v) => ({ parallelism: 1, inputs: [], ...v }));
    this.jobs.set(jid, {
      jid,
      name: job.name,
      state: job.state ?? 'RUNNING',
      startTime: this.now(),
      endTime: -1,
      vertices,
      args: [],
      savepointPath: undefined,
    });
    return jid;
  }

  /** The job record (to assert on its state). */
  job(jobId: string): TestingJob | undefined {
    return this.jobs.get(jobId);
  }

  /** Sets what `vertexBackpressure` returns for a vertex. */
  setBackPressure(jobId: string, vertexId: string, sample: BackPressureSample | null): void {
    this.backPressure.set(`${jobId}/${vertexId}`, sample);
  }

  /** Sets what `flow` returns for a job. */
  setFlow(jobId: string, sample: FlowSample): void {
    this.flows.set(jobId, sample);
  }

  /** Completes an in-progress operation (savepoint location or checkpoint). */
  complete(
    jobId: string,
    triggerId: string,
    location = `/savepoints/savepoint-${triggerId}`,
  ): void {
    const op = this.operations.get(`${jobId}/${triggerId}`);
    if (op === undefined) throw new Error(`no operation ${jobId}/${triggerId}`);
    this.finish(jobId, op, location);
  }

  /** Fails an in-progress operation. */
  fail(jobId: string, triggerId: string, code: string, message: string): void {
    const op = this.operations.get(`${jobId}/${triggerId}`);
    if (op === undefined) throw new Error(`no operation ${jobId}/${triggerId}`);
    op.status = 'COMPLETED';
    op.failure = { code, message };
  }

  private finish(jobId: string, op: Operation, location: string): void {
    op.status = 'COMPLETED';
    const job = this.jobs.get(jobId)!;
    if (op.kind === 'checkpoint') {
      op.checkpointId = this.nextCheckpointId++;
      this.addHistory(jobId, op.checkpointId, false, undefined);
      return;
    }
    op.location = location;
    this.addHistory(jobId, this.nextCheckpointId++, true, location);
    if (op.kind === 'stop') this.setState(job, 'FINISHED');
    if (op.cancelJob) this.setState(job, 'CANCELED');
  }

  private addHistory(
    jobId: string,
    id: number,
    savepoint: boolean,
    path: string | undefined,
  ): void {
    const list = this.history.get(jobId) ?? [];
    const t = this.now();
    const entry: CheckpointStatistics = {
      id,
      status: 'COMPLETED',
      is_savepoint: savepoint,
      checkpoint_type: savepoint ? 'SAVEPOINT' : 'CHECKPOINT',
      trigger_timestamp: t - 200,
      latest_ack_timestamp: t,
      state_size: 4096,
      checkpointed_size: 4096,
      end_to_end_duration: 200,
      alignment_buffered: 0,
      num_subtasks: 2,
      num_acknowledged_subtasks: 2,
    };
    if (path !== undefined) entry.external_path = path;
    list.unshift(entry);
    this.history.set(jobId, list);
  }

  private setState(job: TestingJob, state: JobState): void {
    job.state = state;
    if (['FINISHED', 'CANCELED', 'FAILED'].includes(state)) job.endTime = this.now();
  }

  private getJob(jobId: string): TestingJob {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw JobNotFoundError.of(jobId);
    return job;
  }

  private running(jobId: string, operation: string): TestingJob {
    const job = this.getJob(jobId);
    if (job.state !== 'RUNNING') throw JobNotRunningError.of(jobId, job.state, operation);
    return job;
  }

  private trigger(
    jobId: string,
    kind: Operation['kind'],
    triggerId: string | undefined,
    extra: Partial<Operation> = {},
  ): { triggerId: string } {
    const id = triggerId ?? TestingDispatcher.newId();
    const key = `${jobId}/${id}`;
    if (this.operations.has(key)) return { triggerId: id };
    this.running(jobId, kind === 'checkpoint' ? 'checkpoint' : 'savepoint');
    const op: Operation = { kind, status: 'IN_PROGRESS', ...extra };
    this.operations.set(key, op);
    if (this.autoComplete) this.finish(jobId, op, `/savepoints/savepoint-${id}`);
    return { triggerId: id };
  }

  async overview(): Promise<ClusterOverview> {
    this.record('overview');
    const jobs = [...this.jobs.values()];
    const count = (s: JobState) => jobs.filter((j) => j.state === s).length;
    return {
      taskmanagers: 1,
      'slots-total': this.slots,
      'slots-available': count('RUNNING') > 0 ? 0 : this.slots,
      'jobs-running': count('RUNNING'),
      'jobs-finished': count('FINISHED'),
      'jobs-cancelled': count('CANCELED'),
      'jobs-failed': count('FAILED'),
      version: '0.0.0-test',
    };
  }

  async listJobs(): Promise<JobOverview[]> {
    this.record('listJobs');
    return [...this.jobs.values()].map((j) => {
      const total = j.vertices.reduce((n, v) => n + v.parallelism, 0);
      const running = j.state === 'RUNNING' ? total : 0;
      return {
        jid: j.jid,
        name: j.name,
        state: j.state,
        'start-time': j.startTime,
        'end-time': j.endTime,
        duration: (j.endTime > 0 ? j.endTime : this.clock) - j.startTime,
        'last-modification': j.endTime > 0 ? j.endTime : j.startTime,
        tasks: {
          total,
          created: 0,
          scheduled: 0,
          deploying: 0,
          running,
          finished: j.state === 'FINISHED' ? total : 0,
          canceling: 0,
          canceled: j.state === 'CANCELED' ? total : 0,
          failed: j.state === 'FAILED' ? total : 0,
          reconciling: 0,
          initializing: 0,
        },
      };
    });
  }

  async jobDetails(jobId: string): Promise<JobDetails> {
    this.record('jobDetails', jobId);
    const j = this.getJob(jobId);
    const status =
      j.state === 'RUNNING' ? 'RUNNING' : j.state === 'CANCELED' ? 'CANCELED' : 'FINISHED';
    const vertices: JobVertexDetails[] = j.vertices.map((v) => ({
      id: v.id,
      name: v.name,
      maxParallelism: 128,
      parallelism: v.parallelism,
      status,
      'start-time': j.startTime,
      'end-time': j.endTime,
      duration: 1000,
      tasks: { [status]: v.parallelism },
      metrics: {
        'read-bytes': 100,
        'read-bytes-complete': true,
        'write-bytes': 200,
        'write-bytes-complete': true,
        'read-records': 10,
        'read-records-complete': true,
        'write-records': 20,
        'write-records-complete': true,
        'accumulated-backpressured-time': 5,
        'accumulated-idle-time': 6,
        'accumulated-busy-time': 7,
      },
    }));
    return {
      jid: j.jid,
      name: j.name,
      isStoppable: false,
      state: j.state,
      'job-type': 'STREAMING',
      'start-time': j.startTime,
      'end-time': j.endTime,
      duration: 1000,
      maxParallelism: 128,
      now: this.clock,
      timestamps: { CREATED: j.startTime, RUNNING: j.startTime },
      vertices,
      'status-counts': { [status]: vertices.length },
      plan: {
        jid: j.jid,
        name: j.name,
        type: 'STREAMING',
        nodes: j.vertices.map((v) => ({
          id: v.id,
          parallelism: v.parallelism,
          operator: '',
          operator_strategy: '',
          description: v.name,
          inputs: v.inputs.map((id, num) => ({
            num,
            id,
            ship_strategy: 'HASH',
            exchange: 'pipelined_bounded',
          })),
          optimizer_properties: {},
        })),
      },
    };
  }

  async submitJob(request: SubmitJobRequest): Promise<{ jobId: string }> {
    this.record('submitJob', request);
    if (!this.catalog.has(request.jobName)) {
      throw new UnknownJobModuleError(
        `no job module named ${request.jobName} in the job catalog; known: ${[...this.catalog].join(', ')}`,
        { details: { jobName: request.jobName } },
      );
    }
    const jobId = this.addJob({
      name: request.jobName,
      vertices: [
        { id: TestingDispatcher.newId(), name: 'Source', parallelism: request.parallelism ?? 1 },
      ],
    });
    const job = this.jobs.get(jobId)!;
    job.args = request.args ?? [];
    job.savepointPath = request.savepointPath;
    return { jobId };
  }

  async cancelJob(jobId: string): Promise<void> {
    this.record('cancelJob', jobId);
    this.setState(this.running(jobId, 'cancel'), 'CANCELED');
  }

  async stopWithSavepoint(
    jobId: string,
    request: StopWithSavepointRequest,
  ): Promise<{ triggerId: string }> {
    this.record('stopWithSavepoint', jobId, request);
    return this.trigger(jobId, 'stop', request.triggerId);
  }

  async triggerSavepoint(
    jobId: string,
    request: TriggerSavepointRequest,
  ): Promise<{ triggerId: string }> {
    this.record('triggerSavepoint', jobId, request);
    return this.trigger(jobId, 'savepoint', request.triggerId, {
      cancelJob: request.cancelJob ?? false,
    });
  }

  async savepointStatus(jobId: string, triggerId: string): Promise<SavepointStatus> {
    this.record('savepointStatus', jobId, triggerId);
    this.getJob(jobId);
    const op = this.operations.get(`${jobId}/${triggerId}`);
    if (op === undefined || op.kind === 'checkpoint')
      throw TriggerNotFoundError.of(jobId, triggerId);
    if (op.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' } };
    return {
      status: { id: 'COMPLETED' },
      operation: op.failure ? { 'failure-cause': op.failure } : { location: op.location! },
    };
  }

  async triggerCheckpoint(
    jobId: string,
    request: TriggerCheckpointRequest,
  ): Promise<{ triggerId: string }> {
    this.record('triggerCheckpoint', jobId, request);
    return this.trigger(jobId, 'checkpoint', request.triggerId);
  }

  async checkpointStatus(jobId: string, triggerId: string): Promise<CheckpointStatus> {
    this.record('checkpointStatus', jobId, triggerId);
    this.getJob(jobId);
    const op = this.operations.get(`${jobId}/${triggerId}`);
    if (op === undefined || op.kind !== 'checkpoint')
      throw TriggerNotFoundError.of(jobId, triggerId);
    if (op.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' } };
    return {
      status: { id: 'COMPLETED' },
      operation: op.failure ? { 'failure-cause': op.failure } : { checkpointId: op.checkpointId! },
    };
  }

  async checkpointStats(jobId: string): Promise<CheckpointingStatistics> {
    this.record('checkpointStats', jobId);
    this.getJob(jobId);
    const history = this.history.get(jobId) ?? [];
    const completed = history.filter((h) => !h.is_savepoint);
    const savepoints = history.filter((h) => h.is_savepoint);
    return {
      counts: {
        restored: 0,
        total: history.length,
        in_progress: 0,
        completed: history.length,
        failed: 0,
      },
      summary: {
        state_size: ZERO_SUMMARY,
        checkpointed_size: ZERO_SUMMARY,
        end_to_end_duration: ZERO_SUMMARY,
        alignment_buffered: ZERO_SUMMARY,
      },
      latest: {
        completed: completed[0] ?? null,
        savepoint: savepoints[0] ?? null,
        failed: null,
        restored: null,
      },
      history,
    };
  }

  async vertexBackpressure(jobId: string, vertexId: string): Promise<BackPressureSample | null> {
    this.record('vertexBackpressure', jobId, vertexId);
    const job = this.getJob(jobId);
    const vertex = job.vertices.find((v) => v.id === vertexId);
    if (vertex === undefined) throw VertexNotFoundError.of(jobId, vertexId);
    const key = `${jobId}/${vertexId}`;
    if (this.backPressure.has(key)) return this.backPressure.get(key)!;
    return {
      endTimestamp: this.clock,
      subtasks: Array.from({ length: vertex.parallelism }, (_, subtask) => ({
        subtask,
        backPressuredRatio: 0,
        idleRatio: 1,
        busyRatio: 0,
      })),
    };
  }

  async flow(jobId: string): Promise<FlowSample> {
    this.record('flow', jobId);
    const job = this.getJob(jobId);
    const set = this.flows.get(jobId);
    if (set !== undefined) return set;
    return {
      jid: jobId,
      timestamp: this.clock,
      vertices: job.vertices.map((v) => ({
        id: v.id,
        name: v.name,
        parallelism: v.parallelism,
        subtasks: Array.from({ length: v.parallelism }, (_, subtask) => ({
          subtask,
          backPressuredRatio: 0,
          idleRatio: 1,
          busyRatio: 0,
          inPoolUsage: 0,
          outPoolUsage: 0,
        })),
      })),
      edges: [],
    };
  }

  async readiness(): Promise<Readiness> {
    this.record('readiness');
    if (this.readinessOverride !== undefined) return this.readinessOverride;
    const checks = [...this.jobs.values()]
      .filter((j) => !['FINISHED', 'CANCELED', 'FAILED'].includes(j.state))
      .map((j) => {
        const check: { name: string; ready: boolean; message?: string } = {
          name: `job:${j.jid}`,
          ready: j.state === 'RUNNING',
        };
        if (j.state !== 'RUNNING') check.message = `job is ${j.state}`;
        return check;
      });
    return { ready: checks.every((c) => c.ready), checks };
  }

  async close(): Promise<void> {
    this.record('close');
    this.closed = true;
  }
}
