/**
 * Worker of `shared-free-list.test.ts`: pops and pushes entries of one shared free
 * list as fast as it can, checking a holder map (an entry is popped by one thread at a
 * time), and increments a plain counter under the shared mutex.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SharedFreeList } from '../../../src/memory/shared-free-list.ts';
import { lockMutex, unlockMutex } from '../../../src/memory/shared-mutex.ts';
import { FL, type FreeListWorkerData } from './shared-free-list-shared.ts';

const data = workerData as FreeListWorkerData;
const ctl = new Int32Array(data.control);
const list = new SharedFreeList(ctl, FL.HEAD, FL.LOCK, FL.COUNT, FL.NEXT, data.entries);
const held = new Int32Array(8);
let violations = 0;
for (let round = 0; round < data.rounds; round++) {
  const n = round % 3 === 0 ? list.popMany(held, 0, 1 + (round % 8)) : popOne();
  for (let k = 0; k < n; k++) {
    if (Atomics.compareExchange(ctl, FL.HOLDERS + held[k]!, 0, 1) !== 0) violations++;
  }
  for (let k = 0; k < n; k++) {
    Atomics.store(ctl, FL.HOLDERS + held[k]!, 0);
    list.push(held[k]!);
  }
  lockMutex(ctl, FL.MUTEX);
  ctl[FL.COUNTER] = ctl[FL.COUNTER]! + 1;
  unlockMutex(ctl, FL.MUTEX);
}
parentPort!.postMessage({ violations });

function popOne(): number {
  const entry = list.pop();
  if (entry < 0) return 0;
  held[0] = entry;
  return 1;
}
