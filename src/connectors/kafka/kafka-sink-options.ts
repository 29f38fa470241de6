/**
 * Options of the {@link KafkaSink}: Kafka producer properties (Kafka's names), Flink's
 * delivery guarantee, and the writer's batching and buffer bounds.
 *
 * @module
 */
import { Type } from 'typebox';
import { type ConfigOption, option } from '../../config/config-option.ts';
import { registerOptions } from '../../config/options.ts';
import { compileOptions } from '../../config/validate.ts';
import {
  commonPropertyBindings,
  defaultKafkaClientCommonOptions,
  type KafkaClientCommonOptions,
  KafkaClientCommonSchema,
  type PropertyBinding,
} from './kafka-client-options.ts';

/**
 * Flink's `DeliveryGuarantee`, without `EXACTLY_ONCE`: kafkajs has no KIP-447 fencing
 * (`TxnOffsetCommit` v0–1 only), so a zombie writer of an older attempt could not be
 * fenced off by group generation (see `docs/kafka.md`).
 */
export const DeliveryGuarantee = {
  /** Records are sent as they come; nothing waits at checkpoints (Flink's default). */
  NONE: 'none',
  /** Every checkpoint barrier waits until all records before it were acknowledged. */
  AT_LEAST_ONCE: 'at-least-once',
} as const;
export type DeliveryGuarantee = (typeof DeliveryGuarantee)[keyof typeof DeliveryGuarantee];

/** Compression codecs available without native builds (kafkajs has gzip built in). */
export const SINK_COMPRESSION_TYPES = ['none', 'gzip'] as const;

/** Configuration keys of the Kafka sink. */
export const KafkaSinkConfigOptions = {
  DELIVERY_GUARANTEE: option.enumeration(
    'sink.delivery-guarantee',
    ['none', 'at-least-once'] as const,
    'none',
    'none: no flush at checkpoints; at-least-once: every checkpoint waits for all earlier records to be acknowledged.',
  ),
  BATCH_SIZE: option.memory(
    'sink.kafka.batch-size',
    512 * 1024,
    'Bytes of records (keys, values and framing) in one produce request; a fuller request is sent at once. Keep it below the broker message.max.bytes: all records of a request may go to one partition.',
    { min: 1024, max: 64 * 1024 * 1024 },
  ),
  LINGER: option.duration(
    'linger.ms',
    0,
    'Longest time a record waits for others to share its produce request (ms); 0 = next event-loop turn (records still batch while a request is in flight).',
    { min: 0 },
  ),
  BUFFER_MEMORY: option.memory(
    'buffer.memory',
    32 * 1024 * 1024,
    'Bytes of records buffered or in flight per sink subtask above which the writer back-pressures the task.',
    { min: 1024 },
  ),
  MAX_BUFFERED_RECORDS: option.int(
    'sink.kafka.max-buffered-records',
    200_000,
    'Records buffered or in flight per sink subtask above which the writer back-pressures the task.',
    { min: 1 },
  ),
  COMPRESSION_TYPE: option.enumeration(
    'compression.type',
    SINK_COMPRESSION_TYPES,
    'none',
    'Compression of produced record batches (none or gzip; snappy, lz4 and zstd need native codecs kafkajs does not ship).',
  ),
  ACKS: option.enumeration(
    'acks',
    ['all', '-1', '1', '0'] as const,
    'all',
    'Acknowledgements a produce request waits for: all (= -1) in-sync replicas, the leader (1), none (0).',
  ),
  ENABLE_IDEMPOTENCE: option.boolean(
    'enable.idempotence',
    true,
    'Idempotent producer: retries neither duplicate nor reorder records within a partition (needs acks=all).',
  ),
  MAX_IN_FLIGHT: option.int(
    'max.in.flight.requests.per.connection',
    1,
    'Requests in flight per broker connection (must be 1 with enable.idempotence in kafkajs).',
    { min: 1, max: 5 },
  ),
  RETRIES: option.int(
    'retries',
    5,
    'Retries of a failed produce request without idempotence (the idempotent producer retries without limit).',
    { min: 0 },
  ),
} as const;
registerOptions(KafkaSinkConfigOptions);

