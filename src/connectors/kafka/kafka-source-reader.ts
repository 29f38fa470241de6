/**
 * The reader of one Kafka source subtask (Flink's `KafkaSourceReader` with its split
 * fetcher): a consumer-group member in the subtask's worker whose fetched batches are
 * handed to the task through a bounded queue.
 *
 * ```
 *   kafkajs fetch loop (push)                       StreamTask mailbox (pull)
 *   ─────────────────────────                       ─────────────────────────
 *   onPartitionsAssigned ─ new: pause, resolve      pollNext(output, n):
 *     start offset (admin), seek, resume              deserialize ─ failure policy
 *     kept: seek to own fetch position                output.collect(value, timestamp)
 *     gone: drop its queued records                   nextOffset per partition
 *   onBatch ─► FetchedRecordsQueue ─────────────────►  resume partitions below low water
 *     full? pause all, wait for space                isAvailable(): queue's future
 *     (heartbeating), resume
 *   snapshotState(id) → offsets; notifyCheckpointComplete(id) → commit them
 * ```
 *
 * - **Memory bound.** Fetched, unemitted records stay under `source.kafka.max-buffered-*`
 *   plus one fetch response (`fetch.max.bytes`): when the queue is full the reader
 *   pauses every assigned partition and holds the consumer inside its batch callback
 *   (the kafkajs fetcher fetches nothing until it returns), calling `heartbeat()` every
 *   `heartbeat.interval.ms` so the group keeps the member; it resumes once the task
 *   drained the queue below the low-water mark.
 * - **Offsets.** Auto-commit is off. `nextOffset` of a partition is the offset after the
 *   last record handed downstream (or skipped); checkpoints take these, and
 *   {@link notifyCheckpointComplete} commits them (Flink's `commit.offsets.on.checkpoint`).
 *   Without checkpointing nothing is committed unless `enable.auto.commit` is set: then
 *   emitted offsets are committed every `auto.commit.interval.ms` and on close.
 * - **Rebalances** (eager, the only protocol kafkajs has): every partition is revoked
 *   and the new assignment arrives at once. A partition that went to another member
 *   loses its queued records here and is read by the new owner from the last committed
 *   offset; one that came back keeps its queue and its fetch position.
 * - **Bounded reads** (`setBounded`): stopping offsets are resolved at start; the reader
 *   ends when every partition it owns (`splitOwner`) and every partition assigned to it
 *   reached its stopping offset.
 * - **Timestamps and watermarks.** Records are emitted with their Kafka timestamps. When
 *   the runtime's output offers Flink's split outputs (`createOutputForSplit`), each
 *   partition emits through its own, so that the watermark strategy runs per partition;
 *   otherwise the strategy given to `fromSource` runs once per subtask over all its
 *   partitions (see {@link SplitAwareReaderOutput}).
 *
 * Collaborators: `KafkaSplitFetcher` (the fetch side and its pausing),
 * `FetchedRecordsQueue` (the hand-off), `KafkaOffsetCommitter` (commits),
 * `DeserializationFailureHandler` (the failure policy).
 *
 * @remarks Owned by the source task's worker thread; the consumer's callbacks run on
 * the same event loop. Corresponds to Flink's `KafkaSourceReader` with its
 * `SplitFetcherManager`, `KafkaPartitionSplitReader` and `FutureCompletingBlockingQueue`.
 * @module
 */
import type { Logger } from 'pino';
import {
  InputStatus,
  type ReaderOutput,
  type SourceReader,
  type SourceReaderContext,
} from '../../api/connector/source.ts';
import type { SourceMetricsSnapshot } from '../../metrics/metric-snapshots.ts';
import { DeserializationFailureHandler } from './deserialization-failure-handler.ts';
import { FetchedRecordsQueue } from './fetched-records-queue.ts';
import type {
  KafkaAdminClient,
  KafkaClientFactory,
  KafkaConsumerClient,
  TopicPartition,
  TopicPartitionOffset,
} from './kafka-client.ts';
import { errorSummary, KafkaConsumerError } from './kafka-errors.ts';
import { KafkaOffsetCommitter } from './kafka-offset-committer.ts';
import { KafkaPartitionSplitState, NO_STOPPING_OFFSET } from './kafka-partition-split-state.ts';
import {
  type Collector,
  type KafkaRecordDeserializationSchema,
  ReusableConsumerRecord,
} from './kafka-record-deserialization-schema.ts';
import type { KafkaSourceOptions } from './kafka-source-options.ts';
import { KafkaSplitFetcher } from './kafka-split-fetcher.ts';
import { type OffsetsInitializer, partitionKey } from './offsets-initializer.ts';
import { splitOwner } from './subtask-partition-assigner.ts';

