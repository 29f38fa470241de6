/**
 * Helpers for single-thread exchange tests: a small network buffer pool, one exchange,
 * partitions and gates on the same thread, and element readers.
 */
import {
  ExchangeChannels,
  type ExchangeChannelsOptions,
} from '../../../src/network/exchange-channels.ts';
import { NetworkBufferPool } from '../../../src/network/network-buffer-pool.ts';
import {
  ResultPartition,
  type ResultPartitionOptions,
} from '../../../src/network/result-partition.ts';
import {
  SingleInputGate,
  type SingleInputGateOptions,
} from '../../../src/network/single-input-gate.ts';
import { StreamTaskNetworkInput } from '../../../src/runtime/io/stream-task-network-input.ts';
import { BytesSerializer } from '../../../src/types/primitive-serializers.ts';
import { RowSerializer } from '../../../src/types/row-serializer.ts';
import {
  type StreamElement,
  StreamElementKind,
  StreamRecord,
} from '../../../src/types/stream-element.ts';
import { StreamElementSerializer } from '../../../src/types/stream-element-serializer.ts';
import type { TypeSerializer } from '../../../src/types/type-serializer.ts';

/** Fixed-size test record: which channel it was meant for and its sequence number there. */
export interface SeqRecord {
  channel: number;
  seq: number;
}

export const seqSerializer = new StreamElementSerializer<SeqRecord>(
  RowSerializer.of([
    { name: 'channel', type: 'int32' },
    { name: 'seq', type: 'int64' },
  ]) as unknown as TypeSerializer<SeqRecord>,
);

export const bytesSerializer = new StreamElementSerializer<Uint8Array>(new BytesSerializer());

export const SEGMENT_SIZE = 4096;

export function createNetwork(numberOfSegments = 128): NetworkBufferPool {
  return new NetworkBufferPool({
    numberOfSegments,
    segmentSizeBytes: SEGMENT_SIZE,
    maxBufferPools: 32,
  });
}

export interface Exchange<T> {
  network: NetworkBufferPool;
  channels: ExchangeChannels;
  partitions: ResultPartition<T>[];
  gates: SingleInputGate[];
  inputs: StreamTaskNetworkInput<T>[];
}

/** One exchange with every partition and gate on this thread. */
export function createExchange<T>(
  serializer: StreamElementSerializer<T>,
  options: {
    network?: NetworkBufferPool;
    channels?: Partial<ExchangeChannelsOptions>;
    partition?: Partial<ResultPartitionOptions>;
    gate?: Partial<SingleInputGateOptions>;
  } = {},
): Exchange<T> {
  const network = options.network ?? createNetwork();
  const channels = ExchangeChannels.create({
    ...options.channels,
    buffersPerChannel: options.gate?.buffersPerChannel ?? options.channels?.buffersPerChannel ?? 2,
    floatingBuffersPerGate:
      options.gate?.floatingBuffersPerGate ?? options.channels?.floatingBuffersPerGate ?? 8,
  });
  const partitions = Array.from(
    { length: channels.numberOfProducers },
    (_, p) =>
      new ResultPartition<T>(
        { network, channels, producerIndex: p, serializer },
        { bufferTimeoutMs: -1, ...options.partition },
      ),
  );
  const gates = Array.from(
    { length: channels.numberOfConsumers },
    (_, c) => new SingleInputGate({ network, channels, consumerIndex: c }, options.gate),
  );
  const inputs = gates.map((gate) => new StreamTaskNetworkInput<T>(gate, serializer));
  return { network, channels, partitions, gates, inputs };
}

/** Reads every element available now (null ends it). */
export function readAvailable<T>(input: StreamTaskNetworkInput<T>): StreamElement<T>[] {
  const out: StreamElement<T>[] = [];
  for (;;) {
    const element = input.pollNext();
    if (element === null) return out;
    out.push(element.kind === StreamElementKind.RECORD ? copyRecord(element) : element);
  }
}

/** Values of the records available now. */
export function readValues<T>(input: StreamTaskNetworkInput<T>): T[] {
  return readAvailable(input)
    .filter((element) => element.kind === StreamElementKind.RECORD)
    .map((element) => (element as StreamRecord<T>).value);
}

function copyRecord<T>(record: StreamRecord<T>): StreamRecord<T> {
  const value = record.value;
  const copied =
    value instanceof Uint8Array
      ? (value.slice() as T)
      : typeof value === 'object' && value !== null
        ? ({ ...value } as T)
        : value;
  return new StreamRecord(copied, record.hasTimestamp ? record.timestamp : undefined);
}

/** A record holder for {@link SeqRecord}s. */
export function seqRecord(channel: number, seq: number): StreamRecord<SeqRecord> {
  return new StreamRecord({ channel, seq }, seq);
}
