import {
  type StreamElement,
  StreamElementKind,
  type StreamRecord,
} from '../types/stream-element.ts';
import type { AvailabilityProvider } from './availability-provider.ts';
import type { ResultPartition } from './result-partition.ts';

/**
 * Writes a task's records into one result partition: picks the channel (subclasses),
 * serializes, and exposes the partition's availability for backpressure.
 *
 * Use from a task (one batch at a time, never a promise per record):
 *
 * ```ts
 * while (!writer.isAvailable()) await writer.getAvailableFuture(); // back-pressured time
 * for (const record of batch) writer.emit(record);                  // synchronous
 * ...
 * writer.broadcastEmit(new Watermark(ts));                          // control elements
 * writer.finish();                                                  // EndOfPartition
 * await writer.getAllDataProcessedFuture();
 * writer.close();
 * ```
 *
 * `emit` never waits: when the pool cannot lend a segment, the bytes wait in a heap
 * overflow and the writer reports itself unavailable until they are shipped, so a
 * batch started while available always completes.
 *
 * @remarks Owned by the producing task's thread. Corresponds to Flink's `RecordWriter`;
 * build one with `buildRecordWriter()` (Flink's `RecordWriterBuilder`).
 */
export abstract class RecordWriter<T> implements AvailabilityProvider {
  /** The partition written. */
  readonly partition: ResultPartition<T>;
  /** Records emitted (`emit`, `emitTo`, records passed to `broadcastEmit`); a plain counter. */
  numRecordsOut = 0;

  /** @param partition - the partition to write */
  constructor(partition: ResultPartition<T>) {
    this.partition = partition;
  }

  /** Number of channels (subpartitions). */
  get numberOfChannels(): number {
    return this.partition.numberOfSubpartitions;
  }

  /**
   * Writes a record to the channel(s) the writer's strategy picks.
   *
   * @param record - the record (serialized now; the caller may reuse it afterwards)
   * @throws see `ResultPartition.emitRecord`
   */
  abstract emit(record: StreamRecord<T>): void;

  /**
   * Writes a record to one given channel (Flink's `emit(record, targetSubpartition)`),
   * e.g. for a producer that serves its channels independently.
   *
   * @param record - the record
   * @param channel - channel index
   * @throws see `ResultPartition.emitRecord`
   */
  emitTo(record: StreamRecord<T>, channel: number): void {
    this.partition.emitRecord(record, channel);
    this.numRecordsOut++;
  }

  /**
   * Writes an element to every channel, serialized once (watermarks, barriers, latency
   * markers, or a record). Barriers flush.
   *
   * @param element - the element
   * @throws see `ResultPartition.broadcastElement`
   */
  broadcastEmit(element: StreamElement<T>): void {
    this.partition.broadcastElement(element);
    if (element.kind === StreamElementKind.RECORD) this.numRecordsOut++;
  }

  /** Whether records can be written without overflow (see `ResultPartition.isAvailable`). */
  isAvailable(): boolean {
    return this.partition.isAvailable();
  }

  /** Resolves when the writer may be available again (one future per wait). */
  getAvailableFuture(): Promise<void> {
    return this.partition.getAvailableFuture();
  }

  /** Whether channel `channel` can take a record without overflow. */
  isChannelAvailable(channel: number): boolean {
    return this.partition.isSubpartitionAvailable(channel);
  }

  /** Resolves when channel `channel` may be available again. */
  getChannelAvailableFuture(channel: number): Promise<void> {
    return this.partition.getSubpartitionAvailableFuture(channel);
  }

  /** Ships partly filled buffers (now where credit allows, else when it arrives). */
  flushAll(): void {
    this.partition.flushAll();
  }

  /** Ends the stream: EndOfPartition to every channel. */
  finish(): void {
    this.partition.finish();
  }

  /** Resolves when every consumer has processed everything after {@link finish}. */
  getAllDataProcessedFuture(): Promise<void> {
    return this.partition.getAllDataProcessedFuture();
  }

  /** Releases the partition and all its buffers (idempotent). */
  close(): void {
    this.partition.release();
  }
}
