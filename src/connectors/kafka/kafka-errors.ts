/**
 * Error classes of the Kafka connectors. Codes are listed in `src/errors.ts` and
 * `docs/errors.md`; `docs/kafka.md` says what a user sees in each failure.
 *
 * @module
 */
import { SluiceError } from '../../errors.ts';

/**
 * A record could not be deserialized and `deserialization.failure-policy` is `fail`;
 * the message names topic, partition and offset.
 */
export class KafkaDeserializationError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_KAFKA_DESERIALIZATION_FAILED';
}

/** The Kafka consumer of a source subtask stopped on an error it could not recover from. */
export class KafkaConsumerError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_KAFKA_CONSUMER_FAILED';
}

/**
 * Records could not be delivered to Kafka after the producer's retries (sink, or the
 * dead-letter topic of a source); the message names the topics and the record count.
 */
export class KafkaProducerError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_KAFKA_PRODUCER_FAILED';
}

/** The first line of an error's message, for headers and one-line logs. */
export function errorSummary(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const newline = text.indexOf('\n');
  return (newline < 0 ? text : text.slice(0, newline)).slice(0, 500);
}
