/** What the flusher flushes (a `ResultPartition`). */
export interface Flushable {
  /** Ships every partly filled buffer (or marks it to be shipped when credit arrives). */
  flushAll(): void;
}

/**
 * Flushes a result partition's partly filled buffers every `execution.buffer-timeout`
 * milliseconds, bounding the latency a record can wait in a buffer that does not
 * fill up: the throughput/latency dial.
 *
 * A timer on the producer's event loop (`setInterval`, unreferenced so that it never
 * keeps a worker alive by itself). It fires between the task's batches: a task that
 * computes for longer than the timeout without yielding delays the flush by as much,
 * as a mailbox action would in Flink. A timeout of 0 does not use a flusher: the
 * partition flushes after every record instead.
 *
 * @remarks Created, stopped and run on the producer's thread. Corresponds to Flink's
 * `StreamTask.OutputFlusher` (a thread there).
 */
export class OutputFlusher {
  private timer: ReturnType<typeof setInterval> | null;
  private readonly target: Flushable;

  /**
   * Starts flushing.
   *
   * @param target - the partition to flush
   * @param timeoutMs - interval in ms (> 0)
   */
  constructor(target: Flushable, timeoutMs: number) {
    this.target = target;
    this.timer = setInterval(() => this.run(), timeoutMs);
    this.timer.unref();
  }

  /** Stops flushing (idempotent). */
  stop(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Whether the flusher still runs. */
  isRunning(): boolean {
    return this.timer !== null;
  }

  private run(): void {
    try {
      this.target.flushAll();
    } catch {
      // A failed partition reports its error to the task on its next use.
      this.stop();
    }
  }
}
