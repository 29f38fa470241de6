import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { SluiceApplication } from '../../../src/cli/sluice-application.ts';
import { type CliIo, runCli } from '../../../src/cli/sluice-cli.ts';
import { TestingDispatcher } from '../../helpers/testing-dispatcher.ts';

const TOKEN = 'cli-test-token-0123456789';

/** Captured output of one CLI invocation. */
function capture(extra: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const logs: string[] = [];
  const logDestination = new PassThrough();
  logDestination.on('data', (chunk: Buffer) =>
    logs.push(...chunk.toString().split('\n').filter(Boolean)),
  );
  const io: Partial<CliIo> = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: {},
    logDestination,
    ...extra,
  };
  return { io, out: () => out.join(''), err: () => err.join(''), logs };
}

/** A server started with `runCli([command, …])` in process; `stop()` sends SIGTERM. */
async function startServer(
  argv: string[],
  dispatcher?: TestingDispatcher,
  env: Record<string, string> = {},
) {
  let fire: (signal: string) => void = () => {};
  let started!: (app: SluiceApplication) => void;
  const ready = new Promise<SluiceApplication>((resolve) => {
    started = resolve;
  });
  const output = capture({
    env: { SLUICE_REST_TOKEN: TOKEN, ...env },
    onSignal: (handler) => {
      fire = handler;
      return () => {};
    },
    onStarted: (app) => started(app),
    ...(dispatcher ? { createDispatcher: () => dispatcher } : {}),
  });
  const flags = [
    '-D',
    'rest.port=0',
    '-D',
    'rest.address=127.0.0.1',
    '-D',
    'shutdown.grace-period=1s',
  ];
  const exit = runCli([argv[0]!, ...flags, ...argv.slice(1)], output.io);
  const app = await Promise.race([
    ready,
    exit.then((code) => Promise.reject(new Error(`exited ${code}: ${output.err()}`))),
  ]);
  return {
    app,
    url: app.url,
    output,
    exit,
    stop: async (signal = 'SIGTERM') => {
      fire(signal);
      return exit;
    },
  };
}

async function cli(argv: string[], env: Record<string, string> = {}) {
  const output = capture({ env });
  const code = await runCli(argv, output.io);
  return { code, out: output.out(), err: output.err() };
}

