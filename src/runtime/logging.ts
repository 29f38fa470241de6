/**
 * Sluice's logging: one pino root logger per thread and child loggers bound once
 * per job, vertex and subtask.
 *
 * ```
 * root {pid, hostname}
 *  └─ jobLogger    {jobId, jobName}
 *      └─ taskLogger {jobId, vertexId, subtaskIndex, taskName?}
 * ```
 *
 * Output is pino's JSON lines, one object per line, unless the destination is a
 * terminal (or `log.format: pretty`): then pino-pretty formats the same objects as
 * coloured text. pino-pretty runs as a synchronous stream in the calling thread
 * rather than as a pino transport (a worker thread): a terminal is for people, the
 * volume is small, and nothing is lost when the process exits right after logging.
 *
 * Log as `log.info({ segments, segmentSizeBytes }, 'network buffer pool allocated')`:
 * merging object first, message second. Never on the per-record path.
 *
 * @remarks Each thread (main, every worker) creates its own root logger; child
 * loggers are created once per task, not per record.
 * @module
 */
import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { Type } from 'typebox';
import { option } from '../config/config-option.ts';
import type { Configuration } from '../config/configuration.ts';
import { registerOptions } from '../config/options.ts';
import { compileOptions } from '../config/validate.ts';

/** Log levels, most verbose first; `silent` turns logging off. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Configuration keys of logging (`SLUICE_LOG_LEVEL`, `SLUICE_LOG_FORMAT`). */
export const LoggingOptions = {
  LEVEL: option.enumeration('log.level', LOG_LEVELS, 'info', 'Minimum level of log lines written.'),
  FORMAT: option.enumeration(
    'log.format',
    ['auto', 'json', 'pretty'] as const,
    'auto',
    'Log line format: JSON lines, pretty text, or auto (pretty when stdout is a terminal).',
  ),
} as const;
registerOptions(LoggingOptions);

/** Options of {@link createRootLogger}. */
export interface RootLoggerOptions {
  /**
   * Minimum level written.
   * @defaultValue `'info'`
   */
  level: LogLevel;
  /**
   * `json` (pino JSON lines), `pretty` (pino-pretty text) or `auto` (pretty when the
   * destination is a TTY).
   * @defaultValue `'auto'`
   */
  format: 'auto' | 'json' | 'pretty';
  /**
   * Where lines go; a Node stream or a pino destination.
   * @defaultValue `process.stdout`
   */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Fields bound to every line of this root (e.g. `{ worker: 2 }` in a worker thread). */
  base?: Record<string, unknown>;
}

/** Default {@link RootLoggerOptions}. */
export const defaultRootLoggerOptions: Readonly<RootLoggerOptions> = Object.freeze({
  level: 'info',
  format: 'auto',
});

const validateRootLoggerOptions = compileOptions(
  Type.Object({
    level: Type.Enum([...LOG_LEVELS]),
    format: Type.Enum(['auto', 'json', 'pretty']),
  }),
  'RootLogger',
);

const require = createRequire(import.meta.url);

/**
 * Creates the root logger of the calling thread.
 *
 * @param options - level, format, destination; merged over {@link defaultRootLoggerOptions}
 * @returns a pino logger
 * @throws SLUICE_ERR_CONFIG_INVALID when the level or format is unknown
 */
export function createRootLogger(options: Partial<RootLoggerOptions> = {}): Logger {
  const merged = { ...defaultRootLoggerOptions, ...options };
  validateRootLoggerOptions({ level: merged.level, format: merged.format });
  const destination = merged.destination ?? process.stdout;
  const isTTY = (destination as { isTTY?: boolean }).isTTY === true;
  const pretty = merged.format === 'pretty' || (merged.format === 'auto' && isTTY);
  const loggerOptions: LoggerOptions = { level: merged.level };
  if (merged.base !== undefined) loggerOptions.base = { ...merged.base };
  if (!pretty) return pino(loggerOptions, destination as DestinationStream);
  const build = require('pino-pretty') as typeof import('pino-pretty');
  const stream = build({
    colorize: isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    destination: destination as NodeJS.WritableStream,
    sync: true,
  });
  return pino(loggerOptions, stream);
}

/**
 * Root-logger options from the configuration (`log.level`, `log.format`; the
 * environment variables `SLUICE_LOG_LEVEL` / `SLUICE_LOG_FORMAT` arrive through it).
 *
 * @param configuration - the loaded configuration
 * @param destination - where lines go (default `process.stdout`)
 */
export function rootLoggerOptionsFrom(
  configuration: Configuration,
  destination?: DestinationStream | NodeJS.WritableStream,
): Partial<RootLoggerOptions> {
  const out: Partial<RootLoggerOptions> = {
    level: configuration.get(LoggingOptions.LEVEL) ?? 'info',
    format: configuration.get(LoggingOptions.FORMAT) ?? 'auto',
  };
  if (destination !== undefined) out.destination = destination;
  return out;
}

/** Fields bound to a job's logger. */
export interface JobLogBindings {
  jobId: string;
  jobName?: string;
}

/** Fields bound to a subtask's logger (Flink's MDC `flink-job-id`, task name, subtask). */
export interface TaskLogBindings {
  jobId: string;
  vertexId: string;
  subtaskIndex: number;
  /** The vertex (chain) name, e.g. `Source: bids -> Map`. */
  taskName?: string;
}

/**
 * A child logger for one job. Create once per job.
 *
 * @param root - the thread's root logger
 * @param bindings - job id and name
 */
export function jobLogger(root: Logger, bindings: JobLogBindings): Logger {
  return root.child({ ...bindings });
}

/**
 * A child logger for one subtask, carrying `{jobId, vertexId, subtaskIndex}` on every
 * line. Create once when the task starts, never per record.
 *
 * @param root - the thread's root logger (or a job logger)
 * @param bindings - job, vertex and subtask ids
 */
export function taskLogger(root: Logger, bindings: TaskLogBindings): Logger {
  return root.child({ ...bindings });
}

/** `"level":30` in a pino JSON line. */
const LEVEL_FIELD = /"level":(\d+)/;

/**
 * Writes pino JSON lines logged on another thread (a task slot's worker) to `logger`'s
 * destination, through its formatting (pretty or JSON): worker lines end up where the
 * main thread's lines go, also for an embedder's logger. Lines below `logger`'s level
 * are dropped.
 *
 * @param logger - the main thread's logger (any child of the root)
 * @param lines - one or more JSON lines, each ending in `\n`
 */
export function writeForeignLogLines(logger: Logger, lines: string): void {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    | { write(chunk: string): unknown }
    | undefined;
  const threshold = logger.levelVal;
  let out = '';
  for (const line of lines.split('\n')) {
    if (line === '') continue;
    const level = LEVEL_FIELD.exec(line);
    if (level !== null && Number(level[1]) < threshold) continue;
    out += `${line}\n`;
  }
  if (out === '') return;
  if (stream !== undefined && typeof stream.write === 'function') stream.write(out);
  else process.stdout.write(out);
}
