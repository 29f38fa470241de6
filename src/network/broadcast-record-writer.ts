import type { StreamRecord } from '../types/stream-element.ts';
import { RecordWriter } from './record-writer.ts';

/**
 * A record writer that sends every record to every channel, serialized once into one
 * shared buffer; a finished buffer is retained once per extra channel and its segment
 * index published to each (one segment, N readers, no copy).
 *
 * @remarks Owned by the producing task's thread. Needs a partition created with
 * `broadcast: true`. Corresponds to Flink's `BroadcastRecordWriter`.
 */
export class BroadcastRecordWriter<T> extends RecordWriter<T> {
  emit(record: StreamRecord<T>): void {
    this.partition.broadcastElement(record);
    this.numRecordsOut++;
  }

  /** Writes to every channel: a broadcast writer cannot address one channel. */
  override emitTo(record: StreamRecord<T>, _channel: number): void {
    this.emit(record);
  }
}
