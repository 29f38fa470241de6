/**
 * Sluice's Prometheus exposition: every family of the catalogue, rendered from the
 * latest runtime snapshots at scrape time, plus prom-client's process collectors.
 *
 * Mechanism: the runtime calls the {@link MetricsSink} methods when snapshots arrive
 * (every few hundred ms per subtask); they only store the object
 * ({@link MetricSeriesStore}). When `/metrics` is scraped, each family's reader walks
 * the stored snapshots and writes `name{labels} value` lines. Label pairs are
 * rendered and escaped once per series, when it first appears, so a scrape is a
 * walk and a string concatenation: O(series) on the main thread, nothing on the
 * workers. (prom-client's own Gauge/Counter objects re-hash and re-escape every
 * label set at every scrape: about 10x slower, measured at 1,600 series.)
 *
 * prom-client still provides the {@link SluiceMetrics.registry} with its default
 * process metrics (`sluice_process_*`, `sluice_nodejs_*`), appended to the text.
 * Network and managed memory are read through callbacks at scrape time; the main
 * thread's own event loop and GC are sampled per scrape, the workers' arrive as
 * {@link WorkerMetricsSnapshot}s.
 *
 * Only `src/metrics/` imports prom-client.
 *
 * @remarks Main thread only. Corresponds to Flink's `MetricRegistryImpl` together
 * with its `PrometheusReporter`.
 * @module
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Type } from 'typebox';
import { compileOptions } from '../config/validate.ts';
import { METRIC_FAMILIES, type MetricFamilySpec } from './metric-catalogue.ts';
import {
  defaultSeriesCaps,
  type Labels,
  MetricSeriesStore,
  renderLabels,
  type SeriesCaps,
} from './metric-series-store.ts';
import type {
  JobMetricsSnapshot,
  ManagedMemoryFigures,
  NetworkMemoryFigures,
  TaskMetricsSnapshot,
  WorkerMetricsSnapshot,
} from './metric-snapshots.ts';
import type { MetricsSink } from './metrics-sink.ts';
import { ThreadRuntimeSampler } from './thread-runtime-sampler.ts';

/** Options of {@link SluiceMetrics}. */
export interface SluiceMetricsOptions extends SeriesCaps {
  /**
   * Include prom-client's default process metrics, prefixed `sluice_`.
   * @defaultValue true
   */
  collectDefaultMetrics: boolean;
  /**
   * Sample the main thread's event loop and GC as `worker="main"`.
   * @defaultValue true
   */
  sampleMainThread: boolean;
}

/** Default {@link SluiceMetricsOptions}. */
export const defaultSluiceMetricsOptions: Readonly<SluiceMetricsOptions> = Object.freeze({
  ...defaultSeriesCaps,
  collectDefaultMetrics: true,
  sampleMainThread: true,
});

const Cap = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const validateOptions = compileOptions(
  Type.Object({
    maxTasks: Cap,
    maxChannelsPerTask: Cap,
    maxOperatorsPerTask: Cap,
    maxPartitionsPerTask: Cap,
    maxJobs: Cap,
    maxWorkers: Cap,
    collectDefaultMetrics: Type.Boolean(),
    sampleMainThread: Type.Boolean(),
  }),
  'SluiceMetrics',
);

/** Emits one sample; `undefined` and non-finite values are skipped. */
type Emit = (labels: Labels | undefined, value: number | undefined) => void;
type Reader = (store: SluiceMetrics, emit: Emit) => void;

/** A catalogue family ready to render. */
interface CompiledFamily {
  readonly name: string;
  /** `# HELP` and `# TYPE` lines. */
  readonly header: string;
  readonly counter: boolean;
  readonly reader: Reader;
}

