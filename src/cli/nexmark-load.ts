/**
 * `sluice nexmark load`: writes Nexmark events into a Kafka topic with a progress bar
 * (events written, events/s, ETA), and the same bar for the demo.
 *
 * ```
 * sluice nexmark load --events N --topic T [--rate R] [--seed S] [--partitions P]
 *                     [--out-of-order G] [--paced] [--bootstrap-servers H:P[,…]]
 *
 *  nexmark-events [========================----------------] 61% | 612000/1000000 events | 48211 events/s | ETA 8s
 * ```
 *
 * `--rate` is Nexmark's event rate: events per second of event time (timestamps are
 * spaced by it, from 2015-07-15T00:00:00Z). Events are written as fast as the broker
 * takes them, unless `--paced`: then event time starts now and events are written when
 * their time comes, `--rate` per second. Brokers: `--bootstrap-servers`, else
 * `KAFKA_BROKERS`. The bar goes to standard error (one line every 2 s when it is not a
 * terminal); the summary line to standard output.
 *
 * @remarks Main thread of the CLI or the demo.
 * @module
 */
import { createRequire } from 'node:module';
import { type Command, InvalidArgumentError } from 'commander';
import {
  loadNexmarkEvents,
  type NexmarkLoadOptions,
  type NexmarkLoadResult,
} from '../connectors/nexmark/nexmark-loader.ts';
import { ConfigError } from '../errors.ts';

/** The part of cli-progress used here (it ships no types). */
interface ProgressBar {
  start(total: number, value: number, payload?: Record<string, unknown>): void;
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}
interface CliProgressModule {
  SingleBar: new (options: Record<string, unknown>, preset?: unknown) => ProgressBar;
  Presets: { shades_classic: unknown };
}
const cliProgress = createRequire(import.meta.url)('cli-progress') as CliProgressModule;

/** Where the loader command writes. */
export interface NexmarkLoadIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Progress bar stream. @defaultValue `process.stderr` */
  progressStream?: NodeJS.WritableStream;
}

/**
 * Loads events with a progress bar.
 *
 * @param options - loader options (`onProgress` is the bar's)
 * @param stream - where the bar is drawn
 * @returns what was written
 * @throws what {@link loadNexmarkEvents} throws
 */
export async function loadNexmarkEventsWithProgress(
  options: Omit<NexmarkLoadOptions, 'onProgress'>,
  stream: NodeJS.WritableStream = process.stderr,
): Promise<NexmarkLoadResult> {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${options.topic} [{bar}] {percentage}% | {value}/{total} events | {rate} events/s | ETA {eta_formatted}`,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  // The bar starts with the first batch, after the topic was checked.
  let started = -1;
  try {
    return await loadNexmarkEvents({
      ...options,
      onProgress: (written) => {
        if (started < 0) {
          started = performance.now();
          bar.start(options.events, 0, { rate: 0 });
        }
        const seconds = (performance.now() - started) / 1000;
        bar.update(written, { rate: seconds > 0 ? Math.round(written / seconds) : 0 });
      },
    });
  } finally {
    if (started >= 0) bar.stop();
  }
}

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value.replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer ≥ ${min}, got ${value}`);
    }
    return n;
  };
}

/** Options of the command, as commander parses them. */
interface LoadCommandOptions {
  events: number;
  topic: string;
  rate: number;
  seed: number;
  partitions: number;
  outOfOrder: number;
  paced?: boolean;
  bootstrapServers?: string;
}

/**
 * Adds `nexmark load` to the `sluice` program.
 *
 * @param program - the commander program
 * @param io - output streams and environment
 * @param result - receives the exit code
 */
export function addNexmarkCommands(
  program: Command,
  io: NexmarkLoadIo,
  result: { exitCode: number },
): void {
  const nexmark = program
    .command('nexmark')
    .description('Nexmark benchmark tools (docs/nexmark.md)')
    .exitOverride();
  nexmark
    .command('load')
    .description('write Nexmark events (JSON) into a Kafka topic, with a progress bar')
    .requiredOption('--events <n>', 'number of events', integer(1))
    .requiredOption('--topic <topic>', 'events topic (created when missing)')
    .option('--rate <events/s>', 'events per second of event time', integer(1), 10_000)
    .option('--seed <n>', 'generator seed', integer(0), 0)
    .option('--partitions <n>', 'partitions when the topic is created', integer(1), 4)
    .option('--out-of-order <n>', 'shuffle events within groups of n (1: in order)', integer(1), 1)
    .option('--paced', 'write in real time at --rate, event time starting now')
    .option('--bootstrap-servers <hosts>', 'Kafka brokers host:port[,…] (default: $KAFKA_BROKERS)')
    .exitOverride()
    .action(async (options: LoadCommandOptions) => {
      const brokers = (options.bootstrapServers ?? io.env.KAFKA_BROKERS ?? '')
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b !== '');
      if (brokers.length === 0) {
        throw new ConfigError(
          'sluice nexmark load: no Kafka brokers: pass --bootstrap-servers host:port or set KAFKA_BROKERS',
          { details: { key: 'bootstrap-servers' } },
        );
      }
      const loaded = await loadNexmarkEventsWithProgress(
        {
          brokers,
          topic: options.topic,
          events: options.events,
          partitions: options.partitions,
          realTime: options.paced === true,
          generator: {
            seed: options.seed,
            firstEventRate: options.rate,
            outOfOrderGroupSize: options.outOfOrder,
          },
        },
        io.progressStream ?? process.stderr,
      );
      if (loaded.skipped) {
        io.stdout(
          `topic ${options.topic} already holds ${options.events} events: nothing written\n`,
        );
      } else {
        const seconds = loaded.elapsedMs / 1000;
        io.stdout(
          `wrote ${loaded.written} events (${(loaded.bytes / 1048576).toFixed(1)} MiB) to ${options.topic} in ${seconds.toFixed(1)} s (${Math.round(loaded.written / Math.max(seconds, 0.001))} events/s)\n`,
        );
      }
      result.exitCode = 0;
    });
}
