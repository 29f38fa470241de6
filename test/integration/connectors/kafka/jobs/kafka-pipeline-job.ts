/**
 * Job module of the Kafka integration tests: input topic → KafkaSource (JSON values)
 * → map → [throttle] → KafkaSink (keyed by `k`, JSON values) → output topic.
 *
 * The throttle is a shared word (`control`, an Int32Array over a SharedArrayBuffer in the
 * args, so the test and the workers see the same memory): while word 0 is 1 the sink's
 * writer reports itself unavailable, so the task stops pulling from the source; word 1
 * counts the records the sink was given.
 */
import type { Sink, SinkWriter, SinkWriterContext } from '../../../../../src/api/connector/sink.ts';
import { defineJob } from '../../../../../src/api/define-job.ts';
import { WatermarkStrategy } from '../../../../../src/api/watermark-strategy.ts';
import { JsonDeserializationSchema } from '../../../../../src/connectors/kafka/kafka-record-deserialization-schema.ts';
import {
  JsonSerializationSchema,
  KafkaRecordSerializationSchema,
} from '../../../../../src/connectors/kafka/kafka-record-serialization-schema.ts';
import { KafkaSink } from '../../../../../src/connectors/kafka/kafka-sink.ts';
import { KafkaSource } from '../../../../../src/connectors/kafka/kafka-source.ts';
import { OffsetsInitializer } from '../../../../../src/connectors/kafka/offsets-initializer.ts';

/** A record of the tests: key, sequence number, optional padding. */
export interface TestRecord {
  k: string;
  seq: number;
  pad?: string;
}

/** Arguments (structured-cloneable). */
export interface KafkaPipelineArgs {
  brokers: string[];
  input: string;
  output: string;
  groupId: string;
  parallelism: number;
  /** Read up to the input's end at start, then finish (default true). */
  bounded?: boolean;
  sourceProperties?: Record<string, unknown>;
  sinkProperties?: Record<string, unknown>;
  /** Words: [0] throttled (1) or not (0); [1] records handed to the sink. */
  control?: SharedArrayBuffer;
}

const THROTTLED = 0;
const WRITTEN = 1;

/** Wraps a sink: unavailable while the shared throttle word is 1; counts records. */
class ThrottledSink<T> implements Sink<T> {
  private readonly inner: Sink<T>;
  private readonly control: SharedArrayBuffer;

  constructor(inner: Sink<T>, control: SharedArrayBuffer) {
    this.inner = inner;
    this.control = control;
  }

  async createWriter(context: SinkWriterContext): Promise<SinkWriter<T>> {
    const inner = await this.inner.createWriter(context);
    const words = new Int32Array(this.control);
    return {
      write(element, ctx) {
        Atomics.add(words, WRITTEN, 1);
        inner.write(element, ctx);
      },
      isAvailable: () => Atomics.load(words, THROTTLED) === 0 && (inner.isAvailable?.() ?? true),
      getAvailableFuture: async () => {
        while (Atomics.load(words, THROTTLED) !== 0) {
          const wait = Atomics.waitAsync(words, THROTTLED, 1, 500);
          if (wait.async) await wait.value;
          // Memory tests run with --expose-gc: collect while throttled so that the
          // process's resident memory shows what is live.
          (globalThis as { gc?: () => void }).gc?.();
        }
        await inner.getAvailableFuture?.();
      },
      flush: (endOfInput) => inner.flush(endOfInput),
      close: () => inner.close(),
    };
  }
}

export default defineJob<KafkaPipelineArgs>(
  (env, args) => {
    env.setParallelism(args.parallelism);
    const builder = KafkaSource.builder()
      .setBootstrapServers(args.brokers)
      .setTopics(args.input)
      .setGroupId(args.groupId)
      .setStartingOffsets(OffsetsInitializer.earliest())
      .setValueOnlyDeserializer(new JsonDeserializationSchema<TestRecord>())
      .setProperties({ 'kafka.log-level': 'error', ...args.sourceProperties });
    if (args.bounded ?? true) builder.setBounded(OffsetsInitializer.latest());
    let sink: Sink<TestRecord> = KafkaSink.builder<TestRecord>()
      .setBootstrapServers(args.brokers)
      .setRecordSerializer(
        KafkaRecordSerializationSchema.builder<TestRecord>()
          .setTopic(args.output)
          .setKeySerializationSchema((r) => r.k)
          .setValueSerializationSchema(new JsonSerializationSchema<TestRecord>())
          .build(),
      )
      .setProperties({ 'kafka.log-level': 'error', ...args.sinkProperties })
      .build();
    if (args.control !== undefined) sink = new ThrottledSink(sink, args.control);
    env
      .fromSource(builder.build(), WatermarkStrategy.noWatermarks(), 'input')
      .map((r) => ({ k: r.k, seq: r.seq }))
      .name('strip')
      .sinkTo(sink)
      .name('output');
  },
  { name: 'kafka pipeline' },
);