/** Everything a reader needs; built by `KafkaSource.createReader`. */
export interface KafkaSourceReaderConfig<T> {
  readonly options: KafkaSourceOptions;
  /** Topic names, or `undefined` with a pattern. */
  readonly topics: readonly string[] | undefined;
  /** Topic pattern (matched against the topics existing at start). */
  readonly topicPattern: RegExp | undefined;
  readonly startingOffsets: OffsetsInitializer;
  /** Stopping offsets of a bounded read, `undefined` for an unbounded one. */
  readonly stoppingOffsets: OffsetsInitializer | undefined;
  readonly deserializer: KafkaRecordDeserializationSchema<T>;
  readonly clients: KafkaClientFactory;
  readonly context: SourceReaderContext;
  readonly logger: Logger;
}

/**
 * Flink's `ReaderOutput` split methods: when the runtime's output offers them, each
 * partition gets an output of its own, so that a watermark strategy can run one
 * generator per partition and combine them (the minimum over active partitions). The
 * reader only routes records; without them every partition shares the subtask's output.
 */
export interface SplitAwareReaderOutput<T> extends ReaderOutput<T> {
  createOutputForSplit?(splitId: string): ReaderOutput<T>;
  releaseOutputForSplit?(splitId: string): void;
}

/** Collects what one record deserializes to, so that emitting happens outside the try. */
class RecordCollector<T> implements Collector<T> {
  count = 0;
  first: T | undefined;
  readonly rest: T[] = [];

  collect(value: T): void {
    if (this.count === 0) this.first = value;
    else this.rest.push(value);
    this.count++;
  }
}

/** See the module documentation. */
export class KafkaSourceReader<T> implements SourceReader<T> {
  private readonly config: KafkaSourceReaderConfig<T>;
  private readonly options: KafkaSourceOptions;
  private readonly log: Logger;
  private readonly queue: FetchedRecordsQueue;
  private readonly splits = new Map<string, KafkaPartitionSplitState>();
  private readonly view = new ReusableConsumerRecord();
  private readonly collector = new RecordCollector<T>();
  private readonly failures: DeserializationFailureHandler;
  private readonly committer: KafkaOffsetCommitter;
  private readonly restoredOffsets = new Map<string, number>();
  private consumer: KafkaConsumerClient | undefined;
  private admin: KafkaAdminClient | undefined;
  private highWatermarkLookup: Promise<void> | undefined;
  private lastHighWatermarkLookupMs = 0;
  private topics: string[] = [];
  /** Bounded: stopping offset per `topic:partition` (every partition of the topics). */
  private readonly stoppingOffsets = new Map<string, number>();
  /** Bounded: the partitions this subtask owns by `splitOwner`. */
  private ownedPartitions: string[] = [];
  private readonly fetcher: KafkaSplitFetcher;
  private failure: Error | undefined;
  private closed = false;
  /** The output of the last `pollNext` (to release per-split outputs). */
  private lastOutput: SplitAwareReaderOutput<T> | undefined;

