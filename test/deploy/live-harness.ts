/**
 * A real Sluice process reading a real Kafka topic, and a real Prometheus scraping it,
 * on loopback, for the live check of the dashboards and alert rules
 * (prometheus-live.test.ts).
 *
 * ```
 *  kafkajs ──200,000 numbers──► topic (4 partitions)        Kafka broker of the
 *                                  │ KafkaSource              deploy project
 *                                  ▼ (earliest)               (kafka-global-setup.ts)
 *  sluice run -- jobs/examples/throttled.ts topic=… ──/metrics──► prometheus
 *    checkpoints every 2 s into a temp dir                      (scrape every 1 s)
 *                                                                   ▲
 *                                  test ── /api/v1/query ───────────┘
 * ```
 *
 * The topic holds far more records than the throttled operator (2000 records/s) gets
 * through while the test runs, so the consumer lag stays positive and the source stays
 * back-pressured throughout. {@link LiveHarness.start} returns once a checkpoint has
 * completed and Prometheus has the lag series, so that every family the dashboards read
 * has data. Both processes are children of the test process, bound to 127.0.0.1 on free
 * ports, and stopped by {@link LiveHarness.stop}.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

/** Records loaded into the topic: at 2000 records/s, 150 s of consumer lag. */
export const LIVE_TOPIC_RECORDS = 300_000;
/** Partitions of the topic. */
export const LIVE_TOPIC_PARTITIONS = 4;
/** Arguments of the throttled job besides its topic: one Throttled subtask, 2000 records/s. */
const JOB_ARGS = ['throttle=2000'];
/** Longest wait for a completed checkpoint and the lag series, once Prometheus scrapes. */
const READY_TIMEOUT_MS = 90_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A child process with its output collected. */
class Child {
  readonly process: ChildProcess;
  output = '';
  exitCode: number | null | undefined;
  readonly exited: Promise<void>;

  constructor(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv) {
    this.process = spawn(command, args, {
      cwd,
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process.stdout!.on('data', (d) => (this.output += d));
    this.process.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code) => {
        this.exitCode = code;
        resolve();
      }),
    );
  }

  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.process.kill('SIGTERM');
    const killed = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(killed);
  }
}

/** What the harness is running. */
export interface LiveHarnessState {
  /** The job's id (`GET /jobs`). */
  jobId: string;
  /** The Kafka topic the job reads. */
  topic: string;
  /** Checkpoints completed when the harness was ready (≥ 1). */
  completedCheckpoints: number;
  sluiceUrl: string;
  prometheusUrl: string;
}

/** Sluice + Prometheus; see the module documentation. */
export class LiveHarness {
  private readonly root: string;
  private readonly node: string;
  private readonly prometheusBin: string;
  private readonly brokers: string[];
  private readonly dir = mkdtempSync(join(tmpdir(), 'sluice-live-'));
  private sluice: Child | undefined;
  private prometheus: Child | undefined;
  private progress = '';
  private topic: string | undefined;

  /**
   * @param root - repository root (bin/sluice.js, jobs/)
   * @param node - Node 24 binary
   * @param prometheusBin - the prometheus binary
   * @param brokers - bootstrap servers of a running Kafka broker, `host:port`
   */
  constructor(root: string, node: string, prometheusBin: string, brokers: string[]) {
    this.root = root;
    this.node = node;
    this.prometheusBin = prometheusBin;
    this.brokers = brokers;
  }

  /** Everything either process printed, and how far start() got, for failure messages. */
  get logs(): string {
    return `--- harness ---\n${this.progress}--- sluice ---\n${this.sluice?.output.slice(-20_000) ?? ''}\n--- prometheus ---\n${this.prometheus?.output.slice(-4000) ?? ''}`;
  }

  private step(message: string): void {
    this.progress += `${new Date().toISOString()} ${message}\n`;
  }

