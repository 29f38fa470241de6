/**
 * The sink contract (Flink's Sink V2: `Sink` / `SinkWriter`), without committers yet:
 * a sink is declared once; each parallel subtask creates its own writer.
 *
 * `write` is synchronous and called per record on the hot path; a writer that sends
 * in the background (Kafka) buffers, and tells the task to pause through the optional
 * availability pair instead of blocking:
 *
 * ```
 *   task: if (!writer.isAvailable()) await writer.getAvailableFuture()
 *         for each record of the batch: writer.write(record, ctx)
 *   end of input: await writer.flush(true); close: await writer.close()
 * ```
 */

/** What a writer knows about the subtask it runs in (Flink's `WriterInitContext`). */
export interface SinkWriterContext {
  /** Index of this subtask, `0 ≤ subtaskIndex < parallelism`. */
  readonly subtaskIndex: number;
  /** Parallelism of the sink. */
  readonly parallelism: number;
  /** Name of the task (`Keyed Reduce -> Sink: Print to Std. Out`). */
  readonly taskName: string;
  /**
   * Sends an event to the sink's coordinator: the main thread's instance of the same
   * sink, which receives it in {@link Sink.handleOperatorEvent}. Events must be
   * structured-cloneable (they cross threads with `postMessage` in the worker runtime);
   * send one per batch, not per record.
   */
  sendEventToCoordinator(event: unknown): void;
}

/** Per-record context of {@link SinkWriter.write} (Flink's `SinkWriter.Context`). */
export interface SinkWriterElementContext {
  /** Event timestamp of the record (ms), or `undefined` when it has none. */
  timestamp(): number | undefined;
  /** Current watermark of the sink (ms). */
  currentWatermark(): number;
}

/**
 * Writes the records of one subtask (Flink's `SinkWriter`).
 *
 * @remarks Owned by its task thread.
 */
export interface SinkWriter<T> {
  /** Writes one record; synchronous, must not block. */
  write(element: T, context: SinkWriterElementContext): void;
  /** Sends what is buffered; `endOfInput` is `true` at the end of a bounded input. */
  flush(endOfInput: boolean): void | Promise<void>;
  /** Releases resources; awaited. */
  close(): void | Promise<void>;
  /** `false` while the writer's buffer is full (optional backpressure signal). */
  isAvailable?(): boolean;
  /** Resolves when {@link isAvailable} may have become `true`. */
  getAvailableFuture?(): Promise<void>;
}

/**
 * A sink of records of type `T` (Flink's `Sink`).
 *
 * @remarks Declared on the main thread and on every worker alike; `createWriter` runs
 * on the worker that owns the subtask; `handleOperatorEvent` runs on the main thread.
 */
export interface Sink<T> {
  /** Creates the writer of one subtask. */
  createWriter(context: SinkWriterContext): SinkWriter<T> | Promise<SinkWriter<T>>;
  /**
   * Receives an event a writer sent with {@link SinkWriterContext.sendEventToCoordinator};
   * called on the main thread's instance of the sink (Flink's `OperatorCoordinator`).
   *
   * @param subtaskIndex - index of the sending subtask
   * @param event - the event, as sent
   */
  handleOperatorEvent?(subtaskIndex: number, event: unknown): void;
}