  /** @param config - options, topics, offsets, deserializer, clients, context */
  constructor(config: KafkaSourceReaderConfig<T>) {
    this.config = config;
    this.options = config.options;
    this.log = config.logger;
    this.queue = new FetchedRecordsQueue(
      this.options.maxBufferedBytes,
      this.options.maxBufferedRecords,
      this.options.resumeFraction,
    );
    this.committer = new KafkaOffsetCommitter(this.splits, this.log);
    this.fetcher = new KafkaSplitFetcher(
      this.queue,
      this.splits,
      this.options.heartbeatIntervalMs,
      this.log,
      () => this.closed || this.failure !== undefined,
    );
    this.failures = new DeserializationFailureHandler(
      this.options,
      config.clients,
      `Kafka source subtask ${config.context.subtaskIndex + 1}/${config.context.parallelism}`,
      this.log,
    );
  }

  /** Whether the reader ends (a bounded read). */
  get bounded(): boolean {
    return this.config.stoppingOffsets !== undefined;
  }

  /** The fetch queue (figures for tests and metrics). */
  get fetchQueue(): FetchedRecordsQueue {
    return this.queue;
  }

  /** Whether the partitions are paused because the queue is full. */
  isBackpressurePaused(): boolean {
    return this.fetcher.paused;
  }

  /** Times the reader paused its partitions because its queue was full. */
  get numPauses(): number {
    return this.fetcher.numPauses;
  }

  /** Records skipped or dead-lettered because they could not be deserialized. */
  get numRecordsInErrors(): number {
    return this.failures.numRecordsInErrors;
  }

  /** Records sent to the dead-letter topic (acknowledged or pending). */
  get numRecordsDeadLettered(): number {
    return this.failures.numRecordsDeadLettered;
  }

  /**
   * Positions to start from instead of the starting-offsets rule (recovery from a
   * checkpoint); call before {@link start}.
   *
   * @param offsets - next offset to read per partition
   */
  restoreState(offsets: readonly TopicPartitionOffset[]): void {
    for (const { topic, partition, offset } of offsets) {
      this.restoredOffsets.set(partitionKey(topic, partition), offset);
    }
  }

  /** Connects, resolves topics and stopping offsets, joins the group. */
  async start(): Promise<void> {
    const { options, context } = this.config;
    const clientId = `${options.clientIdPrefix}-source-${context.subtaskIndex}`;
    const common = {
      brokers: options.bootstrapServers,
      clientId,
      logLevel: options.logLevel,
      connectionTimeoutMs: options.connectionTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      clientProperties: options.clientProperties,
    };
    this.admin = this.config.clients.createAdmin(common);
    await this.admin.connect();
    this.topics = await this.resolveTopics(this.admin);
    if (this.bounded) await this.resolveStoppingOffsets(this.admin);
    await this.failures.open(common);
    if (this.bounded && this.ownedPartitions.length === 0) {
      this.log.info({ topics: this.topics }, 'bounded Kafka read: no partition for this subtask');
      return;
    }
    this.consumer = this.config.clients.createConsumer({
      ...common,
      groupId: options.groupId,
      member: { subtaskIndex: context.subtaskIndex, parallelism: context.parallelism },
      sessionTimeoutMs: options.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      fetchMaxBytes: options.fetchMaxBytes,
      maxPartitionFetchBytes: options.maxPartitionFetchBytes,
      fetchMinBytes: options.fetchMinBytes,
      fetchMaxWaitMs: options.fetchMaxWaitMs,
      isolationLevel: options.isolationLevel,
    });
    await this.consumer.connect();
    await this.consumer.subscribe(this.topics);
    await this.consumer.run({
      onPartitionsAssigned: (partitions) => this.onPartitionsAssigned(partitions),
      onBatch: (batch, control) => this.fetcher.onBatch(batch, control),
      onCrash: (error) =>
        this.fail(
          new KafkaConsumerError(
            `Kafka consumer of source subtask ${context.subtaskIndex + 1}/${context.parallelism} (group ${options.groupId}, topics ${this.topics.join(', ')}) stopped: ${errorSummary(error)}`,
            { cause: error, details: { groupId: options.groupId, topics: this.topics } },
          ),
        ),
    });
    this.committer.consumer = this.consumer;
    this.fetcher.consumer = this.consumer;
    if (options.enableAutoCommit) {
      this.committer.startAutoCommit(options.autoCommitIntervalMs, () => this.currentOffsets());
    }
    this.log.info(
      { groupId: options.groupId, topics: this.topics, bounded: this.bounded },
      'Kafka source reader started',
    );
  }