  /**
   * Loads a new topic, starts `sluice run` with the throttled job reading it (with
   * checkpoints every 2 s), then Prometheus; waits until Prometheus has scraped
   * `minSamples` times, a checkpoint has completed and the Kafka lag series exists.
   *
   * @param minSamples - scrapes to wait for before the checks (at 1 s each)
   * @throws Error with both processes' output when the topic cannot be loaded, or the
   *   job, Sluice, Prometheus, a checkpoint or the lag series do not come in time
   */
  async start(minSamples = 8): Promise<LiveHarnessState> {
    const topic = `sluice-live-${randomUUID().slice(0, 8)}`;
    this.topic = topic;
    const loadStarted = Date.now();
    await this.loadTopic(topic);
    this.step(
      `loaded ${LIVE_TOPIC_RECORDS} records into ${topic} in ${Date.now() - loadStarted} ms`,
    );

    const sluicePort = await freePort();
    const options = [
      ['rest.port', String(sluicePort)],
      ['rest.address', '127.0.0.1'],
      ['taskmanager.numberOfTaskSlots', '2'],
      ['taskmanager.memory.process.size', '512mb'],
      ['log.format', 'json'],
      ['execution.checkpointing.interval', '2s'],
      ['state.checkpoints.dir', join(this.dir, 'checkpoints')],
    ].flatMap(([key, value]) => ['-D', `${key}=${value}`]);
    const bin = join(this.root, 'bin/sluice.js');
    this.sluice = new Child(
      this.node,
      [bin, 'run', ...options, '--', 'jobs/examples/throttled.ts', `topic=${topic}`, ...JOB_ARGS],
      this.root,
      { ...process.env, KAFKA_BROKERS: this.brokers.join(',') },
    );
    const sluiceUrl = `http://127.0.0.1:${sluicePort}`;
    const deadline = Date.now() + 60_000;
    while (!this.sluice.output.includes('job submitted')) {
      if (this.sluice.exitCode !== undefined) {
        throw new Error(`sluice run exited ${this.sluice.exitCode}\n${this.logs}`);
      }
      if (Date.now() > deadline) throw new Error(`sluice run did not start in 60 s\n${this.logs}`);
      await sleep(100);
    }
    this.step('sluice run submitted the job');
    await this.waitForHttp(`${sluiceUrl}/healthz`, 30_000);
    const jobId = await this.runningJobId(sluiceUrl);
    this.step(`job ${jobId} runs`);

    const promPort = await freePort();
    const config = join(this.dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: sluice',
        `    static_configs: [{ targets: ['127.0.0.1:${sluicePort}'] }]`,
        '',
      ].join('\n'),
    );
    this.prometheus = new Child(
      this.prometheusBin,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      this.dir,
    );
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    await this.waitForHttp(`${prometheusUrl}/-/ready`, 30_000);
    const samplesDeadline = Date.now() + 60_000;
    for (;;) {
      const r = await this.query(prometheusUrl, 'count_over_time(up{job="sluice"}[5m])');
      const n = Number(r[0]?.value[1] ?? 0);
      if (n >= minSamples) break;
      if (Date.now() > samplesDeadline) {
        throw new Error(`Prometheus scraped Sluice ${n} times in 60 s\n${this.logs}`);
      }
      await sleep(500);
    }
    this.step(`Prometheus scraped ${minSamples} times`);

