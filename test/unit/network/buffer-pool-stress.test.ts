import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { NO_OWNER } from '../../../src/network/buffer-pool-layout.ts';
import { NetworkBufferPool } from '../../../src/network/network-buffer-pool.ts';
import {
  RING_CAPACITY,
  S_CORRUPTIONS,
  S_VIOLATIONS,
  SHARED_HEADER,
  type StressWorkerData,
  type StressWorkerResult,
} from './buffer-pool-stress-shared.ts';

const OPERATIONS = 1_000_000;
const SEGMENTS = 64;

function runWorker(data: StressWorkerData): Promise<StressWorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./buffer-pool-stress.worker.ts', import.meta.url), {
      workerData: data,
    });
    worker.once('message', (message: { result?: StressWorkerResult; error?: string }) => {
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.result!);
    });
    worker.once('error', reject);
    // Settles nothing if a result came first; otherwise a silent exit fails the test.
    worker.once('exit', (code) =>
      reject(new Error(`stress worker exited (${code}) without a result`)),
    );
  });
}

describe('NetworkBufferPool under two worker threads', () => {
  it(`${OPERATIONS} request/recycle operations per worker lose no segment and never lend one twice`, async () => {
    const network = new NetworkBufferPool({
      numberOfSegments: SEGMENTS,
      segmentSizeBytes: 4096,
      maxBufferPools: 8,
    });
    const shared = new Int32Array(new SharedArrayBuffer((SHARED_HEADER + SEGMENTS) * 4));
    const rings: [SharedArrayBuffer, SharedArrayBuffer] = [
      new SharedArrayBuffer((2 + RING_CAPACITY) * 4),
      new SharedArrayBuffer((2 + RING_CAPACITY) * 4),
    ];
    const handle = network.getHandle();
    const results = await Promise.all(
      [0, 1].map((me) =>
        runWorker({ handle, me, operations: OPERATIONS, shared: shared.buffer, rings }),
      ),
    );

    for (const result of results) {
      expect(result.operations).toBeGreaterThanOrEqual(OPERATIONS);
      // Exercised what it should: cross-thread recycles, broadcasts, exhaustion and waits.
      expect(result.received).toBeGreaterThan(10_000);
      expect(result.broadcasts).toBeGreaterThan(1_000);
      expect(result.waits).toBeGreaterThan(0);
      expect(result.maxUsage).toBe(1);
      // Every availability future resolved, before destroy() could resolve it.
      expect(result.futuresResolved).toBe(result.futuresCreated);
      expect(result.pendingAfterDestroy).toBe(false);
    }
    expect(Atomics.load(shared, S_VIOLATIONS)).toBe(0);
    expect(Atomics.load(shared, S_CORRUPTIONS)).toBe(0);
    for (let i = 0; i < SEGMENTS; i++) expect(shared[SHARED_HEADER + i], `holders of ${i}`).toBe(0);

    expect(network.getNumberOfAvailableMemorySegments()).toBe(SEGMENTS);
    expect(network.getNumberOfUsedMemorySegments()).toBe(0);
    expect(network.getNumberOfRegisteredBufferPools()).toBe(0);
    const ctl = network.ctl;
    for (let i = 0; i < SEGMENTS; i++) {
      expect(ctl[network.layout.segOwner + i], `owner of ${i}`).toBe(NO_OWNER);
      expect(ctl[network.layout.segRefCount + i]! & 0xffff, `refCount of ${i}`).toBe(0);
    }
    // The free list holds each segment exactly once.
    const popped = new Int32Array(SEGMENTS + 1);
    expect(network.freeList.popMany(popped, 0, SEGMENTS + 1)).toBe(SEGMENTS);
    expect(new Set(popped.subarray(0, SEGMENTS)).size).toBe(SEGMENTS);
  });
});
