/**
 * The network exchange as the tasks of one slot see it (Flink's `NetworkEnvironment` /
 * `ShuffleEnvironment` of a TaskManager): for every outgoing job edge of a subtask a
 * `ResultPartition` with its `RecordWriter`, for every incoming edge a
 * `SingleInputGate` read through a `StreamTaskNetworkInput`, all over the edge's
 * `ExchangeChannels` and the process's `NetworkBufferPool` (attached in this worker).
 *
 * ```
 *   deployment.network ──► attach the edges' ExchangeChannels, the slot's pool registry
 *   createRecordWriterOutput(edge, i)  ResultPartition(producer i) + RecordWriter(edge's
 *                                      partitioner copy) → NetworkRecordWriterOutput
 *                                      (pool id registered before first use)
 *   createInputProcessor(vertex, i)    per input edge: SingleInputGate(consumer i) →
 *                                      StreamTaskNetworkInput → StreamOneInputProcessor
 *   awaitOutputsConsumed(vertex, i)    every partition's all-data-processed future
 *   releaseResources(vertex, i)        release partitions (pool destroyed, unregistered),
 *                                      close gates
 * ```
 *
 * Records are serialized with the edge's serializer ({@link recordSerializerOf}): the
 * declared type of the producing operator (`returns(...)`, `Types`), JSON when none
 * was declared; both sides of an edge rebuild the same one from its descriptor.
 *
 * @remarks One per deployment, owned by the worker's thread.
 * @module
 */
import type { JobEdge } from '../graph/job-edge.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import type { JobVertex } from '../graph/job-vertex.ts';
import type { TaskIOMetricGroup, TaskSnapshotExtras } from '../metrics/task-io-metric-group.ts';
import { ExchangeChannels } from '../network/exchange-channels.ts';
import type { NetworkBufferPool } from '../network/network-buffer-pool.ts';
import { buildRecordWriter } from '../network/record-writer-builder.ts';
import { ResultPartition } from '../network/result-partition.ts';
import { SingleInputGate } from '../network/single-input-gate.ts';
import { JsonSerializer } from '../types/json-serializer.ts';
import { restoreSerializer } from '../types/restore-serializer.ts';
import { StreamElementSerializer } from '../types/stream-element-serializer.ts';
import type { TypeSerializer } from '../types/type-serializer.ts';
import { BufferPoolRegistry } from './buffer-pool-registry.ts';
import { StreamTaskNetworkInput } from './io/stream-task-network-input.ts';
import type { SlotNetworkDeployment } from './job-network.ts';
import { NetworkRecordWriterOutput } from './network-record-writer-output.ts';
import type { OperatorChain } from './operators/operator-chain.ts';
import type { ElementContext } from './operators/stream-operator.ts';
import { StreamOneInputProcessor } from './stream-one-input-processor.ts';
import type { TaskNetworkEnvironment } from './task-executor.ts';

/**
 * The serializer of the records crossing `edge`: rebuilt from the edge's serializer
 * descriptor (the producer's declared type, `returns(...)`), JSON when none was declared.
 *
 * @param edge - the job edge
 * @returns the record serializer both sides use
 * @throws SLUICE_ERR_TYPES_INVALID_SCHEMA when the descriptor is invalid
 */
export function recordSerializerOf(edge: JobEdge): TypeSerializer<unknown> {
  const descriptor = edge.streamEdge.typeSerializer;
  return descriptor === undefined ? JsonSerializer.INSTANCE : restoreSerializer(descriptor);
}

/** A subtask's network endpoints. */
interface SubtaskNetwork {
  readonly partitions: ResultPartition<unknown>[];
  input: StreamOneInputProcessor | undefined;
}

/** The slot's side of the job's exchanges; see the module documentation. */
export class NetworkEnvironment implements TaskNetworkEnvironment {
  private readonly network: NetworkBufferPool;
  private readonly deployment: SlotNetworkDeployment;
  private readonly bufferTimeoutMs: number;
  private readonly exchanges = new Map<string, ExchangeChannels>();
  private readonly registry: BufferPoolRegistry;
  private readonly subtasks = new Map<string, SubtaskNetwork>();
  private readonly serializers = new Map<string, StreamElementSerializer<unknown>>();

  /**
   * @param network - this worker's instance of the process's network buffer pool
   * @param deployment - the slot's `network` deployment
   * @param jobGraph - this worker's build of the job (buffer timeout)
   */
  constructor(network: NetworkBufferPool, deployment: SlotNetworkDeployment, jobGraph: JobGraph) {
    this.network = network;
    this.deployment = deployment;
    this.bufferTimeoutMs = Math.round(jobGraph.bufferTimeoutMs);
    for (const { edgeId, channels } of deployment.edges) {
      this.exchanges.set(edgeId, ExchangeChannels.attach(channels));
    }
    this.registry = new BufferPoolRegistry(deployment.poolRegistry);
  }

  createRecordWriterOutput(
    edge: JobEdge,
    subtaskIndex: number,
    elementContext: ElementContext,
    metrics?: TaskIOMetricGroup,
  ): NetworkRecordWriterOutput {
    const options = this.deployment.options;
    const partitioner = edge.partitioner.copy();
    const partition = new ResultPartition<unknown>(
      {
        network: this.network,
        channels: this.exchangeOf(edge),
        producerIndex: subtaskIndex,
        serializer: this.serializerOf(edge),
        metrics,
      },
      {
        bufferTimeoutMs: this.bufferTimeoutMs,
        maxBuffersPerChannel: options.maxBuffersPerChannel,
        maxRecordSizeBytes: options.maxRecordSizeBytes,
        broadcast: partitioner.isBroadcast(),
      },
    );
    this.registry.register(partition.getBufferPoolId());
    this.subtaskOf(edge.source, subtaskIndex).partitions.push(partition);
    const writer = buildRecordWriter(partition, partitioner, subtaskIndex);
    return new NetworkRecordWriterOutput(writer, elementContext);
  }

