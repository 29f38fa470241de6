/**
 * Benchmark of the network exchange between worker threads: a key-group exchange of
 * records `{key: int64, value: int64}` with an event timestamp from one producer worker
 * to two consumer workers, against three ways of doing the same in the same run:
 *
 * - `recordsPerSecond`: Sluice — `ResultPartition` + `ChannelSelectorRecordWriter`
 *   (`KeyGroupStreamPartitioner`, 128 key groups) → `SingleInputGate` +
 *   `StreamTaskNetworkInput` (object reuse), credit-based flow control, defaults
 *   (2 exclusive + 8 floating credits, 32 KiB segments, 100 ms buffer timeout).
 * - `rawSegmentsRecordsPerSecond`: the limit — the same records routed to the same
 *   consumer (the same `KeyGroupStreamPartitioner`, with its cache of number keys) but
 *   written by hand as 24 bytes
 *   (`DataView`) into 32 KiB segments of a `SharedArrayBuffer`, one `postMessage` per
 *   full segment, read back by hand; segments are recycled by a message back (16 per
 *   consumer).
 * - `postMessageRecordsPerSecond`: one structured-clone `postMessage` per record
 *   (`{key, value, timestamp}`) straight to the consumer's port.
 * - `jsonRecordsPerSecond`: the Sluice exchange with `JsonSerializer` records
 *   `{key, value, name}` (`name` a short string), fresh objects on read.
 *
 * Each variant's three workers start once and run one warm-up pass and then the timed
 * passes (steady state, JIT warm); a pass of the Sluice variants uses a fresh
 * `ExchangeChannels`. Passes of the variants are interleaved and the best pass of each
 * is kept, so that load from other processes hits all alike: compare the ratios. Every
 * consumer checks the count and a checksum of what it read, and the network buffer pool
 * must have every segment back after each pass. Prints one JSON line. Run:
 * `node bench/exchange.ts` (about 30 s on a busy 2-core machine).
 */
import { performance } from 'node:perf_hooks';
import {
  isMainThread,
  MessageChannel,
  type MessagePort,
  parentPort,
  Worker,
  workerData,
} from 'node:worker_threads';
import { KeyGroupStreamPartitioner } from '../src/graph/stream-partitioner.ts';
import { ExchangeChannels, type ExchangeChannelsHandle } from '../src/network/exchange-channels.ts';
import {
  NetworkBufferPool,
  type NetworkBufferPoolHandle,
} from '../src/network/network-buffer-pool.ts';
import { buildRecordWriter } from '../src/network/record-writer-builder.ts';
import { ResultPartition } from '../src/network/result-partition.ts';
import { SingleInputGate } from '../src/network/single-input-gate.ts';
import { StreamTaskNetworkInput } from '../src/runtime/io/stream-task-network-input.ts';
import { JsonSerializer } from '../src/types/json-serializer.ts';
import { assignKeyToParallelOperator } from '../src/types/key-group-range-assignment.ts';
import { RowSerializer } from '../src/types/row-serializer.ts';
import { StreamElementKind, StreamRecord } from '../src/types/stream-element.ts';
import { StreamElementSerializer } from '../src/types/stream-element-serializer.ts';
import type { TypeSerializer } from '../src/types/type-serializer.ts';

