import { Type } from 'typebox';
import { compileOptions } from '../config/validate.ts';
import type { SluiceError } from '../errors.ts';
import type { ChannelMetricsSnapshot } from '../metrics/metric-snapshots.ts';
import type { TaskIOMetricGroup } from '../metrics/task-io-metric-group.ts';
import { AVAILABLE, type AvailabilityProvider } from './availability-provider.ts';
import type { Buffer } from './buffer.ts';
import { B_NOTIFY, B_WAITING, STATE_GONE, STATE_RELEASED } from './channel-layout.ts';
import type { ExchangeChannels } from './exchange-channels.ts';
import { InputChannel } from './input-channel.ts';
import type { NetworkBufferPool } from './network-buffer-pool.ts';
import { PartnerGoneError, ProtocolViolationError } from './network-exchange-errors.ts';
import { defaultNetworkExchangeOptions } from './network-exchange-options.ts';
import { NotificationWatcher } from './notification-watcher.ts';

/** Options of a {@link SingleInputGate}. */
export interface SingleInputGateOptions {
  /**
   * `taskmanager.network.memory.buffers-per-channel`: credit announced to each channel
   * at start and always given back when its buffers are released.
   * @defaultValue 2 buffers
   */
  buffersPerChannel: number;
  /**
   * `taskmanager.network.memory.floating-buffers-per-gate`: credit lent to channels
   * whose backlog exceeds their floating credit, in proportion to it, and taken back
   * when their backlog shrinks.
   * @defaultValue 8 buffers
   */
  floatingBuffersPerGate: number;
}

/** Defaults of {@link SingleInputGateOptions}. */
export const defaultSingleInputGateOptions: Readonly<SingleInputGateOptions> = Object.freeze({
  buffersPerChannel: defaultNetworkExchangeOptions.buffersPerChannel,
  floatingBuffersPerGate: defaultNetworkExchangeOptions.floatingBuffersPerGate,
});

const validateOptions = compileOptions(
  Type.Object(
    {
      buffersPerChannel: Type.Integer({ minimum: 0, maximum: 1 << 14 }),
      floatingBuffersPerGate: Type.Integer({ minimum: 0, maximum: 1 << 14 }),
    },
    { additionalProperties: false },
  ),
  'SingleInputGate',
);

/** What a {@link SingleInputGate} is built over. */
export interface SingleInputGateContext {
  /** This thread's network buffer pool (attached). */
  readonly network: NetworkBufferPool;
  /** The edge's channels. */
  readonly channels: ExchangeChannels;
  /** Consumer subtask index of this gate. */
  readonly consumerIndex: number;
  /** Task counters: bytes in and idle time are added here. */
  readonly metrics?: TaskIOMetricGroup;
}

/**
 * The input of one consumer subtask from one job edge: an `InputChannel` per producer,
 * polled round robin for buffers (segments of the producers' pools, read in place),
 * with Flink's credit-based flow control.
 *
 * Credit (see `docs/network.md`): each channel is announced `buffersPerChannel`
 * exclusive credit at construction; the gate lends floating credit (at most
 * `floatingBuffersPerGate` in all) to channels whose reported backlog exceeds their
 * floating credit. When a buffer is released, its credit goes back to the channel —
 * unless the channel holds more floating credit than its backlog, then it returns to
 * the gate and is lent to the channel waiting longest.
 *
 * Waiting: {@link getAvailableFuture} waits (`Atomics.waitAsync`) on the gate's
 * `NOTIFY` word, which senders bump after publishing, announcing a backlog or
 * changing state; one future per idle period, never per record. A producer that dies
 * or releases its partition before the end makes {@link pollNext} throw
 * `SLUICE_ERR_NETWORK_PARTNER_GONE` instead of waiting forever.
 *
 * @remarks Owned by the consuming task's thread. Corresponds to Flink's
 * `SingleInputGate` (with the floating part of `BufferManager`).
 */
