import type { Buffer } from './buffer.ts';
import {
  B_NOTIFY,
  B_WAITING,
  C_BACKLOG,
  C_CREDIT_GRANTED,
  C_READ_INDEX,
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
  STATE_OPEN,
  STATE_RELEASED,
} from './channel-layout.ts';
import type { ExchangeChannels } from './exchange-channels.ts';
import type { NetworkBufferPool } from './network-buffer-pool.ts';
import { signalNotification } from './notification-watcher.ts';
import { releaseSlot } from './pipelined-subpartition.ts';

/**
 * The receiving end of one channel (producer p → this consumer): takes published
 * buffer descriptors from the channel ring, wraps them as buffers over the sender's
 * segments (no copy), remembers the held ones in order, and announces credit.
 *
 * ```
 *   ring slots:  … [released …)[held: taken, being read …)[published, not taken …) …
 *                   RELEASE_INDEX          READ_INDEX               WRITE_INDEX
 * ```
 *
 * Credit bookkeeping (the gate decides what a released buffer's credit becomes):
 * `exclusive + floating = unused credit + published + held` at all times, where
 * unused credit is `CREDIT_GRANTED − WRITE_INDEX`.
 *
 * @remarks Owned by the consuming task's thread, through its `SingleInputGate`.
 * Corresponds to Flink's `RemoteInputChannel` (its credit half lives in the gate, as
 * Flink's `BufferManager` does).
 */
export class InputChannel {
  /** Index of the channel within its gate. */
  readonly channelIndex: number;
  /** Producer subtask feeding it. */
  readonly producerIndex: number;
  /** Exclusive credit (buffers-per-channel). */
  readonly exclusive: number;
  /** Floating credit currently lent to this channel by the gate. */
  floating = 0;
  /** Backlog the sender reported last (descriptor or backlog word). */
  lastBacklog = 0;
  /** Whether the channel waits in the gate's queue for floating credit. */
  waitingForFloating = false;
  /** The LAST buffer was taken: nothing more will be published. */
  lastTaken = false;
  /** The LAST buffer was released: the channel is done. */
  consumed = false;
  /** Bytes received. */
  numBytesIn = 0;
  /** Buffers received. */
  numBuffersIn = 0;
  private readonly ctl: Int32Array;
  private readonly base: number;
  private readonly ringBase: number;
  private readonly ringMask: number;
  private readonly partitionNotify: number;
  private readonly partitionWaiting: number;
  private readonly network: NetworkBufferPool;
  private readIndex: number;
  private releaseIndex: number;
  private granted: number;
  private readonly held: (Buffer | null)[];
  private heldHead = 0;
  private heldCount = 0;

  /**
   * @param channels - the exchange
   * @param network - this thread's network buffer pool (to wrap received segments)
   * @param producer - producer subtask index
   * @param consumer - consumer subtask index (this gate's)
   * @param channelIndex - index within the gate
   * @param exclusive - exclusive credit of the channel
   */
  constructor(
    channels: ExchangeChannels,
    network: NetworkBufferPool,
    producer: number,
    consumer: number,
    channelIndex: number,
    exclusive: number,
  ) {
    this.channelIndex = channelIndex;
    this.producerIndex = producer;
    this.exclusive = exclusive;
    this.ctl = channels.ctl;
    this.network = network;
    this.base = channels.channelBase(producer, consumer);
    this.ringBase = this.base + C_RING;
    this.ringMask = channels.ringCapacity - 1;
    const partition = channels.partitionBase(producer);
    this.partitionNotify = partition + B_NOTIFY;
    this.partitionWaiting = partition + B_WAITING;
    this.readIndex = Atomics.load(this.ctl, this.base + C_READ_INDEX);
    this.releaseIndex = Atomics.load(this.ctl, this.base + C_RELEASE_INDEX);
    this.granted = Atomics.load(this.ctl, this.base + C_CREDIT_GRANTED);
    this.held = new Array(channels.ringCapacity).fill(null);
  }

  /**
   * Takes the next published buffer, if any (one `Atomics.load` when there is none).
   *
   * @returns a view of the sender's segment holding `size` bytes (this channel holds its
   *   one reference until {@link releaseNext}), or null
   * @throws SLUICE_ERR_NETWORK_BUFFER_RECYCLED when the segment was reclaimed under it
   */
  poll(): Buffer | null {
    const ctl = this.ctl;
    if (Atomics.load(ctl, this.base + C_WRITE_INDEX) === this.readIndex) return null;
    const slot = this.ringBase + (this.readIndex & this.ringMask) * DESCRIPTOR_WORDS;
    const segmentIndex = ctl[slot + D_SEGMENT]!;
    const size = ctl[slot + D_SIZE]!;
    const flags = ctl[slot + D_FLAGS]!;
    this.lastBacklog = ctl[slot + D_BACKLOG]!;
    const buffer = this.network.wrap(segmentIndex, size);
    this.readIndex = (this.readIndex + 1) | 0;
    Atomics.store(ctl, this.base + C_READ_INDEX, this.readIndex);
    this.held[(this.heldHead + this.heldCount) & this.ringMask] = buffer;
    this.heldCount++;
    this.numBuffersIn++;
    this.numBytesIn += size;
    if ((flags & FLAG_LAST) !== 0) this.lastTaken = true;
    return buffer;
  }

