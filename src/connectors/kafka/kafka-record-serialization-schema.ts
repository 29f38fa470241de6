/**
 * How a Kafka sink turns values into records (Flink's `KafkaRecordSerializationSchema`
 * and its builder): topic, key, value, headers, partition.
 *
 * ```ts
 * KafkaRecordSerializationSchema.builder<Bid>()
 *   .setTopic('bids-out')                          // or setTopicSelector(bid => ...)
 *   .setKeySerializationSchema((bid) => String(bid.auction))
 *   .setValueSerializationSchema(new JsonSerializationSchema<Bid>())
 *   .setHeaderProvider((bid) => ({ source: 'nexmark' }))
 *   .setPartitioner((bid, topic) => bid.auction % 4)   // default: murmur2 of the key
 *   .build();
 * ```
 *
 * Strings are handed to the client as they are (it encodes UTF-8 while writing the
 * request), so a string value costs no extra copy. The record's timestamp is the
 * element's (event time) when it has one, else the time of sending (Flink's behaviour).
 *
 * @remarks Runs on the writer's worker, once per record: one record object per call.
 * @module
 */
import { ConfigError } from '../../errors.ts';
import type { KafkaHeaders, ProducerMessage } from './kafka-client.ts';

/** What a serialization schema knows about its writer (Flink's `KafkaSinkContext`). */
export interface KafkaSinkContext {
  /** Index of the sink subtask. */
  readonly parallelInstanceId: number;
  /** Parallelism of the sink. */
  readonly numberOfParallelInstances: number;
}

/** A record to produce: the client's message plus its topic. */
export interface KafkaProducerRecord extends ProducerMessage {
  topic: string;
}

/** Turns one element into one record, or `null` to write nothing for it. */
export interface KafkaRecordSerializationSchema<T> {
  /**
   * @param element - the value
   * @param context - the writer's subtask
   * @param timestamp - the element's event timestamp (ms), if it has one
   * @returns the record; it is handed to the client without a copy
   */
  serialize(
    element: T,
    context: KafkaSinkContext,
    timestamp: number | undefined,
  ): KafkaProducerRecord | null;
}

/** Turns a value (or key) into bytes or text (Flink's `SerializationSchema`). */
export interface SerializationSchema<T> {
  serialize(element: T): Uint8Array | string | null;
}

/** A serialization schema, or a plain function doing the same. */
export type SerializationSchemaLike<T> =
  | SerializationSchema<T>
  | ((element: T) => Uint8Array | string | null);

/** Text as it is (Flink's `SimpleStringSchema`). */
export class SimpleStringSerializationSchema implements SerializationSchema<string> {
  serialize(element: string): string {
    return element;
  }
}

/** `JSON.stringify` (Flink's `JsonSerializationSchema`). */
export class JsonSerializationSchema<T> implements SerializationSchema<T> {
  serialize(element: T): string {
    return JSON.stringify(element);
  }
}

function toFunction<T>(
  schema: SerializationSchemaLike<T>,
): (element: T) => Uint8Array | string | null {
  return typeof schema === 'function' ? schema : (element) => schema.serialize(element);
}

class BuiltSerializationSchema<T> implements KafkaRecordSerializationSchema<T> {
  private readonly topic: ((element: T) => string) | string;
  private readonly key: ((element: T) => Uint8Array | string | null) | undefined;
  private readonly value: (element: T) => Uint8Array | string | null;
  private readonly headers: ((element: T) => KafkaHeaders) | undefined;
  private readonly partitioner: ((element: T, topic: string) => number | undefined) | undefined;
  /** Last timestamp converted to text (consecutive records often share one). */
  private lastTimestamp = Number.NaN;
  private lastTimestampText = '';

  constructor(builder: KafkaRecordSerializationSchemaBuilder<T>) {
    const parts = builder.parts();
    this.topic = parts.topic!;
    this.key = parts.key === undefined ? undefined : toFunction(parts.key);
    this.value = toFunction(parts.value!);
    this.headers = parts.headers;
    this.partitioner = parts.partitioner;
  }

  serialize(
    element: T,
    _context: KafkaSinkContext,
    timestamp: number | undefined,
  ): KafkaProducerRecord {
    const topic = typeof this.topic === 'string' ? this.topic : this.topic(element);
    let timestampText: string | undefined;
    if (timestamp !== undefined && timestamp >= 0) {
      if (timestamp !== this.lastTimestamp) {
        this.lastTimestamp = timestamp;
        this.lastTimestampText = String(timestamp);
      }
      timestampText = this.lastTimestampText;
    }
    const record: KafkaProducerRecord = {
      topic,
      key: this.key === undefined ? null : this.key(element),
      value: this.value(element),
      timestamp: timestampText,
    };
    if (this.headers !== undefined) record.headers = this.headers(element);
    if (this.partitioner !== undefined) record.partition = this.partitioner(element, topic);
    return record;
  }
}

/** Builds a {@link KafkaRecordSerializationSchema} (Flink's builder). */
export class KafkaRecordSerializationSchemaBuilder<T> {
  private topic: ((element: T) => string) | string | undefined;
  private key: SerializationSchemaLike<T> | undefined;
  private value: SerializationSchemaLike<T> | undefined;
  private headers: ((element: T) => KafkaHeaders) | undefined;
  private partitioner: ((element: T, topic: string) => number | undefined) | undefined;

  /** Every record goes to `topic`. */
  setTopic(topic: string): this {
    this.topic = topic;
    return this;
  }

  /** Each record goes to the topic `selector` names. */
  setTopicSelector(selector: (element: T) => string): this {
    this.topic = selector;
    return this;
  }

  /** The record key (default: none, so the client spreads records over partitions). */
  setKeySerializationSchema(schema: SerializationSchemaLike<T>): this {
    this.key = schema;
    return this;
  }

  /** The record value (required). */
  setValueSerializationSchema(schema: SerializationSchemaLike<T>): this {
    this.value = schema;
    return this;
  }

  /** Headers of each record. */
  setHeaderProvider(provider: (element: T) => KafkaHeaders): this {
    this.headers = provider;
    return this;
  }

  /** An explicit partition per record (`undefined`: the client's key hash). */
  setPartitioner(partitioner: (element: T, topic: string) => number | undefined): this {
    this.partitioner = partitioner;
    return this;
  }

  /** @internal the configured parts */
  parts() {
    return {
      topic: this.topic,
      key: this.key,
      value: this.value,
      headers: this.headers,
      partitioner: this.partitioner,
    };
  }

  /**
   * @throws SLUICE_ERR_CONFIG_INVALID without a topic or a value serializer
   */
  build(): KafkaRecordSerializationSchema<T> {
    if (this.topic === undefined || this.topic === '') {
      throw new ConfigError(
        'KafkaRecordSerializationSchema: no topic; call setTopic(name) or setTopicSelector(fn)',
      );
    }
    if (this.value === undefined) {
      throw new ConfigError(
        'KafkaRecordSerializationSchema: no value serializer; call setValueSerializationSchema(new JsonSerializationSchema())',
      );
    }
    return new BuiltSerializationSchema(this);
  }
}

/** Factories of {@link KafkaRecordSerializationSchema}s. */
export const KafkaRecordSerializationSchema = {
  /** Flink's `KafkaRecordSerializationSchema.builder()`. */
  builder<T>(): KafkaRecordSerializationSchemaBuilder<T> {
    return new KafkaRecordSerializationSchemaBuilder<T>();
  },
};
