/**
 * Errors thrown by TypeSerializers and data views (`src/types`).
 *
 * All carry a stable `SLUICE_ERR_TYPES_*` code (see `docs/errors.md`); messages name
 * the field, the offending value and the remedy. Values are rendered with
 * {@link describeValue}, which never throws and never prints more than ~60 characters.
 */
import { SluiceError } from '../errors.ts';

/** A serializer descriptor or row schema is malformed. */
export class InvalidSchemaError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_TYPES_INVALID_SCHEMA';
}

/** A value does not fit its declared type (string for int64, NaN in an integer field, ...). */
export class ValueMismatchError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_TYPES_VALUE_MISMATCH';
}

/** `null`/`undefined` where a non-nullable value was declared. */
export class NullValueError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_TYPES_NULL_VALUE';
}

/** A read went past the end of the input (Flink: `EOFException`). */
export class EndOfInputError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_TYPES_END_OF_INPUT';
}

/** Serialized bytes are not a valid encoding. */
export class CorruptDataError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_TYPES_CORRUPT_DATA';
}

/** A serialized record exceeds the configured maximum size. */
export class RecordTooLargeError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_TYPES_RECORD_TOO_LARGE';
}

/**
 * Renders any value for an error message: type and a short preview.
 *
 * @param value - anything (never throws, even for cyclic objects or revoked proxies)
 * @returns e.g. `"abc" (string)`, `12n (bigint)`, `NaN (number)`, `{"a":1} (object)`
 */
export function describeValue(value: unknown): string {
  try {
    if (value === null) return 'null';
    if (value === undefined) return 'undefined';
    switch (typeof value) {
      case 'string':
        return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} (string)`;
      case 'bigint':
        return `${value}n (bigint)`;
      case 'number':
      case 'boolean':
        return `${value} (${typeof value})`;
      case 'symbol':
      case 'function':
        return `${String(value).slice(0, 60)} (${typeof value})`;
      default: {
        if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
        if (value instanceof Date) return `Date(${value.getTime()})`;
        const name = (value as object).constructor?.name ?? 'object';
        let json: string | undefined;
        try {
          json = JSON.stringify(value);
        } catch {
          json = undefined;
        }
        if (json === undefined) return `[${name}]`;
        return `${json.length > 60 ? `${json.slice(0, 60)}…` : json} (${name})`;
      }
    }
  } catch {
    return '[unprintable value]';
  }
}

/** What each declared type accepts, for error messages. */
const EXPECTED: Record<string, string> = {
  int32: 'an integer number in [-2^31, 2^31 - 1]',
  int64: 'a safe integer number (|v| ≤ 2^53 - 1)',
  float64: 'a number',
  boolean: 'a boolean',
  string: 'a string',
  bytes: 'a Uint8Array',
  timestamp: 'a valid Date or epoch milliseconds as a safe integer',
  key: 'a number, string, bigint (int64 range), boolean, Uint8Array or an array of those',
};

/**
 * Throws `SLUICE_ERR_TYPES_VALUE_MISMATCH` for `value` in `where` declared as `type`.
 *
 * @param where - e.g. `row field "price"` or `value`
 * @param type - the declared type (`int64`, …)
 * @param value - the offending value
 * @throws SLUICE_ERR_TYPES_VALUE_MISMATCH always
 */
export function throwValueMismatch(where: string, type: string, value: unknown): never {
  throw new ValueMismatchError(
    `${where} is declared ${type} and takes ${EXPECTED[type] ?? type}, got ${describeValue(value)}; convert the value in the job or change the declared type`,
    { details: { where, type, value: describeValue(value) } },
  );
}

/**
 * Throws `SLUICE_ERR_TYPES_NULL_VALUE` for a null in `where` declared as `type`.
 *
 * @throws SLUICE_ERR_TYPES_NULL_VALUE always
 */
export function throwNullValue(where: string, type: string, value: unknown): never {
  throw new NullValueError(
    `${where} is declared ${type} (not nullable), got ${value === null ? 'null' : 'undefined'}; declare it nullable: true or filter nulls upstream`,
    { details: { where, type } },
  );
}
