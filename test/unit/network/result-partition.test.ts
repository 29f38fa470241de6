import { describe, expect, it } from 'vitest';
import {
  BroadcastPartitioner,
  KeyGroupStreamPartitioner,
  RebalancePartitioner,
} from '../../../src/graph/stream-partitioner.ts';
import { TaskIOMetricGroup } from '../../../src/metrics/task-io-metric-group.ts';
import { ExchangeChannels } from '../../../src/network/exchange-channels.ts';
import { buildRecordWriter } from '../../../src/network/record-writer-builder.ts';
import { ResultPartition } from '../../../src/network/result-partition.ts';
import { SingleInputGate } from '../../../src/network/single-input-gate.ts';
import { assignKeyToParallelOperator } from '../../../src/types/key-group-range-assignment.ts';
import {
  CheckpointBarrier,
  StreamElementKind,
  StreamRecord,
  Watermark,
} from '../../../src/types/stream-element.ts';
import {
  bytesSerializer,
  createExchange,
  createNetwork,
  readAvailable,
  readValues,
  SEGMENT_SIZE,
  type SeqRecord,
  seqRecord,
  seqSerializer,
} from './exchange-test-utils.ts';

describe('ResultPartition → SingleInputGate on one thread', () => {
  it('keeps per-channel order and routes each record to the channel it was emitted to', () => {
    const x = createExchange(seqSerializer, { channels: { numberOfConsumers: 3 } });
    const [partition] = x.partitions;
    const next = [0, 0, 0];
    const got: SeqRecord[][] = [[], [], []];
    for (let i = 0; i < 20_000; i++) {
      const channel = (i * 7) % 3;
      partition!.emitRecord(seqRecord(channel, next[channel]!++), channel);
      if (i % 500 === 0) {
        x.inputs.forEach((input, c) => {
          got[c]!.push(...readValues(input));
        });
      }
    }
    partition!.flushAll();
    x.inputs.forEach((input, c) => {
      got[c]!.push(...readValues(input));
    });
    for (let c = 0; c < 3; c++) {
      expect(got[c]!.length).toBe(next[c]);
      got[c]!.forEach((record, k) => {
        expect(record.channel).toBe(c);
        expect(record.seq).toBe(k);
      });
    }
  });

  it('spans records larger than a segment over several buffers', async () => {
    const x = createExchange(bytesSerializer, { partition: { maxBuffersPerChannel: 40 } });
    const sizes = [10, SEGMENT_SIZE - 9, SEGMENT_SIZE * 3 + 17, 1, SEGMENT_SIZE * 12, 5];
    const payloads = sizes.map((size, k) =>
      Uint8Array.from({ length: size }, (_, i) => (i * 31 + k) & 255),
    );
    const received: Uint8Array[] = [];
    for (const payload of payloads) {
      x.partitions[0]!.emitRecord(new StreamRecord(payload), 0);
      received.push(...readValues(x.inputs[0]!));
    }
    x.partitions[0]!.flushAll();
    // Credit returns as buffers are read; the producer ships the rest when notified.
    for (let round = 0; round < 100 && received.length < sizes.length; round++) {
      received.push(...readValues(x.inputs[0]!));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(received.map((r) => r.length)).toEqual(sizes);
    received.forEach((r, k) => {
      expect(r).toEqual(payloads[k]);
    });
  });

  it('with buffer timeout -1 ships nothing before a flush, and a flush ships at once when credit allows', () => {
    const x = createExchange(seqSerializer);
    x.partitions[0]!.emitRecord(seqRecord(0, 0), 0);
    expect(readValues(x.inputs[0]!)).toEqual([]);
    x.partitions[0]!.flush(0);
    expect(readValues(x.inputs[0]!)).toEqual([{ channel: 0, seq: 0 }]);
  });

  it('with buffer timeout 0 ships every record on its own', () => {
    const x = createExchange(seqSerializer, { partition: { bufferTimeoutMs: 0 } });
    x.partitions[0]!.emitRecord(seqRecord(0, 0), 0);
    expect(readValues(x.inputs[0]!)).toEqual([{ channel: 0, seq: 0 }]);
    x.partitions[0]!.emitRecord(seqRecord(0, 1), 0);
    expect(readValues(x.inputs[0]!)).toEqual([{ channel: 0, seq: 1 }]);
  });

  it('a flush behind queued buffers keeps filling the buffer and ships it once the queue drained', async () => {
    const x = createExchange(seqSerializer, {
      gate: { buffersPerChannel: 1, floatingBuffersPerGate: 0 },
    });
    const partition = x.partitions[0]!;
    const gate = x.gates[0]!;
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    partition.emitRecord(seqRecord(0, 0), 0);
    partition.flush(0); // ships on the one credit
    partition.emitRecord(seqRecord(0, 1), 0);
    partition.flush(0); // no credit, nothing queued: queued, announced as backlog
    expect(partition.getOutputQueueLength()).toBe(1);
    partition.emitRecord(seqRecord(0, 2), 0);
    partition.flush(0); // behind the queue: keeps filling
    partition.emitRecord(seqRecord(0, 3), 0);
    expect(partition.getOutputQueueLength()).toBe(1);
    expect(partition.getNumBuffersOut()).toBe(1);
    gate.releaseBuffer(0, gate.pollNext()!);
    await tick();
    expect(partition.getNumBuffersOut()).toBe(2);
    gate.releaseBuffer(0, gate.pollNext()!);
    await tick();
    // Records 2 and 3 went out together in the third buffer.
    expect(partition.getNumBuffersOut()).toBe(3);
    const third = gate.pollNext()!;
    expect(third.getSize()).toBe(2 * (4 + 1 + 8 + 4 + 8));
  });

  it('sends only under credit and reports the backlog; floating credit follows the backlog', async () => {
    const x = createExchange(seqSerializer, {
      gate: { buffersPerChannel: 1, floatingBuffersPerGate: 3 },
      partition: { maxBuffersPerChannel: 8 },
    });
    const partition = x.partitions[0]!;
    const gate = x.gates[0]!;
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    let seq = 0;
    // Fill 5 buffers: one goes out on exclusive credit, four wait in the queue.
    while (partition.getNumBuffersOut() + partition.getOutputQueueLength() < 5) {
      partition.emitRecord(seqRecord(0, seq++), 0);
    }
    expect(partition.getNumBuffersOut()).toBe(1);
    expect(partition.getOutputQueueLength()).toBe(4);
    expect(partition.getBacklog(0)).toBe(4);
    // The first buffer left with backlog 0; releasing it returns the exclusive credit …
    const first = gate.pollNext()!;
    expect(gate.getChannelMetrics(0)[0]!.backlog).toBe(0);
    gate.releaseBuffer(0, first);
    await tick();
    // … which sent the next one, whose descriptor carries backlog 3: 3 floating credits.
    const second = gate.pollNext()!;
    expect(gate.getChannelMetrics(0)[0]!.backlog).toBe(3);
    expect(gate.getFloatingCredit(0)).toBe(3);
    expect(gate.getInputFloatingBuffersUsage()).toBe(1);
    await tick();
    expect(partition.getOutputQueueLength()).toBe(0);
    expect(partition.getNumBuffersOut()).toBe(5);
    // Released buffers give floating credit back to the gate once the backlog is gone.
    gate.releaseBuffer(0, second);
    for (let k = 0; k < 3; k++) gate.releaseBuffer(0, gate.pollNext()!);
    expect(gate.getFloatingCredit(0)).toBe(0);
    expect(gate.getInputFloatingBuffersUsage()).toBe(0);
    expect(gate.getChannelMetrics(0)[0]!.credit).toBe(1);
  });

  it('a stalled channel stops at max-buffers-per-channel while the others stay available', () => {
    const x = createExchange(seqSerializer, {
      channels: { numberOfConsumers: 2 },
      gate: { buffersPerChannel: 2, floatingBuffersPerGate: 0 },
      partition: { maxBuffersPerChannel: 4 },
    });
    const partition = x.partitions[0]!;
    let seqB = 0;
    while (partition.isSubpartitionAvailable(1)) partition.emitRecord(seqRecord(1, seqB++), 1);
    // 2 in flight + 1 queued + 1 being filled = the cap of 4.
    expect(partition.getNumBuffersOut()).toBe(2);
    expect(partition.isAvailable()).toBe(false); // Flink: the whole writer is back-pressured
    expect(partition.isSubpartitionAvailable(0)).toBe(true);
    for (let i = 0; i < 5000; i++) {
      partition.emitRecord(seqRecord(0, i), 0);
      if (i % 100 === 0) readValues(x.inputs[0]!);
    }
    expect(partition.getNumBuffersInUse()).toBeLessThanOrEqual(8);
    // B resumes: nothing lost.
    partition.emitRecord(seqRecord(1, seqB++), 1); // goes to the overflow while B is full
    expect(partition.isSubpartitionAvailable(1)).toBe(false);
    const got: SeqRecord[] = [];
    return (async () => {
      for (let round = 0; round < 50 && got.length < seqB; round++) {
        got.push(...readValues(x.inputs[1]!));
        partition.flushAll();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      expect(got.map((r) => r.seq)).toEqual(Array.from({ length: seqB }, (_, k) => k));
    })();
  });

  it('getAvailableFuture resolves once a released buffer makes the pool available again', async () => {
    const x = createExchange(seqSerializer, {
      gate: { buffersPerChannel: 2, floatingBuffersPerGate: 0 },
      partition: { maxBuffersPerChannel: 3, maxNumberOfSegments: 3 },
    });
    const partition = x.partitions[0]!;
    let seq = 0;
    while (partition.isAvailable()) partition.emitRecord(seqRecord(0, seq++), 0);
    let resolved = false;
    const future = partition.getAvailableFuture().then(() => {
      resolved = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(resolved).toBe(false);
    const gate = x.gates[0]!;
    gate.releaseBuffer(0, gate.pollNext()!);
    await future;
    expect(partition.isAvailable()).toBe(true);
  });

  it('broadcasts one serialized buffer to every channel: the same segment, retained per channel', () => {
    const x = createExchange(seqSerializer, {
      channels: { numberOfConsumers: 3 },
      partition: { broadcast: true },
    });
    const writer = buildRecordWriter(x.partitions[0]!, new BroadcastPartitioner<SeqRecord>());
    for (let i = 0; i < 10; i++) writer.emit(seqRecord(-1, i));
    writer.flushAll();
    const buffers = x.gates.map((gate) => gate.pollNext()!);
    expect(new Set(buffers.map((b) => b.segmentIndex)).size).toBe(1);
    expect(buffers[0]!.refCnt()).toBe(3);
    buffers.forEach((buffer, c) => {
      x.gates[c]!.releaseBuffer(0, buffer);
    });
    writer.emit(seqRecord(-1, 10));
    writer.broadcastEmit(new Watermark(42));
    writer.flushAll();
    for (const input of x.inputs) {
      const elements = readAvailable(input);
      expect(elements.map((e) => e.kind)).toEqual([
        StreamElementKind.RECORD,
        StreamElementKind.WATERMARK,
      ]);
      expect((elements[0] as StreamRecord<SeqRecord>).value.seq).toBe(10);
    }
    expect(() => x.partitions[0]!.emitRecord(seqRecord(0, 0), 0)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION' }),
    );
  });

  it('copies broadcast control elements into every subpartition of a keyed partition; barriers flush', () => {
    const x = createExchange(seqSerializer, { channels: { numberOfConsumers: 2 } });
    const partition = x.partitions[0]!;
    partition.emitRecord(seqRecord(0, 0), 0);
    partition.broadcastElement(new Watermark(5));
    partition.broadcastElement(new CheckpointBarrier(7, 100));
    const kinds = x.inputs.map((input) => readAvailable(input).map((e) => e.kind));
    expect(kinds[0]).toEqual([
      StreamElementKind.RECORD,
      StreamElementKind.WATERMARK,
      StreamElementKind.CHECKPOINT_BARRIER,
    ]);
    expect(kinds[1]).toEqual([StreamElementKind.WATERMARK, StreamElementKind.CHECKPOINT_BARRIER]);
  });

  it('routes by key group with the KeyGroupStreamPartitioner (Flink formula, 128 key groups)', () => {
    const x = createExchange(seqSerializer, { channels: { numberOfConsumers: 4 } });
    const writer = buildRecordWriter(
      x.partitions[0]!,
      new KeyGroupStreamPartitioner<SeqRecord, number>({ getKey: (r) => r.seq }, 128),
    );
    for (let key = 0; key < 400; key++) writer.emit(seqRecord(-1, key));
    writer.flushAll();
    expect(writer.numRecordsOut).toBe(400);
    x.inputs.forEach((input, c) => {
      for (const value of readValues(input)) {
        expect(assignKeyToParallelOperator(value.seq, 128, 4)).toBe(c);
      }
    });
  });

  it('rebalances round robin from the writer subtask index', () => {
    const x = createExchange(seqSerializer, { channels: { numberOfConsumers: 3 } });
    const writer = buildRecordWriter(x.partitions[0]!, new RebalancePartitioner<SeqRecord>(), 1);
    for (let i = 0; i < 6; i++) writer.emit(seqRecord(-1, i));
    writer.flushAll();
    expect(x.inputs.map((input) => readValues(input).map((r) => r.seq))).toEqual([
      [2, 5],
      [0, 3],
      [1, 4],
    ]);
  });

  it('finish() ends every channel; the data-processed future resolves once consumers released all', async () => {
    const x = createExchange(seqSerializer, { channels: { numberOfConsumers: 2 } });
    const partition = x.partitions[0]!;
    partition.emitRecord(seqRecord(0, 0), 0);
    partition.finish();
    expect(() => partition.emitRecord(seqRecord(0, 1), 0)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION' }),
    );
    let processed = false;
    const done = partition.getAllDataProcessedFuture().then(() => {
      processed = true;
    });
    expect(readValues(x.inputs[0]!)).toEqual([{ channel: 0, seq: 0 }]);
    expect(x.inputs[0]!.isFinished()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(processed).toBe(false);
    readValues(x.inputs[1]!);
    expect(x.inputs[1]!.isFinished()).toBe(true);
    await done;
    partition.release();
    for (const input of x.inputs) input.close();
    expect(x.network.getNumberOfUsedMemorySegments()).toBe(0);
  });

  it('release() mid-stream and close() give back every segment; consumers fail with PARTNER_GONE', () => {
    const x = createExchange(bytesSerializer, {
      channels: { numberOfConsumers: 2 },
      partition: { maxBuffersPerChannel: 20 },
    });
    const partition = x.partitions[0]!;
    for (let i = 0; i < 200; i++)
      partition.emitRecord(new StreamRecord(new Uint8Array(300)), i & 1);
    partition.emitRecord(new StreamRecord(new Uint8Array(SEGMENT_SIZE * 5)), 0); // overflow
    readAvailable(x.inputs[1]!);
    expect(x.network.getNumberOfUsedMemorySegments()).toBeGreaterThan(0);
    partition.release();
    expect(() => readAvailable(x.inputs[0]!)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_PARTNER_GONE' }),
    );
    for (const input of x.inputs) input.close();
    expect(x.network.getNumberOfUsedMemorySegments()).toBe(0);
    expect(() => partition.emitRecord(new StreamRecord(new Uint8Array(1)), 0)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION' }),
    );
  });

  it('a consumer closing early makes the producer drop its data and release what it published', () => {
    const x = createExchange(seqSerializer, { channels: { numberOfConsumers: 2 } });
    const partition = x.partitions[0]!;
    for (let i = 0; i < 2000; i++) partition.emitRecord(seqRecord(i & 1, i), i & 1);
    x.inputs[1]!.close();
    for (let i = 0; i < 2000; i++) {
      partition.emitRecord(seqRecord(i & 1, i), i & 1);
      if (i % 100 === 0) readAvailable(x.inputs[0]!);
    }
    partition.finish();
    readAvailable(x.inputs[0]!);
    expect(x.inputs[0]!.isFinished()).toBe(true);
    partition.release();
    x.inputs[0]!.close();
    expect(x.network.getNumberOfUsedMemorySegments()).toBe(0);
  });

  it('refuses a second partition on the same producer endpoint and a broadcast selector on a keyed partition', () => {
    const network = createNetwork();
    const channels = ExchangeChannels.create({ numberOfConsumers: 2 });
    const first = new ResultPartition({
      network,
      channels,
      producerIndex: 0,
      serializer: seqSerializer,
    });
    expect(
      () => new ResultPartition({ network, channels, producerIndex: 0, serializer: seqSerializer }),
    ).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION' }));
    expect(() => buildRecordWriter(first, new BroadcastPartitioner<SeqRecord>())).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION' }),
    );
    expect(
      () =>
        new ResultPartition(
          { network, channels, producerIndex: 1, serializer: seqSerializer },
          { bufferTimeoutMs: -2 },
        ),
    ).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }));
    first.release();
  });

  it('reports output metrics: pool usage, queue length and size, bytes and buffers out', () => {
    const x = createExchange(seqSerializer, {
      gate: { buffersPerChannel: 1, floatingBuffersPerGate: 0 },
    });
    const partition = x.partitions[0]!;
    for (let i = 0; i < 1000; i++) partition.emitRecord(seqRecord(0, i), 0);
    expect(partition.getNumBuffersOut()).toBe(1);
    expect(partition.getNumBytesOut()).toBeGreaterThan(SEGMENT_SIZE - 30);
    expect(partition.getOutputQueueLength()).toBeGreaterThan(0);
    expect(partition.getOutputQueueSizeBytes()).toBeGreaterThan(0);
    expect(partition.getOutPoolUsage()).toBeGreaterThan(0);
    expect(partition.getOutPoolUsage()).toBeLessThanOrEqual(1);
  });
});

describe('task accounting', () => {
  it('accounts back-pressured time while the writer waits, idle time while the gate waits, bytes and buffers', async () => {
    let now = 0;
    const clock = (): number => now;
    const identity = { jobId: 'j', jobName: 'job', vertexId: 'v', taskName: 't', subtaskIndex: 0 };
    const producerIo = new TaskIOMetricGroup(identity, clock);
    const consumerIo = new TaskIOMetricGroup(identity, clock);
    const network = createNetwork();
    const channels = ExchangeChannels.create({ buffersPerChannel: 1, floatingBuffersPerGate: 0 });
    const partition = new ResultPartition(
      { network, channels, producerIndex: 0, serializer: seqSerializer, metrics: producerIo },
      { bufferTimeoutMs: -1, maxBuffersPerChannel: 2, maxNumberOfSegments: 2 },
    );
    const gate = new SingleInputGate(
      { network, channels, consumerIndex: 0, metrics: consumerIo },
      { buffersPerChannel: 1, floatingBuffersPerGate: 0 },
    );
    // The consumer waits for input: idle.
    const input = gate.getAvailableFuture();
    now = 100;
    let seq = 0;
    while (partition.isAvailable()) partition.emitRecord(seqRecord(0, seq++), 0);
    await input;
    expect(consumerIo.snapshot({}, 200).idleTimeMsPerSecond).toBe(500); // idle 0..100 of 0..200
    // The producer waits for a buffer: back-pressured until the consumer releases one.
    now = 200;
    const output = partition.getAvailableFuture();
    expect(producerIo.isBackPressured()).toBe(true);
    now = 300;
    gate.releaseBuffer(0, gate.pollNext()!);
    await output;
    expect(producerIo.isBackPressured()).toBe(false);
    const snapshot = producerIo.snapshot({}, 400);
    expect(snapshot.backPressuredTimeMsPerSecond).toBe(250); // 200..300 of 0..400
    expect(snapshot.maxHardBackPressuredTimeMs).toBe(100);
    expect(snapshot.numBuffersOut).toBe(partition.getNumBuffersOut());
    expect(snapshot.numBytesOut).toBe(partition.getNumBytesOut());
    expect(consumerIo.numBytesIn).toBe(SEGMENT_SIZE - (SEGMENT_SIZE % 25));
    partition.release();
    gate.close();
  });
});
