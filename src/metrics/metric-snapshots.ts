/**
 * Plain-object snapshots that the runtime publishes to the metrics layer.
 *
 * Worker threads count in plain numbers on their hot paths (see
 * `TaskIOMetricGroup`) and send one snapshot per subtask every few hundred
 * milliseconds (a `postMessage` of these objects, or a read of shared counters by
 * the main thread); the main thread hands them to
 * {@link MetricsSink.updateTaskSnapshot}. Nothing here is touched per record.
 *
 * Every object is structured-clone safe: numbers, booleans, strings and arrays.
 * Counters (`num*`) are cumulative since the subtask started; the metrics layer
 * turns them into monotonic Prometheus counters across restarts. Gauges are the
 * value at the time of the snapshot. `undefined` means "no value" (e.g. no
 * watermark yet) and exports no sample.
 *
 * @module
 */

/** Which subtask a snapshot belongs to; becomes the labels of its series. */
export interface TaskIdentity {
  /** Job id (`job_id` label). */
  jobId: string;
  /** Job name (`job_name` label). */
  jobName: string;
  /** Vertex (chain) id (`vertex_id` label). */
  vertexId: string;
  /** Vertex (chain) name, e.g. `Source: bids -> Map` (`task_name` label). */
  taskName: string;
  /** Subtask index, 0-based (`subtask_index` label). */
  subtaskIndex: number;
}

/** One input channel of a subtask: credit announced, backlog reported, buffers queued. */
export interface ChannelMetricsSnapshot {
  /** Input gate index within the subtask (`gate` label). */
  gate: number;
  /** Channel index within the gate, = the upstream subtask index (`channel` label). */
  channel: number;
  /** Buffers this receiver has announced it can take (credit). */
  credit: number;
  /** Buffers the sender reported queued for this channel (backlog). */
  backlog: number;
  /** Buffers received and not yet consumed. */
  queuedBuffers: number;
}

/** One chained operator of a subtask. */
export interface OperatorMetricsSnapshot {
  /** Operator name (`operator_name` label), unique within the chain. */
  operatorName: string;
  numRecordsIn: number;
  numRecordsOut: number;
  /** Records dropped by a window operator because they were late. */
  numLateRecordsDropped?: number;
  /** Event-time watermark at the operator's input (epoch ms). */
  currentInputWatermark?: number;
  /** Event-time watermark at the operator's output (epoch ms). */
  currentOutputWatermark?: number;
}

/** One Kafka partition read by a source subtask. */
export interface KafkaPartitionSnapshot {
  topic: string;
  partition: number;
  /** Next offset the source will read. */
  currentOffset: number;
  /** Offset committed to Kafka at the last completed checkpoint (-1 if none). */
  committedOffset: number;
  /** High watermark minus current offset: records not yet read. */
  lag: number;
}

/** Source figures of a source subtask (Flink's FLIP-33 source metrics). */
export interface SourceMetricsSnapshot {
  /** Now minus the event time of the last emitted record (ms). */
  currentEmitEventTimeLag?: number;
  /** Now minus the current watermark (ms). */
  watermarkLag?: number;
  /** Time the source has had nothing to read (ms). */
  sourceIdleTime?: number;
  /** Records not yet read from the external system. */
  pendingRecords?: number;
  /** Records the source could not deserialize and skipped or dead-lettered (cumulative). */
  numRecordsInErrors?: number;
  /** Kafka partitions assigned to this subtask. */
  partitions?: KafkaPartitionSnapshot[];
}

/** Everything one subtask reports, every few hundred ms. */
export interface TaskMetricsSnapshot extends TaskIdentity {
  // --- counts since the subtask started (cumulative) ---
  numRecordsIn: number;
  numRecordsOut: number;
  numBytesIn: number;
  numBytesOut: number;
  numBuffersOut?: number;
  // --- time breakdown over the last window (ms per second, sum ≈ 1000) ---
  backPressuredTimeMsPerSecond: number;
  idleTimeMsPerSecond: number;
  busyTimeMsPerSecond: number;
  /** Longest single wait for an output buffer or credit in the window (ms). */
  maxHardBackPressuredTimeMs?: number;
  /** Whether the subtask's output was unavailable at snapshot time. */
  isBackPressured: boolean;
  // --- network (fractions in [0, 1], counts of buffers, bytes) ---
  inPoolUsage?: number;
  outPoolUsage?: number;
  inputExclusiveBuffersUsage?: number;
  inputFloatingBuffersUsage?: number;
  inputQueueLength?: number;
  outputQueueLength?: number;
  inputQueueSize?: number;
  outputQueueSize?: number;
  // --- event time (epoch ms) ---
  currentInputWatermark?: number;
  currentOutputWatermark?: number;
  // --- checkpoints ---
  /** Time of the last barrier alignment (ns, Flink's unit). */
  checkpointAlignmentTime?: number;
  /** Delay between checkpoint trigger and the barrier reaching this task (ns). */
  checkpointStartDelayNanos?: number;
  // --- details ---
  channels?: ChannelMetricsSnapshot[];
  operators?: OperatorMetricsSnapshot[];
  source?: SourceMetricsSnapshot;
}

/** Job-level figures, reported by the main thread's checkpoint coordinator and scheduler. */
export interface JobMetricsSnapshot {
  jobId: string;
  jobName: string;
  /** Cumulative. */
  numberOfCompletedCheckpoints: number;
  /** Cumulative. */
  numberOfFailedCheckpoints: number;
  numberOfInProgressCheckpoints: number;
  /** Duration of the last completed checkpoint (ms). */
  lastCheckpointDuration?: number;
  /** Size of the last completed checkpoint (bytes). */
  lastCheckpointSize?: number;
  /** Cumulative restarts of the job. */
  numRestarts: number;
  /** Edges of the job's plan (exchanges between vertices); fixed for the job's life. */
  edges?: readonly JobEdgeInfo[];
}

/** One edge of a job's plan, for `sluice_job_edge_info`. */
export interface JobEdgeInfo {
  /** `<source vertex id>-<target vertex id>-<input index>`. */
  readonly edgeId: string;
  readonly sourceVertexId: string;
  readonly targetVertexId: string;
  /** Flink's ship strategy name (`HASH`, `REBALANCE`, `FORWARD`, …). */
  readonly shipStrategy: string;
}

/** Figures of one thread (a worker, or the main thread). */
export interface WorkerMetricsSnapshot {
  /** Worker index, or `'main'` (`worker` label). */
  worker: number | string;
  /** Event-loop utilisation over the last window, in [0, 1]. */
  eventLoopUtilization: number;
  /** Time spent in garbage collection since the thread started (ms, cumulative). */
  gcTimeMs: number;
  /** Garbage collections since the thread started (cumulative). */
  gcCount: number;
  /** V8 heap in use (bytes). */
  heapUsedBytes: number;
}

/** The network buffer pool's segments (Flink's `AvailableMemorySegments` …). */
export interface NetworkMemoryFigures {
  availableSegments: number;
  usedSegments: number;
  totalSegments: number;
}

/** Managed memory (Flink's `Status.Flink.Memory.Managed.Used` / `.Total`). */
export interface ManagedMemoryFigures {
  usedBytes: number;
  totalBytes: number;
}
