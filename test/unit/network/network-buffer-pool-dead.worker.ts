/**
 * Worker of `network-buffer-pool.test.ts`: creates a pool, keeps buffers in use and
 * in its cache, hands one to the main thread, reports its pool id, then hangs until
 * it is terminated — a worker that dies holding segments.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  NetworkBufferPool,
  type NetworkBufferPoolHandle,
} from '../../../src/network/network-buffer-pool.ts';

const network = NetworkBufferPool.attach(workerData as NetworkBufferPoolHandle);
const pool = network.createBufferPool({ numberOfRequiredSegments: 4, maxNumberOfSegments: 6 });
const held = [pool.requestBuffer()!, pool.requestBuffer()!, pool.requestBuffer()!];
pool.requestBuffer()!.release(); // one in the cache
const shared = held[0]!.retain(); // one reference for the main thread
shared.getMemorySegment().putInt32(0, 0x5eed);
shared.setSize(4);
parentPort!.postMessage({ poolId: pool.id, segmentIndex: shared.segmentIndex, size: 4 });
setInterval(() => held.length, 1000);
