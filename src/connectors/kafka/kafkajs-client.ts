/**
 * The {@link KafkaClientFactory} over kafkajs 2.2: the only connector file that imports
 * kafkajs (besides the test fixture's `kafka-admin.ts` / `local-kafka-cluster.ts`).
 *
 * ```
 *   consumer.run({ eachBatch, eachBatchAutoResolve: false, autoCommit: false })
 *     GROUP_JOIN event ─────────────► listener.onPartitionsAssigned   (sync, before fetching)
 *     eachBatch(batch) ─ resolveOffset(last) ─► listener.onBatch       (awaited: backpressure)
 *     END_BATCH_PROCESS, 0 records ──► listener.onBatch(empty)         (control records only)
 *     CRASH without restart ────────► listener.onCrash
 *   partition assignor: SluiceSubtaskAssigner (subtask-partition-assigner.ts)
 *   logs: kafkajs entries → the given pino logger, one level down (see below)
 * ```
 *
 * Fetch position and commits are separate: the adapter resolves every delivered batch
 * at once (kafkajs' next fetch continues after it), while what is committed to the group
 * is only what the reader passes to `commitOffsets`.
 *
 * The clients run on a private instance of kafkajs with three producer modules replaced
 * by faster equivalents (`kafkajs-patches.ts`, {@link loadPatchedKafkajs}); other users
 * of kafkajs in the process keep the published library.
 *
 * kafkajs logs routine rebalances at `error` ("The group is rebalancing") and `warn`;
 * Sluice reports real failures itself as coded errors, so kafkajs levels are mapped one
 * step down: error → warn, warn → info, info → debug, debug → trace; the responses of
 * a rebalance ("The group is rebalancing, so a rejoin is needed") go to debug.
 *
 * @remarks Objects belong to the thread that created them.
 * @module
 */
import { createRequire, Module } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type * as KafkajsModule from 'kafkajs';
import type {
  CompressionTypes,
  Consumer,
  EachBatchPayload,
  GroupMember,
  Kafka,
  KafkaConfig,
  LogEntry,
  Message,
  PartitionAssigner,
  Producer,
} from 'kafkajs';
import type { Logger } from 'pino';
import type {
  BatchControl,
  FetchedPartitionBatch,
  KafkaAdminClient,
  KafkaClientFactory,
  KafkaClientFactoryProvider,
  KafkaClientLogLevel,
  KafkaCommonConfig,
  KafkaConsumerClient,
  KafkaConsumerConfig,
  KafkaConsumerListener,
  KafkaProducerClient,
  KafkaProducerConfig,
  PartitionOffsets,
  ProducerTopicMessages,
  TopicPartition,
  TopicPartitionOffset,
} from './kafka-client.ts';
import { createPartitioner, groupMessagesPerPartition, murmur2 } from './kafkajs-patches.ts';
import {
  assignPartitionsToMembers,
  decodeMemberUserData,
  encodeMemberUserData,
  SUBTASK_ASSIGNER_PROTOCOL,
} from './subtask-partition-assigner.ts';

/**
 * Loads a private instance of kafkajs whose producer uses the faster modules of
 * `kafkajs-patches.ts` (linear grouping by partition, `Math.imul` murmur2, no array per
 * keyed record in the partitioner): kafkajs' modules are loaded afresh with the
 * replacements in the CommonJS cache, then the cache is put back as it was. Whoever
 * else loads kafkajs in the process (the test fixture, a user's code) keeps the
 * published library, whatever the load order.
 *
 * @returns the kafkajs module (the same API, the same version)
 */
