/**
 * The Kafka client as the Sluice connectors see it: a small interface with one
 * implementation per client library, so that the source, the sink and the failure
 * policies never import a client library. `kafkajs-client.ts` implements it with
 * kafkajs (and is the only connector file importing kafkajs); a second client (e.g.
 * `@platformatic/kafka`) is one more implementation of {@link KafkaClientFactory}.
 *
 * ```
 *   KafkaSourceReader ──► KafkaConsumerClient   subscribe, run(listener), pause/resume,
 *        │                                      seek, commitOffsets
 *        ├─────────────► KafkaAdminClient       partition offsets (earliest, latest,
 *        │                                      by timestamp), committed offsets
 *        └─ dead letters ► KafkaProducerClient  send (one batch request), disconnect
 *   KafkaSinkWriter ────► KafkaProducerClient
 * ```
 *
 * Records cross this interface in the client's own objects: {@link ConsumerMessage} is
 * the shape kafkajs decodes into, so the adapter passes each fetched batch through
 * without a copy or a wrapper object per record. Offsets and timestamps are decimal
 * strings, as the Kafka protocol's int64 values arrive from kafkajs.
 *
 * @remarks Every client object belongs to the thread that created it (a worker's event
 * loop for readers and writers); none may be shared between threads.
 * @module
 */
import type { Logger } from 'pino';

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A partition and an offset in it (the next offset to read, or to commit). */
export interface TopicPartitionOffset extends TopicPartition {
  /** Offset (non-negative; up to 2^53 - 1). */
  readonly offset: number;
}

/** Header values as the client delivers them. */
export type KafkaHeaderValue = Uint8Array | string | ReadonlyArray<Uint8Array | string> | undefined;

/** Record headers by name. */
export type KafkaHeaders = { readonly [name: string]: KafkaHeaderValue };

/**
 * One fetched record, in the client's own object (kafkajs' `KafkaMessage`): never
 * copied by the connector. Readers must not keep it after emitting.
 */
export interface ConsumerMessage {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** Epoch milliseconds, decimal string. */
  readonly timestamp: string;
  /** Offset in the partition, decimal string. */
  readonly offset: string;
  readonly headers?: KafkaHeaders | undefined;
}

/** The records of one partition from one fetch, in offset order. */
export interface FetchedPartitionBatch {
  readonly topic: string;
  readonly partition: number;
  /** Records after filtering control records and aborted transactions. */
  readonly messages: readonly ConsumerMessage[];
  /**
   * Offset to fetch next once this batch is processed: the last offset of the batch
   * (control records included) + 1.
   */
  readonly nextFetchOffset: number;
  /** The partition's high watermark at fetch time (offset of the next record produced). */
  readonly highWatermark: number;
}

/** Hooks the consumer gives the listener while it handles a batch. */
export interface BatchControl {
  /**
   * Sends a heartbeat to the group coordinator if one is due; call it while waiting
   * inside {@link KafkaConsumerListener.onBatch} so the group does not evict the member.
   *
   * @throws the client's rebalance error when the group is rebalancing: let it propagate
   */
  heartbeat(): Promise<void>;
  /** `false` once the consumer is stopping or the batch's partition was sought. */
  isActive(): boolean;
}

/**
 * Callbacks of a running consumer (Kafka's `ConsumerRebalanceListener` plus the fetch
 * hand-off). All run on the consumer's thread.
 */
export interface KafkaConsumerListener {
  /**
   * The group assigned `partitions` to this member (the whole assignment of the new
   * generation; with eager rebalancing every earlier partition was revoked). Called
   * synchronously before the first fetch of the generation, so that `pause` and `seek`
   * made here apply to it.
   */
  onPartitionsAssigned(partitions: readonly TopicPartition[]): void;
  /**
   * Records of one partition. The consumer fetches nothing more from this fetcher until
   * the returned promise settles (the backpressure point); a rejection with the
   * client's rebalance error makes the consumer rejoin the group.
   */
  onBatch(batch: FetchedPartitionBatch, control: BatchControl): void | Promise<void>;
  /** The consumer stopped for good after an error it could not recover from. */
  onCrash(error: Error): void;
}

/**
 * A member of a consumer group with manual offset management (auto-commit off).
 *
 * @remarks Lifecycle: `connect` → `subscribe` → `run` → … → `disconnect`. `pause`,
 * `resume` and `seek` are valid only while running.
 */
export interface KafkaConsumerClient {
  connect(): Promise<void>;
  /**
   * Subscribes to topics; a `RegExp` matches the topics existing now.
   *
   * @param topics - names or patterns
   */
  subscribe(topics: readonly (string | RegExp)[]): Promise<void>;
  /**
   * Joins the group and starts fetching; resolves once the first join completed.
   *
   * @param listener - assignment, batch and crash callbacks
   */
  run(listener: KafkaConsumerListener): Promise<void>;
  /** Stops fetching `partitions` from the next fetch on (the current batch is still delivered). */
  pause(partitions: readonly TopicPartition[]): void;
  /** Fetches `partitions` again. */
  resume(partitions: readonly TopicPartition[]): void;
  /**
   * Fetches `partition` from `offset` on the next fetch; batches of it fetched before
   * are no longer delivered.
   */
  seek(partition: TopicPartitionOffset): void;
  /**
   * Commits offsets to the group (the next offset to read per partition).
   *
   * @throws the client's error when the commit failed (e.g. during a rebalance)
   */
  commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Leaves the group and closes the connections. */
  disconnect(): Promise<void>;
}

