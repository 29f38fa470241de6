/**
 * Job module of the Kafka checkpoint tests: a stateful keyed count.
 *
 * ```
 *  input topic ─► Source: input ─► Throttle ─keyBy(k)─► Count ─► Sink: output ─► output topic
 *  JSON {k, seq}  (KafkaSource)   (≤ rate/s)            ValueState<number>   JSON {k, count}
 *                                                       per key              (AT_LEAST_ONCE)
 * ```
 *
 * Every operator has a `uid`, so state maps onto the job at any parallelism. The source
 * starts at the earliest offsets when nothing is restored, and in bounded mode stops at
 * the offsets current at its start (the job then ends FINISHED).
 *
 * Test hooks (only through a `control` SharedArrayBuffer, i.e. when submitted in the
 * test's own process):
 *
 * ```
 *  Int32 word 0 KILL      the test stores 1: subtask `killSubtask` of attempt 0 ends its
 *                         worker thread with process.exit (a worker dying mid-run,
 *                         wherever it is: a timer, not a record, triggers it)
 *  Int32 word 1 RECORDS   records through Throttle, all subtasks and attempts
 * ```
 *
 * Arguments: an object, or `name=value` strings as `sluice run` passes them
 * (`brokers=host:port,…`, `input=…`, `output=…`, `group=…`, `parallelism=2`,
 * `rate=4000` records/s over all subtasks, `bounded=true|false`).
 */
import { defineJob } from '../../../../../src/api/define-job.ts';
import type {
  Collector,
  KeyedProcessFunction,
  KeyedRuntimeContext,
  RuntimeContext,
} from '../../../../../src/api/functions.ts';
import { Float64Serializer, ValueStateDescriptor } from '../../../../../src/api/index.ts';
import { WatermarkStrategy } from '../../../../../src/api/watermark-strategy.ts';
import { JsonDeserializationSchema } from '../../../../../src/connectors/kafka/kafka-record-deserialization-schema.ts';
import {
  JsonSerializationSchema,
  KafkaRecordSerializationSchema,
} from '../../../../../src/connectors/kafka/kafka-record-serialization-schema.ts';
import { KafkaSink } from '../../../../../src/connectors/kafka/kafka-sink.ts';
import { DeliveryGuarantee } from '../../../../../src/connectors/kafka/kafka-sink-options.ts';
import { KafkaSource } from '../../../../../src/connectors/kafka/kafka-source.ts';
import { OffsetsInitializer } from '../../../../../src/connectors/kafka/offsets-initializer.ts';
import type { ValueState } from '../../../../../src/runtime/state/keyed-state.ts';

/** An input record. */
export interface InputRecord {
  k: string;
  seq: number;
}

/** An output record: the key's count after one more of its records. */
export interface CountRecord {
  k: string;
  count: number;
}

/** Arguments (structured-cloneable), or the same as `name=value` strings. */
export interface KeyedCountArgs {
  brokers: string[] | string;
  input: string;
  output: string;
  group: string;
  /** @defaultValue 1 */
  parallelism?: number | string;
  /** Records per second over all subtasks (the job must run long enough to crash). @defaultValue 4000 */
  rate?: number | string;
  /** Stop at the input's end offsets at start. @defaultValue true */
  bounded?: boolean | string;
  /** Subtask whose worker exits on the KILL word (attempt 0 only). @defaultValue 0 */
  killSubtask?: number | string;
  /** Words: [0] KILL, [1] RECORDS. */
  control?: SharedArrayBuffer;
}

/** Index of the KILL word of `control`. */
export const KILL = 0;
/** Index of the RECORDS word of `control`. */
export const RECORDS = 1;

/** Reads argument `name` from an object or from `name=value` strings. */
function arg(args: unknown, name: string): unknown {
  if (Array.isArray(args)) {
    let raw: string | undefined;
    for (const item of args) {
      const match = /^(?:--)?([\w-]+)=(.*)$/.exec(String(item));
      if (match !== null && match[1] === name) raw = match[2];
    }
    return raw;
  }
  if (args !== null && typeof args === 'object') return (args as Record<string, unknown>)[name];
  return undefined;
}

function stringArg(args: unknown, name: string): string {
  const value = arg(args, name);
  if (typeof value !== 'string' || value === '') {
    throw new Error(`keyed count job: argument ${name} is required`);
  }
  return value;
}

function numberArg(args: unknown, name: string, fallback: number): number {
  const value = arg(args, name);
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new Error(`keyed count job: argument ${name}=${String(value)} is not a number ≥ 0`);
  }
  return n;
}

