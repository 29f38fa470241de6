import { restoreSerializer } from './restore-serializer.ts';
import type { TypeSerializer, TypeSerializerDescriptor } from './type-serializer.ts';

/**
 * The declared type of a stream's records (Flink's `TypeInformation`): a JSON
 * descriptor of the serializer that carries them across exchanges. Made by the
 * {@link Types} factory (`Types.TUPLE(Types.INT32, Types.FLOAT64)`,
 * `Types.ROW_NAMED(['id', 'name'], Types.INT64, Types.STRING)`) and given to
 * `SingleOutputStreamOperator.returns(...)` or to a source.
 *
 * The descriptor is what travels: the stream graph keeps it on every edge out of the
 * operator, and each worker rebuilds the serializer with `restoreSerializer`, so both
 * ends of an exchange use byte-identical serializers. Streams without a declared type
 * are carried as JSON.
 *
 * @remarks Immutable; usable on any thread.
 */
export class TypeInformation<T> {
  /** The serializer's JSON descriptor (validated at construction). */
  readonly descriptor: TypeSerializerDescriptor;
  /** Phantom field tying the JS type to the information; never set. */
  declare readonly __type?: T;

  /**
   * @param descriptor - a serializer descriptor (`serializer.snapshotConfiguration()`)
   * @throws SLUICE_ERR_TYPES_INVALID_SCHEMA when the descriptor is malformed
   */
  constructor(descriptor: TypeSerializerDescriptor) {
    restoreSerializer(descriptor); // validates
    this.descriptor = descriptor;
  }

  /**
   * The type of an existing serializer (its `snapshotConfiguration()`).
   *
   * @throws SLUICE_ERR_TYPES_INVALID_SCHEMA when its descriptor cannot be restored
   */
  static of<T>(serializer: TypeSerializer<T>): TypeInformation<T> {
    return new TypeInformation<T>(serializer.snapshotConfiguration());
  }

  /** A new serializer of the type (rebuilt from the descriptor). */
  createSerializer(): TypeSerializer<T> {
    return restoreSerializer<T>(this.descriptor);
  }

  toString(): string {
    return JSON.stringify(this.descriptor);
  }
}
