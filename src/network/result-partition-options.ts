import { Type } from 'typebox';
import { compileOptions } from '../config/validate.ts';
import type { TaskIOMetricGroup } from '../metrics/task-io-metric-group.ts';
import type { StreamElementSerializer } from '../types/stream-element-serializer.ts';
import { MAX_SEGMENTS_UNBOUNDED } from './buffer-pool-layout.ts';
import type { ExchangeChannels } from './exchange-channels.ts';
import type { NetworkBufferPool } from './network-buffer-pool.ts';
import { defaultNetworkExchangeOptions } from './network-exchange-options.ts';

/** Options of a {@link ResultPartition}. */
export interface ResultPartitionOptions {
  /**
   * `execution.buffer-timeout`: flush partly filled buffers this often; 0 = after
   * every record; −1 = never (only full buffers, `flush()` and `finish()`).
   * @defaultValue 100 ms
   */
  bufferTimeoutMs: number;
  /**
   * `taskmanager.network.memory.max-buffers-per-channel`: most buffers one
   * subpartition may hold (being filled, queued or in flight at the receiver).
   * @defaultValue 10 buffers
   */
  maxBuffersPerChannel: number;
  /**
   * Largest frame of one element (same value on the receiving side).
   * @defaultValue 16777216 bytes
   */
  maxRecordSizeBytes: number;
  /**
   * Segments guaranteed to the partition's `LocalBufferPool`; 0 = subpartitions + 1.
   * @defaultValue 0 (subpartitions + 1)
   */
  numberOfRequiredSegments: number;
  /**
   * Most segments the pool may own; 0 = subpartitions × maxBuffersPerChannel
   * (broadcast: maxBuffersPerChannel + 1).
   * @defaultValue 0 (derived)
   */
  maxNumberOfSegments: number;
  /**
   * Broadcast partition: every element is serialized once into one shared buffer that
   * is retained for every subpartition (Flink's `BroadcastRecordWriter`);
   * per-subpartition writes are refused.
   * @defaultValue false
   */
  broadcast: boolean;
}

/** Defaults of {@link ResultPartitionOptions}. */
export const defaultResultPartitionOptions: Readonly<ResultPartitionOptions> = Object.freeze({
  bufferTimeoutMs: defaultNetworkExchangeOptions.bufferTimeoutMs,
  maxBuffersPerChannel: defaultNetworkExchangeOptions.maxBuffersPerChannel,
  maxRecordSizeBytes: defaultNetworkExchangeOptions.maxRecordSizeBytes,
  numberOfRequiredSegments: 0,
  maxNumberOfSegments: 0,
  broadcast: false,
});

/** Validates merged {@link ResultPartitionOptions}; throws `SLUICE_ERR_CONFIG_INVALID` naming the key. */
export const validateResultPartitionOptions = compileOptions(
  Type.Object(
    {
      bufferTimeoutMs: Type.Integer({ minimum: -1, maximum: 2 ** 31 - 1 }),
      maxBuffersPerChannel: Type.Integer({ minimum: 1, maximum: 1 << 20 }),
      maxRecordSizeBytes: Type.Integer({ minimum: 16, maximum: 2 ** 30 }),
      numberOfRequiredSegments: Type.Integer({ minimum: 0, maximum: MAX_SEGMENTS_UNBOUNDED }),
      maxNumberOfSegments: Type.Integer({ minimum: 0, maximum: MAX_SEGMENTS_UNBOUNDED }),
      broadcast: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  'ResultPartition',
);

/** What a {@link ResultPartition} is built over. */
export interface ResultPartitionContext<T> {
  /** This thread's network buffer pool (attached). */
  readonly network: NetworkBufferPool;
  /** The edge's channels. */
  readonly channels: ExchangeChannels;
  /** Producer subtask index of this partition. */
  readonly producerIndex: number;
  /** Serializer of the elements. */
  readonly serializer: StreamElementSerializer<T>;
  /** Task counters: bytes/buffers out and back-pressured time are added here. */
  readonly metrics?: TaskIOMetricGroup;
}
