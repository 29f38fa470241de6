/**
 * How the records of an edge are distributed over the parallel subtasks of its target
 * (Flink's `StreamPartitioner` family, one small class each). A partitioner is a
 * `ChannelSelector`: each record writer owns a private copy (`copy()`), set up once with
 * the number of channels, then asked `selectChannel(record)` per record.
 *
 * ```
 *   FORWARD    subtask i → subtask i (pointwise; requires equal parallelism; chainable)
 *   REBALANCE  round robin over all target subtasks
 *   HASH       key → key group → subtask (keyBy)
 *   BROADCAST  every record to every target subtask
 * ```
 *
 * The ship-strategy strings are Flink's (`/jobs/:id/plan` `ship_strategy`).
 */

import type { Key, KeySelector } from '../api/functions.ts';
import { SluiceError } from '../errors.ts';
import { UserFunctionError } from '../runtime/operators/user-function-error.ts';
import { assignKeyToParallelOperator } from '../types/key-group-range-assignment.ts';

/** Ship strategy of an edge, as Flink names it in its plan JSON. */
export type ShipStrategy = 'FORWARD' | 'REBALANCE' | 'HASH' | 'BROADCAST';

/**
 * Chooses the target channel (subtask) of each record.
 *
 * @remarks A copy per record writer, owned by the writer's task thread.
 */
export abstract class StreamPartitioner<T> {
  /** Flink's name of the strategy. */
  abstract readonly shipStrategy: ShipStrategy;
  /** Number of target channels, set by {@link setup}. */
  protected numberOfChannels = 1;

  /**
   * Prepares a writer's copy.
   *
   * @param numberOfChannels - channels of this writer (target parallelism; 1 for forward)
   * @param writerSubtaskIndex - subtask index of the writing task (spreads round robins)
   */
  setup(numberOfChannels: number, writerSubtaskIndex = 0): void {
    this.numberOfChannels = numberOfChannels;
    void writerSubtaskIndex;
  }

  /** Channel of `record`, in `[0, numberOfChannels)`; not called for broadcast. */
  abstract selectChannel(record: T): number;

  /** `true` when every record goes to every channel. */
  isBroadcast(): boolean {
    return false;
  }

  /** `true` when subtask i of the source feeds only subtask i of the target. */
  isPointwise(): boolean {
    return false;
  }

  /** A fresh copy for one record writer. */
  abstract copy(): StreamPartitioner<T>;

  toString(): string {
    return this.shipStrategy;
  }
}

/** Subtask i to subtask i (Flink's `ForwardPartitioner`); the only chainable edge. */
export class ForwardPartitioner<T> extends StreamPartitioner<T> {
  readonly shipStrategy = 'FORWARD';

  selectChannel(_record: T): number {
    return 0;
  }

  override isPointwise(): boolean {
    return true;
  }

  copy(): ForwardPartitioner<T> {
    return new ForwardPartitioner<T>();
  }
}

/**
 * Round robin (Flink's `RebalancePartitioner`). Flink starts each writer at a random
 * channel; Sluice starts writer i at channel i, which spreads the start as well and
 * keeps runs reproducible.
 */
export class RebalancePartitioner<T> extends StreamPartitioner<T> {
  readonly shipStrategy = 'REBALANCE';
  private nextChannel = 0;

  override setup(numberOfChannels: number, writerSubtaskIndex = 0): void {
    super.setup(numberOfChannels);
    // selectChannel advances first, so start one before the writer's own index.
    this.nextChannel = (writerSubtaskIndex + numberOfChannels - 1) % numberOfChannels;
  }

  selectChannel(_record: T): number {
    this.nextChannel = (this.nextChannel + 1) % this.numberOfChannels;
    return this.nextChannel;
  }

  copy(): RebalancePartitioner<T> {
    return new RebalancePartitioner<T>();
  }
}

/** Every record to every channel (Flink's `BroadcastPartitioner`). */
export class BroadcastPartitioner<T> extends StreamPartitioner<T> {
  readonly shipStrategy = 'BROADCAST';

