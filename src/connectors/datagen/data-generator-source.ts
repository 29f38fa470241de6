import { Type } from 'typebox';
import type {
  Boundedness,
  InputStatus,
  ReaderOutput,
  Source,
  SourceReader,
  SourceReaderContext,
} from '../../api/connector/source.ts';
import { compileOptions } from '../../config/validate.ts';
import { ConfigError } from '../../errors.ts';
import { AVAILABLE } from '../../runtime/operators/stream-operator.ts';

/**
 * Makes the record of a given index (Flink's `GeneratorFunction`): a plain function, or
 * an object with `map(index)` and optional `open(ctx)` / `close()`. It must be
 * deterministic: the same index gives the same record on every run.
 */
export type GeneratorFunction<T> =
  | ((index: number) => T)
  | {
      open?(context: SourceReaderContext): void | Promise<void>;
      map(index: number): T;
      close?(): void | Promise<void>;
    };

/** Options of {@link DataGeneratorSource}. */
export interface DataGeneratorSourceOptions {
  /**
   * Records per second over all subtasks (each subtask gets an equal share); unset =
   * as fast as downstream takes them.
   * @defaultValue `undefined` (unlimited), records/s
   */
  recordsPerSecond?: number | undefined;
}

/** Defaults of {@link DataGeneratorSourceOptions}. */
export const defaultDataGeneratorSourceOptions: DataGeneratorSourceOptions = {};

const validateOptions = compileOptions(
  Type.Object({ recordsPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0 })) }),
  'DataGeneratorSource',
);

/**
 * Reads indices `subtaskIndex, subtaskIndex + p, subtaskIndex + 2p, ... < count`, paced
 * by a per-subtask rate: by elapsed time t (s), at most ⌊t·rate⌋ + 1 records; when it is
 * ahead it reports NOTHING_AVAILABLE with a timer that resolves when the next record is
 * due. Being more than one second behind (backpressure) is forgiven, so the rate never
 * bursts above one second's worth.
 */
class DataGeneratorSourceReader<T> implements SourceReader<T> {
  private readonly map: (index: number) => T;
  private readonly generator: GeneratorFunction<T>;
  private readonly context: SourceReaderContext;
  private readonly count: number;
  private readonly stride: number;
  private nextIndex: number;
  private readonly ratePerMs: number;
  private startMs = -1;
  private emitted = 0;
  private available: Promise<void> = AVAILABLE;

  constructor(
    generator: GeneratorFunction<T>,
    count: number,
    context: SourceReaderContext,
    recordsPerSecond: number | undefined,
  ) {
    this.generator = generator;
    this.map =
      typeof generator === 'function' ? generator : (index: number): T => generator.map(index);
    this.context = context;
    this.count = count;
    this.stride = context.parallelism;
    this.nextIndex = context.subtaskIndex;
    this.ratePerMs =
      recordsPerSecond === undefined ? 0 : recordsPerSecond / context.parallelism / 1000;
  }

