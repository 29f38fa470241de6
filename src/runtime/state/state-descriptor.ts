/**
 * State descriptors (Flink's `StateDescriptor` family): the name of a keyed state, its
 * kind, the serializers of its contents and an optional time-to-live. An operator or a
 * user function asks the backend for a state by descriptor; asking again with the same
 * descriptor returns the same state.
 *
 * ```ts
 * const count = ctx.getState(new ValueStateDescriptor('count', Float64Serializer.INSTANCE));
 * const seen = ctx.getMapState(
 *   new MapStateDescriptor('seen', StringSerializer.INSTANCE, Int64Serializer.INSTANCE),
 * ).enableTimeToLive({ ttlMs: 60_000 });
 * ```
 *
 * The serializers decide how values are laid out in managed memory: a fixed-length
 * serializer (`Float64Serializer`, `Int64Serializer`, a `RowSerializer` of fixed-size
 * fields) is read and written in place; any other is serialized through a scratch
 * buffer. `JsonSerializer` works for plain data but allocates a string per access.
 *
 * @remarks Plain immutable-after-use objects, built on the thread that declares the
 * job or opens the operator.
 */

import type { AggregateFunction, ReduceFunction } from '../../api/functions.ts';
import type { TypeSerializer } from '../../types/type-serializer.ts';

/** Kind of a keyed state; `object` is the untyped value state of `getValueState(name)`. */
export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating' | 'object' | 'timer';

/**
 * Time-to-live of a state's values (Flink's `StateTtlConfig`). Expiry is measured in
 * processing time from the last write (or access, see `updateType`); expired values are
 * removed when read and left out of snapshots.
 */
export interface StateTtlConfig {
  /** Lifetime of a value (ms, > 0). */
  readonly ttlMs: number;
  /**
   * What renews the lifetime: writes only (`OnCreateAndWrite`, Flink's default) or
   * reads too (`OnReadAndWrite`).
   * @defaultValue 'OnCreateAndWrite'
   */
  readonly updateType?: 'OnCreateAndWrite' | 'OnReadAndWrite';
  /**
   * Whether an expired value that was not cleaned up yet may still be returned.
   * @defaultValue 'NeverReturnExpired'
   */
  readonly stateVisibility?: 'NeverReturnExpired' | 'ReturnExpiredIfNotCleanedUp';
}

/** What every descriptor has. */
export abstract class StateDescriptor<S> {
  /** Name of the state, unique within the operator. */
  readonly name: string;
  abstract readonly kind: StateKind;
  /** Time-to-live, if enabled. */
  ttlConfig: StateTtlConfig | undefined;
  /** Phantom field tying the descriptor to the state type; never set. */
  declare readonly __stateType?: S;

  protected constructor(name: string) {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`a state descriptor needs a non-empty name, got ${JSON.stringify(name)}`);
    }
    this.name = name;
  }

  /**
   * Expires values `ttlConfig.ttlMs` after their last write (Flink's `enableTimeToLive`).
   *
   * @returns this descriptor
   */
  enableTimeToLive(ttlConfig: StateTtlConfig): this {
    if (!(ttlConfig.ttlMs > 0)) {
      throw new TypeError(`state "${this.name}": ttlMs must be > 0, got ${ttlConfig.ttlMs}`);
    }
    this.ttlConfig = ttlConfig;
    return this;
  }

  /** JSON of the kind and serializers, compared when a state is registered again. */
  abstract configuration(): string;
}

/** Descriptor of a {@link ValueState} (Flink's `ValueStateDescriptor`). */
export class ValueStateDescriptor<V> extends StateDescriptor<'value'> {
  readonly kind = 'value';
  readonly serializer: TypeSerializer<V>;
  /** What `value()` returns when the key has none. */
  readonly defaultValue: V | undefined;

  constructor(name: string, serializer: TypeSerializer<V>, defaultValue?: V) {
    super(name);
    this.serializer = serializer;
    this.defaultValue = defaultValue;
  }

  configuration(): string {
    return JSON.stringify({ kind: this.kind, value: this.serializer.snapshotConfiguration() });
  }
}

/** Descriptor of a {@link ListState} (Flink's `ListStateDescriptor`). */
export class ListStateDescriptor<V> extends StateDescriptor<'list'> {
  readonly kind = 'list';
  readonly elementSerializer: TypeSerializer<V>;

  constructor(name: string, elementSerializer: TypeSerializer<V>) {
    super(name);
    this.elementSerializer = elementSerializer;
  }

  configuration(): string {
    return JSON.stringify({
      kind: this.kind,
      element: this.elementSerializer.snapshotConfiguration(),
    });
  }
}

/** Descriptor of a {@link MapState} (Flink's `MapStateDescriptor`). */
export class MapStateDescriptor<UK, UV> extends StateDescriptor<'map'> {
  readonly kind = 'map';
  readonly keySerializer: TypeSerializer<UK>;
  readonly valueSerializer: TypeSerializer<UV>;

  constructor(
    name: string,
    keySerializer: TypeSerializer<UK>,
    valueSerializer: TypeSerializer<UV>,
  ) {
    super(name);
    this.keySerializer = keySerializer;
    this.valueSerializer = valueSerializer;
  }

  configuration(): string {
    return JSON.stringify({
      kind: this.kind,
      key: this.keySerializer.snapshotConfiguration(),
      value: this.valueSerializer.snapshotConfiguration(),
    });
  }
}

/** Descriptor of a {@link ReducingState} (Flink's `ReducingStateDescriptor`). */
export class ReducingStateDescriptor<V> extends StateDescriptor<'reducing'> {
  readonly kind = 'reducing';
  readonly reduceFunction: ReduceFunction<V>;
  readonly serializer: TypeSerializer<V>;

  constructor(
    name: string,
    reduceFunction: ReduceFunction<V> | ((a: V, b: V) => V),
    serializer: TypeSerializer<V>,
  ) {
    super(name);
    this.reduceFunction =
      typeof reduceFunction === 'function' ? { reduce: reduceFunction } : reduceFunction;
    this.serializer = serializer;
  }

  configuration(): string {
    return JSON.stringify({ kind: this.kind, value: this.serializer.snapshotConfiguration() });
  }
}

/** Descriptor of an {@link AggregatingState} (Flink's `AggregatingStateDescriptor`). */
export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor<'aggregating'> {
  readonly kind = 'aggregating';
  readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>;
  readonly accumulatorSerializer: TypeSerializer<ACC>;

  constructor(
    name: string,
    aggregateFunction: AggregateFunction<IN, ACC, OUT>,
    accumulatorSerializer: TypeSerializer<ACC>,
  ) {
    super(name);
    this.aggregateFunction = aggregateFunction;
    this.accumulatorSerializer = accumulatorSerializer;
  }

  configuration(): string {
    return JSON.stringify({
      kind: this.kind,
      accumulator: this.accumulatorSerializer.snapshotConfiguration(),
    });
  }
}
