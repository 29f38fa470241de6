import { Type } from 'typebox';
import { compileOptions } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import {
  B_NOTIFY,
  B_STATE,
  B_WAITING,
  BLOCK_STRIDE,
  C_RECEIVER_STATE,
  C_SENDER_STATE,
  ENDPOINT_ATTACHED,
  ENDPOINT_CLOSED,
  ENDPOINT_FREE,
  ENDPOINT_GONE,
  EXCHANGE_LAYOUT_VERSION,
  EXCHANGE_MAGIC,
  type ExchangeLayout,
  exchangeLayout,
  MAX_RING_CAPACITY,
  PATTERN_ALL_TO_ALL,
  PATTERN_POINTWISE,
  ringCapacityFor,
  STATE_FINISHED,
  STATE_GONE,
  X_BUFFERS_PER_CHANNEL,
  X_FLOATING_PER_GATE,
  X_MAGIC,
  X_NUM_CHANNELS,
  X_NUM_CONSUMERS,
  X_NUM_PRODUCERS,
  X_PATTERN,
  X_RING_CAPACITY,
  X_VERSION,
} from './channel-layout.ts';
import { ProtocolViolationError } from './network-exchange-errors.ts';
import { signalNotification } from './notification-watcher.ts';

/** Options of {@link ExchangeChannels.create}: the shape of one job edge. */
export interface ExchangeChannelsOptions {
  /**
   * Producer subtasks (the edge source's parallelism); each gets a `ResultPartition`.
   * @defaultValue 1
   */
  numberOfProducers: number;
  /**
   * Consumer subtasks (the edge target's parallelism); each gets a `SingleInputGate`.
   * @defaultValue 1
   */
  numberOfConsumers: number;
  /**
   * `'all-to-all'`: every producer feeds every consumer (keyBy, rebalance, broadcast);
   * `'pointwise'`: producer i feeds consumer i only (requires equal parallelism).
   * @defaultValue 'all-to-all'
   */
  pattern: 'all-to-all' | 'pointwise';
  /**
   * Exclusive credit per channel (`taskmanager.network.memory.buffers-per-channel`);
   * with {@link floatingBuffersPerGate} it sizes the rings.
   * @defaultValue 2 buffers
   */
  buffersPerChannel: number;
  /**
   * Floating credit per gate (`taskmanager.network.memory.floating-buffers-per-gate`).
   * @defaultValue 8 buffers
   */
  floatingBuffersPerGate: number;
}

/** Defaults of {@link ExchangeChannelsOptions}. */
export const defaultExchangeChannelsOptions: Readonly<ExchangeChannelsOptions> = Object.freeze({
  numberOfProducers: 1,
  numberOfConsumers: 1,
  pattern: 'all-to-all',
  buffersPerChannel: 2,
  floatingBuffersPerGate: 8,
});

const validateOptions = compileOptions(
  Type.Object(
    {
      numberOfProducers: Type.Integer({ minimum: 1, maximum: 32768 }),
      numberOfConsumers: Type.Integer({ minimum: 1, maximum: 32768 }),
      pattern: Type.Union([Type.Literal('all-to-all'), Type.Literal('pointwise')]),
      buffersPerChannel: Type.Integer({ minimum: 0, maximum: 1 << 14 }),
      floatingBuffersPerGate: Type.Integer({ minimum: 0, maximum: 1 << 14 }),
    },
    { additionalProperties: false },
  ),
  'ExchangeChannels',
);

/** What a worker needs to attach to an exchange: structured-cloneable. */
export interface ExchangeChannelsHandle {
  readonly kind: 'sluice.ExchangeChannels';
  /** The control block (`channel-layout.ts`). */
  readonly control: SharedArrayBuffer;
}

