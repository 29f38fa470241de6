/**
 * An endless job with a deliberately slow operator: the example the Helm chart runs by
 * default and the job `test/deploy` scrapes with a real Prometheus to prove that every
 * dashboard query and alert expression finds its series.
 *
 * ```
 *  Source: numbers ──rebalance──► Throttled ──► Sink: Discard
 *  (datagen: rate records/s,      (≤ throttle records/s per subtask)
 *   or a Kafka topic)              busy: the bottleneck
 *   back-pressured
 * ```
 *
 * The source offers more records than the throttled map can take, so the source's
 * output buffers fill, its credit runs out and it waits: `backPressuredTimeMsPerSecond`
 * high upstream, `busyTimeMsPerSecond` high on `Throttled`, credit 0 with a backlog on
 * Throttled's input channels, and `GET /jobs/{jobid}/flow` names Throttled as the
 * bottleneck. The throttle blocks its worker thread with `Atomics.wait` instead of
 * spinning, so it looks busy to Sluice without burning a core of a shared machine.
 *
 * The source is a data generator (0, 1, 2, … at `rate` records/s) unless a `topic` is
 * given: then it is a `KafkaSource` reading that topic from the earliest offset in the
 * consumer group `group`, whose values are decimal numbers, as text (`42`, `-1.5`) or as
 * JSON (`42`, `"42"`). A topic written faster than `throttle` records/s (or loaded
 * beforehand) keeps a consumer lag: `sluice_kafka_consumer_records_lag` and the
 * dashboards' lag panels. Either way the source is named `numbers`.
 *
 * Arguments (an object, or `name=value` strings):
 *
 * | argument | default | meaning |
 * |---|---|---|
 * | `rate` | 20000 | datagen records/s over all subtasks (ignored with `topic`) |
 * | `throttle` | 2000 | records/s one Throttled subtask processes at most |
 * | `parallelism` | 1 | parallelism of every operator |
 * | `topic` | — | read this Kafka topic instead of generating numbers |
 * | `bootstrap` | `$KAFKA_BROKERS` | bootstrap servers `host:port[,…]`, with `topic` |
 * | `group` | `sluice-throttled` | consumer group, with `topic` |
 *
 * @remarks The builder runs on the main thread and on every worker: it reads only its
 * arguments and `KAFKA_BROKERS` (the same in every thread of a process).
 */

import type { RuntimeContext } from '../../src/api/functions.ts';
import {
  DataGeneratorSource,
  DiscardingSink,
  defineJob,
  WatermarkStrategy,
} from '../../src/api/index.ts';
import type { DeserializationSchema } from '../../src/connectors/kafka/kafka-record-deserialization-schema.ts';
import { KafkaSource } from '../../src/connectors/kafka/kafka-source.ts';
import { OffsetsInitializer } from '../../src/connectors/kafka/offsets-initializer.ts';

/** Arguments of the throttled job. */
export interface ThrottledJobArgs {
  /** Source records per second over all subtasks (datagen only). @defaultValue 20000 */
  rate?: number | string;
  /** Records per second one Throttled subtask processes at most. @defaultValue 2000 */
  throttle?: number | string;
  /** Parallelism of every operator. @defaultValue 1 */
  parallelism?: number | string;
  /** Kafka topic to read instead of generating numbers. @defaultValue none (datagen) */
  topic?: string;
  /** Bootstrap servers `host:port[,…]`. @defaultValue `$KAFKA_BROKERS` */
  bootstrap?: string | string[];
  /** Consumer group. @defaultValue `sluice-throttled` */
  group?: string;
}

/** The raw value of argument `name` from an object or from `name=value` strings. */
function rawArg(args: unknown, name: string): unknown {
  let raw: unknown;
  if (Array.isArray(args)) {
    for (const item of args) {
      const match = /^(?:--)?([\w-]+)=(.*)$/.exec(String(item));
      if (match !== null && match[1] === name) raw = match[2];
    }
  } else if (args !== null && typeof args === 'object') {
    raw = (args as Record<string, unknown>)[name];
  }
  return raw;
}

/**
 * Reads a positive number argument from an object (`{rate: 100}`) or from a list of
 * `name=value` / `--name=value` strings (`['rate=100']`), as a job may receive its
 * arguments either way.
 *
 * @param args - the job's arguments
 * @param name - argument name
 * @param fallback - value when absent
 * @returns the number
 * @throws Error naming the argument when the value is not a positive number
 */
export function numberArg(args: unknown, name: string, fallback: number): number {
  const raw = rawArg(args, name);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`throttled job: argument ${name}=${String(raw)} is not a positive number`);
  }
  return value;
}