  selectChannel(_record: T): number {
    throw new SluiceError('BroadcastPartitioner.selectChannel: broadcast writes to every channel');
  }

  override isBroadcast(): boolean {
    return true;
  }

  copy(): BroadcastPartitioner<T> {
    return new BroadcastPartitioner<T>();
  }
}

/** Slots of the number-key → channel cache of {@link KeyGroupStreamPartitioner} (a power of 2). */
const CHANNEL_CACHE_SLOTS = 4096;

/**
 * By key (Flink's `KeyGroupStreamPartitioner`): the key selector's key is assigned to a
 * key group, the key group to the subtask that owns it.
 *
 * Number keys go through a small direct-mapped cache (4,096 slots of key → channel,
 * 48 KiB per writer, filled after `setup`): the channel of a key is a pure function of
 * the key, the max parallelism and the channel count, and hashing a number (its float64
 * bits through MurmurHash3, twice) is most of a keyed exchange's per-record cost on the
 * sending side. A slot holds one key; NaN keys are never cached.
 *
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED from `selectChannel` when the key selector
 * throws or returns a value that is not a key
 */
export class KeyGroupStreamPartitioner<T, K extends Key> extends StreamPartitioner<T> {
  readonly shipStrategy = 'HASH';
  /** The `keyBy` key selector. */
  readonly keySelector: KeySelector<T, K>;
  /** Number of key groups of the target (its max parallelism). */
  maxParallelism: number;
  /** Name of the target operator, for error messages; set when the edge is created. */
  targetOperatorName = '?';
  private writerSubtaskIndex = 0;
  private cacheKeys: Float64Array | undefined;
  private cacheChannels: Int32Array | undefined;

  /**
   * @param keySelector - extracts the key of a record
   * @param maxParallelism - number of key groups; reconfigured to the target's when the
   *   edge is added to a graph
   */
  constructor(keySelector: KeySelector<T, K>, maxParallelism = 128) {
    super();
    this.keySelector = keySelector;
    this.maxParallelism = maxParallelism;
  }

  override setup(numberOfChannels: number, writerSubtaskIndex = 0): void {
    super.setup(numberOfChannels);
    this.writerSubtaskIndex = writerSubtaskIndex;
    this.cacheKeys = new Float64Array(CHANNEL_CACHE_SLOTS).fill(Number.NaN);
    this.cacheChannels = new Int32Array(CHANNEL_CACHE_SLOTS);
  }

  selectChannel(record: T): number {
    let key: K;
    try {
      key = this.keySelector.getKey(record);
    } catch (error) {
      throw this.keyFailed(error);
    }
    const keys = this.cacheKeys;
    if (typeof key === 'number' && keys !== undefined) {
      const slot = (key | 0) & (CHANNEL_CACHE_SLOTS - 1);
      if (keys[slot] === key) return this.cacheChannels![slot]!;
      const channel = assignKeyToParallelOperator(key, this.maxParallelism, this.numberOfChannels);
      keys[slot] = key;
      this.cacheChannels![slot] = channel;
      return channel;
    }
    try {
      return assignKeyToParallelOperator(key, this.maxParallelism, this.numberOfChannels);
    } catch (error) {
      throw this.keyFailed(error);
    }
  }

  private keyFailed(error: unknown): UserFunctionError {
    return new UserFunctionError(
      `key selector of the keyBy() in front of operator "${this.targetOperatorName}" threw in ` +
        `upstream subtask index ${this.writerSubtaskIndex}: ${error instanceof Error ? error.message : String(error)}; ` +
        'return a number, string, bigint, boolean, Uint8Array or an array of those (never null)',
      {
        cause: error,
        details: { operatorName: this.targetOperatorName, phase: 'getKey' },
      },
    );
  }

  copy(): KeyGroupStreamPartitioner<T, K> {
    const copy = new KeyGroupStreamPartitioner<T, K>(this.keySelector, this.maxParallelism);
    copy.targetOperatorName = this.targetOperatorName;
    return copy;
  }
}
