/**
 * Names a side output of an operator (Flink's `OutputTag`): records emitted with
 * `ctx.output(tag, value)` (process functions) or by `sideOutputLateData(tag)` (windows)
 * leave the operator on a separate stream, read with `getSideOutput(tag)`.
 *
 * ```ts
 * const late = new OutputTag<Event>('late-events');
 * const counts = stream.keyBy(k).window(w).sideOutputLateData(late).aggregate(count);
 * counts.getSideOutput(late).print();
 * ```
 *
 * Tags are compared by id: two tags with the same id name the same side output.
 *
 * @remarks Plain immutable objects, declared with the job.
 */
export class OutputTag<T> {
  /** The tag's id, unique within the job's side outputs of one operator. */
  readonly id: string;
  /** Phantom field tying the tag to its record type; never set. */
  declare readonly __recordType?: T;

  /**
   * @param id - a non-empty id
   * @throws TypeError for an empty id
   */
  constructor(id: string) {
    if (typeof id !== 'string' || id === '') {
      throw new TypeError(`an OutputTag needs a non-empty id, got ${JSON.stringify(id)}`);
    }
    this.id = id;
  }

  toString(): string {
    return `OutputTag(${this.id})`;
  }
}
