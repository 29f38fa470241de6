/**
 * Loggers of the Kafka connectors: children of one pino root per thread, at the level
 * of `kafka.log-level`, bound once per reader or writer to the operator and subtask.
 *
 * Readers and writers are created by operators that have no logger of their own (the
 * `SourceReaderContext` carries none), so the connectors keep a root of their own per
 * thread, written as JSON lines like the runtime's (`log.format` is not visible here:
 * pretty printing applies only when stdout is a terminal).
 *
 * @remarks One root per thread, created on first use; never used per record.
 * @module
 */
import type { Logger } from 'pino';
import { createRootLogger } from '../../runtime/logging.ts';
import type { KafkaClientLogLevel } from './kafka-client.ts';

let root: Logger | undefined;

const PINO_LEVEL: Record<KafkaClientLogLevel, string> = {
  nothing: 'silent',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'trace',
};

/**
 * A logger for one reader or writer.
 *
 * @param level - `kafka.log-level`
 * @param bindings - fields of every line (`operatorName`, `subtaskIndex`, ...)
 * @returns a pino child logger
 */
export function kafkaConnectorLogger(
  level: KafkaClientLogLevel,
  bindings: Record<string, unknown>,
): Logger {
  root ??= createRootLogger({ level: 'trace', base: { component: 'kafka' } });
  const child = root.child(bindings);
  child.level = PINO_LEVEL[level];
  return child;
}
