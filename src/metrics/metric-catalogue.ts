/**
 * The catalogue of every metric family Sluice exports: name, type, labels, help.
 *
 * Names are Flink's metric names with the prefix `sluice_` and a scope
 * (`task`, `task_channel`, `task_operator`, `source`, `kafka_consumer`, `job`,
 * `network`, `memory`, `worker`), counters are real Prometheus counters ending in
 * `_total` (Flink's reporter exports them as gauges). `docs/metrics.md` lists the
 * same families; a unit test fails when the two drift apart.
 *
 * Label sets, and their cardinality bounds (see `docs/metrics.md`):
 *
 * ```
 * job      job_id, job_name                                   jobs
 * task     + task_name, vertex_id, subtask_index               Σ vertex parallelism
 * channel  + gate, channel                                     ≤ maxChannelsPerTask per subtask
 * operator + operator_name                                     ≤ maxOperatorsPerTask per subtask
 * kafka    + topic, partition                                  ≤ maxPartitionsPerTask per subtask
 * worker   worker                                              slots + 1 (main)
 * ```
 *
 * No prom-client here: this module is plain data, read by `SluiceMetrics` and by tests.
 *
 * @module
 */

/** Label names of the job scope. Never `job` (Prometheus' own target label). */
export const JOB_LABELS = ['job_id', 'job_name'] as const;
/** Label names of the task (subtask) scope. */
export const TASK_LABELS = [...JOB_LABELS, 'task_name', 'vertex_id', 'subtask_index'] as const;
/** Label names of one input channel of a subtask. */
export const CHANNEL_LABELS = [...TASK_LABELS, 'gate', 'channel'] as const;
/** Label names of one chained operator of a subtask. */
export const OPERATOR_LABELS = [...TASK_LABELS, 'operator_name'] as const;
/** Label names of one Kafka partition read by a source subtask. */
export const PARTITION_LABELS = [...TASK_LABELS, 'topic', 'partition'] as const;
/** Label names of one edge of a job's plan (an exchange between two vertices). */
export const EDGE_LABELS = [
  ...JOB_LABELS,
  'edge_id',
  'source_vertex_id',
  'target_vertex_id',
  'ship_strategy',
] as const;
/** Label names of one thread. */
export const WORKER_LABELS = ['worker'] as const;

/** Which label set a family uses. */
export type LabelScope =
  | 'none'
  | 'job'
  | 'task'
  | 'channel'
  | 'operator'
  | 'partition'
  | 'edge'
  | 'worker'
  | 'family';

/** Label names of each scope. */
export const LABELS_OF_SCOPE: Readonly<Record<LabelScope, readonly string[]>> = {
  none: [],
  job: JOB_LABELS,
  task: TASK_LABELS,
  channel: CHANNEL_LABELS,
  operator: OPERATOR_LABELS,
  partition: PARTITION_LABELS,
  edge: EDGE_LABELS,
  worker: WORKER_LABELS,
  family: ['family'],
};

/** One metric family. */
export interface MetricFamilySpec {
  /** Full Prometheus name, `sluice_…`, counters ending in `_total`. */
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly scope: LabelScope;
  /** Unit of the value, for the docs. */
  readonly unit: string;
  /** Flink's metric name this family follows, or `—` for Sluice's own. */
  readonly flink: string;
  /** HELP text. */
  readonly help: string;
}

function family(
  name: string,
  type: 'gauge' | 'counter',
  scope: LabelScope,
  unit: string,
  flink: string,
  help: string,
): MetricFamilySpec {
  return Object.freeze({ name, type, scope, unit, flink, help });
}

