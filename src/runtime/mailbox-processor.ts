/**
 * The mailbox loop of one task on a worker's event loop (Flink's `MailboxProcessor`
 * with its `MailboxDefaultAction`).
 *
 * Flink gives each task a thread that alternates between a *default action* (process
 * some input) and *mails* (control actions: cancel, checkpoint triggers, timers), so
 * control never waits behind an endless stream of records. In Sluice the thread is the
 * worker's event loop, shared by every task of the slot, and messages from the main
 * thread arrive as event-loop callbacks. So the default action runs in **time slices**:
 * call it until it reports a wait, a mail is queued, or `timeSliceMs` passed; then give
 * the event loop back (`setImmediate`) so that port messages, timers and the other tasks
 * of the worker run. Mails queued in between run before the next slice.
 *
 * ```
 *   runMailboxLoop():
 *     loop until stopped or the default action says DONE
 *       run queued mails (in order, awaited)
 *       slice: repeat defaultAction() while it returns MORE, no mail, < timeSliceMs
 *         MORE     → next slice after setImmediate (yield to the event loop)
 *         DONE     → end of input: return
 *         promise  → suspended: wait for it OR a new mail OR stop(), then loop
 * ```
 *
 * A suspension costs one promise per wait (never per record). {@link stop} ends the loop
 * between two slices, or at once when it is suspended.
 *
 * @remarks Owned by the task's worker thread; `execute` and `stop` are called from
 * message handlers of that same thread. Corresponds to Flink's `MailboxProcessor`.
 * @module
 */
import { performance } from 'node:perf_hooks';

/** The default action has more to do at once. */
export const MORE = 0;
/** The default action finished for good (end of input). */
export const DONE = 1;

/**
 * What one call of the default action returns: {@link MORE}, {@link DONE}, or a promise
 * that resolves when it is worth calling again (input or output available).
 */
export type DefaultActionResult = typeof MORE | typeof DONE | Promise<void>;

/** A control action run between two slices of the default action. */
export type Mail = () => void | Promise<void>;

/** Options of {@link MailboxProcessor}. */
export interface MailboxProcessorOptions {
  /**
   * Longest run of the default action before the loop yields to the event loop.
   * @defaultValue 2 (ms)
   */
  timeSliceMs: number;
}

/** Defaults of {@link MailboxProcessorOptions}. */
export const defaultMailboxProcessorOptions: MailboxProcessorOptions = { timeSliceMs: 2 };

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs a task's default action in slices between mails; see the module documentation. */
export class MailboxProcessor {
  private readonly defaultAction: () => DefaultActionResult;
  private readonly timeSliceMs: number;
  private readonly mails: Mail[] = [];
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  /** Slices run (for tests and metrics). */
  numSlices = 0;
  /** Mails run. */
  numMails = 0;

  /**
   * @param defaultAction - processes a batch of input; see {@link DefaultActionResult}
   * @param options - time slice
   */
  constructor(
    defaultAction: () => DefaultActionResult,
    options: MailboxProcessorOptions = defaultMailboxProcessorOptions,
  ) {
    this.defaultAction = defaultAction;
    this.timeSliceMs = options.timeSliceMs;
  }

  /**
   * Queues a control action; it runs before the next slice (waking a suspended loop).
   *
   * @param mail - the action; may be async (awaited before the next mail or slice)
   */
  execute(mail: Mail): void {
    this.mails.push(mail);
    this.signal();
  }

  /** Ends the loop after the current slice (at once when suspended); mails queued still run. */
  stop(): void {
    this.stopped = true;
    this.signal();
  }

  /** Whether {@link stop} was called. */
  isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Runs the loop until the default action returns {@link DONE} or {@link stop} is called.
   *
   * @returns `true` when the input ended (DONE), `false` when stopped
   * @throws whatever the default action or a mail throws (the loop ends)
   */
  async runMailboxLoop(): Promise<boolean> {
    const action = this.defaultAction;
    const mails = this.mails;
    const sliceMs = this.timeSliceMs;
    let lastYieldMs = performance.now();
    for (;;) {
      if (mails.length > 0) await this.runMails();
      if (this.stopped) return false;
      this.numSlices++;
      const deadline = performance.now() + sliceMs;
      let result: DefaultActionResult;
      do {
        result = action();
      } while (result === MORE && mails.length === 0 && performance.now() < deadline);
      if (result === DONE) {
        if (mails.length > 0) await this.runMails();
        return true;
      }
      if (result !== MORE && mails.length === 0 && !this.stopped) await this.suspendUntil(result);
      // Yield after a full slice, and after waits that resolved without the event loop
      // turning (an already-resolved future must not starve port messages and timers).
      if (result === MORE || performance.now() - lastYieldMs >= sliceMs) {
        await yieldToEventLoop();
        lastYieldMs = performance.now();
      }
    }
  }

  /** Runs every queued mail, including mails queued by mails. */
  private async runMails(): Promise<void> {
    const mails = this.mails;
    while (mails.length > 0) {
      const mail = mails.shift()!;
      this.numMails++;
      await mail();
    }
  }

  /** Waits for `future`, a new mail or a stop, whichever comes first. */
  private suspendUntil(future: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
      future.then(done, (error: unknown) => {
        if (settled) return;
        settled = true;
        this.wakeUp = undefined;
        reject(error);
      });
    });
  }

  private signal(): void {
    const wake = this.wakeUp;
    if (wake !== undefined) wake();
  }
}
