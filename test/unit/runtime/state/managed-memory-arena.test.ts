import { afterEach, describe, expect, it } from 'vitest';
import { MemoryManager } from '../../../../src/memory/memory-manager.ts';
import {
  blockSizeOf,
  ManagedMemoryArena,
} from '../../../../src/runtime/state/managed-memory-arena.ts';

const managers: MemoryManager[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.releaseAll();
});

function arenaOf(pages: number) {
  const memoryManager = new MemoryManager({ memorySizeBytes: pages * 4096, pageSizeBytes: 4096 });
  managers.push(memoryManager);
  return { memoryManager, arena: new ManagedMemoryArena(memoryManager, 'arena', () => 'test') };
}

/** Every allocated block lies in the buffer and overlaps no other. */
function expectDisjoint(blocks: [number, number][]): void {
  const sorted = [...blocks].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) {
    expect(sorted[i]![0]).toBeGreaterThanOrEqual(sorted[i - 1]![0] + sorted[i - 1]![1]);
  }
}

describe('ManagedMemoryArena', () => {
  it('rounds sizes to classes and reuses freed blocks', () => {
    expect([1, 16, 17, 250, 257, 1000, 4096].map(blockSizeOf)).toEqual([
      16, 16, 32, 256, 512, 1024, 4096,
    ]);
    const { arena } = arenaOf(4);
    const a = arena.allocate(40);
    arena.free(a, 40);
    expect(arena.allocate(48)).toBe(a);
    expect(a).not.toBe(0);
    expect(a % 16).toBe(0);
  });

  it('never hands out a block twice, also after running out of pages (regression: the tail of the last page was carved again on every failed refill)', () => {
    const { arena, memoryManager } = arenaOf(8);
    const blocks: [number, number][] = [];
    let failures = 0;
    for (let i = 0; i < 2000; i++) {
      const size = [24, 100, 300, 700][i % 4]!;
      try {
        blocks.push([arena.allocate(size), blockSizeOf(size)]);
      } catch (error) {
        expect((error as { code: string }).code).toBe('SLUICE_ERR_STATE_MEMORY_EXHAUSTED');
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
    expectDisjoint(blocks);
    expect(arena.numberOfPages()).toBe(8);
    arena.dispose();
    expect(memoryManager.verifyEmpty()).toBe(true);
  });
});