  /**
   * Emits up to `maxRecords` records (see the module documentation).
   *
   * @throws SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED (policy `fail`), the consumer's or the
   *   dead-letter producer's failure
   */
  pollNext(output: SplitAwareReaderOutput<T>, maxRecords: number): InputStatus {
    if (this.failure !== undefined) throw this.failure;
    if (!this.failures.isAvailable()) return InputStatus.NOTHING_AVAILABLE;
    const queue = this.queue;
    const view = this.view;
    const collector = this.collector;
    const deserializer = this.config.deserializer;
    this.lastOutput = output;
    let remaining = maxRecords;
    while (remaining > 0) {
      const batch = queue.peek();
      if (batch === undefined) break;
      const split = batch.split;
      const out = (split.output ?? this.outputFor(split, output)) as ReaderOutput<T>;
      const messages = batch.messages;
      view.topic = split.topic;
      view.partition = split.partition;
      const start = batch.position;
      const end = Math.min(batch.end, start + remaining);
      let i = start;
      for (; i < end; i++) {
        const message = messages[i]!;
        view.message = message;
        collector.count = 0;
        try {
          deserializer.deserialize(view, collector);
        } catch (error) {
          batch.position = i;
          split.nextOffset = Number(message.offset);
          this.failures.handle(error, split, message); // throws for policy `fail`
          continue;
        }
        const count = collector.count;
        if (count === 0) continue;
        const timestamp = Number(message.timestamp);
        out.collect(collector.first as T, timestamp);
        if (count > 1) {
          const rest = collector.rest;
          for (let r = 0; r < rest.length; r++) out.collect(rest[r]!, timestamp);
          rest.length = 0;
        }
        split.lastEmittedTimestamp = timestamp;
      }
      batch.position = i;
      split.nextOffset = i < messages.length ? Number(messages[i]!.offset) : batch.nextFetchOffset;
      remaining -= i - start;
      queue.consumed(i - start);
    }
    this.fetcher.resumeIfDrained();
    if (!queue.isEmpty()) return InputStatus.MORE_AVAILABLE;
    if (this.bounded && this.isBoundedReadComplete()) {
      if (this.failures.hasPending()) {
        this.failures.startFlush();
        return InputStatus.NOTHING_AVAILABLE;
      }
      return InputStatus.END_OF_INPUT;
    }
    return InputStatus.NOTHING_AVAILABLE;
  }

  /** Resolves when records arrived, the read completed, or a failure is waiting. */
  isAvailable(): Promise<void> {
    if (this.failure !== undefined) return Promise.resolve();
    if (!this.failures.isAvailable()) return this.failures.getAvailableFuture();
    return this.queue.getAvailableFuture();
  }

  /**
   * The offsets of a checkpoint: per partition, the offset after the last record
   * emitted before the barrier (Flink's `snapshotState`).
   *
   * @param checkpointId - the checkpoint
   * @returns next offset to read per started partition (a copy)
   */
  snapshotState(checkpointId: number): TopicPartitionOffset[] {
    const offsets = this.currentOffsets();
    if (this.options.commitOffsetsOnCheckpoint) this.committer.remember(checkpointId, offsets);
    return offsets.map((o) => ({ ...o }));
  }

