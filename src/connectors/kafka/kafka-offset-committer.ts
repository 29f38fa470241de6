/**
 * Commits a Kafka source reader's offsets to its consumer group: the offsets of
 * completed checkpoints (Flink's `commit.offsets.on.checkpoint`), and without
 * checkpointing, with `enable.auto.commit`, the emitted offsets periodically and on close.
 *
 * ```
 *   snapshotState(id) ──► remember(id, offsets)
 *   notifyCheckpointComplete(id) ──► commit(offsets of id); forget ids ≤ id
 *   every auto.commit.interval.ms ──► commit(current emitted offsets)   (auto-commit)
 * ```
 *
 * Only offsets that changed since the partition's last commit are sent. A failed commit
 * (e.g. during a rebalance) is logged and counted, never thrown: the checkpoint holds the
 * offsets, and the next commit carries them (Flink's behaviour).
 *
 * @remarks Owned by the reader's thread. Corresponds to the commit half of Flink's
 * `KafkaSourceReader` (`notifyCheckpointComplete`, `offsetsToCommit`).
 * @module
 */
import type { Logger } from 'pino';
import type { KafkaConsumerClient, TopicPartitionOffset } from './kafka-client.ts';
import type { KafkaPartitionSplitState } from './kafka-partition-split-state.ts';
import { partitionKey } from './offsets-initializer.ts';

/** See the module documentation. */
export class KafkaOffsetCommitter {
  private readonly splits: ReadonlyMap<string, KafkaPartitionSplitState>;
  private readonly log: Logger;
  private readonly pendingCheckpoints = new Map<number, TopicPartitionOffset[]>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** The consumer to commit through; unset before it runs and after close. */
  consumer: KafkaConsumerClient | undefined;
  /** Commits that succeeded (Flink's `commitsSucceeded`). */
  commitsSucceeded = 0;
  /** Commits that failed (Flink's `commitsFailed`). */
  commitsFailed = 0;

  /**
   * @param splits - the reader's partitions (their `committedOffset` is kept current)
   * @param log - the reader's logger
   */
  constructor(splits: ReadonlyMap<string, KafkaPartitionSplitState>, log: Logger) {
    this.splits = splits;
    this.log = log;
  }

  /** Remembers a checkpoint's offsets until it completes. */
  remember(checkpointId: number, offsets: TopicPartitionOffset[]): void {
    this.pendingCheckpoints.set(checkpointId, offsets);
  }

  /** Commits a completed checkpoint's offsets and forgets it and older ones. */
  async checkpointComplete(checkpointId: number): Promise<void> {
    const offsets = this.pendingCheckpoints.get(checkpointId);
    for (const id of this.pendingCheckpoints.keys()) {
      if (id <= checkpointId) this.pendingCheckpoints.delete(id);
    }
    if (offsets !== undefined) await this.commit(offsets, `checkpoint ${checkpointId}`);
  }

  /**
   * Commits `current()` every `intervalMs` until {@link stop}.
   *
   * @param intervalMs - `auto.commit.interval.ms`
   * @param current - the emitted offsets now
   */
  startAutoCommit(intervalMs: number, current: () => TopicPartitionOffset[]): void {
    this.timer = setInterval(() => {
      void this.commit(current(), 'auto-commit');
    }, intervalMs);
    this.timer.unref?.();
  }

  /** Stops periodic commits. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Commits the offsets that changed since each partition's last commit.
   *
   * @param offsets - next offset to read per partition
   * @param why - for the log line of a failure
   */
  async commit(offsets: readonly TopicPartitionOffset[], why: string): Promise<void> {
    const consumer = this.consumer;
    const changed = offsets.filter(
      (o) => this.splits.get(partitionKey(o.topic, o.partition))?.committedOffset !== o.offset,
    );
    if (consumer === undefined || changed.length === 0) return;
    try {
      await consumer.commitOffsets(changed);
      this.commitsSucceeded++;
      for (const o of changed) {
        const split = this.splits.get(partitionKey(o.topic, o.partition));
        if (split !== undefined) split.committedOffset = o.offset;
      }
    } catch (error) {
      this.commitsFailed++;
      this.log.warn(
        { err: error, why, offsets: changed },
        'committing Kafka offsets failed; the next commit carries them',
      );
    }
  }
}
