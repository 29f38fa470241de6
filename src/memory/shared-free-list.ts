import { lockMutex, unlockMutex } from './shared-mutex.ts';

/** Marks the end of a list (and an empty list) in a head or next word. */
export const END_OF_LIST = -1;

/**
 * A free list of entry indices (segments, pages) in shared memory that any thread may
 * push to and pop from: the primitive under both the `NetworkBufferPool` and the
 * `MemoryManager`.
 *
 * It is an intrusive stack: one `head` word plus one `next` word per entry, all in
 * the caller's `Int32Array` of control words (positions given by the caller's layout
 * module).
 *
 * ```
 *   head ──► 7 ──► 2 ──► 5 ──► END (-1)          next[7] = 2, next[2] = 5, next[5] = -1
 *   count = 3 (an upper bound while a push or pop is in flight)
 * ```
 *
 * - `push` is lock-free: a compare-and-swap on `head`, retried on contention.
 * - `pop` takes a short mutex (the `lock` word) and then swaps `head` to `next[head]`.
 *   Holding the mutex makes pops mutually exclusive, which rules out the ABA problem
 *   of a lock-free pop: while the popper holds the mutex, the entry it read at the
 *   head can only be covered by pushes, never removed and pushed back, so the
 *   compare-and-swap fails exactly when the head moved.
 * - `count` is raised before a push links its entry and lowered after a pop unlinks
 *   one, so it never drops below the true length: a non-zero count with an empty
 *   pop is possible for an instant, a zero count with a non-empty list is not.
 *
 * @remarks Stateless beyond the shared words: every thread builds its own instance
 * over the same `Int32Array`. An entry must be pushed only by the thread that owns
 * it (popped it, or holds its last reference), and only once; the owners of the
 * free list (the pools) guarantee that.
 */
export class SharedFreeList {
  private readonly ctl: Int32Array;
  private readonly headIndex: number;
  private readonly lockIndex: number;
  private readonly countIndex: number;
  private readonly nextBase: number;
  /** Number of entries the list can hold (entries are `0 … capacity − 1`). */
  readonly capacity: number;

  /**
   * @param ctl - shared control words
   * @param headIndex - index of the head word
   * @param lockIndex - index of the pop mutex word
   * @param countIndex - index of the count word
   * @param nextBase - index of `next[0]`; `next[i]` is at `nextBase + i`
   * @param capacity - number of entries (indices `0 … capacity − 1`)
   */
  constructor(
    ctl: Int32Array,
    headIndex: number,
    lockIndex: number,
    countIndex: number,
    nextBase: number,
    capacity: number,
  ) {
    this.ctl = ctl;
    this.headIndex = headIndex;
    this.lockIndex = lockIndex;
    this.countIndex = countIndex;
    this.nextBase = nextBase;
    this.capacity = capacity;
  }

  /**
   * Fills the list with every entry, so that pops return `0, 1, 2, …`. Call once,
   * on the creating thread, before the memory is shared.
   */
  initializeFull(): void {
    const ctl = this.ctl;
    for (let i = 0; i < this.capacity; i++) {
      Atomics.store(ctl, this.nextBase + i, i + 1 < this.capacity ? i + 1 : END_OF_LIST);
    }
    Atomics.store(ctl, this.headIndex, this.capacity > 0 ? 0 : END_OF_LIST);
    Atomics.store(ctl, this.countIndex, this.capacity);
    Atomics.store(ctl, this.lockIndex, 0);
  }

  /**
   * Pushes an entry (lock-free).
   *
   * @param entry - index in `[0, capacity)`, currently owned by the caller and not in the list
   */
  push(entry: number): void {
    const ctl = this.ctl;
    Atomics.add(ctl, this.countIndex, 1);
    let head = Atomics.load(ctl, this.headIndex);
    for (;;) {
      Atomics.store(ctl, this.nextBase + entry, head);
      const seen = Atomics.compareExchange(ctl, this.headIndex, head, entry);
      if (seen === head) return;
      head = seen;
    }
  }

  /**
   * Pops one entry.
   *
   * @returns an entry index, or `END_OF_LIST` (-1) when the list is empty
   */
  pop(): number {
    const ctl = this.ctl;
    if (Atomics.load(ctl, this.headIndex) === END_OF_LIST) return END_OF_LIST;
    lockMutex(ctl, this.lockIndex);
    const entry = this.popLocked();
    unlockMutex(ctl, this.lockIndex);
    return entry;
  }

  /**
   * Pops up to `max` entries into `out` under one acquisition of the mutex.
   *
   * @param out - receives the entries from index `offset`
   * @param offset - first index of `out` to write
   * @param max - most entries to pop (`offset + max ≤ out.length`)
   * @returns the number of entries popped (0 when the list is empty)
   */
  popMany(out: Int32Array | number[], offset: number, max: number): number {
    const ctl = this.ctl;
    if (max <= 0 || Atomics.load(ctl, this.headIndex) === END_OF_LIST) return 0;
    lockMutex(ctl, this.lockIndex);
    let n = 0;
    while (n < max) {
      const entry = this.popLocked();
      if (entry === END_OF_LIST) break;
      out[offset + n++] = entry;
    }
    unlockMutex(ctl, this.lockIndex);
    return n;
  }

  /** Entries in the list (exact when no push or pop is in flight). */
  size(): number {
    return Atomics.load(this.ctl, this.countIndex);
  }

  /** Whether the list is empty right now. */
  isEmpty(): boolean {
    return Atomics.load(this.ctl, this.headIndex) === END_OF_LIST;
  }

  /** Caller holds the mutex: only pushes run concurrently. */
  private popLocked(): number {
    const ctl = this.ctl;
    let head = Atomics.load(ctl, this.headIndex);
    while (head !== END_OF_LIST) {
      const next = Atomics.load(ctl, this.nextBase + head);
      const seen = Atomics.compareExchange(ctl, this.headIndex, head, next);
      if (seen === head) {
        Atomics.sub(ctl, this.countIndex, 1);
        return head;
      }
      head = seen;
    }
    return END_OF_LIST;
  }
}
