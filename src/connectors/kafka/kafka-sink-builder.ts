/**
 * Builds a {@link KafkaSink} in Flink's style (`KafkaSinkBuilder`); `build()` validates
 * once and fails with `SLUICE_ERR_CONFIG_INVALID` naming what is missing or wrong.
 *
 * | setter | Kafka / Flink property | default |
 * |---|---|---|
 * | `setBootstrapServers('h:p')` | `bootstrap.servers` | required |
 * | `setRecordSerializer(schema)` | — | required |
 * | `setDeliveryGuarantee(g)` | `sink.delivery-guarantee` | `NONE` (as Flink) |
 * | `setProperty(key, value)` / `setProperties({...})` | see `kafka-sink-options.ts` | |
 * | `setClientProperties({ ssl, sasl, ... })` | client library settings | `{}` |
 * | `setClientFactory(provider)` | — | kafkajs |
 *
 * @remarks Used in job builders; no I/O.
 * @module
 */
import { ConfigError } from '../../errors.ts';
import type { KafkaClientFactoryProvider } from './kafka-client.ts';
import { applyProperty } from './kafka-client-options.ts';
import type { KafkaRecordSerializationSchema } from './kafka-record-serialization-schema.ts';
import type { KafkaSink, KafkaSinkSpec } from './kafka-sink.ts';
import {
  type DeliveryGuarantee,
  defaultKafkaSinkOptions,
  type KafkaSinkOptions,
  kafkaSinkPropertyBindings,
  validateKafkaSinkOptions,
} from './kafka-sink-options.ts';
import { kafkajsClients } from './kafkajs-client.ts';

/** See the module documentation. */
export class KafkaSinkBuilder<T> {
  private readonly create: (spec: KafkaSinkSpec<T>) => KafkaSink<T>;
  private readonly options: KafkaSinkOptions = { ...defaultKafkaSinkOptions, clientProperties: {} };
  private serializer: KafkaRecordSerializationSchema<T> | undefined;
  private clients: KafkaClientFactoryProvider = kafkajsClients;

  /** @param create - makes the sink from the validated spec (`KafkaSink.builder()`) */
  constructor(create: (spec: KafkaSinkSpec<T>) => KafkaSink<T>) {
    this.create = create;
  }

  /** `bootstrap.servers`: comma-separated `host:port`. */
  setBootstrapServers(servers: string | readonly string[]): this {
    return this.setProperty(
      'bootstrap.servers',
      typeof servers === 'string' ? servers : servers.join(','),
    );
  }

  /** Element → record (topic, key, value, headers, partition). */
  setRecordSerializer(serializer: KafkaRecordSerializationSchema<T>): this {
    this.serializer = serializer;
    return this;
  }

  /** `NONE` or `AT_LEAST_ONCE` (`DeliveryGuarantee`). */
  setDeliveryGuarantee(guarantee: DeliveryGuarantee): this {
    return this.setProperty('sink.delivery-guarantee', guarantee);
  }

  /**
   * Sets one property (Kafka's or Sluice's key; see `kafka-sink-options.ts`).
   *
   * @throws SLUICE_ERR_CONFIG_INVALID for an unknown key or a value that does not parse
   */
  setProperty(key: string, value: unknown): this {
    applyProperty(this.options, kafkaSinkPropertyBindings, key, value, 'KafkaSink');
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
   * Validates and builds the sink.
   *
   * @throws SLUICE_ERR_CONFIG_INVALID naming the missing or invalid setting
   */
  build(): KafkaSink<T> {
    if (this.options.bootstrapServers.length === 0) {
      throw new ConfigError(
        'KafkaSink: bootstrap.servers is not set; call setBootstrapServers("host:port")',
        { details: { key: 'bootstrap.servers' } },
      );
    }
    if (this.serializer === undefined) {
      throw new ConfigError(
        'KafkaSink: no record serializer; call setRecordSerializer(KafkaRecordSerializationSchema.builder()...build())',
      );
    }
    const o = this.options;
    if (o.idempotent && o.acks !== -1) {
      throw new ConfigError(
        `KafkaSink: enable.idempotence=true needs acks=all, got acks=${o.acks}; set acks to all or enable.idempotence to false`,
        { details: { key: 'acks', value: o.acks } },
      );
    }
    if (o.idempotent && o.maxInFlightRequests !== 1) {
      throw new ConfigError(
        `KafkaSink: enable.idempotence=true needs max.in.flight.requests.per.connection=1 with kafkajs, got ${o.maxInFlightRequests}; set it to 1 or enable.idempotence to false`,
        { details: { key: 'max.in.flight.requests.per.connection', value: o.maxInFlightRequests } },
      );
    }
    const options = validateKafkaSinkOptions({ ...o }) as KafkaSinkOptions;
    return this.create({ options, serializer: this.serializer, clients: this.clients });
  }
}
