/**
 * Options of the {@link KafkaSource}: Kafka consumer properties (Kafka's names), Flink's
 * KafkaSource properties, and Sluice's bound on fetched-but-unprocessed data.
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

/** What happens to a record the deserializer cannot turn into a value. */
export const DESERIALIZATION_FAILURE_POLICIES = ['fail', 'skip', 'dead-letter'] as const;
export type DeserializationFailurePolicy = (typeof DESERIALIZATION_FAILURE_POLICIES)[number];

/** Configuration keys of the Kafka source. */
export const KafkaSourceConfigOptions = {
  GROUP_ID: option.string('group.id', undefined, 'Consumer group of the source (required).'),
  MAX_BUFFERED_BYTES: option.memory(
    'source.kafka.max-buffered-bytes',
    16 * 1024 * 1024,
    'Fetched but not yet emitted record bytes (keys + values) per source subtask above which its partitions are paused.',
    { min: 1024 },
  ),
  MAX_BUFFERED_RECORDS: option.int(
    'source.kafka.max-buffered-records',
    50_000,
    'Fetched but not yet emitted records per source subtask above which its partitions are paused.',
    { min: 1 },
  ),
  RESUME_FRACTION: option.number(
    'source.kafka.resume-fraction',
    0.5,
    'Fraction of both bounds below which paused partitions resume (the low-water mark).',
    { min: 0, max: 1 },
  ),
  FAILURE_POLICY: option.enumeration(
    'deserialization.failure-policy',
    DESERIALIZATION_FAILURE_POLICIES,
    'fail',
    'What a record that cannot be deserialized does: fail the job, skip it (counted), or go to the dead-letter topic.',
  ),
  DEAD_LETTER_TOPIC: option.string(
    'deserialization.dead-letter.topic',
    undefined,
    'Topic that receives undeserializable records unchanged (policy dead-letter).',
  ),
  COMMIT_OFFSETS_ON_CHECKPOINT: option.boolean(
    'commit.offsets.on.checkpoint',
    true,
    'Commit the offsets of a completed checkpoint to the consumer group.',
  ),
  ENABLE_AUTO_COMMIT: option.boolean(
    'enable.auto.commit',
    false,
    'Commit the offsets of emitted records periodically (meant for jobs without checkpointing).',
  ),
  AUTO_COMMIT_INTERVAL: option.duration(
    'auto.commit.interval.ms',
    5_000,
    'Period of the commits of enable.auto.commit (ms).',
    { min: 1 },
  ),
  SESSION_TIMEOUT: option.duration(
    'session.timeout.ms',
    45_000,
    'Time without heartbeat after which the group evicts a member (ms).',
    { min: 1 },
  ),
  HEARTBEAT_INTERVAL: option.duration(
    'heartbeat.interval.ms',
    500,
    'Period of the heartbeats to the group coordinator (ms); a member learns of a rebalance at its next heartbeat.',
    { min: 1 },
  ),
  FETCH_MAX_BYTES: option.memory(
    'fetch.max.bytes',
    10 * 1024 * 1024,
    'Upper bound of one fetch response.',
    { min: 1024 },
  ),
  MAX_PARTITION_FETCH_BYTES: option.memory(
    'max.partition.fetch.bytes',
    1024 * 1024,
    'Upper bound of the data of one partition in one fetch response.',
    { min: 1024 },
  ),
  FETCH_MIN_BYTES: option.memory(
    'fetch.min.bytes',
    1,
    'Data the broker waits for before answering a fetch.',
    { min: 1 },
  ),
  FETCH_MAX_WAIT: option.duration(
    'fetch.max.wait.ms',
    500,
    'Longest time the broker holds a fetch waiting for fetch.min.bytes (ms).',
    { min: 0 },
  ),
  ISOLATION_LEVEL: option.enumeration(
    'isolation.level',
    ['read_uncommitted', 'read_committed'] as const,
    'read_uncommitted',
    'Whether records of open or aborted transactions are read.',
  ),
} as const;
registerOptions(KafkaSourceConfigOptions);

/** Options of a {@link KafkaSource} other than topics, offsets and the deserializer. */
export interface KafkaSourceOptions extends KafkaClientCommonOptions {
  /**
   * Consumer group (`group.id`): the source's members join it and offsets are committed
   * to it; required.
   * @defaultValue none
   */
  groupId: string;
  /**
   * Bytes of record keys and values fetched but not yet emitted above which the reader
   * pauses its partitions (`source.kafka.max-buffered-bytes`).
   * @defaultValue 16777216 (bytes, 16 MiB)
   */
  maxBufferedBytes: number;
  /**
   * Records fetched but not yet emitted above which the reader pauses its partitions
   * (`source.kafka.max-buffered-records`).
   * @defaultValue 50000 (records)
   */
  maxBufferedRecords: number;
  /**
   * Fraction of both bounds below which paused partitions resume
   * (`source.kafka.resume-fraction`).
   * @defaultValue 0.5 (fraction, 0..1)
   */
  resumeFraction: number;
  /**
   * What an undeserializable record does (`deserialization.failure-policy`).
   * @defaultValue `'fail'`
   */
  failurePolicy: DeserializationFailurePolicy;
  /**
   * Dead-letter topic (`deserialization.dead-letter.topic`); required with `dead-letter`.
   * @defaultValue none
   */
  deadLetterTopic?: string | undefined;
  /**
   * Commit a completed checkpoint's offsets (`commit.offsets.on.checkpoint`).
   * @defaultValue true
   */
  commitOffsetsOnCheckpoint: boolean;
  /**
   * Commit emitted offsets periodically and on close (`enable.auto.commit`).
   * @defaultValue false
   */
  enableAutoCommit: boolean;
  /**
   * Period of those commits (`auto.commit.interval.ms`).
   * @defaultValue 5000 (ms)
   */
  autoCommitIntervalMs: number;
  /** `session.timeout.ms`. @defaultValue 45000 (ms) */
  sessionTimeoutMs: number;
  /**
   * `heartbeat.interval.ms`. kafkajs rebalances eagerly: a member learns of a rebalance
   * (another subtask joining) only at its next heartbeat, and no member of the group
   * fetches until all have rejoined, so Sluice heartbeats more often than Kafka's 3 s:
   * subtasks starting a moment apart then stall for well under a second.
   * @defaultValue 500 (ms)
   */
  heartbeatIntervalMs: number;
  /** `fetch.max.bytes`. @defaultValue 10485760 (bytes, 10 MiB) */
  fetchMaxBytes: number;
  /** `max.partition.fetch.bytes`. @defaultValue 1048576 (bytes, 1 MiB) */
  maxPartitionFetchBytes: number;
  /** `fetch.min.bytes`. @defaultValue 1 (bytes) */
  fetchMinBytes: number;
  /** `fetch.max.wait.ms`. @defaultValue 500 (ms) */
  fetchMaxWaitMs: number;
  /** `isolation.level`. @defaultValue `'read_uncommitted'` */
  isolationLevel: 'read_uncommitted' | 'read_committed';
}

