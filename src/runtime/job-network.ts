/**
 * The network memory of one job attempt, on the main thread: one `ExchangeChannels`
 * control block per job edge (the channels between its producer and consumer
 * subtasks), and one {@link BufferPoolRegistry} per slot (the buffer pools its worker
 * creates). Handles go to the workers in their deployments; after the attempt's
 * workers exited, {@link JobNetwork.release} reclaims every segment their pools still
 * held.
 *
 * ```
 *   JobGraph edges           ExchangeChannels (SAB per edge)        workers
 *   A ──HASH──► B    ──►     producers = p(A), consumers = p(B)  ──► slot i: ResultPartition
 *                            all-to-all / pointwise                       of A#i, InputGate of B#i
 *   slot i                   BufferPoolRegistry (SAB per slot)   ──► pool ids of slot i
 * ```
 *
 * A worker that dies while its peers run is declared gone on every edge it takes part
 * in ({@link JobNetwork.markSlotGone}), so that peers waiting for its data or credit fail
 * fast with `SLUICE_ERR_NETWORK_PARTNER_GONE` instead of waiting.
 *
 * @remarks Main thread; one per attempt of a job that has exchanges.
 * @module
 */
import type { ExecutionPlan } from '../graph/execution-plan.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import { ExchangeChannels, type ExchangeChannelsHandle } from '../network/exchange-channels.ts';
import type { NetworkBufferPool } from '../network/network-buffer-pool.ts';
import type { NetworkExchangeOptions } from '../network/network-exchange-options.ts';
import { BufferPoolRegistry } from './buffer-pool-registry.ts';
import type { AttemptNetwork } from './job-master.ts';

/** One edge's channels, as a worker receives them. */
export interface EdgeChannelsDeployment {
  /** `JobEdge.streamEdge.id` of the edge. */
  readonly edgeId: string;
  readonly channels: ExchangeChannelsHandle;
}

/** The `network` field of a slot's deployment. */
export interface SlotNetworkDeployment {
  /** Every edge of the job (a worker attaches those its subtasks take part in). */
  readonly edges: readonly EdgeChannelsDeployment[];
  /** The slot's registry of buffer pools. */
  readonly poolRegistry: SharedArrayBuffer;
  /** Credit, flushing and frame sizes (both sides of an edge use the same). */
  readonly options: NetworkExchangeOptions;
}

/** The exchanges of one attempt; see the module documentation. */
export class JobNetwork implements AttemptNetwork {
  private readonly jobGraph: JobGraph;
  private readonly plan: ExecutionPlan;
  private readonly pool: NetworkBufferPool;
  private readonly options: NetworkExchangeOptions;
  private readonly exchanges = new Map<string, ExchangeChannels>();
  private readonly registries: BufferPoolRegistry[];
  private released = false;

  /**
   * Allocates the channels of every edge and a registry per slot.
   *
   * @param jobGraph - the job (its edges)
   * @param plan - slots and their subtasks
   * @param pool - the process's network buffer pool (segments are reclaimed into it)
   * @param options - credit sizes (rings are sized from them), flushing, frame size
   * @throws SLUICE_ERR_CONFIG_INVALID when the credit options are out of range
   */
  constructor(
    jobGraph: JobGraph,
    plan: ExecutionPlan,
    pool: NetworkBufferPool,
    options: NetworkExchangeOptions,
  ) {
    this.jobGraph = jobGraph;
    this.plan = plan;
    this.pool = pool;
    this.options = options;
    for (const edge of jobGraph.getEdges()) {
      this.exchanges.set(
        edge.streamEdge.id,
        ExchangeChannels.create({
          numberOfProducers: edge.source.parallelism,
          numberOfConsumers: edge.target.parallelism,
          pattern: edge.distributionPattern === 'POINTWISE' ? 'pointwise' : 'all-to-all',
          buffersPerChannel: options.buffersPerChannel,
          floatingBuffersPerGate: options.floatingBuffersPerGate,
        }),
      );
    }
    this.registries = plan.slots.map((slot) => {
      let partitions = 0;
      for (const { vertex } of slot.subtasks) partitions += vertex.outputs.length;
      return new BufferPoolRegistry(partitions);
    });
  }

  /** Whether `jobGraph` has exchanges at all (otherwise no network is needed). */
  static isNeeded(jobGraph: JobGraph): boolean {
    return jobGraph.getEdges().length > 0;
  }

  /** The channels of edge `edgeId` (tests, metrics). */
  getExchange(edgeId: string): ExchangeChannels | undefined {
    return this.exchanges.get(edgeId);
  }

  deploymentFor(slotIndex: number): SlotNetworkDeployment {
    return {
      edges: [...this.exchanges].map(([edgeId, exchange]) => ({
        edgeId,
        channels: exchange.getHandle(),
      })),
      poolRegistry: this.registries[slotIndex]!.memory,
      options: this.options,
    };
  }

  /**
   * Declares the subtasks of a dead slot gone on every edge, so that their peers fail
   * fast. Call after the worker's `exit` event.
   *
   * @param slotIndex - the slot whose worker died
   */
  markSlotGone(slotIndex: number): void {
    const slot = this.plan.slots[slotIndex];
    if (slot === undefined) return;
    for (const edge of this.jobGraph.getEdges()) {
      const exchange = this.exchanges.get(edge.streamEdge.id)!;
      for (const { vertex, subtaskIndex } of slot.subtasks) {
        if (vertex === edge.source) exchange.markProducerGone(subtaskIndex);
        if (vertex === edge.target) exchange.markConsumerGone(subtaskIndex);
      }
    }
  }

  /**
   * Reclaims the segments of every buffer pool a worker of the attempt created and did
   * not destroy (held, queued or in flight). Call once, after every worker exited.
   *
   * @returns the number of segments returned to the free list
   */
  release(): number {
    if (this.released) return 0;
    this.released = true;
    const ids: number[] = [];
    for (const registry of this.registries) ids.push(...registry.liveIds());
    return ids.length === 0 ? 0 : this.pool.reclaimBufferPools(ids, { force: true });
  }
}
