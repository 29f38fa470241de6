import { Type } from 'typebox';
import { compileOptions } from '../config/validate.ts';
import type { SluiceError } from '../errors.ts';
import type { TaskIOMetricGroup } from '../metrics/task-io-metric-group.ts';
import {
  EndOfPartition,
  type StreamElement,
  StreamElementKind,
  type StreamRecord,
} from '../types/stream-element.ts';
import type { StreamElementSerializer } from '../types/stream-element-serializer.ts';
import { AVAILABLE, type AvailabilityProvider } from './availability-provider.ts';
import { BufferBuilder } from './buffer-builder.ts';
import { MAX_SEGMENTS_UNBOUNDED, NO_CHANNEL } from './buffer-pool-layout.ts';
import {
  B_NOTIFY,
  B_WAITING,
  FLAG_EVENT,
  FLAG_LAST,
  STATE_GONE,
  STATE_OPEN,
} from './channel-layout.ts';
import type { ExchangeChannels } from './exchange-channels.ts';
import type { LocalBufferPool } from './local-buffer-pool.ts';
import type { NetworkBufferPool } from './network-buffer-pool.ts';
import { PartnerGoneError, ProtocolViolationError } from './network-exchange-errors.ts';
import { defaultNetworkExchangeOptions } from './network-exchange-options.ts';
import { NotificationWatcher } from './notification-watcher.ts';
import { OutputFlusher } from './output-flusher.ts';
import {
  PipelinedSubpartition,
  PUBLISH_DISCARDED,
  PUBLISH_NEEDS_CREDIT,
  PUBLISH_PROTOCOL_VIOLATION,
  PUBLISH_RECEIVER_GONE,
} from './pipelined-subpartition.ts';
import {
  FRAME_LENGTH_BYTES,
  SpanningRecordSerializer,
} from './serialization/spanning-record-serializer.ts';

/** Options of a {@link ResultPartition}. */
export interface ResultPartitionOptions {
  /**
   * `execution.buffer-timeout`: flush partly filled buffers this often; 0 = after
   * every record; −1 = never (only full buffers, `flush()` and `finish()`).
   * @defaultValue 100 ms
   */
  bufferTimeoutMs: number;
  /**
   * `taskmanager.network.memory.max-buffers-per-channel`: most buffers one
   * subpartition may hold (being filled, queued or in flight at the receiver).
   * @defaultValue 10 buffers
   */
  maxBuffersPerChannel: number;
  /**
   * Largest frame of one element (same value on the receiving side).
   * @defaultValue 16777216 bytes
   */
  maxRecordSizeBytes: number;
  /**
   * Segments guaranteed to the partition's `LocalBufferPool`; 0 = subpartitions + 1.
   * @defaultValue 0 (subpartitions + 1)
   */
  numberOfRequiredSegments: number;
  /**
   * Most segments the pool may own; 0 = subpartitions × maxBuffersPerChannel
   * (broadcast: maxBuffersPerChannel + 1).
   * @defaultValue 0 (derived)
   */
  maxNumberOfSegments: number;
  /**
   * Broadcast partition: every element is serialized once into one shared buffer that
   * is retained for every subpartition (Flink's `BroadcastRecordWriter`);
   * per-subpartition writes are refused.
   * @defaultValue false
   */
  broadcast: boolean;
}

/** Defaults of {@link ResultPartitionOptions}. */
export const defaultResultPartitionOptions: Readonly<ResultPartitionOptions> = Object.freeze({
  bufferTimeoutMs: defaultNetworkExchangeOptions.bufferTimeoutMs,
  maxBuffersPerChannel: defaultNetworkExchangeOptions.maxBuffersPerChannel,
  maxRecordSizeBytes: defaultNetworkExchangeOptions.maxRecordSizeBytes,
  numberOfRequiredSegments: 0,
  maxNumberOfSegments: 0,
  broadcast: false,
});

