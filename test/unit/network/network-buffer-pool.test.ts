import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { AVAILABLE } from '../../../src/network/availability-provider.ts';
import { NO_OWNER } from '../../../src/network/buffer-pool-layout.ts';
import {
  NetworkBufferPool,
  type NetworkBufferPoolHandle,
} from '../../../src/network/network-buffer-pool.ts';

const RECYCLED = expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_BUFFER_RECYCLED' });

function network(numberOfSegments = 16, maxBufferPools = 8): NetworkBufferPool {
  return new NetworkBufferPool({ numberOfSegments, segmentSizeBytes: 128, maxBufferPools });
}

/** Owner of every segment, from the shared owner table. */
function owners(pool: NetworkBufferPool): number[] {
  return Array.from(
    pool.ctl.subarray(pool.layout.segOwner, pool.layout.segOwner + pool.numberOfSegments),
  );
}

describe('NetworkBufferPool', () => {
  it('reserves its segments once and reports Flink’s segment metrics', () => {
    const pool = new NetworkBufferPool({ numberOfSegments: 8, segmentSizeBytes: 4096 });
    expect(pool.getHandle().memory.byteLength).toBe(8 * 4096);
    expect(pool.getTotalNumberOfMemorySegments()).toBe(8);
    expect(pool.getNumberOfAvailableMemorySegments()).toBe(8);
    expect(pool.getNumberOfUsedMemorySegments()).toBe(0);
    const local = pool.createBufferPool({ numberOfRequiredSegments: 3 });
    local.requestBuffer();
    expect(pool.getNumberOfUsedMemorySegments()).toBeGreaterThanOrEqual(1);
    expect(pool.getNumberOfRequiredMemorySegments()).toBe(3);
    expect(pool.getSegment(7).offset).toBe(7 * 4096);
    expect(pool.getSegment(7)).toBe(pool.getSegment(7));
    expect(() => pool.getSegment(8)).toThrowError(/outside the network buffer pool's 8 segments/);
  });

  it('validates its options', () => {
    expect(() => new NetworkBufferPool({ segmentSizeBytes: 3000 })).toThrowError(
      /not a power of two; set taskmanager.memory.segment-size/,
    );
    expect(() => new NetworkBufferPool({ numberOfSegments: 0 })).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }),
    );
  });

  it('refuses a pool whose required segments exceed what is left, naming the numbers and keys', () => {
    const pool = network(16);
    pool.createBufferPool({ numberOfRequiredSegments: 12 });
    expect(() => pool.createBufferPool({ numberOfRequiredSegments: 5 })).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_NETWORK_BUFFERS_INSUFFICIENT',
        message: expect.stringMatching(
          /required 5, but only 4 of 16 segments.*taskmanager\.memory\.network\.fraction/,
        ),
      }),
    );
    expect(pool.getNumberOfRegisteredBufferPools()).toBe(1);
  });

  it('refuses more pools than its table holds, and reuses entries of destroyed pools', () => {
    const pool = network(16, 2);
    const a = pool.createBufferPool();
    pool.createBufferPool();
    expect(() => pool.createBufferPool()).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_POOL_TABLE_FULL' }),
    );
    a.destroy();
    expect(pool.createBufferPool().id).toBe(a.id);
  });

  it('redistributes the excess as pools come and go', () => {
    const pool = network(20);
    const a = pool.createBufferPool({ numberOfRequiredSegments: 2, maxNumberOfSegments: 100 });
    expect(a.getNumBuffers()).toBe(20);
    const b = pool.createBufferPool({ numberOfRequiredSegments: 2, maxNumberOfSegments: 100 });
    expect([a.getNumBuffers(), b.getNumBuffers()]).toEqual([10, 10]);
    const c = pool.createBufferPool({ numberOfRequiredSegments: 4, maxNumberOfSegments: 4 });
    expect([a.getNumBuffers(), b.getNumBuffers(), c.getNumBuffers()]).toEqual([8, 8, 4]);
    b.destroy();
    expect([a.getNumBuffers(), c.getNumBuffers()]).toEqual([16, 4]);
  });

  it('an idle pool on another thread gives back its cached excess when a new pool needs it', async () => {
    const main = network(8);
    const idle = main.createBufferPool({ numberOfRequiredSegments: 1, maxNumberOfSegments: 8 });
    const all = [1, 2, 3, 4, 5, 6, 7, 8].map(() => idle.requestBuffer()!);
    for (const buffer of all) buffer.release(); // all 8 now sit in the idle pool's cache
    expect(main.getNumberOfAvailableMemorySegments()).toBe(0);
    const other = NetworkBufferPool.attach(main.getHandle()); // stands for another thread
    const pool = other.createBufferPool({ numberOfRequiredSegments: 4, maxNumberOfSegments: 4 });
    expect(pool.requestBuffer()).toBeNull();
    // The idle pool's thread watches the table and trims it; the new pool wakes up.
    await pool.getAvailableFuture();
    expect(idle.getNumBuffers()).toBe(4);
    expect(pool.requestBuffer()).not.toBeNull();
  });

  it('hands a buffer to another thread by index: the receiver wraps it and its release recycles it to the owner', async () => {
    const main = network(4);
    const other = NetworkBufferPool.attach(main.getHandle()); // stands for another thread
    const pool = main.createBufferPool({ numberOfRequiredSegments: 4, maxNumberOfSegments: 4 });
    const buffers = [1, 2, 3, 4].map(() => pool.requestBuffer()!);
    const sent = buffers[0]!;
    sent.getMemorySegment().putInt64Number(0, 1234567890123);
    sent.setSize(8);
    const future = pool.getAvailableFuture();
    expect(future).not.toBe(AVAILABLE);

    const received = other.wrap(sent.segmentIndex, sent.getSize());
    expect(received.getMemorySegment().getInt64Number(0)).toBe(1234567890123);
    expect(received.readableBytes()).toBe(8);
    expect(received.refCnt()).toBe(1);
    received.release();
    await future; // woken through shared memory, not by a call on this pool
    expect(pool.requestBuffer()!.segmentIndex).toBe(sent.segmentIndex);
    expect(() => received.release()).toThrowError(RECYCLED);
  });

  it('broadcasts one buffer to several receivers with reference counts', () => {
    const main = network(4);
    const pool = main.createBufferPool({ numberOfRequiredSegments: 4, maxNumberOfSegments: 4 });
    const buffer = pool.requestBuffer()!;
    const cached = pool.getNumberOfAvailableMemorySegments();
    buffer.retain().retain(); // one reference per receiver, plus the writer's
    const receivers = [1, 2].map(() => NetworkBufferPool.attach(main.getHandle()));
    const views = receivers.map((r) => r.wrap(buffer.segmentIndex, 0));
    buffer.release();
    views[0]!.release();
    expect(pool.bestEffortGetNumOfUsedBuffers()).toBe(1);
    views[1]!.release();
    expect(pool.bestEffortGetNumOfUsedBuffers()).toBe(0);
    expect(pool.getNumberOfAvailableMemorySegments()).toBe(cached + 1);
  });

  it('refuses to wrap a segment nobody holds', () => {
    const main = network(4);
    expect(() => main.wrap(2, 0)).toThrowError(RECYCLED);
    expect(() => main.wrap(9, 0)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_OUT_OF_BOUNDS' }),
    );
  });

  it('refuses a handle that is not one', () => {
    const handle = network(4).getHandle();
    const invalid = expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_HANDLE_INVALID' });
    expect(() =>
      NetworkBufferPool.attach({ ...handle, kind: 'x' } as unknown as NetworkBufferPoolHandle),
    ).toThrowError(invalid);
    expect(() => NetworkBufferPool.attach({ ...handle, numberOfSegments: 5 })).toThrowError(
      invalid,
    );
    expect(() =>
      NetworkBufferPool.attach({
        ...handle,
        control: new SharedArrayBuffer(handle.control.byteLength),
      }),
    ).toThrowError(invalid);
  });

  it('reclaims the segments of a pool whose thread is gone; held ones when their holders release, or by force', () => {
    const main = network(8);
    const dead = NetworkBufferPool.attach(main.getHandle()); // the dead worker's instance
    const pool = dead.createBufferPool({ numberOfRequiredSegments: 4, maxNumberOfSegments: 6 });
    const held = [1, 2, 3, 4].map(() => pool.requestBuffer()!);
    held.pop()!.release(); // cached by the dead thread
    const consumer = NetworkBufferPool.attach(main.getHandle()); // a live consumer
    const inFlight = consumer.wrap(held[0]!.retain().segmentIndex, 0);

    // The pool took 6 (its size): 3 in use, 3 cached by the dead thread; 2 stayed free.
    expect(main.reclaimBufferPools([pool.id])).toBe(3);
    expect(main.getNumberOfRegisteredBufferPools()).toBe(0);
    expect(main.getNumberOfAvailableMemorySegments()).toBe(5);
    inFlight.release(); // the consumer lets go: straight to the free list
    expect(main.getNumberOfAvailableMemorySegments()).toBe(5);
    expect(main.reclaimBufferPools([pool.id], { force: true })).toBe(3);
    expect(main.getNumberOfAvailableMemorySegments()).toBe(8);
    expect(owners(main).every((o) => o === NO_OWNER)).toBe(true);
    expect(() => held[1]!.release()).toThrowError(RECYCLED);
  });

  it('takes back every segment of a worker that was terminated while holding buffers', async () => {
    const main = network(8);
    const worker = new Worker(new URL('./network-buffer-pool-dead.worker.ts', import.meta.url), {
      workerData: main.getHandle(),
    });
    const message = await new Promise<{ poolId: number; segmentIndex: number; size: number }>(
      (resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      },
    );
    const view = main.wrap(message.segmentIndex, message.size);
    expect(view.getMemorySegment().getInt32(0)).toBe(0x5eed);
    await worker.terminate();
    expect(main.getNumberOfUsedMemorySegments()).toBeGreaterThanOrEqual(4);

    main.reclaimBufferPools([message.poolId]);
    view.release();
    main.reclaimBufferPools([message.poolId], { force: true });
    expect(main.getNumberOfAvailableMemorySegments()).toBe(8);
    expect(owners(main).every((o) => o === NO_OWNER)).toBe(true);
    expect(main.createBufferPool({ numberOfRequiredSegments: 8 }).getNumBuffers()).toBe(8);
  });
});
