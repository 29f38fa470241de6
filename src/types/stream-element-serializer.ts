import type { DataInputView } from './data-input-view.ts';
import type { DataOutputView } from './data-output-view.ts';
import {
  CheckpointBarrier,
  EndOfPartition,
  LatencyMarker,
  type StreamElement,
  StreamElementKind,
  StreamRecord,
  Watermark,
  WatermarkStatus,
} from './stream-element.ts';
import { CorruptDataError, describeValue, ValueMismatchError } from './type-errors.ts';
import {
  type FixedLengthTypeSerializer,
  isFixedLengthSerializer,
  type TypeSerializer,
  type TypeSerializerDescriptor,
} from './type-serializer.ts';

/** Wire tags (the first byte of every serialized element); 0–4 as in Flink. */
export const StreamElementTag = {
  RECORD_WITH_TIMESTAMP: 0,
  RECORD_WITHOUT_TIMESTAMP: 1,
  WATERMARK: 2,
  LATENCY_MARKER: 3,
  WATERMARK_STATUS: 4,
  CHECKPOINT_BARRIER: 5,
  END_OF_PARTITION: 6,
} as const;

/**
 * Serializes {@link StreamElement}s: a tag byte, then the element's payload, with
 * records delegated to the record serializer. Length framing is not done here (see
 * `SpanningRecordSerializer` in `src/network/serialization`).
 *
 * ```
 *  tag 0  record with timestamp     [u8 0][f64 timestamp][record bytes]
 *  tag 1  record without timestamp  [u8 1][record bytes]
 *  tag 2  watermark                 [u8 2][f64 timestamp]
 *  tag 3  latency marker            [u8 3][f64 markedTime][i32 subtaskIndex][string vertexId]
 *  tag 4  watermark status          [u8 4][u8 1 = idle, 0 = active]
 *  tag 5  checkpoint barrier        [u8 5][i64 checkpointId][f64 timestamp]
 *  tag 6  end of partition          [u8 6]
 * ```
 *
 * Timestamps are float64 so that ±Infinity (no watermark yet / end of event time)
 * survive; every safe-integer millisecond value is exact.
 *
 * With {@link deserializeWithReuse} and a {@link StreamRecord} as `reuse`, records
 * are read into that holder and its value is read with the record serializer's
 * reuse variant: no allocation per record for rows of fixed-size fields.
 *
 * @remarks Stateless; share freely. Flink: `StreamElementSerializer` (which has no
 * barrier or end-of-partition tags: Flink sends those as events).
 */
export class StreamElementSerializer<T> implements TypeSerializer<StreamElement<T>> {
  /** Serializer of record values. */
  readonly recordSerializer: TypeSerializer<T>;
  /** The record serializer when it has a fixed length (fast paths), else null. */
  private readonly fixedRecordSerializer: FixedLengthTypeSerializer<T> | null;
  /** Its fixed length in bytes, or −1. */
  private readonly fixedRecordLength: number;

  constructor(recordSerializer: TypeSerializer<T>) {
    this.recordSerializer = recordSerializer;
    if (isFixedLengthSerializer(recordSerializer)) {
      this.fixedRecordSerializer = recordSerializer;
      this.fixedRecordLength = recordSerializer.getLength();
    } else {
      this.fixedRecordSerializer = null;
      this.fixedRecordLength = -1;
    }
  }

  /**
   * Fast path for records of a fixed-length type: writes tag, timestamp and value at
   * `view[offset]` with constant offsets, if they fit before `limit`.
   *
   * @returns the bytes written (tag + payload), or −1 when the record type is
   *   variable-length or the record does not fit (nothing written; use {@link serialize})
   * @throws the record serializer's validation errors
   */
  tryWriteRecordFixed(
    record: StreamRecord<T>,
    view: DataView,
    offset: number,
    limit: number,
  ): number {
    const fixed = this.fixedRecordSerializer;
    if (fixed === null) return -1;
    if (record.hasTimestamp) {
      const length = 9 + this.fixedRecordLength;
      if (offset + length > limit) return -1;
      fixed.writeFixed(record.value, view, offset + 9);
      view.setUint8(offset, StreamElementTag.RECORD_WITH_TIMESTAMP);
      view.setFloat64(offset + 1, record.timestamp);
      return length;
    }
    const length = 1 + this.fixedRecordLength;
    if (offset + length > limit) return -1;
    fixed.writeFixed(record.value, view, offset + 1);
    view.setUint8(offset, StreamElementTag.RECORD_WITHOUT_TIMESTAMP);
    return length;
  }

