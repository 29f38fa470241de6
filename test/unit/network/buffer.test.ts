import { describe, expect, it } from 'vitest';
import { Buffer } from '../../../src/network/buffer.ts';
import { NetworkBufferPool } from '../../../src/network/network-buffer-pool.ts';

const RECYCLED = expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_BUFFER_RECYCLED' });
const OUT_OF_BOUNDS = expect.objectContaining({ code: 'SLUICE_ERR_MEMORY_OUT_OF_BOUNDS' });

function pool(segments = 4) {
  const network = new NetworkBufferPool({ numberOfSegments: segments, segmentSizeBytes: 256 });
  return { network, local: network.createBufferPool({ numberOfRequiredSegments: segments }) };
}

describe('Buffer', () => {
  it('tracks size and reader index within the segment', () => {
    const buffer = Buffer.allocateUnpooled(64);
    expect(buffer.getMaxCapacity()).toBe(64);
    expect(buffer.getSize()).toBe(0);
    buffer.setSize(40);
    buffer.setReaderIndex(10);
    expect(buffer.readableBytes()).toBe(30);
    expect(() => buffer.setSize(65)).toThrowError(OUT_OF_BOUNDS);
    expect(() => buffer.setSize(9)).toThrowError(OUT_OF_BOUNDS);
    expect(() => buffer.setReaderIndex(41)).toThrowError(OUT_OF_BOUNDS);
    expect(() => buffer.setReaderIndex(-1)).toThrowError(OUT_OF_BOUNDS);
  });

  it('is recycled to its pool exactly once, after the last of its references', () => {
    const { local } = pool();
    const buffer = local.requestBuffer()!;
    expect(buffer.refCnt()).toBe(1);
    buffer.retain().retain();
    expect(buffer.refCnt()).toBe(3);
    const cachedBefore = local.getNumberOfAvailableMemorySegments();
    buffer.release();
    buffer.release();
    expect(buffer.isRecycled()).toBe(false);
    expect(local.getNumberOfAvailableMemorySegments()).toBe(cachedBefore);
    buffer.release();
    expect(buffer.isRecycled()).toBe(true);
    expect(local.getNumberOfAvailableMemorySegments()).toBe(cachedBefore + 1);
    expect(local.bestEffortGetNumOfUsedBuffers()).toBe(0);
  });

  it('refuses a double release with SLUICE_ERR_NETWORK_BUFFER_RECYCLED and recycles nothing twice', () => {
    const { local } = pool();
    const buffer = local.requestBuffer()!;
    buffer.release();
    const cached = local.getNumberOfAvailableMemorySegments();
    expect(() => buffer.release()).toThrowError(RECYCLED);
    expect(() => buffer.release()).toThrowError(/double release or use after release/);
    expect(local.getNumberOfAvailableMemorySegments()).toBe(cached);
  });

  it('refuses use and retain after release', () => {
    const { local } = pool();
    const buffer = local.requestBuffer()!;
    buffer.getMemorySegment().putInt32(0, 42);
    buffer.release();
    expect(() => buffer.getMemorySegment()).toThrowError(RECYCLED);
    expect(() => buffer.retain()).toThrowError(RECYCLED);
  });

  it('catches a stale view after its segment was lent again, leaving the new lease intact', () => {
    const { local } = pool(1);
    const old = local.requestBuffer()!;
    old.release();
    const fresh = local.requestBuffer()!;
    expect(fresh.segmentIndex).toBe(old.segmentIndex);
    expect(fresh.lease).not.toBe(old.lease);
    expect(old.isRecycled()).toBe(true);
    expect(() => old.release()).toThrowError(/handed out again/);
    expect(() => old.getMemorySegment()).toThrowError(RECYCLED);
    expect(fresh.refCnt()).toBe(1);
    fresh.release();
  });

  it('caps the reference count at 32767', () => {
    const { local } = pool();
    const buffer = local.requestBuffer()!;
    for (let i = 1; i < 32767; i++) buffer.retain();
    expect(buffer.refCnt()).toBe(32767);
    expect(() => buffer.retain()).toThrowError(/maximum of 32767/);
    for (let i = 0; i < 32767; i++) buffer.release();
    expect(buffer.isRecycled()).toBe(true);
  });

  it('an unpooled buffer can be released once', () => {
    const buffer = Buffer.allocateUnpooled(8);
    buffer.release();
    expect(() => buffer.release()).toThrowError(RECYCLED);
  });
});
