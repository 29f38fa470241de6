import type { TypeInformation } from '../../types/type-information.ts';

/**
 * The source contract (Flink's FLIP-27 `Source` / `SourceReader`, without splits):
 * small enough for the embedded sources now and for the Kafka source later.
 *
 * A source is a factory the job declares once; every parallel subtask asks it for its
 * own reader with `(subtaskIndex, parallelism)` and decides from those which part of
 * the input it reads (a range of indices, a set of Kafka partitions, ...).
 *
 * The task drives the reader, never the other way round:
 *
 * ```
 *   loop (in the task's mailbox, while the output has room):
 *     status = reader.pollNext(output, maxRecords)   emits ≤ maxRecords, synchronously
 *     MORE_AVAILABLE     → call again (after yielding to control messages)
 *     NOTHING_AVAILABLE  → await reader.isAvailable(), then call again
 *     END_OF_INPUT       → the subtask's input is finished (bounded sources)
 * ```
 *
 * Backpressure: when the task's output is full it simply stops calling `pollNext`; a
 * reader that fetches in the background (Kafka) should pause fetching once its
 * buffer is full, so memory stays bounded.
 */

/** Whether a source ends (Flink's `Boundedness`). */
export type Boundedness = 'BOUNDED' | 'CONTINUOUS_UNBOUNDED';

/** Result of one {@link SourceReader.pollNext} call (Flink's `InputStatus`). */
export const InputStatus = {
  MORE_AVAILABLE: 'MORE_AVAILABLE',
  NOTHING_AVAILABLE: 'NOTHING_AVAILABLE',
  END_OF_INPUT: 'END_OF_INPUT',
} as const;
/** One of {@link InputStatus}. */
export type InputStatus = (typeof InputStatus)[keyof typeof InputStatus];

/** What a reader knows about the subtask it runs in (Flink's `SourceReaderContext`). */
export interface SourceReaderContext {
  /** Index of this subtask, `0 ≤ subtaskIndex < parallelism`. */
  readonly subtaskIndex: number;
  /** Parallelism of the source. */
  readonly parallelism: number;
  /** Name of the task (`Source: numbers -> Map`). */
  readonly taskName: string;
  /** Name of the source operator (`Source: numbers`). */
  readonly operatorName: string;
}

/** Where a reader emits records (Flink's `ReaderOutput`). */
export interface ReaderOutput<T> {
  /**
   * Emits a record downstream, synchronously.
   *
   * @param record - the record
   * @param timestamp - its event timestamp (ms), if it has one
   */
  collect(record: T, timestamp?: number): void;
  /** Emits a watermark (ms). */
  emitWatermark(watermark: number): void;
}

/**
 * Reads the part of a source assigned to one subtask (Flink's `SourceReader`).
 *
 * @remarks Owned by its task thread; `pollNext` is never called concurrently.
 */
export interface SourceReader<T> {
  /** Starts reading (connects, seeks); awaited before the first `pollNext`. */
  start?(): void | Promise<void>;
  /**
   * Emits up to `maxRecords` records synchronously and reports whether more are ready.
   *
   * @param output - where to emit
   * @param maxRecords - upper bound for this call (the task's batch size, ≥ 1)
   * @returns whether to call again now, after {@link isAvailable}, or never
   */
  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus;
  /** Resolves when `pollNext` may have data again (after `NOTHING_AVAILABLE`). */
  isAvailable(): Promise<void>;
  /** Releases resources; awaited. */
  close?(): void | Promise<void>;
  /**
   * Positions to resume from, from a checkpoint: the union of every old subtask's
   * {@link snapshotState} entries (the reader keeps those of its splits); called
   * after `createReader`, before {@link start}.
   */
  restoreState?(state: readonly unknown[]): void;
  /**
   * The reader's position at a checkpoint barrier, as JSON-serializable entries (Flink's
   * `snapshotState`: the splits with their offsets). Called between two `pollNext`.
   */
  snapshotState?(checkpointId: number): readonly unknown[];
  /** What must be durable before the checkpoint completes (e.g. dead letters sent). */
  flush?(): void | Promise<void>;
  /** The checkpoint completed: e.g. commit its offsets to Kafka. */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
}

/**
 * A source of records of type `T`: declared once in the job, read by one reader per
 * parallel subtask (Flink's `Source`).
 *
 * @remarks Built on the main thread and on every worker alike; `createReader` runs on
 * the worker that owns the subtask.
 */
export interface Source<T> {
  /** Whether the source ends. */
  readonly boundedness: Boundedness;
  /**
   * Creates the reader of one subtask.
   *
   * @param context - subtask index and parallelism decide what the reader reads
   */
  createReader(context: SourceReaderContext): SourceReader<T> | Promise<SourceReader<T>>;
  /**
   * The type of the records the source produces, when it knows it (Flink's
   * `ResultTypeQueryable.getProducedType`): records then cross exchanges with its
   * binary serializer instead of JSON. Optional.
   */
  getProducedType?(): TypeInformation<T> | undefined;
}
