import { describe, expect, it } from 'vitest';
import {
  C_CREDIT_GRANTED,
  C_RING,
  C_SENDER_STATE,
  C_WRITE_INDEX,
  DESCRIPTOR_WORDS,
  FLAG_LAST,
  STATE_FINISHED,
} from '../../../src/network/channel-layout.ts';
import { ExchangeChannels } from '../../../src/network/exchange-channels.ts';
import type { NetworkBufferPool } from '../../../src/network/network-buffer-pool.ts';
import type { ResultPartition } from '../../../src/network/result-partition.ts';
import { SingleInputGate } from '../../../src/network/single-input-gate.ts';
import { collectTaskNetworkFigures } from '../../../src/network/task-network-metrics.ts';
import { StreamTaskNetworkInput } from '../../../src/runtime/io/stream-task-network-input.ts';
import { EndOfPartition, StreamRecord } from '../../../src/types/stream-element.ts';
import {
  createExchange,
  createNetwork,
  readValues,
  SEGMENT_SIZE,
  seqRecord,
  seqSerializer,
} from './exchange-test-utils.ts';

const CODED = [
  'SLUICE_ERR_NETWORK_CORRUPT_STREAM',
  'SLUICE_ERR_NETWORK_TRUNCATED_STREAM',
  'SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION',
];

/**
 * A hand-made sender: publishes buffers with arbitrary bytes into channel (0 → 0),
 * as a broken or malicious producer would, so that the receiving side's checks can be
 * exercised.
 */
function rawSender(network: NetworkBufferPool, channels: ExchangeChannels) {
  const pool = network.createBufferPool({ numberOfRequiredSegments: 4, maxNumberOfSegments: 8 });
  const ctl = channels.ctl;
  const base = channels.channelBase(0, 0);
  let written = 0;
  return {
    pool,
    publish(bytes: Uint8Array, last: boolean): void {
      const buffer = pool.requestBuffer()!;
      buffer.getMemorySegment().bytes.set(bytes, 0);
      const slot = base + C_RING + (written & (channels.ringCapacity - 1)) * DESCRIPTOR_WORDS;
      ctl[slot] = buffer.segmentIndex;
      ctl[slot + 1] = bytes.length;
      ctl[slot + 2] = last ? FLAG_LAST : 0;
      ctl[slot + 3] = 0;
      written++;
      Atomics.store(ctl, base + C_WRITE_INDEX, written);
      if (last) Atomics.store(ctl, base + C_SENDER_STATE, STATE_FINISHED);
    },
  };
}

/** Frame bytes of one element, as the writer would produce them. */
function frameOf(element: Parameters<ResultPartition<unknown>['broadcastElement']>[0]): Uint8Array {
  const x = createExchange(seqSerializer);
  x.partitions[0]!.broadcastElement(element as never);
  x.partitions[0]!.flushAll();
  const buffer = x.gates[0]!.pollNext()!;
  return buffer.getMemorySegment().bytes.slice(0, buffer.getSize());
}

function drain(input: StreamTaskNetworkInput<unknown>): void {
  for (let i = 0; i < 10_000; i++) {
    if (input.pollNext() === null) return;
  }
}

