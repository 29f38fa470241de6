/**
 * One side of the buffer pool stress test (`buffer-pool-stress.test.ts`): requests
 * and recycles buffers of its own LocalBufferPool as fast as it can, hands part of
 * them to the other worker through a shared ring (recycled there, on the other
 * thread), broadcasts some (retain + two hand-overs), waits on the availability
 * future whenever the pool is exhausted, and checks an ownership map shared with the
 * other worker: a segment is lent to one holder at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AVAILABLE } from '../../../src/network/availability-provider.ts';
import type { Buffer } from '../../../src/network/buffer.ts';
import { NetworkBufferPool } from '../../../src/network/network-buffer-pool.ts';
import {
  RING_CAPACITY,
  S_CORRUPTIONS,
  S_DONE,
  S_PHASE,
  S_PROGRESS,
  S_VIOLATIONS,
  SHARED_HEADER,
  type StressWorkerData,
  type StressWorkerResult,
} from './buffer-pool-stress-shared.ts';

const R_HEAD = 0;
const R_TAIL = 1;
const R_ENTRIES = 2;

const data = workerData as StressWorkerData;
const network = NetworkBufferPool.attach(data.handle);
const shared = new Int32Array(data.shared);
const holders = SHARED_HEADER;
const inbound = new Int32Array(data.rings[data.me]!);
const outbound = new Int32Array(data.rings[1 - data.me]!);
const me = data.me;

const pool = network.createBufferPool({
  numberOfRequiredSegments: 8,
  maxNumberOfSegments: 40,
  numberOfSubpartitions: 2,
  maxBuffersPerChannel: 24,
});

let seed = 0x9e3779b9 ^ (me + 1);
function random(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

function violation(): void {
  Atomics.add(shared, S_VIOLATIONS, 1);
}

/**
 * Claims a freshly lent segment in the holder map (references held per segment): it
 * must have had no holder. Every holder leaves the map before it releases, so the
 * count is 0 by the time the last release recycles the segment.
 */
function claim(buffer: Buffer, sequence: number): void {
  if (Atomics.compareExchange(shared, holders + buffer.segmentIndex, 0, 1) !== 0) violation();
  const segment = buffer.getMemorySegment();
  segment.putInt32(0, me);
  segment.putInt32(4, sequence);
  segment.putInt32(segment.size - 4, sequence ^ 0x5a5a5a5a);
  buffer.setSize(segment.size);
}

/** Checks the bytes, leaves the holder map, then releases one reference. */
function releaseChecked(buffer: Buffer): void {
  const segment = buffer.getMemorySegment();
  if ((segment.getInt32(4) ^ 0x5a5a5a5a) !== segment.getInt32(segment.size - 4)) {
    Atomics.add(shared, S_CORRUPTIONS, 1);
  }
  if (Atomics.sub(shared, holders + buffer.segmentIndex, 1) < 1) violation();
  buffer.release();
}

/** Drops a reference that was counted for the other worker but could not be sent. */
function releaseUnsent(buffer: Buffer): void {
  Atomics.sub(shared, holders + buffer.segmentIndex, 1);
  buffer.release();
}

function push(ring: Int32Array, segmentIndex: number): boolean {
  const tail = Atomics.load(ring, R_TAIL);
  if (tail - Atomics.load(ring, R_HEAD) >= RING_CAPACITY) return false;
  Atomics.store(ring, R_ENTRIES + (tail % RING_CAPACITY), segmentIndex);
  Atomics.store(ring, R_TAIL, tail + 1);
  Atomics.notify(ring, R_TAIL);
  return true;
}

let received = 0;
function drainInbound(): void {
  let head = Atomics.load(inbound, R_HEAD);
  const tail = Atomics.load(inbound, R_TAIL);
  while (head !== tail) {
    const segmentIndex = Atomics.load(inbound, R_ENTRIES + (head % RING_CAPACITY));
    head++;
    Atomics.store(inbound, R_HEAD, head);
    releaseChecked(network.wrap(segmentIndex, network.segmentSizeBytes));
    received++;
  }
}

