/**
 * The end of a chain where records enter the network exchange (Flink's
 * `RecordWriterOutput`): adapts the chain's `Output` — raw values, the timestamp in the
 * chain's `ElementContext` — to a `RecordWriter`, which takes `StreamRecord`s.
 *
 * ```
 *   operator ─collect(value)─► NetworkRecordWriterOutput ─emit(record)─► RecordWriter
 *                               one StreamRecord, refilled            channel selector,
 *                               per record (no allocation)            serializer, buffers
 * ```
 *
 * The `StreamRecord` is reused: the writer serializes it synchronously in `emit`, so
 * nothing keeps a reference. Watermarks and watermark statuses are broadcast to every
 * channel (rare; one element object per watermark).
 *
 * @remarks Owned by the producing task's thread.
 * @module
 */
import type { RecordWriter } from '../network/record-writer.ts';
import {
  type CheckpointBarrier,
  StreamRecord,
  Watermark,
  WatermarkStatus,
} from '../types/stream-element.ts';
import type { RecordWriterOutput } from './operators/record-writer-output.ts';
import type { ElementContext } from './operators/stream-operator.ts';

/** A chain output into one network exchange; see the module documentation. */
export class NetworkRecordWriterOutput implements RecordWriterOutput<unknown> {
  private readonly writer: RecordWriter<unknown>;
  private readonly element: ElementContext;
  private readonly record = new StreamRecord<unknown>(undefined);

  /**
   * @param writer - the record writer of the exchange (its own partition and selector)
   * @param element - the chain's element context (timestamp of the current record)
   */
  constructor(writer: RecordWriter<unknown>, element: ElementContext) {
    this.writer = writer;
    this.element = element;
  }

  /** Records written (the writer's counter). */
  get numRecordsOut(): number {
    return this.writer.numRecordsOut;
  }

  /** The record writer (for its partition's figures). */
  getRecordWriter(): RecordWriter<unknown> {
    return this.writer;
  }

  collect(value: unknown): void {
    const record = this.record;
    const element = this.element;
    record.value = value;
    if (element.hasTimestamp) {
      record.timestamp = element.timestamp;
      record.hasTimestamp = true;
    } else {
      record.timestamp = Number.NEGATIVE_INFINITY;
      record.hasTimestamp = false;
    }
    this.writer.emit(record);
  }

  emitWatermark(watermark: number): void {
    this.writer.broadcastEmit(new Watermark(watermark));
  }

  emitWatermarkStatus(idle: boolean): void {
    this.writer.broadcastEmit(idle ? WatermarkStatus.IDLE : WatermarkStatus.ACTIVE);
  }

  emitCheckpointBarrier(barrier: CheckpointBarrier): void {
    this.writer.broadcastEmit(barrier);
  }

  isAvailable(): boolean {
    return this.writer.isAvailable();
  }

  getAvailableFuture(): Promise<void> {
    return this.writer.getAvailableFuture();
  }

  flush(): void {
    this.writer.flushAll();
  }

  finish(): void {
    this.writer.finish();
  }

  close(): void {
    this.record.value = undefined;
    this.writer.close();
  }
}
