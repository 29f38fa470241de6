/**
 * Run by `kafka-backpressure.test.ts` in a child process with `--expose-gc` (so resident
 * memory is measured without the test runner's garbage): the throttled pipeline job on
 * an empty topic (what workers and clients cost alone), then on a full topic with the
 * source's pause bound, then on the same topic with an effectively unbounded source
 * queue (what the pause saves). Prints one JSON line of RSS figures (bytes).
 *
 * Args (JSON in argv[2]): brokers, empty, input, output, parallelism, count,
 * maxBufferedBytes, fetchMaxBytes, maxBufferedRecords.
 */
import { Configuration } from '../../../../../src/config/configuration.ts';
import { MiniCluster } from '../../../../../src/runtime/mini-cluster.ts';
import type { KafkaPipelineArgs } from './kafka-pipeline-job.ts';

interface ScenarioArgs {
  brokers: string[];
  empty: string;
  input: string;
  output: string;
  parallelism: number;
  count: number;
  maxBufferedBytes: number;
  fetchMaxBytes: number;
  maxBufferedRecords: number;
}

const args = JSON.parse(process.argv[2]!) as ScenarioArgs;
const job = new URL('./kafka-pipeline-job.ts', import.meta.url);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function steadyRss(ms: number): Promise<number> {
  let peak = 0;
  for (let t = 0; t < ms; t += 250) {
    gc();
    await sleep(250);
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  return peak;
}

const cluster = await MiniCluster.start(
  Configuration.fromJSON({
    'taskmanager.numberOfTaskSlots': args.parallelism,
    'taskmanager.memory.network.min': '4mb',
    'taskmanager.memory.network.max': '4mb',
    'log.level': 'warn',
  }),
  { metricsIntervalMs: 200, cancelTimeoutMs: 10_000 },
);
const control = new SharedArrayBuffer(8);
const words = new Int32Array(control);
Atomics.store(words, 0, 1);
let run = 0;
const pipeline = (input: string, sourceProperties: Record<string, unknown>): KafkaPipelineArgs => ({
  brokers: args.brokers,
  input,
  output: args.output,
  groupId: `bp-scenario-${Date.now()}-${run++}`,
  parallelism: args.parallelism,
  bounded: false,
  sourceProperties: {
    'fetch.max.bytes': args.fetchMaxBytes,
    'max.partition.fetch.bytes': 1048576,
    ...sourceProperties,
  },
  control,
});

/** Runs the throttled job for a while and returns its steady RSS and source figures. */
async function throttled(input: string, sourceProperties: Record<string, unknown>) {
  const client = await cluster.submit(job, { args: pipeline(input, sourceProperties) });
  await client.waitForSubtasks(['RUNNING']);
  await sleep(6_000);
  const rss = await steadyRss(3_000);
  const tasks = client.metricsSnapshot().tasks;
  const result = {
    rss,
    written: Atomics.load(words, 1),
    backPressured: tasks.every((t) => t.isBackPressured),
    pendingRecords: tasks.reduce((sum, t) => sum + (t.source?.pendingRecords ?? 0), 0),
  };
  await client.cancel();
  await client.result().catch(() => {});
  await sleep(1_000);
  return result;
}

const bounded = {
  'source.kafka.max-buffered-bytes': args.maxBufferedBytes,
  'source.kafka.max-buffered-records': args.maxBufferedRecords,
};
const unbounded = {
  'source.kafka.max-buffered-bytes': 2 * 1024 * 1024 * 1024,
  'source.kafka.max-buffered-records': 100_000_000,
};
const rssBefore = await steadyRss(1_000);
const idle = await throttled(args.empty, bounded);
const paused = await throttled(args.input, bounded);
const unpaused = await throttled(args.input, unbounded);
await cluster.close();
console.log(JSON.stringify({ rssBefore, idle, paused, unpaused }));
