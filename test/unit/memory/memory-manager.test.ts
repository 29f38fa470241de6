import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { MemoryManager, type MemoryManagerHandle } from '../../../src/memory/memory-manager.ts';
import { MemorySegment } from '../../../src/memory/memory-segment.ts';

const PAGE = 4096;
const EXHAUSTED = expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_MANAGED_EXHAUSTED' });
const RELEASE_INVALID = expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_RELEASE_INVALID' });
const OWNERS = expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_OWNERS_EXHAUSTED' });

function manager(pages = 16, maxOwners = 8): MemoryManager {
  return new MemoryManager({ memorySizeBytes: pages * PAGE, pageSizeBytes: PAGE, maxOwners });
}

describe('MemoryManager', () => {
  it('allocates distinct, non-overlapping pages per owner and reports used and total bytes', () => {
    const mm = manager();
    const a = mm.allocatePages('task-a', 3);
    const b = mm.allocatePages(7, 2);
    const all = [...a, ...b];
    expect(new Set(all.map((p) => p.segmentIndex)).size).toBe(5);
    for (const page of all) {
      expect(page.size).toBe(PAGE);
      expect(page.offset).toBe(page.segmentIndex * PAGE);
    }
    expect(mm.getTotalMemoryBytes()).toBe(16 * PAGE);
    expect(mm.getUsedMemoryBytes()).toBe(5 * PAGE);
    expect(mm.availableMemory()).toBe(11 * PAGE);
    expect(mm.getNumberOfFreePages()).toBe(11);
    expect(mm.getNumberOfPages('task-a')).toBe(3);
    expect(mm.getNumberOfPages('7')).toBe(2); // keys compare by their string form
    expect(mm.verifyEmpty()).toBe(false);
  });

  it('throws SLUICE_ERR_MEMORY_MANAGED_EXHAUSTED with the numbers and the key to raise, allocating nothing', () => {
    const mm = manager(4);
    mm.allocatePages('a', 3);
    expect(() => mm.allocatePages('b', 2)).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_MEMORY_MANAGED_EXHAUSTED',
        message: expect.stringMatching(
          /owner 'b' requested 2 pages \(8192 bytes\), 1 pages \(4096 bytes\) available of 4 pages.*taskmanager\.memory\.managed\.size or taskmanager\.memory\.managed\.fraction/,
        ),
      }),
    );
    expect(mm.getNumberOfFreePages()).toBe(1);
    expect(mm.getNumberOfPages('b')).toBe(0);
  });

  it('releases per owner, per page, or everything', () => {
    const mm = manager();
    const a = mm.allocatePages('a', 4);
    mm.allocatePages('b', 2);
    mm.releasePages(a.slice(0, 2));
    expect(mm.getNumberOfPages('a')).toBe(2);
    expect(mm.release('a')).toBe(2);
    expect(mm.getNumberOfPages('a')).toBe(0);
    expect(mm.getNumberOfPages('b')).toBe(2);
    expect(mm.release('nobody')).toBe(0);
    mm.reserveMemory('c', 100);
    mm.releaseAll();
    expect(mm.verifyEmpty()).toBe(true);
  });

  it('refuses to release a page twice, a foreign page, or a page listed twice, releasing nothing', () => {
    const mm = manager();
    const pages = mm.allocatePages('a', 2);
    mm.releasePages([pages[0]!]);
    expect(() => mm.releasePages([pages[1]!, pages[0]!])).toThrowError(RELEASE_INVALID);
    expect(() => mm.releasePages([pages[1]!, pages[1]!])).toThrowError(/listed twice/);
    expect(() => mm.releasePages([MemorySegment.allocateUnpooled(PAGE)])).toThrowError(
      /not a page of this MemoryManager/,
    );
    expect(mm.getNumberOfPages('a')).toBe(1);
  });

  it('books reservations against the same budget as pages', () => {
    const mm = manager(4);
    mm.reserveMemory('state', 2 * PAGE + 1);
    expect(mm.getReservedMemory('state')).toBe(2 * PAGE + 1);
    expect(mm.getUsedMemoryBytes()).toBe(2 * PAGE + 1);
    expect(() => mm.allocatePages('sort', 2)).toThrowError(EXHAUSTED);
    expect(mm.allocatePages('sort', 1)).toHaveLength(1);
    expect(() => mm.reserveMemory('state', PAGE)).toThrowError(
      /tried to reserve 4096 bytes, 4095 bytes available/,
    );
    expect(() => mm.releaseMemory('state', 3 * PAGE)).toThrowError(RELEASE_INVALID);
    mm.releaseMemory('state', PAGE);
    expect(mm.getReservedMemory('state')).toBe(PAGE + 1);
    mm.release('state');
    expect(mm.getReservedMemory('state')).toBe(0);
    expect(mm.availableMemory()).toBe(3 * PAGE);
  });

  it('limits owners to its table and to 64-byte keys; released owners free their entry', () => {
    const mm = manager(16, 2);
    mm.allocatePages('a', 1);
    mm.reserveMemory('b', 1);
    expect(() => mm.allocatePages('c', 1)).toThrowError(OWNERS);
    expect(() => mm.reserveMemory('x'.repeat(65), 1)).toThrowError(/more than 64/);
    mm.releaseMemory('b', 1);
    expect(mm.allocatePages('c', 1)).toHaveLength(1);
  });

  it('validates its options and arguments', () => {
    const config = expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' });
    expect(() => new MemoryManager({ pageSizeBytes: 5000 })).toThrowError(/not a power of two/);
    expect(() => new MemoryManager({ memorySizeBytes: -1 })).toThrowError(config);
    const mm = manager();
    expect(() => mm.allocatePages('a', -1)).toThrowError(config);
    expect(() => mm.reserveMemory('a', 1.5)).toThrowError(config);
    expect(mm.computeMemorySize(0.5)).toBe(8 * PAGE);
    expect(() => mm.computeMemorySize(2)).toThrowError(config);
  });

  it('is shared with workers: pages allocated there are visible here and released by owner after the worker ends', async () => {
    const mm = manager();
    const handle = mm.getHandle();
    const indices = await new Promise<number[]>((resolve, reject) => {
      const worker = new Worker(new URL('./memory-manager.worker.ts', import.meta.url), {
        workerData: { handle, owner: 'job-1/map/0' },
      });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(mm.getNumberOfPages('job-1/map/0')).toBe(3);
    expect(mm.getReservedMemory('job-1/map/0')).toBe(1000);
    for (const index of indices) {
      expect(new MemorySegment(handle.memory, index * PAGE, PAGE).getInt32(0)).toBe(index * 7);
    }
    // 3 pages and 1000 bytes are the worker's: 12 whole pages are left.
    expect(() => mm.allocatePages('other', 13)).toThrowError(EXHAUSTED);
    expect(mm.allocatePages('other', 12)).toHaveLength(12);
    expect(mm.release('job-1/map/0')).toBe(3);
    expect(mm.availableMemory()).toBe(4 * PAGE);
  });

  it('refuses a handle that is not one', () => {
    const handle = manager().getHandle();
    expect(() =>
      MemoryManager.attach({ ...handle, pageSizeBytes: 8192 } as MemoryManagerHandle),
    ).toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_HANDLE_INVALID' }));
  });
});
