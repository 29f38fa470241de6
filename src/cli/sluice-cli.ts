/**
 * The `sluice` command line (commander):
 *
 * ```
 * sluice serve [-c FILE] [-D key=value …]                 session mode: server, no job
 * sluice run <job> [args…] [-p N] [-c FILE] [-D key=value …] [-s PATH]
 *                                                          application mode: one job + server;
 *                                                          exits with the job (0 finished or
 *                                                          cancelled, 1 failed)
 * sluice jobs list      [--url URL] [--token T] [--json]
 * sluice jobs cancel    <jobid>
 * sluice jobs savepoint <jobid> [-d DIR] [--cancel] [--trigger-id ID] [--no-wait] [--timeout MS]
 * sluice nexmark load --events N --topic T [--rate R] [--seed S] [--partitions P]
 *                                                          Nexmark events into Kafka (nexmark-load.ts)
 * ```
 *
 * Configuration: defaults < YAML file (`-c`) < `SLUICE_*` environment variables <
 * `-D key=value`, validated at start with errors naming the key. `jobs` commands
 * talk to a running server: `--url` (or `SLUICE_REST_URL`, default
 * `http://localhost:8081`), `--token` / `--token-file` (or `SLUICE_REST_TOKEN`).
 *
 * {@link runCli} returns the exit code instead of exiting, so that tests run it in
 * process: 0 success, 1 failure, 2 usage error.
 *
 * @remarks Main thread.
 * @module
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadConfiguration } from '../config/configuration.ts';
import { serializeError } from '../errors.ts';
import type { Dispatcher } from '../server/job-controller.ts';
import { REST_TOKEN_ENV } from '../server/rest-options.ts';
import { SLUICE_VERSION } from '../server/sluice-version.ts';
import { addNexmarkCommands } from './nexmark-load.ts';
import { RestClient } from './rest-client.ts';
import { SluiceApplication, type SluiceApplicationOptions } from './sluice-application.ts';

/** What the CLI talks to; tests replace every part. */
export interface CliIo {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Where server log lines go (serve, run). */
  logDestination: NodeJS.WritableStream | undefined;
  /** Subscribes to termination signals; returns the unsubscribe function. */
  onSignal(handler: (signal: string) => void): () => void;
  /** Ends the process at once (a second signal during shutdown). */
  exit(code: number): void;
  /** Called once the server listens (tests read the URL from it). */
  onStarted(app: SluiceApplication): void;
  /** Builds the Dispatcher (default: the runtime's, over a MiniCluster). */
  createDispatcher: SluiceApplicationOptions['createDispatcher'];
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  logDestination: undefined,
  onSignal(handler) {
    const on = (signal: NodeJS.Signals) => handler(signal);
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
    return () => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
    };
  },
  exit: (code) => process.exit(code),
  onStarted: () => {},
  createDispatcher: undefined,
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * The job id of application mode: derived from the job and its arguments, so that
 * running the same command again (a restarted container) finds the job's checkpoints
 * under `state.checkpoints.dir` and resumes from the latest (also at another
 * `--parallelism`: state is redistributed by key group).
 *
 * @returns 32 hex digits
 */
export function applicationJobId(job: string, args: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify(['sluice-application', job, args]))
    .digest('hex')
    .slice(0, 32);
}

/** A `sluice run` argument naming a module file rather than a catalog name. */
const MODULE_PATH = /\.(?:ts|mts|js|mjs)$/;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected an integer ≥ 1, got ${value}`);
  return n;
}

interface ServerOptions {
  config?: string;
  define: string[];
}

interface ClientOptions {
  url?: string;
  token?: string;
  tokenFile?: string;
}

function clientOf(options: ClientOptions, env: CliIo['env']): RestClient {
  let token = options.token ?? env[REST_TOKEN_ENV];
  if (token === undefined && options.tokenFile !== undefined) {
    token = readFileSync(options.tokenFile, 'utf8').trim();
  }
  return new RestClient({
    url: options.url ?? env.SLUICE_REST_URL ?? 'http://localhost:8081',
    token: token === '' ? undefined : token,
  });
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** Formats a duration in ms as `1h02m03s`. */
function formatDuration(ms: number): string {
  if (!(ms >= 0)) return '-';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m${String(rest).padStart(2, '0')}s`
    : m > 0
      ? `${m}m${String(rest).padStart(2, '0')}s`
      : `${rest}s`;
}

