/**
 * Benchmark of the network buffer pools: how many buffers a task can request and
 * recycle per second, compared with allocating a fresh 32 KiB `ArrayBuffer` per
 * operation (what code without a pool would do), measured in the same run.
 *
 * - `singleThreadOpsPerSecond`: one `LocalBufferPool` on the main thread; an operation
 *   is `requestBuffer()` + `release()` (bursts of 16 requests, then 16 releases).
 * - `twoWorkersOpsPerSecond`: the same loop in two worker threads at once, each on
 *   its own `LocalBufferPool` of one shared `NetworkBufferPool`; the sum of both.
 * - `allocatePerRecordOpsPerSecond`: `new ArrayBuffer(32768)` plus one byte written,
 *   per operation (the baseline).
 *
 * Prints one JSON line. Run: `node bench/buffer-pool.ts` (about 10 s). Figures are
 * best-of-rounds; compare ratios, not absolute values, on a shared machine.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { LocalBufferPool } from '../src/network/local-buffer-pool.ts';
import {
  NetworkBufferPool,
  type NetworkBufferPoolHandle,
} from '../src/network/network-buffer-pool.ts';

const SEGMENT_SIZE = 32 * 1024;
const BURST = 16;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Request/release operations per second over one round of about ROUND_MS. */
function poolRound(pool: LocalBufferPool): number {
  const buffers = new Array(BURST);
  let operations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (let batch = 0; batch < 1000; batch++) {
      for (let i = 0; i < BURST; i++) buffers[i] = pool.requestBuffer();
      for (let i = 0; i < BURST; i++) buffers[i].release();
    }
    operations += 1000 * BURST;
    elapsed = performance.now() - start;
  }
  return (operations / elapsed) * 1000;
}

function bestOf(round: () => number): number {
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) best = Math.max(best, round());
  return best;
}

let sink = 0;
function allocateRound(): number {
  let operations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (let i = 0; i < 1000; i++) {
      const memory = new Uint8Array(new ArrayBuffer(SEGMENT_SIZE));
      memory[i & 1023] = i;
      sink += memory[0]!;
    }
    operations += 1000;
    elapsed = performance.now() - start;
  }
  return (operations / elapsed) * 1000;
}

/** Runs the pool loop in two workers, started together after their warm-up. */
async function runWorkers(handle: NetworkBufferPoolHandle): Promise<number> {
  const start = new Int32Array(new SharedArrayBuffer(4));
  const workers = [0, 1].map(
    () => new Worker(new URL(import.meta.url), { workerData: { handle, start: start.buffer } }),
  );
  const ready = workers.map((worker) => nextMessage(worker));
  await Promise.all(ready);
  const figures = workers.map((worker) => nextMessage(worker));
  Atomics.store(start, 0, 1);
  Atomics.notify(start, 0);
  const [a, b] = await Promise.all(figures);
  return a! + b!;
}

function nextMessage(worker: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

if (isMainThread) {
  const network = new NetworkBufferPool({ numberOfSegments: 256, segmentSizeBytes: SEGMENT_SIZE });
  const pool = network.createBufferPool({
    numberOfRequiredSegments: BURST,
    maxNumberOfSegments: 64,
  });
  const singleThreadOpsPerSecond = bestOf(() => poolRound(pool));
  pool.destroy();
  const twoWorkersOpsPerSecond = await runWorkers(network.getHandle());
  const allocatePerRecordOpsPerSecond = bestOf(allocateRound);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'buffer-pool',
      singleThreadOpsPerSecond: Math.round(singleThreadOpsPerSecond),
      twoWorkersOpsPerSecond: Math.round(twoWorkersOpsPerSecond),
      allocatePerRecordOpsPerSecond: Math.round(allocatePerRecordOpsPerSecond),
    })}\n`,
  );
  if (sink < 0) process.stderr.write('unreachable\n'); // keeps the allocations observable
} else {
  const { handle, start } = workerData as {
    handle: NetworkBufferPoolHandle;
    start: SharedArrayBuffer;
  };
  const network = NetworkBufferPool.attach(handle);
  const pool = network.createBufferPool({
    numberOfRequiredSegments: BURST,
    maxNumberOfSegments: 64,
  });
  poolRound(pool); // warm up, then wait for the other worker
  parentPort!.postMessage(0);
  Atomics.wait(new Int32Array(start), 0, 0);
  const figure = bestOf(() => poolRound(pool));
  pool.destroy();
  parentPort!.postMessage(figure);
}