  /**
   * Fast path for reading: if `view[offset, offset + length)` is exactly one record of
   * a fixed-length type, reads it into `holder` and returns true; otherwise reads
   * nothing and returns false (use {@link readElement}).
   *
   * @param view - the bytes
   * @param offset - first byte of the element (its tag)
   * @param length - the element's byte length (the frame length)
   * @param holder - receives the record
   * @param reuseValue - reuse `holder.value` (object reuse) instead of a fresh value
   * @throws SLUICE_ERR_TYPES_CORRUPT_DATA on invalid field bytes (e.g. a boolean byte of 7)
   */
  tryReadRecordFixed(
    view: DataView,
    offset: number,
    length: number,
    holder: StreamRecord<T>,
    reuseValue: boolean,
  ): boolean {
    const fixed = this.fixedRecordSerializer;
    if (fixed === null || length < 1) return false;
    const tag = view.getUint8(offset);
    if (tag === StreamElementTag.RECORD_WITH_TIMESTAMP) {
      if (length !== 9 + this.fixedRecordLength) return false;
      holder.timestamp = view.getFloat64(offset + 1);
      holder.hasTimestamp = true;
      holder.value = reuseValue
        ? fixed.readFixedWithReuse(holder.value, view, offset + 9)
        : fixed.readFixed(view, offset + 9);
      return true;
    }
    if (tag === StreamElementTag.RECORD_WITHOUT_TIMESTAMP) {
      if (length !== 1 + this.fixedRecordLength) return false;
      holder.timestamp = Number.NEGATIVE_INFINITY;
      holder.hasTimestamp = false;
      holder.value = reuseValue
        ? fixed.readFixedWithReuse(holder.value, view, offset + 1)
        : fixed.readFixed(view, offset + 1);
      return true;
    }
    return false;
  }

  /**
   * @throws the record serializer's errors for records
   * @throws SLUICE_ERR_TYPES_VALUE_MISMATCH for an unknown element or a barrier whose
   *   checkpoint id is not a safe integer
   */
  serialize(element: StreamElement<T>, target: DataOutputView): void {
    switch (element.kind) {
      case StreamElementKind.RECORD:
        if (element.hasTimestamp) {
          target.writeUint8(StreamElementTag.RECORD_WITH_TIMESTAMP);
          target.writeFloat64(element.timestamp);
        } else {
          target.writeUint8(StreamElementTag.RECORD_WITHOUT_TIMESTAMP);
        }
        this.recordSerializer.serialize(element.value, target);
        return;
      case StreamElementKind.WATERMARK:
        target.writeUint8(StreamElementTag.WATERMARK);
        target.writeFloat64(element.timestamp);
        return;
      case StreamElementKind.LATENCY_MARKER:
        target.writeUint8(StreamElementTag.LATENCY_MARKER);
        target.writeFloat64(element.markedTime);
        target.writeInt32(element.subtaskIndex);
        target.writeString(element.vertexId);
        return;
      case StreamElementKind.WATERMARK_STATUS:
        target.writeUint8(StreamElementTag.WATERMARK_STATUS);
        target.writeBoolean(element.isIdle);
        return;
      case StreamElementKind.CHECKPOINT_BARRIER:
        if (!Number.isSafeInteger(element.checkpointId)) {
          throw new ValueMismatchError(
            `checkpoint barrier id must be a safe integer, got ${describeValue(element.checkpointId)}`,
            { details: { checkpointId: describeValue(element.checkpointId) } },
          );
        }
        target.writeUint8(StreamElementTag.CHECKPOINT_BARRIER);
        target.writeInt64Number(element.checkpointId);
        target.writeFloat64(element.timestamp);
        return;
      case StreamElementKind.END_OF_PARTITION:
        target.writeUint8(StreamElementTag.END_OF_PARTITION);
        return;
      default:
        throw new ValueMismatchError(
          `not a stream element: ${describeValue(element)}; wrap values in a StreamRecord`,
          { details: { element: describeValue(element) } },
        );
    }
  }