/** A record to produce. */
export interface ProducerMessage {
  key?: Uint8Array | string | null | undefined;
  value: Uint8Array | string | null;
  /** Explicit partition; unset = the client's default partitioner (murmur2 of the key). */
  partition?: number | undefined;
  /** Epoch ms as a decimal string; unset = the time of sending. */
  timestamp?: string | undefined;
  headers?: KafkaHeaders | undefined;
}

/** Messages for one topic within a send. */
export interface ProducerTopicMessages {
  topic: string;
  messages: ProducerMessage[];
}

/**
 * A producer (idempotent unless configured otherwise).
 *
 * @remarks Callers keep at most one `send` in flight per producer: the kafkajs
 * idempotent producer assigns sequence numbers when a request is built, so concurrent
 * sends could reorder batches of a partition after a retry.
 */
export interface KafkaProducerClient {
  connect(): Promise<void>;
  /**
   * Sends the messages as one produce request per broker and resolves when the
   * broker acknowledged them (`acks`), after the client's retries.
   *
   * @throws the client's error when the records could not be delivered
   */
  send(topicMessages: readonly ProducerTopicMessages[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** Offsets of one partition as the broker reports them. */
export interface PartitionOffsets {
  readonly partition: number;
  /** Log start offset: the earliest offset still readable. */
  readonly low: number;
  /** High watermark: the offset the next record will get. */
  readonly high: number;
}

/** Cluster metadata and offsets. */
export interface KafkaAdminClient {
  connect(): Promise<void>;
  /** Names of the topics that exist. */
  listTopics(): Promise<string[]>;
  /** Earliest and latest offsets of every partition of `topic`. */
  fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /**
   * Per partition, the first offset whose record timestamp is ≥ `timestampMs`, or the
   * high watermark when there is none.
   */
  fetchTopicOffsetsByTimestamp(
    topic: string,
    timestampMs: number,
  ): Promise<{ partition: number; offset: number }[]>;
  /** Committed offsets of `groupId` for `topic`; -1 where nothing was committed. */
  fetchCommittedOffsets(
    groupId: string,
    topic: string,
  ): Promise<{ partition: number; offset: number }[]>;
  /** Creates topics that do not exist yet (tests, dead-letter topics). */
  createTopics(topics: readonly { topic: string; numPartitions: number }[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** Settings every client takes. */
export interface KafkaCommonConfig {
  /** `bootstrap.servers`: `host:port` of one or more brokers. */
  readonly brokers: readonly string[];
  /** `client.id`. */
  readonly clientId: string;
  /** Kafka client log level routed to the Sluice logger. */
  readonly logLevel: KafkaClientLogLevel;
  /** Connection timeout (ms). */
  readonly connectionTimeoutMs: number;
  /** Request timeout (ms). */
  readonly requestTimeoutMs: number;
  /** Properties passed to the client verbatim (client-specific escape hatch). */
  readonly clientProperties?: Readonly<Record<string, unknown>> | undefined;
}

/** Log levels of the Kafka client (mapped to pino levels). */
export const KAFKA_CLIENT_LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;
export type KafkaClientLogLevel = (typeof KAFKA_CLIENT_LOG_LEVELS)[number];

/** Settings of a consumer. */
export interface KafkaConsumerConfig extends KafkaCommonConfig {
  /** `group.id`. */
  readonly groupId: string;
  /**
   * What the partition assigner knows of this member: its subtask index and the
   * parallelism of its source (see `subtask-partition-assigner.ts`).
   */
  readonly member: { readonly subtaskIndex: number; readonly parallelism: number };
  /** `session.timeout.ms`. */
  readonly sessionTimeoutMs: number;
  /** `heartbeat.interval.ms`. */
  readonly heartbeatIntervalMs: number;
  /** `fetch.max.bytes`: upper bound of one fetch response. */
  readonly fetchMaxBytes: number;
  /** `max.partition.fetch.bytes`: upper bound per partition in one fetch. */
  readonly maxPartitionFetchBytes: number;
  /** `fetch.min.bytes`. */
  readonly fetchMinBytes: number;
  /** `fetch.max.wait.ms`. */
  readonly fetchMaxWaitMs: number;
  /** `isolation.level`. */
  readonly isolationLevel: 'read_committed' | 'read_uncommitted';
}

/** Settings of a producer. */
export interface KafkaProducerConfig extends KafkaCommonConfig {
  /** `enable.idempotence`. */
  readonly idempotent: boolean;
  /** `acks`: -1 (all in-sync replicas), 0 or 1. */
  readonly acks: -1 | 0 | 1;
  /** `compression.type`. */
  readonly compression: 'none' | 'gzip';
  /** `max.in.flight.requests.per.connection`. */
  readonly maxInFlightRequests: number;
  /** `retries` (the idempotent producer retries without limit). */
  readonly retries: number;
}

/**
 * Creates the clients of one library.
 *
 * @remarks Built where the reader or writer runs (a worker); stateless itself.
 */
export interface KafkaClientFactory {
  /** Library name and version, for logs. */
  readonly name: string;
  createConsumer(config: KafkaConsumerConfig): KafkaConsumerClient;
  createProducer(config: KafkaProducerConfig): KafkaProducerClient;
  createAdmin(config: KafkaCommonConfig): KafkaAdminClient;
}

/** Creates the client factory of one reader or writer, given its logger. */
export type KafkaClientFactoryProvider = (logger: Logger) => KafkaClientFactory;
