/**
 * A Kafka sink (Flink's `KafkaSink`): a record serializer, a delivery guarantee, and an
 * idempotent producer per subtask that neither duplicates nor reorders records of a
 * partition when it retries.
 *
 * ```ts
 * stream.sinkTo(
 *   KafkaSink.builder<Bid>()
 *     .setBootstrapServers('127.0.0.1:9092')
 *     .setRecordSerializer(
 *       KafkaRecordSerializationSchema.builder<Bid>()
 *         .setTopic('bids-out')
 *         .setValueSerializationSchema(new JsonSerializationSchema<Bid>())
 *         .build(),
 *     )
 *     .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
 *     .setProperty('linger.ms', 5)
 *     .build(),
 * );
 * ```
 *
 * `EXACTLY_ONCE` is not offered: it needs transactions whose offsets are fenced by the
 * consumer group's generation (KIP-447), which kafkajs does not implement.
 *
 * @remarks Built in the job builder on every thread alike; `createWriter` runs on the
 * worker of the subtask and connects its producer there.
 * @module
 */
import type { Sink, SinkWriterContext } from '../../api/connector/sink.ts';
import type { KafkaClientFactoryProvider } from './kafka-client.ts';
import { kafkaConnectorLogger } from './kafka-connector-logger.ts';
import type { KafkaRecordSerializationSchema } from './kafka-record-serialization-schema.ts';
import { KafkaSinkBuilder } from './kafka-sink-builder.ts';
import type { KafkaSinkOptions } from './kafka-sink-options.ts';
import { KafkaSinkWriter } from './kafka-sink-writer.ts';

/** What {@link KafkaSinkBuilder.build} checked and fixed. */
export interface KafkaSinkSpec<T> {
  readonly options: KafkaSinkOptions;
  readonly serializer: KafkaRecordSerializationSchema<T>;
  readonly clients: KafkaClientFactoryProvider;
}

/** See the module documentation. */
export class KafkaSink<T> implements Sink<T> {
  /** The validated specification. */
  readonly spec: KafkaSinkSpec<T>;

  /** Use {@link KafkaSink.builder}. */
  constructor(spec: KafkaSinkSpec<T>) {
    this.spec = spec;
  }

  /** A builder (Flink's `KafkaSink.builder()`). */
  static builder<T>(): KafkaSinkBuilder<T> {
    return new KafkaSinkBuilder<T>((spec) => new KafkaSink(spec));
  }

  /**
   * Creates and connects the writer of one subtask.
   *
   * @param context - subtask index and parallelism
   */
  async createWriter(context: SinkWriterContext): Promise<KafkaSinkWriter<T>> {
    const { options, serializer, clients } = this.spec;
    const log = kafkaConnectorLogger(options.logLevel, {
      taskName: context.taskName,
      subtaskIndex: context.subtaskIndex,
      role: 'sink',
    });
    const producer = clients(log).createProducer({
      brokers: options.bootstrapServers,
      clientId: `${options.clientIdPrefix}-sink-${context.subtaskIndex}`,
      logLevel: options.logLevel,
      connectionTimeoutMs: options.connectionTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      clientProperties: options.clientProperties,
      idempotent: options.idempotent,
      acks: options.acks,
      compression: options.compression,
      maxInFlightRequests: options.maxInFlightRequests,
      retries: options.retries,
    });
    await producer.connect();
    return new KafkaSinkWriter(
      producer,
      serializer,
      options,
      {
        parallelInstanceId: context.subtaskIndex,
        numberOfParallelInstances: context.parallelism,
      },
      log,
    );
  }
}
