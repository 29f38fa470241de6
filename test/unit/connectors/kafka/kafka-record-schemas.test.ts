import { describe, expect, it } from 'vitest';
import {
  BytesDeserializationSchema,
  JsonDeserializationSchema,
  type KafkaRecord,
  KafkaRecordDeserializationSchema,
  ReusableConsumerRecord,
  SimpleStringSchema,
} from '../../../../src/connectors/kafka/kafka-record-deserialization-schema.ts';
import {
  JsonSerializationSchema,
  KafkaRecordSerializationSchema,
} from '../../../../src/connectors/kafka/kafka-record-serialization-schema.ts';

function view(value: string | null, key: string | null = 'k') {
  const record = new ReusableConsumerRecord();
  record.topic = 'in';
  record.partition = 3;
  record.message = {
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    timestamp: '1700000000123',
    offset: '42',
    headers: { h: Buffer.from('v') },
  };
  return record;
}

function collect<T>(schema: KafkaRecordDeserializationSchema<T>, record = view('x')): T[] {
  const out: T[] = [];
  schema.deserialize(record, { collect: (v) => out.push(v) });
  return out;
}

describe('Kafka record deserialization schemas', () => {
  it('deserializes values only: string, JSON and bytes; tombstones emit nothing', () => {
    expect(
      collect(KafkaRecordDeserializationSchema.valueOnly(new SimpleStringSchema()), view('héllo')),
    ).toEqual(['héllo']);
    expect(
      collect(
        KafkaRecordDeserializationSchema.valueOnly(new JsonDeserializationSchema()),
        view('{"a":[1,2]}'),
      ),
    ).toEqual([{ a: [1, 2] }]);
    const bytes = collect(
      KafkaRecordDeserializationSchema.valueOnly(new BytesDeserializationSchema()),
      view('ab'),
    );
    expect([...bytes[0]!]).toEqual([97, 98]);
    const source = view('ab');
    const copy = collect(
      KafkaRecordDeserializationSchema.valueOnly(new BytesDeserializationSchema()),
      source,
    )[0]!;
    (source.value as Uint8Array)[0] = 0;
    expect(copy[0]).toBe(97); // copied out of the fetch buffer
    for (const schema of [
      new SimpleStringSchema(),
      new JsonDeserializationSchema(),
      new BytesDeserializationSchema(),
    ]) {
      expect(
        collect(KafkaRecordDeserializationSchema.valueOnly(schema as never), view(null)),
      ).toEqual([]);
    }
  });

  it('throws on invalid JSON (the failure policy decides)', () => {
    expect(() =>
      collect(
        KafkaRecordDeserializationSchema.valueOnly(new JsonDeserializationSchema()),
        view('{oops'),
      ),
    ).toThrow(SyntaxError);
  });

  it('emits the whole record: topic, partition, offset, timestamp, key, value, headers', () => {
    const [record] = collect(
      KafkaRecordDeserializationSchema.wholeRecord(new JsonDeserializationSchema<{ a: number }>()),
      view('{"a":1}', 'the-key'),
    ) as KafkaRecord<string, { a: number }>[];
    expect(record).toMatchObject({
      topic: 'in',
      partition: 3,
      offset: 42,
      timestamp: 1_700_000_000_123,
      key: 'the-key',
      value: { a: 1 },
    });
    expect(Buffer.from(record!.headers.h as Uint8Array).toString()).toBe('v');
    const [tombstone] = collect(KafkaRecordDeserializationSchema.wholeRecord(), view(null, null));
    expect(tombstone).toMatchObject({ key: null, value: null, offset: 42 });
  });
});

describe('KafkaRecordSerializationSchema', () => {
  const ctx = { parallelInstanceId: 0, numberOfParallelInstances: 1 };

  it('builds records with topic, key, value, headers, partition and the element timestamp', () => {
    const schema = KafkaRecordSerializationSchema.builder<{ id: number; region: string }>()
      .setTopicSelector((e) => `orders-${e.region}`)
      .setKeySerializationSchema((e) => String(e.id))
      .setValueSerializationSchema(new JsonSerializationSchema())
      .setHeaderProvider((e) => ({ region: e.region }))
      .setPartitioner((e) => e.id % 2)
      .build();
    expect(schema.serialize({ id: 7, region: 'eu' }, ctx, 1234)).toEqual({
      topic: 'orders-eu',
      key: '7',
      value: '{"id":7,"region":"eu"}',
      timestamp: '1234',
      headers: { region: 'eu' },
      partition: 1,
    });
    expect(schema.serialize({ id: 8, region: 'us' }, ctx, undefined)).toMatchObject({
      timestamp: undefined,
      partition: 0,
    });
  });

  it('requires a topic and a value serializer', () => {
    expect(() =>
      KafkaRecordSerializationSchema.builder().setValueSerializationSchema(String).build(),
    ).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }));
    expect(() => KafkaRecordSerializationSchema.builder().setTopic('t').build()).toThrow(
      /value serializer/,
    );
  });
});