describe('SingleInputGate and StreamTaskNetworkInput', () => {
  it('announces exclusive credit at start and reports per-channel metrics', () => {
    const x = createExchange(seqSerializer, {
      channels: { numberOfProducers: 3 },
      gate: { buffersPerChannel: 2, floatingBuffersPerGate: 4 },
    });
    const gate = x.gates[0]!;
    expect(gate.numberOfInputChannels).toBe(3);
    for (let p = 0; p < 3; p++) {
      expect(Atomics.load(x.channels.ctl, x.channels.channelBase(p, 0) + C_CREDIT_GRANTED)).toBe(2);
    }
    expect(gate.getChannelMetrics(1)).toEqual([
      { gate: 1, channel: 0, credit: 2, backlog: 0, queuedBuffers: 0 },
      { gate: 1, channel: 1, credit: 2, backlog: 0, queuedBuffers: 0 },
      { gate: 1, channel: 2, credit: 2, backlog: 0, queuedBuffers: 0 },
    ]);
    x.partitions[1]!.emitRecord(seqRecord(0, 0), 0);
    x.partitions[1]!.flushAll();
    expect(gate.getInputQueueLength()).toBe(1);
    expect(gate.getInPoolUsage()).toBeCloseTo(1 / 10);
    expect(gate.getInputExclusiveBuffersUsage()).toBeCloseTo(1 / 6);
    expect(readValues(x.inputs[0]!)).toEqual([{ channel: 0, seq: 0 }]);
    expect(x.inputs[0]!.lastChannelIndex).toBe(1);
  });

  it('lends floating credit in proportion to backlog and gives it to the channel that waited longest', async () => {
    const x = createExchange(seqSerializer, {
      channels: { numberOfProducers: 2 },
      gate: { buffersPerChannel: 1, floatingBuffersPerGate: 2 },
      partition: { maxBuffersPerChannel: 8 },
    });
    const gate = x.gates[0]!;
    // Both producers queue 4 buffers behind the one sent on exclusive credit.
    for (const partition of x.partitions) {
      let seq = 0;
      while (partition.getNumBuffersOut() + partition.getOutputQueueLength() < 5) {
        partition.emitRecord(seqRecord(0, seq++), 0);
      }
    }
    const a = gate.pollNext()!; // channel 0, backlog 0 at send time
    const b = gate.pollNext()!; // channel 1
    gate.releaseBuffer(0, a);
    gate.releaseBuffer(1, b);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Their next buffers carry backlog 3: channel 0 asks first and gets both floating
    // credits; channel 1 waits for floating credit.
    const a2 = gate.pollNext()!;
    const b2 = gate.pollNext()!;
    expect(gate.lastChannelIndex).toBe(1);
    expect(gate.getFloatingCredit(0)).toBe(2);
    expect(gate.getFloatingCredit(1)).toBe(0);
    gate.releaseBuffer(0, a2);
    gate.releaseBuffer(1, b2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Channel 0's backlog shrinks: its floating credit moves to channel 1 as it comes back.
    for (let k = 0; k < 3; k++) {
      const buffer = gate.pollNext();
      if (buffer === null) break;
      gate.releaseBuffer(gate.lastChannelIndex, buffer);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(gate.getFloatingCredit(1)).toBeGreaterThan(0);
  });

  it('a receiver without exclusive credit learns the backlog from the sender and lends floating credit', async () => {
    const x = createExchange(seqSerializer, {
      gate: { buffersPerChannel: 0, floatingBuffersPerGate: 2 },
    });
    const partition = x.partitions[0]!;
    partition.emitRecord(seqRecord(0, 0), 0);
    partition.flushAll(); // no credit: the buffer is queued and the backlog announced
    expect(partition.getOutputQueueLength()).toBe(1);
    const input = x.inputs[0]!;
    expect(input.pollNext()).toBeNull(); // sees the backlog, lends floating credit
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(readValues(input)).toEqual([{ channel: 0, seq: 0 }]);
  });

  it('wakes a waiting consumer when a producer publishes (no polling)', async () => {
    const x = createExchange(seqSerializer);
    const input = x.inputs[0]!;
    expect(input.isAvailable()).toBe(false);
    const future = input.getAvailableFuture();
    expect(input.getAvailableFuture()).toBe(future); // one future per idle period
    setTimeout(() => {
      x.partitions[0]!.emitRecord(seqRecord(0, 1), 0);
      x.partitions[0]!.flushAll();
    }, 10);
    await future;
    expect(readValues(input)).toEqual([{ channel: 0, seq: 1 }]);
  });

  it('a corrupted buffer gives SLUICE_ERR_NETWORK_CORRUPT_STREAM', () => {
    const x = createExchange(seqSerializer);
    for (let i = 0; i < 10; i++) x.partitions[0]!.emitRecord(seqRecord(0, i), 0);
    x.partitions[0]!.flushAll();
    // Overwrite the third frame's length with garbage before the consumer reads it.
    const base = x.channels.channelBase(0, 0);
    const segment = x.network.getSegment(x.channels.ctl[base + C_RING]!);
    segment.putInt32(2 * 25, 0x7fffffff);
    expect(() => readValues(x.inputs[0]!)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_CORRUPT_STREAM' }),
    );
    x.inputs[0]!.close();
    x.partitions[0]!.release();
    expect(x.network.getNumberOfUsedMemorySegments()).toBe(0);
  });

  it('a channel ending inside a frame gives SLUICE_ERR_NETWORK_TRUNCATED_STREAM; without EndOfPartition a protocol error', () => {
    const network = createNetwork();
    const record = frameOf(new StreamRecord({ channel: 1, seq: 2 }, 3));
    for (const [bytes, code] of [
      [record.subarray(0, record.length - 3), 'SLUICE_ERR_NETWORK_TRUNCATED_STREAM'],
      [record, 'SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION'],
    ] as const) {
      const channels = ExchangeChannels.create();
      const sender = rawSender(network, channels);
      const gate = new SingleInputGate({ network, channels, consumerIndex: 0 });
      const input = new StreamTaskNetworkInput(gate, seqSerializer);
      sender.publish(bytes, true);
      expect(() => drain(input)).toThrow(expect.objectContaining({ code }));
      input.close();
      sender.pool.destroy();
    }
    expect(network.getNumberOfUsedMemorySegments()).toBe(0);
  });

  it('fuzzed buffers end in a coded error or in valid elements, never in a hang or an uncoded error', () => {
    const network = createNetwork();
    const endOfPartition = frameOf(EndOfPartition.INSTANCE);
    const valid = frameOf(new StreamRecord({ channel: 4, seq: 5 }, 6));
    let seed = 12345;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 8;
    };
    const outcomes = new Map<string, number>();
    for (let trial = 0; trial < 300; trial++) {
      const channels = ExchangeChannels.create();
      const sender = rawSender(network, channels);
      const gate = new SingleInputGate({ network, channels, consumerIndex: 0 });
      const input = new StreamTaskNetworkInput(gate, seqSerializer);
      // A valid stream (records + EndOfPartition) with a few random bytes changed, or cut.
      const stream = new Uint8Array(valid.length * 8 + endOfPartition.length);
      for (let k = 0; k < 8; k++) stream.set(valid, k * valid.length);
      stream.set(endOfPartition, valid.length * 8);
      for (let k = 0, n = 1 + (random() % 3); k < n; k++) {
        stream[random() % stream.length] = random() & 255;
      }
      const cut = trial % 4 === 0 ? random() % stream.length : stream.length;
      const split = random() % (cut + 1);
      sender.publish(stream.subarray(0, split), false);
      sender.publish(stream.subarray(split, cut), true);
      let outcome = 'ok';
      try {
        drain(input);
      } catch (error) {
        outcome = (error as { code?: string }).code ?? `uncoded: ${String(error)}`;
        expect(CODED).toContain(outcome);
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      input.close();
      sender.pool.destroy();
    }
    expect(outcomes.get('SLUICE_ERR_NETWORK_CORRUPT_STREAM') ?? 0).toBeGreaterThan(0);
    expect(network.getNumberOfUsedMemorySegments()).toBe(0);
  });

  it('refuses protocol misuse with coded errors', () => {
    const x = createExchange(seqSerializer, {
      gate: { buffersPerChannel: 2, floatingBuffersPerGate: 2 },
    });
    const gate = x.gates[0]!;
    for (let i = 0; i < 3000; i++) x.partitions[0]!.emitRecord(seqRecord(0, i), 0);
    const first = gate.pollNext()!;
    const second = gate.pollNext()!;
    const violation = expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION' });
    expect(() => gate.releaseBuffer(0, second)).toThrow(violation); // out of order
    gate.releaseBuffer(0, first);
    expect(() => gate.releaseBuffer(0, first)).toThrow(violation); // twice
    expect(
      () => new SingleInputGate({ network: x.network, channels: x.channels, consumerIndex: 0 }),
    ).toThrow(violation);
    const small = ExchangeChannels.create({ buffersPerChannel: 1, floatingBuffersPerGate: 1 });
    expect(
      () =>
        new SingleInputGate(
          { network: x.network, channels: small, consumerIndex: 0 },
          { buffersPerChannel: 2, floatingBuffersPerGate: 8 },
        ),
    ).toThrow(violation);
    expect(() =>
      ExchangeChannels.attach({
        kind: 'sluice.ExchangeChannels',
        control: new SharedArrayBuffer(64),
      }),
    ).toThrow(violation);
    expect(() => x.channels.channelBase(0, 5)).toThrow(violation);
    gate.close();
    expect(() => gate.pollNext()).toThrow(violation);
    gate.releaseBuffer(0, second); // after close: already released, ignored
    x.partitions[0]!.release();
    expect(x.network.getNumberOfUsedMemorySegments()).toBe(0);
  });

  it('a pointwise exchange connects producer i to consumer i only', () => {
    const x = createExchange(seqSerializer, {
      channels: { numberOfProducers: 3, numberOfConsumers: 3, pattern: 'pointwise' },
    });
    expect(x.partitions.map((p) => p.numberOfSubpartitions)).toEqual([1, 1, 1]);
    x.partitions.forEach((partition, i) => {
      partition.emitRecord(seqRecord(i, i), 0);
      partition.flushAll();
    });
    expect(x.inputs.map((input) => readValues(input))).toEqual([
      [{ channel: 0, seq: 0 }],
      [{ channel: 1, seq: 1 }],
      [{ channel: 2, seq: 2 }],
    ]);
    expect(() =>
      ExchangeChannels.create({ numberOfProducers: 2, numberOfConsumers: 3, pattern: 'pointwise' }),
    ).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }));
  });

  it('a consumer whose producer was marked gone fails fast, and reads nothing more', () => {
    const x = createExchange(seqSerializer, { channels: { numberOfProducers: 2 } });
    x.partitions[0]!.emitRecord(seqRecord(0, 0), 0);
    x.partitions[0]!.flushAll();
    x.channels.markProducerGone(0);
    expect(() => readValues(x.inputs[0]!)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_PARTNER_GONE' }),
    );
    x.inputs[0]!.close();
    x.partitions[1]!.release();
    // The "dead" producer's pool is still registered here; reclaim it as the main thread would.
    x.network.reclaimBufferPools([x.partitions[0]!.getBufferPoolId()], { force: true });
    expect(x.network.getNumberOfUsedMemorySegments()).toBe(0);
    expect(SEGMENT_SIZE).toBe(4096);
  });
});