export class SingleInputGate implements AvailabilityProvider {
  /** Consumer subtask index. */
  readonly consumerIndex: number;
  /** Input channels (one per producer feeding this consumer). */
  readonly numberOfInputChannels: number;
  /** Channel of the buffer last returned by {@link pollNext}. */
  lastChannelIndex = -1;
  private readonly inputChannels: InputChannel[];
  private readonly ctl: Int32Array;
  private readonly channels: ExchangeChannels;
  private readonly gateBase: number;
  private readonly buffersPerChannel: number;
  private readonly floatingBuffersPerGate: number;
  private readonly metrics: TaskIOMetricGroup | undefined;
  private readonly watcher: NotificationWatcher;
  private floatingAvailable: number;
  private readonly floatingWaiters: InputChannel[] = [];
  private nextChannel = 0;
  private numConsumed = 0;
  /** Per channel: 1 while its consumption is blocked (checkpoint barrier alignment). */
  private readonly blocked: Uint8Array;
  private closed = false;
  private failure: SluiceError | null = null;
  private availableFuture: Promise<void> | null = null;
  private resolveAvailable: (() => void) | null = null;

  /**
   * Attaches to consumer `consumerIndex`'s endpoint and announces the exclusive credit
   * of every channel.
   *
   * @param context - network, channels, consumer index, task metrics
   * @param options - credit settings (must fit the exchange's rings)
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid options, or credit beyond the rings
   *   the exchange was created for
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when the consumer endpoint is taken
   */
  constructor(context: SingleInputGateContext, options: Partial<SingleInputGateOptions> = {}) {
    const opts = validateOptions({ ...defaultSingleInputGateOptions, ...options });
    const { network, channels, consumerIndex } = context;
    if (opts.buffersPerChannel + opts.floatingBuffersPerGate > channels.ringCapacity) {
      throw new ProtocolViolationError(
        `SingleInputGate of consumer ${consumerIndex}: buffers-per-channel ${opts.buffersPerChannel} + floating-buffers-per-gate ${opts.floatingBuffersPerGate} exceeds the exchange's ring of ${channels.ringCapacity}; create the ExchangeChannels with the same credit settings`,
        { details: { ...opts, ringCapacity: channels.ringCapacity } },
      );
    }
    if (opts.buffersPerChannel + opts.floatingBuffersPerGate === 0) {
      throw new ProtocolViolationError(
        `SingleInputGate of consumer ${consumerIndex}: no credit at all (buffers-per-channel and floating-buffers-per-gate are 0); no channel could ever receive`,
        { details: { ...opts } },
      );
    }
    this.consumerIndex = consumerIndex;
    this.channels = channels;
    this.ctl = channels.ctl;
    this.metrics = context.metrics;
    this.buffersPerChannel = opts.buffersPerChannel;
    this.floatingBuffersPerGate = opts.floatingBuffersPerGate;
    this.floatingAvailable = opts.floatingBuffersPerGate;
    this.gateBase = channels.gateBase(consumerIndex);
    channels.claimEndpoint(this.gateBase, `SingleInputGate of consumer ${consumerIndex}`);
    this.inputChannels = channels
      .producersOf(consumerIndex)
      .map(
        (producer, i) =>
          new InputChannel(channels, network, producer, consumerIndex, i, opts.buffersPerChannel),
      );
    this.numberOfInputChannels = this.inputChannels.length;
    this.blocked = new Uint8Array(this.numberOfInputChannels);
    this.watcher = new NotificationWatcher(
      this.ctl,
      this.gateBase + B_NOTIFY,
      this.gateBase + B_WAITING,
      () => this.onNotified(),
    );
    // Announce the exclusive credit (Flink: the initial credit of each RemoteInputChannel).
    for (const channel of this.inputChannels) {
      if (opts.buffersPerChannel > 0) channel.grant(opts.buffersPerChannel);
    }
  }

