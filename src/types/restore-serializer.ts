import { JsonSerializer } from './json-serializer.ts';
import { KeySerializer } from './key-serializer.ts';
import {
  BooleanSerializer,
  BytesSerializer,
  Float64Serializer,
  Int32Serializer,
  Int64Serializer,
  StringSerializer,
  TimestampSerializer,
} from './primitive-serializers.ts';
import { RowSerializer } from './row-serializer.ts';
import { StreamElementSerializer } from './stream-element-serializer.ts';
import { TupleSerializer } from './tuple-serializer.ts';
import { InvalidSchemaError } from './type-errors.ts';
import type {
  RowField,
  RowFieldType,
  TypeSerializer,
  TypeSerializerDescriptor,
} from './type-serializer.ts';

const MAX_NESTING = 8;

/**
 * Rebuilds a serializer from its JSON descriptor (`serializer.snapshotConfiguration()`),
 * e.g. in a worker thread that received the descriptor in its deployment message, or
 * after a restart from a savepoint's metadata.
 *
 * `restoreSerializer(s.snapshotConfiguration())` writes and reads exactly the bytes `s`
 * does. The descriptor is validated fully (it may come from a file or another thread).
 *
 * @param descriptor - a {@link TypeSerializerDescriptor}, possibly just parsed from JSON
 * @returns a serializer (primitive serializers are shared singletons)
 * @throws SLUICE_ERR_TYPES_INVALID_SCHEMA when the descriptor is malformed or unknown
 * @remarks Pure; safe on any thread. Flink: `TypeSerializerSnapshot.restoreSerializer()`.
 */
export function restoreSerializer<T = unknown>(descriptor: unknown): TypeSerializer<T> {
  return restore(descriptor, 0) as TypeSerializer<T>;
}

function restore(descriptor: unknown, depth: number): TypeSerializer<unknown> {
  if (descriptor === null || typeof descriptor !== 'object') {
    throw new InvalidSchemaError(
      `serializer descriptor must be an object like {"type":"int64"}, got ${JSON.stringify(descriptor) ?? String(descriptor)}`,
    );
  }
  const d = descriptor as Partial<Record<string, unknown>>;
  switch (d.type) {
    case 'int32':
      return Int32Serializer.INSTANCE as TypeSerializer<unknown>;
    case 'int64':
      return Int64Serializer.INSTANCE as TypeSerializer<unknown>;
    case 'float64':
      return Float64Serializer.INSTANCE as TypeSerializer<unknown>;
    case 'boolean':
      return BooleanSerializer.INSTANCE as TypeSerializer<unknown>;
    case 'timestamp':
      return TimestampSerializer.INSTANCE as TypeSerializer<unknown>;
    case 'string':
      return StringSerializer.INSTANCE as TypeSerializer<unknown>;
    case 'bytes':
      return BytesSerializer.INSTANCE as TypeSerializer<unknown>;
    case 'json':
      return JsonSerializer.INSTANCE;
    case 'key':
      return KeySerializer.INSTANCE as TypeSerializer<unknown>;
    case 'row':
      return new RowSerializer(d.fields as readonly RowField[]) as TypeSerializer<unknown>;
    case 'tuple':
      return new TupleSerializer(d.types as readonly RowFieldType[]) as TypeSerializer<unknown>;
    case 'stream-element':
      if (depth >= MAX_NESTING) {
        throw new InvalidSchemaError(`serializer descriptor nested deeper than ${MAX_NESTING}`);
      }
      return new StreamElementSerializer(restore(d.record, depth + 1)) as TypeSerializer<unknown>;
    default:
      throw new InvalidSchemaError(
        `unknown serializer type ${JSON.stringify(d.type)}; known: int32, int64, float64, boolean, timestamp, string, bytes, json, key, row, tuple, stream-element`,
        { details: { type: d.type } },
      );
  }
}
