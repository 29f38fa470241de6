/**
 * A real Sluice process and a real Prometheus scraping it, on loopback, for the live
 * check of the dashboards and alert rules (prometheus-live.test.ts).
 *
 * ```
 *  sluice run -- jobs/examples/throttled.ts ──/metrics──► prometheus (scrape every 1 s)
 *   (while the CLI cannot run jobs: the same job on             ▲
 *    MiniCluster, fixtures/minicluster-metrics-server.ts)       │
 *                                   test ── /api/v1/query ──────┘
 * ```
 *
 * Both processes are children of the test process, bound to 127.0.0.1 on free ports,
 * and killed by {@link LiveHarness.stop}.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Arguments of the throttled job: a source 10x faster than the operator after it. */
const JOB_ARGS = ['rate=20000', 'throttle=2000'];

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

  constructor(command: string, args: string[], cwd: string) {
    this.process = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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
  /** True when the throttled job runs (through `sluice run`, or on MiniCluster directly). */
  jobRunning: boolean;
  /** How the job runs. */
  mode: 'sluice run' | 'MiniCluster';
  /** Why `sluice run` could not run the job (the CLI's error), in mode `MiniCluster`. */
  noJobReason: string | undefined;
  sluiceUrl: string;
  prometheusUrl: string;
}

/** Sluice + Prometheus; see the module documentation. */
export class LiveHarness {
  private readonly root: string;
  private readonly node: string;
  private readonly prometheusBin: string;
  private readonly dir = mkdtempSync(join(tmpdir(), 'sluice-live-'));
  private sluice: Child | undefined;
  private prometheus: Child | undefined;

  /**
   * @param root - repository root (bin/sluice.js, jobs/)
   * @param node - Node 24 binary
   * @param prometheusBin - the prometheus binary
   */
  constructor(root: string, node: string, prometheusBin: string) {
    this.root = root;
    this.node = node;
    this.prometheusBin = prometheusBin;
  }

  /** Everything either process printed, for failure messages. */
  get logs(): string {
    return `--- sluice ---\n${this.sluice?.output ?? ''}\n--- prometheus ---\n${this.prometheus?.output.slice(-4000) ?? ''}`;
  }

  /**
   * Starts Sluice with the throttled job (`sluice run`; when the CLI answers that it has
   * no runtime yet, the same job on MiniCluster with Sluice's metrics registry), then
   * Prometheus, and waits until Prometheus has scraped `minSamples` times.
   *
   * @throws Error when the job, Sluice or Prometheus do not come up
   */
  async start(minSamples = 8): Promise<LiveHarnessState> {
    const sluicePort = await freePort();
    const common = [
      '-D',
      `rest.port=${sluicePort}`,
      '-D',
      'rest.address=127.0.0.1',
      '-D',
      'taskmanager.numberOfTaskSlots=2',
      '-D',
      'taskmanager.memory.process.size=512mb',
      '-D',
      'log.format=json',
    ];
    const bin = join(this.root, 'bin/sluice.js');
    this.sluice = new Child(
      this.node,
      [bin, 'run', ...common, '--', 'jobs/examples/throttled.ts', ...JOB_ARGS],
      this.root,
    );
    const sluiceUrl = `http://127.0.0.1:${sluicePort}`;
    let jobRunning = false;
    let noJobReason: string | undefined;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.sluice.output.includes('job submitted')) {
        jobRunning = true;
        break;
      }
      if (this.sluice.exitCode !== undefined) {
        const error = /error: (.*)/.exec(this.sluice.output);
        noJobReason = `\`sluice run jobs/examples/throttled.ts\` exited ${this.sluice.exitCode}: ${error?.[1] ?? this.sluice.output.slice(-500)}`;
        break;
      }
      if (Date.now() > deadline) throw new Error(`sluice run did not start in 60 s\n${this.logs}`);
      await sleep(100);
    }
    let mode: LiveHarnessState['mode'] = 'sluice run';
    if (!jobRunning) {
      if (!this.sluice.output.includes('SLUICE_ERR_REST_NOT_IMPLEMENTED')) {
        throw new Error(`sluice run failed\n${this.logs}`);
      }
      mode = 'MiniCluster';
      this.sluice = new Child(
        this.node,
        [
          join(this.root, 'test/deploy/fixtures/minicluster-metrics-server.ts'),
          String(sluicePort),
          'jobs/examples/throttled.ts',
          ...JOB_ARGS,
        ],
        this.root,
      );
      const end = Date.now() + 60_000;
      while (!this.sluice.output.includes('job submitted')) {
        if (this.sluice.exitCode !== undefined || Date.now() > end) {
          throw new Error(`the throttled job did not start on MiniCluster\n${this.logs}`);
        }
        await sleep(100);
      }
      jobRunning = true;
    }
    await this.waitForHttp(`${sluiceUrl}/healthz`, 30_000);

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
    return { jobRunning, mode, noJobReason, sluiceUrl, prometheusUrl };
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

  /** Stops both processes and removes Prometheus' data. */
  async stop(): Promise<void> {
    await Promise.all([this.prometheus?.stop(), this.sluice?.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
