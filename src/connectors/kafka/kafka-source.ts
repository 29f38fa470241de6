/**
 * A Kafka source (Flink's `KafkaSource`): topics or a pattern, a consumer group,
 * starting offsets, optionally stopping offsets, and a deserializer. Each parallel
 * subtask runs one {@link KafkaSourceReader}: one consumer in its worker.
 *
 * ```ts
 * const source = KafkaSource.builder()
 *   .setBootstrapServers('127.0.0.1:9092')
 *   .setTopics('bids')
 *   .setGroupId('nexmark')
 *   .setStartingOffsets(OffsetsInitializer.committedOffsets('earliest'))
 *   .setValueOnlyDeserializer(new JsonDeserializationSchema<Bid>())
 *   .setProperty('deserialization.failure-policy', 'skip')
 *   .build();
 * env.fromSource(source, WatermarkStrategy.noWatermarks(), 'bids');
 * ```
 *
 * @remarks Built in the job builder on the main thread and on every worker alike (the
 * job module is rebuilt there), so it holds only configuration; `createReader` runs on
 * the worker of the subtask.
 * @module
 */
import type { Boundedness, Source, SourceReaderContext } from '../../api/connector/source.ts';
import type { KafkaClientFactoryProvider } from './kafka-client.ts';
import { kafkaConnectorLogger } from './kafka-connector-logger.ts';
import type { KafkaRecordDeserializationSchema } from './kafka-record-deserialization-schema.ts';
import { KafkaSourceBuilder } from './kafka-source-builder.ts';
import type { KafkaSourceOptions } from './kafka-source-options.ts';
import { KafkaSourceReader } from './kafka-source-reader.ts';
import type { OffsetsInitializer } from './offsets-initializer.ts';

/** What {@link KafkaSourceBuilder.build} checked and fixed. */
export interface KafkaSourceSpec<T> {
  readonly options: KafkaSourceOptions;
  readonly topics: readonly string[] | undefined;
  readonly topicPattern: RegExp | undefined;
  readonly startingOffsets: OffsetsInitializer;
  readonly stoppingOffsets: OffsetsInitializer | undefined;
  readonly deserializer: KafkaRecordDeserializationSchema<T>;
  readonly clients: KafkaClientFactoryProvider;
}

/** See the module documentation. */
export class KafkaSource<T> implements Source<T> {
  readonly boundedness: Boundedness;
  /** The validated specification (options, topics, offsets, deserializer). */
  readonly spec: KafkaSourceSpec<T>;

  /** Use {@link KafkaSource.builder}. */
  constructor(spec: KafkaSourceSpec<T>) {
    this.spec = spec;
    this.boundedness = spec.stoppingOffsets === undefined ? 'CONTINUOUS_UNBOUNDED' : 'BOUNDED';
  }

  /** A builder (Flink's `KafkaSource.builder()`); the record type follows the deserializer. */
  static builder<T = never>(): KafkaSourceBuilder<T> {
    return new KafkaSourceBuilder<T>((spec) => new KafkaSource(spec));
  }

  /**
   * Creates the reader of one subtask: a consumer-group member of its own.
   *
   * @param context - subtask index and parallelism (announced to the group's assignor)
   */
  createReader(context: SourceReaderContext): KafkaSourceReader<T> {
    const { spec } = this;
    const logger = kafkaConnectorLogger(spec.options.logLevel, {
      operatorName: context.operatorName,
      taskName: context.taskName,
      subtaskIndex: context.subtaskIndex,
    });
    return new KafkaSourceReader<T>({
      options: spec.options,
      topics: spec.topics,
      topicPattern: spec.topicPattern,
      startingOffsets: spec.startingOffsets,
      stoppingOffsets: spec.stoppingOffsets,
      deserializer: spec.deserializer,
      clients: spec.clients(logger),
      context,
      logger,
    });
  }
}
