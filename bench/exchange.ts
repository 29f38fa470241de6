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
 *   consumer (the same key-group function) but written by hand as 24 bytes
 *   (`DataView`) into 32 KiB segments of a `SharedArrayBuffer`, one `postMessage` per
 *   full segment, read back by hand; segments are recycled by a message back (16 per
 *   consumer).
 * - `postMessageRecordsPerSecond`: one structured-clone `postMessage` per record
 *   (`{key, value, timestamp}`) straight to the consumer's port.
 * - `jsonRecordsPerSecond`: the Sluice exchange with `JsonSerializer` records
 *   `{key, value, name}` (`name` a short string), fresh objects on read.
 *
 * Every consumer checks the count and a checksum of what it read. Variants run
 * interleaved, three rounds, best round kept, so that load from other processes hits
 * all alike: compare the ratios. Prints one JSON line. Run: `node bench/exchange.ts`
 * (about 30 s on a busy 2-core machine).
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
const JSON_RECORDS = Number(process.env.BENCH_JSON_RECORDS ?? 1_000_000);
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

interface WorkerInput {
  variant: Variant;
  role: 'producer' | 'consumer';
  index: number;
  records: number;
  network?: NetworkBufferPoolHandle;
  channels?: ExchangeChannelsHandle;
  raw?: SharedArrayBuffer;
  ports?: MessagePort[];
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

async function exchangeProducer(input: WorkerInput, json: boolean): Promise<void> {
  const network = NetworkBufferPool.attach(input.network!);
  const channels = ExchangeChannels.attach(input.channels!);
  const serializer = json
    ? new StreamElementSerializer<Named>(new JsonSerializer<Named>())
    : pairSerializer();
  const partition = new ResultPartition<Pair | Named>({
    network,
    channels,
    producerIndex: 0,
    serializer: serializer as StreamElementSerializer<Pair | Named>,
  });
  const writer = buildRecordWriter(
    partition,
    new KeyGroupStreamPartitioner<Pair | Named, number>({ getKey: (r) => r.key }, MAX_PARALLELISM),
  );
  await go();
  const record = new StreamRecord<Pair | Named>(
    json ? { key: 0, value: 0, name: '' } : { key: 0, value: 0 },
    0,
  );
  const value = record.value as Named;
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
}

async function exchangeConsumer(input: WorkerInput, json: boolean): Promise<ConsumerResult> {
  const network = NetworkBufferPool.attach(input.network!);
  const channels = ExchangeChannels.attach(input.channels!);
  const serializer = json
    ? new StreamElementSerializer<Named>(new JsonSerializer<Named>())
    : pairSerializer();
  const gate = new SingleInputGate({ network, channels, consumerIndex: input.index });
  const reader = new StreamTaskNetworkInput<Pair | Named>(
    gate,
    serializer as StreamElementSerializer<Pair | Named>,
    { objectReuse: !json },
  );
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
}

async function rawProducer(input: WorkerInput): Promise<void> {
  const memory = input.raw!;
  const ports = input.ports!;
  const free: number[][] = [[], []];
  let wake: (() => void) | null = null;
  for (let c = 0; c < CONSUMERS; c++) {
    for (let s = 0; s < RAW_SEGMENTS_PER_CONSUMER; s++)
      free[c]!.push(c * RAW_SEGMENTS_PER_CONSUMER + s);
    ports[c]!.on('message', (segment: number) => {
      free[c]!.push(segment);
      const resolve = wake;
      wake = null;
      resolve?.();
    });
  }
  const view = new DataView(memory);
  const current = [free[0]!.pop()!, free[1]!.pop()!];
  const position = [0, 0];
  await go();
  const records = input.records;
  for (let i = 0; i < records; ) {
    // Both consumers need a segment to write into before the next batch.
    while (current[0]! < 0 || current[1]! < 0) {
      for (let c = 0; c < CONSUMERS; c++) if (current[c]! < 0) current[c] = free[c]!.pop() ?? -1;
      if (current[0]! < 0 || current[1]! < 0)
        await new Promise<void>((resolve) => (wake = resolve));
    }
    const end = Math.min(records, i + BATCH);
    for (; i < end; i++) {
      const key = keyOf(i);
      const c = assignKeyToParallelOperator(key, MAX_PARALLELISM, CONSUMERS);
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
    if (current[c]! >= 0 && position[c]! > 0)
      ports[c]!.postMessage(current[c]! * SEGMENT_SIZE + position[c]!);
    ports[c]!.postMessage(-1);
  }
}

function rawConsumer(input: WorkerInput): Promise<ConsumerResult> {
  const view = new DataView(input.raw!);
  const port = input.ports![0]!;
  const holder = { key: 0, value: 0, timestamp: 0 };
  let count = 0;
  let checksum = 0;
  return new Promise((resolve) => {
    port.on('message', (message: number) => {
      if (message < 0) {
        port.close();
        resolve({ count, checksum });
        return;
      }
      const segment = Math.floor(message / SEGMENT_SIZE);
      const start = segment * SEGMENT_SIZE;
      const end = message;
      for (let offset = start; offset < end; offset += 24) {
        holder.key = view.getFloat64(offset);
        holder.value = view.getFloat64(offset + 8);
        holder.timestamp = view.getFloat64(offset + 16);
        count++;
        checksum = (checksum + holder.value) | 0;
      }
      port.postMessage(segment);
    });
  });
}

async function postMessageProducer(input: WorkerInput): Promise<void> {
  const ports = input.ports!;
  await go();
  for (let i = 0; i < input.records; i++) {
    const key = keyOf(i);
    const c = assignKeyToParallelOperator(key, MAX_PARALLELISM, CONSUMERS);
    ports[c]!.postMessage({ key, value: recordValue(i), timestamp: i });
  }
  for (const port of ports) port.postMessage(null);
}

function postMessageConsumer(input: WorkerInput): Promise<ConsumerResult> {
  const port = input.ports![0]!;
  let count = 0;
  let checksum = 0;
  return new Promise((resolve) => {
    port.on('message', (message: { value: number } | null) => {
      if (message === null) {
        port.close();
        resolve({ count, checksum });
        return;
      }
      count++;
      checksum = (checksum + message.value) | 0;
    });
  });
}

/** Producers wait for the main thread's go (all workers ready). */
function go(): Promise<void> {
  parentPort!.postMessage({ ready: true });
  return new Promise((resolve) =>
    parentPort!.once('message', () => {
      resolve();
    }),
  );
}

async function runWorker(input: WorkerInput): Promise<void> {
  const json = input.variant === 'json';
  if (input.role === 'producer') {
    if (input.variant === 'raw') await rawProducer(input);
    else if (input.variant === 'postMessage') await postMessageProducer(input);
    else await exchangeProducer(input, json);
    parentPort!.postMessage({ producerDone: true });
    return;
  }
  const consumer =
    input.variant === 'raw'
      ? rawConsumer(input)
      : input.variant === 'postMessage'
        ? postMessageConsumer(input)
        : exchangeConsumer(input, json);
  parentPort!.postMessage({ ready: true });
  parentPort!.postMessage({ result: await consumer });
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

function startWorker(input: WorkerInput, transfer: MessagePort[]): Worker {
  return new Worker(new URL(import.meta.url), { workerData: input, transferList: transfer });
}

function nextMessage<T>(worker: Worker, field: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>): void => {
      if (field in message) {
        worker.off('message', onMessage);
        resolve(message[field] as T);
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
}

/** Runs one variant once; returns records per second (all consumers together). */
async function runVariant(variant: Variant, network: NetworkBufferPool): Promise<number> {
  const records =
    variant === 'exchange'
      ? EXCHANGE_RECORDS
      : variant === 'raw'
        ? RAW_RECORDS
        : variant === 'postMessage'
          ? POST_MESSAGE_RECORDS
          : JSON_RECORDS;
  const base: Omit<WorkerInput, 'role' | 'index'> = { variant, records };
  const workers: Worker[] = [];
  const consumerInputs: [WorkerInput, MessagePort[]][] = [];
  let producerInput: [WorkerInput, MessagePort[]];
  if (variant === 'exchange' || variant === 'json') {
    const channels = ExchangeChannels.create({
      numberOfProducers: 1,
      numberOfConsumers: CONSUMERS,
    });
    const shared = { ...base, network: network.getHandle(), channels: channels.getHandle() };
    producerInput = [{ ...shared, role: 'producer', index: 0 }, []];
    for (let c = 0; c < CONSUMERS; c++)
      consumerInputs.push([{ ...shared, role: 'consumer', index: c }, []]);
  } else {
    const raw =
      variant === 'raw'
        ? new SharedArrayBuffer(CONSUMERS * RAW_SEGMENTS_PER_CONSUMER * SEGMENT_SIZE)
        : undefined;
    const pairs = Array.from({ length: CONSUMERS }, () => new MessageChannel());
    const producerPorts = pairs.map((pair) => pair.port1);
    producerInput = [
      { ...base, raw, role: 'producer', index: 0, ports: producerPorts },
      producerPorts,
    ];
    pairs.forEach((pair, c) => {
      consumerInputs.push([
        { ...base, raw, role: 'consumer', index: c, ports: [pair.port2] },
        [pair.port2],
      ]);
    });
  }
  const consumers = consumerInputs.map(([input, transfer]) => startWorker(input, transfer));
  const producer = startWorker(producerInput[0], producerInput[1]);
  workers.push(producer, ...consumers);
  const ready = [producer, ...consumers].map((worker) => nextMessage(worker, 'ready'));
  const results = consumers.map((worker) => nextMessage<ConsumerResult>(worker, 'result'));
  const producerDone = nextMessage(producer, 'producerDone');
  await Promise.all(ready);
  const start = performance.now();
  producer.postMessage('go');
  const got = await Promise.all(results);
  const elapsed = performance.now() - start;
  await producerDone;
  await Promise.all(workers.map((worker) => worker.terminate()));
  const expected = expectedResults(records);
  for (let c = 0; c < CONSUMERS; c++) {
    if (got[c]!.count !== expected[c]!.count || got[c]!.checksum !== expected[c]!.checksum) {
      throw new Error(
        `${variant}: consumer ${c} read ${JSON.stringify(got[c])}, expected ${JSON.stringify(expected[c])}`,
      );
    }
  }
  if (network.getNumberOfUsedMemorySegments() !== 0) {
    throw new Error(`${variant}: ${network.getNumberOfUsedMemorySegments()} segments still in use`);
  }
  return (records / elapsed) * 1000;
}

async function main(): Promise<void> {
  const network = new NetworkBufferPool({ numberOfSegments: 512, segmentSizeBytes: SEGMENT_SIZE });
  const best: Record<Variant, number> = { exchange: 0, raw: 0, postMessage: 0, json: 0 };
  const variants = (process.env.BENCH_VARIANTS?.split(',') ?? [
    'exchange',
    'raw',
    'postMessage',
    'json',
  ]) as Variant[];
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of variants) {
      best[variant] = Math.max(best[variant], await runVariant(variant, network));
    }
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
  await runWorker(workerData as WorkerInput);
}
