/**
 * What scraping `/metrics` costs a running job (issue #8: less than 3 %).
 *
 * A whole Sluice process in this one (`SluiceApplication`: REST server, `SluiceMetrics`,
 * the MiniCluster Dispatcher) runs the runtime benchmark's job (`bench/runtime.ts`:
 * datagen → map → filter → keyBy → rolling sum → discard) at parallelism 2, in
 * alternating rounds without and with an HTTP client fetching `GET /metrics` every
 * 100 ms (ten times Prometheus' usual rate). Timed as `bench/runtime.ts` times it: from
 * the moment every source is open (a start signal in shared memory) to the last
 * subtask's FINISHED.
 *
 * - `baselineRecordsPerSecond`: median over the rounds without the scraper.
 * - `scrapedRecordsPerSecond`: median over the rounds with it.
 * - `overheadPercent`: median over the rounds of `(baseline − scraped) / baseline × 100`
 *   within the round (the two runs of a round are back to back; negative = noise).
 * - `scrapes`: `/metrics` answers received during the scraped rounds.
 * - `scrapeMainThreadMsPerSecond`: main-thread CPU time the scrapes add per second of
 *   job (`process.threadCpuUsage`, median scraped minus median baseline), and
 *   `cpuShareOverheadPercent` its share of the CPU of the `PARALLELISM` busy workers: the
 *   overhead to expect when other processes do not make the wall-clock figures noisy
 *   (the shared development machine runs at a load of 4–10 on 2 cores).
 *
 * The scrape runs on the main thread (the exposition is rendered from the snapshots
 * the workers sent); the records never pass through it, so only CPU contention on a
 * 2-core machine can slow the workers down.
 *
 * Prints one JSON line. Run: `node bench/metrics-overhead.ts` (about 30 s;
 * `BENCH_ROUNDS`, `BENCH_JOB_RECORDS` override the defaults).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { SluiceApplication } from '../src/cli/sluice-application.ts';
import { Configuration } from '../src/config/configuration.ts';
import type { MiniClusterDispatcher } from '../src/runtime/mini-cluster-dispatcher.ts';

const JOB_RECORDS = Number(process.env.BENCH_JOB_RECORDS ?? 1_500_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SCRAPE_INTERVAL_MS = 100;
const PARALLELISM = 2;

/** The runtime benchmark's job module (its default export is the job). */
const RUNTIME_JOB = new URL('./runtime.ts', import.meta.url);

/** Start-signal words of the runtime benchmark's job: sources opened, and "go". */
const READY = 0;
const GO = 1;

/** Main-thread CPU time (ms) of the last {@link runJob} (`process.threadCpuUsage`). */
let lastMainThreadActiveMs = 0;
let lastRunSeconds = 0;