export function loadPatchedKafkajs(): typeof KafkajsModule {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('kafkajs/package.json'));
  const ours = (id: string) => id.startsWith(root + sep);
  const cache = require.cache;
  const saved = new Map<string, NodeJS.Module>();
  for (const [id, entry] of Object.entries(cache)) {
    if (ours(id) && entry !== undefined) {
      saved.set(id, entry);
      delete cache[id];
    }
  }
  const replacements: [string, unknown][] = [
    ['src/producer/groupMessagesPerPartition.js', groupMessagesPerPartition],
    ['src/producer/partitioners/default/murmur2.js', murmur2],
    ['src/producer/partitioners/legacy/partitioner.js', createPartitioner],
  ];
  for (const [path, exports] of replacements) {
    const filename = join(root, path);
    const replacement = new Module(filename);
    replacement.filename = filename;
    replacement.loaded = true;
    replacement.exports = exports;
    cache[filename] = replacement;
  }
  try {
    return require('kafkajs') as typeof KafkajsModule;
  } finally {
    for (const id of Object.keys(cache)) if (ours(id)) delete cache[id];
    for (const [id, entry] of saved) cache[id] = entry;
  }
}

const kafkajs = loadPatchedKafkajs();
const { AssignerProtocol, logLevel } = kafkajs;
type LogLevelValue = (typeof logLevel)[keyof typeof logLevel];

/** kafkajs level that yields entries at the Sluice level or above after the shift. */
const KAFKAJS_LEVEL: Record<KafkaClientLogLevel, LogLevelValue> = {
  nothing: logLevel.NOTHING,
  error: logLevel.NOTHING,
  warn: logLevel.ERROR,
  info: logLevel.WARN,
  debug: logLevel.DEBUG,
};

/** kafkajs errors that are routine in a consumer group (a rebalance), logged at debug. */
const ROUTINE = /rebalanc|not aware of this member|Pausing fetching|Resuming fetching/i;

/** kafkajs entries → pino, one level down (see the module documentation). */
function logCreatorFor(logger: Logger): KafkaConfig['logCreator'] {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const fields = { kafkajs: namespace, ...extra };
      if (ROUTINE.test(message) || ROUTINE.test(String(extra.error ?? ''))) {
        logger.debug(fields, message);
      } else if (level === logLevel.ERROR) logger.warn(fields, message);
      else if (level === logLevel.WARN) logger.info(fields, message);
      else if (level === logLevel.INFO) logger.debug(fields, message);
      else logger.trace(fields, message);
    };
}

function kafkaOf(config: KafkaCommonConfig, logger: Logger, retries?: number): Kafka {
  const extra = (config.clientProperties ?? {}) as Partial<KafkaConfig>;
  return new kafkajs.Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    logLevel: KAFKAJS_LEVEL[config.logLevel],
    logCreator: logCreatorFor(logger),
    ...(retries === undefined ? {} : { retry: { retries } }),
    ...extra,
  });
}

/** The subtask assignor as a kafkajs `PartitionAssigner`. */
function subtaskAssigner(member: { subtaskIndex: number; parallelism: number }): PartitionAssigner {
  const userData = Buffer.from(encodeMemberUserData(member.subtaskIndex, member.parallelism));
  return ({ cluster }) => ({
    name: SUBTASK_ASSIGNER_PROTOCOL,
    version: 0,
    async assign({ members, topics }: { members: GroupMember[]; topics: string[] }) {
      const decoded = members.map(({ memberId, memberMetadata }) => ({
        memberId,
        ...decodeMemberUserData(AssignerProtocol.MemberMetadata.decode(memberMetadata)?.userData),
      }));
      const partitions: TopicPartition[] = [];
      for (const topic of topics) {
        for (const meta of cluster.findTopicPartitionMetadata(topic)) {
          partitions.push({ topic, partition: meta.partitionId });
        }
      }
      const assignment = assignPartitionsToMembers(decoded, partitions);
      return members.map(({ memberId }) => {
        const byTopic: Record<string, number[]> = {};
        for (const tp of assignment.get(memberId) ?? []) {
          const list = byTopic[tp.topic];
          if (list === undefined) byTopic[tp.topic] = [tp.partition];
          else list.push(tp.partition);
        }
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 0,
            assignment: byTopic,
            userData: Buffer.alloc(0),
          }),
        };
      });
    },
    protocol({ topics }: { topics: string[] }) {
      return {
        name: SUBTASK_ASSIGNER_PROTOCOL,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData }),
      };
    },
  });
}

function byTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const grouped = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = grouped.get(topic);
    if (list === undefined) grouped.set(topic, [partition]);
    else list.push(partition);
  }
  return [...grouped].map(([topic, list]) => ({ topic, partitions: list }));
}

class KafkajsConsumer implements KafkaConsumerClient {
  private readonly consumer: Consumer;
  private readonly removers: (() => void)[] = [];

  constructor(config: KafkaConsumerConfig, logger: Logger) {
    this.consumer = kafkaOf(config, logger).consumer({
      groupId: config.groupId,
      partitionAssigners: [subtaskAssigner(config.member)],
      sessionTimeout: config.sessionTimeoutMs,
      rebalanceTimeout: Math.max(config.sessionTimeoutMs, 60_000),
      heartbeatInterval: config.heartbeatIntervalMs,
      maxBytes: config.fetchMaxBytes,
      maxBytesPerPartition: config.maxPartitionFetchBytes,
      minBytes: config.fetchMinBytes,
      maxWaitTimeInMs: config.fetchMaxWaitMs,
      readUncommitted: config.isolationLevel === 'read_uncommitted',
      allowAutoTopicCreation: false,
    });
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  async subscribe(topics: readonly (string | RegExp)[]): Promise<void> {
    await this.consumer.subscribe({ topics: [...topics], fromBeginning: true });
  }

  async run(listener: KafkaConsumerListener): Promise<void> {
    const { events } = this.consumer;
    this.removers.push(
      this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
        const assigned: TopicPartition[] = [];
        for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
          for (const partition of partitions) assigned.push({ topic, partition });
        }
        listener.onPartitionsAssigned(assigned);
      }),
      this.consumer.on(events.END_BATCH_PROCESS, ({ payload }) => {
        // Batches of control records or aborted transactions only never reach eachBatch.
        if (payload.batchSize !== 0) return;
        const empty: FetchedPartitionBatch = {
          topic: payload.topic,
          partition: payload.partition,
          messages: [],
          nextFetchOffset: Number(payload.lastOffset) + 1,
          highWatermark: Number(payload.highWatermark),
        };
        void Promise.resolve(listener.onBatch(empty, INACTIVE)).catch(() => {});
      }),
      this.consumer.on(events.CRASH, ({ payload }) => {
        if (!payload.restart) listener.onCrash(payload.error);
      }),
    );
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.handleBatch(payload, listener),
    });
  }

  private async handleBatch(payload: EachBatchPayload, listener: KafkaConsumerListener) {
    const { batch } = payload;
    const lastOffset = batch.lastOffset();
    payload.resolveOffset(lastOffset);
    const fetched: FetchedPartitionBatch = {
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages as FetchedPartitionBatch['messages'],
      nextFetchOffset: Number(lastOffset) + 1,
      highWatermark: Number(batch.highWatermark),
    };
    const control: BatchControl = {
      heartbeat: payload.heartbeat,
      isActive: () => payload.isRunning() && !payload.isStale(),
    };
    await listener.onBatch(fetched, control);
  }

  pause(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.consumer.pause(byTopic(partitions));
  }

  resume(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.consumer.resume(byTopic(partitions));
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    this.consumer.seek({ topic, partition, offset: String(offset) });
  }

  async commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(
      offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: String(offset) })),
    );
  }

  async disconnect(): Promise<void> {
    for (const remove of this.removers.splice(0)) remove();
    await this.consumer.disconnect();
  }
}

const INACTIVE: BatchControl = { heartbeat: () => Promise.resolve(), isActive: () => false };

class KafkajsProducer implements KafkaProducerClient {
  private readonly producer: Producer;
  private readonly acks: -1 | 0 | 1;
  private readonly compression: CompressionTypes;

