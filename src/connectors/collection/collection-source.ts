import type {
  Boundedness,
  InputStatus,
  ReaderOutput,
  Source,
  SourceReader,
  SourceReaderContext,
} from '../../api/connector/source.ts';
import { AVAILABLE } from '../../runtime/operators/stream-operator.ts';

/**
 * Reads one contiguous slice of the elements and ends. Emits the records as they are
 * (the same objects: object reuse), without timestamps.
 */
class CollectionSourceReader<T> implements SourceReader<T> {
  private readonly elements: readonly T[];
  private next: number;
  private readonly end: number;

  constructor(elements: readonly T[], start: number, end: number) {
    this.elements = elements;
    this.next = start;
    this.end = end;
  }

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    const stop = Math.min(this.end, this.next + maxRecords);
    const elements = this.elements;
    while (this.next < stop) output.collect(elements[this.next++]!);
    return this.next < this.end ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
  }

  isAvailable(): Promise<void> {
    return AVAILABLE;
  }
}

/**
 * A bounded source over an in-memory array (behind `env.fromElements` and
 * `env.fromCollection`; Flink's `FromElementsGeneratorFunction` source).
 *
 * Elements are copied into an array when the job is declared. Subtask i of p reads the
 * contiguous slice `[⌊i·n/p⌋, ⌊(i+1)·n/p⌋)`, in order; Flink runs this source with
 * parallelism 1 and so does `fromElements`, but `setParallelism(p)` is allowed.
 *
 * Records must be structured-cloneable to cross workers later; within a chain they
 * are handed on as they are.
 *
 * @remarks Declared on every thread that builds the job; each subtask reads its slice.
 */
export class CollectionSource<T> implements Source<T> {
  readonly boundedness: Boundedness = 'BOUNDED';
  /** The elements, in order. */
  readonly elements: readonly T[];

  /** @param elements - the records, copied */
  constructor(elements: Iterable<T>) {
    this.elements = Array.from(elements);
  }

  createReader(context: SourceReaderContext): SourceReader<T> {
    const n = this.elements.length;
    const { subtaskIndex: i, parallelism: p } = context;
    return new CollectionSourceReader(
      this.elements,
      Math.floor((i * n) / p),
      Math.floor(((i + 1) * n) / p),
    );
  }
}
