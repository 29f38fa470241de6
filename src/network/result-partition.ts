import type { SluiceError } from '../errors.ts';
import { AVAILABLE, type AvailabilityProvider } from './availability-provider.ts';
import { NO_CHANNEL } from './buffer-pool-layout.ts';
import { BufferWritingResultPartition } from './buffer-writing-result-partition.ts';
import { B_NOTIFY, B_WAITING, STATE_GONE, STATE_OPEN, STATE_RELEASED } from './channel-layout.ts';
import { ProtocolViolationError } from './network-exchange-errors.ts';
import { NotificationWatcher } from './notification-watcher.ts';
import { OutputFlusher } from './output-flusher.ts';
import {
  defaultResultPartitionOptions,
  type ResultPartitionContext,
  type ResultPartitionOptions,
  validateResultPartitionOptions,
} from './result-partition-options.ts';

export {
  defaultResultPartitionOptions,
  type ResultPartitionContext,
  type ResultPartitionOptions,
} from './result-partition-options.ts';

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
 * thread. Corresponds to Flink's `PipelinedResultPartition`; the writing half is
 * `BufferWritingResultPartition`.
 */
export class ResultPartition<T>
  extends BufferWritingResultPartition<T>
  implements AvailabilityProvider
{
  private readonly watcher: NotificationWatcher;
  private readonly flusher: OutputFlusher | null;
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
   * Attaches to producer `producerIndex`'s endpoint of the exchange, creates the
   * partition's `LocalBufferPool` and starts the output flusher.
   *
   * @param context - network, channels, producer index, serializer, task metrics
   * @param options - see {@link ResultPartitionOptions}
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid options
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when the producer endpoint is taken
   * @throws SLUICE_ERR_NETWORK_BUFFERS_INSUFFICIENT when the pool's required segments
   *   cannot be guaranteed
   */
  constructor(context: ResultPartitionContext<T>, options: Partial<ResultPartitionOptions> = {}) {
    const opts = validateResultPartitionOptions({ ...defaultResultPartitionOptions, ...options });
    super(context, opts);
    const n = this.numberOfSubpartitions;
    this.subpartitionFutures = new Array(n).fill(null);
    this.subpartitionResolvers = new Array(n).fill(null);
    this.watcher = new NotificationWatcher(
      context.channels.ctl,
      this.partitionBase + B_NOTIFY,
      this.partitionBase + B_WAITING,
      this.onNotifiedBound,
    );
    this.flusher = opts.bufferTimeoutMs > 0 ? new OutputFlusher(this, opts.bufferTimeoutMs) : null;
  }

  /**
   * Ends the partition (see `BufferWritingResultPartition.finish`) and stops the flusher.
   *
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when already finished or released
   * @throws SLUICE_ERR_NETWORK_PARTNER_GONE when a consumer's worker died
   */
  override finish(): void {
    super.finish();
    this.flusher?.stop();
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
    this.flusher?.stop();
    this.watcher.cancel();
    this.releaseBuffers();
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

  // ---- waiting -----------------------------------------------------------------------

  /**
   * Waits for the partition's NOTIFY word (credit, recycled buffers, consumers done);
   * first signals the receivers about everything published, since they may be what
   * this partition is waiting for.
   */
  protected override armWatcher(): void {
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
   * waiting future or for a pending overflow, a consumer that closed or died, consumers
   * done). It must cover everything {@link onNotified} acts on: a signal that came
   * before `prepare()` wakes nobody.
   */
  private hasWorkNow(): boolean {
    for (const subpartition of this.subpartitions) {
      if (subpartition.hasQueuedAndCredit()) return true;
      const state = subpartition.receiverState();
      if ((state === STATE_RELEASED || state === STATE_GONE) && !subpartition.isDiscarding()) {
        return true;
      }
    }
    if (this.finishing && this.numOverflowing > 0) {
      // A segment for an overflow holding the end of the partition (no availability
      // future covers it after finish()). The segment requested here is the one
      // onNotified() drains the overflow into; nothing can write past the overflow into
      // it, since writes end with finish().
      for (const lane of this.lanes) {
        if (lane.hasOverflow() && (lane.buffer !== null || this.requestBuilder(lane))) return true;
      }
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
  protected override settleFutures(): void {
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
}