/**
 * Reads a text argument the same way as {@link numberArg}.
 *
 * @returns the text, or `undefined` when absent or empty
 */
export function stringArg(args: unknown, name: string): string | undefined {
  const raw = rawArg(args, name);
  if (raw === undefined || raw === null || raw === '') return undefined;
  return Array.isArray(raw) ? raw.map(String).join(',') : String(raw);
}

const QUOTE = 0x22;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Kafka values → numbers: decimal text (`42`, `-7`, `1.5e3`) or a JSON number or string
 * (`42`, `"42"`). Integers without sign tricks are parsed from the bytes without
 * allocating; anything else goes through `Number` of the decoded text.
 *
 * @throws Error naming the value when it is not a finite number (the source's
 *   `deserialization.failure-policy` applies; default: the job fails)
 */
export class DecimalNumberSchema implements DeserializationSchema<number> {
  deserialize(bytes: Uint8Array | null): number | null {
    if (bytes === null) return null;
    let start = 0;
    let end = bytes.length;
    if (end >= 2 && bytes[0] === QUOTE && bytes[end - 1] === QUOTE) {
      start = 1;
      end -= 1;
    }
    const negative = start < end && bytes[start] === MINUS;
    let i = negative ? start + 1 : start;
    let value = 0;
    for (; i < end && i - start < 16; i++) {
      const c = bytes[i]!;
      if (c < ZERO || c > NINE) break;
      value = value * 10 + (c - ZERO);
    }
    if (i === end && i > (negative ? start + 1 : start)) return negative ? -value : value;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
    const parsed = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(parsed)) {
      throw new Error(`throttled job: Kafka value ${JSON.stringify(text)} is not a decimal number`);
    }
    return parsed;
  }
}

/**
 * The job's Kafka source: `topic` from the earliest offset, values as numbers.
 *
 * @throws Error when no bootstrap servers are given or set in `KAFKA_BROKERS`
 */
function kafkaNumbers(args: unknown, topic: string): KafkaSource<number> {
  const bootstrap = stringArg(args, 'bootstrap') ?? process.env.KAFKA_BROKERS ?? '';
  const brokers = bootstrap
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) {
    throw new Error(
      `throttled job: topic=${topic} needs Kafka brokers: pass bootstrap=host:port or set KAFKA_BROKERS`,
    );
  }
  return KafkaSource.builder()
    .setBootstrapServers(brokers)
    .setTopics(topic)
    .setGroupId(stringArg(args, 'group') ?? 'sluice-throttled')
    .setStartingOffsets(OffsetsInitializer.earliest())
    .setValueOnlyDeserializer(new DecimalNumberSchema())
    .build();
}

/**
 * A map that lets through at most `recordsPerSecond` records per second: it keeps a
 * debt of time owed and blocks the thread (`Atomics.wait`) once a millisecond is owed.
 * No allocation per record.
 */
class ThrottledMap {
  private readonly nsPerRecord: number;
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));
  private dueNs = 0;

  constructor(recordsPerSecond: number) {
    this.nsPerRecord = 1e9 / recordsPerSecond;
  }

  open(_context: RuntimeContext): void {
    this.dueNs = Number(process.hrtime.bigint());
  }

  map(value: number): number {
    this.dueNs += this.nsPerRecord;
    const aheadMs = (this.dueNs - Number(process.hrtime.bigint())) / 1e6;
    if (aheadMs >= 1) Atomics.wait(this.cell, 0, 0, aheadMs);
    else if (aheadMs < -1000) this.dueNs += -aheadMs * 1e6; // idle for long: no burst after it
    return value;
  }
}

export default defineJob<ThrottledJobArgs>(
  (env, args) => {
    const rate = numberArg(args, 'rate', 20_000);
    const throttle = numberArg(args, 'throttle', 2_000);
    env.setParallelism(numberArg(args, 'parallelism', 1));
    const topic = stringArg(args, 'topic');
    const source =
      topic === undefined
        ? new DataGeneratorSource((i) => i, Number.POSITIVE_INFINITY, { recordsPerSecond: rate })
        : kafkaNumbers(args, topic);
    env
      .fromSource(source, WatermarkStrategy.noWatermarks<number>(), 'numbers')
      .rebalance()
      .map(new ThrottledMap(throttle))
      .name('Throttled')
      .uid('throttled')
      .sinkTo(new DiscardingSink<number>())
      .name('Discard');
  },
  { name: 'throttled' },
);
