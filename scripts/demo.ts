/**
 * `npm run demo`: Sluice's main job, Nexmark q5 (hot items), on a real Kafka broker.
 *
 * ```
 *  broker ── KAFKA_BROKERS, else the local broker (started here, stopped on exit)
 *  topics ── nexmark-events (4 partitions) and nexmark-q5-results
 *  load   ── 1,000,000 events with a progress bar; skipped when the topic holds them
 *  run    ── `sluice run nexmark/q5` in this process (the application path: REST server,
 *            /metrics, checkpoints every 5 s under .cache/demo/checkpoints)
 *  show   ── the URLs, a status line every second (records/s, consumer lag,
 *            backpressure, checkpoints, results), the first results as they arrive
 *  Ctrl-C ── the application's shutdown: stop with a savepoint (cancel if it cannot),
 *            then the broker this script started is stopped
 * ```
 *
 * Running it again resumes: application mode derives the job id from the job and its
 * arguments (kept identical here; the brokers travel in `KAFKA_BROKERS`, not in the
 * arguments) and restores the newest checkpoint or savepoint under
 * `.cache/demo/checkpoints`. With a broker the demo started, the topic is reloaded —
 * the generator is deterministic and loads partition by partition in order, so the
 * restored offsets point at the same events.
 *
 * Options: `--events N` (default 1,000,000), `--rate R` (events per second of event time,
 * default 10,000: 1,000,000 events span 100 s), `--parallelism P` (default 2), `--port N`
 * (REST port, default 8081; 0 = any free port), `--topic T` (default nexmark-events),
 * `--state-dir DIR` (checkpoints and the log, default `.cache/demo`). Windows fire once
 * the watermark — the latest event time minus 4 s — passes their end: the last 4 s of
 * event time stay open until more events arrive.
 *
 * Prints `first results` followed by result lines once the first windows fired (the
 * smoke test waits for that line). Exit code: the application's (0 after a clean stop).
 */
import { createWriteStream, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { loadNexmarkEventsWithProgress } from '../src/cli/nexmark-load.ts';
import type { SluiceApplication } from '../src/cli/sluice-application.ts';
import { runCli } from '../src/cli/sluice-cli.ts';
import {
  type KafkaCluster,
  startKafkaCluster,
} from '../src/connectors/kafka/local-kafka-cluster.ts';
import { ensureTopics, NEXMARK_TOPIC_CONFIG } from '../src/connectors/nexmark/nexmark-loader.ts';
import type { Q5Result } from '../src/connectors/nexmark/nexmark-queries.ts';
import type { JobClient } from '../src/runtime/job-client.ts';
import { MiniClusterDispatcher } from '../src/runtime/mini-cluster-dispatcher.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHOWN_RESULTS = 10;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    parallelism: { type: 'string', default: '2' },
    port: { type: 'string', default: '8081' },
    topic: { type: 'string', default: 'nexmark-events' },
    rate: { type: 'string', default: '10000' },
    'state-dir': { type: 'string', default: join(root, '.cache/demo') },
  },
});
const demoDir = resolve(values['state-dir']);
const RATE = Number(values.rate);
const EVENTS = Number(values.events.replaceAll('_', ''));
const PARALLELISM = Number(values.parallelism);
const TOPIC = values.topic;
/** The results topic: `nexmark-q5-results` for the default events topic. */
const OUTPUT = TOPIC === 'nexmark-events' ? 'nexmark-q5-results' : `${TOPIC}-q5-results`;
if (
  !Number.isSafeInteger(EVENTS) ||
  EVENTS < 1 ||
  !Number.isSafeInteger(PARALLELISM) ||
  !(RATE > 0)
) {
  console.error(
    'usage: npm run demo -- [--events N] [--rate R] [--parallelism P] [--port N] [--topic T] [--state-dir DIR]',
  );
  process.exit(2);
}

