import type { SluiceError } from '../errors.ts';
import type { TaskIOMetricGroup } from '../metrics/task-io-metric-group.ts';
import {
  EndOfPartition,
  type StreamElement,
  StreamElementKind,
  type StreamRecord,
} from '../types/stream-element.ts';
import type { StreamElementSerializer } from '../types/stream-element-serializer.ts';
import { BufferBuilder } from './buffer-builder.ts';
import { NO_CHANNEL } from './buffer-pool-layout.ts';
import { FLAG_EVENT, FLAG_LAST } from './channel-layout.ts';
import type { ExchangeChannels } from './exchange-channels.ts';
import type { LocalBufferPool } from './local-buffer-pool.ts';
import { PartnerGoneError, ProtocolViolationError } from './network-exchange-errors.ts';
import {
  PipelinedSubpartition,
  PUBLISH_DISCARDED,
  PUBLISH_NEEDS_CREDIT,
  PUBLISH_PROTOCOL_VIOLATION,
  PUBLISH_RECEIVER_GONE,
} from './pipelined-subpartition.ts';
import type { ResultPartitionContext, ResultPartitionOptions } from './result-partition-options.ts';
import {
  FRAME_LENGTH_BYTES,
  SpanningRecordSerializer,
} from './serialization/spanning-record-serializer.ts';

/** Smallest frame (length prefix + tag): a builder with less room is finished. */
const MIN_FRAME_BYTES = FRAME_LENGTH_BYTES + 1;

/**
 * The writing half of a result partition: N subpartitions (one per consumer), each
 * filled with framed `StreamElement`s in network segments and handed to its channel by
 * segment index under the consumer's credit. `ResultPartition` adds availability,
 * waiting and teardown.
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
 * - When the pool has no segment, bytes go to the builder's heap overflow (order kept)
 *   and are moved into segments as they come back.
 * - **Credit**: finished buffers are published while the consumer's credit lasts; the
 *   rest wait in the queue (the backlog) until the consumer grants credit.
 * - **Flushing**: a flush ships the partly filled buffer when nothing is queued before
 *   it (now, or announced as backlog); behind a queue it keeps filling.
 * - **End**: {@link finish} writes `EndOfPartition` to every subpartition and flags the
 *   buffer holding its last byte LAST.
 *
 * @remarks Owned by the producing task's thread. Corresponds to Flink's
 * `BufferWritingResultPartition`.
 */
export abstract class BufferWritingResultPartition<T> {
  /** Producer subtask index. */
  readonly producerIndex: number;
  /** Number of subpartitions (consumers fed). */
  readonly numberOfSubpartitions: number;
  /** Whether this is a broadcast partition (one shared builder). */
  readonly isBroadcast: boolean;
  protected readonly subpartitions: PipelinedSubpartition[];
  /** Per subpartition: the builder records are written to (placeholders when broadcast). */
  protected readonly builders: BufferBuilder[];
  /** Builders that are filled: the per-subpartition ones, or the one shared builder. */
  protected readonly lanes: BufferBuilder[];
  protected readonly pool: LocalBufferPool;
  protected readonly serializer: SpanningRecordSerializer<T>;
  protected readonly elementSerializer: StreamElementSerializer<T>;
  protected readonly maxRecordSizeBytes: number;
  protected readonly flushAlways: boolean;
  /** Frame size of fixed-size records (with timestamp), or 0: such frames never span buffers. */
  protected readonly fixedFrameBytes: number;
  protected readonly channels: ExchangeChannels;
  /** First word of this producer's partition block. */
  protected readonly partitionBase: number;
  protected readonly metrics: TaskIOMetricGroup | undefined;
  protected numOverflowing = 0;
  protected finishing = false;
  protected released = false;
  protected failure: SluiceError | null = null;