  /**
   * Commits the offsets of a completed checkpoint to the consumer group (and forgets
   * older pending checkpoints). A failed commit is logged and counted, not thrown: the
   * checkpoint holds the offsets (Flink's behaviour).
   *
   * @param checkpointId - the completed checkpoint
   */
  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    return this.committer.checkpointComplete(checkpointId);
  }

  /** Offset commits that succeeded (Flink's `commitsSucceeded`). */
  get commitsSucceeded(): number {
    return this.committer.commitsSucceeded;
  }

  /** Offset commits that failed (Flink's `commitsFailed`). */
  get commitsFailed(): number {
    return this.committer.commitsFailed;
  }

  /**
   * Flushes dead letters (a checkpoint must not complete before records it skipped to
   * the dead-letter topic were acknowledged).
   *
   * @throws SLUICE_ERR_KAFKA_PRODUCER_FAILED when the dead-letter topic cannot be written
   */
  flush(): Promise<void> {
    return this.failures.flush();
  }

  /**
   * Source figures for the task's metrics snapshot: `pendingRecords` (FLIP-33: not
   * fetched yet, high watermark − fetch position), and per partition the emitted
   * position (`currentOffset`), the last committed offset and the lag behind the high
   * watermark from the emitted position.
   */
  snapshotMetrics(): SourceMetricsSnapshot {
    this.refreshUnknownHighWatermarks();
    let pendingRecords = 0;
    let lastTimestamp = -1;
    const partitions = [];
    for (const split of this.splits.values()) {
      const lag = split.lag();
      pendingRecords += split.unfetched();
      if (split.lastEmittedTimestamp > lastTimestamp) lastTimestamp = split.lastEmittedTimestamp;
      partitions.push({
        topic: split.topic,
        partition: split.partition,
        currentOffset: split.nextOffset,
        committedOffset: split.committedOffset,
        lag,
      });
    }
    const snapshot: SourceMetricsSnapshot = {
      pendingRecords,
      partitions,
      numRecordsInErrors: this.failures.numRecordsInErrors,
    };
    if (lastTimestamp >= 0) snapshot.currentEmitEventTimeLag = Date.now() - lastTimestamp;
    return snapshot;
  }

  /** Leaves the group and closes the clients; commits first with `enable.auto.commit`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.committer.stop();
    this.queue.wakeUp();
    const consumer = this.consumer;
    try {
      if (consumer !== undefined && this.options.enableAutoCommit && this.failure === undefined) {
        await this.committer.commit(this.currentOffsets(), 'close');
      }
    } finally {
      this.consumer = undefined;
      this.committer.consumer = undefined;
      this.fetcher.consumer = undefined;
      await Promise.allSettled([
        consumer?.disconnect(),
        this.admin?.disconnect(),
        this.failures.close(),
      ]);
    }
  }

  /**
   * Looks up, through the admin client, the high watermark of assigned partitions that
   * no fetch answered yet (paused, or waiting behind the others), so that their lag is
   * known: without it a partition not fetched yet would show lag 0. At most one lookup
   * at a time and one per second; failures are ignored (the next fetch tells).
   */
  private refreshUnknownHighWatermarks(): void {
    const admin = this.admin;
    if (admin === undefined || this.highWatermarkLookup !== undefined) return;
    const now = Date.now();
    if (now - this.lastHighWatermarkLookupMs < 1000) return;
    const topics = new Set<string>();
    for (const split of this.splits.values()) if (split.highWatermark < 0) topics.add(split.topic);
    if (topics.size === 0) return;
    this.lastHighWatermarkLookupMs = now;
    this.highWatermarkLookup = Promise.all(
      [...topics].map(async (topic) => {
        for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
          const split = this.splits.get(partitionKey(topic, partition));
          if (split !== undefined && split.highWatermark < 0) split.highWatermark = high;
        }
      }),
    )
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.highWatermarkLookup = undefined;
      });
  }

  /** The partition's own output when the runtime offers split outputs, else `output`. */
  private outputFor(split: KafkaPartitionSplitState, output: SplitAwareReaderOutput<T>): unknown {
    split.output = output.createOutputForSplit?.(split.key) ?? output;
    return split.output;
  }

  private async resolveTopics(admin: KafkaAdminClient): Promise<string[]> {
    const { topics, topicPattern } = this.config;
    if (topics !== undefined) return [...topics];
    const all = await admin.listTopics();
    const matched = all.filter((t) => topicPattern!.test(t) && !t.startsWith('__')).sort();
    if (matched.length === 0) {
      this.log.warn({ pattern: String(topicPattern) }, 'no topic matches the Kafka source pattern');
    }
    return matched;
  }

  private async resolveStoppingOffsets(admin: KafkaAdminClient): Promise<void> {
    const { context, stoppingOffsets, options } = this.config;
    const all: TopicPartition[] = [];
    for (const topic of this.topics) {
      for (const { partition } of await admin.fetchTopicOffsets(topic)) {
        all.push({ topic, partition });
        if (splitOwner(topic, partition, context.parallelism) === context.subtaskIndex) {
          this.ownedPartitions.push(partitionKey(topic, partition));
        }
      }
    }
    const stops = await stoppingOffsets!.resolve(all, admin, options.groupId);
    for (const [key, offset] of stops) this.stoppingOffsets.set(key, offset);
  }

  private onPartitionsAssigned(assigned: readonly TopicPartition[]): void {
    if (this.closed) return;
    const consumer = this.consumer!;
    const keys = new Set(assigned.map((tp) => partitionKey(tp.topic, tp.partition)));
    for (const [key, split] of this.splits) {
      if (keys.has(key)) continue;
      const dropped = this.queue.removePartition(split);
      this.splits.delete(key);
      if (split.output !== undefined) this.lastOutput?.releaseOutputForSplit?.(key);
      this.log.info(
        { topic: split.topic, partition: split.partition, droppedRecords: dropped },
        'Kafka partition revoked',
      );
    }
    const fresh: KafkaPartitionSplitState[] = [];
    for (const { topic, partition } of assigned) {
      const key = partitionKey(topic, partition);
      const kept = this.splits.get(key);
      if (kept !== undefined) {
        if (kept.started) consumer.seek({ topic, partition, offset: kept.fetchOffset });
        continue;
      }
      const split = new KafkaPartitionSplitState(
        topic,
        partition,
        this.stoppingOffsets.get(key) ?? NO_STOPPING_OFFSET,
      );
      this.splits.set(key, split);
      fresh.push(split);
    }
    if (fresh.length > 0) {
      consumer.pause(fresh);
      void this.startPartitions(fresh);
    }
    if (this.fetcher.paused) consumer.pause(assigned);
    this.log.info(
      { partitions: assigned.map((tp) => partitionKey(tp.topic, tp.partition)) },
      'Kafka partitions assigned',
    );
  }

  /** Resolves start offsets of newly assigned partitions, seeks, and resumes them. */
  private async startPartitions(fresh: KafkaPartitionSplitState[]): Promise<void> {
    try {
      const unresolved = fresh.filter((s) => !this.restoredOffsets.has(s.key));
      const resolved =
        unresolved.length === 0
          ? new Map<string, number>()
          : await this.config.startingOffsets.resolve(
              unresolved,
              this.admin!,
              this.options.groupId,
            );
      const consumer = this.consumer;
      if (consumer === undefined || this.closed) return;
      const resume: KafkaPartitionSplitState[] = [];
      for (const split of fresh) {
        if (this.splits.get(split.key) !== split) continue; // revoked meanwhile
        const offset = this.restoredOffsets.get(split.key) ?? resolved.get(split.key)!;
        split.startAt(offset);
        consumer.seek({ topic: split.topic, partition: split.partition, offset });
        if (split.fetchOffset < split.stoppingOffset && !this.fetcher.paused) {
          resume.push(split);
        }
      }
      consumer.resume(resume);
      this.queue.wakeUp(); // a bounded read may be complete already
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private isBoundedReadComplete(): boolean {
    for (const key of this.ownedPartitions) {
      const split = this.splits.get(key);
      if (split === undefined || !split.isFinished()) return false;
    }
    for (const split of this.splits.values()) if (!split.isFinished()) return false;
    return true;
  }

  private currentOffsets(): TopicPartitionOffset[] {
    const offsets: TopicPartitionOffset[] = [];
    for (const split of this.splits.values()) {
      if (split.started && split.nextOffset >= 0) {
        offsets.push({ topic: split.topic, partition: split.partition, offset: split.nextOffset });
      }
    }
    return offsets;
  }

  private fail(error: Error): void {
    if (this.failure === undefined) this.failure = error;
    this.queue.wakeUp();
  }
}