  /**
   * Takes the next buffer, round robin over the channels with data (per-channel order
   * is kept). Release it with {@link releaseBuffer} once read (in the order taken).
   *
   * @returns a buffer (its channel in {@link lastChannelIndex}), or null when no channel
   *   has data now (await {@link getAvailableFuture}; check {@link isFinished})
   * @throws SLUICE_ERR_NETWORK_PARTNER_GONE when a producer died or released its
   *   partition before the end
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION after {@link close}
   */
  pollNext(): Buffer | null {
    if (this.failure !== null) throw this.failure;
    if (this.closed) this.throwClosed('pollNext()');
    const channels = this.inputChannels;
    const n = channels.length;
    for (let k = 0; k < n; k++) {
      const i = this.nextChannel;
      this.nextChannel = i + 1 === n ? 0 : i + 1;
      const channel = channels[i]!;
      if (channel.lastTaken || this.blocked[i] === 1) continue;
      const buffer = channel.poll();
      if (buffer === null) continue;
      const state = channel.senderState();
      if (state === STATE_GONE || state === STATE_RELEASED) {
        this.failPartner(channel, state); // the buffer stays held: close() releases it
        throw this.failure!;
      }
      if (channel.lastBacklog > channel.floating) this.requestFloating(channel);
      this.lastChannelIndex = i;
      if (this.metrics !== undefined) this.metrics.numBytesIn += buffer.getSize();
      return buffer;
    }
    this.checkIdleChannels();
    if (this.failure !== null) throw this.failure;
    return null;
  }

  /**
   * Releases a buffer returned by {@link pollNext} and gives its credit back: to the
   * channel (exclusive, or floating still needed for its backlog) or to the gate.
   *
   * @param channelIndex - the channel it came from ({@link lastChannelIndex} then)
   * @param buffer - the buffer; buffers of one channel are released in the order taken
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION for a buffer not held by the channel
   *   or released out of order
   */
  releaseBuffer(channelIndex: number, buffer: Buffer): void {
    const channel = this.inputChannels[channelIndex];
    if (channel === undefined || channel.peekHeld() !== buffer) {
      if (this.closed) return; // close() released it already
      throw new ProtocolViolationError(
        `SingleInputGate of consumer ${this.consumerIndex}: releaseBuffer(${channelIndex}, segment ${buffer.segmentIndex}) but the channel's oldest held buffer is ${channel?.peekHeld()?.segmentIndex ?? 'none'}; release each buffer once, in the order pollNext() returned them`,
        { details: { channelIndex, segmentIndex: buffer.segmentIndex } },
      );
    }
    channel.releaseNext();
    if (channel.consumed) {
      this.numConsumed++;
      this.returnFloating(channel, channel.floating);
      return;
    }
    if (channel.floating > channel.lastBacklog) {
      // Floating credit beyond the backlog goes back to the gate.
      this.returnFloating(channel, 1);
      channel.signalSender(); // its segment is back in the sender's pool
    } else {
      channel.grant(1);
    }
  }

  /** Whether channel `channelIndex` delivered and released its last buffer. */
  isChannelConsumed(channelIndex: number): boolean {
    return this.inputChannels[channelIndex]!.consumed;
  }

  /** Whether every channel delivered and released its last buffer (end of input). */
  isFinished(): boolean {
    return this.numConsumed === this.inputChannels.length;
  }

  /**
   * Whether {@link pollNext} has something to return now (a buffer, or an error to
   * throw), or the input is finished.
   */
  isAvailable(): boolean {
    if (this.failure !== null || this.closed || this.isFinished()) return true;
    const channels = this.inputChannels;
    for (let i = 0; i < channels.length; i++) {
      const channel = channels[i]!;
      if (!channel.lastTaken && this.blocked[i] === 0 && channel.hasPublished()) return true;
    }
    return false;
  }

  /**
   * Stops handing out buffers of channel `channelIndex` until {@link resumeConsumption}
   * (checkpoint barrier alignment: the channel delivered barrier n, the others not yet).
   * Its data stays queued at the sender, bounded by the channel's credit, so the other
   * channels keep flowing. Flink: `InputChannel.blockConsumption`.
   *
   * @param channelIndex - the channel (0 ≤ i < numberOfInputChannels)
   */
  blockConsumption(channelIndex: number): void {
    this.blocked[channelIndex] = 1;
  }