/**
 * The shared memory of one job edge: a control block per channel (producer p →
 * consumer c), per consumer gate and per producer partition (`channel-layout.ts`).
 * Holds no data: segments stay in the `NetworkBufferPool`; channels carry segment
 * indices, credit and backlog.
 *
 * The main thread (whoever wires the job) calls {@link ExchangeChannels.create} once
 * per edge and sends {@link getHandle} to the workers, which call
 * {@link ExchangeChannels.attach} and build a `ResultPartition` (producer p) or a
 * `SingleInputGate` (consumer c) over it. After a worker died, the main thread calls
 * {@link markProducerGone} / {@link markConsumerGone} so that the peers fail fast.
 *
 * ```
 *             consumer 0      consumer 1
 * producer 0  channel (0,0)   channel (0,1)    ← ResultPartition 0, subpartitions 0, 1
 * producer 1  channel (1,0)   channel (1,1)    ← ResultPartition 1
 *                 ↑ SingleInputGate 0, input channels 0, 1
 * ```
 *
 * @remarks Any thread; the instance is a view (`Int32Array`) over shared memory.
 * Flink: the `IntermediateResult` of a `JobEdge` with its partitions (Netty
 * connections carry what the channel blocks carry here).
 */
export class ExchangeChannels {
  /** The control words. */
  readonly ctl: Int32Array;
  /** Word positions. */
  readonly layout: ExchangeLayout;
  /** Exclusive credit per channel the rings were sized for. */
  readonly buffersPerChannel: number;
  /** Floating credit per gate the rings were sized for. */
  readonly floatingBuffersPerGate: number;
  private readonly control: SharedArrayBuffer;

  private constructor(control: SharedArrayBuffer) {
    const ctl = new Int32Array(control);
    this.control = control;
    this.ctl = ctl;
    this.layout = exchangeLayout(
      ctl[X_NUM_PRODUCERS]!,
      ctl[X_NUM_CONSUMERS]!,
      ctl[X_PATTERN]!,
      ctl[X_RING_CAPACITY]!,
    );
    this.buffersPerChannel = ctl[X_BUFFERS_PER_CHANNEL]!;
    this.floatingBuffersPerGate = ctl[X_FLOATING_PER_GATE]!;
  }

  /**
   * Allocates the control block of one edge (main thread, once per edge and attempt).
   *
   * @param options - producers, consumers, pattern, credit sizes
   * @returns the exchange
   * @throws SLUICE_ERR_CONFIG_INVALID for an option out of range, or pointwise with
   *   different producer and consumer counts
   */
  static create(options: Partial<ExchangeChannelsOptions> = {}): ExchangeChannels {
    const opts = validateOptions({ ...defaultExchangeChannelsOptions, ...options });
    const pattern = opts.pattern === 'pointwise' ? PATTERN_POINTWISE : PATTERN_ALL_TO_ALL;
    if (pattern === PATTERN_POINTWISE && opts.numberOfProducers !== opts.numberOfConsumers) {
      throw new ConfigError(
        `ExchangeChannels: a pointwise exchange needs as many consumers as producers, got ${opts.numberOfProducers} producers and ${opts.numberOfConsumers} consumers; use 'all-to-all' or equal parallelism`,
        {
          details: {
            key: 'pattern',
            producers: opts.numberOfProducers,
            consumers: opts.numberOfConsumers,
          },
        },
      );
    }
    const ringCapacity = ringCapacityFor(opts.buffersPerChannel, opts.floatingBuffersPerGate);
    if (ringCapacity > MAX_RING_CAPACITY) {
      throw new ConfigError(
        `ExchangeChannels: buffers-per-channel + floating-buffers-per-gate = ${opts.buffersPerChannel + opts.floatingBuffersPerGate} exceeds ${MAX_RING_CAPACITY}; lower them`,
        { details: { key: 'floatingBuffersPerGate', value: opts.floatingBuffersPerGate } },
      );
    }
    const layout = exchangeLayout(
      opts.numberOfProducers,
      opts.numberOfConsumers,
      pattern,
      ringCapacity,
    );
    const control = new SharedArrayBuffer(layout.totalWords * 4);
    const ctl = new Int32Array(control);
    ctl[X_MAGIC] = EXCHANGE_MAGIC;
    ctl[X_VERSION] = EXCHANGE_LAYOUT_VERSION;
    ctl[X_NUM_PRODUCERS] = opts.numberOfProducers;
    ctl[X_NUM_CONSUMERS] = opts.numberOfConsumers;
    ctl[X_PATTERN] = pattern;
    ctl[X_RING_CAPACITY] = ringCapacity;
    ctl[X_NUM_CHANNELS] = layout.numberOfChannels;
    ctl[X_BUFFERS_PER_CHANNEL] = opts.buffersPerChannel;
    ctl[X_FLOATING_PER_GATE] = opts.floatingBuffersPerGate;
    return new ExchangeChannels(control);
  }

