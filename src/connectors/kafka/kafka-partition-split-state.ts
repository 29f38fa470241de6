/**
 * What a Kafka source reader knows about one partition it reads (Flink's
 * `KafkaPartitionSplitState`): positions, the stopping offset of a bounded read, and
 * the figures its metrics report.
 *
 * ```
 *   log:   ... | emitted | fetched, buffered | not fetched yet ...      | high watermark
 *                        ▲                   ▲                          ▲
 *                   nextOffset          fetchOffset                highWatermark
 *   bounded: finished once nextOffset ≥ stoppingOffset (the high watermark seen at start)
 * ```
 *
 * `nextOffset` — the offset after the last record handed downstream — is what a
 * checkpoint stores and what is committed to Kafka.
 *
 * @remarks Owned by the reader's thread; plain fields, updated once per batch.
 * @module
 */

/** No stopping offset: an unbounded read. */
export const NO_STOPPING_OFFSET = Number.POSITIVE_INFINITY;

/** Per-partition state of a Kafka source reader. */
export class KafkaPartitionSplitState {
  readonly topic: string;
  readonly partition: number;
  /** `topic:partition`. */
  readonly key: string;
  /** Offset after the last record emitted (or skipped); -1 until the start offset is known. */
  nextOffset = -1;
  /** Offset after the last record fetched into the reader's buffer; -1 until known. */
  fetchOffset = -1;
  /** Bounded read: offset at which the partition is finished; +∞ for unbounded reads. */
  stoppingOffset: number;
  /** High watermark of the last fetch; -1 before the first. */
  highWatermark = -1;
  /** Offset last committed to Kafka by this reader; -1 if none. */
  committedOffset = -1;
  /** Whether the start offset was resolved and sought (fetching may begin). */
  started = false;
  /** Epoch ms timestamp of the last record emitted from the partition; -1 if none. */
  lastEmittedTimestamp = -1;
  /**
   * Where the partition's records go: the runtime's per-split output when it offers one
   * (Flink's `ReaderOutput.createOutputForSplit`, for per-partition watermarks), else the
   * reader's output. Set at the partition's first emission.
   */
  output: unknown;

  /**
   * @param topic - topic name
   * @param partition - partition id
   * @param stoppingOffset - where a bounded read ends, or {@link NO_STOPPING_OFFSET}
   */
  constructor(topic: string, partition: number, stoppingOffset: number = NO_STOPPING_OFFSET) {
    this.topic = topic;
    this.partition = partition;
    this.key = `${topic}:${partition}`;
    this.stoppingOffset = stoppingOffset;
  }

  /** Starts (or restarts) the partition at `offset`: nothing fetched or emitted after it. */
  startAt(offset: number): void {
    this.nextOffset = offset;
    this.fetchOffset = offset;
    this.started = true;
  }

  /** Whether a bounded read of this partition is complete. */
  isFinished(): boolean {
    return this.started && this.nextOffset >= this.stoppingOffset;
  }

  /** Records not fetched yet: high watermark minus fetch position (0 when unknown). */
  unfetched(): number {
    return this.highWatermark < 0 || this.fetchOffset < 0
      ? 0
      : Math.max(0, this.highWatermark - this.fetchOffset);
  }

  /** Records between the emitted position and the high watermark (0 when unknown). */
  lag(): number {
    return this.highWatermark < 0 || this.nextOffset < 0
      ? 0
      : Math.max(0, this.highWatermark - this.nextOffset);
  }
}
