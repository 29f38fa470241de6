/**
 * What happens to a record the deserializer throws on (`deserialization.failure-policy`):
 *
 * ```
 *   fail          the job fails with SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED naming
 *                 topic, partition and offset (the default)
 *   skip          the record is dropped and counted (numRecordsInErrors)
 *   dead-letter   the record is produced unchanged (key, value, headers, timestamp) to
 *                 deserialization.dead-letter.topic, with headers
 *                   sluice.error.code, sluice.error.message,
 *                   sluice.source.topic, sluice.source.partition, sluice.source.offset
 *                 and counted (numRecordsInErrors, numRecordsDeadLettered)
 * ```
 *
 * No record is dropped uncounted: a skipped record is counted when skipped; a
 * dead-lettered one when queued for the dead-letter producer, whose failure fails the
 * job (`SLUICE_ERR_KAFKA_PRODUCER_FAILED`). A bounded read ends only after every dead
 * letter was acknowledged, and {@link flush} lets a checkpoint wait for them.
 *
 * @remarks Owned by the reader; called on its thread, at most once per bad record.
 * @module
 */
import type { Logger } from 'pino';
import { ConfigError } from '../../errors.ts';
import type {
  ConsumerMessage,
  KafkaClientFactory,
  KafkaCommonConfig,
  KafkaHeaders,
  KafkaProducerClient,
} from './kafka-client.ts';
import { errorSummary, KafkaDeserializationError } from './kafka-errors.ts';
import type { KafkaPartitionSplitState } from './kafka-partition-split-state.ts';
import { KafkaProducerBatcher } from './kafka-producer-batcher.ts';
import type { KafkaSourceOptions } from './kafka-source-options.ts';

/** Header names a dead letter carries. */
export const DEAD_LETTER_HEADERS = {
  ERROR_CODE: 'sluice.error.code',
  ERROR_MESSAGE: 'sluice.error.message',
  SOURCE_TOPIC: 'sluice.source.topic',
  SOURCE_PARTITION: 'sluice.source.partition',
  SOURCE_OFFSET: 'sluice.source.offset',
} as const;

const RESOLVED: Promise<void> = Promise.resolve();

/** Estimated framing and header bytes a dead letter adds to a produce request. */
const DEAD_LETTER_OVERHEAD_BYTES = 400;

/** See the module documentation. */
export class DeserializationFailureHandler {
  private readonly options: KafkaSourceOptions;
  private readonly clients: KafkaClientFactory;
  private readonly what: string;
  private readonly log: Logger;
  private producer: KafkaProducerClient | undefined;
  private batcher: KafkaProducerBatcher | undefined;
  private flushing: Promise<void> | undefined;
  /** Records skipped or dead-lettered (Flink's `numRecordsInErrors`). */
  numRecordsInErrors = 0;
  /** Records queued for the dead-letter topic. */
  numRecordsDeadLettered = 0;

  /**
   * @param options - policy and dead-letter topic
   * @param clients - creates the dead-letter producer
   * @param what - the reader, for messages (`Kafka source subtask 1/2`)
   * @param log - the reader's logger
   * @throws SLUICE_ERR_CONFIG_INVALID for `dead-letter` without a topic
   */
  constructor(options: KafkaSourceOptions, clients: KafkaClientFactory, what: string, log: Logger) {
    this.options = options;
    this.clients = clients;
    this.what = what;
    this.log = log;
    if (options.failurePolicy === 'dead-letter' && !options.deadLetterTopic) {
      throw new ConfigError(
        'KafkaSource: deserialization.failure-policy is dead-letter but deserialization.dead-letter.topic is not set; name the topic that receives undeserializable records',
        { details: { key: 'deserialization.dead-letter.topic' } },
      );
    }
  }

  /** Connects the dead-letter producer (policy `dead-letter` only). */
  async open(common: KafkaCommonConfig): Promise<void> {
    if (this.options.failurePolicy !== 'dead-letter') return;
    this.producer = this.clients.createProducer({
      ...common,
      clientId: `${common.clientId}-dead-letter`,
      idempotent: true,
      acks: -1,
      compression: 'none',
      maxInFlightRequests: 1,
      retries: Number.MAX_SAFE_INTEGER,
    });
    await this.producer.connect();
    this.batcher = new KafkaProducerBatcher(
      this.producer,
      {
        lingerMs: 5,
        maxRequestBytes: 512 * 1024,
        maxBufferedBytes: 16 * 1024 * 1024,
        maxBufferedRecords: 10_000,
      },
      `${this.what} dead-letter topic ${this.options.deadLetterTopic}`,
    );
  }

