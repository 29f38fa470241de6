/**
 * The wall clock of a task and its timers (Flink's `ProcessingTimeService`): operators
 * read processing time and schedule callbacks through it, never through `Date.now()` /
 * `setTimeout` directly, so that the runtime can run callbacks where it wants (the
 * task's mailbox) and tests can drive time by hand ({@link TestProcessingTimeService}).
 *
 * ```
 *   operator ──registerTimer(t, cb)──► service ──(t − now + 1 ms)──► cb(t)   on the task thread
 *   chain.finish() ─► quiesce(): pending callbacks never run, new ones are ignored
 *   chain.close()  ─► shutdown(): every pending timer is cancelled
 * ```
 *
 * A callback that throws does not crash the process: the error goes to the service's
 * `onError`, which the runtime turns into a task failure.
 *
 * @remarks One per task (chain), owned by its thread.
 */

/** A scheduled callback; {@link cancel} stops it (idempotent). */
export interface ScheduledTimer {
  cancel(): void;
}

/** What operators use; see the module documentation. */
export interface ProcessingTimeService {
  /** Current processing time (epoch ms). */
  getCurrentProcessingTime(): number;
  /**
   * Calls `callback(timestamp)` once processing time reached `timestamp` (never earlier).
   *
   * @param timestamp - epoch ms
   * @param callback - runs on the task thread; what it throws fails the task
   */
  registerTimer(timestamp: number, callback: (timestamp: number) => void): ScheduledTimer;
  /** Calls `callback(now)` every `periodMs` (ms), first after `initialDelayMs`. */
  scheduleAtFixedRate(
    callback: (timestamp: number) => void,
    initialDelayMs: number,
    periodMs: number,
  ): ScheduledTimer;
  /** From now on no callback runs (end of input: operators finish). */
  quiesce(): void;
  /** Cancels every pending timer (close). */
  shutdown(): void;
}

/** Options of {@link SystemProcessingTimeService}. */
export interface SystemProcessingTimeServiceOptions {
  /** Receives what a callback threw; the runtime fails the task with it. */
  readonly onError: (error: unknown) => void;
  /**
   * Runs a due callback; the worker runtime passes a function that enqueues it in the
   * task's mailbox. @defaultValue run it directly from the timer (single-thread executors)
   */
  readonly executor?: (action: () => void) => void;
  /** The clock (epoch ms). @defaultValue `Date.now` */
  readonly clock?: () => number;
}

/**
 * A {@link ProcessingTimeService} over `Date.now()` and `setTimeout` (Flink's
 * `SystemProcessingTimeService`): a timer for `t` fires at `t + 1 ms` or later, so the
 * clock has surely reached `t` when it runs.
 *
 * @remarks One per task, owned by its thread.
 */
export class SystemProcessingTimeService implements ProcessingTimeService {
  private readonly onError: (error: unknown) => void;
  private readonly executor: ((action: () => void) => void) | undefined;
  private readonly clock: () => number;
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private quiesced = false;

  /** @param options - error handler, executor and clock */
  constructor(options: SystemProcessingTimeServiceOptions) {
    this.onError = options.onError;
    this.executor = options.executor;
    this.clock = options.clock ?? Date.now;
  }

  getCurrentProcessingTime(): number {
    return this.clock();
  }

  registerTimer(timestamp: number, callback: (timestamp: number) => void): ScheduledTimer {
    if (this.quiesced) return NOOP_TIMER;
    const delay = Math.max(0, timestamp - this.clock()) + 1;
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      this.run(() => callback(timestamp));
    }, delay);
    this.pending.add(handle);
    return {
      cancel: () => {
        clearTimeout(handle);
        this.pending.delete(handle);
      },
    };
  }

  scheduleAtFixedRate(
    callback: (timestamp: number) => void,
    initialDelayMs: number,
    periodMs: number,
  ): ScheduledTimer {
    if (this.quiesced) return NOOP_TIMER;
    let interval: ReturnType<typeof setInterval> | undefined;
    const first = setTimeout(() => {
      this.pending.delete(first);
      this.run(() => callback(this.clock()));
      if (this.quiesced) return;
      interval = setInterval(() => this.run(() => callback(this.clock())), periodMs);
      this.pending.add(interval);
    }, initialDelayMs);
    this.pending.add(first);
    return {
      cancel: () => {
        clearTimeout(first);
        this.pending.delete(first);
        if (interval !== undefined) {
          clearInterval(interval);
          this.pending.delete(interval);
        }
      },
    };
  }

  quiesce(): void {
    this.quiesced = true;
  }

  shutdown(): void {
    this.quiesced = true;
    for (const handle of this.pending) clearTimeout(handle);
    this.pending.clear();
  }

  private run(action: () => void): void {
    if (this.quiesced) return;
    const guarded = (): void => {
      if (this.quiesced) return;
      try {
        action();
      } catch (error) {
        this.quiesced = true;
        this.onError(error);
      }
    };
    if (this.executor === undefined) guarded();
    else this.executor(guarded);
  }
}

const NOOP_TIMER: ScheduledTimer = { cancel() {} };