/** Runs the runtime benchmark's job once; returns records per second. */
async function runJob(dispatcher: MiniClusterDispatcher): Promise<number> {
  const control = new SharedArrayBuffer(8);
  const words = new Int32Array(control);
  const job = await dispatcher.cluster.submit(RUNTIME_JOB, {
    args: { count: JOB_RECORDS, parallelism: PARALLELISM, control },
  });
  while (Atomics.load(words, READY) < PARALLELISM) {
    if (job.status !== 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const startMs = Date.now();
  const cpu = process.threadCpuUsage();
  Atomics.store(words, GO, 1);
  Atomics.notify(words, GO);
  await job.result();
  const used = process.threadCpuUsage(cpu);
  lastMainThreadActiveMs = (used.user + used.system) / 1000;
  const endMs = Math.max(...job.getSubtasks().map((s) => s.timestamps.FINISHED ?? 0));
  lastRunSeconds = (endMs - startMs) / 1000;
  return JOB_RECORDS / lastRunSeconds;
}

/**
 * The scraper: a child process (as Prometheus is another process) that fetches `url`
 * every `intervalMs`, never two at once, and reports how many answers it got.
 */
const SCRAPER_SOURCE = `
let scrapes = 0, bytes = 0, inFlight = false;
const [url, intervalMs] = process.argv.slice(1);
setInterval(() => {
  if (inFlight) return;
  inFlight = true;
  fetch(url).then((r) => r.text()).then((t) => { scrapes++; bytes += t.length; })
    .catch((e) => process.stderr.write('scrape failed: ' + e + '\\n'))
    .finally(() => { inFlight = false; });
}, Number(intervalMs));
process.on('message', () => { process.send({ scrapes, bytes }, () => process.exit(0)); });
process.send('ready');
`;

async function startScraper(url: string, intervalMs: number) {
  const child = spawn(process.execPath, ['-e', SCRAPER_SOURCE, url, String(intervalMs)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await once(child, 'message');
  return {
    stop: async (): Promise<{ scrapes: number; bytes: number }> => {
      child.send('stop');
      const [counts] = (await once(child, 'message')) as [{ scrapes: number; bytes: number }];
      return counts;
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const app = await SluiceApplication.start({
    configuration: Configuration.fromJSON({
      'rest.address': '127.0.0.1',
      'rest.port': 0,
      'taskmanager.numberOfTaskSlots': PARALLELISM,
      'taskmanager.memory.network.min': '16mb',
      'taskmanager.memory.network.max': '16mb',
      'taskmanager.memory.managed.size': '64mb',
      'log.level': 'silent',
    }),
    env: {},
  });
  const dispatcher = app.dispatcher as MiniClusterDispatcher;
  const baseline: number[] = [];
  const scraped: number[] = [];
  const baselineMainMsPerSecond: number[] = [];
  const scrapedMainMsPerSecond: number[] = [];
  let scrapes = 0;
  let lastExpositionBytes = 0;
  try {
    await runJob(dispatcher); // warm-up: JIT, module cache
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which condition goes first, so drift in the machine's load cancels out.
      for (const withScraper of round % 2 === 0 ? [false, true] : [true, false]) {
        if (!withScraper) {
          baseline.push(await runJob(dispatcher));
          baselineMainMsPerSecond.push(lastMainThreadActiveMs / lastRunSeconds);
          continue;
        }
        const scraper = await startScraper(`${app.url}/metrics`, SCRAPE_INTERVAL_MS);
        try {
          scraped.push(await runJob(dispatcher));
          scrapedMainMsPerSecond.push(lastMainThreadActiveMs / lastRunSeconds);
        } finally {
          const counts = await scraper.stop();
          scrapes += counts.scrapes;
          if (counts.scrapes > 0) lastExpositionBytes = Math.round(counts.bytes / counts.scrapes);
        }
      }
    }
  } finally {
    await app.shutdown('benchmark done');
  }
  const baselineRecordsPerSecond = Math.round(median(baseline));
  const scrapedRecordsPerSecond = Math.round(median(scraped));
  // Each round ran both conditions back to back: compare within rounds, then take the
  // median, so that the machine's changing load (other processes) cancels out.
  const perRound = baseline.map((b, i) => ((b - scraped[i]!) / b) * 100);
  // The scrape's CPU cost on the main thread, per second of job: on a machine whose cores
  // the workers keep busy, this is CPU taken from them, so its share of the workers'
  // CPU (PARALLELISM cores) is the overhead to expect on an idle machine.
  const scrapeMainThreadMsPerSecond = Math.max(
    0,
    median(scrapedMainMsPerSecond) - median(baselineMainMsPerSecond),
  );
  const result = {
    bench: 'metrics-overhead',
    baselineRecordsPerSecond,
    scrapedRecordsPerSecond,
    overheadPercent: Math.round(median(perRound) * 10) / 10,
    scrapes,
    scrapeMainThreadMsPerSecond: Math.round(scrapeMainThreadMsPerSecond * 10) / 10,
    cpuShareOverheadPercent:
      Math.round((scrapeMainThreadMsPerSecond / (PARALLELISM * 1000)) * 1000) / 10,
    scrapeIntervalMs: SCRAPE_INTERVAL_MS,
    expositionBytes: lastExpositionBytes,
    rounds: ROUNDS,
    overheadPercentRounds: perRound.map((p) => Math.round(p * 10) / 10),
    baselineRounds: baseline.map(Math.round),
    scrapedRounds: scraped.map(Math.round),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