  async start(): Promise<void> {
    if (typeof this.generator !== 'function') await this.generator.open?.(this.context);
  }

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    if (this.nextIndex >= this.count) return 'END_OF_INPUT';
    let budget = maxRecords;
    if (this.ratePerMs > 0) {
      const now = performance.now();
      if (this.startMs < 0) this.startMs = now;
      let due = Math.floor((now - this.startMs) * this.ratePerMs) + 1 - this.emitted;
      const oneSecond = Math.max(1, Math.floor(this.ratePerMs * 1000));
      if (due > oneSecond) {
        // Forgive a backlog beyond one second instead of bursting to catch up.
        this.startMs = now - (this.emitted + oneSecond - 1) / this.ratePerMs;
        due = oneSecond;
      }
      if (due <= 0) {
        const nextDueMs = this.startMs + this.emitted / this.ratePerMs;
        const delay = Math.max(1, Math.ceil(nextDueMs - now));
        this.available = new Promise((resolve) => setTimeout(resolve, delay));
        return 'NOTHING_AVAILABLE';
      }
      budget = Math.min(budget, due);
    }
    const map = this.map;
    let index = this.nextIndex;
    const count = this.count;
    const stride = this.stride;
    let n = 0;
    while (n < budget && index < count) {
      output.collect(map(index));
      index += stride;
      n++;
    }
    this.nextIndex = index;
    this.emitted += n;
    return index < count ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
  }

  isAvailable(): Promise<void> {
    return this.available;
  }

  /** The next index of this subtask, with the parallelism it is a stride of. */
  snapshotState(): readonly DataGeneratorPosition[] {
    return [
      {
        subtaskIndex: this.context.subtaskIndex,
        parallelism: this.stride,
        nextIndex: this.nextIndex,
      },
    ];
  }

  /**
   * Resumes from a checkpoint. At the same parallelism exactly where this subtask was;
   * at another, from the lowest position of all old subtasks (every index below it was
   * emitted), so nothing is lost and indices between it and the old positions are
   * generated again (at least once).
   */
  restoreState(state: readonly unknown[]): void {
    const positions = state.filter(isPosition);
    if (positions.length === 0) return;
    const same = positions.find(
      (p) => p.parallelism === this.stride && p.subtaskIndex === this.context.subtaskIndex,
    );
    if (same !== undefined && positions.every((p) => p.parallelism === this.stride)) {
      this.nextIndex = same.nextIndex;
      return;
    }
    const low = Math.min(...positions.map((p) => p.nextIndex));
    const base = Math.max(0, low);
    const offset = (((this.context.subtaskIndex - base) % this.stride) + this.stride) % this.stride;
    this.nextIndex = base + offset;
  }

  async close(): Promise<void> {
    if (typeof this.generator !== 'function') await this.generator.close?.();
  }
}

/** A reader's checkpointed position. */
interface DataGeneratorPosition {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly nextIndex: number;
}

function isPosition(value: unknown): value is DataGeneratorPosition {
  const p = value as DataGeneratorPosition;
  return (
    typeof p === 'object' &&
    p !== null &&
    Number.isInteger(p.subtaskIndex) &&
    Number.isInteger(p.parallelism) &&
    Number.isInteger(p.nextIndex)
  );
}

/**
 * Generates records from a function of their index (Flink's `DataGeneratorSource`):
 * index 0 to `count − 1` (or forever with `count = Infinity`), optionally rate-limited;
 * deterministic, so a job fed by it gives the same results on every run.
 *
 * Subtask i of p generates indices `i, i + p, i + 2p, ...`: together they cover every
 * index exactly once, each subtask in ascending order.
 *
 * @example
 * ```ts
 * env.fromSource(new DataGeneratorSource((i) => ({ id: i, v: i % 7 }), 1_000_000), WatermarkStrategy.noWatermarks(), 'gen')
 * ```
 *
 * @remarks Declared on every thread that builds the job; one reader per subtask.
 */
export class DataGeneratorSource<T> implements Source<T> {
  readonly boundedness: Boundedness;
  readonly count: number;
  readonly options: DataGeneratorSourceOptions;
  private readonly generatorFunction: GeneratorFunction<T>;

  /**
   * @param generatorFunction - record of an index; deterministic
   * @param count - number of records (a non-negative integer), or `Infinity` for an unbounded source
   * @param options - rate limit
   * @throws SLUICE_ERR_CONFIG_INVALID when `count` or `recordsPerSecond` is invalid
   */
  constructor(
    generatorFunction: GeneratorFunction<T>,
    count: number,
    options: DataGeneratorSourceOptions = {},
  ) {
    if (!(count === Number.POSITIVE_INFINITY || (Number.isSafeInteger(count) && count >= 0))) {
      throw new ConfigError(
        `DataGeneratorSource: invalid count = ${count}: give a non-negative integer, or Infinity for an unbounded source`,
        { details: { key: 'count', value: count } },
      );
    }
    this.generatorFunction = generatorFunction;
    this.count = count;
    this.options = validateOptions({ ...defaultDataGeneratorSourceOptions, ...options });
    this.boundedness = Number.isFinite(count) ? 'BOUNDED' : 'CONTINUOUS_UNBOUNDED';
  }

  createReader(context: SourceReaderContext): SourceReader<T> {
    return new DataGeneratorSourceReader(
      this.generatorFunction,
      this.count,
      context,
      this.options.recordsPerSecond,
    );
  }
}
