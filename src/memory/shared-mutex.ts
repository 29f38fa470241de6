/**
 * A three-state mutex in one `Int32Array` word of a `SharedArrayBuffer` (Drepper's
 * "futex" mutex), usable from the main thread and from workers.
 *
 * ```
 *   word = 0  unlocked
 *   word = 1  locked, nobody waiting
 *   word = 2  locked, a thread may be sleeping in Atomics.wait on the word
 * ```
 *
 * The uncontended path is one `compareExchange` to lock and one `exchange` to
 * unlock; only a contended unlock pays for `Atomics.notify`. A waiter spins briefly,
 * then sleeps in `Atomics.wait` (Node allows it on the main thread too).
 *
 * Rules: the critical section is synchronous and short (a few words of shared
 * memory); it never spans an `await`, a callback or an allocation that may throw
 * part-way. A thread that dies while holding the lock would block every other
 * thread: keep the critical sections free of anything that can throw.
 *
 * @remarks Stateless functions over a word; any thread may call them.
 */

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;
const SPINS_BEFORE_SLEEP = 64;
/** Upper bound of one sleep, so that a lost notify can cost at most this long (ms). */
const SLEEP_MS = 5;

/**
 * Acquires the mutex at `ctl[index]`, spinning briefly and then sleeping.
 *
 * @param ctl - the shared control words
 * @param index - index of the mutex word in `ctl`
 */
export function lockMutex(ctl: Int32Array, index: number): void {
  let state = Atomics.compareExchange(ctl, index, UNLOCKED, LOCKED);
  if (state === UNLOCKED) return;
  for (let spin = 0; spin < SPINS_BEFORE_SLEEP; spin++) {
    if (state === UNLOCKED) {
      state = Atomics.compareExchange(ctl, index, UNLOCKED, LOCKED);
      if (state === UNLOCKED) return;
    }
    state = Atomics.load(ctl, index);
  }
  // Slow path: announce a waiter (state 2) and sleep until the holder notifies.
  if (state !== CONTENDED) state = Atomics.exchange(ctl, index, CONTENDED);
  while (state !== UNLOCKED) {
    Atomics.wait(ctl, index, CONTENDED, SLEEP_MS);
    state = Atomics.exchange(ctl, index, CONTENDED);
  }
}

/**
 * Releases the mutex at `ctl[index]`, waking one sleeper if there may be one.
 *
 * @param ctl - the shared control words
 * @param index - index of the mutex word in `ctl`
 */
export function unlockMutex(ctl: Int32Array, index: number): void {
  if (Atomics.exchange(ctl, index, UNLOCKED) === CONTENDED) Atomics.notify(ctl, index, 1);
}