  /**
   * Applies the policy to one record.
   *
   * @param error - what the deserializer threw
   * @param split - the record's partition
   * @param message - the record
   * @throws SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED for policy `fail`;
   *   SLUICE_ERR_KAFKA_PRODUCER_FAILED when the dead-letter topic cannot be written
   */
  handle(error: unknown, split: KafkaPartitionSplitState, message: ConsumerMessage): void {
    const policy = this.options.failurePolicy;
    if (policy === 'fail') {
      throw new KafkaDeserializationError(
        `${this.what}: cannot deserialize the record at offset ${message.offset} of partition ${split.partition} of topic ${split.topic}: ${errorSummary(error)}; fix the record's producer, or set deserialization.failure-policy to skip or dead-letter`,
        {
          cause: error,
          details: { topic: split.topic, partition: split.partition, offset: message.offset },
        },
      );
    }
    this.numRecordsInErrors++;
    if (policy === 'dead-letter') {
      const topic = this.options.deadLetterTopic!;
      this.batcher!.add(
        topic,
        {
          key: message.key,
          value: message.value,
          timestamp: message.timestamp,
          headers: deadLetterHeaders(message.headers, error, split, message.offset),
        },
        (message.key?.length ?? 0) + (message.value?.length ?? 0) + DEAD_LETTER_OVERHEAD_BYTES,
      );
      this.numRecordsDeadLettered++;
    }
    if (this.numRecordsInErrors === 1 || this.numRecordsInErrors % 1000 === 0) {
      this.log.warn(
        {
          topic: split.topic,
          partition: split.partition,
          offset: message.offset,
          policy,
          numRecordsInErrors: this.numRecordsInErrors,
          error: errorSummary(error),
        },
        policy === 'skip'
          ? 'skipped an undeserializable Kafka record'
          : 'sent an undeserializable Kafka record to the dead-letter topic',
      );
    }
  }

  /**
   * `false` while the dead-letter buffer is full or a flush runs.
   *
   * @throws SLUICE_ERR_KAFKA_PRODUCER_FAILED when the dead-letter topic cannot be written
   */
  isAvailable(): boolean {
    const batcher = this.batcher;
    if (batcher === undefined) return true;
    if (batcher.failure !== undefined) throw batcher.failure;
    return this.flushing === undefined && batcher.isAvailable();
  }

  /** Resolves when {@link isAvailable} may have turned true. */
  getAvailableFuture(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    return this.batcher?.getAvailableFuture() ?? RESOLVED;
  }

  /** Whether dead letters wait for acknowledgement. */
  hasPending(): boolean {
    return (this.batcher?.bufferedRecords ?? 0) > 0;
  }

  /** Starts flushing in the background ({@link isAvailable} is false until it ends). */
  startFlush(): void {
    if (this.flushing !== undefined || this.batcher === undefined) return;
    this.flushing = this.batcher.flush().then(
      () => {
        this.flushing = undefined;
      },
      () => {
        this.flushing = undefined; // the failure stays in the batcher and is thrown next
      },
    );
  }

  /**
   * Sends every pending dead letter and waits for the acknowledgements.
   *
   * @throws SLUICE_ERR_KAFKA_PRODUCER_FAILED when they cannot be delivered
   */
  async flush(): Promise<void> {
    await this.batcher?.flush();
  }

  /** Abandons what is pending (not acknowledged: re-read after a restart) and disconnects. */
  async close(): Promise<void> {
    this.batcher?.close();
    await this.producer?.disconnect();
  }
}

function deadLetterHeaders(
  original: KafkaHeaders | undefined,
  error: unknown,
  split: KafkaPartitionSplitState,
  offset: string,
): KafkaHeaders {
  const code =
    typeof (error as { code?: unknown })?.code === 'string' &&
    String((error as { code: string }).code).startsWith('SLUICE_ERR_')
      ? (error as { code: string }).code
      : KafkaDeserializationError.code;
  return {
    ...original,
    [DEAD_LETTER_HEADERS.ERROR_CODE]: code,
    [DEAD_LETTER_HEADERS.ERROR_MESSAGE]: errorSummary(error),
    [DEAD_LETTER_HEADERS.SOURCE_TOPIC]: split.topic,
    [DEAD_LETTER_HEADERS.SOURCE_PARTITION]: String(split.partition),
    [DEAD_LETTER_HEADERS.SOURCE_OFFSET]: offset,
  };
}
