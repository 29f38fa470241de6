/**
 * The end of a chain where records leave the task (Flink's `RecordWriterOutput`): one per
 * outgoing exchange (non-chained edge) of a subtask. The chain only sees this interface;
 * what is behind it is the executor's business:
 *
 * ```
 *   local executor:      partitioner → in-memory queue per target subtask
 *   worker runtime:      partitioner → RecordWriter → BufferBuilder over network
 *                        segments → credit-based channel to the target worker
 * ```
 *
 * Implementations read the record's timestamp from the chain's `ElementContext`
 * (given at creation), pick channels with their own copy of the edge's partitioner, and
 * report backpressure through {@link AvailabilityProvider}: the task checks
 * `isAvailable()` before each batch, never per record, so `collect` must accept a whole
 * batch's records once it said it was available (a soft bound, as Flink's buffers).
 */

import type { JobEdge } from '../../graph/job-edge.ts';
import type { CheckpointBarrier } from '../../types/stream-element.ts';
import type { AvailabilityProvider, ElementContext, Output } from './stream-operator.ts';

/**
 * Output of a chain into one exchange.
 *
 * @remarks Owned by the writing task's thread.
 */
export interface RecordWriterOutput<T> extends Output<T>, AvailabilityProvider {
  /** Records written so far (Flink's `numRecordsOut`); a plain counter. */
  readonly numRecordsOut: number;
  /** Hands partly filled buffers to the consumers (buffer timeout, end of batch). */
  flush(): void;
  /**
   * Sends checkpoint barrier `barrier` on every channel, after everything emitted
   * before it (and flushes, so that it travels at once). Optional: outputs that cross
   * no network (the local executor) have none.
   */
  emitCheckpointBarrier?(barrier: CheckpointBarrier): void;
  /** End of partition: flushes and tells every consumer channel that no more data comes. */
  finish(): void;
  /** Releases resources (buffers); no more calls after it. */
  close(): void;
}

/** Creates the record writers of a subtask; supplied by whoever runs the task. */
export interface RecordWriterOutputFactory {
  /**
   * @param edge - the exchange to write into
   * @param subtaskIndex - index of the writing subtask (of `edge.source`)
   * @param elementContext - the chain's element context (timestamps of records)
   * @returns the output that the chain's operator feeding `edge` emits to
   */
  createRecordWriterOutput(
    edge: JobEdge,
    subtaskIndex: number,
    elementContext: ElementContext,
  ): RecordWriterOutput<unknown>;
}
