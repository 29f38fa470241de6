import { afterEach, describe, expect, it } from 'vitest';
import { MemoryManager } from '../../../../../src/memory/memory-manager.ts';
import { TimerQueue } from '../../../../../src/runtime/operators/timers/timer-queue.ts';
import { ManagedMemoryArena } from '../../../../../src/runtime/state/managed-memory-arena.ts';

const managers: MemoryManager[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.releaseAll();
});

/** mulberry32 */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('TimerQueue', () => {
  it('polls timers in timestamp order through random adds and removes', () => {
    const memoryManager = new MemoryManager({ memorySizeBytes: 8 * 2 ** 20 });
    managers.push(memoryManager);
    const arena = new ManagedMemoryArena(memoryManager, 'timers', () => 'test');
    const queue = new TimerQueue(arena);
    const next = random(5);
    const live = new Map<number, number>(); // entry → timestamp
    const entries: number[] = [];
    for (let round = 0; round < 20_000; round++) {
      const r = next();
      if (r < 0.55 || live.size === 0) {
        const entry = arena.allocate(48); // stands for a timer entry (uses its link words)
        const timestamp = Math.floor(next() * 400) * 5; // few distinct timestamps, shared
        queue.add(entry, timestamp);
        live.set(entry, timestamp);
        entries.push(entry);
      } else if (r < 0.75) {
        const entry = entries[Math.floor(next() * entries.length)]!;
        const timestamp = live.get(entry);
        if (timestamp === undefined) continue;
        queue.remove(entry, timestamp);
        live.delete(entry);
      } else {
        const min = Math.min(...live.values());
        expect(queue.peekTimestamp()).toBe(min);
        const entry = queue.poll();
        expect(live.get(entry)).toBe(min);
        live.delete(entry);
      }
      expect(queue.size).toBe(live.size);
    }
    const drained: number[] = [];
    while (queue.peekTimestamp() !== Number.POSITIVE_INFINITY) {
      const timestamp = queue.peekTimestamp();
      const entry = queue.poll();
      expect(live.get(entry)).toBe(timestamp);
      live.delete(entry);
      drained.push(timestamp);
    }
    expect(live.size).toBe(0);
    expect(drained).toEqual([...drained].sort((a, b) => a - b));
    queue.clear();
  });
});