const validateOptions = compileOptions(
  Type.Object(
    {
      bufferTimeoutMs: Type.Integer({ minimum: -1, maximum: 2 ** 31 - 1 }),
      maxBuffersPerChannel: Type.Integer({ minimum: 1, maximum: 1 << 20 }),
      maxRecordSizeBytes: Type.Integer({ minimum: 16, maximum: 2 ** 30 }),
      numberOfRequiredSegments: Type.Integer({ minimum: 0, maximum: MAX_SEGMENTS_UNBOUNDED }),
      maxNumberOfSegments: Type.Integer({ minimum: 0, maximum: MAX_SEGMENTS_UNBOUNDED }),
      broadcast: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  'ResultPartition',
);

/** What a {@link ResultPartition} is built over. */
export interface ResultPartitionContext<T> {
  /** This thread's network buffer pool (attached). */
  readonly network: NetworkBufferPool;
  /** The edge's channels. */
  readonly channels: ExchangeChannels;
  /** Producer subtask index of this partition. */
  readonly producerIndex: number;
  /** Serializer of the elements. */
  readonly serializer: StreamElementSerializer<T>;
  /** Task counters: bytes/buffers out and back-pressured time are added here. */
  readonly metrics?: TaskIOMetricGroup;
}

/** Smallest frame (length prefix + tag): a builder with less room is finished. */
const MIN_FRAME_BYTES = FRAME_LENGTH_BYTES + 1;

/**
 * The output of one producer subtask into one job edge: N subpartitions (one per
 * consumer), each filled with framed `StreamElement`s in network segments and shipped
 * to its consumer's input channel by segment index, under the consumer's credit.
 *
 * ```
 *  emitRecord(r, c) ─► builder c: [frames··free]  ──full/flush──► subpartition c queue
 *                       │ no segment: heap overflow                 │ credit > 0
 *                       ▼                                           ▼
 *                 LocalBufferPool (per-channel cap)         channel ring → consumer c
 * ```
 *
 * - **Writing** ({@link emitRecord}) is synchronous: fixed-size records are written in
 *   place with one bounds check, and one that does not fit the rest of a buffer starts
 *   the next buffer (so every buffer starts at a frame, which the reader's fast path
 *   needs); anything else goes through `SpanningRecordSerializer` (frames may span
 *   segments). No allocation, no `Atomics` per record; a finished buffer costs a few
 *   `Atomics` (publish, notify).
 * - **Backpressure**: {@link isAvailable} is false while bytes wait in an overflow or the
 *   pool cannot lend a segment (exhausted, or a subpartition at
 *   `max-buffers-per-channel`); {@link getAvailableFuture} resolves when that changed.
 *   Per subpartition: {@link isSubpartitionAvailable} / {@link getSubpartitionAvailableFuture}.
 * - **Credit**: finished buffers are published while the consumer's credit lasts; the
 *   rest wait in the queue (the backlog) until the consumer grants credit, which wakes
 *   this partition through its `NOTIFY` word (see `docs/network.md`).
 * - **Flushing**: an `OutputFlusher` flushes every `bufferTimeoutMs`; 0 flushes after
 *   each record. A flush ships the partly filled buffer at once when it can be sent
 *   now, else the buffer keeps filling and is shipped as soon as credit arrives.
 * - **End**: {@link finish} writes `EndOfPartition` to every subpartition and flags the
 *   last buffer; {@link getAllDataProcessedFuture} resolves once every consumer released
 *   it. {@link release} gives every buffer back (cancellation, failure, after the end).
 *
 * @remarks Owned by the producing task's thread; no method may be called from another
 * thread. Corresponds to Flink's `PipelinedResultPartition` (+ `BufferWritingResultPartition`).
 */
export class ResultPartition<T> implements AvailabilityProvider {
  /** Producer subtask index. */
  readonly producerIndex: number;
  /** Number of subpartitions (consumers fed). */
  readonly numberOfSubpartitions: number;
  /** Whether this is a broadcast partition (one shared builder). */
  readonly isBroadcast: boolean;
  private readonly subpartitions: PipelinedSubpartition[];
  /** Per subpartition: the builder records are written to (placeholders when broadcast). */
  private readonly builders: BufferBuilder[];
  /** Builders that are filled: the per-subpartition ones, or the one shared builder. */
  private readonly lanes: BufferBuilder[];
  private readonly pool: LocalBufferPool;
  private readonly serializer: SpanningRecordSerializer<T>;
  private readonly elementSerializer: StreamElementSerializer<T>;
  private readonly maxRecordSizeBytes: number;
  private readonly flushAlways: boolean;
  /** Frame size of fixed-size records (with timestamp), or 0: such frames never span buffers. */
  private readonly fixedFrameBytes: number;
  private readonly channels: ExchangeChannels;
  private readonly partitionBase: number;
  private readonly watcher: NotificationWatcher;
  private readonly metrics: TaskIOMetricGroup | undefined;
  private readonly flusher: OutputFlusher | null;
  private numOverflowing = 0;
  private finishing = false;
  private released = false;
  private failure: SluiceError | null = null;
  private notifyScheduled = false;
  private availableFuture: Promise<void> | null = null;
  private resolveAvailable: (() => void) | null = null;
  private readonly subpartitionFutures: (Promise<void> | null)[];
  private readonly subpartitionResolvers: ((() => void) | null)[];
  private numSubpartitionFutures = 0;
  private allProcessedFuture: Promise<void> | null = null;
  private settleAllProcessed: ((error?: SluiceError) => void) | null = null;
  private readonly onNotifiedBound = (): void => this.onNotified();

  /**
   * Attaches to producer `producerIndex`'s endpoint of the exchange and creates the
   * partition's `LocalBufferPool`.
   *
   * @param context - network, channels, producer index, serializer, task metrics
   * @param options - see {@link ResultPartitionOptions}
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid options
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when the producer endpoint is taken
   * @throws SLUICE_ERR_NETWORK_BUFFERS_INSUFFICIENT when the pool's required segments
   *   cannot be guaranteed
   */
  constructor(context: ResultPartitionContext<T>, options: Partial<ResultPartitionOptions> = {}) {
    const opts = validateOptions({ ...defaultResultPartitionOptions, ...options });
    const { network, channels, producerIndex } = context;
    const consumers = channels.consumersOf(producerIndex);
    const n = consumers.length;
    this.producerIndex = producerIndex;
    this.numberOfSubpartitions = n;
    this.isBroadcast = opts.broadcast;
    this.channels = channels;
    this.metrics = context.metrics;
    this.elementSerializer = context.serializer;
    this.serializer = new SpanningRecordSerializer(context.serializer, {
      maxRecordSizeBytes: opts.maxRecordSizeBytes,
    });
    this.maxRecordSizeBytes = opts.maxRecordSizeBytes;
    this.flushAlways = opts.bufferTimeoutMs === 0;
    const recordLength = context.serializer.recordSerializer.getLength();
    const fixedFrame = FRAME_LENGTH_BYTES + 9 + recordLength;
    this.fixedFrameBytes =
      recordLength >= 0 && fixedFrame <= network.segmentSizeBytes / 4 ? fixedFrame : 0;
    this.partitionBase = channels.partitionBase(producerIndex);
    channels.claimEndpoint(this.partitionBase, `ResultPartition of producer ${producerIndex}`);
    const required = opts.numberOfRequiredSegments > 0 ? opts.numberOfRequiredSegments : n + 1;
    const derivedMax = opts.broadcast
      ? opts.maxBuffersPerChannel + 1
      : n * opts.maxBuffersPerChannel;
    const max = Math.max(
      required,
      opts.maxNumberOfSegments > 0 ? opts.maxNumberOfSegments : derivedMax,
    );
    try {
      this.pool = network.createBufferPool({
        numberOfRequiredSegments: required,
        maxNumberOfSegments: max,
        numberOfSubpartitions: n,
        maxBuffersPerChannel: opts.maxBuffersPerChannel,
      });
    } catch (error) {
      channels.closeEndpoint(this.partitionBase);
      throw error;
    }
    // With a flusher, full buffers may be announced two at a time (see PipelinedSubpartition.publish).
    const announceBatch = opts.bufferTimeoutMs > 0 ? 2 : 1;
    this.subpartitions = consumers.map(
      (consumer, i) =>
        new PipelinedSubpartition(
          channels,
          network,
          producerIndex,
          i,
          consumer,
          context.metrics,
          announceBatch,
        ),
    );
    if (opts.broadcast) {
      this.builders = consumers.map((_, i) => new BufferBuilder(i, true));
      this.lanes = [new BufferBuilder(NO_CHANNEL)];
    } else {
      this.builders = consumers.map((_, i) => new BufferBuilder(i));
      this.lanes = this.builders;
    }
    this.subpartitionFutures = new Array(n).fill(null);
    this.subpartitionResolvers = new Array(n).fill(null);
    this.watcher = new NotificationWatcher(
      channels.ctl,
      this.partitionBase + B_NOTIFY,
      this.partitionBase + B_WAITING,
      this.onNotifiedBound,
    );
    this.flusher = opts.bufferTimeoutMs > 0 ? new OutputFlusher(this, opts.bufferTimeoutMs) : null;
  }

  // ---- writing ----------------------------------------------------------------------

  /**
   * Writes one record into subpartition `subpartition` (Flink's `emitRecord`).
   * Synchronous; never waits. Check {@link isAvailable} between batches.
   *
   * @param record - the record (its value and timestamp are serialized now)
   * @param subpartition - target subpartition, 0 … N − 1 (not checked: the channel
   *   selector's result)
   * @throws the serializer's errors for invalid values (nothing is written then)
   * @throws SLUICE_ERR_TYPES_RECORD_TOO_LARGE above `maxRecordSizeBytes`
   * @throws SLUICE_ERR_NETWORK_PARTNER_GONE when a consumer's worker died
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION after {@link finish} or {@link release},
   *   or on a broadcast partition
   */
  emitRecord(record: StreamRecord<T>, subpartition: number): void {
    const builder = this.builders[subpartition]!;
    const position = builder.position;
    const length = this.elementSerializer.tryWriteRecordFixed(
      record,
      builder.view,
      position + FRAME_LENGTH_BYTES,
      builder.limit,
    );
    if (length > 0 && length <= this.maxRecordSizeBytes) {
      builder.view.setUint32(position, length);
      const end = position + FRAME_LENGTH_BYTES + length;
      builder.position = end;
      if (builder.limit - end < MIN_FRAME_BYTES) this.finishBuilder(builder, 0);
      else if (this.flushAlways) this.flushBuilder(builder);
      return;
    }
    this.emitSlow(record, builder);
  }

  /**
   * Writes one element to every subpartition, serialized once: into the shared buffer
   * of a broadcast partition (retained for each subpartition when finished), or copied
   * from one serialized frame into each subpartition's buffer. Checkpoint barriers
   * flush (ship at once where credit allows).
   *
   * @param element - a record or a control element (watermark, barrier, …)
   * @throws as {@link emitRecord}
   */
  broadcastElement(element: StreamElement<T>): void {
    if (this.isBroadcast) {
      const lane = this.lanes[0]!;
      if (element.kind === StreamElementKind.RECORD) {
        const position = lane.position;
        const length = this.elementSerializer.tryWriteRecordFixed(
          element,
          lane.view,
          position + FRAME_LENGTH_BYTES,
          lane.limit,
        );
        if (length > 0 && length <= this.maxRecordSizeBytes) {
          lane.view.setUint32(position, length);
          const end = position + FRAME_LENGTH_BYTES + length;
          lane.position = end;
          if (lane.limit - end < MIN_FRAME_BYTES) this.finishBuilder(lane, 0);
          else if (this.flushAlways) this.flushBuilder(lane);
          return;
        }
      }
      this.emitSlow(element, lane);
    } else {
      this.checkWritable();
      const frame = this.serializer.serializeFrame(element);
      for (const lane of this.lanes) {
        this.appendBytes(lane, frame, 0, frame.length);
        if (lane.buffer !== null && lane.limit - lane.position < MIN_FRAME_BYTES) {
          this.finishBuilder(lane, 0);
        }
      }
    }
    if (element.kind === StreamElementKind.CHECKPOINT_BARRIER || this.flushAlways) {
      this.flushAll(FLAG_EVENT);
    }
  }

  /**
   * Ships subpartition `subpartition`'s partly filled buffer: now if it can be sent
   * now, else as soon as credit arrives (the buffer keeps filling meanwhile).
   *
   * @param subpartition - subpartition index (any index flushes the shared buffer of a
   *   broadcast partition)
   */
  flush(subpartition: number): void {
    if (this.released) return;
    this.flushBuilder(this.isBroadcast ? this.lanes[0]! : this.builders[subpartition]!);
  }

  /**
   * Flushes every subpartition (the `OutputFlusher` calls this every buffer timeout).
   *
   * @param flags - descriptor flags for buffers finished by this flush
   */
  flushAll(flags = 0): void {
    if (this.released) return;
    for (const lane of this.lanes) this.flushBuilder(lane, flags);
    this.announceAll();
  }

  /**
   * Ends the partition: writes `EndOfPartition` to every subpartition and flags the
   * buffer holding it as the last one; queued data keeps flowing under credit. No
   * more writes are accepted.
   *
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when already finished or released
   * @throws SLUICE_ERR_NETWORK_PARTNER_GONE when a consumer's worker died
   */
  finish(): void {
    this.checkWritable();
    this.finishing = true;
    this.flusher?.stop();
    const frame = this.serializer.serializeFrame(EndOfPartition.INSTANCE).slice();
    for (const lane of this.lanes) {
      if (lane.discarding) continue;
      this.appendBytes(lane, frame, 0, frame.length);
      // Flagged after the copy: only the buffer holding the frame's last byte is LAST.
      lane.endOfPartitionPending = true;
      if (!lane.hasOverflow()) this.finishBuilder(lane, FLAG_EVENT);
    }
  }

  // ---- availability -------------------------------------------------------------------

  /**
   * Whether records can be written without growing a heap overflow: no overflow is
   * pending and the pool can lend a segment to any subpartition.
   *
   * @throws SLUICE_ERR_NETWORK_PARTNER_GONE when a consumer's worker died
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION after {@link release}
   */
  isAvailable(): boolean {
    this.checkUsable();
    return this.computeAvailable();
  }

  /**
   * `AVAILABLE` when {@link isAvailable}; else one future (the same until it resolves)
   * that resolves when the partition may have become available (a buffer was
   * recycled, credit arrived), or failed — re-check with {@link isAvailable}, which then
   * throws. Back-pressured time is accounted on the task metrics meanwhile.
   */
  getAvailableFuture(): Promise<void> {
    if (this.failure !== null || this.released || this.computeAvailable()) return AVAILABLE;
    let future = this.availableFuture;
    if (future === null) {
      future = new Promise<void>((resolve) => {
        this.resolveAvailable = resolve;
      });
      this.availableFuture = future;
      this.metrics?.markBackPressuredStart();
      this.announceAll();
      // Receivers signal NOTIFY whenever they release a buffer (the segment is then back
      // in this pool), so the partition's watcher covers recycled segments. The pool's
      // own future is only needed when the pool may still take segments from the global
      // free list; listening to it always would make every release notify twice.
      const pool = this.pool;
      if (pool.getNumberOfRequestedMemorySegments() < pool.getNumBuffers()) {
        pool.getAvailableFuture().then(this.onNotifiedBound);
      }
      this.armWatcher();
    }
    return future;
  }

  /**
   * Whether subpartition `subpartition` can take a record without overflow: it has a
   * buffer with room or can get one now (requests it eagerly). A subpartition whose
   * consumer released the channel is always available (its writes are dropped).
   *
   * @param subpartition - subpartition index
   * @throws as {@link isAvailable}
   */
  isSubpartitionAvailable(subpartition: number): boolean {
    this.checkUsable();
    return this.computeSubpartitionAvailable(this.builders[subpartition]!);
  }

  /**
   * As {@link getAvailableFuture}, for one subpartition: lets a producer keep serving
   * the other subpartitions while one consumer is stalled.
   *
   * @param subpartition - subpartition index
   */
  getSubpartitionAvailableFuture(subpartition: number): Promise<void> {
    if (
      this.failure !== null ||
      this.released ||
      this.computeSubpartitionAvailable(this.builders[subpartition]!)
    ) {
      return AVAILABLE;
    }
    let future = this.subpartitionFutures[subpartition]!;
    if (future === null) {
      future = new Promise<void>((resolve) => {
        this.subpartitionResolvers[subpartition] = resolve;
      });
      this.subpartitionFutures[subpartition] = future;
      this.numSubpartitionFutures++;
      this.announceAll();
      this.armWatcher();
    }
    return future;
  }

  /**
   * Resolves once {@link finish} was called and every consumer has consumed and
   * released the last buffer (or closed its channel); rejects with
   * `SLUICE_ERR_NETWORK_PARTNER_GONE` when a consumer's worker died, or with
   * `SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION` when the partition is released first.
   */
  getAllDataProcessedFuture(): Promise<void> {
    if (this.allProcessedFuture === null) {
      this.allProcessedFuture = new Promise<void>((resolve, reject) => {
        this.settleAllProcessed = (error?: SluiceError) => (error ? reject(error) : resolve());
      });
      this.checkAllProcessed();
      if (this.settleAllProcessed !== null) this.armWatcher();
    }
    return this.allProcessedFuture;
  }

  // ---- teardown ----------------------------------------------------------------------

  /**
   * Releases everything: the buffers being filled, the overflows, the queued buffers
   * (and, for consumers that closed or died, the buffers published to them); marks
   * unfinished channels RELEASED so that consumers fail fast; destroys the pool. Buffers
   * held by live consumers return to the free list when they release them. Idempotent.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.flusher?.stop();
    this.watcher.cancel();
    for (const lane of this.lanes) {
      lane.buffer?.release();
      lane.detach();
      lane.clearOverflow();
    }
    this.numOverflowing = 0;
    this.serializer.clear();
    for (const subpartition of this.subpartitions) subpartition.release();
    this.pool.destroy();
    this.channels.closeEndpoint(this.partitionBase);
    this.settleFutures();
    if (this.settleAllProcessed !== null) {
      const settle = this.settleAllProcessed;
      this.settleAllProcessed = null;
      settle(
        this.failure ??
          new ProtocolViolationError(
            `ResultPartition of producer ${this.producerIndex} was released before its consumers processed all data`,
            { details: { producer: this.producerIndex } },
          ),
      );
    }
  }

  /** Whether {@link release} was called. */
  isReleased(): boolean {
    return this.released;
  }

  /** Id of the partition's `LocalBufferPool` (what the main thread reclaims after a crash). */
  getBufferPoolId(): number {
    return this.pool.id;
  }

  // ---- metrics -----------------------------------------------------------------------

  /** Fraction of the pool's segments in use, 0 … 1 (Flink's `outPoolUsage`). */
  getOutPoolUsage(): number {
    return this.released ? 0 : this.pool.getUsage();
  }

  /** Buffers queued for sending over all subpartitions (Flink's `outputQueueLength`). */
  getOutputQueueLength(): number {
    let length = 0;
    for (const subpartition of this.subpartitions) length += subpartition.queueLength;
    return length;
  }

  /** Bytes in the queued buffers (Flink's `outputQueueSize`). */
  getOutputQueueSizeBytes(): number {
    let bytes = 0;
    for (const subpartition of this.subpartitions) bytes += subpartition.queuedBytes();
    return bytes;
  }

  /** Buffers queued for subpartition `subpartition` (its backlog). */
  getBacklog(subpartition: number): number {
    return this.subpartitions[subpartition]!.queueLength;
  }

  /** Credit the consumer of subpartition `subpartition` has granted and that is unused. */
  getAvailableCredit(subpartition: number): number {
    return this.subpartitions[subpartition]!.availableCredit();
  }

  /** Bytes published so far. */
  getNumBytesOut(): number {
    let bytes = 0;
    for (const subpartition of this.subpartitions) bytes += subpartition.numBytesOut;
    return bytes;
  }

  /** Buffers published so far (a broadcast buffer counts once per subpartition). */
  getNumBuffersOut(): number {
    let buffers = 0;
    for (const subpartition of this.subpartitions) buffers += subpartition.numBuffersOut;
    return buffers;
  }

  /** Current size of the partition's pool in segments (Flink's `getNumBuffers`). */
  getPoolSize(): number {
    return this.released ? 0 : this.pool.getNumBuffers();
  }

  /** Buffers lent by the pool and not yet recycled (being filled, queued or in flight). */
  getNumBuffersInUse(): number {
    return this.released ? 0 : this.pool.bestEffortGetNumOfUsedBuffers();
  }

  // ---- internals -----------------------------------------------------------------------

  private emitSlow(element: StreamElement<T>, builder: BufferBuilder): void {
    this.checkWritable();
    if (builder.disabled) {
      throw new ProtocolViolationError(
        `ResultPartition of producer ${this.producerIndex} is a broadcast partition: write every element with broadcastElement(), not to one subpartition`,
        { details: { producer: this.producerIndex, subpartition: builder.target } },
      );
    }
    if (builder.discarding) return;
    // A fixed-size record that does not fit the rest of the buffer starts the next one
    // instead of spanning: every buffer then starts at a frame (the reader's fast path)
    // for at most one frame's bytes left unused per buffer.
    if (
      element.kind === StreamElementKind.RECORD &&
      builder.buffer !== null &&
      builder.position > 0 &&
      builder.limit - builder.position < this.fixedFrameBytes
    ) {
      this.finishBuilder(builder, 0);
      if (builder.discarding) return;
    }
    const serializer = this.serializer;
    if (builder.hasOverflow() || (builder.buffer === null && !this.requestBuilder(builder))) {
      const frame = serializer.serializeFrame(element);
      if (builder.appendOverflow(frame, 0, frame.length)) this.numOverflowing++;
      return;
    }
    builder.position = serializer.serializeToSegment(
      element,
      builder.segment!,
      builder.position,
      builder.limit,
    );
    while (serializer.hasPendingData()) {
      this.finishBuilder(builder, 0);
      if (builder.discarding) {
        serializer.clear();
        return;
      }
      if (!this.requestBuilder(builder)) {
        if (builder.takePending(serializer)) {
          this.numOverflowing++;
        }
        return;
      }
      builder.position = serializer.copyPendingToSegment(
        builder.segment!,
        builder.position,
        builder.limit,
      );
    }
    if (builder.limit - builder.position < MIN_FRAME_BYTES) this.finishBuilder(builder, 0);
    else if (this.flushAlways) this.flushBuilder(builder);
  }

  /** Copies `source[start, end)` into the builder's buffers (and overflow when none). */
  private appendBytes(
    builder: BufferBuilder,
    source: Uint8Array,
    start: number,
    end: number,
  ): void {
    if (builder.discarding) return;
    let position = start;
    while (position < end) {
      if (builder.hasOverflow() || (builder.buffer === null && !this.requestBuilder(builder))) {
        if (builder.appendOverflow(source, position, end)) this.numOverflowing++;
        return;
      }
      const count = Math.min(builder.limit - builder.position, end - position);
      builder.bytes.set(source.subarray(position, position + count), builder.position);
      builder.position += count;
      position += count;
      if (position < end) {
        this.finishBuilder(builder, 0);
        if (builder.discarding) return;
      }
    }
  }

  /** Moves a builder's overflow into segments as far as they can be had. */
  private drainOverflow(builder: BufferBuilder): void {
    while (builder.hasOverflow()) {
      if (builder.discarding) {
        builder.clearOverflow();
        this.numOverflowing--;
        return;
      }
      if (builder.buffer === null && !this.requestBuilder(builder)) return;
      if (builder.moveOverflowToSegment()) {
        this.numOverflowing--;
        if (builder.endOfPartitionPending) this.finishBuilder(builder, FLAG_EVENT);
        else if (builder.limit - builder.position < MIN_FRAME_BYTES) this.finishBuilder(builder, 0);
        return;
      }
      this.finishBuilder(builder, 0);
    }
  }

  /** Requests a segment for the builder (draining recycled segments first if needed). */
  private requestBuilder(builder: BufferBuilder): boolean {
    if (this.released) return false;
    const channel = builder.target;
    let buffer = this.pool.requestBuffer(channel);
    if (buffer === null) {
      // A channel at its cap is not drained by requestBuffer(); isAvailable() drains.
      this.pool.isAvailable();
      buffer = this.pool.requestBuffer(channel);
      if (buffer === null) return false;
    }
    builder.attach(buffer);
    return true;
  }

  /**
   * Finishes the builder's buffer (if it holds data) and hands it to its
   * subpartition(s); flags it LAST when it ends the partition.
   */
  private finishBuilder(builder: BufferBuilder, flags: number, urgent = false): void {
    const buffer = builder.buffer;
    const size = builder.position;
    if (buffer === null) return;
    if (size === 0) {
      if (!builder.endOfPartitionPending) return;
    }
    if (builder.endOfPartitionPending && !builder.hasOverflow()) {
      flags |= FLAG_LAST;
      builder.finished = true;
    }
    builder.detach();
    if (builder.finished) builder.endOfPartitionPending = false;
    const target = builder.target;
    if (target !== NO_CHANNEL) {
      const subpartition = this.subpartitions[target]!;
      subpartition.add(buffer, size, flags);
      this.publish(subpartition, urgent);
      return;
    }
    const subpartitions = this.subpartitions;
    for (let i = 1; i < subpartitions.length; i++) buffer.retain();
    for (const subpartition of subpartitions) subpartition.add(buffer, size, flags);
    for (const subpartition of subpartitions) this.publish(subpartition, urgent);
  }

  /**
   * A flush finishes the buffer when nothing is queued before it (it ships now, or is
   * announced as backlog so that the receiver lends credit); behind a queue it keeps
   * filling and is finished once the queue has drained (no train of tiny buffers under
   * backpressure).
   */
  private flushBuilder(builder: BufferBuilder, flags = 0): void {
    if (builder.buffer === null || builder.position === 0) return;
    if (builder.target === NO_CHANNEL || this.subpartitions[builder.target]!.queueLength === 0) {
      this.finishBuilder(builder, flags, true);
    } else {
      builder.flushRequested = true;
      this.armWatcher();
    }
  }

  private publish(subpartition: PipelinedSubpartition, urgent = false): void {
    const result = subpartition.publish(urgent);
    if (result === PUBLISH_NEEDS_CREDIT) {
      this.armWatcher();
      return;
    }
    if (result === PUBLISH_DISCARDED || result === PUBLISH_RECEIVER_GONE) {
      if (!this.isBroadcast) {
        const builder = this.builders[subpartition.index]!;
        if (!builder.discarding) {
          builder.discarding = true;
          builder.buffer?.release();
          builder.detach();
          if (builder.hasOverflow()) {
            builder.clearOverflow();
            this.numOverflowing--;
          }
        }
      }
      if (result === PUBLISH_RECEIVER_GONE) this.failGone(subpartition);
      return;
    }
    if (result === PUBLISH_PROTOCOL_VIOLATION && this.failure === null) {
      this.failure = new ProtocolViolationError(
        `consumer ${subpartition.consumerIndex} of producer ${this.producerIndex} granted credit beyond its channel ring of ${this.channels.ringCapacity} descriptors; the exchange's shared memory is corrupt or the consumer uses other credit settings`,
        { details: { producer: this.producerIndex, consumer: subpartition.consumerIndex } },
      );
      this.settleFutures();
    }
  }

  private failGone(subpartition: PipelinedSubpartition): void {
    if (this.failure !== null) return;
    this.failure = new PartnerGoneError(
      `consumer subtask ${subpartition.consumerIndex} of producer ${this.producerIndex}'s partition is gone (its worker died); the job fails over`,
      { details: { producer: this.producerIndex, consumer: subpartition.consumerIndex } },
    );
    this.settleFutures();
  }

  /** Signals every receiver about buffers published without a signal yet. */
  private announceAll(): void {
    for (const subpartition of this.subpartitions) subpartition.announce();
  }

  /**
   * Waits for the partition's NOTIFY word (credit, recycled buffers, consumers done);
   * first signals the receivers about everything published, since they may be what
   * this partition is waiting for.
   */
  private armWatcher(): void {
    if (this.released || this.notifyScheduled || this.watcher.isWaiting()) return;
    this.announceAll();
    const seen = this.watcher.prepare();
    if (this.hasWorkNow() || !this.watcher.wait(seen)) {
      this.notifyScheduled = true;
      queueMicrotask(this.onNotifiedBound);
    }
  }

  /**
   * Re-check after raising WAITING: whatever a notification would have told us may
   * have happened just before (credit for a queue or a flush, a recycled segment for a
   * waiting future, consumers done).
   */
  private hasWorkNow(): boolean {
    for (const subpartition of this.subpartitions) {
      if (subpartition.hasQueuedAndCredit()) return true;
    }
    for (const lane of this.lanes) {
      if (
        lane.flushRequested &&
        lane.target !== NO_CHANNEL &&
        this.subpartitions[lane.target]!.queueLength === 0
      ) {
        return true;
      }
    }
    if (this.availableFuture !== null && this.computeAvailable()) return true;
    if (this.numSubpartitionFutures > 0) {
      for (let i = 0; i < this.subpartitionFutures.length; i++) {
        if (
          this.subpartitionFutures[i] !== null &&
          this.computeSubpartitionAvailable(this.builders[i]!)
        ) {
          return true;
        }
      }
    }
    return this.settleAllProcessed !== null && this.allProcessedDecided();
  }

  /** Runs after a notification (credit granted, buffer recycled, consumer finished or gone). */
  private onNotified(): void {
    this.notifyScheduled = false;
    if (this.released) return;
    // Publishes what credit allows, and notices consumers that closed or died.
    for (const subpartition of this.subpartitions) this.publish(subpartition);
    for (const lane of this.lanes) {
      if (lane.hasOverflow()) this.drainOverflow(lane);
      if (lane.flushRequested && lane.buffer !== null) this.flushBuilder(lane);
    }
    this.settleFutures();
    this.checkAllProcessed();
    if (this.needsWatch()) {
      this.armWatcher();
    } else {
      this.watcher.done();
    }
  }

  private needsWatch(): boolean {
    if (this.released || this.failure !== null) return false;
    if (this.availableFuture !== null || this.numSubpartitionFutures > 0) return true;
    if (this.settleAllProcessed !== null || this.numOverflowing > 0) return true;
    for (const subpartition of this.subpartitions) {
      if (subpartition.queueLength > 0) return true;
    }
    for (const lane of this.lanes) if (lane.flushRequested) return true;
    return false;
  }

  /** Resolves the availability futures whose condition holds (or that failed). */
  private settleFutures(): void {
    const done = this.failure !== null || this.released;
    if (this.availableFuture !== null && (done || this.computeAvailable())) {
      const resolve = this.resolveAvailable!;
      this.availableFuture = null;
      this.resolveAvailable = null;
      this.metrics?.markBackPressuredEnd();
      resolve();
    }
    if (this.numSubpartitionFutures > 0) {
      for (let i = 0; i < this.subpartitionFutures.length; i++) {
        if (this.subpartitionFutures[i] === null) continue;
        if (!done && !this.computeSubpartitionAvailable(this.builders[i]!)) continue;
        const resolve = this.subpartitionResolvers[i]!;
        this.subpartitionFutures[i] = null;
        this.subpartitionResolvers[i] = null;
        this.numSubpartitionFutures--;
        resolve();
      }
    }
  }

  private computeAvailable(): boolean {
    if (this.numOverflowing > 0) {
      for (const lane of this.lanes) if (lane.hasOverflow()) this.drainOverflow(lane);
      if (this.numOverflowing > 0) return false;
    }
    return this.pool.isAvailable();
  }

  private computeSubpartitionAvailable(builder: BufferBuilder): boolean {
    if (this.isBroadcast) return this.computeAvailable();
    if (builder.discarding) return true;
    if (builder.hasOverflow()) {
      this.drainOverflow(builder);
      if (builder.hasOverflow()) return false;
    }
    if (builder.buffer !== null) return true;
    if (this.released) return false;
    return this.requestBuilder(builder);
  }

  private allProcessedDecided(): boolean {
    if (!this.finishing) return false;
    for (const subpartition of this.subpartitions) {
      const state = subpartition.receiverState();
      if (state === STATE_GONE) return true;
      if (state === STATE_OPEN) return false;
    }
    return true;
  }

  private checkAllProcessed(): void {
    const settle = this.settleAllProcessed;
    if (settle === null) return;
    if (this.failure !== null) {
      this.settleAllProcessed = null;
      settle(this.failure);
      return;
    }
    if (!this.allProcessedDecided()) return;
    this.settleAllProcessed = null;
    for (const subpartition of this.subpartitions) {
      if (subpartition.receiverState() === STATE_GONE) {
        this.failGone(subpartition);
        settle(this.failure!);
        return;
      }
    }
    settle();
  }

  private checkUsable(): void {
    if (this.failure !== null) throw this.failure;
    if (this.released) {
      throw new ProtocolViolationError(
        `ResultPartition of producer ${this.producerIndex} was released; no more use`,
        { details: { producer: this.producerIndex } },
      );
    }
  }

  private checkWritable(): void {
    this.checkUsable();
    if (this.finishing) {
      throw new ProtocolViolationError(
        `ResultPartition of producer ${this.producerIndex}: write after finish(); EndOfPartition was already sent`,
        { details: { producer: this.producerIndex } },
      );
    }
  }
}
