/**
 * Worker of `memory-manager.test.ts`: attaches to the managed memory, allocates pages
 * for its owner, writes into them and reports their indices (a state backend in a
 * task slot).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MemoryManager, type MemoryManagerHandle } from '../../../src/memory/memory-manager.ts';

const { handle, owner } = workerData as { handle: MemoryManagerHandle; owner: string };
const manager = MemoryManager.attach(handle);
const pages = manager.allocatePages(owner, 3);
for (const page of pages) page.putInt32(0, page.segmentIndex * 7);
manager.reserveMemory(owner, 1000);
parentPort!.postMessage(pages.map((p) => p.segmentIndex));
