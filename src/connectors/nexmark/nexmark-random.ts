/**
 * The generator's random numbers: one small stream per event, re-seeded from
 * `(seed, event id)` before the event is made, so that any event can be generated alone,
 * on any subtask, in any order, and always comes out the same (Beam seeds a
 * `java.util.Random` with the event id for the same reason).
 *
 * The stream is mulberry32 (32-bit state, period 2³²) started from a murmur3-finalised
 * mix of the seed and both halves of the event id. No allocation.
 *
 * @remarks One instance per generator; not shared between threads.
 * @module
 */

/** murmur3's 32-bit finaliser: a bijective avalanche of `h`. */
function fmix32(h: number): number {
  let x = h | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A re-seedable random stream; see the module documentation. */
export class NexmarkRandom {
  private state = 0;

  /**
   * Starts the stream of one event.
   *
   * @param seed - the generator's seed (32-bit unsigned)
   * @param eventId - the event id (a safe non-negative integer)
   */
  reset(seed: number, eventId: number): void {
    const low = eventId >>> 0;
    const high = Math.floor(eventId / 0x1_0000_0000) >>> 0;
    this.state = fmix32(fmix32(seed ^ 0x9e3779b9) ^ fmix32(low + 0x7f4a7c15) ^ Math.imul(high, 31));
  }

  /** Next 32 random bits, unsigned. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A double in [0, 1) (32 bits of randomness). */
  nextDouble(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /**
   * An integer in [0, n) (Java's `Random.nextInt(n)`, Beam's `LongGenerator.nextLong`).
   *
   * @param n - exclusive bound, ≥ 1
   */
  nextInt(n: number): number {
    return Math.floor(this.nextDouble() * n);
  }
}