    const readyDeadline = Date.now() + READY_TIMEOUT_MS;
    let completedCheckpoints = 0;
    let lagSeries = 0;
    for (;;) {
      completedCheckpoints = await this.completedCheckpoints(sluiceUrl, jobId);
      lagSeries = (await this.query(prometheusUrl, 'sluice_kafka_consumer_records_lag > 0')).length;
      if (completedCheckpoints >= 1 && lagSeries > 0) break;
      if (this.sluice.exitCode !== undefined) {
        throw new Error(`sluice run exited ${this.sluice.exitCode}\n${this.logs}`);
      }
      if (Date.now() > readyDeadline) {
        throw new Error(
          `in ${READY_TIMEOUT_MS / 1000} s: ${completedCheckpoints} completed checkpoints (want ≥ 1), ${lagSeries} series of sluice_kafka_consumer_records_lag > 0 (want ≥ 1)\n${this.logs}`,
        );
      }
      await sleep(1000);
    }
    // one more scrape, so that Prometheus holds the checkpoint's figures too
    await sleep(2000);
    this.step(`${completedCheckpoints} checkpoints completed, ${lagSeries} partitions lag`);
    return { jobId, topic, completedCheckpoints, sluiceUrl, prometheusUrl };
  }

  /**
   * Creates `topic` with {@link LIVE_TOPIC_PARTITIONS} partitions and writes
   * {@link LIVE_TOPIC_RECORDS} records `0, 1, 2, …` (decimal text) round robin over
   * them, in batches of 10,000.
   */
  private async loadTopic(topic: string): Promise<void> {
    const kafka = new Kafka({
      clientId: 'sluice-live-loader',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: LIVE_TOPIC_PARTITIONS, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      if (!created) throw new Error(`topic ${topic} exists already`);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const batch = 10_000;
      for (let first = 0; first < LIVE_TOPIC_RECORDS; first += batch) {
        const n = Math.min(batch, LIVE_TOPIC_RECORDS - first);
        const messages = Array.from({ length: n }, (_, i) => ({
          partition: (first + i) % LIVE_TOPIC_PARTITIONS,
          value: String(first + i),
        }));
        await producer.send({ topic, acks: 1, messages });
      }
    } finally {
      await producer.disconnect();
    }
  }

  /** The id of the one running job (`GET /jobs`), waited for up to 30 s. */
  private async runningJobId(sluiceUrl: string): Promise<string> {
    const end = Date.now() + 30_000;
    for (;;) {
      const response = await fetch(`${sluiceUrl}/jobs`);
      if (response.ok) {
        const body = (await response.json()) as { jobs: { id: string; status: string }[] };
        const running = body.jobs.find((j) => j.status === 'RUNNING');
        if (running !== undefined) return running.id;
      }
      if (Date.now() > end) throw new Error(`no RUNNING job in GET /jobs\n${this.logs}`);
      await sleep(200);
    }
  }

  /** `counts.completed` of `GET /jobs/{jobid}/checkpoints` (0 when it does not answer). */
  private async completedCheckpoints(sluiceUrl: string, jobId: string): Promise<number> {
    const response = await fetch(`${sluiceUrl}/jobs/${jobId}/checkpoints`);
    if (!response.ok) return 0;
    const body = (await response.json()) as { counts?: { completed?: number } };
    return body.counts?.completed ?? 0;
  }

  private async waitForHttp(url: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        const response = await fetch(url);
        if (response.ok) return;
      } catch {
        // not up yet
      }
      if (Date.now() > end) throw new Error(`${url} not ready in ${timeoutMs} ms\n${this.logs}`);
      await sleep(200);
    }
  }

  /**
   * Evaluates an instant query through Prometheus' HTTP API.
   *
   * @returns the result vector
   * @throws Error with Prometheus' message when the query fails
   */
  async query(
    prometheusUrl: string,
    expr: string,
  ): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const response = await fetch(
      `${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`,
    );
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: {
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      };
    };
    if (body.status !== 'success') throw new Error(`Prometheus rejected ${expr}: ${body.error}`);
    if (body.data!.resultType !== 'vector') {
      const scalar = body.data!.result as unknown as [number, string];
      return [{ metric: {}, value: scalar }];
    }
    return body.data!.result;
  }

  /** Series matching a selector (`/api/v1/series`). */
  async series(prometheusUrl: string, selector: string): Promise<Record<string, string>[]> {
    const params = new URLSearchParams({
      'match[]': selector,
      start: String(Date.now() / 1000 - 600),
    });
    const response = await fetch(`${prometheusUrl}/api/v1/series?${params}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data: Record<string, string>[];
    };
    if (body.status !== 'success')
      throw new Error(`Prometheus rejected ${selector}: ${body.error}`);
    return body.data;
  }

  /** Stops both processes, deletes the topic and removes the checkpoints and Prometheus' data. */
  async stop(): Promise<void> {
    await Promise.all([this.prometheus?.stop(), this.sluice?.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
    if (this.topic !== undefined) await this.deleteTopic(this.topic);
  }

  /** Deletes the test's topic; a broker that is gone already is no error. */
  private async deleteTopic(topic: string): Promise<void> {
    const admin = new Kafka({
      clientId: 'sluice-live-loader',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      await admin.deleteTopics({ topics: [topic], timeout: 5000 });
    } catch {
      // the broker may be stopping with the suite
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