  /**
   * Lets channel `channelIndex` deliver again (alignment done or aborted) and wakes a
   * waiting consumer if it has data. Flink: `InputChannel.resumeConsumption`.
   *
   * @param channelIndex - the channel
   */
  resumeConsumption(channelIndex: number): void {
    if (this.blocked[channelIndex] === 0) return;
    this.blocked[channelIndex] = 0;
    if (this.availableFuture !== null && this.isAvailable()) this.settleFuture();
  }

  /** Whether channel `channelIndex` is blocked ({@link blockConsumption}). */
  isBlocked(channelIndex: number): boolean {
    return this.blocked[channelIndex] === 1;
  }

  /**
   * `AVAILABLE` when {@link isAvailable}; else one future (the same until it resolves)
   * that resolves when a producer published, a producer failed or the gate closed.
   * Idle time is accounted on the task metrics meanwhile.
   */
  getAvailableFuture(): Promise<void> {
    if (this.isAvailable()) return AVAILABLE;
    let future = this.availableFuture;
    if (future === null) {
      future = new Promise<void>((resolve) => {
        this.resolveAvailable = resolve;
      });
      this.availableFuture = future;
      this.metrics?.markIdleStart();
      this.armWatcher();
    }
    return future;
  }

  /**
   * Closes the gate (end of input, cancellation, failure): releases every buffer held
   * or published to it (the senders' segments go back to their pools), marks the
   * unconsumed channels RELEASED so that the producers stop sending, and resolves a
   * pending future. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher.cancel();
    for (const channel of this.inputChannels) channel.close();
    this.floatingWaiters.length = 0;
    this.channels.closeEndpoint(this.gateBase);
    this.settleFuture();
  }

  /** Whether {@link close} was called. */
  isClosed(): boolean {
    return this.closed;
  }

  // ---- metrics ---------------------------------------------------------------------

  /**
   * Per-channel figures for the task snapshot: credit (announced, unused), backlog
   * (last reported), buffers queued (published or held, not yet released).
   *
   * @param gateIndex - index of this gate within the task (`gate` label)
   */
  getChannelMetrics(gateIndex: number): ChannelMetricsSnapshot[] {
    return this.inputChannels.map((channel) => ({
      gate: gateIndex,
      channel: channel.channelIndex,
      credit: this.closed ? 0 : Math.max(0, channel.unusedCredit()),
      backlog: channel.lastBacklog,
      queuedBuffers: this.closed ? 0 : channel.buffersInUse(),
    }));
  }

  /** Buffers published to this gate and not yet released (Flink's `inputQueueLength`). */
  /** Bytes queued in the gate's channels (Flink's `inputQueueSize`). */
  getInputQueueSize(): number {
    if (this.closed) return 0;
    let bytes = 0;
    for (const channel of this.inputChannels) if (!channel.consumed) bytes += channel.queuedBytes();
    return bytes;
  }

  getInputQueueLength(): number {
    if (this.closed) return 0;
    let length = 0;
    for (const channel of this.inputChannels)
      if (!channel.consumed) length += channel.buffersInUse();
    return length;
  }

  /** Fraction of the exclusive credit in use (published or held), 0 … 1. */
  getInputExclusiveBuffersUsage(): number {
    const total = this.buffersPerChannel * this.inputChannels.length;
    if (total === 0 || this.closed) return 0;
    let used = 0;
    for (const channel of this.inputChannels) {
      if (!channel.consumed) used += Math.min(this.buffersPerChannel, channel.buffersInUse());
    }
    return used / total;
  }

  /** Fraction of the floating credit lent to channels, 0 … 1. */
  getInputFloatingBuffersUsage(): number {
    const total = this.floatingBuffersPerGate;
    return total === 0 || this.closed ? 0 : (total - this.floatingAvailable) / total;
  }

  /** Fraction of all credit (exclusive + floating) in use, 0 … 1 (Flink's `inPoolUsage`). */
  getInPoolUsage(): number {
    const total = this.buffersPerChannel * this.inputChannels.length + this.floatingBuffersPerGate;
    return total === 0 ? 0 : Math.min(1, this.getInputQueueLength() / total);
  }

