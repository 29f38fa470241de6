/**
 * Builds a {@link KafkaSource} in Flink's style (`KafkaSourceBuilder`): every setter
 * returns the builder; `build()` validates everything once and fails with
 * `SLUICE_ERR_CONFIG_INVALID` naming what is missing or wrong.
 *
 * | setter | Kafka / Flink property | default |
 * |---|---|---|
 * | `setBootstrapServers('h:p,h:p')` | `bootstrap.servers` | required |
 * | `setTopics(...names)` / `setTopicPattern(/re/)` | — | one of them required |
 * | `setGroupId(id)` | `group.id` | required |
 * | `setStartingOffsets(init)` | — | `OffsetsInitializer.earliest()` (as Flink) |
 * | `setBounded(init)` | — | unbounded |
 * | `setDeserializer(schema)` / `setValueOnlyDeserializer(schema)` | — | required |
 * | `setClientIdPrefix(prefix)` | `client.id.prefix` | `sluice` |
 * | `setProperty(key, value)` / `setProperties({...})` | see `kafka-source-options.ts` | |
 * | `setClientProperties({ ssl, sasl, ... })` | client library settings | `{}` |
 * | `setClientFactory(provider)` | — | kafkajs |
 *
 * @remarks Used in job builders; no I/O.
 * @module
 */
import { ConfigError } from '../../errors.ts';
import type { KafkaClientFactoryProvider } from './kafka-client.ts';
import { applyProperty } from './kafka-client-options.ts';
import {
  type DeserializationSchema,
  KafkaRecordDeserializationSchema,
} from './kafka-record-deserialization-schema.ts';
import type { KafkaSource, KafkaSourceSpec } from './kafka-source.ts';
import {
  defaultKafkaSourceOptions,
  type KafkaSourceOptions,
  kafkaSourcePropertyBindings,
  validateKafkaSourceOptions,
} from './kafka-source-options.ts';
import { kafkajsClients } from './kafkajs-client.ts';
import { OffsetsInitializer } from './offsets-initializer.ts';

/** See the module documentation. */
export class KafkaSourceBuilder<T> {
  private readonly create: (spec: KafkaSourceSpec<T>) => KafkaSource<T>;
  private readonly options: KafkaSourceOptions = {
    ...defaultKafkaSourceOptions,
    clientProperties: {},
  };
  private topics: string[] | undefined;
  private topicPattern: RegExp | undefined;
  private startingOffsets = OffsetsInitializer.earliest();
  private stoppingOffsets: OffsetsInitializer | undefined;
  private deserializer: KafkaRecordDeserializationSchema<T> | undefined;
  private clients: KafkaClientFactoryProvider = kafkajsClients;

  /** @param create - makes the source from the validated spec (`KafkaSource.builder()`) */
  constructor(create: (spec: KafkaSourceSpec<T>) => KafkaSource<T>) {
    this.create = create;
  }

  /** `bootstrap.servers`: comma-separated `host:port`. */
  setBootstrapServers(servers: string | readonly string[]): this {
    return this.setProperty(
      'bootstrap.servers',
      typeof servers === 'string' ? servers : servers.join(','),
    );
  }

  /** Reads these topics (replaces a pattern). */
  setTopics(...topics: string[]): this {
    this.topics = topics.flat();
    this.topicPattern = undefined;
    return this;
  }

  /** Reads every topic matching `pattern` when the reader starts (replaces topics). */
  setTopicPattern(pattern: RegExp): this {
    this.topicPattern = pattern;
    this.topics = undefined;
    return this;
  }

  /** `group.id`: the consumer group. */
  setGroupId(groupId: string): this {
    return this.setProperty('group.id', groupId);
  }

  /** `client.id.prefix`. */
  setClientIdPrefix(prefix: string): this {
    return this.setProperty('client.id.prefix', prefix);
  }

  /** Where each partition starts (default: earliest, as Flink's). */
  setStartingOffsets(initializer: OffsetsInitializer): this {
    this.startingOffsets = initializer;
    return this;
  }

  /**
   * Makes the source bounded: each partition is read up to the offsets `stopping`
   * resolves to when the reader starts (`OffsetsInitializer.latest()`: what exists now).
   */
  setBounded(stopping: OffsetsInitializer): this {
    this.stoppingOffsets = stopping;
    return this;
  }

  /** Deserializes whole records. */
  setDeserializer<U>(schema: KafkaRecordDeserializationSchema<U>): KafkaSourceBuilder<U> {
    const self = this as unknown as KafkaSourceBuilder<U>;
    self.deserializer = schema;
    return self;
  }

  /** Deserializes values only (`KafkaRecordDeserializationSchema.valueOnly`). */
  setValueOnlyDeserializer<U>(schema: DeserializationSchema<U>): KafkaSourceBuilder<U> {
    return this.setDeserializer(KafkaRecordDeserializationSchema.valueOnly(schema));
  }

  /**
   * Sets one property (Kafka's or Sluice's key; see `kafka-source-options.ts`).
   *
   * @throws SLUICE_ERR_CONFIG_INVALID for an unknown key or a value that does not parse
   */
  setProperty(key: string, value: unknown): this {
    applyProperty(this.options, kafkaSourcePropertyBindings, key, value, 'KafkaSource');
    return this;
  }

  /** Sets several properties; see {@link setProperty}. */
  setProperties(properties: Readonly<Record<string, unknown>>): this {
    for (const [key, value] of Object.entries(properties)) this.setProperty(key, value);
    return this;
  }

  /** Client-library settings without a Kafka property (kafkajs `ssl`, `sasl`, ...). */
  setClientProperties(properties: Readonly<Record<string, unknown>>): this {
    this.options.clientProperties = { ...properties };
    return this;
  }

  /** Another Kafka client library (default kafkajs), or a test double. */
  setClientFactory(provider: KafkaClientFactoryProvider): this {
    this.clients = provider;
    return this;
  }

  /**
   * Validates and builds the source.
   *
   * @throws SLUICE_ERR_CONFIG_INVALID naming the missing or invalid setting
   */
  build(): KafkaSource<T> {
    const missing = (what: string, remedy: string) =>
      new ConfigError(`KafkaSource: ${what} is not set; ${remedy}`, { details: { key: what } });
    if (this.options.bootstrapServers.length === 0) {
      throw missing('bootstrap.servers', 'call setBootstrapServers("host:port")');
    }
    if (this.options.groupId === '') throw missing('group.id', 'call setGroupId(id)');
    if ((this.topics === undefined || this.topics.length === 0) && !this.topicPattern) {
      throw missing('topics', 'call setTopics(...names) or setTopicPattern(/regexp/)');
    }
    if (this.deserializer === undefined) {
      throw missing(
        'deserializer',
        'call setValueOnlyDeserializer(new JsonDeserializationSchema()) or setDeserializer(...)',
      );
    }
    if (this.options.failurePolicy === 'dead-letter' && !this.options.deadLetterTopic) {
      throw missing(
        'deserialization.dead-letter.topic',
        'name the topic that receives undeserializable records (policy dead-letter)',
      );
    }
    const options = validateKafkaSourceOptions({ ...this.options }) as KafkaSourceOptions;
    return this.create({
      options,
      topics: this.topics,
      topicPattern: this.topicPattern,
      startingOffsets: this.startingOffsets,
      stoppingOffsets: this.stoppingOffsets,
      deserializer: this.deserializer,
      clients: this.clients,
    });
  }
}
