/** Shared set-up of the worker-thread runtime tests: a small cluster and fixture paths. */
import { Configuration } from '../../../src/config/configuration.ts';
import { MiniCluster } from '../../../src/runtime/mini-cluster.ts';

/** Path of a job module under `fixtures/`. */
export function fixture(name: string): URL {
  return new URL(`./fixtures/${name}.ts`, import.meta.url);
}

/** A cluster with `slots` slots, 4 MiB of network memory and fast metrics. */
export function startCluster(slots = 4, keys: Record<string, unknown> = {}): Promise<MiniCluster> {
  return MiniCluster.start(
    Configuration.fromJSON({
      'taskmanager.numberOfTaskSlots': slots,
      'taskmanager.memory.network.min': '4mb',
      'taskmanager.memory.network.max': '4mb',
      'taskmanager.memory.managed.size': '16mb',
      'log.level': 'silent',
      ...keys,
    }),
    { metricsIntervalMs: 20, cancelTimeoutMs: 5000 },
  );
}

/** The rejection of `promise` (fails when it resolves). */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & { code: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}