  /**
   * Claims producer `producerIndex`'s endpoint and creates the partition's `LocalBufferPool`.
   *
   * @param context - network, channels, producer index, serializer, task metrics
   * @param opts - validated options
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when the producer endpoint is taken
   * @throws SLUICE_ERR_NETWORK_BUFFERS_INSUFFICIENT when the pool's required segments
   *   cannot be guaranteed
   */
  constructor(context: ResultPartitionContext<T>, opts: ResultPartitionOptions) {
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
    const frame = this.serializer.serializeFrame(EndOfPartition.INSTANCE).slice();
    for (const lane of this.lanes) {
      if (lane.discarding) continue;
      this.appendBytes(lane, frame, 0, frame.length);
      // Flagged after the copy: only the buffer holding the frame's last byte is LAST.
      lane.endOfPartitionPending = true;
      if (!lane.hasOverflow()) this.finishBuilder(lane, FLAG_EVENT);
    }
  }

  // ---- metrics ---------------------------------------------------------------------

  /** Whether {@link release} was called. */
  isReleased(): boolean {
    return this.released;
  }

  /** Id of the partition's `LocalBufferPool` (what the main thread reclaims after a crash). */
  getBufferPoolId(): number {
    return this.pool.id;
  }

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

  // ---- for the subclass ------------------------------------------------------------

  /** Waits (asynchronously) for credit, recycled buffers or consumers' progress. */
  protected abstract armWatcher(): void;

  /** Resolves waiting futures whose condition now holds, or that failed. */
  protected abstract settleFutures(): void;

  /**
   * Gives back every buffer the writing side holds: builders, overflows, queues (and
   * buffers published to consumers that closed or died); marks unfinished channels
   * RELEASED; destroys the pool; frees the producer endpoint.
   */
  protected releaseBuffers(): void {
    this.released = true;
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
  }

  // ---- internals ---------------------------------------------------------------------

  protected emitSlow(element: StreamElement<T>, builder: BufferBuilder): void {
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
  protected appendBytes(
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
  protected drainOverflow(builder: BufferBuilder): void {
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
  protected requestBuilder(builder: BufferBuilder): boolean {
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
  protected finishBuilder(builder: BufferBuilder, flags: number, urgent = false): void {
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
  protected flushBuilder(builder: BufferBuilder, flags = 0): void {
    if (builder.buffer === null || builder.position === 0) return;
    if (builder.target === NO_CHANNEL || this.subpartitions[builder.target]!.queueLength === 0) {
      this.finishBuilder(builder, flags, true);
    } else {
      builder.flushRequested = true;
      this.armWatcher();
    }
  }

  protected publish(subpartition: PipelinedSubpartition, urgent = false): void {
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

  protected failGone(subpartition: PipelinedSubpartition): void {
    if (this.failure !== null) return;
    this.failure = new PartnerGoneError(
      `consumer subtask ${subpartition.consumerIndex} of producer ${this.producerIndex}'s partition is gone (its worker died); the job fails over`,
      { details: { producer: this.producerIndex, consumer: subpartition.consumerIndex } },
    );
    this.settleFutures();
  }

  /** Signals every receiver about buffers published without a signal yet. */
  protected announceAll(): void {
    for (const subpartition of this.subpartitions) subpartition.announce();
  }

  protected computeAvailable(): boolean {
    if (this.numOverflowing > 0) {
      for (const lane of this.lanes) if (lane.hasOverflow()) this.drainOverflow(lane);
      if (this.numOverflowing > 0) return false;
    }
    return this.pool.isAvailable();
  }

  protected computeSubpartitionAvailable(builder: BufferBuilder): boolean {
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

  protected checkUsable(): void {
    if (this.failure !== null) throw this.failure;
    if (this.released) {
      throw new ProtocolViolationError(
        `ResultPartition of producer ${this.producerIndex} was released; no more use`,
        { details: { producer: this.producerIndex } },
      );
    }
  }

  protected checkWritable(): void {
    this.checkUsable();
    if (this.finishing) {
      throw new ProtocolViolationError(
        `ResultPartition of producer ${this.producerIndex}: write after finish(); EndOfPartition was already sent`,
        { details: { producer: this.producerIndex } },
      );
    }
  }
}