  /**
   * Bytes this channel queues: buffers held (taken, not yet released) and published
   * (not yet taken). Flink's `inputQueueSize`; for metrics, not the hot path.
   */
  queuedBytes(): number {
    let bytes = 0;
    for (let i = 0; i < this.heldCount; i++) {
      bytes += this.held[(this.heldHead + i) & this.ringMask]!.getSize();
    }
    const ctl = this.ctl;
    const write = Atomics.load(ctl, this.base + C_WRITE_INDEX);
    for (let index = this.readIndex; index !== write; index = (index + 1) | 0) {
      bytes += ctl[this.ringBase + (index & this.ringMask) * DESCRIPTOR_WORDS + D_SIZE]!;
    }
    return bytes;
  }

  /** Whether a published buffer waits to be taken. */
  hasPublished(): boolean {
    return Atomics.load(this.ctl, this.base + C_WRITE_INDEX) !== this.readIndex;
  }

  /** The oldest held buffer (the next one {@link releaseNext} releases), or null. */
  peekHeld(): Buffer | null {
    return this.heldCount === 0 ? null : this.held[this.heldHead]!;
  }

  /**
   * Releases the oldest held buffer (buffers are released in the order taken) and
   * advances `RELEASE_INDEX`. When it was the LAST buffer the channel is consumed:
   * `RECEIVER_STATE` becomes FINISHED and the sender is notified.
   */
  releaseNext(): void {
    const buffer = this.held[this.heldHead]!;
    this.held[this.heldHead] = null;
    this.heldHead = (this.heldHead + 1) & this.ringMask;
    this.heldCount--;
    buffer.release();
    this.releaseIndex = (this.releaseIndex + 1) | 0;
    Atomics.store(this.ctl, this.base + C_RELEASE_INDEX, this.releaseIndex);
    if (this.lastTaken && this.heldCount === 0) {
      this.consumed = true;
      Atomics.store(this.ctl, this.base + C_RECEIVER_STATE, STATE_FINISHED);
      this.signalSender();
    }
  }

  /**
   * Announces `count` more credit to the sender and wakes it if it waits.
   *
   * @param count - buffers (≥ 1)
   */
  grant(count: number): void {
    this.granted = (this.granted + count) | 0;
    Atomics.add(this.ctl, this.base + C_CREDIT_GRANTED, count);
    this.signalSender();
  }

  /** Wakes the sender (a buffer came back to its pool, or the channel's state changed). */
  signalSender(): void {
    signalNotification(this.ctl, this.partitionNotify, this.partitionWaiting);
  }

  /** Credit announced and not yet used by the sender (buffers). */
  unusedCredit(): number {
    return (this.granted - Atomics.load(this.ctl, this.base + C_WRITE_INDEX)) | 0;
  }

  /** Backlog the sender stored in the channel block (its announcement when out of credit). */
  announcedBacklog(): number {
    return Atomics.load(this.ctl, this.base + C_BACKLOG);
  }

  /** The sender's side of the channel (`STATE_*`). */
  senderState(): number {
    return Atomics.load(this.ctl, this.base + C_SENDER_STATE);
  }

  /** Buffers published to this channel and not yet released (in the ring or held). */
  buffersInUse(): number {
    return (Atomics.load(this.ctl, this.base + C_WRITE_INDEX) - this.releaseIndex) | 0;
  }

  /** Buffers held (taken, not yet released). */
  heldBuffers(): number {
    return this.heldCount;
  }

  /**
   * Teardown: marks the receiver side RELEASED (unless consumed or declared gone),
   * then releases every buffer of the ring that nobody released yet — held, published
   * or published while we drain — claiming each slot with a compare-and-swap on
   * `RELEASE_INDEX` (the sender drains the same way when it sees the state).
   */
  close(): void {
    const ctl = this.ctl;
    this.held.fill(null);
    this.heldCount = 0;
    if (this.consumed) return;
    Atomics.compareExchange(ctl, this.base + C_RECEIVER_STATE, STATE_OPEN, STATE_RELEASED);
    const releaseIndex = this.base + C_RELEASE_INDEX;
    for (;;) {
      const released = Atomics.load(ctl, releaseIndex);
      if (released === Atomics.load(ctl, this.base + C_WRITE_INDEX)) break;
      if (Atomics.compareExchange(ctl, releaseIndex, released, (released + 1) | 0) !== released) {
        continue;
      }
      const slot = this.ringBase + (released & this.ringMask) * DESCRIPTOR_WORDS;
      releaseSlot(this.network, ctl[slot + D_SEGMENT]!, ctl[slot + D_SIZE]!);
    }
    this.signalSender();
  }
}
