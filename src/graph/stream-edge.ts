import type { TypeSerializerDescriptor } from '../types/type-serializer.ts';
import type { StreamPartitioner } from './stream-partitioner.ts';

/**
 * A connection between two nodes of the logical graph (Flink's `StreamEdge`), with the
 * partitioner that distributes its records.
 *
 * @remarks Read-only once the graph is validated.
 */
export class StreamEdge {
  /** `source_target_typeNumber_STRATEGY[_n]`, unique in its graph. */
  readonly id: string;
  readonly sourceId: number;
  readonly targetId: number;
  /** Input position at the target (0 for one-input operators, also for unions). */
  readonly typeNumber: number;
  /** The edge's partitioner; record writers use copies of it. */
  readonly partitioner: StreamPartitioner<unknown>;
  /** Id of the `OutputTag` whose side output the edge carries; `undefined` = main output. */
  readonly outputTag: string | undefined;
  /**
   * Descriptor of the serializer of the records the edge carries (the source node's
   * declared output type, `serializer.snapshotConfiguration()`); `undefined` = not
   * declared, JSON. Both ends of the exchange rebuild it with `restoreSerializer`.
   */
  readonly typeSerializer: TypeSerializerDescriptor | undefined;

  /**
   * @param sourceId - id of the upstream node
   * @param targetId - id of the downstream node
   * @param partitioner - how records are distributed over the target's subtasks
   * @param typeNumber - input position at the target (0 for one-input operators)
   * @param ordinal - number of earlier edges between the same nodes (a stream unioned
   *   with itself), to keep ids unique
   * @param outputTag - id of the side output the edge carries (`undefined`: main output)
   */
  constructor(
    sourceId: number,
    targetId: number,
    partitioner: StreamPartitioner<unknown>,
    typeNumber = 0,
    ordinal = 0,
    outputTag?: string,
    typeSerializer?: TypeSerializerDescriptor,
  ) {
    this.sourceId = sourceId;
    this.targetId = targetId;
    this.partitioner = partitioner;
    this.typeNumber = typeNumber;
    this.outputTag = outputTag;
    this.typeSerializer = typeSerializer;
    const suffix = ordinal > 0 ? `_${ordinal}` : '';
    this.id = `${sourceId}_${targetId}_${typeNumber}_${partitioner.shipStrategy}${suffix}`;
  }

  toString(): string {
    return `${this.sourceId} -${this.partitioner.shipStrategy}-> ${this.targetId}`;
  }
}