  /**
   * Attaches to an exchange created on another thread.
   *
   * @param handle - {@link getHandle}'s result, received through `workerData` or a message
   * @returns an instance over the same shared memory
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when `handle` is not such a handle
   */
  static attach(handle: ExchangeChannelsHandle): ExchangeChannels {
    const fail = (why: string): never => {
      throw new ProtocolViolationError(
        `ExchangeChannels.attach(): not an exchange handle (${why}); pass getHandle()'s result unchanged`,
        { details: { why } },
      );
    };
    if (
      handle === null ||
      typeof handle !== 'object' ||
      handle.kind !== 'sluice.ExchangeChannels'
    ) {
      fail('kind is not sluice.ExchangeChannels');
    }
    if (!(handle.control instanceof SharedArrayBuffer)) fail('control is not a SharedArrayBuffer');
    const ctl = new Int32Array(handle.control);
    if (ctl.length < 16 || ctl[X_MAGIC] !== EXCHANGE_MAGIC) fail('bad magic');
    if (ctl[X_VERSION] !== EXCHANGE_LAYOUT_VERSION) {
      fail(`layout version ${ctl[X_VERSION]}, expected ${EXCHANGE_LAYOUT_VERSION}`);
    }
    const layout = exchangeLayout(
      ctl[X_NUM_PRODUCERS]!,
      ctl[X_NUM_CONSUMERS]!,
      ctl[X_PATTERN]!,
      ctl[X_RING_CAPACITY]!,
    );
    if (layout.totalWords * 4 !== handle.control.byteLength) fail('sizes do not match');
    return new ExchangeChannels(handle.control);
  }

  /** A structured-cloneable handle for {@link ExchangeChannels.attach}. */
  getHandle(): ExchangeChannelsHandle {
    return { kind: 'sluice.ExchangeChannels', control: this.control };
  }

  /** Producer subtasks. */
  get numberOfProducers(): number {
    return this.layout.numberOfProducers;
  }

  /** Consumer subtasks. */
  get numberOfConsumers(): number {
    return this.layout.numberOfConsumers;
  }

  /** Descriptors per channel ring. */
  get ringCapacity(): number {
    return this.layout.ringCapacity;
  }

  /**
   * The consumers producer `p` feeds, in subpartition order.
   *
   * @param producer - producer subtask index
   * @returns consumer indices (subpartition k → consumer result[k])
   */
  consumersOf(producer: number): number[] {
    this.checkIndex('producer', producer, this.layout.numberOfProducers);
    if (this.layout.pattern === PATTERN_POINTWISE) return [producer];
    return Array.from({ length: this.layout.numberOfConsumers }, (_, c) => c);
  }

  /**
   * The producers consumer `c` reads, in input-channel order.
   *
   * @param consumer - consumer subtask index
   * @returns producer indices (input channel k ← producer result[k])
   */
  producersOf(consumer: number): number[] {
    this.checkIndex('consumer', consumer, this.layout.numberOfConsumers);
    if (this.layout.pattern === PATTERN_POINTWISE) return [consumer];
    return Array.from({ length: this.layout.numberOfProducers }, (_, p) => p);
  }

  /**
   * First word of the control block of channel (producer → consumer).
   *
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when the two are not connected
   */
  channelBase(producer: number, consumer: number): number {
    const { pattern, numberOfConsumers, channelBlocks, channelStride } = this.layout;
    this.checkIndex('producer', producer, this.layout.numberOfProducers);
    this.checkIndex('consumer', consumer, numberOfConsumers);
    if (pattern === PATTERN_POINTWISE) {
      if (producer !== consumer) {
        throw new ProtocolViolationError(
          `pointwise exchange: producer ${producer} is not connected to consumer ${consumer}`,
          { details: { producer, consumer } },
        );
      }
      return channelBlocks + producer * channelStride;
    }
    return channelBlocks + (producer * numberOfConsumers + consumer) * channelStride;
  }

