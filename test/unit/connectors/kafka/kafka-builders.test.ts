import { describe, expect, it } from 'vitest';
import { OPTIONS_BY_KEY } from '../../../../src/config/options.ts';
import { SimpleStringSchema } from '../../../../src/connectors/kafka/kafka-record-deserialization-schema.ts';
import {
  KafkaRecordSerializationSchema,
  SimpleStringSerializationSchema,
} from '../../../../src/connectors/kafka/kafka-record-serialization-schema.ts';
import { KafkaSink } from '../../../../src/connectors/kafka/kafka-sink.ts';
import { DeliveryGuarantee } from '../../../../src/connectors/kafka/kafka-sink-options.ts';
import { KafkaSource } from '../../../../src/connectors/kafka/kafka-source.ts';
import { OffsetsInitializer } from '../../../../src/connectors/kafka/offsets-initializer.ts';

const source = () =>
  KafkaSource.builder()
    .setBootstrapServers('a:1, b:2')
    .setTopics('t')
    .setGroupId('g')
    .setValueOnlyDeserializer(new SimpleStringSchema());

const serializer = KafkaRecordSerializationSchema.builder<string>()
  .setTopic('out')
  .setValueSerializationSchema(new SimpleStringSerializationSchema())
  .build();

describe('KafkaSource builder', () => {
  it("builds with Flink's defaults and parses properties by their registered keys", () => {
    const built = source()
      .setProperties({
        'source.kafka.max-buffered-bytes': '4mb',
        'fetch.max.wait.ms': '250 ms',
        'enable.auto.commit': 'true',
        'deserialization.failure-policy': 'skip',
      })
      .build();
    expect(built.boundedness).toBe('CONTINUOUS_UNBOUNDED');
    expect(built.spec.options).toMatchObject({
      bootstrapServers: ['a:1', 'b:2'],
      groupId: 'g',
      maxBufferedBytes: 4 * 1024 * 1024,
      fetchMaxWaitMs: 250,
      enableAutoCommit: true,
      failurePolicy: 'skip',
      commitOffsetsOnCheckpoint: true,
      isolationLevel: 'read_uncommitted',
    });
    expect(built.spec.startingOffsets.kind).toBe('earliest');
    expect(source().setBounded(OffsetsInitializer.latest()).build().boundedness).toBe('BOUNDED');
    for (const key of [
      'source.kafka.max-buffered-bytes',
      'deserialization.failure-policy',
      'group.id',
    ]) {
      expect(OPTIONS_BY_KEY.has(key)).toBe(true);
    }
  });

  it('names what is missing or invalid', () => {
    const missing = (b: { build(): unknown }) => {
      try {
        b.build();
      } catch (error) {
        return (error as Error).message;
      }
      return 'built';
    };
    expect(missing(KafkaSource.builder().setTopics('t').setGroupId('g'))).toMatch(
      /bootstrap.servers is not set/,
    );
    expect(missing(KafkaSource.builder().setBootstrapServers('a:1').setTopics('t'))).toMatch(
      /group.id/,
    );
    expect(missing(KafkaSource.builder().setBootstrapServers('a:1').setGroupId('g'))).toMatch(
      /setTopics/,
    );
    expect(
      missing(KafkaSource.builder().setBootstrapServers('a:1').setGroupId('g').setTopics('t')),
    ).toMatch(/deserializer/);
    expect(missing(source().setProperty('deserialization.failure-policy', 'dead-letter'))).toMatch(
      /deserialization.dead-letter.topic/,
    );
    expect(() => source().setProperty('fetch.max.bytes', 'lots')).toThrow(
      /invalid value for fetch.max.bytes/,
    );
    expect(() => source().setProperty('auto.offset.reset', 'earliest')).toThrow(
      /unknown property "auto.offset.reset"; known properties: bootstrap.servers/,
    );
  });
});

describe('KafkaSink builder', () => {
  it('defaults to an idempotent producer with acks=all, one request in flight, delivery NONE', () => {
    const sink = KafkaSink.builder<string>()
      .setBootstrapServers('a:1')
      .setRecordSerializer(serializer)
      .build();
    expect(sink.spec.options).toMatchObject({
      deliveryGuarantee: 'none',
      idempotent: true,
      acks: -1,
      maxInFlightRequests: 1,
      compression: 'none',
      batchSizeBytes: 512 * 1024,
      lingerMs: 0,
    });
    const tuned = KafkaSink.builder<string>()
      .setBootstrapServers('a:1')
      .setRecordSerializer(serializer)
      .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
      .setProperties({ 'compression.type': 'gzip', 'linger.ms': '20 ms', 'buffer.memory': '8mb' })
      .build();
    expect(tuned.spec.options).toMatchObject({
      deliveryGuarantee: 'at-least-once',
      compression: 'gzip',
      lingerMs: 20,
      bufferMemoryBytes: 8 * 1024 * 1024,
    });
  });

  it('refuses settings that break idempotence or need native codecs', () => {
    const base = () =>
      KafkaSink.builder<string>().setBootstrapServers('a:1').setRecordSerializer(serializer);
    expect(() => base().setProperty('acks', '1').build()).toThrow(/needs acks=all/);
    expect(() => base().setProperty('max.in.flight.requests.per.connection', 5).build()).toThrow(
      /max.in.flight.requests.per.connection=1/,
    );
    expect(
      base().setProperties({ acks: 1, 'enable.idempotence': false }).build().spec.options.acks,
    ).toBe(1);
    expect(() => base().setProperty('compression.type', 'zstd')).toThrow(/one of none, gzip/);
    expect(() => KafkaSink.builder<string>().setRecordSerializer(serializer).build()).toThrow(
      /bootstrap.servers/,
    );
    expect(() => KafkaSink.builder<string>().setBootstrapServers('a:1').build()).toThrow(
      /record serializer/,
    );
  });
});