/**
 * Lets through at most `recordsPerSecond` records per second by blocking the thread
 * (`Atomics.wait`) once a millisecond is owed; counts records in the RECORDS word; arms
 * the KILL hook in subtask `killSubtask` of attempt 0.
 */
class Throttle {
  private readonly nsPerRecord: number;
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));
  private readonly words: Int32Array | undefined;
  private readonly killSubtask: number;
  private dueNs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    recordsPerSecond: number,
    control: SharedArrayBuffer | undefined,
    killSubtask: number,
  ) {
    this.nsPerRecord = 1e9 / recordsPerSecond;
    this.words = control === undefined ? undefined : new Int32Array(control);
    this.killSubtask = killSubtask;
  }

  open(context: RuntimeContext): void {
    this.dueNs = Number(process.hrtime.bigint());
    const words = this.words;
    if (
      words !== undefined &&
      context.attemptNumber === 0 &&
      context.subtaskIndex === this.killSubtask
    ) {
      this.timer = setInterval(() => {
        // In a worker thread, process.exit ends the thread only: the slot's worker dies.
        if (Atomics.load(words, KILL) === 1) process.exit(70);
      }, 10);
    }
  }

  map(value: InputRecord): InputRecord {
    if (this.words !== undefined) Atomics.add(this.words, RECORDS, 1);
    this.dueNs += this.nsPerRecord;
    const aheadMs = (this.dueNs - Number(process.hrtime.bigint())) / 1e6;
    if (aheadMs >= 1) Atomics.wait(this.cell, 0, 0, aheadMs);
    else if (aheadMs < -1000) this.dueNs += -aheadMs * 1e6; // no burst after an idle time
    return value;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}

function countPerKey(): KeyedProcessFunction<string, InputRecord, CountRecord> {
  let count: ValueState<number>;
  return {
    open(context: KeyedRuntimeContext) {
      count = context.getState(new ValueStateDescriptor('count', Float64Serializer.INSTANCE));
    },
    processElement(record: InputRecord, _context: unknown, out: Collector<CountRecord>) {
      const c = (count.value() ?? 0) + 1;
      count.update(c);
      out.collect({ k: record.k, count: c });
    },
  };
}

export default defineJob<KeyedCountArgs>(
  (env, args) => {
    const brokers = arg(args, 'brokers');
    const servers = Array.isArray(brokers) ? brokers : stringArg(args, 'brokers').split(',');
    const parallelism = numberArg(args, 'parallelism', 1);
    const bounded = String(arg(args, 'bounded') ?? 'true') !== 'false';
    const control = arg(args, 'control') as SharedArrayBuffer | undefined;
    env.setParallelism(parallelism);
    const builder = KafkaSource.builder()
      .setBootstrapServers(servers)
      .setTopics(stringArg(args, 'input'))
      .setGroupId(stringArg(args, 'group'))
      .setStartingOffsets(OffsetsInitializer.earliest())
      .setValueOnlyDeserializer(new JsonDeserializationSchema<InputRecord>())
      // A crashed member stays in the group until its session expires, and the group
      // assigns nothing until it has: keep restarts quick (Kafka's minimum is 6 s).
      .setProperties({
        'kafka.log-level': 'error',
        'session.timeout.ms': 6000,
        // Small fetches and a small queue: one poll of the task emits few records, so the
        // throttle holds a checkpoint barrier back for tens of ms, not for a whole batch.
        'fetch.max.bytes': 2048,
        'max.partition.fetch.bytes': 1024,
        'source.kafka.max-buffered-records': 32,
      });
    if (bounded) builder.setBounded(OffsetsInitializer.latest());
    const sink = KafkaSink.builder<CountRecord>()
      .setBootstrapServers(servers)
      .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
      .setRecordSerializer(
        KafkaRecordSerializationSchema.builder<CountRecord>()
          .setTopic(stringArg(args, 'output'))
          .setKeySerializationSchema((r) => r.k)
          .setValueSerializationSchema(new JsonSerializationSchema<CountRecord>())
          .build(),
      )
      .setProperties({ 'kafka.log-level': 'error' })
      .build();
    env
      .fromSource(builder.build(), WatermarkStrategy.noWatermarks(), 'input')
      .uid('input')
      .map(
        new Throttle(
          numberArg(args, 'rate', 4000) / parallelism,
          control,
          numberArg(args, 'killSubtask', 0),
        ),
      )
      .name('Throttle')
      .uid('throttle')
      .keyBy((r: InputRecord) => r.k)
      .process<CountRecord>(countPerKey())
      .name('Count')
      .uid('count')
      .sinkTo(sink)
      .name('output')
      .uid('output');
  },
  { name: 'kafka keyed count' },
);