  /** Bytes received over all channels. */
  getNumBytesIn(): number {
    let bytes = 0;
    for (const channel of this.inputChannels) bytes += channel.numBytesIn;
    return bytes;
  }

  /** Floating credit lent to channel `channelIndex`. */
  getFloatingCredit(channelIndex: number): number {
    return this.inputChannels[channelIndex]!.floating;
  }

  // ---- internals -------------------------------------------------------------------

  /** Lends floating credit to a channel whose backlog exceeds its floating credit. */
  private requestFloating(channel: InputChannel): void {
    const wanted = channel.lastBacklog - channel.floating;
    if (wanted <= 0 || channel.lastTaken) return;
    const lent = Math.min(wanted, this.floatingAvailable);
    if (lent > 0) {
      this.floatingAvailable -= lent;
      channel.floating += lent;
      channel.grant(lent);
    }
    if (lent < wanted && !channel.waitingForFloating) {
      channel.waitingForFloating = true;
      this.floatingWaiters.push(channel);
    }
  }

  /** Takes `count` floating credit back from a channel and lends it to the waiters. */
  private returnFloating(channel: InputChannel, count: number): void {
    if (count <= 0) return;
    channel.floating -= count;
    this.floatingAvailable += count;
    const waiters = this.floatingWaiters;
    while (this.floatingAvailable > 0 && waiters.length > 0) {
      const waiter = waiters[0]!;
      const wanted = waiter.lastBacklog - waiter.floating;
      if (wanted <= 0 || waiter.lastTaken || waiter.consumed) {
        waiters.shift();
        waiter.waitingForFloating = false;
        continue;
      }
      const lent = Math.min(wanted, this.floatingAvailable);
      this.floatingAvailable -= lent;
      waiter.floating += lent;
      waiter.grant(lent);
      if (lent === wanted) {
        waiters.shift();
        waiter.waitingForFloating = false;
      }
    }
  }

  /**
   * With nothing to read: detects producers that died or released early, and backlog
   * announced by producers that have no credit left (floating credit for them).
   */
  private checkIdleChannels(): void {
    for (const channel of this.inputChannels) {
      if (channel.lastTaken) continue;
      const state = channel.senderState();
      if (state === STATE_GONE || state === STATE_RELEASED) {
        if (!channel.hasPublished()) this.failPartner(channel, state);
        continue;
      }
      if (channel.unusedCredit() <= 0) {
        const backlog = channel.announcedBacklog();
        if (backlog > channel.floating) {
          channel.lastBacklog = backlog;
          this.requestFloating(channel);
        }
      }
    }
  }

  private failPartner(channel: InputChannel, state: number): void {
    if (this.failure !== null) return;
    this.failure = new PartnerGoneError(
      state === STATE_GONE
        ? `producer subtask ${channel.producerIndex} feeding consumer ${this.consumerIndex} is gone (its worker died); the job fails over`
        : `producer subtask ${channel.producerIndex} released its partition before the end of its data (cancelled or failed); consumer ${this.consumerIndex} stops`,
      {
        details: {
          producer: channel.producerIndex,
          consumer: this.consumerIndex,
          reason: state === STATE_GONE ? 'gone' : 'released',
        },
      },
    );
  }

  private armWatcher(): void {
    for (;;) {
      if (this.watcher.isWaiting()) return;
      const seen = this.watcher.prepare();
      this.checkIdleChannels();
      if (this.isAvailable()) {
        this.settleFuture();
        return;
      }
      if (this.watcher.wait(seen)) return;
    }
  }

  private onNotified(): void {
    this.checkIdleChannels();
    if (this.isAvailable()) this.settleFuture();
    else this.armWatcher();
  }

  private settleFuture(): void {
    this.watcher.done();
    const resolve = this.resolveAvailable;
    if (resolve === null) return;
    this.availableFuture = null;
    this.resolveAvailable = null;
    this.metrics?.markIdleEnd();
    resolve();
  }

  private throwClosed(operation: string): never {
    throw new ProtocolViolationError(
      `SingleInputGate of consumer ${this.consumerIndex}: ${operation} after close()`,
      { details: { consumer: this.consumerIndex } },
    );
  }
}