  /** First word of producer `p`'s partition block. */
  partitionBase(producer: number): number {
    this.checkIndex('producer', producer, this.layout.numberOfProducers);
    return this.layout.partitionBlocks + producer * BLOCK_STRIDE;
  }

  /** First word of consumer `c`'s gate block. */
  gateBase(consumer: number): number {
    this.checkIndex('consumer', consumer, this.layout.numberOfConsumers);
    return this.layout.gateBlocks + consumer * BLOCK_STRIDE;
  }

  /**
   * Claims an endpoint for a partition or gate (once per attempt).
   *
   * @internal Called by `ResultPartition` / `SingleInputGate`.
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when it is already claimed
   */
  claimEndpoint(base: number, what: string): void {
    const seen = Atomics.compareExchange(
      this.ctl,
      base + B_STATE,
      ENDPOINT_FREE,
      ENDPOINT_ATTACHED,
    );
    if (seen !== ENDPOINT_FREE) {
      const state = ['free', 'attached', 'closed', 'gone'][seen] ?? String(seen);
      throw new ProtocolViolationError(
        `${what} cannot attach: the endpoint is ${state}; each producer and consumer subtask attaches once per exchange (create a new ExchangeChannels for a new attempt)`,
        { details: { state } },
      );
    }
  }

  /** @internal Marks an endpoint closed by its owner (unless it was declared gone). */
  closeEndpoint(base: number): void {
    Atomics.compareExchange(this.ctl, base + B_STATE, ENDPOINT_ATTACHED, ENDPOINT_CLOSED);
  }

  /**
   * Declares producer `p` dead (its worker exited): every channel it feeds gets sender
   * state GONE and every consumer gate it feeds is woken, so that the consumers fail
   * with `SLUICE_ERR_NETWORK_PARTNER_GONE` instead of waiting. Channels that already
   * delivered their last buffer are left alone.
   *
   * @param producer - producer subtask index
   * @remarks Main thread, after the worker's `exit` event.
   */
  markProducerGone(producer: number): void {
    const ctl = this.ctl;
    Atomics.store(ctl, this.partitionBase(producer) + B_STATE, ENDPOINT_GONE);
    for (const consumer of this.consumersOf(producer)) {
      const base = this.channelBase(producer, consumer);
      if (Atomics.load(ctl, base + C_SENDER_STATE) !== STATE_FINISHED) {
        Atomics.store(ctl, base + C_SENDER_STATE, STATE_GONE);
      }
      const gate = this.gateBase(consumer);
      signalNotification(ctl, gate + B_NOTIFY, gate + B_WAITING);
    }
  }

  /**
   * Declares consumer `c` dead: every channel into it gets receiver state GONE and
   * every producer feeding it is woken; the producers fail with
   * `SLUICE_ERR_NETWORK_PARTNER_GONE` and release the buffers the dead consumer held.
   *
   * @param consumer - consumer subtask index
   * @remarks Main thread, after the worker's `exit` event.
   */
  markConsumerGone(consumer: number): void {
    const ctl = this.ctl;
    Atomics.store(ctl, this.gateBase(consumer) + B_STATE, ENDPOINT_GONE);
    for (const producer of this.producersOf(consumer)) {
      const base = this.channelBase(producer, consumer);
      if (Atomics.load(ctl, base + C_RECEIVER_STATE) !== STATE_FINISHED) {
        Atomics.store(ctl, base + C_RECEIVER_STATE, STATE_GONE);
      }
      const partition = this.partitionBase(producer);
      signalNotification(ctl, partition + B_NOTIFY, partition + B_WAITING);
    }
  }

  private checkIndex(what: string, index: number, count: number): void {
    if (!(Number.isInteger(index) && index >= 0 && index < count)) {
      throw new ProtocolViolationError(
        `exchange has ${count} ${what}s; ${what} index ${index} is out of range`,
        { details: { what, index, count } },
      );
    }
  }
}