describe('collectTaskNetworkFigures', () => {
  it('sums output queues and pool usage, averages the gates, lists every input channel', () => {
    const x = createExchange(seqSerializer, { channels: { numberOfProducers: 2 } });
    for (let i = 0; i < 600; i++) x.partitions[0]!.emitRecord(seqRecord(0, i), 0);
    x.partitions[0]!.flushAll();
    const producer = collectTaskNetworkFigures([x.partitions[0]!], []);
    expect(producer.outPoolUsage).toBeGreaterThan(0);
    expect(producer.outputQueueLength).toBe(x.partitions[0]!.getOutputQueueLength());
    expect(producer.outputQueueSize).toBe(x.partitions[0]!.getOutputQueueSizeBytes());
    expect(producer.channels).toBeUndefined();
    const consumer = collectTaskNetworkFigures([], [x.gates[0]!]);
    expect(consumer.channels).toEqual(x.gates[0]!.getChannelMetrics(0));
    expect(consumer.channels![0]!.queuedBuffers).toBe(2);
    expect(consumer.channels![1]).toEqual({
      gate: 0,
      channel: 1,
      credit: 2,
      backlog: 0,
      queuedBuffers: 0,
    });
    expect(consumer.inputQueueLength).toBe(2);
    expect(consumer.inPoolUsage).toBeCloseTo(2 / 12);
    expect(consumer.outPoolUsage).toBeUndefined();
  });
});

describe('StreamTaskNetworkInput', () => {
  it('stays available while a buffer is partly read, and reads fixed-size records in place', async () => {
    const x = createExchange(seqSerializer);
    for (let i = 0; i < 1000; i++) x.partitions[0]!.emitRecord(seqRecord(0, i), 0);
    x.partitions[0]!.finish();
    const input = x.inputs[0]!;
    const seqs: number[] = [];
    while (!input.isFinished()) {
      if (!input.isAvailable()) await input.getAvailableFuture();
      const element = input.pollNext();
      if (element === null) continue;
      seqs.push((element as StreamRecord<{ seq: number }>).value.seq);
      // Within a buffer the input stays available without asking the gate.
      if (seqs.length % 100 === 1) expect(input.isAvailable()).toBe(true);
    }
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(input.numRecordsIn).toBe(1000);
    // Fixed-size frames never span buffers: each buffer holds whole frames (25 bytes),
    // and the last one ends with EndOfPartition (5 bytes).
    expect((x.partitions[0]!.getNumBytesOut() - 5) % 25).toBe(0);
  });
});
