import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../../../src/api/stream-execution-environment.ts';
import { WatermarkStrategy } from '../../../../src/api/watermark-strategy.ts';
import { NexmarkEventDeserializationSchema } from '../../../../src/connectors/nexmark/nexmark-event-deserialization-schema.ts';
import { NexmarkGenerator } from '../../../../src/connectors/nexmark/nexmark-generator.ts';
import {
  eventTimestamp,
  type NexmarkEvent,
} from '../../../../src/connectors/nexmark/nexmark-model.ts';
import {
  buildNexmarkQuery,
  NEXMARK_QUERIES,
} from '../../../../src/connectors/nexmark/nexmark-queries.ts';
import { parseNexmarkJobArgs } from '../../../../src/connectors/nexmark/nexmark-query-job.ts';
import { NexmarkSource } from '../../../../src/connectors/nexmark/nexmark-source.ts';
import { canonical, referenceOf } from '../../../integration/nexmark/nexmark-reference.ts';

const EVENTS = 30_000;
// 1,000 events/s: 30 s of event time, so several windows of each query.
const GENERATOR = { seed: 17, outOfOrderGroupSize: 50, firstEventRate: 1000 };

describe('Nexmark queries on the local executor', () => {
  const generator = new NexmarkGenerator(GENERATOR);
  const events = Array.from({ length: EVENTS }, (_, n) => generator.event(n));

  for (const query of NEXMARK_QUERIES) {
    it(`${query} at parallelism 2 equals the in-memory reference (${EVENTS} events, out of order)`, async () => {
      const env = new StreamExecutionEnvironment({ parallelism: 2 });
      const stream = env.fromSource(
        new NexmarkSource({ events: EVENTS, generator: GENERATOR }),
        WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(1000).withTimestampAssigner(
          eventTimestamp,
        ),
        'nexmark',
      );
      const results = await buildNexmarkQuery(query, stream).executeAndCollect(query);
      const expected = referenceOf(query, events);
      expect(expected.length).toBeGreaterThan(0);
      expect(results.length).toBe(expected.length);
      expect(canonical(results)).toEqual(canonical(expected));
    });
  }
});

describe('NexmarkEventDeserializationSchema', () => {
  const generator = new NexmarkGenerator();
  const bytes = (n: number) => Buffer.from(JSON.stringify(generator.event(n)));

  it('keeps the wanted kinds and drops the others without parsing them', () => {
    const bidsOnly = new NexmarkEventDeserializationSchema([2]);
    expect(bidsOnly.deserialize(bytes(0))).toBeNull(); // a person
    expect(bidsOnly.deserialize(bytes(1))).toBeNull(); // an auction
    expect(bidsOnly.deserialize(bytes(4))).toEqual(generator.event(4));
    // A dropped record is not parsed: its invalid JSON does not matter.
    expect(bidsOnly.deserialize(Buffer.from('{"event_type":0, not json'))).toBeNull();
    const all = new NexmarkEventDeserializationSchema();
    expect(all.deserialize(new Uint8Array(bytes(1)))).toEqual(generator.event(1));
    expect(all.deserialize(null)).toBeNull();
  });

  it('parses other spellings in full and filters them afterwards', () => {
    const spaced = Buffer.from(JSON.stringify(generator.event(0), null, 2));
    expect(new NexmarkEventDeserializationSchema([2]).deserialize(spaced)).toBeNull();
    expect(new NexmarkEventDeserializationSchema([0]).deserialize(spaced)).toEqual(
      generator.event(0),
    );
    expect(() => new NexmarkEventDeserializationSchema().deserialize(Buffer.from('{'))).toThrow(
      SyntaxError,
    );
  });
});

describe('parseNexmarkJobArgs', () => {
  it('reads name=value strings with defaults, brokers from KAFKA_BROKERS', () => {
    const args = parseNexmarkJobArgs('q5', ['bounded=true', '--parallelism=2'], {
      KAFKA_BROKERS: 'a:1, b:2',
    });
    expect(args).toMatchObject({
      brokers: ['a:1', 'b:2'],
      topic: 'nexmark-events',
      output: 'nexmark-q5-results',
      group: 'sluice-nexmark-q5',
      offsets: 'committed',
      bounded: true,
      parallelism: 2,
      outOfOrdernessMs: 4000,
      windowSizeMs: 10_000,
      windowSlideMs: 2000,
      source: 'kafka',
    });
    expect(parseNexmarkJobArgs('q0', { brokers: ['x:9'], topic: 't' }, {}).topic).toBe('t');
  });

  it('names the argument that does not parse, and missing brokers', () => {
    expect(() => parseNexmarkJobArgs('q7', ['bounded=maybe'], { KAFKA_BROKERS: 'a:1' })).toThrow(
      /bounded=maybe/,
    );
    expect(() =>
      parseNexmarkJobArgs('q7', ['outOfOrdernessMs=-5'], { KAFKA_BROKERS: 'a:1' }),
    ).toThrow(/outOfOrdernessMs/);
    expect(() => parseNexmarkJobArgs('q7', ['lonely'], { KAFKA_BROKERS: 'a:1' })).toThrow(
      /name=value/,
    );
    expect(() => parseNexmarkJobArgs('q7', [], {})).toThrow(/KAFKA_BROKERS/);
  });
});
