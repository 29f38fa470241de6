/**
 * Layout of an exchange's shared control block: one `Int32Array` over one
 * `SharedArrayBuffer` per job edge, holding a control block per channel (producer
 * subtask p → consumer subtask c), a notification block per consumer's input gate and
 * one per producer's result partition. This module is the only place that knows where
 * a word lives; `docs/network.md` draws the same picture. Every word that another
 * thread reads is written with `Atomics`, except the ring descriptors, which are
 * published by the `Atomics.store` of `WRITE_INDEX` that follows them.
 *
 * ```
 *  Int32 index
 *  ┌──────────────────────────── header (16 words) ───────────────────────────────┐
 *  │ 0 MAGIC 'SLEX' │ 1 VERSION │ 2 NUM_PRODUCERS │ 3 NUM_CONSUMERS │ 4 PATTERN     │
 *  │ 5 RING_CAPACITY │ 6 NUM_CHANNELS │ 7 BUFFERS_PER_CHANNEL │ 8 FLOATING_PER_GATE│
 *  │ 9–15 reserved                                                                │
 *  ├──────────── partition blocks: NUM_PRODUCERS × 16 words (one line each) ──────┤
 *  │ 0 NOTIFY (bumped by receivers: credit granted, channel consumed or closed)   │
 *  │ 1 WAITING (1 while the producer waits on NOTIFY) │ 2 STATE (attach/teardown) │
 *  ├──────────── gate blocks: NUM_CONSUMERS × 16 words ───────────────────────────┤
 *  │ 0 NOTIFY (bumped by senders: buffers published, backlog, state changes)      │
 *  │ 1 WAITING (1 while the consumer waits on NOTIFY) │ 2 STATE                   │
 *  ├──────────── channel blocks: NUM_CHANNELS × CHANNEL_STRIDE words ─────────────┤
 *  │ line 0, written by the sender                                                │
 *  │   0 WRITE_INDEX  descriptors published = buffersSent (cumulative)            │
 *  │   1 BACKLOG      buffers queued at the sender (announced when out of credit) │
 *  │   2 SENDER_STATE OPEN │ FINISHED │ RELEASED │ GONE                           │
 *  │ line 1, written by the receiver                                              │
 *  │  16 READ_INDEX     descriptors taken (cumulative)                            │
 *  │  17 RELEASE_INDEX  descriptors whose buffer was released (cumulative)        │
 *  │  18 CREDIT_GRANTED credit announced (cumulative)                             │
 *  │  19 RECEIVER_STATE OPEN │ FINISHED │ RELEASED │ GONE                         │
 *  │ 32… ring: RING_CAPACITY descriptors × 4 words                                │
 *  │   [segmentIndex][size in bytes][flags: LAST, EVENT][backlog behind it]       │
 *  └──────────────────────────────────────────────────────────────────────────────┘
 * ```
 *
 * Counters are cumulative and wrap at 2^32 without harm: only differences are used
 * (`(a - b) | 0`). Available credit is `CREDIT_GRANTED − WRITE_INDEX`; a descriptor
 * slot `i` is valid for `RELEASE_INDEX ≤ i < WRITE_INDEX`, i.e. until the receiver
 * released the buffer (so that teardown can find every segment a channel holds).
 */

/** `'SLEX'`: identifies an exchange control block. */
export const EXCHANGE_MAGIC = 0x534c4558;
/** Bumped on every incompatible change of this layout. */
export const EXCHANGE_LAYOUT_VERSION = 1;

// ---- header -------------------------------------------------------------------------
export const X_MAGIC = 0;
export const X_VERSION = 1;
export const X_NUM_PRODUCERS = 2;
export const X_NUM_CONSUMERS = 3;
export const X_PATTERN = 4;
export const X_RING_CAPACITY = 5;
export const X_NUM_CHANNELS = 6;
export const X_BUFFERS_PER_CHANNEL = 7;
export const X_FLOATING_PER_GATE = 8;
/** Words in the header. */
export const HEADER_WORDS = 16;

/** `PATTERN`: every producer feeds every consumer (keyBy, rebalance, broadcast). */
export const PATTERN_ALL_TO_ALL = 0;
/** `PATTERN`: producer i feeds consumer i only (forward between unchained vertices). */
export const PATTERN_POINTWISE = 1;

// ---- partition and gate blocks (16 words each, one cache line) ---------------------
/** Words per partition or gate block. */
export const BLOCK_STRIDE = 16;
/** Notification counter: bumped (and notified if `WAITING`) by the other side. */
export const B_NOTIFY = 0;
/** 1 while the owner awaits `NOTIFY` with `Atomics.waitAsync`; the other side notifies only then. */
export const B_WAITING = 1;
/** {@link ENDPOINT_FREE}, {@link ENDPOINT_ATTACHED}, {@link ENDPOINT_CLOSED} or {@link ENDPOINT_GONE}. */
export const B_STATE = 2;

