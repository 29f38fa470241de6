import type { TaskIOMetricGroup } from '../metrics/task-io-metric-group.ts';
import type { Buffer } from './buffer.ts';
import {
  B_NOTIFY,
  B_WAITING,
  C_BACKLOG,
  C_CREDIT_GRANTED,
  C_RECEIVER_STATE,
  C_RELEASE_INDEX,
  C_RING,
  C_SENDER_STATE,
  C_WRITE_INDEX,
  D_BACKLOG,
  D_FLAGS,
  D_SEGMENT,
  D_SIZE,
  DESCRIPTOR_WORDS,
  FLAG_LAST,
  STATE_FINISHED,
  STATE_GONE,
  STATE_OPEN,
  STATE_RELEASED,
} from './channel-layout.ts';
import type { ExchangeChannels } from './exchange-channels.ts';
import type { NetworkBufferPool } from './network-buffer-pool.ts';
import { signalNotification } from './notification-watcher.ts';

/** {@link PipelinedSubpartition.publish}: every queued buffer was published. */
export const PUBLISH_DONE = 0;
/** Buffers remain queued: the channel has no credit. */
export const PUBLISH_NEEDS_CREDIT = 1;
/** The receiver released the channel early: the queue was dropped, later writes are dropped. */
export const PUBLISH_DISCARDED = 2;
/** The receiver's worker is gone. */
export const PUBLISH_RECEIVER_GONE = 3;
/** The receiver granted credit beyond the ring (shared memory corrupt or a rogue receiver). */
export const PUBLISH_PROTOCOL_VIOLATION = 4;

const INITIAL_QUEUE_CAPACITY = 16;

/**
 * The sending end of one channel: the queue of finished buffers of one subpartition
 * and the publication of their descriptors to the receiver while credit lasts.
 *
 * ```
 *   finished buffers                       channel ring (shared memory)
 *   queue: [b3][b4][b5]  ── credit > 0 ──► [.. b1 b2 | b3 ..]  WRITE_INDEX++
 *          backlog = buffers behind the one published (2 when b3 goes)
 * ```
 *
 * Publication of one buffer: write the descriptor (segment index, size, flags,
 * backlog) into the ring slot `WRITE_INDEX mod capacity`, then `Atomics.store` the
 * new `WRITE_INDEX`; after a batch, bump the consumer gate's `NOTIFY` word (and notify
 * it if it waits). The buffer's one reference travels with the descriptor: the
 * receiver releases it. Credit is `CREDIT_GRANTED − WRITE_INDEX`; the granted count
 * is re-read with `Atomics.load` only when the cached one is used up, so a stream of
 * buffers costs one store and one add per buffer.
 *
 * Out of credit, the queue's length is stored in `BACKLOG` and the gate is notified,
 * so that a receiver without exclusive credit learns there is data and lends floating
 * credit (Flink's backlog announcement).
 *
 * @remarks Owned by the producing task's thread (through its `ResultPartition`).
 * Corresponds to Flink's `PipelinedSubpartition` plus the sender half of
 * `CreditBasedSequenceNumberingViewReader`.
 */
export class PipelinedSubpartition {
  /** Index within the partition. */
  readonly index: number;
  /** Consumer subtask this subpartition feeds. */
  readonly consumerIndex: number;
  /** Buffers published (= `WRITE_INDEX`, wraps at 2^32). */
  sent = 0;
  /** Bytes published. */
  numBytesOut = 0;
  /** Buffers published. */
  numBuffersOut = 0;
  private readonly ctl: Int32Array;
  private readonly base: number;
  private readonly ringBase: number;
  private readonly ringMask: number;
  private readonly ringCapacity: number;
  private readonly gateNotify: number;
  private readonly gateWaiting: number;
  private readonly network: NetworkBufferPool;
  private readonly metrics: TaskIOMetricGroup | undefined;
  private creditGranted = 0;
  private announcedBacklog = 0;
  /** Buffers published since the receiver was last signalled. */
  private unannounced = 0;
  private readonly announceBatch: number;
  private queueBuffers: (Buffer | null)[] = new Array(INITIAL_QUEUE_CAPACITY).fill(null);
  private queueSizes = new Int32Array(INITIAL_QUEUE_CAPACITY);
  private queueFlags = new Int32Array(INITIAL_QUEUE_CAPACITY);
  private queueHead = 0;
  private queueCount = 0;
  private discarding = false;
  private lastPublished = false;

