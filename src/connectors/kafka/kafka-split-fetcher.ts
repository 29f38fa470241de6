/**
 * The fetch side of a Kafka source reader (Flink's `SplitFetcher` with the
 * `KafkaPartitionSplitReader`): turns the consumer's batches into queued batches and
 * applies backpressure to the consumer when the queue is full.
 *
 * ```
 *   onBatch(batch): skip records below the fetch position (fetched before a seek),
 *                   cut at the stopping offset (bounded reads; the partition then pauses),
 *                   count key + value bytes, queue it, advance the fetch position
 *     queue full → pause every partition; hold the batch callback (the kafkajs fetcher
 *                  fetches nothing meanwhile), heartbeating every heartbeat.interval.ms
 *     room again → resume the partitions that still have something to fetch
 * ```
 *
 * @remarks Owned by the reader's thread (the consumer's callbacks run on it).
 * @module
 */
import type { Logger } from 'pino';
import type { FetchedRecordsQueue, QueuedBatch } from './fetched-records-queue.ts';
import type { BatchControl, FetchedPartitionBatch, KafkaConsumerClient } from './kafka-client.ts';
import type { KafkaPartitionSplitState } from './kafka-partition-split-state.ts';
import { partitionKey } from './offsets-initializer.ts';

/** See the module documentation. */
export class KafkaSplitFetcher {
  private readonly queue: FetchedRecordsQueue;
  private readonly splits: ReadonlyMap<string, KafkaPartitionSplitState>;
  private readonly heartbeatIntervalMs: number;
  private readonly log: Logger;
  private readonly stopped: () => boolean;
  /** The consumer to pause and resume; unset before it runs and after close. */
  consumer: KafkaConsumerClient | undefined;
  /** Whether the partitions are paused because the queue is full. */
  paused = false;
  /** Times the partitions were paused because the queue was full. */
  numPauses = 0;

  /**
   * @param queue - the reader's queue
   * @param splits - the reader's partitions
   * @param heartbeatIntervalMs - heartbeat period while the batch callback waits
   * @param log - the reader's logger
   * @param stopped - whether the reader closed or failed (waiting ends)
   */
  constructor(
    queue: FetchedRecordsQueue,
    splits: ReadonlyMap<string, KafkaPartitionSplitState>,
    heartbeatIntervalMs: number,
    log: Logger,
    stopped: () => boolean,
  ) {
    this.queue = queue;
    this.splits = splits;
    this.heartbeatIntervalMs = heartbeatIntervalMs;
    this.log = log;
    this.stopped = stopped;
  }

  /**
   * Queues a fetched batch; when the queue is full, returns a promise the consumer awaits.
   *
   * @param fetched - the records of one partition
   * @param control - heartbeat and liveness of the consumer
   * @returns `undefined` (go on fetching) or a promise resolved when there is room
   * @throws (rejects) the client's rebalance error from a heartbeat: the consumer rejoins
   */
  onBatch(fetched: FetchedPartitionBatch, control: BatchControl): Promise<void> | undefined {
    const split = this.splits.get(partitionKey(fetched.topic, fetched.partition));
    if (split === undefined || !split.started || this.stopped()) return undefined;
    const messages = fetched.messages;
    let position = 0;
    if (messages.length > 0 && Number(messages[0]!.offset) < split.fetchOffset) {
      while (position < messages.length && Number(messages[position]!.offset) < split.fetchOffset) {
        position++;
      }
    }
    let end = messages.length;
    let nextFetchOffset = fetched.nextFetchOffset;
    const stop = split.stoppingOffset;
    if (nextFetchOffset > stop) {
      while (end > position && Number(messages[end - 1]!.offset) >= stop) end--;
      nextFetchOffset = end < messages.length ? Number(messages[end]!.offset) : stop;
    }
    let bytes = 0;
    for (let i = position; i < end; i++) {
      const m = messages[i]!;
      bytes += (m.value === null ? 0 : m.value.length) + (m.key === null ? 0 : m.key.length);
    }
    split.highWatermark = fetched.highWatermark;
    const queued: QueuedBatch = { split, messages, position, end, nextFetchOffset, bytes };
    this.queue.add(queued);
    split.fetchOffset = nextFetchOffset;
    if (split.fetchOffset >= stop) this.consumer?.pause([split]);
    if (!this.queue.isFull()) return undefined;
    this.pauseAll();
    return this.waitForSpace(control);
  }

  /** Resumes paused partitions once the reader drained the queue below the low-water mark. */
  resumeIfDrained(): void {
    if (this.paused && this.queue.hasSpace()) this.resumeAll();
  }

  /** Holds the consumer's batch callback until the queue has room, heartbeating. */
  private async waitForSpace(control: BatchControl): Promise<void> {
    while (!this.queue.hasSpace() && !this.stopped()) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.heartbeatIntervalMs);
      });
      await Promise.race([this.queue.awaitSpace(), tick]);
      clearTimeout(timer);
      if (!control.isActive()) return;
      if (!this.queue.hasSpace()) await control.heartbeat();
    }
    this.resumeIfDrained();
  }

  private pauseAll(): void {
    if (this.paused) return;
    this.paused = true;
    this.numPauses++;
    this.consumer?.pause([...this.splits.values()]);
    this.log.debug(
      { bufferedBytes: this.queue.bufferedBytes, bufferedRecords: this.queue.bufferedRecords },
      'Kafka source paused: fetch queue full',
    );
  }

  private resumeAll(): void {
    this.paused = false;
    const resume: KafkaPartitionSplitState[] = [];
    for (const split of this.splits.values()) {
      if (split.started && split.fetchOffset < split.stoppingOffset) resume.push(split);
    }
    this.consumer?.resume(resume);
    this.log.debug(
      { bufferedBytes: this.queue.bufferedBytes, bufferedRecords: this.queue.bufferedRecords },
      'Kafka source resumed',
    );
  }
}
