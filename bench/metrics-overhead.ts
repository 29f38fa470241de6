/**
 * What scraping `/metrics` costs a running job (issue #8: less than 3 %).
 *
 * A whole Sluice process in this one (`SluiceApplication`: REST server, `SluiceMetrics`,
 * the MiniCluster Dispatcher) runs the runtime benchmark's job (`bench/runtime.ts`:
 * datagen → map → filter → keyBy → rolling sum → discard) at parallelism 2, unbounded,
 * for `BENCH_WINDOWS` windows of `BENCH_WINDOW_MS` each. An HTTP client in another
 * process (as Prometheus is) fetches `GET /metrics` every 100 ms — ten times
 * Prometheus' usual rate — during half of the windows, in the order off, on, on, off
 * (each block of four), so that a linear drift of the machine's load cancels out within
 * a block. The job's sources count the records they generate into shared memory; a
 * window's rate is its count over its length.
 *
 * Why windows of one long run, not separate runs: separate runs of this job differ by
 * ±15–25 % from each other on the shared 2-core machine (start-up, JIT, how the two
 * workers meet on the cores), far more than the effect measured; within one run,
 * neighbouring windows differ by a few percent.
 *
 * - `baselineRecordsPerSecond`, `scrapedRecordsPerSecond`: mean rate of the windows
 *   without and with the scraper.
 * - `overheadPercent`: median over the blocks of `(off − on) / off × 100`, where `off` and
 *   `on` are the block's two windows of each kind (negative = noise);
 *   `overheadPercentMean` the mean over the blocks.
 * - `scrapes`: `/metrics` answers received in the windows (the warm-up is scraped too, so
 *   that the route and renderer are compiled); `expositionBytes` the size of the last.
 * - `scrapeMainThreadMsPerSecond`: main-thread CPU time the scrapes add per second
 *   (`process.threadCpuUsage`, mean of the windows with minus without), and
 *   `cpuShareOverheadPercent` its share of the CPU of the `PARALLELISM` busy workers;
 *   `scraperProcessMsPerSecond` the scraper process's CPU time per second while on, and
 *   `cpuShareWithScraperPercent` both together as a share of the workers' CPU: on a
 *   machine whose cores the workers keep busy, the CPU the scrapes take from them.
 *
 * The scrape runs on the main thread (the exposition is rendered from the snapshots
 * the workers sent); the records never pass through it, so only CPU contention on a
 * 2-core machine can slow the workers down.
 *
 * Prints one JSON line. Run: `node bench/metrics-overhead.ts` (about 95 s;
 * `BENCH_WINDOWS` (a multiple of 4), `BENCH_WINDOW_MS` override the defaults).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { SluiceApplication } from '../src/cli/sluice-application.ts';
import { Configuration } from '../src/config/configuration.ts';
import type { MiniClusterDispatcher } from '../src/runtime/mini-cluster-dispatcher.ts';

const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 160);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 500);
/** Run before the first window, scraped: JIT, credit and pool steady state. */
const WARM_UP_MS = 10_000;
const SCRAPE_INTERVAL_MS = 100;
const PARALLELISM = 2;

/** The runtime benchmark's job module (its default export is the job). */
const RUNTIME_JOB = new URL('./runtime.ts', import.meta.url);

/** Start-signal words of the runtime benchmark's job: sources opened, and "go". */
const READY = 0;
const GO = 1;

/** Whether window `w` scrapes: blocks of four windows off, on, on, off. */
const scrapesIn = (w: number): boolean => w % 4 === 1 || w % 4 === 2;

/**
 * The scraper: a child process (as Prometheus is another process) that, while switched
 * on, fetches `url` every `intervalMs`, never two at once; `{on: boolean}` messages
 * switch it, `'count'` makes it report its counts, `'stop'` makes it report how many answers it got and exit.
 */
const SCRAPER_SOURCE = `
let scrapes = 0, bytes = 0, inFlight = false, timer;
const [url, intervalMs] = process.argv.slice(1);
const scrape = () => {
  if (inFlight) return;
  inFlight = true;
  fetch(url).then((r) => r.text()).then((t) => { scrapes++; bytes = t.length; })
    .catch((e) => process.stderr.write('scrape failed: ' + e + '\\n'))
    .finally(() => { inFlight = false; });
};
process.on('message', (m) => {
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (m === 'count') { process.send({ scrapes, bytes, cpuMs }); return; }
  if (m === 'stop') { clearInterval(timer); process.send({ scrapes, bytes, cpuMs }, () => process.exit(0)); return; }
  clearInterval(timer);
  if (m.on) { scrape(); timer = setInterval(scrape, Number(intervalMs)); }
  process.send('switched');
});
process.send('ready');
`;

/** What the scraper reports: answers, size of the last, its process's CPU time so far. */
interface ScraperCounts {
  scrapes: number;
  bytes: number;
  cpuMs: number;
}