  /** Reads a fresh element (a new StreamRecord and value for records). */
  deserialize(source: DataInputView): StreamElement<T> {
    const tag = source.readUint8();
    if (tag <= StreamElementTag.RECORD_WITHOUT_TIMESTAMP) return this.readFreshRecord(tag, source);
    return this.readControl(tag, source);
  }

  /**
   * Reads an element; a record is read into `reuse` when `reuse` is a StreamRecord
   * (its value through the record serializer's reuse variant).
   */
  deserializeWithReuse(reuse: StreamElement<T>, source: DataInputView): StreamElement<T> {
    if (reuse.kind !== StreamElementKind.RECORD) return this.deserialize(source);
    return this.readElement(source, reuse, true);
  }

  /**
   * Reads an element, putting a record into `holder` (timestamp and value).
   *
   * @param source - the input
   * @param holder - receives records
   * @param reuseValue - read the value with `deserializeWithReuse(holder.value, …)`
   *   instead of a fresh `deserialize`
   * @returns `holder` for records, a control element otherwise
   */
  readElement(
    source: DataInputView,
    holder: StreamRecord<T>,
    reuseValue: boolean,
  ): StreamElement<T> {
    const tag = source.readUint8();
    if (tag > StreamElementTag.RECORD_WITHOUT_TIMESTAMP) return this.readControl(tag, source);
    if (tag === StreamElementTag.RECORD_WITH_TIMESTAMP) {
      holder.timestamp = source.readFloat64();
      holder.hasTimestamp = true;
    } else {
      holder.timestamp = Number.NEGATIVE_INFINITY;
      holder.hasTimestamp = false;
    }
    holder.value = reuseValue
      ? this.recordSerializer.deserializeWithReuse(holder.value, source)
      : this.recordSerializer.deserialize(source);
    return holder;
  }

  private readFreshRecord(tag: number, source: DataInputView): StreamRecord<T> {
    if (tag === StreamElementTag.RECORD_WITH_TIMESTAMP) {
      const timestamp = source.readFloat64();
      return new StreamRecord(this.recordSerializer.deserialize(source), timestamp);
    }
    return new StreamRecord(this.recordSerializer.deserialize(source));
  }

  private readControl(tag: number, source: DataInputView): StreamElement<T> {
    switch (tag) {
      case StreamElementTag.WATERMARK:
        return new Watermark(source.readFloat64());
      case StreamElementTag.LATENCY_MARKER: {
        const markedTime = source.readFloat64();
        const subtaskIndex = source.readInt32();
        return new LatencyMarker(markedTime, source.readString(), subtaskIndex);
      }
      case StreamElementTag.WATERMARK_STATUS:
        return source.readBoolean() ? WatermarkStatus.IDLE : WatermarkStatus.ACTIVE;
      case StreamElementTag.CHECKPOINT_BARRIER: {
        const checkpointId = source.readInt64Number();
        return new CheckpointBarrier(checkpointId, source.readFloat64());
      }
      case StreamElementTag.END_OF_PARTITION:
        return EndOfPartition.INSTANCE;
      default:
        throw new CorruptDataError(
          `unknown stream element tag ${tag}; valid tags are 0-6 (the data was not written by StreamElementSerializer)`,
          { details: { tag } },
        );
    }
  }

  getLength(): number {
    return -1;
  }

  isImmutableType(): boolean {
    return false;
  }

  /** A record holder with the record serializer's default value and no timestamp. */
  createInstance(): StreamRecord<T> {
    return new StreamRecord(this.recordSerializer.createInstance());
  }

  /** Records are copied (value through the record serializer); control elements are immutable. */
  copy(element: StreamElement<T>): StreamElement<T> {
    if (element.kind !== StreamElementKind.RECORD) return element;
    return new StreamRecord(
      this.recordSerializer.copy(element.value),
      element.hasTimestamp ? element.timestamp : undefined,
    );
  }

  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'stream-element', record: this.recordSerializer.snapshotConfiguration() };
  }
}
