/**
 * How a Kafka source turns fetched records into values (Flink's
 * `KafkaRecordDeserializationSchema` and `DeserializationSchema`).
 *
 * ```
 *   KafkaRecordDeserializationSchema.valueOnly(new JsonDeserializationSchema<Bid>())
 *       value bytes ──► JSON.parse ──► Bid                    (null results are dropped)
 *   KafkaRecordDeserializationSchema.valueOnly(new SimpleStringSchema())   → string
 *   KafkaRecordDeserializationSchema.valueOnly(new BytesDeserializationSchema()) → Uint8Array
 *   KafkaRecordDeserializationSchema.wholeRecord(valueSchema?, keySchema?)
 *       → { topic, partition, offset, timestamp, key, value, headers }
 *   or your own: { deserialize(record, out) { out.collect(...) } }
 * ```
 *
 * The reader hands every record to `deserialize` through one reused
 * {@link KafkaConsumerRecord} view (object reuse, as in Flink): read what you need during
 * the call and do not keep the view. A schema that throws marks the record as
 * undeserializable: `deserialization.failure-policy` decides what happens to it.
 *
 * @remarks Schemas are created in the job builder on every thread; `deserialize` runs on
 * the reader's worker, per record (no allocation beyond the value itself).
 * @module
 */
import type { ConsumerMessage, KafkaHeaders } from './kafka-client.ts';

/** Receives deserialized values (Flink's `Collector`). */
export interface Collector<T> {
  collect(value: T): void;
}

/** A fetched record as a deserializer sees it; a reused view, valid during the call only. */
export interface KafkaConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  /** Offset in the partition. */
  readonly offset: number;
  /** Record timestamp (epoch ms). */
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: KafkaHeaders;
}

/** Turns value (or key) bytes into a value (Flink's `DeserializationSchema`). */
export interface DeserializationSchema<T> {
  /**
   * @param bytes - the record's value (or key) bytes, `null` for a tombstone
   * @returns the value, or `null` to emit nothing for this record
   * @throws anything when the bytes are not a valid `T` (the failure policy applies)
   */
  deserialize(bytes: Uint8Array | null): T | null;
}

/** Turns a whole record into zero or more values (Flink's `KafkaRecordDeserializationSchema`). */
export interface KafkaRecordDeserializationSchema<T> {
  /**
   * @param record - the reused record view
   * @param out - where values go (with the record's timestamp)
   * @throws anything when the record cannot be deserialized (the failure policy applies)
   */
  deserialize(record: KafkaConsumerRecord, out: Collector<T>): void;
}

/** A deserialized record with its metadata ({@link KafkaRecordDeserializationSchema.wholeRecord}). */
export interface KafkaRecord<K, V> {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: K | null;
  value: V | null;
  headers: KafkaHeaders;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function decodeUtf8(bytes: Uint8Array): string {
  return Buffer.isBuffer(bytes) ? bytes.toString('utf8') : utf8.decode(bytes);
}

/** UTF-8 text (Flink's `SimpleStringSchema`); tombstones are dropped. */
export class SimpleStringSchema implements DeserializationSchema<string> {
  deserialize(bytes: Uint8Array | null): string | null {
    return bytes === null ? null : decodeUtf8(bytes);
  }
}

/**
 * UTF-8 JSON (Flink's `JsonDeserializationSchema`); tombstones are dropped, invalid JSON
 * throws the `SyntaxError` of `JSON.parse`. The parsed value is not checked against `T`.
 */
export class JsonDeserializationSchema<T> implements DeserializationSchema<T> {
  deserialize(bytes: Uint8Array | null): T | null {
    return bytes === null ? null : (JSON.parse(decodeUtf8(bytes)) as T);
  }
}

/**
 * The bytes themselves, copied out of the fetch buffer (so a kept value does not pin the
 * whole fetch response in memory); tombstones are dropped.
 */
export class BytesDeserializationSchema implements DeserializationSchema<Uint8Array> {
  deserialize(bytes: Uint8Array | null): Uint8Array | null {
    return bytes === null ? null : new Uint8Array(bytes);
  }
}

class ValueOnlySchema<T> implements KafkaRecordDeserializationSchema<T> {
  private readonly schema: DeserializationSchema<T>;

  constructor(schema: DeserializationSchema<T>) {
    this.schema = schema;
  }

  deserialize(record: KafkaConsumerRecord, out: Collector<T>): void {
    const value = this.schema.deserialize(record.value);
    if (value !== null) out.collect(value);
  }
}

class WholeRecordSchema<K, V> implements KafkaRecordDeserializationSchema<KafkaRecord<K, V>> {
  private readonly valueSchema: DeserializationSchema<V>;
  private readonly keySchema: DeserializationSchema<K>;

  constructor(valueSchema: DeserializationSchema<V>, keySchema: DeserializationSchema<K>) {
    this.valueSchema = valueSchema;
    this.keySchema = keySchema;
  }

  deserialize(record: KafkaConsumerRecord, out: Collector<KafkaRecord<K, V>>): void {
    out.collect({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: this.keySchema.deserialize(record.key),
      value: this.valueSchema.deserialize(record.value),
      headers: record.headers,
    });
  }
}

/** Factories of {@link KafkaRecordDeserializationSchema}s (Flink's static methods). */
export const KafkaRecordDeserializationSchema = {
  /**
   * Deserializes only the value; records whose value deserializes to `null` are dropped.
   *
   * @param schema - the value deserializer
   */
  valueOnly<T>(schema: DeserializationSchema<T>): KafkaRecordDeserializationSchema<T> {
    return new ValueOnlySchema(schema);
  },
  /**
   * Emits the whole record: topic, partition, offset, timestamp, key, value, headers
   * (one object per record). Tombstones are kept, with `value: null`.
   *
   * @param valueSchema - value deserializer (default: bytes)
   * @param keySchema - key deserializer (default: UTF-8 string)
   */
  wholeRecord<V = Uint8Array, K = string>(
    valueSchema: DeserializationSchema<V> = new BytesDeserializationSchema() as never,
    keySchema: DeserializationSchema<K> = new SimpleStringSchema() as never,
  ): KafkaRecordDeserializationSchema<KafkaRecord<K, V>> {
    return new WholeRecordSchema(valueSchema, keySchema);
  },
};

/**
 * The reused view the reader fills per record: only the message reference and the
 * partition change; offset and timestamp are parsed when read.
 *
 * @remarks Internal to the reader; one instance per reader.
 */
export class ReusableConsumerRecord implements KafkaConsumerRecord {
  topic = '';
  partition = 0;
  message!: ConsumerMessage;

  get offset(): number {
    return Number(this.message.offset);
  }

  get timestamp(): number {
    return Number(this.message.timestamp);
  }

  get key(): Uint8Array | null {
    return this.message.key;
  }

  get value(): Uint8Array | null {
    return this.message.value;
  }

  get headers(): KafkaHeaders {
    return this.message.headers ?? EMPTY_HEADERS;
  }
}

const EMPTY_HEADERS: KafkaHeaders = Object.freeze({});
