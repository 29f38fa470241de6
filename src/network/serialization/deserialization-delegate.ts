import { DataInputDeserializer } from '../../types/data-input-deserializer.ts';
import type { StreamElement, StreamRecord } from '../../types/stream-element.ts';
import type { StreamElementSerializer } from '../../types/stream-element-serializer.ts';
import { CorruptDataError } from '../../types/type-errors.ts';
import type { DeserializationTarget } from './spanning-record-deserializer.ts';

/**
 * The {@link DeserializationTarget} that reads frames as {@link StreamElement}s: after
 * `deserializer.getNextRecord(delegate)` returns a full record, {@link element} is the
 * element read.
 *
 * Records are always read into one reused {@link StreamRecord} holder (operators take
 * `record.value`, never keep the holder). With `objectReuse` the value object is
 * reused too (the record serializer's `deserializeWithReuse`): no allocation per
 * record for rows of fixed-size fields, but a value is only valid until the next
 * record, as with Flink's `enableObjectReuse()`. Without it (the default, as in
 * Flink) each record gets a fresh value. Control elements are always fresh/immutable.
 *
 * ```ts
 * const delegate = new DeserializationDelegate(elementSerializer);
 * deserializer.setNextBuffer(segment, 0, size);
 * for (;;) {
 *   const result = deserializer.getNextRecord(delegate);
 *   if (result.isFullRecord) process(delegate.element!);
 *   if (result.isBufferConsumed) break; // recycle the buffer
 * }
 * ```
 *
 * @remarks Owned by the task thread of one input gate (one per gate is enough: the
 * element is consumed before the next read). Flink: `ReusingDeserializationDelegate`
 * / `NonReusingDeserializationDelegate`.
 */
export class DeserializationDelegate<T> implements DeserializationTarget {
  /** The element read by the last successful `read`; null before the first. */
  element: StreamElement<T> | null = null;
  private readonly serializer: StreamElementSerializer<T>;
  private readonly holder: StreamRecord<T>;
  private readonly objectReuse: boolean;
  private readonly input = new DataInputDeserializer();

  /**
   * @param serializer - the stream's element serializer
   * @param objectReuse - reuse record values as well as the holder (default false)
   */
  constructor(serializer: StreamElementSerializer<T>, objectReuse = false) {
    this.serializer = serializer;
    this.holder = serializer.createInstance();
    this.objectReuse = objectReuse;
  }

  /**
   * Reads one element from `bytes[start, end)` (tag + payload): records of a
   * fixed-length type at constant offsets, anything else through a
   * {@link DataInputDeserializer} over the same bytes.
   *
   * @throws SLUICE_ERR_TYPES_CORRUPT_DATA when the element leaves bytes unread, or
   *   the serializers' errors on invalid bytes
   */
  readFrame(bytes: Uint8Array, view: DataView, start: number, end: number): void {
    const holder = this.holder;
    if (this.serializer.tryReadRecordFixed(view, start, end - start, holder, this.objectReuse)) {
      this.element = holder;
      return;
    }
    const input = this.input;
    input.setBuffer(bytes, view, start, end);
    this.element = this.serializer.readElement(input, holder, this.objectReuse);
    const left = input.available();
    input.releaseArrays();
    if (left !== 0) {
      throw new CorruptDataError(
        `stream element with tag ${bytes[start]} leaves ${left} of ${end - start} bytes unread`,
        { details: { tag: bytes[start], leftoverBytes: left, length: end - start } },
      );
    }
  }
}