const taskGauge =
  (read: (s: TaskMetricsSnapshot) => number | boolean | undefined): Reader =>
  (m, emit) => {
    for (const t of m.store.tasks.values()) {
      if (!t.active) continue;
      const v = read(t.snapshot);
      emit(t.labels, typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
  };

type TaskCounterField =
  | 'numRecordsIn'
  | 'numRecordsOut'
  | 'numBytesIn'
  | 'numBytesOut'
  | 'numBuffersOut'
  | 'numRecordsInErrors';
const taskCounter =
  (field: TaskCounterField): Reader =>
  (m, emit) => {
    for (const t of m.store.tasks.values()) if (t.active) emit(t.labels, t[field].total);
  };

const jobGauge =
  (read: (s: JobMetricsSnapshot) => number | undefined): Reader =>
  (m, emit) => {
    for (const j of m.store.jobs.values()) emit(j.labels, read(j.snapshot));
  };

const processGauge =
  (read: (m: SluiceMetrics) => number | undefined): Reader =>
  (m, emit) =>
    emit(undefined, read(m));

/** How each family of the catalogue is read from the store. */
const READERS: Readonly<Record<string, Reader>> = {
  sluice_task_numRecordsIn_total: taskCounter('numRecordsIn'),
  sluice_task_numRecordsOut_total: taskCounter('numRecordsOut'),
  sluice_task_numBytesIn_total: taskCounter('numBytesIn'),
  sluice_task_numBytesOut_total: taskCounter('numBytesOut'),
  sluice_task_numBuffersOut_total: taskCounter('numBuffersOut'),
  sluice_task_backPressuredTimeMsPerSecond: taskGauge((s) => s.backPressuredTimeMsPerSecond),
  sluice_task_idleTimeMsPerSecond: taskGauge((s) => s.idleTimeMsPerSecond),
  sluice_task_busyTimeMsPerSecond: taskGauge((s) => s.busyTimeMsPerSecond),
  sluice_task_maxHardBackPressuredTimeMs: taskGauge((s) => s.maxHardBackPressuredTimeMs),
  sluice_task_isBackPressured: taskGauge((s) => s.isBackPressured),
  sluice_task_buffers_inPoolUsage: taskGauge((s) => s.inPoolUsage),
  sluice_task_buffers_outPoolUsage: taskGauge((s) => s.outPoolUsage),
  sluice_task_buffers_inputExclusiveBuffersUsage: taskGauge((s) => s.inputExclusiveBuffersUsage),
  sluice_task_buffers_inputFloatingBuffersUsage: taskGauge((s) => s.inputFloatingBuffersUsage),
  sluice_task_buffers_inputQueueLength: taskGauge((s) => s.inputQueueLength),
  sluice_task_buffers_outputQueueLength: taskGauge((s) => s.outputQueueLength),
  sluice_task_buffers_inputQueueSize: taskGauge((s) => s.inputQueueSize),
  sluice_task_buffers_outputQueueSize: taskGauge((s) => s.outputQueueSize),
  sluice_task_currentInputWatermark: taskGauge((s) => s.currentInputWatermark),
  sluice_task_currentOutputWatermark: taskGauge((s) => s.currentOutputWatermark),
  sluice_task_watermarkLag: (m, emit) => {
    const now = m.clock();
    for (const t of m.store.tasks.values()) {
      const wm = t.snapshot.currentOutputWatermark;
      if (t.active && wm !== undefined) emit(t.labels, Math.max(0, now - wm));
    }
  },
  sluice_task_checkpointAlignmentTime: taskGauge((s) => s.checkpointAlignmentTime),
  sluice_task_checkpointStartDelayNanos: taskGauge((s) => s.checkpointStartDelayNanos),
  sluice_task_channel_credit: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active) for (const c of t.channels) emit(c.labels, c.snapshot.credit);
  },
  sluice_task_channel_backlog: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active) for (const c of t.channels) emit(c.labels, c.snapshot.backlog);
  },
  sluice_task_channel_queuedBuffers: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active) for (const c of t.channels) emit(c.labels, c.snapshot.queuedBuffers);
  },
  sluice_task_operator_numRecordsIn_total: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active) for (const o of t.operators.values()) emit(o.labels, o.numRecordsIn.total);
  },
  sluice_task_operator_numRecordsOut_total: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active) for (const o of t.operators.values()) emit(o.labels, o.numRecordsOut.total);
  },
  sluice_task_operator_numLateRecordsDropped_total: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active)
        for (const o of t.operators.values()) emit(o.labels, o.numLateRecordsDropped.total);
  },
  sluice_task_operator_currentInputWatermark: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active)
        for (const o of t.operators.values()) emit(o.labels, o.snapshot.currentInputWatermark);
  },
  sluice_task_operator_currentOutputWatermark: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active)
        for (const o of t.operators.values()) emit(o.labels, o.snapshot.currentOutputWatermark);
  },
  sluice_source_currentEmitEventTimeLag: taskGauge((s) => s.source?.currentEmitEventTimeLag),
  sluice_source_watermarkLag: taskGauge((s) => s.source?.watermarkLag),
  sluice_source_sourceIdleTime: taskGauge((s) => s.source?.sourceIdleTime),
  sluice_source_pendingRecords: taskGauge((s) => s.source?.pendingRecords),
  sluice_source_numRecordsInErrors_total: taskCounter('numRecordsInErrors'),
  sluice_kafka_consumer_records_lag: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active) for (const p of t.partitions) emit(p.labels, p.snapshot.lag);
  },
  sluice_kafka_consumer_records_lag_max: (m, emit) => {
    for (const t of m.store.tasks.values()) {
      if (!t.active || t.partitions.length === 0) continue;
      let max = 0;
      for (const p of t.partitions) if (p.snapshot.lag > max) max = p.snapshot.lag;
      emit(t.labels, max);
    }
  },
  sluice_kafka_consumer_currentOffset: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active) for (const p of t.partitions) emit(p.labels, p.snapshot.currentOffset);
  },
  sluice_kafka_consumer_committedOffset: (m, emit) => {
    for (const t of m.store.tasks.values())
      if (t.active) for (const p of t.partitions) emit(p.labels, p.snapshot.committedOffset);
  },
  sluice_job_numberOfCompletedCheckpoints_total: (m, emit) => {
    for (const j of m.store.jobs.values()) emit(j.labels, j.numberOfCompletedCheckpoints.total);
  },
  sluice_job_numberOfFailedCheckpoints_total: (m, emit) => {
    for (const j of m.store.jobs.values()) emit(j.labels, j.numberOfFailedCheckpoints.total);
  },
  sluice_job_numberOfInProgressCheckpoints: jobGauge((s) => s.numberOfInProgressCheckpoints),
  sluice_job_lastCheckpointDuration: jobGauge((s) => s.lastCheckpointDuration),
  sluice_job_lastCheckpointSize: jobGauge((s) => s.lastCheckpointSize),
  sluice_job_edge_info: (m, emit) => {
    for (const j of m.store.jobs.values()) {
      for (const e of j.snapshot.edges ?? []) {
        const edge = renderLabels({
          edge_id: e.edgeId,
          source_vertex_id: e.sourceVertexId,
          target_vertex_id: e.targetVertexId,
          ship_strategy: e.shipStrategy,
        });
        emit(`${j.labels},${edge}`, 1);
      }
    }
  },
  sluice_job_numRestarts_total: (m, emit) => {
    for (const j of m.store.jobs.values()) emit(j.labels, j.numRestarts.total);
  },
  sluice_network_AvailableMemorySegments: processGauge((m) => m.network?.availableSegments),
  sluice_network_UsedMemorySegments: processGauge((m) => m.network?.usedSegments),
  sluice_network_TotalMemorySegments: processGauge((m) => m.network?.totalSegments),
  sluice_memory_Managed_Used: processGauge((m) => m.managed?.usedBytes),
  sluice_memory_Managed_Total: processGauge((m) => m.managed?.totalBytes),
  sluice_worker_eventLoopUtilization: (m, emit) => {
    for (const w of m.store.workers.values()) emit(w.labels, w.snapshot.eventLoopUtilization);
  },
  sluice_worker_gcTimeMs_total: (m, emit) => {
    for (const w of m.store.workers.values()) emit(w.labels, w.gcTimeMs.total);
  },
  sluice_worker_gcCount_total: (m, emit) => {
    for (const w of m.store.workers.values()) emit(w.labels, w.gcCount.total);
  },
  sluice_worker_heapUsedBytes: (m, emit) => {
    for (const w of m.store.workers.values()) emit(w.labels, w.snapshot.heapUsedBytes);
  },
  sluice_metrics_droppedSeries_total: (m, emit) => {
    for (const [set, count] of m.store.droppedSeries) emit(renderLabels({ family: set }), count);
  },
};

