/**
 * Where a Kafka source starts reading a partition, and where a bounded one stops
 * (Flink's `OffsetsInitializer`).
 *
 * ```
 *   OffsetsInitializer.committedOffsets('earliest')   the group's committed offset; where
 *                                                     none: earliest (or 'latest'; 'none'
 *                                                     fails naming the partition)
 *   OffsetsInitializer.earliest()                     log start offset
 *   OffsetsInitializer.latest()                       high watermark (only new records)
 *   OffsetsInitializer.timestamp(ms)                  first record with timestamp ≥ ms
 *   OffsetsInitializer.offsets({ 'topic:0': 42 }, r)  given offsets; others by reset r
 * ```
 *
 * Offsets are resolved with the admin client when a partition is first assigned to a
 * reader (start) or when a bounded reader starts (stop), and clamped into
 * `[log start, high watermark]` as Kafka's reset would.
 *
 * @remarks Immutable; created in the job builder on every thread alike.
 * @module
 */
import { ConfigError } from '../../errors.ts';
import type { KafkaAdminClient, TopicPartition } from './kafka-client.ts';

/** Reset strategy when no committed offset exists (Kafka's `auto.offset.reset`). */
export type OffsetResetStrategy = 'earliest' | 'latest' | 'none';

type Kind = 'committed' | 'earliest' | 'latest' | 'timestamp' | 'specific';

/** Raised when `committedOffsets('none')` meets a partition without a committed offset. */
export class NoCommittedOffsetError extends ConfigError {}

/** `topic:partition`, the key of per-partition maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** Start or stop offsets of a Kafka source; see the module documentation. */
export class OffsetsInitializer {
  /** Which rule. */
  readonly kind: Kind;
  /** Reset strategy where the rule has no offset. */
  readonly reset: OffsetResetStrategy;
  /** Epoch ms of `timestamp(ms)`. */
  readonly timestampMs: number;
  private readonly specific: ReadonlyMap<string, number>;

  private constructor(
    kind: Kind,
    reset: OffsetResetStrategy,
    timestampMs = 0,
    specific: ReadonlyMap<string, number> = new Map(),
  ) {
    this.kind = kind;
    this.reset = reset;
    this.timestampMs = timestampMs;
    this.specific = specific;
  }

  /**
   * The group's committed offsets, else `reset` (Flink's default for a source with a
   * group id is `committedOffsets(EARLIEST)` in Sluice).
   *
   * @param reset - where to start without a committed offset
   */
  static committedOffsets(reset: OffsetResetStrategy = 'earliest'): OffsetsInitializer {
    return new OffsetsInitializer('committed', reset);
  }

  /** The earliest offset still in the log. */
  static earliest(): OffsetsInitializer {
    return new OffsetsInitializer('earliest', 'earliest');
  }

  /** The high watermark: only records produced from now on (or, as a stop: up to now). */
  static latest(): OffsetsInitializer {
    return new OffsetsInitializer('latest', 'latest');
  }

  /**
   * The first record whose timestamp is ≥ `timestampMs`; the high watermark where none is.
   *
   * @param timestampMs - epoch milliseconds
   * @throws SLUICE_ERR_CONFIG_INVALID for a negative or non-finite timestamp
   */
  static timestamp(timestampMs: number): OffsetsInitializer {
    if (!Number.isFinite(timestampMs) || timestampMs < 0) {
      throw new ConfigError(
        `OffsetsInitializer.timestamp(): expected epoch milliseconds ≥ 0, got ${timestampMs}`,
      );
    }
    return new OffsetsInitializer('timestamp', 'latest', timestampMs);
  }

  /**
   * Given offsets per partition (`'topic:partition'` keys); other partitions by `reset`.
   *
   * @throws SLUICE_ERR_CONFIG_INVALID for a malformed key or a negative offset
   */
  static offsets(
    offsets: Readonly<Record<string, number>>,
    reset: OffsetResetStrategy = 'earliest',
  ): OffsetsInitializer {
    const map = new Map<string, number>();
    for (const [key, offset] of Object.entries(offsets)) {
      if (!/^.+:\d+$/.test(key) || !Number.isSafeInteger(offset) || offset < 0) {
        throw new ConfigError(
          `OffsetsInitializer.offsets(): expected 'topic:partition' → offset ≥ 0, got ${JSON.stringify(key)} → ${offset}`,
        );
      }
      map.set(key, offset);
    }
    return new OffsetsInitializer('specific', reset, 0, map);
  }

  /** A short description for logs and plans. */
  toString(): string {
    switch (this.kind) {
      case 'committed':
        return `committed offsets (reset ${this.reset})`;
      case 'timestamp':
        return `timestamp ${this.timestampMs}`;
      case 'specific':
        return `specific offsets (${this.specific.size}, reset ${this.reset})`;
      default:
        return this.kind;
    }
  }

  /**
   * Resolves the offsets of `partitions`.
   *
   * @param partitions - partitions to resolve (any topics)
   * @param admin - a connected admin client
   * @param groupId - the consumer group (for committed offsets)
   * @returns next offset to read per `topic:partition`
   * @throws SLUICE_ERR_CONFIG_INVALID with `reset = 'none'` and no committed offset
   */
  async resolve(
    partitions: readonly TopicPartition[],
    admin: KafkaAdminClient,
    groupId: string,
  ): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    const topics = [...new Set(partitions.map((p) => p.topic))];
    for (const topic of topics) {
      const bounds = new Map(
        (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o] as const),
      );
      let chosen = new Map<number, number>();
      if (this.kind === 'committed') {
        for (const { partition, offset } of await admin.fetchCommittedOffsets(groupId, topic)) {
          if (offset >= 0) chosen.set(partition, offset);
        }
      } else if (this.kind === 'timestamp') {
        const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, this.timestampMs);
        chosen = new Map(byTime.map((o) => [o.partition, o.offset] as const));
      } else if (this.kind === 'specific') {
        for (const [key, offset] of this.specific) {
          const at = key.lastIndexOf(':');
          if (key.slice(0, at) === topic) chosen.set(Number(key.slice(at + 1)), offset);
        }
      }
      for (const { topic: t, partition } of partitions) {
        if (t !== topic) continue;
        const bound = bounds.get(partition) ?? { low: 0, high: 0 };
        let offset: number | undefined;
        if (this.kind === 'earliest') offset = bound.low;
        else if (this.kind === 'latest') offset = bound.high;
        else offset = chosen.get(partition);
        if (offset === undefined || offset < 0) {
          if (this.reset === 'none') {
            throw new NoCommittedOffsetError(
              `no committed offset for group ${JSON.stringify(groupId)} on ${partitionKey(topic, partition)} and the reset strategy is 'none'; commit offsets first or start with OffsetsInitializer.committedOffsets('earliest')`,
              { details: { groupId, topic, partition } },
            );
          }
          offset = this.reset === 'latest' ? bound.high : bound.low;
        }
        result.set(
          partitionKey(topic, partition),
          Math.min(Math.max(offset, bound.low), bound.high),
        );
      }
    }
    return result;
  }
}