/** Defaults of {@link KafkaSourceOptions} (no servers, no group). */
export const defaultKafkaSourceOptions: KafkaSourceOptions = {
  ...defaultKafkaClientCommonOptions,
  groupId: '',
  maxBufferedBytes: 16 * 1024 * 1024,
  maxBufferedRecords: 50_000,
  resumeFraction: 0.5,
  failurePolicy: 'fail',
  deadLetterTopic: undefined,
  commitOffsetsOnCheckpoint: true,
  enableAutoCommit: false,
  autoCommitIntervalMs: 5_000,
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 500,
  fetchMaxBytes: 10 * 1024 * 1024,
  maxPartitionFetchBytes: 1024 * 1024,
  fetchMinBytes: 1,
  fetchMaxWaitMs: 500,
  isolationLevel: 'read_uncommitted',
};

const opt = (o: ConfigOption<unknown> | ConfigOption<never>) => o as ConfigOption<unknown>;
const K = KafkaSourceConfigOptions;

/** Property keys the source accepts, bound to their fields. */
export const kafkaSourcePropertyBindings: readonly PropertyBinding<KafkaSourceOptions>[] = [
  ...(commonPropertyBindings as readonly PropertyBinding<KafkaSourceOptions>[]),
  { option: opt(K.GROUP_ID), field: 'groupId' },
  { option: opt(K.MAX_BUFFERED_BYTES), field: 'maxBufferedBytes' },
  { option: opt(K.MAX_BUFFERED_RECORDS), field: 'maxBufferedRecords' },
  { option: opt(K.RESUME_FRACTION), field: 'resumeFraction' },
  { option: opt(K.FAILURE_POLICY), field: 'failurePolicy' },
  { option: opt(K.DEAD_LETTER_TOPIC), field: 'deadLetterTopic' },
  { option: opt(K.COMMIT_OFFSETS_ON_CHECKPOINT), field: 'commitOffsetsOnCheckpoint' },
  { option: opt(K.ENABLE_AUTO_COMMIT), field: 'enableAutoCommit' },
  { option: opt(K.AUTO_COMMIT_INTERVAL), field: 'autoCommitIntervalMs' },
  { option: opt(K.SESSION_TIMEOUT), field: 'sessionTimeoutMs' },
  { option: opt(K.HEARTBEAT_INTERVAL), field: 'heartbeatIntervalMs' },
  { option: opt(K.FETCH_MAX_BYTES), field: 'fetchMaxBytes' },
  { option: opt(K.MAX_PARTITION_FETCH_BYTES), field: 'maxPartitionFetchBytes' },
  { option: opt(K.FETCH_MIN_BYTES), field: 'fetchMinBytes' },
  { option: opt(K.FETCH_MAX_WAIT), field: 'fetchMaxWaitMs' },
  { option: opt(K.ISOLATION_LEVEL), field: 'isolationLevel' },
];

/**
 * Validates merged source options once, when the source is built.
 *
 * @throws SLUICE_ERR_CONFIG_INVALID naming the offending field
 */
export const validateKafkaSourceOptions = compileOptions(
  Type.Object({
    ...KafkaClientCommonSchema,
    groupId: Type.String({ minLength: 1 }),
    maxBufferedBytes: Type.Integer({ minimum: 1024 }),
    maxBufferedRecords: Type.Integer({ minimum: 1 }),
    resumeFraction: Type.Number({ minimum: 0, maximum: 1 }),
    failurePolicy: Type.Enum([...DESERIALIZATION_FAILURE_POLICIES]),
    deadLetterTopic: Type.Optional(Type.String({ minLength: 1 })),
    commitOffsetsOnCheckpoint: Type.Boolean(),
    enableAutoCommit: Type.Boolean(),
    autoCommitIntervalMs: Type.Integer({ minimum: 1 }),
    sessionTimeoutMs: Type.Integer({ minimum: 1 }),
    heartbeatIntervalMs: Type.Integer({ minimum: 1 }),
    fetchMaxBytes: Type.Integer({ minimum: 1024 }),
    maxPartitionFetchBytes: Type.Integer({ minimum: 1024 }),
    fetchMinBytes: Type.Integer({ minimum: 1 }),
    fetchMaxWaitMs: Type.Integer({ minimum: 0 }),
    isolationLevel: Type.Enum(['read_uncommitted', 'read_committed']),
  }),
  'KafkaSource',
);