/** Resolves when the other worker pushes into our ring (no timeout: a lost pool wake-up hangs the test). */
function inboundSignal(timeoutMs?: number): Promise<unknown> | null {
  const tail = Atomics.load(inbound, R_TAIL);
  if (tail !== Atomics.load(inbound, R_HEAD)) return null;
  const wait = Atomics.waitAsync(inbound, R_TAIL, tail, timeoutMs);
  return wait.async ? wait.value : null;
}

async function run(): Promise<StressWorkerResult> {
  const held: Buffer[] = [];
  const seenFutures = new Set<Promise<void>>();
  let futuresResolved = 0;
  let operations = 0;
  let handedOver = 0;
  let broadcasts = 0;
  let waits = 0;
  let maxUsage = 0;
  while (operations < data.operations) {
    drainInbound();
    const burst = 1 + random(12);
    for (let k = 0; k < burst; k++) {
      const buffer = pool.requestBuffer(random(2));
      if (buffer === null) break;
      claim(buffer, operations++);
      Atomics.store(shared, S_PROGRESS + me, operations);
      held.push(buffer);
    }
    maxUsage = Math.max(maxUsage, pool.getUsage());
    for (const buffer of held) {
      const choice = random(8);
      if (choice === 0) {
        // Broadcast: two references for the other worker, ours released.
        Atomics.add(shared, holders + buffer.segmentIndex, 2);
        buffer.retain().retain();
        const first = push(outbound, buffer.segmentIndex);
        const second = first && push(outbound, buffer.segmentIndex);
        if (!first) releaseUnsent(buffer);
        if (!second) releaseUnsent(buffer);
        releaseChecked(buffer);
        if (second) broadcasts++;
      } else if (choice < 4 && push(outbound, buffer.segmentIndex)) {
        handedOver++;
      } else {
        releaseChecked(buffer);
      }
    }
    held.length = 0;
    if (!pool.isAvailable()) {
      drainInbound();
      const future = pool.getAvailableFuture();
      if (future !== AVAILABLE) {
        waits++;
        if (!seenFutures.has(future)) {
          seenFutures.add(future);
          void future.then(() => futuresResolved++);
        }
        const signal = inboundSignal();
        Atomics.store(shared, S_PHASE + me, signal === null ? 2 : 3);
        await (signal === null ? future : Promise.race([future, signal]));
        Atomics.store(shared, S_PHASE + me, 1);
      }
    }
  }
  // Our part is done; keep recycling what the other worker sends until it is done too.
  Atomics.add(shared, S_DONE, 1);
  while (Atomics.load(shared, S_DONE) < 2) {
    Atomics.store(shared, S_PHASE + me, 4);
    drainInbound();
    Atomics.store(shared, S_PHASE + me, 5);
    await (inboundSignal(5) ?? Promise.resolve());
  }
  drainInbound();
  // Every buffer is back: every future must have resolved without destroy()'s help.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const resolvedBeforeDestroy = futuresResolved;
  pool.destroy();
  await new Promise((resolve) => setTimeout(resolve, 0));
  return {
    me,
    poolId: pool.id,
    operations,
    handedOver,
    broadcasts,
    received,
    waits,
    futuresCreated: seenFutures.size,
    futuresResolved: resolvedBeforeDestroy,
    pendingAfterDestroy: pool.getAvailableFuture() !== AVAILABLE,
    maxUsage,
  };
}

// A pending Atomics.waitAsync does not keep a worker's event loop alive: this does.
const keepAlive = setInterval(() => {}, 1000);
run()
  .finally(() => clearInterval(keepAlive))
  .then(
    (result) => parentPort!.postMessage({ result }),
    (error: unknown) => parentPort!.postMessage({ error: String((error as Error).stack ?? error) }),
  );