describe('sluice jobs … against a running server', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('jobs list prints a table of jobs; --json prints /jobs/overview', async () => {
    const dispatcher = new TestingDispatcher();
    const jobId = dispatcher.addJob({ name: 'nexmark-q1' });
    server = await startServer(['serve'], dispatcher);
    const table = await cli(['jobs', 'list', '--url', server.url]);
    expect(table.code).toBe(0);
    const lines = table.out.trim().split('\n');
    expect(lines[0]).toMatch(/^JOB ID\s+STATE\s+START\s+DURATION\s+NAME$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${jobId}\\s+RUNNING\\s+\\d{4}-\\d\\d-\\d\\dT.*\\s+nexmark-q1$`),
    );
    const json = await cli(['jobs', 'list', '--json'], { SLUICE_REST_URL: server.url });
    expect(JSON.parse(json.out).jobs[0]).toMatchObject({ jid: jobId, state: 'RUNNING' });
  });

  it('jobs cancel needs the token; with it the job is cancelled', async () => {
    const dispatcher = new TestingDispatcher();
    const jobId = dispatcher.addJob({ name: 'q' });
    server = await startServer(['serve'], dispatcher);
    const denied = await cli(['jobs', 'cancel', jobId, '--url', server.url]);
    expect(denied.code).toBe(1);
    expect(denied.err).toContain('SLUICE_ERR_REST_UNAUTHORIZED');
    const ok = await cli(['jobs', 'cancel', jobId, '--url', server.url], {
      SLUICE_REST_TOKEN: TOKEN,
    });
    expect(ok.code).toBe(0);
    expect(dispatcher.job(jobId)?.state).toBe('CANCELED');
    const again = await cli(['jobs', 'cancel', jobId, '--url', server.url, '--token', TOKEN]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('SLUICE_ERR_REST_JOB_NOT_RUNNING');
  });

  it('jobs savepoint waits for the location; --no-wait prints the trigger id; a stuck one times out', async () => {
    const dispatcher = new TestingDispatcher();
    const jobId = dispatcher.addJob({ name: 'q' });
    server = await startServer(['serve'], dispatcher);
    const args = ['jobs', 'savepoint', jobId, '--url', server.url, '--token', TOKEN];
    const done = await cli([...args, '-d', '/sp', '--trigger-id', 'nightly']);
    expect(done).toMatchObject({
      code: 0,
      out: 'savepoint completed: /savepoints/savepoint-nightly\n',
    });
    expect(dispatcher.calls.find((c) => c.method === 'triggerSavepoint')?.args[1]).toMatchObject({
      targetDirectory: '/sp',
      triggerId: 'nightly',
    });
    dispatcher.autoComplete = false;
    const noWait = await cli([...args, '--no-wait', '--trigger-id', 'later']);
    expect(noWait).toMatchObject({ code: 0, out: 'savepoint triggered: later\n' });
    const stuck = await cli([...args, '--timeout', '300']);
    expect(stuck.code).toBe(1);
    expect(stuck.err).toMatch(/still in progress after 300 ms/);
    // Shutdown meets the same stuck savepoint: after the grace period the job is
    // cancelled without one and the process exits 1.
    const running = server;
    server = undefined;
    expect(await running.stop()).toBe(1);
    expect(dispatcher.job(jobId)?.state).toBe('CANCELED');
    const report = running.output.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'shut down');
    expect(report.failed).toEqual([
      expect.objectContaining({ jobId, code: 'SLUICE_ERR_CLI_SHUTDOWN_TIMEOUT' }),
    ]);
  });

  it('sluice run submits the job: visible, savepointable and cancellable through sluice jobs', async () => {
    const dispatcher = new TestingDispatcher();
    server = await startServer(
      ['run', 'wordcount', '--parallelism', '2', '--', '--input', 'words'],
      dispatcher,
    );
    await expect.poll(() => dispatcher.calls.some((c) => c.method === 'submitJob')).toBe(true);
    expect(dispatcher.calls.find((c) => c.method === 'submitJob')?.args[0]).toMatchObject({
      jobName: 'wordcount',
      parallelism: 2,
      args: ['--input', 'words'],
    });
    const listed = JSON.parse((await cli(['jobs', 'list', '--json', '--url', server.url])).out);
    const jobId = listed.jobs[0].jid;
    expect(listed.jobs[0]).toMatchObject({ name: 'wordcount', state: 'RUNNING' });
    const sp = await cli(['jobs', 'savepoint', jobId, '--url', server.url, '--token', TOKEN]);
    expect(sp.out).toMatch(/^savepoint completed: /);
    expect((await cli(['jobs', 'cancel', jobId, '--url', server.url, '--token', TOKEN])).code).toBe(
      0,
    );
    expect(dispatcher.job(jobId)?.state).toBe('CANCELED');
  });

  it('SIGTERM stops running jobs with a savepoint, closes the server and exits 0', async () => {
    const dispatcher = new TestingDispatcher();
    const jobId = dispatcher.addJob({ name: 'q' });
    const running = await startServer(['serve'], dispatcher);
    const code = await running.stop('SIGTERM');
    expect(code).toBe(0);
    expect(dispatcher.job(jobId)?.state).toBe('FINISHED');
    expect(dispatcher.calls.find((c) => c.method === 'stopWithSavepoint')?.args[0]).toBe(jobId);
    expect(dispatcher.closed).toBe(true);
    const lines = running.output.logs.map((l) => JSON.parse(l));
    expect(lines.find((l) => l.msg === 'shut down')).toMatchObject({
      exitCode: 0,
      savepoints: [{ jobId, location: `/savepoints/savepoint-shutdown-${jobId}` }],
    });
    const after = await cli(['jobs', 'list', '--url', running.url]);
    expect(after.code).toBe(1);
    expect(after.err).toContain('SLUICE_ERR_CLI_SERVER_UNREACHABLE');
  });
});

describe('sluice: failures', () => {
  it('run of a name not in the job catalog: UNKNOWN_JOB_MODULE naming the catalog, the server closes, exit 1', async () => {
    const output = capture({ env: {}, onSignal: () => () => {} });
    const code = await runCli(
      [
        'run',
        'wordcount',
        '-D',
        'rest.port=0',
        '-D',
        'rest.address=127.0.0.1',
        '-D',
        'taskmanager.memory.network.min=4mb',
        '-D',
        'taskmanager.memory.network.max=4mb',
        '-D',
        'taskmanager.memory.managed.size=8mb',
      ],
      output.io,
    );
    expect(code).toBe(1);
    expect(output.err()).toMatch(
      /no job "wordcount" in the job catalog .*jobs: it has .*examples\/throttled.*SLUICE_ERR_REST_UNKNOWN_JOB_MODULE/,
    );
    expect(output.logs.some((l) => l.includes('"msg":"shut down"'))).toBe(true);
  });

  it('an unreachable server is SLUICE_ERR_CLI_SERVER_UNREACHABLE, exit 1', async () => {
    const result = await cli(['jobs', 'list', '--url', 'http://127.0.0.1:9']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /cannot reach the Sluice REST server at http:\/\/127\.0\.0\.1:9.*SLUICE_ERR_CLI_SERVER_UNREACHABLE/,
    );
  });

  it('a bad configuration value fails at start naming the key; bad usage exits 2', async () => {
    const bad = await cli(['serve', '-D', 'rest.port=eighty']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('rest.port');
    expect(bad.err).toContain('SLUICE_ERR_CONFIG_INVALID');
    const short = await cli(['serve', '-D', 'rest.port=0'], { SLUICE_REST_TOKEN: 'short' });
    expect(short.code).toBe(1);
    expect(short.err).toContain('at least 16');
    expect((await cli(['jobs', 'cancel'])).code).toBe(2);
    expect((await cli(['run', 'x', '--parallelism', '0'])).code).toBe(2);
    expect((await cli(['bogus'])).code).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('serve');
  });
});

describe('bin/sluice.js', () => {
  it('runs the TypeScript entry: --version prints the package version', async () => {
    const bin = new URL('../../../bin/sluice.js', import.meta.url);
    const { stdout } = await promisify(execFile)(process.execPath, [bin.pathname, '--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
