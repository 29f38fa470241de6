import { ChainingStrategy } from '../runtime/operators/stream-operator.ts';
import type { Sink } from './connector/sink.ts';
import { InvalidApiUseError } from './invalid-api-use-error.ts';
import type { SinkTransformation, Transformation } from './transformation.ts';

/**
 * Checks a parallelism given to `setParallelism` / `setMaxParallelism` at the call, so
 * the error points at the line that set it (the graph checks ranges again).
 *
 * @throws SLUICE_ERR_API_INVALID_USE when `value` is not a positive integer
 */
export function checkPositiveInteger(what: string, operator: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidApiUseError(`${what}(${value}) on "${operator}": give a positive integer`, {
      details: { operator, [what]: value },
    });
  }
  return value;
}

/**
 * Checks a name, uid or slot sharing group given to the API.
 *
 * @throws SLUICE_ERR_API_INVALID_USE when `value` is empty or not a string
 */
export function checkNonEmpty(what: string, operator: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidApiUseError(
      `${what}(${JSON.stringify(value)}) on "${operator}": give a non-empty string`,
      {
        details: { operator, [what]: value },
      },
    );
  }
  return value;
}

/** Settings shared by operators and sinks: name, uid, parallelism, slot sharing, chaining. */
export function applySetting<T extends Transformation<unknown>>(
  transformation: T,
  setting:
    | { name: string; prefix?: string }
    | { uid: string }
    | { description: string }
    | { parallelism: number }
    | { maxParallelism: number }
    | { slotSharingGroup: string }
    | { chainingStrategy: ChainingStrategy },
): void {
  const t = transformation;
  if ('name' in setting)
    t.name = (setting.prefix ?? '') + checkNonEmpty('name', t.name, setting.name);
  else if ('uid' in setting) t.uid = checkNonEmpty('uid', t.name, setting.uid);
  else if ('description' in setting) t.description = setting.description;
  else if ('parallelism' in setting)
    t.parallelism = checkPositiveInteger('setParallelism', t.name, setting.parallelism);
  else if ('maxParallelism' in setting)
    t.maxParallelism = checkPositiveInteger('setMaxParallelism', t.name, setting.maxParallelism);
  else if ('slotSharingGroup' in setting)
    t.slotSharingGroup = checkNonEmpty('slotSharingGroup', t.name, setting.slotSharingGroup);
  else t.chainingStrategy = setting.chainingStrategy;
}

/**
 * The end of a stream: a sink, with the settings Flink's `DataStreamSink` has.
 *
 * Its node is named `Sink: <name>`; `name('x')` sets the part after the prefix.
 *
 * @remarks Built on the thread that declares the job.
 */
export class DataStreamSink<T> {
  readonly transformation: SinkTransformation<T>;

  /** @param transformation - the sink's transformation, already registered */
  constructor(transformation: SinkTransformation<T>) {
    this.transformation = transformation;
  }

  /** The declared sink. */
  getSink(): Sink<T> {
    return this.transformation.sink;
  }

  /** Sets the name (shown as `Sink: <name>`). */
  name(name: string): this {
    applySetting(this.transformation, { name, prefix: 'Sink: ' });
    return this;
  }

  /** Sets a stable id, the basis of the operator id (keep it when the job changes). */
  uid(uid: string): this {
    applySetting(this.transformation, { uid });
    return this;
  }

  /** Sets a longer description for plans. */
  setDescription(description: string): this {
    applySetting(this.transformation, { description });
    return this;
  }

  /** Sets the number of parallel subtasks. @throws SLUICE_ERR_API_INVALID_USE unless a positive integer */
  setParallelism(parallelism: number): this {
    applySetting(this.transformation, { parallelism });
    return this;
  }

  /** Sets the slot sharing group (operators of different groups never share a slot). */
  slotSharingGroup(group: string): this {
    applySetting(this.transformation, { slotSharingGroup: group });
    return this;
  }

  /** Never chain the sink to its input. */
  disableChaining(): this {
    applySetting(this.transformation, { chainingStrategy: ChainingStrategy.NEVER });
    return this;
  }

  /** Start a new chain at the sink. */
  startNewChain(): this {
    applySetting(this.transformation, { chainingStrategy: ChainingStrategy.HEAD });
    return this;
  }
}