/**
 * The registry behind `/metrics`; implements {@link MetricsSink} for the runtime.
 *
 * @remarks Main thread only. Corresponds to Flink's `MetricRegistryImpl` +
 * `PrometheusReporter`.
 */
export class SluiceMetrics implements MetricsSink {
  /** prom-client registry of the process collectors; metrics added to it are exported too. */
  readonly registry: Registry;
  /** Latest snapshots, read at scrape time. */
  readonly store: MetricSeriesStore;
  /** Wall clock for lags (epoch ms); replaceable in tests. */
  clock: () => number = Date.now;
  /** Network figures of the current scrape (read once per scrape). */
  network: NetworkMemoryFigures | undefined;
  /** Managed-memory figures of the current scrape (read once per scrape). */
  managed: ManagedMemoryFigures | undefined;

  private networkSource: (() => NetworkMemoryFigures) | undefined;
  private managedSource: (() => ManagedMemoryFigures) | undefined;
  private readonly mainSampler: ThreadRuntimeSampler | undefined;
  private readonly families: readonly CompiledFamily[];

  /**
   * @param options - cardinality caps and collectors; see {@link defaultSluiceMetricsOptions}
   * @throws SLUICE_ERR_CONFIG_INVALID when an option is out of range
   */
  constructor(options: Partial<SluiceMetricsOptions> = {}) {
    const o = validateOptions({ ...defaultSluiceMetricsOptions, ...options });
    this.registry = new Registry();
    this.store = new MetricSeriesStore(o);
    this.families = METRIC_FAMILIES.map((spec) => this.compileFamily(spec));
    if (o.collectDefaultMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
    this.mainSampler = o.sampleMainThread ? new ThreadRuntimeSampler('main') : undefined;
  }

  private compileFamily(spec: MetricFamilySpec): CompiledFamily {
    const reader = READERS[spec.name];
    if (reader === undefined) throw new Error(`metric family ${spec.name} has no reader`);
    const help = spec.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
    return {
      name: spec.name,
      header: `# HELP ${spec.name} ${help}\n# TYPE ${spec.name} ${spec.type}\n`,
      counter: spec.type === 'counter',
      reader,
    };
  }

  /** Renders the catalogue's families in the Prometheus text format 0.0.4. */
  private renderFamilies(): string {
    let out = '';
    for (const family of this.families) {
      out += family.header;
      const { name, counter } = family;
      family.reader(this, (labels, value) => {
        if (value === undefined || !Number.isFinite(value) || (counter && value < 0)) return;
        out +=
          labels === undefined || labels === ''
            ? `${name} ${value}\n`
            : `${name}{${labels}} ${value}\n`;
      });
    }
    return out;
  }

  /** Content type of {@link SluiceMetrics.exposition}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The Prometheus text exposition: reads the memory callbacks and samples the main
   * thread once, renders the catalogue's families, then appends the registry's.
   *
   * @returns the body of `GET /metrics`
   */
  async exposition(): Promise<string> {
    this.network = this.read(this.networkSource);
    this.managed = this.read(this.managedSource);
    if (this.mainSampler !== undefined) this.store.updateWorker(this.mainSampler.sample());
    const own = this.renderFamilies();
    const processMetrics = await this.registry.metrics();
    return processMetrics === '' ? own : `${own}\n${processMetrics}`;
  }

  private read<T>(source: (() => T) | undefined): T | undefined {
    if (source === undefined) return undefined;
    try {
      return source();
    } catch {
      return undefined;
    }
  }

  /** @inheritdoc */
  updateTaskSnapshot(snapshot: TaskMetricsSnapshot): void {
    this.store.updateTask(snapshot);
  }

  /** @inheritdoc */
  removeTask(jobId: string, vertexId: string, subtaskIndex: number): void {
    this.store.removeTask(jobId, vertexId, subtaskIndex);
  }

  /** @inheritdoc */
  updateJobSnapshot(snapshot: JobMetricsSnapshot): void {
    this.store.updateJob(snapshot);
  }

  /** @inheritdoc */
  removeJob(jobId: string): void {
    this.store.removeJob(jobId);
  }

  /** @inheritdoc */
  updateWorkerSnapshot(snapshot: WorkerMetricsSnapshot): void {
    this.store.updateWorker(snapshot);
  }

  /** @inheritdoc */
  removeWorker(worker: number | string): void {
    this.store.removeWorker(worker);
  }

  /** @inheritdoc */
  setNetworkMemorySource(source: (() => NetworkMemoryFigures) | undefined): void {
    this.networkSource = source;
  }

  /** @inheritdoc */
  setManagedMemorySource(source: (() => ManagedMemoryFigures) | undefined): void {
    this.managedSource = source;
  }

  /** Stops the main-thread sampler's GC observer. */
  close(): void {
    this.mainSampler?.close();
  }
}
