import type { Sink, SinkWriter } from '../../api/connector/sink.ts';

/** Drops records; counts them. */
class DiscardingSinkWriter<T> implements SinkWriter<T> {
  /** Records dropped so far. */
  numRecords = 0;

  write(_element: T): void {
    this.numRecords++;
  }

  flush(_endOfInput: boolean): void {}

  close(): void {}
}

/**
 * A sink that drops every record (Flink's `DiscardingSink`): for benchmarks and for
 * jobs run for their side effects.
 *
 * @remarks Declared on every thread that builds the job; one writer per subtask.
 */
export class DiscardingSink<T> implements Sink<T> {
  createWriter(): SinkWriter<T> {
    return new DiscardingSinkWriter<T>();
  }
}
