import { inspect } from 'node:util';
import type { Sink, SinkWriter, SinkWriterContext } from '../../api/connector/sink.ts';

/** Where printed lines go: `process.stdout`, `process.stderr`, or a test double. */
export interface PrintTarget {
  write(text: string): unknown;
}

/** Options of {@link PrintSink}. */
export interface PrintSinkOptions {
  /**
   * Identifier printed before the subtask number (`id:2> record`).
   * @defaultValue `''` (none)
   */
  sinkIdentifier?: string;
  /**
   * Print to standard error instead of standard output.
   * @defaultValue `false`
   */
  stdErr?: boolean;
  /**
   * Where to write instead of stdout/stderr (tests).
   * @defaultValue `process.stdout` (or `process.stderr` with `stdErr`)
   */
  target?: PrintTarget;
}

/** The printed form of a record: strings as they are, other values as `console.log` shows them. */
export function formatRecord(record: unknown): string {
  return typeof record === 'string'
    ? record
    : inspect(record, { breakLength: Number.POSITIVE_INFINITY, depth: 6 });
}

/**
 * Flink's `PrintSinkOutputWriter` prefix: the identifier, then the 1-based subtask
 * number when the sink has more than one subtask, then `> `; empty when both are absent.
 */
export function printPrefix(
  sinkIdentifier: string,
  subtaskIndex: number,
  parallelism: number,
): string {
  let prefix = sinkIdentifier;
  if (parallelism > 1) prefix += `${prefix === '' ? '' : ':'}${subtaskIndex + 1}`;
  return prefix === '' ? '' : `${prefix}> `;
}

class PrintSinkWriter<T> implements SinkWriter<T> {
  private readonly prefix: string;
  private readonly target: PrintTarget;

  constructor(prefix: string, target: PrintTarget) {
    this.prefix = prefix;
    this.target = target;
  }

  write(element: T): void {
    this.target.write(`${this.prefix}${formatRecord(element)}\n`);
  }

  flush(_endOfInput: boolean): void {}

  close(): void {}
}

/**
 * Prints every record on its own line (Flink's `PrintSink`, behind `DataStream.print()`):
 * `2> record` for subtask index 1 of a parallel sink, `record` alone at parallelism 1,
 * `id:2> record` with a sink identifier.
 *
 * @remarks Declared on every thread that builds the job; one writer per subtask, each
 * writing whole lines.
 */
export class PrintSink<T> implements Sink<T> {
  private readonly options: PrintSinkOptions;

  /** @param options - identifier, stream, or target; a string is the sink identifier */
  constructor(options: PrintSinkOptions | string = {}) {
    this.options = typeof options === 'string' ? { sinkIdentifier: options } : options;
  }

  createWriter(context: SinkWriterContext): SinkWriter<T> {
    const target = this.options.target ?? (this.options.stdErr ? process.stderr : process.stdout);
    return new PrintSinkWriter<T>(
      printPrefix(this.options.sinkIdentifier ?? '', context.subtaskIndex, context.parallelism),
      target,
    );
  }
}