async function startScraper(url: string, intervalMs: number) {
  const child = spawn(process.execPath, ['-e', SCRAPER_SOURCE, url, String(intervalMs)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await once(child, 'message');
  return {
    switch: async (on: boolean): Promise<void> => {
      child.send({ on });
      await once(child, 'message');
    },
    count: async (): Promise<ScraperCounts> => {
      child.send('count');
      const [counts] = (await once(child, 'message')) as [ScraperCounts];
      return counts;
    },
    stop: async (): Promise<ScraperCounts> => {
      child.send('stop');
      const [counts] = (await once(child, 'message')) as [ScraperCounts];
      return counts;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const round1 = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  if (WINDOWS < 4 || WINDOWS % 4 !== 0)
    throw new Error(`BENCH_WINDOWS must be a positive multiple of 4, got ${WINDOWS}`);
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
  const control = new SharedArrayBuffer(8);
  const words = new Int32Array(control);
  const progress = new SharedArrayBuffer(4);
  const generated = new Int32Array(progress);
  const rates: number[] = [];
  const mainMsPerSecond: number[] = [];
  const scraper = await startScraper(`${app.url}/metrics`, SCRAPE_INTERVAL_MS);
  let counts: ScraperCounts = { scrapes: 0, bytes: 0, cpuMs: 0 };
  let warmUp: ScraperCounts = counts;
  try {
    const job = await dispatcher.cluster.submit(RUNTIME_JOB, {
      // Unbounded for this benchmark's length (the progress word is an int32: < 2^31).
      args: { count: Number.MAX_SAFE_INTEGER, parallelism: PARALLELISM, control, progress },
    });
    while (Atomics.load(words, READY) < PARALLELISM) {
      if (job.status !== 'RUNNING') throw new Error(`job ended before it started: ${job.status}`);
      await sleep(1);
    }
    Atomics.store(words, GO, 1);
    Atomics.notify(words, GO);
    // Warm up the job and the scrape path alike (the first scrapes compile the route and
    // the renderer), as in a service that Prometheus has been scraping all along.
    await scraper.switch(true);
    await sleep(WARM_UP_MS);
    await scraper.switch(false);
    warmUp = await scraper.count();
    for (let w = 0; w < WINDOWS; w++) {
      await scraper.switch(scrapesIn(w));
      const startCount = Atomics.load(generated, 0);
      const startMs = performance.now();
      const cpu = process.threadCpuUsage();
      await sleep(WINDOW_MS);
      const used = process.threadCpuUsage(cpu);
      const seconds = (performance.now() - startMs) / 1000;
      rates.push((Atomics.load(generated, 0) - startCount) / seconds);
      mainMsPerSecond.push((used.user + used.system) / 1000 / seconds);
      if (job.status !== 'RUNNING') throw new Error(`job stopped: ${job.status}`);
    }
    await job.cancel();
  } finally {
    counts = await scraper.stop();
    await app.shutdown('benchmark done');
  }
  const on = rates.filter((_, w) => scrapesIn(w));
  const off = rates.filter((_, w) => !scrapesIn(w));
  const perBlock: number[] = [];
  for (let b = 0; b < WINDOWS; b += 4) {
    const offRate = (rates[b]! + rates[b + 3]!) / 2;
    const onRate = (rates[b + 1]! + rates[b + 2]!) / 2;
    perBlock.push(((offRate - onRate) / offRate) * 100);
  }
  const scrapeMainThreadMsPerSecond = Math.max(
    0,
    mean(mainMsPerSecond.filter((_, w) => scrapesIn(w))) -
      mean(mainMsPerSecond.filter((_, w) => !scrapesIn(w))),
  );
  // The scraper is idle while switched off: its CPU time in the windows is the scrapes'.
  const scrapedSeconds = (on.length * WINDOW_MS) / 1000;
  const scraperMsPerSecond = (counts.cpuMs - warmUp.cpuMs) / scrapedSeconds;
  const result = {
    bench: 'metrics-overhead',
    baselineRecordsPerSecond: Math.round(mean(off)),
    scrapedRecordsPerSecond: Math.round(mean(on)),
    overheadPercent: round1(median(perBlock)),
    overheadPercentMean: round1(mean(perBlock)),
    scrapes: counts.scrapes - warmUp.scrapes,
    scrapeMainThreadMsPerSecond: round1(scrapeMainThreadMsPerSecond),
    scraperProcessMsPerSecond: round1(scraperMsPerSecond),
    cpuShareOverheadPercent: round1((scrapeMainThreadMsPerSecond / (PARALLELISM * 1000)) * 100),
    cpuShareWithScraperPercent: round1(
      ((scrapeMainThreadMsPerSecond + scraperMsPerSecond) / (PARALLELISM * 1000)) * 100,
    ),
    scrapeIntervalMs: SCRAPE_INTERVAL_MS,
    expositionBytes: counts.bytes,
    windows: WINDOWS,
    windowMs: WINDOW_MS,
    overheadPercentBlocks: perBlock.map(round1),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