/** Every family, in exposition order. */
export const METRIC_FAMILIES: readonly MetricFamilySpec[] = Object.freeze([
  // --- task: records and bytes ---
  family(
    'sluice_task_numRecordsIn_total',
    'counter',
    'task',
    'records',
    'numRecordsIn',
    'Records received by the subtask.',
  ),
  family(
    'sluice_task_numRecordsOut_total',
    'counter',
    'task',
    'records',
    'numRecordsOut',
    'Records emitted by the subtask.',
  ),
  family(
    'sluice_task_numBytesIn_total',
    'counter',
    'task',
    'bytes',
    'numBytesIn',
    'Bytes received by the subtask from the network.',
  ),
  family(
    'sluice_task_numBytesOut_total',
    'counter',
    'task',
    'bytes',
    'numBytesOut',
    'Bytes emitted by the subtask to the network.',
  ),
  family(
    'sluice_task_numBuffersOut_total',
    'counter',
    'task',
    'buffers',
    'numBuffersOut',
    'Network buffers emitted by the subtask.',
  ),
  // --- task: time breakdown ---
  family(
    'sluice_task_backPressuredTimeMsPerSecond',
    'gauge',
    'task',
    'ms/s',
    'backPressuredTimeMsPerSecond',
    'Time per second the subtask waited for an output buffer or credit.',
  ),
  family(
    'sluice_task_idleTimeMsPerSecond',
    'gauge',
    'task',
    'ms/s',
    'idleTimeMsPerSecond',
    'Time per second the subtask had no input to process.',
  ),
  family(
    'sluice_task_busyTimeMsPerSecond',
    'gauge',
    'task',
    'ms/s',
    'busyTimeMsPerSecond',
    'Time per second the subtask was processing (neither idle nor back-pressured).',
  ),
  family(
    'sluice_task_maxHardBackPressuredTimeMs',
    'gauge',
    'task',
    'ms',
    'maxHardBackPressuredTimeMs',
    'Longest single wait for an output buffer or credit in the last window.',
  ),
  family(
    'sluice_task_isBackPressured',
    'gauge',
    'task',
    '0/1',
    'isBackPressured',
    '1 when the subtask could not write its output at the last snapshot.',
  ),
  // --- task: network buffers ---
  family(
    'sluice_task_buffers_inPoolUsage',
    'gauge',
    'task',
    'fraction',
    'buffers.inPoolUsage',
    'Fraction of the input buffer pool in use.',
  ),
  family(
    'sluice_task_buffers_outPoolUsage',
    'gauge',
    'task',
    'fraction',
    'buffers.outPoolUsage',
    'Fraction of the output buffer pool in use.',
  ),
  family(
    'sluice_task_buffers_inputExclusiveBuffersUsage',
    'gauge',
    'task',
    'fraction',
    'buffers.inputExclusiveBuffersUsage',
    'Fraction of the exclusive input buffers in use.',
  ),
  family(
    'sluice_task_buffers_inputFloatingBuffersUsage',
    'gauge',
    'task',
    'fraction',
    'buffers.inputFloatingBuffersUsage',
    'Fraction of the floating input buffers in use.',
  ),
  family(
    'sluice_task_buffers_inputQueueLength',
    'gauge',
    'task',
    'buffers',
    'buffers.inputQueueLength',
    'Buffers queued in the input channels.',
  ),
  family(
    'sluice_task_buffers_outputQueueLength',
    'gauge',
    'task',
    'buffers',
    'buffers.outputQueueLength',
    'Buffers queued in the output subpartitions.',
  ),
  family(
    'sluice_task_buffers_inputQueueSize',
    'gauge',
    'task',
    'bytes',
    'buffers.inputQueueSize',
    'Bytes queued in the input channels.',
  ),
  family(
    'sluice_task_buffers_outputQueueSize',
    'gauge',
    'task',
    'bytes',
    'buffers.outputQueueSize',
    'Bytes queued in the output subpartitions.',
  ),
  // --- task: event time and checkpoints ---
  family(
    'sluice_task_currentInputWatermark',
    'gauge',
    'task',
    'epoch ms',
    'currentInputWatermark',
    'Event-time watermark at the subtask input (minimum over its channels).',
  ),
  family(
    'sluice_task_currentOutputWatermark',
    'gauge',
    'task',
    'epoch ms',
    'currentOutputWatermark',
    'Event-time watermark at the subtask output.',
  ),
  family(
    'sluice_task_watermarkLag',
    'gauge',
    'task',
    'ms',
    'watermarkLag',
    'Wall-clock time at scrape minus the output watermark.',
  ),
  family(
    'sluice_task_checkpointAlignmentTime',
    'gauge',
    'task',
    'ns',
    'checkpointAlignmentTime',
    'Duration of the last checkpoint barrier alignment.',
  ),
  family(
    'sluice_task_checkpointStartDelayNanos',
    'gauge',
    'task',
    'ns',
    'checkpointStartDelayNanos',
    'Delay between checkpoint trigger and the barrier reaching the subtask (long = back pressure).',
  ),
  // --- channel: credit-based flow control (Sluice's own; Flink has none) ---
  family(
    'sluice_task_channel_credit',
    'gauge',
    'channel',
    'buffers',
    '—',
    'Credit the receiver has announced on this input channel (0 = the sender must wait).',
  ),
  family(
    'sluice_task_channel_backlog',
    'gauge',
    'channel',
    'buffers',
    '—',
    'Backlog the sender reported for this input channel.',
  ),
  family(
    'sluice_task_channel_queuedBuffers',
    'gauge',
    'channel',
    'buffers',
    '—',
    'Buffers received on this input channel and not yet consumed.',
  ),
  // --- operator ---
  family(
    'sluice_task_operator_numRecordsIn_total',
    'counter',
    'operator',
    'records',
    'numRecordsIn',
    'Records received by the chained operator.',
  ),
  family(
    'sluice_task_operator_numRecordsOut_total',
    'counter',
    'operator',
    'records',
    'numRecordsOut',
    'Records emitted by the chained operator.',
  ),
  family(
    'sluice_task_operator_numLateRecordsDropped_total',
    'counter',
    'operator',
    'records',
    'numLateRecordsDropped',
    'Records a window operator dropped as late.',
  ),
  family(
    'sluice_task_operator_currentInputWatermark',
    'gauge',
    'operator',
    'epoch ms',
    'currentInputWatermark',
    'Event-time watermark at the operator input.',
  ),
  family(
    'sluice_task_operator_currentOutputWatermark',
    'gauge',
    'operator',
    'epoch ms',
    'currentOutputWatermark',
    'Event-time watermark at the operator output.',
  ),
  // --- source ---
  family(
    'sluice_source_currentEmitEventTimeLag',
    'gauge',
    'task',
    'ms',
    'currentEmitEventTimeLag',
    'Emit time minus event time of the last record emitted by the source.',
  ),
  family(
    'sluice_source_watermarkLag',
    'gauge',
    'task',
    'ms',
    'watermarkLag',
    "Wall-clock time minus the source's current watermark.",
  ),
  family(
    'sluice_source_sourceIdleTime',
    'gauge',
    'task',
    'ms',
    'sourceIdleTime',
    'Time the source has had no data to read.',
  ),
  family(
    'sluice_source_pendingRecords',
    'gauge',
    'task',
    'records',
    'pendingRecords',
    'Records not yet read from the external system.',
  ),
  family(
    'sluice_source_numRecordsInErrors_total',
    'counter',
    'task',
    'records',
    'numRecordsInErrors',
    'Records the source could not deserialize and skipped or sent to a dead-letter topic.',
  ),
  // --- Kafka consumer, per partition ---
  family(
    'sluice_kafka_consumer_records_lag',
    'gauge',
    'partition',
    'records',
    'KafkaConsumer.records-lag',
    'Records between the high watermark and the current offset of the partition.',
  ),
  family(
    'sluice_kafka_consumer_records_lag_max',
    'gauge',
    'task',
    'records',
    'KafkaConsumer.records-lag-max',
    'Largest partition lag of the source subtask.',
  ),
  family(
    'sluice_kafka_consumer_currentOffset',
    'gauge',
    'partition',
    'offset',
    'KafkaSourceReader.topic.partition.currentOffset',
    'Next offset the source will read from the partition.',
  ),
  family(
    'sluice_kafka_consumer_committedOffset',
    'gauge',
    'partition',
    'offset',
    'KafkaSourceReader.topic.partition.committedOffset',
    'Offset committed to Kafka at the last completed checkpoint.',
  ),
  // --- job: checkpoints and restarts ---
  family(
    'sluice_job_numberOfCompletedCheckpoints_total',
    'counter',
    'job',
    'checkpoints',
    'numberOfCompletedCheckpoints',
    'Checkpoints completed.',
  ),
  family(
    'sluice_job_numberOfFailedCheckpoints_total',
    'counter',
    'job',
    'checkpoints',
    'numberOfFailedCheckpoints',
    'Checkpoints failed.',
  ),
  family(
    'sluice_job_numberOfInProgressCheckpoints',
    'gauge',
    'job',
    'checkpoints',
    'numberOfInProgressCheckpoints',
    'Checkpoints in progress.',
  ),
  family(
    'sluice_job_lastCheckpointDuration',
    'gauge',
    'job',
    'ms',
    'lastCheckpointDuration',
    'Duration of the last completed checkpoint.',
  ),
  family(
    'sluice_job_lastCheckpointSize',
    'gauge',
    'job',
    'bytes',
    'lastCheckpointSize',
    'Size of the last completed checkpoint.',
  ),
  family(
    'sluice_job_edge_info',
    'gauge',
    'edge',
    'info',
    '—',
    'One series of value 1 per edge of the job plan (source and target vertex, ship strategy): the edges of the flow node graph.',
  ),
  family(
    'sluice_job_numRestarts_total',
    'counter',
    'job',
    'restarts',
    'numRestarts',
    'Restarts of the job after failures.',
  ),
  // --- process: network buffer pool and managed memory ---
  family(
    'sluice_network_AvailableMemorySegments',
    'gauge',
    'none',
    'segments',
    'Status.Network.AvailableMemorySegments',
    'Free segments of the network buffer pool.',
  ),
  family(
    'sluice_network_UsedMemorySegments',
    'gauge',
    'none',
    'segments',
    'Status.Network.UsedMemorySegments',
    'Segments of the network buffer pool in use.',
  ),
  family(
    'sluice_network_TotalMemorySegments',
    'gauge',
    'none',
    'segments',
    'Status.Network.TotalMemorySegments',
    'Segments of the network buffer pool.',
  ),
  family(
    'sluice_memory_Managed_Used',
    'gauge',
    'none',
    'bytes',
    'Status.Flink.Memory.Managed.Used',
    'Managed memory in use (state, windows, sorting).',
  ),
  family(
    'sluice_memory_Managed_Total',
    'gauge',
    'none',
    'bytes',
    'Status.Flink.Memory.Managed.Total',
    'Managed memory reserved at start-up.',
  ),
  // --- threads ---
  family(
    'sluice_worker_eventLoopUtilization',
    'gauge',
    'worker',
    'fraction',
    '—',
    'Event-loop utilisation of the thread since the previous snapshot (main: since the previous scrape).',
  ),
  family(
    'sluice_worker_gcTimeMs_total',
    'counter',
    'worker',
    'ms',
    '—',
    'Time the thread spent in garbage collection.',
  ),
  family(
    'sluice_worker_gcCount_total',
    'counter',
    'worker',
    'collections',
    '—',
    'Garbage collections of the thread.',
  ),
  family(
    'sluice_worker_heapUsedBytes',
    'gauge',
    'worker',
    'bytes',
    '—',
    'V8 heap in use by the thread.',
  ),
  // --- the metrics layer itself ---
  family(
    'sluice_metrics_droppedSeries_total',
    'counter',
    'family',
    'series',
    '—',
    'Series not exported because a cardinality cap was reached (label `family` names the capped set).',
  ),
]);

/** Families by name. */
export const METRIC_FAMILY_BY_NAME: ReadonlyMap<string, MetricFamilySpec> = new Map(
  METRIC_FAMILIES.map((f) => [f.name, f]),
);
