/**
 * Waits, without blocking the thread, for another thread to bump a notification word
 * in shared memory: the wake-up primitive of the exchange, in both directions (a
 * sender waking a receiver's input gate, a receiver waking a sender waiting for
 * credit).
 *
 * Handshake (no lost wake-up): the waiting side raises `WAITING`, reads `NOTIFY`,
 * re-checks its condition, calls `Atomics.waitAsync(NOTIFY, seen)` and, once the wait
 * is registered, checks that `WAITING` is still raised; the signalling side first
 * commits its state (a write index, a credit counter), then reads `WAITING`: at 0 it is
 * done; at 1 it bumps `NOTIFY` and, if it swaps `WAITING` from 1 to 0, calls
 * `Atomics.notify`. All of these are sequentially consistent, so either the re-check
 * sees the new state (the signaller read `WAITING = 0` before the waiter raised it), or
 * `waitAsync` sees `NOTIFY ≠ seen` and returns at once, or the signaller sees
 * `WAITING = 1` and wakes the registered waiter. A second signaller that finds
 * `WAITING = 0` skips the notify:
 * its commit precedes the waiter's next `prepare()`, so the woken waiter's next
 * re-check sees it. (Notifying an async waiter costs tens of microseconds — a task
 * posted to the other thread — so this saves one per extra signal.)
 *
 * The last step closes a gap: a signaller whose bump came before `seen` was read (its
 * state was re-checked and found not to end the wait) can still swap `WAITING` to 0
 * after `prepare()` and notify before the wait is registered. Its notify wakes nobody,
 * and without the check the waiter would sleep with `WAITING = 0`, so that every
 * later signaller skipped its notify: a wake-up lost for good. Finding `WAITING = 0`
 * after registering, {@link wait} forgets the wait and returns false: the caller
 * re-checks and prepares again. With `WAITING` still 1 after registration, any
 * signaller that lowers it from then on notifies a registered wait.
 *
 * ```
 *  waiter                         signaller
 *  store WAITING = 1              commit state (Atomics.store …)
 *  seen = load NOTIFY             add NOTIFY, 1
 *  re-check state ─► done?        if exchange(WAITING, 0) = 1: notify NOTIFY
 *  waitAsync(NOTIFY, seen) ──────────────────────────► woken
 *  load WAITING = 0? ─► re-check
 * ```
 *
 * While a wait is pending, a timer keeps the thread's event loop alive
 * (`Atomics.waitAsync` alone does not), so a task awaiting input or credit does not
 * let its worker exit.
 *
 * @remarks Owned by one thread (the waiter's); {@link signalNotification} may be called
 * from any thread. No Flink counterpart (Netty's event loop plays this role there).
 */
export class NotificationWatcher {
  private readonly ctl: Int32Array;
  private readonly notifyIndex: number;
  private readonly waitingIndex: number;
  private readonly onNotified: () => void;
  private armed = false;
  private generation = 0;
  /** A never-firing interval, referenced only while a wait is pending (ref/unref is cheap). */
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  /**
   * @param ctl - the shared control words
   * @param notifyIndex - index of the `NOTIFY` word
   * @param waitingIndex - index of the `WAITING` word
   * @param onNotified - called (as a microtask) once per wait that ended because the
   *   word changed; `WAITING` is still raised then, lower it with {@link done}
   */
  constructor(ctl: Int32Array, notifyIndex: number, waitingIndex: number, onNotified: () => void) {
    this.ctl = ctl;
    this.notifyIndex = notifyIndex;
    this.waitingIndex = waitingIndex;
    this.onNotified = onNotified;
  }

  /**
   * Raises `WAITING` and returns the current `NOTIFY` value: re-check the condition
   * after this call, then {@link wait} with the returned value.
   *
   * @returns the notification count seen
   */
  prepare(): number {
    Atomics.store(this.ctl, this.waitingIndex, 1);
    return Atomics.load(this.ctl, this.notifyIndex);
  }

  /**
   * Waits for `NOTIFY` to differ from `seen`.
   *
   * @param seen - the value {@link prepare} returned
   * @returns false when it already differs, or when a signaller lowered `WAITING` since
   *   {@link prepare} (re-check the condition now, then prepare and wait again); true
   *   when a wait is pending (or was already pending)
   */
  wait(seen: number): boolean {
    if (this.armed) return true;
    const result = Atomics.waitAsync(this.ctl, this.notifyIndex, seen);
    if (!result.async) return false;
    const generation = ++this.generation;
    result.value.then(() => {
      if (generation !== this.generation) return;
      this.disarm();
      this.onNotified();
    });
    // A signaller that bumped NOTIFY before `seen` was read can lower WAITING after
    // prepare() raised it and notify before this wait was registered: its notify reached
    // nobody, and every later signaller, finding WAITING = 0, would skip its notify.
    // WAITING still raised now means any signaller from here on notifies this wait.
    if (Atomics.load(this.ctl, this.waitingIndex) === 0) {
      this.generation++; // forget the registered wait (a wake-up of it is ignored)
      return false;
    }
    this.armed = true;
    if (this.keepAlive === null) this.keepAlive = setInterval(noop, KEEP_ALIVE_MS);
    else this.keepAlive.ref();
    return true;
  }

  /** Lowers `WAITING` and forgets a pending wait (its wake-up is ignored). */
  done(): void {
    if (this.armed) {
      this.generation++;
      this.disarm();
    }
    Atomics.store(this.ctl, this.waitingIndex, 0);
  }

  /** Whether a wait is pending. */
  isWaiting(): boolean {
    return this.armed;
  }

  /**
   * Ends a pending wait of this thread at once (teardown): forgets it and wakes the
   * `waitAsync` so that no waiter stays registered on the word.
   */
  cancel(): void {
    this.done();
    if (this.keepAlive !== null) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
    Atomics.notify(this.ctl, this.notifyIndex);
  }

  private disarm(): void {
    this.armed = false;
    this.keepAlive?.unref();
  }
}

/**
 * Wakes the waiter of a notification word if one waits: call after the state the waiter
 * will read is committed. When `WAITING` is 0 nothing else happens — one load: the
 * waiter raises `WAITING` before it re-checks the state, so a waiter that has not raised
 * it yet will see the committed state (sequential consistency), and a waiter that is not
 * waiting re-checks before its next wait anyway. When `WAITING` is raised, `NOTIFY` is
 * bumped (a wait registered at the old value then returns at once) and the one signaller
 * that swaps `WAITING` from 1 to 0 calls `Atomics.notify`.
 *
 * @param ctl - the shared control words
 * @param notifyIndex - index of the `NOTIFY` word
 * @param waitingIndex - index of the `WAITING` word
 * @remarks Any thread.
 */
export function signalNotification(
  ctl: Int32Array,
  notifyIndex: number,
  waitingIndex: number,
): void {
  // Nobody waits: the common case while the receiver is busy. Skipping the bump saves
  // an atomic read-modify-write on a word the other thread reads.
  if (Atomics.load(ctl, waitingIndex) === 0) return;
  Atomics.add(ctl, notifyIndex, 1);
  // Clearing WAITING makes this the one notify of the waiter's current wait: notifying
  // an async waiter costs tens of µs, and the waiter re-checks everything on waking.
  if (Atomics.exchange(ctl, waitingIndex, 0) !== 0) {
    Atomics.notify(ctl, notifyIndex);
  }
}

/** Longest a timer can wait; it only keeps the event loop alive while a wait is pending. */
const KEEP_ALIVE_MS = 2 ** 31 - 1;
const noop = (): void => {};