const EXCHANGE_RECORDS = Number(process.env.BENCH_RECORDS ?? 4_000_000);
const RAW_RECORDS = EXCHANGE_RECORDS * 2;
const POST_MESSAGE_RECORDS = Number(process.env.BENCH_POST_MESSAGE_RECORDS ?? 200_000);
const JSON_RECORDS = Number(process.env.BENCH_JSON_RECORDS ?? 600_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEGMENT_SIZE = 32 * 1024;
const RAW_SEGMENTS_PER_CONSUMER = 16;
const MAX_PARALLELISM = 128;
const CONSUMERS = 2;
const BATCH = 1000;
const NAMES = Array.from({ length: 64 }, (_, i) => `bidder-${i}`);

type Variant = 'exchange' | 'raw' | 'postMessage' | 'json';
type Pair = { key: number; value: number };
type Named = { key: number; value: number; name: string };

/** Fixed for the life of a worker. */
interface WorkerInput {
  variant: Variant;
  role: 'producer' | 'consumer';
  index: number;
  records: number;
  network: NetworkBufferPoolHandle;
  raw?: SharedArrayBuffer;
  ports?: MessagePort[];
}

/** Sent by the main thread for each pass. */
interface PassMessage {
  pass: number;
  channels?: ExchangeChannelsHandle;
}

interface ConsumerResult {
  count: number;
  checksum: number;
}

/** Value of record i (the checksum sums values modulo 2^32). */
function recordValue(i: number): number {
  return i * 7 + 3;
}

/** Key of record i: 4096 keys, spread by a multiplicative hash (integer ops only). */
function keyOf(i: number): number {
  return Math.imul(i, 0x9e3779b1) >>> 20;
}

function pairSerializer(): StreamElementSerializer<Pair> {
  return new StreamElementSerializer(
    RowSerializer.of([
      { name: 'key', type: 'int64' },
      { name: 'value', type: 'int64' },
    ]) as unknown as TypeSerializer<Pair>,
  );
}

// ---- workers -------------------------------------------------------------------------

/** Producer side of one pass; resolves when every consumer processed everything. */
type Pass = (message: PassMessage) => Promise<ConsumerResult | undefined>;

function exchangeProducer(input: WorkerInput, json: boolean): Pass {
  const network = NetworkBufferPool.attach(input.network);
  const serializer = (
    json ? new StreamElementSerializer<Named>(new JsonSerializer<Named>()) : pairSerializer()
  ) as StreamElementSerializer<Pair | Named>;
  const record = new StreamRecord<Pair | Named>(
    json ? { key: 0, value: 0, name: '' } : { key: 0, value: 0 },
    0,
  );
  const value = record.value as Named;
  return async (message) => {
    const channels = ExchangeChannels.attach(message.channels!);
    const partition = new ResultPartition<Pair | Named>({
      network,
      channels,
      producerIndex: 0,
      serializer,
    });
    const writer = buildRecordWriter(
      partition,
      new KeyGroupStreamPartitioner<Pair | Named, number>(
        { getKey: (r) => r.key },
        MAX_PARALLELISM,
      ),
    );
    await go();
    const records = input.records;
    for (let i = 0; i < records; ) {
      while (!writer.isAvailable()) await writer.getAvailableFuture();
      const end = Math.min(records, i + BATCH);
      for (; i < end; i++) {
        value.key = keyOf(i);
        value.value = recordValue(i);
        if (json) value.name = NAMES[i & 63]!;
        record.timestamp = i;
        writer.emit(record);
      }
    }
    writer.finish();
    await writer.getAllDataProcessedFuture();
    writer.close();
    return undefined;
  };
}

function exchangeConsumer(input: WorkerInput, json: boolean): Pass {
  const network = NetworkBufferPool.attach(input.network);
  const serializer = (
    json ? new StreamElementSerializer<Named>(new JsonSerializer<Named>()) : pairSerializer()
  ) as StreamElementSerializer<Pair | Named>;
  return async (message) => {
    const channels = ExchangeChannels.attach(message.channels!);
    const gate = new SingleInputGate({ network, channels, consumerIndex: input.index });
    const reader = new StreamTaskNetworkInput<Pair | Named>(gate, serializer, {
      objectReuse: !json,
    });
    parentPort!.postMessage({ ready: true });
    let count = 0;
    let checksum = 0;
    for (;;) {
      const element = reader.pollNext();
      if (element === null) {
        if (reader.isFinished()) break;
        await reader.getAvailableFuture();
        continue;
      }
      if (element.kind === StreamElementKind.RECORD) {
        count++;
        checksum = (checksum + element.value.value) | 0;
      }
    }
    reader.close();
    return { count, checksum };
  };
}

function rawProducer(input: WorkerInput): Pass {
  const view = new DataView(input.raw!);
  const ports = input.ports!;
  // Segments owned by the producer (free or being filled) across passes; the others are
  // with a consumer and come back by message.
  const free: number[][] = [[], []];
  for (let c = 0; c < CONSUMERS; c++) {
    for (let s = 0; s < RAW_SEGMENTS_PER_CONSUMER; s++) {
      free[c]!.push(c * RAW_SEGMENTS_PER_CONSUMER + s);
    }
  }
  const current = [-1, -1];
  const position = [0, 0];
  let wake: (() => void) | null = null;
  for (let c = 0; c < CONSUMERS; c++) {
    ports[c]!.on('message', (segment: number) => {
      free[c]!.push(segment);
      const resolve = wake;
      wake = null;
      resolve?.();
    });
  }
  // The same routing as the exchange: Sluice's key-group partitioner (with its cache of
  // number keys), so that the two differ only in how records cross the threads.
  const router = new KeyGroupStreamPartitioner<number, number>(
    { getKey: (k) => k },
    MAX_PARALLELISM,
  );
  router.setup(CONSUMERS);
  return async () => {
    await go();
    const records = input.records;
    for (let i = 0; i < records; ) {
      // Both consumers need a segment to write into before the next batch.
      while (current[0]! < 0 || current[1]! < 0) {
        for (let c = 0; c < CONSUMERS; c++) {
          if (current[c]! < 0) current[c] = free[c]!.pop() ?? -1;
        }
        if (current[0]! < 0 || current[1]! < 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      }
      const end = Math.min(records, i + BATCH);
      for (; i < end; i++) {
        const key = keyOf(i);
        const c = router.selectChannel(key);
        let segment = current[c]!;
        if (segment < 0) break; // wait for a free segment (next batch)
        let pos = position[c]!;
        const offset = segment * SEGMENT_SIZE + pos;
        view.setFloat64(offset, key);
        view.setFloat64(offset + 8, recordValue(i));
        view.setFloat64(offset + 16, i);
        pos += 24;
        if (pos + 24 > SEGMENT_SIZE) {
          ports[c]!.postMessage(segment * SEGMENT_SIZE + pos); // segment start + size in one number
          segment = free[c]!.pop() ?? -1;
          current[c] = segment;
          pos = 0;
        }
        position[c] = pos;
      }
    }
    for (let c = 0; c < CONSUMERS; c++) {
      if (current[c]! >= 0 && position[c]! > 0) {
        ports[c]!.postMessage(current[c]! * SEGMENT_SIZE + position[c]!);
        current[c] = -1;
        position[c] = 0;
      }
      ports[c]!.postMessage(-1);
    }
    return undefined;
  };
}

function rawConsumer(input: WorkerInput): Pass {
  const view = new DataView(input.raw!);
  const port = input.ports![0]!;
  const holder = { key: 0, value: 0, timestamp: 0 };
  let count = 0;
  let checksum = 0;
  let done: ((result: ConsumerResult) => void) | null = null;
  port.on('message', (message: number) => {
    if (message < 0) {
      done?.({ count, checksum });
      return;
    }
    const segment = Math.floor(message / SEGMENT_SIZE);
    const start = segment * SEGMENT_SIZE;
    for (let offset = start; offset < message; offset += 24) {
      holder.key = view.getFloat64(offset);
      holder.value = view.getFloat64(offset + 8);
      holder.timestamp = view.getFloat64(offset + 16);
      count++;
      checksum = (checksum + holder.value) | 0;
    }
    port.postMessage(segment);
  });
  return () => {
    count = 0;
    checksum = 0;
    const result = new Promise<ConsumerResult>((resolve) => {
      done = resolve;
    });
    parentPort!.postMessage({ ready: true });
    return result;
  };
}

function postMessageProducer(input: WorkerInput): Pass {
  const ports = input.ports!;
  const router = new KeyGroupStreamPartitioner<number, number>(
    { getKey: (k) => k },
    MAX_PARALLELISM,
  );
  router.setup(CONSUMERS);
  return async () => {
    await go();
    for (let i = 0; i < input.records; i++) {
      const key = keyOf(i);
      const c = router.selectChannel(key);
      ports[c]!.postMessage({ key, value: recordValue(i), timestamp: i });
    }
    for (const port of ports) port.postMessage(null);
    return undefined;
  };
}

function postMessageConsumer(input: WorkerInput): Pass {
  const port = input.ports![0]!;
  let count = 0;
  let checksum = 0;
  let done: ((result: ConsumerResult) => void) | null = null;
  port.on('message', (message: { value: number } | null) => {
    if (message === null) {
      done?.({ count, checksum });
      return;
    }
    count++;
    checksum = (checksum + message.value) | 0;
  });
  return () => {
    count = 0;
    checksum = 0;
    const result = new Promise<ConsumerResult>((resolve) => {
      done = resolve;
    });
    parentPort!.postMessage({ ready: true });
    return result;
  };
}

/** Producers report ready and wait for the main thread's go (all workers ready). */
function go(): Promise<void> {
  parentPort!.postMessage({ ready: true });
  return new Promise((resolve) => {
    goSignal = resolve;
  });
}

let goSignal: (() => void) | null = null;

function runWorker(input: WorkerInput): void {
  const json = input.variant === 'json';
  let pass: Pass;
  if (input.role === 'producer') {
    pass =
      input.variant === 'raw'
        ? rawProducer(input)
        : input.variant === 'postMessage'
          ? postMessageProducer(input)
          : exchangeProducer(input, json);
  } else {
    pass =
      input.variant === 'raw'
        ? rawConsumer(input)
        : input.variant === 'postMessage'
          ? postMessageConsumer(input)
          : exchangeConsumer(input, json);
  }
  parentPort!.on('message', (message: PassMessage | 'go') => {
    if (message === 'go') {
      const signal = goSignal;
      goSignal = null;
      signal?.();
      return;
    }
    void pass(message).then((result) => parentPort!.postMessage({ result: result ?? null }));
  });
}

// ---- main ----------------------------------------------------------------------------

function expectedResults(records: number): ConsumerResult[] {
  const results = [
    { count: 0, checksum: 0 },
    { count: 0, checksum: 0 },
  ];
  for (let i = 0; i < records; i++) {
    const c = assignKeyToParallelOperator(keyOf(i), MAX_PARALLELISM, CONSUMERS);
    results[c]!.count++;
    results[c]!.checksum = (results[c]!.checksum + recordValue(i)) | 0;
  }
  return results;
}

function nextMessage<T>(worker: Worker, field: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>): void => {
      if (field in message) {
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(message[field] as T);
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
}

/** The three workers of one variant, kept for all its passes. */
class VariantRun {
  readonly variant: Variant;
  readonly records: number;
  private readonly producer: Worker;
  private readonly consumers: Worker[];
  private readonly expected: ConsumerResult[];
  private readonly network: NetworkBufferPool;
  private passes = 0;

  constructor(variant: Variant, network: NetworkBufferPool) {
    this.variant = variant;
    this.network = network;
    this.records =
      variant === 'exchange'
        ? EXCHANGE_RECORDS
        : variant === 'raw'
          ? RAW_RECORDS
          : variant === 'postMessage'
            ? POST_MESSAGE_RECORDS
            : JSON_RECORDS;
    const base = { variant, records: this.records, network: network.getHandle() };
    const start = (input: WorkerInput, transfer: MessagePort[] = []): Worker =>
      new Worker(new URL(import.meta.url), { workerData: input, transferList: transfer });
    if (variant === 'raw' || variant === 'postMessage') {
      const raw =
        variant === 'raw'
          ? new SharedArrayBuffer(CONSUMERS * RAW_SEGMENTS_PER_CONSUMER * SEGMENT_SIZE)
          : undefined;
      const pairs = Array.from({ length: CONSUMERS }, () => new MessageChannel());
      this.consumers = pairs.map((pair, index) =>
        start({ ...base, raw, role: 'consumer', index, ports: [pair.port2] }, [pair.port2]),
      );
      const ports = pairs.map((pair) => pair.port1);
      this.producer = start({ ...base, raw, role: 'producer', index: 0, ports }, ports);
    } else {
      this.consumers = Array.from({ length: CONSUMERS }, (_, index) =>
        start({ ...base, role: 'consumer', index }),
      );
      this.producer = start({ ...base, role: 'producer', index: 0 });
    }
    this.expected = expectedResults(this.records);
  }

  /** Runs one pass; returns records per second (all consumers together). */
  async pass(): Promise<number> {
    const message: PassMessage = { pass: this.passes++ };
    if (this.variant === 'exchange' || this.variant === 'json') {
      message.channels = ExchangeChannels.create({
        numberOfProducers: 1,
        numberOfConsumers: CONSUMERS,
      }).getHandle();
    }
    const workers = [this.producer, ...this.consumers];
    const ready = workers.map((worker) => nextMessage(worker, 'ready'));
    const results = this.consumers.map((worker) => nextMessage<ConsumerResult>(worker, 'result'));
    const producerDone = nextMessage(this.producer, 'result');
    for (const worker of this.consumers) worker.postMessage(message);
    this.producer.postMessage(message);
    await Promise.all(ready);
    const start = performance.now();
    this.producer.postMessage('go');
    const got = await Promise.all(results);
    const elapsed = performance.now() - start;
    await producerDone;
    for (let c = 0; c < CONSUMERS; c++) {
      if (
        got[c]!.count !== this.expected[c]!.count ||
        got[c]!.checksum !== this.expected[c]!.checksum
      ) {
        throw new Error(
          `${this.variant}: consumer ${c} read ${JSON.stringify(got[c])}, expected ${JSON.stringify(this.expected[c])}`,
        );
      }
    }
    const used = this.network.getNumberOfUsedMemorySegments();
    if (used !== 0) throw new Error(`${this.variant}: ${used} segments still in use`);
    return (this.records / elapsed) * 1000;
  }

  async close(): Promise<void> {
    await Promise.all([this.producer, ...this.consumers].map((worker) => worker.terminate()));
  }
}

async function main(): Promise<void> {
  const network = new NetworkBufferPool({ numberOfSegments: 512, segmentSizeBytes: SEGMENT_SIZE });
  const variants = (process.env.BENCH_VARIANTS?.split(',') ?? [
    'exchange',
    'raw',
    'postMessage',
    'json',
  ]) as Variant[];
  const runs = variants.map((variant) => new VariantRun(variant, network));
  const best: Record<Variant, number> = { exchange: 0, raw: 0, postMessage: 0, json: 0 };
  try {
    for (const run of runs) await run.pass(); // warm-up pass (JIT), not counted
    for (let round = 0; round < ROUNDS; round++) {
      for (const run of runs) best[run.variant] = Math.max(best[run.variant], await run.pass());
    }
  } finally {
    await Promise.all(runs.map((run) => run.close()));
  }
  const round = (x: number): number => Math.round(x);
  console.log(
    JSON.stringify({
      bench: 'exchange',
      recordsPerSecond: round(best.exchange),
      rawSegmentsRecordsPerSecond: round(best.raw),
      postMessageRecordsPerSecond: round(best.postMessage),
      jsonRecordsPerSecond: round(best.json),
      ratioToRawSegments: Number((best.exchange / best.raw).toFixed(3)),
      ratioToPostMessage: Number((best.exchange / best.postMessage).toFixed(1)),
      records: EXCHANGE_RECORDS,
      rounds: ROUNDS,
    }),
  );
}

if (isMainThread) {
  await main();
} else {
  runWorker(workerData as WorkerInput);
}
