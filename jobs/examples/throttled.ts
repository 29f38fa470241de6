/**
 * An endless job with a deliberately slow operator: the example the Helm chart runs by
 * default and the job `test/deploy` scrapes with a real Prometheus to prove that every
 * dashboard query and alert expression finds its series.
 *
 * ```
 *  Source: numbers ──rebalance──► Throttled ──► Sink: Discard
 *  (rate records/s)               (≤ throttle records/s per subtask)
 *   back-pressured                 busy: the bottleneck
 * ```
 *
 * The source offers more records than the throttled map can take, so the source's
 * output buffers fill, its credit runs out and it waits: `backPressuredTimeMsPerSecond`
 * high upstream, `busyTimeMsPerSecond` high on `Throttled`, credit 0 with a backlog on
 * Throttled's input channels, and `GET /jobs/{jobid}/flow` names Throttled as the
 * bottleneck. The throttle blocks its worker thread with `Atomics.wait` instead of
 * spinning, so it looks busy to Sluice without burning a core of a shared machine.
 *
 * Arguments (an object, or `name=value` strings): `rate` source records/s (default
 * 20000), `throttle` records/s per Throttled subtask (default 2000), `parallelism`
 * (default 1).
 */

import type { RuntimeContext } from '../../src/api/functions.ts';
import {
  DataGeneratorSource,
  DiscardingSink,
  defineJob,
  WatermarkStrategy,
} from '../../src/api/index.ts';

/** Arguments of the throttled job. */
export interface ThrottledJobArgs {
  /** Source records per second over all subtasks. @defaultValue 20000 */
  rate?: number | string;
  /** Records per second one Throttled subtask processes at most. @defaultValue 2000 */
  throttle?: number | string;
  /** Parallelism of every operator. @defaultValue 1 */
  parallelism?: number | string;
}

/**
 * Reads a positive number argument from an object (`{rate: 100}`) or from a list of
 * `name=value` / `--name=value` strings (`['rate=100']`), as a job may receive its
 * arguments either way.
 *
 * @param args - the job's arguments
 * @param name - argument name
 * @param fallback - value when absent
 * @returns the number
 * @throws Error naming the argument when the value is not a positive number
 */
export function numberArg(args: unknown, name: string, fallback: number): number {
  let raw: unknown;
  if (Array.isArray(args)) {
    for (const item of args) {
      const match = /^(?:--)?([\w-]+)=(.*)$/.exec(String(item));
      if (match !== null && match[1] === name) raw = match[2];
    }
  } else if (args !== null && typeof args === 'object') {
    raw = (args as Record<string, unknown>)[name];
  }
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`throttled job: argument ${name}=${String(raw)} is not a positive number`);
  }
  return value;
}

/**
 * A map that lets through at most `recordsPerSecond` records per second: it keeps a
 * debt of time owed and blocks the thread (`Atomics.wait`) once a millisecond is owed.
 * No allocation per record.
 */
class ThrottledMap {
  private readonly nsPerRecord: number;
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));
  private dueNs = 0;

  constructor(recordsPerSecond: number) {
    this.nsPerRecord = 1e9 / recordsPerSecond;
  }

  open(_context: RuntimeContext): void {
    this.dueNs = Number(process.hrtime.bigint());
  }

  map(value: number): number {
    this.dueNs += this.nsPerRecord;
    const aheadMs = (this.dueNs - Number(process.hrtime.bigint())) / 1e6;
    if (aheadMs >= 1) Atomics.wait(this.cell, 0, 0, aheadMs);
    else if (aheadMs < -1000) this.dueNs += -aheadMs * 1e6; // idle for long: no burst after it
    return value;
  }
}

export default defineJob<ThrottledJobArgs>(
  (env, args) => {
    const rate = numberArg(args, 'rate', 20_000);
    const throttle = numberArg(args, 'throttle', 2_000);
    env.setParallelism(numberArg(args, 'parallelism', 1));
    env
      .fromSource(
        new DataGeneratorSource((i) => i, Number.POSITIVE_INFINITY, { recordsPerSecond: rate }),
        WatermarkStrategy.noWatermarks(),
        'numbers',
      )
      .rebalance()
      .map(new ThrottledMap(throttle))
      .name('Throttled')
      .uid('throttled')
      .sinkTo(new DiscardingSink<number>())
      .name('Discard');
  },
  { name: 'throttled' },
);
