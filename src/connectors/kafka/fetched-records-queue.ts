/**
 * The bounded hand-off between the Kafka consumer, which pushes fetched batches, and
 * the source reader, which the task pulls (Flink's `FutureCompletingBlockingQueue` of
 * `RecordsWithSplitIds`, bounded in bytes and records instead of elements).
 *
 * ```
 *   consumer (eachBatch) ── add(batch) ──►  [ batch | batch | batch ]  ──► reader.pollNext
 *        ▲                                    bufferedBytes, bufferedRecords
 *        │ isFull(): pause partitions, await awaitSpace()
 *        └──────────── space below the low-water mark ◄── consumed by the reader
 * ```
 *
 * - **Bounds.** The queue never refuses a batch (it is already in memory when it
 *   arrives); instead {@link isFull} tells the consumer to pause its partitions and wait
 *   in {@link awaitSpace} until both figures are below `resumeFraction` of their bounds.
 *   The most the queue holds is therefore the bound plus what was fetched before the
 *   pause took effect: one fetch response (`fetch.max.bytes`).
 * - **Byte accounting** is by record key and value bytes, counted once when a batch is
 *   added and released when the batch is fully consumed or dropped: a partly consumed
 *   batch (≤ `max.partition.fetch.bytes`) still counts whole. Records are released as
 *   they are consumed.
 * - **Availability** (Flink's `AvailabilityProvider`): {@link getAvailableFuture} is a
 *   resolved promise while batches are queued, otherwise one shared promise that
 *   resolves at the next `add` (or `wakeUp`); never a promise per record.
 *
 * @remarks Owned by the reader's thread: the consumer's callbacks and the task run on
 * the same worker event loop, so no locking is needed.
 * @module
 */
import type { ConsumerMessage } from './kafka-client.ts';
import type { KafkaPartitionSplitState } from './kafka-partition-split-state.ts';

/** Fetched records of one partition, as queued. */
export interface QueuedBatch {
  readonly split: KafkaPartitionSplitState;
  readonly messages: readonly ConsumerMessage[];
  /** Index of the next record to emit. */
  position: number;
  /** Index after the last record to emit (less than `messages.length` at a stopping offset). */
  end: number;
  /** Offset to continue from once the batch is consumed (control records included). */
  readonly nextFetchOffset: number;
  /** Key and value bytes of the batch's records, as accounted. */
  readonly bytes: number;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** See the module documentation. */
export class FetchedRecordsQueue {
  /** Upper bound of buffered key + value bytes before the consumer pauses. */
  readonly maxBytes: number;
  /** Upper bound of buffered records before the consumer pauses. */
  readonly maxRecords: number;
  private readonly resumeBytes: number;
  private readonly resumeRecords: number;
  private batches: QueuedBatch[] = [];
  private head = 0;
  private bytes = 0;
  private records = 0;
  private availableFuture: Promise<void> | undefined;
  private resolveAvailable: (() => void) | undefined;
  private spaceFuture: Promise<void> | undefined;
  private resolveSpace: (() => void) | undefined;
  /** Largest figures seen (for tests and the documented bound). */
  peakBytes = 0;
  peakRecords = 0;

  /**
   * @param maxBytes - byte bound (≥ 1)
   * @param maxRecords - record bound (≥ 1)
   * @param resumeFraction - low-water mark as a fraction of both bounds (0..1)
   */
  constructor(maxBytes: number, maxRecords: number, resumeFraction: number) {
    this.maxBytes = maxBytes;
    this.maxRecords = maxRecords;
    this.resumeBytes = Math.floor(maxBytes * resumeFraction);
    this.resumeRecords = Math.floor(maxRecords * resumeFraction);
  }

  /** Buffered key + value bytes. */
  get bufferedBytes(): number {
    return this.bytes;
  }

  /** Buffered records not yet consumed. */
  get bufferedRecords(): number {
    return this.records;
  }

