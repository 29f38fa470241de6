import type { DataInputView } from './data-input-view.ts';
import type { DataOutputView } from './data-output-view.ts';
import { CorruptDataError, describeValue, ValueMismatchError } from './type-errors.ts';
import type { TypeSerializer, TypeSerializerDescriptor } from './type-serializer.ts';

/**
 * The fallback serializer for untyped values: `JSON.stringify` written as a string.
 *
 * ```
 *  [uint32 byteLength][UTF-8 JSON text]      byteLength 0 = undefined
 * ```
 *
 * What survives a round trip is exactly what survives `JSON.parse(JSON.stringify(v))`:
 * plain objects, arrays, strings, finite numbers, booleans, null. Lossy cases, by
 * JSON's rules: a `Date` comes back as its ISO string, `NaN`/`±Infinity` as null,
 * `Map`/`Set` as `{}`, `undefined` properties disappear, a `Uint8Array` becomes an
 * object of indices. Declare a row schema instead where that matters, or where speed
 * matters: this serializer allocates a string per value in both directions.
 *
 * @remarks Stateless; share freely. Flink's counterpart is the Kryo fallback
 * (`KryoSerializer`) for types without a dedicated serializer.
 */
export class JsonSerializer<T = unknown> implements TypeSerializer<T> {
  static readonly INSTANCE = new JsonSerializer<unknown>();

  /**
   * @throws SLUICE_ERR_TYPES_VALUE_MISMATCH for values JSON cannot encode: bigint,
   *   cyclic structures, a bare function or symbol
   */
  serialize(value: T, target: DataOutputView): void {
    if (value === undefined) {
      target.writeUint32(0);
      return;
    }
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new ValueMismatchError(
        `value cannot be serialized as JSON: ${describeValue(value)} (${(error as Error).message}); declare a row schema or convert the value (bigint to string, break cycles)`,
        { cause: error, details: { value: describeValue(value) } },
      );
    }
    if (text === undefined) {
      throw new ValueMismatchError(
        `value cannot be serialized as JSON: ${describeValue(value)}; functions and symbols have no JSON form`,
        { details: { value: describeValue(value) } },
      );
    }
    target.writeString(text);
  }

  /** @throws SLUICE_ERR_TYPES_CORRUPT_DATA when the bytes are not valid JSON */
  deserialize(source: DataInputView): T {
    const text = source.readString();
    if (text.length === 0) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new CorruptDataError(
        `corrupt JSON value: ${(error as Error).message}; the data was not written by JsonSerializer`,
        { cause: error, details: { preview: text.slice(0, 60) } },
      );
    }
  }

  deserializeWithReuse(_reuse: T, source: DataInputView): T {
    return this.deserialize(source);
  }

  getLength(): number {
    return -1;
  }

  isImmutableType(): boolean {
    return false;
  }

  createInstance(): T {
    return null as T;
  }

  /**
   * A deep copy through `structuredClone` (keeps Dates, Maps, typed arrays).
   * @throws SLUICE_ERR_TYPES_VALUE_MISMATCH for values structuredClone rejects (functions)
   */
  copy(value: T): T {
    try {
      return structuredClone(value);
    } catch (error) {
      throw new ValueMismatchError(
        `value cannot be copied: ${describeValue(value)} (${(error as Error).message}); functions and class instances with private state have no copy`,
        { cause: error, details: { value: describeValue(value) } },
      );
    }
  }

  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'json' };
  }
}