/**
 * Builds the commander program.
 *
 * @param io - output, environment, signals
 * @param result - receives the exit code of server commands
 */
function buildProgram(io: CliIo, result: { exitCode: number }): Command {
  const program = new Command('sluice')
    .description('Sluice: a stream-processing runtime for Node.js (Kafka in, operators, Kafka out)')
    .version(SLUICE_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();

  const serverCommand = (name: string) =>
    program
      .command(name)
      .option('-c, --config <file>', 'YAML configuration file')
      .option('-D, --define <key=value>', 'set a configuration key (repeatable)', collect, [])
      .exitOverride();

  /**
   * Starts the server; `afterStart` (application mode) submits the job and resolves
   * with the exit code once the job ended (then the process shuts down), or with
   * `undefined` to keep serving until a signal.
   */
  const runServer = async (
    options: ServerOptions,
    afterStart?: (app: SluiceApplication) => Promise<number | undefined>,
  ) => {
    const configuration = loadConfiguration({
      file: options.config,
      env: io.env,
      dynamicProperties: options.define,
    });
    const app = await SluiceApplication.start({
      configuration,
      env: io.env,
      ...(io.logDestination ? { logDestination: io.logDestination } : {}),
      ...(io.createDispatcher ? { createDispatcher: io.createDispatcher } : {}),
    });
    io.onStarted(app);
    let signals = 0;
    const done = new Promise<number>((resolve) => {
      const unsubscribe = io.onSignal((signal) => {
        signals++;
        if (signals > 1) {
          app.log.warn({ signal }, 'second signal during shutdown: exiting now');
          io.exit(1);
          return;
        }
        void app.shutdown(signal).then(({ exitCode }) => {
          unsubscribe();
          resolve(exitCode);
        });
      });
      if (afterStart !== undefined) {
        afterStart(app).then(
          async (jobExitCode) => {
            if (jobExitCode === undefined || signals > 0) return;
            const { exitCode } = await app.shutdown('the application job ended');
            unsubscribe();
            resolve(Math.max(jobExitCode, exitCode));
          },
          async (error) => {
            const e = serializeError(error);
            app.log.error({ code: e.code, err: error }, 'application failed to start its job');
            io.stderr(`error: ${e.message} (${e.code})\n`);
            await app.shutdown('job submission failed');
            unsubscribe();
            resolve(1);
          },
        );
      }
    });
    result.exitCode = await done;
  };

  serverCommand('serve')
    .description('start the REST server without a job (session mode)')
    .action(async (options: ServerOptions) => runServer(options));

  serverCommand('run')
    .description(
      'run one job with the REST server (application mode; what the container runs): the process exits when the job ends (0 finished or cancelled, 1 failed)',
    )
    .argument(
      '<job>',
      'job name in the job catalog (job-catalog.dir, e.g. examples/throttled), or the path of a job module (ending in .ts, .mts, .js or .mjs)',
    )
    .argument('[args...]', 'arguments passed to the job')
    .option('-p, --parallelism <n>', 'default parallelism of the job', positiveInt)
    .option('-s, --from-savepoint <path>', 'restore from this savepoint')
    .option('--allow-non-restored-state', 'skip savepoint state that maps to no operator')
    .action(
      async (
        job: string,
        args: string[],
        options: ServerOptions & {
          parallelism?: number;
          fromSavepoint?: string;
          allowNonRestoredState?: boolean;
        },
      ) =>
        runServer(options, async (app: SluiceApplication) => {
          const dispatcher: Dispatcher = app.dispatcher;
          const isPath = MODULE_PATH.test(job);
          const { jobId } = await dispatcher.submitJob({
            jobName: job,
            modulePath: isPath ? job : undefined,
            parallelism: options.parallelism,
            args,
            savepointPath: options.fromSavepoint,
            allowNonRestoredState: options.allowNonRestoredState,
            jobId: applicationJobId(job, args),
          });
          app.log.info({ jobId, jobName: job }, 'job submitted');
          if (dispatcher.awaitJobTermination === undefined) return undefined;
          const state = await dispatcher.awaitJobTermination(jobId);
          const exitCode = state === 'FAILED' ? 1 : 0;
          app.log.info(
            { jobId, jobName: job, state, exitCode },
            `job ${state}: the application shuts down`,
          );
          return exitCode;
        }),
    );

  const jobs = program
    .command('jobs')
    .description('talk to a running Sluice server')
    .addOption(new Option('--url <url>', 'REST server base URL').env('SLUICE_REST_URL'))
    .option('--token <token>', `bearer token (default: $${REST_TOKEN_ENV})`)
    .option('--token-file <file>', 'file holding the bearer token')
    .exitOverride();

  jobs
    .command('list')
    .description('list jobs')
    .option('--json', 'print the JSON of GET /jobs/overview')
    .exitOverride()
    .action(async (options: { json?: boolean }, command: Command) => {
      const client = clientOf(command.optsWithGlobals<ClientOptions>(), io.env);
      const overview = await client.jobsOverview();
      if (options.json) {
        io.stdout(`${JSON.stringify(overview, null, 2)}\n`);
        return;
      }
      if (overview.jobs.length === 0) {
        io.stdout('no jobs\n');
        return;
      }
      const rows = overview.jobs.map((j) => [
        j.jid,
        j.state,
        new Date(j['start-time']).toISOString(),
        formatDuration(j.duration),
        j.name,
      ]);
      const header = ['JOB ID', 'STATE', 'START', 'DURATION', 'NAME'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const row of [header, ...rows]) {
        io.stdout(
          `${row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i]!))).join('  ')}\n`,
        );
      }
    });

  jobs
    .command('cancel')
    .description('cancel a job (no savepoint)')
    .argument('<jobid>', 'job id')
    .exitOverride()
    .action(async (jobId: string, _options: unknown, command: Command) => {
      await clientOf(command.optsWithGlobals<ClientOptions>(), io.env).cancel(jobId);
      io.stdout(`cancelling job ${jobId}\n`);
    });

  jobs
    .command('savepoint')
    .description('trigger a savepoint and wait for its location')
    .argument('<jobid>', 'job id')
    .option('-d, --target-directory <dir>', 'savepoint directory')
    .option('--cancel', 'cancel the job after the savepoint')
    .option('--trigger-id <id>', 'client-chosen trigger id (retries are safe)')
    .option('--no-wait', 'print the trigger id and return at once')
    .option('--timeout <ms>', 'how long to wait for completion', positiveInt, 600_000)
    .exitOverride()
    .action(
      async (
        jobId: string,
        options: {
          targetDirectory?: string;
          cancel?: boolean;
          triggerId?: string;
          wait: boolean;
          timeout: number;
        },
        command: Command,
      ) => {
        const client = clientOf(command.optsWithGlobals<ClientOptions>(), io.env);
        const body: { 'target-directory'?: string; 'cancel-job'?: boolean; triggerId?: string } =
          {};
        if (options.targetDirectory !== undefined)
          body['target-directory'] = options.targetDirectory;
        if (options.cancel) body['cancel-job'] = true;
        if (options.triggerId !== undefined) body.triggerId = options.triggerId;
        const triggerId = await client.triggerSavepoint(jobId, body);
        if (!options.wait) {
          io.stdout(`savepoint triggered: ${triggerId}\n`);
          return;
        }
        const deadline = Date.now() + options.timeout;
        for (;;) {
          const status = await client.savepointStatus(jobId, triggerId);
          if (status.status.id === 'COMPLETED') {
            const failure = status.operation?.['failure-cause'];
            if (failure !== undefined) {
              io.stderr(
                `error: savepoint ${triggerId} failed: ${failure.message} (${failure.code})\n`,
              );
              result.exitCode = 1;
              return;
            }
            io.stdout(`savepoint completed: ${status.operation?.location ?? '(no location)'}\n`);
            return;
          }
          if (Date.now() >= deadline) {
            io.stderr(
              `error: savepoint ${triggerId} still in progress after ${options.timeout} ms; poll GET /jobs/${jobId}/savepoints/${triggerId}\n`,
            );
            result.exitCode = 1;
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      },
    );

  addNexmarkCommands(program, io, result);

  return program;
}

/**
 * Runs the `sluice` command line.
 *
 * @param argv - arguments after the program name
 * @param io - overrides of the process' streams, environment and signals
 * @returns the exit code: 0 success, 1 failure, 2 usage error
 */
export async function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const resolved: CliIo = { ...defaultIo, ...io };
  const result = { exitCode: 0 };
  const program = buildProgram(resolved, result);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return 0;
      return error.exitCode === 0 ? 0 : 2;
    }
    const e = serializeError(error);
    resolved.stderr(`error: ${e.message} (${e.code})\n`);
    return 1;
  }
}