  /** Whether no batch is queued. */
  isEmpty(): boolean {
    return this.head === this.batches.length;
  }

  /** Whether either bound is reached: the consumer should pause. */
  isFull(): boolean {
    return this.bytes >= this.maxBytes || this.records >= this.maxRecords;
  }

  /** Whether both figures are at or below the low-water mark: paused partitions may resume. */
  hasSpace(): boolean {
    return this.bytes <= this.resumeBytes && this.records <= this.resumeRecords;
  }

  /**
   * Queues a batch (never refused; see {@link isFull}) and wakes a waiting reader.
   *
   * @param batch - the batch; `position..end` are the records still to emit
   */
  add(batch: QueuedBatch): void {
    this.batches.push(batch);
    this.bytes += batch.bytes;
    this.records += batch.end - batch.position;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    if (this.records > this.peakRecords) this.peakRecords = this.records;
    this.signalAvailable();
  }

  /** The batch to read from, or `undefined` when the queue is empty. */
  peek(): QueuedBatch | undefined {
    return this.head < this.batches.length ? this.batches[this.head] : undefined;
  }

  /**
   * Accounts `count` records of the head batch as consumed (the caller advanced
   * `position`); removes the batch once `position === end`.
   *
   * @param count - records consumed from the head batch in this step
   */
  consumed(count: number): void {
    this.records -= count;
    const batch = this.batches[this.head]!;
    if (batch.position >= batch.end) this.removeHead(batch);
  }

  /**
   * Drops every queued batch of a partition (revoked, or sought elsewhere).
   *
   * @param split - the partition
   * @returns the number of records dropped
   */
  removePartition(split: KafkaPartitionSplitState): number {
    let dropped = 0;
    const kept: QueuedBatch[] = [];
    for (let i = this.head; i < this.batches.length; i++) {
      const batch = this.batches[i]!;
      if (batch.split === split) {
        dropped += batch.end - batch.position;
        this.bytes -= batch.bytes;
      } else {
        kept.push(batch);
      }
    }
    this.records -= dropped;
    this.batches = kept;
    this.head = 0;
    this.signalSpaceIfAny();
    return dropped;
  }

  /** Resolves while records are queued; otherwise at the next {@link add} or {@link wakeUp}. */
  getAvailableFuture(): Promise<void> {
    if (!this.isEmpty()) return RESOLVED;
    if (this.availableFuture === undefined) {
      this.availableFuture = new Promise<void>((resolve) => {
        this.resolveAvailable = resolve;
      });
    }
    return this.availableFuture;
  }

  /** Resolves once {@link hasSpace} (or at {@link wakeUp}). */
  awaitSpace(): Promise<void> {
    if (this.hasSpace()) return RESOLVED;
    if (this.spaceFuture === undefined) {
      this.spaceFuture = new Promise<void>((resolve) => {
        this.resolveSpace = resolve;
      });
    }
    return this.spaceFuture;
  }

  /** Wakes every waiter (state changes such as end of input, errors, close). */
  wakeUp(): void {
    this.signalAvailable();
    this.signalSpace();
  }

  private removeHead(batch: QueuedBatch): void {
    this.bytes -= batch.bytes;
    this.batches[this.head] = undefined as unknown as QueuedBatch;
    this.head++;
    if (this.head === this.batches.length) {
      this.batches.length = 0;
      this.head = 0;
    } else if (this.head >= 1024) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
    this.signalSpaceIfAny();
  }

  private signalSpaceIfAny(): void {
    if (this.resolveSpace !== undefined && this.hasSpace()) this.signalSpace();
  }

  private signalAvailable(): void {
    const resolve = this.resolveAvailable;
    if (resolve === undefined) return;
    this.availableFuture = undefined;
    this.resolveAvailable = undefined;
    resolve();
  }

  private signalSpace(): void {
    const resolve = this.resolveSpace;
    if (resolve === undefined) return;
    this.spaceFuture = undefined;
    this.resolveSpace = undefined;
    resolve();
  }
}
