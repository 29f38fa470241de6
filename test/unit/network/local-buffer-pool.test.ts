import { describe, expect, it } from 'vitest';
import { AVAILABLE } from '../../../src/network/availability-provider.ts';
import type { Buffer } from '../../../src/network/buffer.ts';
import type { LocalBufferPoolOptions } from '../../../src/network/local-buffer-pool.ts';
import { NetworkBufferPool } from '../../../src/network/network-buffer-pool.ts';

const DESTROYED = expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_POOL_DESTROYED' });
const CONFIG = expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' });

function setUp(segments: number, options: Partial<LocalBufferPoolOptions>) {
  const network = new NetworkBufferPool({ numberOfSegments: segments, segmentSizeBytes: 128 });
  return { network, pool: network.createBufferPool(options) };
}

function drain(request: () => Buffer | null): Buffer[] {
  const buffers: Buffer[] = [];
  for (let b = request(); b !== null; b = request()) buffers.push(b);
  return buffers;
}

/** Whether a promise has settled, after letting queued callbacks run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 5));
  return done;
}

describe('LocalBufferPool', () => {
  it('lends up to its size without blocking, then returns null and reports unavailable', () => {
    const { network, pool } = setUp(10, { numberOfRequiredSegments: 2, maxNumberOfSegments: 4 });
    expect(pool.getNumBuffers()).toBe(4);
    expect(pool.isAvailable()).toBe(true);
    expect(pool.getAvailableFuture()).toBe(AVAILABLE);
    const buffers = drain(() => pool.requestBuffer());
    expect(buffers).toHaveLength(4);
    expect(new Set(buffers.map((b) => b.segmentIndex)).size).toBe(4);
    expect(pool.isAvailable()).toBe(false);
    expect(pool.getUsage()).toBe(1);
    expect(pool.bestEffortGetNumOfUsedBuffers()).toBe(4);
    expect(pool.getNumberOfRequestedMemorySegments()).toBe(4);
    expect(network.getNumberOfUsedMemorySegments()).toBe(4);
    for (const b of buffers) b.release();
    expect(pool.getUsage()).toBe(0);
    expect(pool.getNumberOfAvailableMemorySegments()).toBe(4);
  });

  it('resolves its availability future when a buffer is recycled, and not before', async () => {
    const { pool } = setUp(4, { numberOfRequiredSegments: 4, maxNumberOfSegments: 4 });
    const buffers = drain(() => pool.requestBuffer());
    const future = pool.getAvailableFuture();
    expect(future).not.toBe(AVAILABLE);
    expect(pool.getAvailableFuture()).toBe(future);
    expect(await settled(future)).toBe(false);
    buffers.pop()!.release();
    await future;
    expect(pool.isAvailable()).toBe(true);
    expect(pool.requestBuffer()).not.toBeNull();
  });

  it('caps buffers per channel: a channel at the cap gets null and makes the pool unavailable', async () => {
    const { pool } = setUp(10, {
      numberOfRequiredSegments: 8,
      maxNumberOfSegments: 8,
      numberOfSubpartitions: 2,
      maxBuffersPerChannel: 2,
    });
    const first = pool.requestBuffer(0)!;
    pool.requestBuffer(0);
    expect(pool.requestBuffer(0)).toBeNull();
    expect(pool.isAvailable()).toBe(false);
    const other = pool.requestBuffer(1);
    expect(other).not.toBeNull();
    const future = pool.getAvailableFuture();
    other!.release();
    expect(await settled(future)).toBe(false);
    first.release();
    await future;
    expect(pool.isAvailable()).toBe(true);
    expect(pool.requestBuffer(0)).not.toBeNull();
    expect(() => pool.requestBuffer(2)).toThrowError(CONFIG);
  });

  it('waits for segments another pool returns to the global free list', async () => {
    const { network, pool: big } = setUp(10, {
      numberOfRequiredSegments: 2,
      maxNumberOfSegments: 10,
    });
    const held = drain(() => big.requestBuffer());
    expect(held).toHaveLength(10);
    // A new pool takes part of the excess: big shrinks to 5, but all its 10 are in use.
    const small = network.createBufferPool({ numberOfRequiredSegments: 5, maxNumberOfSegments: 5 });
    expect(big.getNumBuffers()).toBe(5);
    expect(small.getNumBuffers()).toBe(5);
    expect(small.requestBuffer()).toBeNull();
    const future = small.getAvailableFuture();
    expect(await settled(future)).toBe(false);
    held.pop()!.release(); // big is over its size: the segment goes to the global list
    await future;
    expect(small.requestBuffer()).not.toBeNull();
    expect(big.getNumberOfRequestedMemorySegments()).toBe(9);
  });

  it('returns cached segments beyond a smaller size at once', () => {
    const { network, pool } = setUp(10, { numberOfRequiredSegments: 2, maxNumberOfSegments: 10 });
    for (const b of drain(() => pool.requestBuffer())) b.release();
    expect(network.getNumberOfAvailableMemorySegments()).toBe(0);
    pool.setNumBuffers(3);
    expect(pool.getNumBuffers()).toBe(3);
    expect(network.getNumberOfAvailableMemorySegments()).toBe(7);
    expect(() => pool.setNumBuffers(1)).toThrowError(CONFIG);
  });

  it('after destroy(): requests throw, buffers in use go to the global list when released', async () => {
    const { network, pool } = setUp(4, { numberOfRequiredSegments: 4, maxNumberOfSegments: 4 });
    const buffers = drain(() => pool.requestBuffer());
    buffers.pop()!.release();
    buffers.pop()!.release();
    pool.requestBuffer();
    pool.requestBuffer();
    const future = pool.getAvailableFuture();
    pool.destroy();
    await future;
    pool.destroy();
    expect(pool.isDestroyed()).toBe(true);
    expect(() => pool.requestBuffer()).toThrowError(DESTROYED);
    expect(() => pool.setNumBuffers(4)).toThrowError(DESTROYED);
    expect(pool.isAvailable()).toBe(true);
    expect(network.getNumberOfRegisteredBufferPools()).toBe(0);
    expect(network.getNumberOfAvailableMemorySegments()).toBe(0);
    for (const b of buffers) b.release();
    expect(network.getNumberOfAvailableMemorySegments()).toBe(2);
  });

  it('validates its options', () => {
    const network = new NetworkBufferPool({ numberOfSegments: 4, segmentSizeBytes: 128 });
    expect(() =>
      network.createBufferPool({ numberOfRequiredSegments: 3, maxNumberOfSegments: 2 }),
    ).toThrowError(/maxNumberOfSegments = 2 is below numberOfRequiredSegments = 3/);
    expect(() => network.createBufferPool({ numberOfRequiredSegments: 0 })).toThrowError(CONFIG);
    expect(() => network.createBufferPool({ maxBuffersPerChannel: 0 })).toThrowError(CONFIG);
    expect(network.getNumberOfRegisteredBufferPools()).toBe(0);
  });
});