/** No partition or gate attached yet. */
export const ENDPOINT_FREE = 0;
/** A `ResultPartition` / `SingleInputGate` is attached. */
export const ENDPOINT_ATTACHED = 1;
/** Released or closed by its owner. */
export const ENDPOINT_CLOSED = 2;
/** Declared dead by the main thread (its worker exited). */
export const ENDPOINT_GONE = 3;

// ---- channel block -------------------------------------------------------------------
/** Descriptors published by the sender (= buffers sent), cumulative. */
export const C_WRITE_INDEX = 0;
/** Buffers queued at the sender, stored when it runs out of credit (backlog announcement). */
export const C_BACKLOG = 1;
/** Sender side of the channel: {@link STATE_OPEN} … {@link STATE_GONE}. */
export const C_SENDER_STATE = 2;
/** Descriptors the receiver has taken, cumulative. */
export const C_READ_INDEX = 16;
/** Descriptors whose buffer the receiver released, cumulative (in order). */
export const C_RELEASE_INDEX = 17;
/** Credit announced by the receiver, cumulative. */
export const C_CREDIT_GRANTED = 18;
/** Receiver side of the channel: {@link STATE_OPEN} … {@link STATE_GONE}. */
export const C_RECEIVER_STATE = 19;
/** First word of the descriptor ring. */
export const C_RING = 32;

/** Words per descriptor. */
export const DESCRIPTOR_WORDS = 4;
/** Descriptor word: index of the segment in the network buffer pool. */
export const D_SEGMENT = 0;
/** Descriptor word: bytes of data in the segment. */
export const D_SIZE = 1;
/** Descriptor word: {@link FLAG_LAST} | {@link FLAG_EVENT}. */
export const D_FLAGS = 2;
/** Descriptor word: buffers the sender had queued behind this one (Flink's `BufferAndBacklog`). */
export const D_BACKLOG = 3;

/** Descriptor flag: the last buffer of the subpartition (it ends with EndOfPartition). */
export const FLAG_LAST = 1;
/** Descriptor flag: the buffer was shipped early because a control element was written. */
export const FLAG_EVENT = 2;

/** Side of a channel still in use. */
export const STATE_OPEN = 0;
/** Sender: the last buffer is published. Receiver: the last buffer is consumed and released. */
export const STATE_FINISHED = 1;
/** Released (sender) or closed (receiver) before the end: cancellation or failure. */
export const STATE_RELEASED = 2;
/** The main thread declared this side's worker dead. */
export const STATE_GONE = 3;

/** Largest ring (descriptors per channel). */
export const MAX_RING_CAPACITY = 1 << 16;

/** Word positions derived from the sizes of one exchange. */
export interface ExchangeLayout {
  readonly numberOfProducers: number;
  readonly numberOfConsumers: number;
  readonly pattern: number;
  readonly ringCapacity: number;
  readonly numberOfChannels: number;
  /** First word of the partition blocks. */
  readonly partitionBlocks: number;
  /** First word of the gate blocks. */
  readonly gateBlocks: number;
  /** First word of the channel blocks. */
  readonly channelBlocks: number;
  /** Words per channel block (a multiple of 16). */
  readonly channelStride: number;
  /** Total words. */
  readonly totalWords: number;
}

/**
 * Computes the word positions of an exchange.
 *
 * @param numberOfProducers - producer subtasks (≥ 1)
 * @param numberOfConsumers - consumer subtasks (≥ 1; = producers for pointwise)
 * @param pattern - {@link PATTERN_ALL_TO_ALL} or {@link PATTERN_POINTWISE}
 * @param ringCapacity - descriptors per channel, a power of two
 * @returns the layout
 */
export function exchangeLayout(
  numberOfProducers: number,
  numberOfConsumers: number,
  pattern: number,
  ringCapacity: number,
): ExchangeLayout {
  const numberOfChannels =
    pattern === PATTERN_POINTWISE ? numberOfProducers : numberOfProducers * numberOfConsumers;
  const partitionBlocks = HEADER_WORDS;
  const gateBlocks = partitionBlocks + numberOfProducers * BLOCK_STRIDE;
  const channelBlocks = gateBlocks + numberOfConsumers * BLOCK_STRIDE;
  const channelStride = C_RING + align16(ringCapacity * DESCRIPTOR_WORDS);
  return {
    numberOfProducers,
    numberOfConsumers,
    pattern,
    ringCapacity,
    numberOfChannels,
    partitionBlocks,
    gateBlocks,
    channelBlocks,
    channelStride,
    totalWords: channelBlocks + numberOfChannels * channelStride,
  };
}

/**
 * The ring size that holds every buffer a channel can have outstanding: its exclusive
 * credit plus, at most, all floating credit of its gate (power of two, ≥ 2).
 *
 * @param buffersPerChannel - exclusive credit per channel
 * @param floatingBuffersPerGate - floating credit per gate
 * @returns descriptors per ring
 */
export function ringCapacityFor(buffersPerChannel: number, floatingBuffersPerGate: number): number {
  let capacity = 2;
  while (capacity < buffersPerChannel + floatingBuffersPerGate) capacity *= 2;
  return capacity;
}

function align16(words: number): number {
  return (words + 15) & ~15;
}
