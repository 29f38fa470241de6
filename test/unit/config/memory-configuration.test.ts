import { describe, expect, it } from 'vitest';
import { Configuration } from '../../../src/config/configuration.ts';
import {
  memoryManagerOptionsOf,
  networkBufferPoolOptionsOf,
  resolveMemoryConfiguration,
} from '../../../src/config/memory-configuration.ts';

const MiB = 1024 ** 2;
const CONFIG = expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' });

function resolve(values: Record<string, string | number>) {
  const config = new Configuration();
  for (const [key, value] of Object.entries(values)) config.setRaw(key, value);
  return resolveMemoryConfiguration(config);
}

describe('resolveMemoryConfiguration', () => {
  it('takes the fractions of taskmanager.memory.process.size (default 1 GiB)', () => {
    const memory = resolveMemoryConfiguration();
    expect(memory.processSizeBytes).toBe(1024 * MiB);
    expect(memory.segmentSizeBytes).toBe(32 * 1024);
    // 0.1 × 1 GiB = 102.4 MiB, rounded down to 3276 segments of 32 KiB
    expect(memory.numberOfNetworkSegments).toBe(3276);
    expect(memory.networkMemoryBytes).toBe(3276 * 32 * 1024);
    // 0.4 × 1 GiB = 409.6 MiB → 13107 pages
    expect(memory.numberOfManagedPages).toBe(13107);
    expect(memory.remainingBytes).toBe(
      memory.processSizeBytes - memory.networkMemoryBytes - memory.managedMemoryBytes,
    );
    expect(networkBufferPoolOptionsOf(memory)).toEqual({
      numberOfSegments: 3276,
      segmentSizeBytes: 32768,
    });
    expect(memoryManagerOptionsOf(memory)).toEqual({
      memorySizeBytes: 13107 * 32768,
      pageSizeBytes: 32768,
    });
  });

  it('clamps network memory to [network.min, network.max] as Flink does', () => {
    expect(resolve({ 'taskmanager.memory.process.size': '256mb' }).networkMemoryBytes).toBe(
      64 * MiB,
    );
    expect(
      resolve({ 'taskmanager.memory.process.size': '4g', 'taskmanager.memory.network.max': '128m' })
        .networkMemoryBytes,
    ).toBe(128 * MiB);
    expect(
      resolve({ 'taskmanager.memory.network.min': '32m', 'taskmanager.memory.network.max': '32m' })
        .networkMemoryBytes,
    ).toBe(32 * MiB);
  });

  it('uses taskmanager.memory.managed.size over the fraction, and a smaller segment size', () => {
    const memory = resolve({
      'taskmanager.memory.managed.size': '10mb',
      'taskmanager.memory.segment-size': '4kb',
    });
    expect(memory.managedMemoryBytes).toBe(10 * MiB);
    expect(memory.numberOfManagedPages).toBe(2560);
    expect(memory.numberOfNetworkSegments).toBe(Math.floor((0.1 * 1024 * MiB) / 4096));
  });

  it('rejects inconsistent settings, naming the keys', () => {
    expect(() => resolve({ 'taskmanager.memory.segment-size': '48kb' })).toThrowError(
      /segment-size = 49152 bytes is not a power of two/,
    );
    expect(() =>
      resolve({
        'taskmanager.memory.network.min': '128m',
        'taskmanager.memory.network.max': '64m',
      }),
    ).toThrowError(CONFIG);
    expect(() =>
      resolve({
        'taskmanager.memory.process.size': '128m',
        'taskmanager.memory.managed.fraction': 0.6,
      }),
    ).toThrowError(/leave nothing of taskmanager\.memory\.process\.size/);
  });
});
