/**
 * The writer of one Kafka sink subtask (Flink's `KafkaWriter`): serializes each element
 * into a record and hands it to a {@link KafkaProducerBatcher} over an idempotent
 * producer of its own.
 *
 * ```
 *   write(element) ─ serializer ─► batcher.add        synchronous, no promise per record
 *   isAvailable()  = batcher below buffer.memory / sink.kafka.max-buffered-records
 *   flush(false)   AT_LEAST_ONCE: wait for every record written so far (checkpoint
 *                  barrier); NONE: returns at once
 *   flush(true)    end of input: wait for every record, whatever the guarantee
 *   close()        abandons unacknowledged records (after a failure or a cancel)
 * ```
 *
 * @throws SLUICE_ERR_KAFKA_PRODUCER_FAILED from `write`, `flush` or availability once a
 *   request failed after the producer's retries
 * @remarks Owned by the sink task's worker thread.
 * @module
 */
import type { Logger } from 'pino';
import type { SinkWriter, SinkWriterElementContext } from '../../api/connector/sink.ts';
import type { KafkaProducerClient } from './kafka-client.ts';
import { KafkaProducerBatcher } from './kafka-producer-batcher.ts';
import type {
  KafkaRecordSerializationSchema,
  KafkaSinkContext,
} from './kafka-record-serialization-schema.ts';
import type { KafkaSinkOptions } from './kafka-sink-options.ts';

/**
 * Bytes a record adds to a produce request, estimated: key and value (a string's UTF-16
 * length, exact for ASCII) plus {@link RECORD_OVERHEAD_BYTES} for the record framing
 * (length, attributes, timestamp and offset deltas, header count). Header bytes are not
 * counted: `sink.kafka.batch-size` leaves room for them below the broker's
 * `message.max.bytes` (1 MiB by default).
 */
function sizeOf(data: Uint8Array | string | null | undefined): number {
  return data === null || data === undefined ? 0 : data.length;
}

/** Estimated framing bytes of one record in a v2 record batch. */
export const RECORD_OVERHEAD_BYTES = 24;

/** See the module documentation. */
export class KafkaSinkWriter<T> implements SinkWriter<T> {
  private readonly producer: KafkaProducerClient;
  private readonly serializer: KafkaRecordSerializationSchema<T>;
  private readonly options: KafkaSinkOptions;
  private readonly context: KafkaSinkContext;
  private readonly log: Logger;
  /** The batching engine (figures: `numRecordsSent`, `numRequests`, `bufferedRecords`). */
  readonly batcher: KafkaProducerBatcher;

  /**
   * @param producer - a connected producer client (owned by the writer from now on)
   * @param serializer - element → record
   * @param options - guarantee, batching and buffer bounds
   * @param context - the subtask
   * @param log - the writer's logger
   */
  constructor(
    producer: KafkaProducerClient,
    serializer: KafkaRecordSerializationSchema<T>,
    options: KafkaSinkOptions,
    context: KafkaSinkContext,
    log: Logger,
  ) {
    this.producer = producer;
    this.serializer = serializer;
    this.options = options;
    this.context = context;
    this.log = log;
    this.batcher = new KafkaProducerBatcher(
      producer,
      {
        lingerMs: options.lingerMs,
        maxRequestBytes: options.batchSizeBytes,
        maxBufferedBytes: options.bufferMemoryBytes,
        maxBufferedRecords: options.maxBufferedRecords,
      },
      `Kafka sink subtask ${context.parallelInstanceId + 1}/${context.numberOfParallelInstances}`,
    );
  }

  write(element: T, context: SinkWriterElementContext): void {
    const record = this.serializer.serialize(element, this.context, context.timestamp());
    if (record === null) return;
    this.batcher.add(
      record.topic,
      record,
      sizeOf(record.value) + sizeOf(record.key) + RECORD_OVERHEAD_BYTES,
    );
  }

  isAvailable(): boolean {
    return this.batcher.isAvailable();
  }

  getAvailableFuture(): Promise<void> {
    return this.batcher.getAvailableFuture();
  }

  async flush(endOfInput: boolean): Promise<void> {
    if (!endOfInput && this.options.deliveryGuarantee === 'none') return;
    await this.batcher.flush();
  }

  async close(): Promise<void> {
    const unacknowledged = this.batcher.bufferedRecords;
    this.batcher.close();
    if (unacknowledged > 0 && this.batcher.failure === undefined) {
      this.log.info({ unacknowledged }, 'Kafka sink closed with records not acknowledged');
    }
    await this.producer.disconnect();
  }
}