/** Options of a {@link KafkaSink} other than the record serializer. */
export interface KafkaSinkOptions extends KafkaClientCommonOptions {
  /** `sink.delivery-guarantee`. @defaultValue `'none'` (as Flink) */
  deliveryGuarantee: DeliveryGuarantee;
  /**
   * `sink.kafka.batch-size`: estimated bytes of one produce request. All its records
   * may go to one partition, whose batch must stay under the broker's
   * `message.max.bytes` (1 MiB by default).
   * @defaultValue 524288 (bytes per produce request)
   */
  batchSizeBytes: number;
  /**
   * `linger.ms`: how long the first record of an empty buffer waits for company. With
   * one request in flight, records written meanwhile form the next request anyway, so
   * the default sends at the next event-loop turn (Kafka 4's default is 5 ms).
   * @defaultValue 0 (ms)
   */
  lingerMs: number;
  /** `buffer.memory`. @defaultValue 33554432 (bytes, 32 MiB) */
  bufferMemoryBytes: number;
  /** `sink.kafka.max-buffered-records`. @defaultValue 200000 (records) */
  maxBufferedRecords: number;
  /** `compression.type`. @defaultValue `'none'` */
  compression: (typeof SINK_COMPRESSION_TYPES)[number];
  /** `acks`, as a number. @defaultValue -1 (all in-sync replicas) */
  acks: -1 | 0 | 1;
  /** `enable.idempotence`. @defaultValue true */
  idempotent: boolean;
  /** `max.in.flight.requests.per.connection`. @defaultValue 1 */
  maxInFlightRequests: number;
  /** `retries` (non-idempotent producers only). @defaultValue 5 */
  retries: number;
}

/** Defaults of {@link KafkaSinkOptions} (no servers). */
export const defaultKafkaSinkOptions: KafkaSinkOptions = {
  ...defaultKafkaClientCommonOptions,
  deliveryGuarantee: 'none',
  batchSizeBytes: 512 * 1024,
  lingerMs: 0,
  bufferMemoryBytes: 32 * 1024 * 1024,
  maxBufferedRecords: 200_000,
  compression: 'none',
  acks: -1,
  idempotent: true,
  maxInFlightRequests: 1,
  retries: 5,
};

const opt = (o: ConfigOption<unknown> | ConfigOption<never>) => o as ConfigOption<unknown>;
const K = KafkaSinkConfigOptions;

/** Property keys the sink accepts, bound to their fields. */
export const kafkaSinkPropertyBindings: readonly PropertyBinding<KafkaSinkOptions>[] = [
  ...(commonPropertyBindings as readonly PropertyBinding<KafkaSinkOptions>[]),
  { option: opt(K.DELIVERY_GUARANTEE), field: 'deliveryGuarantee' },
  { option: opt(K.BATCH_SIZE), field: 'batchSizeBytes' },
  { option: opt(K.LINGER), field: 'lingerMs' },
  { option: opt(K.BUFFER_MEMORY), field: 'bufferMemoryBytes' },
  { option: opt(K.MAX_BUFFERED_RECORDS), field: 'maxBufferedRecords' },
  { option: opt(K.COMPRESSION_TYPE), field: 'compression' },
  { option: opt(K.ACKS), field: 'acks', convert: (v) => (v === 'all' ? -1 : Number(v)) },
  { option: opt(K.ENABLE_IDEMPOTENCE), field: 'idempotent' },
  { option: opt(K.MAX_IN_FLIGHT), field: 'maxInFlightRequests' },
  { option: opt(K.RETRIES), field: 'retries' },
];

/**
 * Validates merged sink options once, when the sink is built.
 *
 * @throws SLUICE_ERR_CONFIG_INVALID naming the offending field
 */
export const validateKafkaSinkOptions = compileOptions(
  Type.Object({
    ...KafkaClientCommonSchema,
    deliveryGuarantee: Type.Enum(['none', 'at-least-once']),
    batchSizeBytes: Type.Integer({ minimum: 1024 }),
    lingerMs: Type.Integer({ minimum: 0 }),
    bufferMemoryBytes: Type.Integer({ minimum: 1024 }),
    maxBufferedRecords: Type.Integer({ minimum: 1 }),
    compression: Type.Enum([...SINK_COMPRESSION_TYPES]),
    acks: Type.Union([Type.Literal(-1), Type.Literal(0), Type.Literal(1)]),
    idempotent: Type.Boolean(),
    maxInFlightRequests: Type.Integer({ minimum: 1, maximum: 5 }),
    retries: Type.Integer({ minimum: 0 }),
  }),
  'KafkaSink',
);