  /**
   * @param channels - the exchange
   * @param network - this thread's network buffer pool (to release abandoned buffers)
   * @param producer - producer subtask index
   * @param index - subpartition index
   * @param consumer - consumer subtask fed
   * @param metrics - task counters (bytes and buffers out), if any
   * @param announceBatch - signal the receiver once this many buffers were published
   *   (1 = after every publication); see {@link publish}
   */
  constructor(
    channels: ExchangeChannels,
    network: NetworkBufferPool,
    producer: number,
    index: number,
    consumer: number,
    metrics: TaskIOMetricGroup | undefined,
    announceBatch: number,
  ) {
    this.index = index;
    this.consumerIndex = consumer;
    this.ctl = channels.ctl;
    this.base = channels.channelBase(producer, consumer);
    this.ringBase = this.base + C_RING;
    this.ringCapacity = channels.ringCapacity;
    this.ringMask = channels.ringCapacity - 1;
    const gate = channels.gateBase(consumer);
    this.gateNotify = gate + B_NOTIFY;
    this.gateWaiting = gate + B_WAITING;
    this.network = network;
    this.metrics = metrics;
    this.announceBatch = announceBatch;
    this.sent = Atomics.load(this.ctl, this.base + C_WRITE_INDEX);
  }

  /** Buffers queued (not yet published): the backlog. */
  get queueLength(): number {
    return this.queueCount;
  }

  /** Bytes in the queued buffers. */
  queuedBytes(): number {
    let bytes = 0;
    const mask = this.queueSizes.length - 1;
    for (let k = 0; k < this.queueCount; k++)
      bytes += this.queueSizes[(this.queueHead + k) & mask]!;
    return bytes;
  }

  /** Whether the receiver released the channel (writes for it are dropped). */
  isDiscarding(): boolean {
    return this.discarding;
  }

  /** Whether the LAST buffer was published. */
  isFinished(): boolean {
    return this.lastPublished;
  }

  /**
   * Queues a finished buffer (its reference passes to the queue).
   *
   * @param buffer - the buffer
   * @param sizeBytes - bytes of data in it
   * @param flags - `FLAG_LAST` / `FLAG_EVENT`
   */
  add(buffer: Buffer, sizeBytes: number, flags: number): void {
    if (this.discarding) {
      buffer.release();
      return;
    }
    let capacity = this.queueSizes.length;
    if (this.queueCount === capacity) this.growQueue();
    capacity = this.queueSizes.length;
    const slot = (this.queueHead + this.queueCount) & (capacity - 1);
    this.queueBuffers[slot] = buffer;
    this.queueSizes[slot] = sizeBytes;
    this.queueFlags[slot] = flags;
    this.queueCount++;
  }

  /**
   * Whether a buffer could be published now: the queue is empty and the receiver has
   * credit (re-read from shared memory when the cached credit is used up).
   */
  canShipNow(): boolean {
    if (this.queueCount !== 0) return false;
    if (((this.creditGranted - this.sent) | 0) > 0) return true;
    this.creditGranted = Atomics.load(this.ctl, this.base + C_CREDIT_GRANTED);
    return ((this.creditGranted - this.sent) | 0) > 0;
  }

  /** Whether queued buffers wait and the receiver has granted credit since the last look. */
  hasQueuedAndCredit(): boolean {
    if (this.queueCount === 0) return false;
    return ((Atomics.load(this.ctl, this.base + C_CREDIT_GRANTED) - this.sent) | 0) > 0;
  }

