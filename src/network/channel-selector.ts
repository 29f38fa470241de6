/**
 * Chooses the subpartition (output channel) of each record of a record writer.
 *
 * Sluice's implementations are the stream partitioners of `src/graph/stream-partitioner.ts`
 * (`ForwardPartitioner`, `RebalancePartitioner`, `KeyGroupStreamPartitioner`,
 * `BroadcastPartitioner`), which have exactly this shape: the job graph keeps one per
 * edge and every record writer gets its own `copy()`. The key-group partitioner uses
 * the one key-group assignment of `src/types/key-group-range-assignment.ts` (murmur
 * hash of the key → key group → channel).
 *
 * ```
 *  FORWARD    channel 0 (one consumer: subtask i → subtask i)
 *  REBALANCE  round robin, writer i starting at channel i
 *  HASH       key → murmurHash(hashKey(key)) % maxParallelism → keyGroup × n / maxParallelism
 *  BROADCAST  every channel (selectChannel is not called; the writer broadcasts)
 * ```
 *
 * @remarks Each instance belongs to one record writer on the producing task's thread;
 * `selectChannel` is called once per record and must not allocate. Corresponds to
 * Flink's `ChannelSelector`.
 */
export interface ChannelSelector<T> {
  /**
   * Prepares the selector for a writer.
   *
   * @param numberOfChannels - subpartitions of the writer's partition
   * @param writerSubtaskIndex - index of the writing subtask (spreads round robins)
   */
  setup(numberOfChannels: number, writerSubtaskIndex?: number): void;
  /**
   * The channel of one record.
   *
   * @param record - the record's value
   * @returns channel index in `[0, numberOfChannels)`
   */
  selectChannel(record: T): number;
  /** Whether every record goes to every channel (then `selectChannel` is not used). */
  isBroadcast(): boolean;
}