const say = (text: string) => process.stdout.write(`${text}\n`);
const tty = process.stdout.isTTY === true;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** End offsets of the results topic by partition, before the job starts. */
async function resultsEndOffsets(brokers: string[]): Promise<Map<number, number>> {
  const kafka = new Kafka({ clientId: 'sluice-demo', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(OUTPUT);
    return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads the results this run writes (from the end offsets taken before the job started:
 * results of earlier runs stay in the topic but are not shown) and prints the first ones.
 */
async function watchResults(
  brokers: string[],
  startOffsets: ReadonlyMap<number, number>,
  onResult: (count: number) => void,
): Promise<() => Promise<void>> {
  const kafka = new Kafka({ clientId: 'sluice-demo', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `sluice-demo-reader-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [OUTPUT], fromBeginning: true });
  let count = 0;
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (Number(message.offset) < (startOffsets.get(partition) ?? 0)) return;
      count++;
      if (count <= SHOWN_RESULTS) {
        const r = JSON.parse(message.value?.toString() ?? '{}') as Q5Result;
        if (count === 1) {
          if (tty) process.stdout.write('\r\x1b[K');
          say(
            'first results (hot items: the auction with the most bids per 10 s window, every 2 s):',
          );
        }
        if (tty) process.stdout.write('\r\x1b[K');
        say(
          `  window ${time(r.starttime)}–${time(r.endtime)}  auction ${r.auction}  ${r.num} bids`,
        );
      }
      onResult(count);
    },
  });
  return () => consumer.disconnect();
}

/** The status line: records/s, consumer lag, backpressure, checkpoints, results. */
function startStatusLine(app: SluiceApplication, jobId: string, results: () => number): () => void {
  const dispatcher = app.dispatcher;
  const job = (): JobClient | undefined =>
    dispatcher instanceof MiniClusterDispatcher ? dispatcher.cluster.getJob(jobId) : undefined;
  let lastRead = 0;
  let lastPartitions = 0;
  let lastAt = performance.now();
  const timer = setInterval(() => {
    void (async () => {
      const client = job();
      if (client === undefined) return;
      const snapshot = client.metricsSnapshot();
      let read = 0;
      let lag = 0;
      let backpressure = 0;
      let partitions = 0;
      for (const task of snapshot.tasks) {
        for (const p of task.source?.partitions ?? []) {
          partitions++;
          read += p.currentOffset;
          lag += p.lag;
        }
        backpressure = Math.max(backpressure, task.backPressuredTimeMsPerSecond / 1000);
      }
      const now = performance.now();
      // Offsets start where the job resumed: the first figures of each partition are the
      // baseline, not records read (subtasks report their partitions one by one).
      const rate = partitions === lastPartitions ? ((read - lastRead) * 1000) / (now - lastAt) : 0;
      lastRead = read;
      lastPartitions = partitions;
      lastAt = now;
      let checkpoints = '0';
      try {
        const stats = await dispatcher.checkpointStats(jobId);
        checkpoints = String(stats.counts.completed);
        const restored = stats.latest.restored;
        if (restored !== null) {
          checkpoints += ` (resumed from ${restored.is_savepoint ? 'savepoint' : 'checkpoint'} ${restored.id})`;
        }
      } catch {
        // The job is gone (shutting down).
      }
      const level = backpressure <= 0.1 ? 'ok' : backpressure <= 0.5 ? 'low' : 'high';
      const line = `${client.status.toLowerCase()} | ${fmt(rate)} records/s | lag ${fmt(lag)} | backpressure ${level} (${backpressure.toFixed(2)}) | checkpoints ${checkpoints} | results ${fmt(results())}`;
      if (tty) process.stdout.write(`\r\x1b[K${line}`);
      else say(line);
    })();
  }, 1000);
  return () => {
    clearInterval(timer);
    if (tty) process.stdout.write('\n');
  };
}

/** The newest `savepoint-*` directory under `dir`, if any. */
function latestSavepoint(dir: string): string | undefined {
  try {
    return readdirSync(dir)
      .filter((name) => name.startsWith('savepoint-'))
      .map((name) => join(dir, name))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  mkdirSync(demoDir, { recursive: true });
  let broker: KafkaCluster | undefined;
  let brokers: string[];
  if (process.env.KAFKA_BROKERS) {
    brokers = process.env.KAFKA_BROKERS.split(',');
    say(`broker    ${brokers.join(',')} (KAFKA_BROKERS)`);
  } else {
    say('broker    starting the local Kafka broker (first run: fetches its jars) …');
    broker = await startKafkaCluster({ log: (m) => say(`          ${m}`) });
    brokers = broker.brokers;
    // The job reads its brokers from here (not from its arguments, which stay the same
    // from run to run so that the job id — and its checkpoints — stay the same).
    process.env.KAFKA_BROKERS = brokers.join(',');
    say(`broker    ${broker.description}`);
  }
  const stopBroker = async () => {
    if (broker !== undefined) {
      const b = broker;
      broker = undefined;
      say('stopping the local Kafka broker …');
      await b.stop();
    }
  };
  // Ctrl-C before the job runs: stop the broker, then exit.
  const earlyStop = () => {
    say('interrupted: stopping …');
    void stopBroker().finally(() => process.exit(130));
  };
  process.once('SIGINT', earlyStop);
  process.once('SIGTERM', earlyStop);
  try {
    await ensureTopics(brokers, [
      { topic: TOPIC, partitions: 4, config: { ...NEXMARK_TOPIC_CONFIG } },
      { topic: OUTPUT, partitions: 1, config: { ...NEXMARK_TOPIC_CONFIG } },
    ]);
    const loaded = await loadNexmarkEventsWithProgress({
      brokers,
      topic: TOPIC,
      events: EVENTS,
      partitions: 4,
      generator: { firstEventRate: RATE },
    });
    say(
      loaded.skipped
        ? `events    ${fmt(EVENTS)} already in ${TOPIC}: not loaded again`
        : `events    ${fmt(EVENTS)} loaded into ${TOPIC} in ${(loaded.elapsedMs / 1000).toFixed(1)} s`,
    );

    const startOffsets = await resultsEndOffsets(brokers);
    process.off('SIGINT', earlyStop);
    process.off('SIGTERM', earlyStop);
    let resultCount = 0;
    let stopResults: (() => Promise<void>) | undefined;
    let stopStatus: (() => void) | undefined;
    const logFile = join(demoDir, 'sluice.log');
    const exitCode = await runCli(
      [
        'run',
        'nexmark/q5',
        `topic=${TOPIC}`,
        `output=${OUTPUT}`,
        '-p',
        String(PARALLELISM),
        '-D',
        `rest.port=${values.port}`,
        '-D',
        'rest.address=127.0.0.1',
        '-D',
        `state.checkpoints.dir=${join(demoDir, 'checkpoints')}`,
        '-D',
        'execution.checkpointing.interval=5s',
        // Workers log to the process's stdout whatever the log destination: warnings only.
        '-D',
        'log.level=warn',
      ],
      {
        logDestination: createWriteStream(logFile, { flags: 'a' }),
        onSignal(handler) {
          const on = (signal: NodeJS.Signals) => {
            stopStatus?.();
            stopStatus = undefined;
            say(`${signal}: stopping the job with a savepoint (the next run resumes from it) …`);
            handler(signal);
          };
          process.on('SIGINT', on);
          process.on('SIGTERM', on);
          return () => {
            process.off('SIGINT', on);
            process.off('SIGTERM', on);
          };
        },
        exit(code) {
          void stopBroker().finally(() => process.exit(code));
        },
        onStarted(app) {
          void (async () => {
            let jobId: string | undefined;
            for (let i = 0; i < 600 && jobId === undefined; i++) {
              jobId = (await app.dispatcher.listJobs())[0]?.jid;
              if (jobId === undefined) await new Promise((r) => setTimeout(r, 100));
            }
            if (jobId === undefined) return;
            say(`job       nexmark/q5 (hot items), parallelism ${PARALLELISM}, id ${jobId}`);
            say(`REST API  ${app.url}/jobs/${jobId}   (and ${app.url}/jobs/${jobId}/flow)`);
            say(`metrics   ${app.url}/metrics`);
            say(`OpenAPI   ${app.url}/openapi.json`);
            say(`log       ${logFile}`);
            say('Ctrl-C stops the job with a savepoint; running the demo again resumes from it.');
            stopResults = await watchResults(brokers, startOffsets, (count) => {
              resultCount = count;
            });
            stopStatus = startStatusLine(app, jobId, () => resultCount);
          })().catch((error: unknown) => console.error(error));
        },
      },
    );
    stopStatus?.();
    await stopResults?.().catch(() => {});
    const savepoint = latestSavepoint(join(demoDir, 'checkpoints'));
    if (savepoint !== undefined) say(`savepoint ${savepoint} (the next run resumes from it)`);
    say(`sluice exited with code ${exitCode} (log: ${logFile})`);
    return exitCode;
  } finally {
    await stopBroker();
  }
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