  createInputProcessor(
    vertex: JobVertex,
    subtaskIndex: number,
    chain: OperatorChain,
    metrics?: TaskIOMetricGroup,
  ): StreamOneInputProcessor {
    const options = this.deployment.options;
    const inputs = vertex.inputs.map(
      (edge) =>
        new StreamTaskNetworkInput(
          new SingleInputGate(
            {
              network: this.network,
              channels: this.exchangeOf(edge),
              consumerIndex: subtaskIndex,
              metrics,
            },
            {
              buffersPerChannel: options.buffersPerChannel,
              floatingBuffersPerGate: options.floatingBuffersPerGate,
            },
          ),
          this.serializerOf(edge),
          { maxRecordSizeBytes: options.maxRecordSizeBytes },
        ),
    );
    const processor = new StreamOneInputProcessor(inputs, chain.headInput, chain.elementContext);
    this.subtaskOf(vertex, subtaskIndex).input = processor;
    return processor;
  }

  awaitOutputsConsumed(vertex: JobVertex, subtaskIndex: number): Promise<void> {
    const subtask = this.subtasks.get(keyOf(vertex, subtaskIndex));
    if (subtask === undefined || subtask.partitions.length === 0) return Promise.resolve();
    return Promise.all(subtask.partitions.map((p) => p.getAllDataProcessedFuture())).then(() => {});
  }

  releaseResources(vertex: JobVertex, subtaskIndex: number): void {
    const key = keyOf(vertex, subtaskIndex);
    const subtask = this.subtasks.get(key);
    if (subtask === undefined) return;
    this.subtasks.delete(key);
    this.releaseSubtask(subtask);
  }

  /**
   * Network figures of a subtask for its metrics snapshot: pool usage, queue lengths,
   * per-channel credit and backlog.
   */
  metricsOf(vertex: JobVertex, subtaskIndex: number): TaskSnapshotExtras {
    const subtask = this.subtasks.get(keyOf(vertex, subtaskIndex));
    if (subtask === undefined) return {};
    const extras: TaskSnapshotExtras = {};
    if (subtask.partitions.length > 0) {
      let usage = 0;
      let queue = 0;
      let queueBytes = 0;
      for (const partition of subtask.partitions) {
        usage = Math.max(usage, partition.getOutPoolUsage());
        queue += partition.getOutputQueueLength();
        queueBytes += partition.getOutputQueueSizeBytes();
      }
      extras.outPoolUsage = usage;
      extras.outputQueueLength = queue;
      extras.outputQueueSize = queueBytes;
    }
    const input = subtask.input;
    if (input !== undefined) {
      let inPool = 0;
      let exclusive = 0;
      let floating = 0;
      let queue = 0;
      let queueBytes = 0;
      const channels = [];
      for (let g = 0; g < input.inputs.length; g++) {
        const gate = input.inputs[g]!.gate;
        inPool = Math.max(inPool, gate.getInPoolUsage());
        exclusive = Math.max(exclusive, gate.getInputExclusiveBuffersUsage());
        floating = Math.max(floating, gate.getInputFloatingBuffersUsage());
        queue += gate.getInputQueueLength();
        queueBytes += gate.getInputQueueSize();
        channels.push(...gate.getChannelMetrics(g));
      }
      extras.inPoolUsage = inPool;
      extras.inputExclusiveBuffersUsage = exclusive;
      extras.inputFloatingBuffersUsage = floating;
      extras.inputQueueLength = queue;
      extras.inputQueueSize = queueBytes;
      extras.channels = channels;
    }
    return extras;
  }

  /** Releases every partition and gate left (after every task ended). */
  close(): void {
    for (const subtask of this.subtasks.values()) this.releaseSubtask(subtask);
    this.subtasks.clear();
  }

  private releaseSubtask(subtask: SubtaskNetwork): void {
    let firstError: unknown;
    for (const partition of subtask.partitions) {
      try {
        partition.release();
        this.registry.unregister(partition.getBufferPoolId());
      } catch (error) {
        firstError ??= error;
      }
    }
    try {
      subtask.input?.close();
    } catch (error) {
      firstError ??= error;
    }
    if (firstError !== undefined) throw firstError;
  }

  private exchangeOf(edge: JobEdge): ExchangeChannels {
    const exchange = this.exchanges.get(edge.streamEdge.id);
    if (exchange === undefined) {
      throw new Error(`no channels deployed for exchange ${edge.streamEdge}`);
    }
    return exchange;
  }

  private serializerOf(edge: JobEdge): StreamElementSerializer<unknown> {
    const id = edge.streamEdge.id;
    let serializer = this.serializers.get(id);
    if (serializer === undefined) {
      serializer = new StreamElementSerializer(recordSerializerOf(edge));
      this.serializers.set(id, serializer);
    }
    return serializer;
  }

  private subtaskOf(vertex: JobVertex, subtaskIndex: number): SubtaskNetwork {
    const key = keyOf(vertex, subtaskIndex);
    let subtask = this.subtasks.get(key);
    if (subtask === undefined) {
      subtask = { partitions: [], input: undefined };
      this.subtasks.set(key, subtask);
    }
    return subtask;
  }
}

function keyOf(vertex: JobVertex, subtaskIndex: number): string {
  return `${vertex.id}#${subtaskIndex}`;
}