  /**
   * Publishes queued buffers while credit lasts, then signals the receiver's gate —
   * at once when `urgent` (a flush), for events and the last buffer, when buffers stay
   * queued or credit is used up, and otherwise once `announceBatch` buffers were
   * published since the last signal. (Waking a waiting receiver costs the sender tens
   * of microseconds; a receiver that is not asleep sees published buffers anyway. The
   * partition signals what is left with {@link announce} before it waits and at every
   * flush tick, so a full buffer waits at most one buffer timeout.)
   *
   * @param urgent - signal now (the buffer was finished by a flush)
   * @returns {@link PUBLISH_DONE}, {@link PUBLISH_NEEDS_CREDIT}, {@link PUBLISH_DISCARDED},
   *   {@link PUBLISH_RECEIVER_GONE} or {@link PUBLISH_PROTOCOL_VIOLATION}
   */
  publish(urgent = false): number {
    const ctl = this.ctl;
    const base = this.base;
    const receiverState = Atomics.load(ctl, base + C_RECEIVER_STATE);
    if (receiverState !== STATE_OPEN) {
      return receiverState === STATE_FINISHED ? PUBLISH_DONE : this.receiverNotOpen(receiverState);
    }
    if (this.queueCount === 0) return PUBLISH_DONE;
    const mask = this.queueSizes.length - 1;
    let published = 0;
    let bytes = 0;
    let signal = urgent;
    while (this.queueCount > 0) {
      if (((this.creditGranted - this.sent) | 0) <= 0) {
        this.creditGranted = Atomics.load(ctl, base + C_CREDIT_GRANTED);
        if (((this.creditGranted - this.sent) | 0) <= 0) break;
        const released = Atomics.load(ctl, base + C_RELEASE_INDEX);
        if (((this.creditGranted - released) | 0) > this.ringCapacity) {
          return PUBLISH_PROTOCOL_VIOLATION;
        }
      }
      const head = this.queueHead;
      const buffer = this.queueBuffers[head]!;
      const size = this.queueSizes[head]!;
      const flags = this.queueFlags[head]!;
      this.queueBuffers[head] = null;
      this.queueHead = (head + 1) & mask;
      this.queueCount--;
      const slot = this.ringBase + (this.sent & this.ringMask) * DESCRIPTOR_WORDS;
      ctl[slot + D_SEGMENT] = buffer.segmentIndex;
      ctl[slot + D_SIZE] = size;
      ctl[slot + D_FLAGS] = flags;
      ctl[slot + D_BACKLOG] = this.queueCount;
      this.sent = (this.sent + 1) | 0;
      Atomics.store(ctl, base + C_WRITE_INDEX, this.sent);
      published++;
      bytes += size;
      if (flags !== 0) {
        signal = true;
        if ((flags & FLAG_LAST) !== 0) {
          this.lastPublished = true;
          Atomics.store(ctl, base + C_SENDER_STATE, STATE_FINISHED);
        }
      }
    }
    let announce = false;
    if (this.queueCount !== this.announcedBacklog) {
      this.announcedBacklog = this.queueCount;
      Atomics.store(ctl, base + C_BACKLOG, this.queueCount);
      announce = this.queueCount > 0;
    }
    if (published > 0) {
      this.numBuffersOut += published;
      this.numBytesOut += bytes;
      const metrics = this.metrics;
      if (metrics !== undefined) {
        metrics.numBuffersOut += published;
        metrics.numBytesOut += bytes;
      }
    }
    if (published > 0) {
      this.unannounced += published;
      if (
        this.unannounced >= this.announceBatch ||
        this.queueCount > 0 ||
        ((this.creditGranted - this.sent) | 0) <= 0
      ) {
        signal = true;
      }
    }
    if (signal || announce) {
      this.unannounced = 0;
      signalNotification(ctl, this.gateNotify, this.gateWaiting);
    }
    if (published > 0) {
      // The receiver may have closed while we published: then nobody reads these.
      const state = Atomics.load(ctl, base + C_RECEIVER_STATE);
      if (state === STATE_RELEASED || state === STATE_GONE) return this.receiverNotOpen(state);
    }
    return this.queueCount > 0 ? PUBLISH_NEEDS_CREDIT : PUBLISH_DONE;
  }

  /** Signals the receiver about buffers published without a signal yet (see {@link publish}). */
  announce(): void {
    if (this.unannounced > 0) {
      this.unannounced = 0;
      signalNotification(this.ctl, this.gateNotify, this.gateWaiting);
    }
  }

