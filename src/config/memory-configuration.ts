import { ConfigError } from '../errors.ts';
import type { MemoryManagerOptions } from '../memory/memory-manager.ts';
import type { NetworkBufferPoolOptions } from '../network/network-buffer-pool.ts';
import { Configuration } from './configuration.ts';
import { CoreOptions } from './options.ts';

/**
 * The process's memory budget in bytes, resolved from the `taskmanager.memory.*`
 * keys: what the `NetworkBufferPool` and the `MemoryManager` reserve at start-up, and
 * what is left for everything else.
 *
 * ```
 *   taskmanager.memory.process.size (default 1 GiB)
 *   ┌──────────────────────┬───────────────────────────┬──────────────────────────┐
 *   │ network buffers      │ managed memory            │ everything else: V8 heaps │
 *   │ fraction 0.1,        │ .managed.size, or         │ of main and workers, code,│
 *   │ clamped [min 64 MiB, │ fraction 0.4              │ Kafka client buffers, …   │
 *   │ max unbounded]       │                           │ (remainingBytes)          │
 *   └──────────────────────┴───────────────────────────┴──────────────────────────┘
 *     SharedArrayBuffer      SharedArrayBuffer
 * ```
 */
export interface MemoryConfiguration {
  /** `taskmanager.memory.process.size`: the whole budget the fractions are fractions of. */
  readonly processSizeBytes: number;
  /** `taskmanager.memory.segment-size`: bytes per network buffer and managed page. */
  readonly segmentSizeBytes: number;
  /** Network buffer memory, rounded down to whole segments. */
  readonly networkMemoryBytes: number;
  /** Network buffers (Flink's `TotalMemorySegments`). */
  readonly numberOfNetworkSegments: number;
  /** Managed memory, rounded down to whole pages. */
  readonly managedMemoryBytes: number;
  /** Managed memory pages. */
  readonly numberOfManagedPages: number;
  /** Process size minus network and managed memory: for heaps, code and native memory. */
  readonly remainingBytes: number;
}

/**
 * Resolves the memory keys with Flink's semantics, Sluice's base for the fractions
 * being `taskmanager.memory.process.size` (Flink's is "total Flink memory": process
 * minus JVM metaspace and overhead, which have no V8 counterpart worth a key):
 *
 * - network = `network.fraction × process.size`, clamped to
 *   [`network.min`, `network.max`] (equal bounds fix the size), as Flink's
 *   `NetworkBufferCalculationResult`;
 * - managed = `managed.size` when set, else `managed.fraction × process.size`;
 * - both rounded down to whole segments of `segment-size`.
 *
 * @param config - configuration (unset keys take their defaults)
 * @returns the resolved budget
 * @throws SLUICE_ERR_CONFIG_INVALID when the segment size is not a power of two,
 *   `network.min > network.max`, network and managed memory do not fit in the process
 *   size, or the network memory holds no segment
 */
export function resolveMemoryConfiguration(
  config: Configuration = new Configuration(),
): MemoryConfiguration {
  const processSizeBytes = config.get(CoreOptions.PROCESS_SIZE);
  const segmentSizeBytes = config.get(CoreOptions.SEGMENT_SIZE);
  if ((segmentSizeBytes & (segmentSizeBytes - 1)) !== 0) {
    throw invalid(
      `taskmanager.memory.segment-size = ${segmentSizeBytes} bytes is not a power of two; use e.g. 32kb`,
      'taskmanager.memory.segment-size',
      segmentSizeBytes,
    );
  }
  const networkMin = config.get(CoreOptions.NETWORK_MIN);
  const networkMax = config.getOptional(CoreOptions.NETWORK_MAX) ?? Number.POSITIVE_INFINITY;
  if (networkMin > networkMax) {
    throw invalid(
      `taskmanager.memory.network.min = ${networkMin} bytes is above taskmanager.memory.network.max = ${networkMax} bytes; lower the minimum or raise the maximum`,
      'taskmanager.memory.network.min',
      networkMin,
    );
  }
  const fromFraction = Math.floor(config.get(CoreOptions.NETWORK_FRACTION) * processSizeBytes);
  const network = Math.min(networkMax, Math.max(networkMin, fromFraction));
  const managedSize = config.getOptional(CoreOptions.MANAGED_SIZE);
  const managed =
    managedSize ?? Math.floor(config.get(CoreOptions.MANAGED_FRACTION) * processSizeBytes);

  const numberOfNetworkSegments = Math.floor(network / segmentSizeBytes);
  const numberOfManagedPages = Math.floor(managed / segmentSizeBytes);
  const networkMemoryBytes = numberOfNetworkSegments * segmentSizeBytes;
  const managedMemoryBytes = numberOfManagedPages * segmentSizeBytes;
  if (numberOfNetworkSegments < 1) {
    throw invalid(
      `network memory of ${network} bytes holds no segment of ${segmentSizeBytes} bytes; raise taskmanager.memory.network.fraction or .min`,
      'taskmanager.memory.network.min',
      networkMin,
    );
  }
  if (networkMemoryBytes + managedMemoryBytes >= processSizeBytes) {
    throw invalid(
      `network memory (${networkMemoryBytes} bytes) plus managed memory (${managedMemoryBytes} bytes) leave nothing of taskmanager.memory.process.size = ${processSizeBytes} bytes; raise the process size or lower taskmanager.memory.network.* / taskmanager.memory.managed.*`,
      'taskmanager.memory.process.size',
      processSizeBytes,
    );
  }
  return {
    processSizeBytes,
    segmentSizeBytes,
    networkMemoryBytes,
    numberOfNetworkSegments,
    managedMemoryBytes,
    numberOfManagedPages,
    remainingBytes: processSizeBytes - networkMemoryBytes - managedMemoryBytes,
  };
}

/**
 * Options for the process's `NetworkBufferPool`.
 *
 * @param memory - the resolved budget
 */
export function networkBufferPoolOptionsOf(
  memory: MemoryConfiguration,
): Pick<NetworkBufferPoolOptions, 'numberOfSegments' | 'segmentSizeBytes'> {
  return {
    numberOfSegments: memory.numberOfNetworkSegments,
    segmentSizeBytes: memory.segmentSizeBytes,
  };
}

/**
 * Options for the process's `MemoryManager`.
 *
 * @param memory - the resolved budget
 */
export function memoryManagerOptionsOf(
  memory: MemoryConfiguration,
): Pick<MemoryManagerOptions, 'memorySizeBytes' | 'pageSizeBytes'> {
  return { memorySizeBytes: memory.managedMemoryBytes, pageSizeBytes: memory.segmentSizeBytes };
}

function invalid(message: string, key: string, value: unknown): ConfigError {
  return new ConfigError(message, { details: { key, value } });
}
