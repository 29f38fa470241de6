import { describe, expect, it } from 'vitest';
import { ExchangeChannels } from '../../../src/network/exchange-channels.ts';
import { NetworkBufferPool } from '../../../src/network/network-buffer-pool.ts';
import { ExchangeWorker, newControl, StallWatchdog } from './exchange-worker-harness.ts';
import { CONSUMER_SLOT, PRODUCER_SLOT } from './fixtures/exchange-workload.ts';

describe('exchange between worker threads', () => {
  // This run stalled until its timeout in a few of many full-suite runs on a loaded
  // 2-core machine: lost wake-ups in the exchange, found with the watchdog below and
  // fixed (docs/network.md, "Lost wake-ups found and fixed"). The workers keep progress
  // counters in shared memory; after 10 s without progress the watchdog fails the run
  // and prints the whole exchange state (channels, gates, partitions, pools, each
  // worker's phase and local state) to stderr. One retry keeps CI from failing on one
  // occurrence; every assertion stays, and a retry shows in the test report.
  it('10,000,000 records of random sizes (some larger than a segment), 2 producers × 2 consumers: no loss, no duplicate, per-channel order, bytes intact', {
    retry: 1,
    timeout: 60_000,
  }, async () => {
    const network = new NetworkBufferPool({ numberOfSegments: 256, segmentSizeBytes: 32 * 1024 });
    const channels = ExchangeChannels.create({ numberOfProducers: 2, numberOfConsumers: 2 });
    const { sab, words } = newControl();
    const base = { network: network.getHandle(), channels: channels.getHandle(), control: sab };
    const records = 5_000_000;
    const consumers = [0, 1].map(
      (index) => new ExchangeWorker({ ...base, role: 'random-consumer', index }),
    );
    const producers = [0, 1].map(
      (index) => new ExchangeWorker({ ...base, role: 'random-producer', index, records }),
    );
    const watchdog = new StallWatchdog({
      network,
      channels,
      control: words,
      workers: [
        ...producers.map((worker, p) => ({ worker, slot: PRODUCER_SLOT + p })),
        ...consumers.map((worker, c) => ({ worker, slot: CONSUMER_SLOT + c })),
      ],
      stallMs: 10_000,
    });
    try {
      const [produced, consumed] = (await Promise.race([
        Promise.all([
          Promise.all(producers.map((p) => p.result)),
          Promise.all(consumers.map((c) => c.result)),
        ]),
        watchdog.stalled,
      ])) as [{ emitted: number[] }[], { received: number[]; bytes: number }[]];
      let total = 0;
      for (let p = 0; p < 2; p++) {
        for (let c = 0; c < 2; c++) {
          // consumer c's channel p = producer p's subpartition c
          expect(consumed[c]!.received[p]).toBe(produced[p]!.emitted[c]);
          total += consumed[c]!.received[p]!;
        }
      }
      expect(total).toBe(2 * records);
      expect(consumed[0]!.bytes + consumed[1]!.bytes).toBeGreaterThan(0);
      expect(network.getNumberOfUsedMemorySegments()).toBe(0);
      expect(network.getNumberOfRegisteredBufferPools()).toBe(0);
    } finally {
      watchdog.stop();
      await Promise.all([...producers, ...consumers].map((w) => w.terminate()));
    }
  });

  it('broadcast delivers every record to every channel, one shared buffer per batch', async () => {
    const network = new NetworkBufferPool({ numberOfSegments: 64, segmentSizeBytes: 32 * 1024 });
    const channels = ExchangeChannels.create({ numberOfProducers: 1, numberOfConsumers: 3 });
    const base = { network: network.getHandle(), channels: channels.getHandle() };
    const records = 300_000;
    const consumers = [0, 1, 2].map(
      (index) => new ExchangeWorker({ ...base, role: 'seq-consumer', index }),
    );
    const producer = new ExchangeWorker({ ...base, role: 'broadcast-producer', index: 0, records });
    try {
      const { buffersOut } = (await producer.result) as { buffersOut: number };
      const results = (await Promise.all(consumers.map((c) => c.result))) as {
        received: number[];
      }[];
      for (const result of results) expect(result.received).toEqual([records]);
      // Every buffer went to all three channels: buffers out = 3 × distinct buffers.
      expect(buffersOut % 3).toBe(0);
      expect(network.getNumberOfUsedMemorySegments()).toBe(0);
    } finally {
      await Promise.all([producer, ...consumers].map((w) => w.terminate()));
    }
  }, 60_000);

  // A latency bound on a shared 2-core machine: another process can take the core for
  // longer than the 20 ms slack; a retry tells that apart from a real flush bug.
  it('a lone record arrives within buffer timeout + 20 ms', {
    retry: 2,
    timeout: 30_000,
  }, async () => {
    const network = new NetworkBufferPool({ numberOfSegments: 16, segmentSizeBytes: 32 * 1024 });
    const channels = ExchangeChannels.create({ numberOfProducers: 1, numberOfConsumers: 1 });
    const base = { network: network.getHandle(), channels: channels.getHandle() };
    const bufferTimeoutMs = 100;
    const consumer = new ExchangeWorker({ ...base, role: 'lone-consumer', index: 0 });
    const producer = new ExchangeWorker({
      ...base,
      role: 'lone-producer',
      index: 0,
      records: 4,
      bufferTimeoutMs,
    });
    try {
      await producer.result;
      const { latencies } = (await consumer.result) as { latencies: number[] };
      expect(latencies).toHaveLength(4);
      for (const latency of latencies) {
        expect(latency).toBeGreaterThanOrEqual(0);
        expect(latency).toBeLessThanOrEqual(bufferTimeoutMs + 20);
      }
    } finally {
      await Promise.all([producer.terminate(), consumer.terminate()]);
    }
  });
});