  /** The receiver's side of the channel (`STATE_*`), read from shared memory. */
  receiverState(): number {
    return Atomics.load(this.ctl, this.base + C_RECEIVER_STATE);
  }

  /** Available credit as the receiver announced it (buffers). */
  availableCredit(): number {
    return (Atomics.load(this.ctl, this.base + C_CREDIT_GRANTED) - this.sent) | 0;
  }

  /**
   * Teardown: releases every queued buffer and, unless the LAST buffer went out,
   * marks the sender side RELEASED and wakes the receiver. Buffers already published
   * stay with the receiver, except when the receiver is gone or closed: then they are
   * released here too.
   */
  release(): void {
    this.dropQueue();
    const ctl = this.ctl;
    if (!this.lastPublished) {
      Atomics.compareExchange(ctl, this.base + C_SENDER_STATE, STATE_OPEN, STATE_RELEASED);
      signalNotification(ctl, this.gateNotify, this.gateWaiting);
    }
    const state = Atomics.load(ctl, this.base + C_RECEIVER_STATE);
    if (state === STATE_RELEASED || state === STATE_GONE) this.releaseAbandoned();
  }

  private receiverNotOpen(state: number): number {
    this.discarding = true;
    this.dropQueue();
    if (state === STATE_RELEASED || state === STATE_GONE) this.releaseAbandoned();
    return state === STATE_GONE ? PUBLISH_RECEIVER_GONE : PUBLISH_DISCARDED;
  }

  private dropQueue(): void {
    const mask = this.queueSizes.length - 1;
    while (this.queueCount > 0) {
      const head = this.queueHead;
      const buffer = this.queueBuffers[head]!;
      this.queueBuffers[head] = null;
      this.queueHead = (head + 1) & mask;
      this.queueCount--;
      buffer.release();
    }
  }

  /**
   * Releases the buffers published to a receiver that closed early or died (ring slots
   * `[RELEASE_INDEX, WRITE_INDEX)`, taken or not). Slots are claimed with a
   * compare-and-swap on `RELEASE_INDEX`, so a receiver draining its side at the same
   * time never releases the same slot twice.
   */
  private releaseAbandoned(): void {
    const ctl = this.ctl;
    const releaseIndex = this.base + C_RELEASE_INDEX;
    for (;;) {
      const released = Atomics.load(ctl, releaseIndex);
      if (released === this.sent) return;
      if (Atomics.compareExchange(ctl, releaseIndex, released, (released + 1) | 0) !== released) {
        continue;
      }
      const slot = this.ringBase + (released & this.ringMask) * DESCRIPTOR_WORDS;
      releaseSlot(this.network, ctl[slot + D_SEGMENT]!, ctl[slot + D_SIZE]!);
    }
  }

  private growQueue(): void {
    const capacity = this.queueSizes.length;
    const buffers: (Buffer | null)[] = new Array(capacity * 2).fill(null);
    const sizes = new Int32Array(capacity * 2);
    const flags = new Int32Array(capacity * 2);
    for (let k = 0; k < this.queueCount; k++) {
      const from = (this.queueHead + k) & (capacity - 1);
      buffers[k] = this.queueBuffers[from]!;
      sizes[k] = this.queueSizes[from]!;
      flags[k] = this.queueFlags[from]!;
    }
    this.queueBuffers = buffers;
    this.queueSizes = sizes;
    this.queueFlags = flags;
    this.queueHead = 0;
  }
}

/**
 * Drops the one reference a ring slot stands for (teardown of a channel whose other
 * side cannot release it). A segment already taken back by a forced reclaim is skipped.
 *
 * @param network - this thread's network buffer pool
 * @param segmentIndex - the descriptor's segment
 * @param sizeBytes - the descriptor's size
 */
export function releaseSlot(
  network: NetworkBufferPool,
  segmentIndex: number,
  sizeBytes: number,
): void {
  let buffer: Buffer;
  try {
    buffer = network.wrap(segmentIndex, sizeBytes);
  } catch {
    return; // already reclaimed (forced) or never valid: nothing to release
  }
  buffer.release();
}
