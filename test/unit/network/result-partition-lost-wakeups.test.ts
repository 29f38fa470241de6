import { describe, expect, it } from 'vitest';
import { StreamRecord } from '../../../src/types/stream-element.ts';
import { bytesSerializer, createExchange, readValues } from './exchange-test-utils.ts';

/**
 * Regressions: a signal that reaches the partition while it is not waiting wakes
 * nobody, so the re-check before each wait (`hasWorkNow`) must cover everything a
 * notification can announce. These steps, on one thread, are the interleavings the
 * re-check missed.
 */

/** Lets pending `Atomics.waitAsync` resolutions and microtasks run. */
async function settle(condition: () => boolean): Promise<void> {
  for (let round = 0; round < 50 && !condition(); round++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('ResultPartition: signals that came before the wait', () => {
  it('an overflow holding EndOfPartition ships when its segments came back before the producer awaited getAllDataProcessedFuture', async () => {
    // Cap 2 with credit 2, 4 KiB segments: small records until the channel is at its
    // cap, then one larger than a segment: it fills the current buffer (both buffers
    // are then published) and its rest goes to the heap overflow.
    const x = createExchange(bytesSerializer, {
      partition: { maxBuffersPerChannel: 2 },
      gate: { buffersPerChannel: 2, floatingBuffersPerGate: 0 },
    });
    const partition = x.partitions[0]!;
    const input = x.inputs[0]!;
    const small = new StreamRecord(new Uint8Array(1000).fill(7));
    let emitted = 0;
    while (partition.isAvailable()) {
      partition.emitRecord(small, 0);
      emitted++;
    }
    partition.emitRecord(new StreamRecord(new Uint8Array(5000).fill(9)), 0);
    emitted++;
    expect(partition.getNumBuffersInUse()).toBe(2);
    // The consumer reads and releases both buffers: their signals find no waiter.
    let received = readValues(input).length;
    expect(received).toBe(emitted - 1);
    partition.finish(); // EndOfPartition joins the overflow
    let processed = false;
    const done = partition.getAllDataProcessedFuture().then(() => {
      processed = true;
    });
    await settle(() => {
      received += readValues(input).length;
      return processed;
    });
    expect(received).toBe(emitted);
    expect(input.isFinished()).toBe(true);
    await done;
    partition.release();
    input.close();
    expect(x.network.getNumberOfUsedMemorySegments()).toBe(0);
  });

  it('a consumer declared gone while the producer was writing fails its later availability wait with PARTNER_GONE', async () => {
    const x = createExchange(bytesSerializer, {
      channels: { numberOfConsumers: 2 },
      partition: { maxBuffersPerChannel: 2 },
      gate: { buffersPerChannel: 2, floatingBuffersPerGate: 0 },
    });
    const partition = x.partitions[0]!;
    const record = new StreamRecord(new Uint8Array(1000).fill(7));
    // Consumer 1 never reads: its channel fills up to the cap.
    while (partition.isSubpartitionAvailable(1)) partition.emitRecord(record, 1);
    expect(partition.isAvailable()).toBe(false);
    x.channels.markConsumerGone(1); // the main thread; the partition is not waiting yet
    let settled = false;
    void partition.getAvailableFuture().then(() => {
      settled = true;
    });
    await settle(() => settled);
    expect(settled).toBe(true);
    expect(() => partition.isAvailable()).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_PARTNER_GONE' }),
    );
    partition.release();
    for (const input of x.inputs) input.close();
  });
});