  constructor(config: KafkaProducerConfig, logger: Logger) {
    this.producer = kafkaOf(config, logger).producer({
      idempotent: config.idempotent,
      maxInFlightRequests: config.maxInFlightRequests,
      allowAutoTopicCreation: false,
      ...(config.idempotent ? {} : { retry: { retries: config.retries } }),
    });
    this.acks = config.acks;
    this.compression =
      config.compression === 'gzip' ? kafkajs.CompressionTypes.GZIP : kafkajs.CompressionTypes.None;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(topicMessages: readonly ProducerTopicMessages[]): Promise<void> {
    for (const { messages } of topicMessages) {
      for (const message of messages) {
        const { key, value } = message;
        if (value !== null && typeof value !== 'string' && !Buffer.isBuffer(value)) {
          message.value = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        }
        if (key != null && typeof key !== 'string' && !Buffer.isBuffer(key)) {
          message.key = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
        }
      }
    }
    await this.producer.sendBatch({
      topicMessages: topicMessages as { topic: string; messages: Message[] }[],
      acks: this.acks,
      compression: this.compression,
    });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

/**
 * Retries a kafkajs admin call on retriable protocol errors (e.g. NOT_LEADER_FOR_PARTITION
 * right after a topic was created): kafkajs' admin does not retry offset lookups itself.
 */
async function retrying<R>(call: () => Promise<R>, attempts = 8): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || (error as { retriable?: unknown }).retriable !== true) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
    }
  }
}

class KafkajsAdmin implements KafkaAdminClient {
  private readonly admin: ReturnType<Kafka['admin']>;

  constructor(config: KafkaCommonConfig, logger: Logger) {
    this.admin = kafkaOf(config, logger).admin();
  }

  connect(): Promise<void> {
    return this.admin.connect();
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await retrying(() => this.admin.fetchTopicOffsets(topic));
    return offsets
      .map(({ partition, low, high }) => ({ partition, low: Number(low), high: Number(high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async fetchTopicOffsetsByTimestamp(
    topic: string,
    timestampMs: number,
  ): Promise<{ partition: number; offset: number }[]> {
    const offsets = await retrying(() =>
      this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs),
    );
    return offsets.map(({ partition, offset }) => ({ partition, offset: Number(offset) }));
  }

  async fetchCommittedOffsets(
    groupId: string,
    topic: string,
  ): Promise<{ partition: number; offset: number }[]> {
    const result = await retrying(() => this.admin.fetchOffsets({ groupId, topics: [topic] }));
    const partitions = result.find((t) => t.topic === topic)?.partitions ?? [];
    return partitions.map(({ partition, offset }) => ({ partition, offset: Number(offset) }));
  }

  async createTopics(topics: readonly { topic: string; numPartitions: number }[]): Promise<void> {
    await this.admin.createTopics({
      topics: topics.map(({ topic, numPartitions }) => ({ topic, numPartitions })),
      waitForLeaders: true,
    });
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }
}

/**
 * Creates kafkajs clients whose logs go to `logger`.
 *
 * @remarks Create one per reader or writer, on its thread.
 */
export class KafkajsClientFactory implements KafkaClientFactory {
  readonly name = 'kafkajs 2.2';
  private readonly logger: Logger;

  /** @param logger - receives kafkajs' log entries (levels mapped one step down) */
  constructor(logger: Logger) {
    this.logger = logger;
  }

  createConsumer(config: KafkaConsumerConfig): KafkaConsumerClient {
    return new KafkajsConsumer(config, this.logger);
  }

  createProducer(config: KafkaProducerConfig): KafkaProducerClient {
    return new KafkajsProducer(config, this.logger);
  }

  createAdmin(config: KafkaCommonConfig): KafkaAdminClient {
    return new KafkajsAdmin(config, this.logger);
  }
}

/** The default client provider of the Kafka source and sink: kafkajs. */
export const kafkajsClients: KafkaClientFactoryProvider = (logger) =>
  new KafkajsClientFactory(logger);
