import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { END_OF_LIST, SharedFreeList } from '../../../src/memory/shared-free-list.ts';
import { FL, type FreeListWorkerData } from './shared-free-list-shared.ts';

const ENTRIES = 32;

function newList(entries = ENTRIES): [SharedFreeList, Int32Array] {
  const ctl = new Int32Array(new SharedArrayBuffer((FL.HOLDERS + entries) * 4));
  const list = new SharedFreeList(ctl, FL.HEAD, FL.LOCK, FL.COUNT, FL.NEXT, entries);
  list.initializeFull();
  return [list, ctl];
}

describe('SharedFreeList', () => {
  it('starts full and pops 0, 1, 2, … then END_OF_LIST', () => {
    const [list] = newList(3);
    expect(list.size()).toBe(3);
    expect([list.pop(), list.pop(), list.pop()]).toEqual([0, 1, 2]);
    expect(list.pop()).toBe(END_OF_LIST);
    expect(list.isEmpty()).toBe(true);
    expect(list.size()).toBe(0);
  });

  it('is a stack: the last pushed entry comes out first', () => {
    const [list] = newList(4);
    const a = list.pop();
    const b = list.pop();
    list.push(a);
    list.push(b);
    expect(list.pop()).toBe(b);
    expect(list.pop()).toBe(a);
    expect(list.size()).toBe(2);
  });

  it('pops many at once into an array at an offset', () => {
    const [list] = newList(5);
    const out = new Int32Array(8).fill(-9);
    expect(list.popMany(out, 2, 3)).toBe(3);
    expect([...out.subarray(0, 6)]).toEqual([-9, -9, 0, 1, 2, -9]);
    expect(list.popMany(out, 0, 10)).toBe(2);
    expect(list.popMany(out, 0, 10)).toBe(0);
    expect(list.popMany(out, 0, 0)).toBe(0);
  });

  it('hands each entry to one thread at a time under two workers, and loses none', async () => {
    const [list, ctl] = newList();
    const rounds = 200_000;
    const run = () =>
      new Promise<{ violations: number }>((resolve, reject) => {
        const data: FreeListWorkerData = {
          control: ctl.buffer as SharedArrayBuffer,
          entries: ENTRIES,
          rounds,
        };
        const worker = new Worker(new URL('./shared-free-list.worker.ts', import.meta.url), {
          workerData: data,
        });
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) =>
          reject(new Error(`worker exited (${code}) without a result`)),
        );
      });
    const results = await Promise.all([run(), run()]);
    expect(results.map((r) => r.violations)).toEqual([0, 0]);
    // The mutex serialised every plain increment.
    expect(ctl[FL.COUNTER]).toBe(2 * rounds);
    expect(list.size()).toBe(ENTRIES);
    const all = new Int32Array(ENTRIES + 1);
    expect(list.popMany(all, 0, ENTRIES + 1)).toBe(ENTRIES);
    expect(new Set(all.subarray(0, ENTRIES)).size).toBe(ENTRIES);
  });
});
