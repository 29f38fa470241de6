import { describe, expect, it } from 'vitest';
import { ExchangeChannels } from '../../../src/network/exchange-channels.ts';
import { NetworkBufferPool } from '../../../src/network/network-buffer-pool.ts';
import { ExchangeWorker, newControl } from './exchange-worker-harness.ts';
import { W_CANCEL, W_COUNT, W_STOP } from './fixtures/exchange-workload.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function setup(consumers: number) {
  const network = new NetworkBufferPool({ numberOfSegments: 96, segmentSizeBytes: 32 * 1024 });
  const channels = ExchangeChannels.create({ numberOfProducers: 1, numberOfConsumers: consumers });
  const { sab, words } = newControl();
  const base = { network: network.getHandle(), channels: channels.getHandle(), control: sab };
  const consumerWorkers = Array.from(
    { length: consumers },
    (_, index) => new ExchangeWorker({ ...base, role: 'seq-consumer', index }),
  );
  const producer = new ExchangeWorker({ ...base, role: 'stream-producer', index: 0 });
  return { network, channels, words, producer, consumers: consumerWorkers };
}

/** Waits until consumer 0 has read something (the stream is flowing). */
async function flowing(words: Int32Array): Promise<void> {
  for (let i = 0; i < 500 && Atomics.load(words, W_COUNT) < 10_000; i++) await sleep(10);
  expect(Atomics.load(words, W_COUNT)).toBeGreaterThanOrEqual(10_000);
}

describe('exchange teardown across workers', () => {
  it('cancellation mid-stream releases every buffer: no segment in use, no pool left', async () => {
    const x = setup(2);
    try {
      await flowing(x.words);
      Atomics.store(x.words, W_CANCEL, 1); // consumers close their inputs mid-stream
      const cancelled = await Promise.all(x.consumers.map((c) => c.result));
      expect(cancelled.every((r) => r.cancelled === true)).toBe(true);
      await sleep(50);
      Atomics.store(x.words, W_STOP, 1); // the producer stops and releases its partition
      await x.producer.result;
      expect(x.network.getNumberOfUsedMemorySegments()).toBe(0);
      expect(x.network.getNumberOfRegisteredBufferPools()).toBe(0);
    } finally {
      await Promise.all([x.producer, ...x.consumers].map((w) => w.terminate()));
    }
  }, 30_000);

  it('a dead producer makes its consumer fail fast with PARTNER_GONE; its segments are reclaimed at teardown', async () => {
    const x = setup(1);
    try {
      const poolId = await x.producer.poolId;
      await flowing(x.words);
      await x.producer.terminate(); // the worker dies with buffers queued, in flight and being read
      const died = performance.now();
      x.channels.markProducerGone(0);
      await expect(x.consumers[0]!.result).rejects.toMatchObject({
        code: 'SLUICE_ERR_NETWORK_PARTNER_GONE',
      });
      expect(performance.now() - died).toBeLessThan(2000);
      // The consumer closed its gate; what the dead producer held is reclaimed by pool id.
      expect(x.network.getNumberOfUsedMemorySegments()).toBeGreaterThan(0);
      x.network.reclaimBufferPools([poolId], { force: true });
      expect(x.network.getNumberOfUsedMemorySegments()).toBe(0);
      expect(x.network.getNumberOfRegisteredBufferPools()).toBe(0);
    } finally {
      await Promise.all([x.producer, ...x.consumers].map((w) => w.terminate()));
    }
  }, 30_000);

  it('a dead consumer makes the producer fail fast; the producer takes back what the dead consumer held', async () => {
    const x = setup(2);
    try {
      await flowing(x.words);
      await x.consumers[1]!.terminate();
      const died = performance.now();
      x.channels.markConsumerGone(1);
      await expect(x.producer.result).rejects.toMatchObject({
        code: 'SLUICE_ERR_NETWORK_PARTNER_GONE',
      });
      expect(performance.now() - died).toBeLessThan(2000);
      // The producer released its partition early: the live consumer stops too.
      await expect(x.consumers[0]!.result).rejects.toMatchObject({
        code: 'SLUICE_ERR_NETWORK_PARTNER_GONE',
      });
      // No forced reclaim needed: the dead consumer's buffers were the producer's.
      expect(x.network.getNumberOfUsedMemorySegments()).toBe(0);
      expect(x.network.getNumberOfRegisteredBufferPools()).toBe(0);
    } finally {
      await Promise.all([x.producer, ...x.consumers].map((w) => w.terminate()));
    }
  }, 30_000);
});
