import type { AvailabilityProvider } from '../../network/availability-provider.ts';
import type { Buffer } from '../../network/buffer.ts';
import { ProtocolViolationError } from '../../network/network-exchange-errors.ts';
import { DeserializationDelegate } from '../../network/serialization/deserialization-delegate.ts';
import { SpanningRecordDeserializer } from '../../network/serialization/spanning-record-deserializer.ts';
import { FRAME_LENGTH_BYTES } from '../../network/serialization/spanning-record-serializer.ts';
import type { SingleInputGate } from '../../network/single-input-gate.ts';
import {
  type StreamElement,
  StreamElementKind,
  type StreamRecord,
} from '../../types/stream-element.ts';
import type { StreamElementSerializer } from '../../types/stream-element-serializer.ts';
import { isFixedLengthSerializer } from '../../types/type-serializer.ts';

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/** Options of a {@link StreamTaskNetworkInput}. */
export interface StreamTaskNetworkInputOptions {
  /**
   * Reuse record values (the row serializers' reuse variants): no allocation per
   * record, but a value is valid only until the next `pollNext()` (Flink's
   * `enableObjectReuse()`).
   * @defaultValue false
   */
  objectReuse: boolean;
  /**
   * Largest frame accepted; must equal the producers' `maxRecordSizeBytes`.
   * @defaultValue 16777216 bytes
   */
  maxRecordSizeBytes: number;
}

/**
 * Turns an input gate's buffers into `StreamElement`s: one `SpanningRecordDeserializer`
 * per channel (records may span buffers), frames read in place from the producers'
 * segments, each buffer released (its credit returned) as soon as its last frame is
 * read. `EndOfPartition` is consumed here: {@link isFinished} becomes true when every
 * channel delivered it.
 *
 * ```ts
 * for (;;) {
 *   const element = input.pollNext();
 *   if (element === null) {
 *     if (input.isFinished()) break;
 *     await input.getAvailableFuture();   // idle time
 *     continue;
 *   }
 *   process(element, input.lastChannelIndex);
 * }
 * input.close();
 * ```
 *
 * Per-channel order is kept; channels are interleaved buffer by buffer.
 *
 * Fast path: for record types of fixed size, frames lying whole in a buffer are read
 * in place (length, tag, fields at constant offsets) without the deserializer; the
 * first frame that is anything else (a control element, a frame spanning into the next
 * buffer, invalid bytes) hands the rest of the buffer to the channel's
 * `SpanningRecordDeserializer`, which also produces the coded errors.
 *
 * @remarks Owned by the consuming task's thread. Corresponds to Flink's
 * `StreamTaskNetworkInput` (minus checkpoint alignment, which the runtime does with
 * {@link lastChannelIndex}).
 */
export class StreamTaskNetworkInput<T> implements AvailabilityProvider {
  /** The gate read. */
  readonly gate: SingleInputGate;
  /** Channel of the element last returned by {@link pollNext}. */
  lastChannelIndex = -1;
  /** Records returned so far (Flink's `numRecordsIn`); a plain counter. */
  numRecordsIn = 0;
  private readonly deserializers: SpanningRecordDeserializer[];
  private readonly endOfPartitionSeen: boolean[];
  private readonly delegate: DeserializationDelegate<T>;
  private currentBuffer: Buffer | null = null;
  private currentChannel = -1;
  private currentDeserializer: SpanningRecordDeserializer | null = null;
  private numEnded = 0;
  private readonly serializer: StreamElementSerializer<T>;
  private readonly objectReuse: boolean;
  /** Whether records have a fixed size (then they are read in place, see {@link pollNext}). */
  private readonly fixedRecords: boolean;
  private readonly holder: StreamRecord<T>;
  private fastView: DataView = EMPTY_VIEW;
  private fastPos = 0;
  private fastEnd = 0;
  /** Per channel: consumption blocked for barrier alignment ({@link blockChannel}). */
  private readonly blocked: Uint8Array;
  private anyBlocked = false;
  /** Per channel: the partly read buffer set aside while the channel is blocked. */
  private readonly parked: (Buffer | null)[];
  private numParked = 0;

  /**
   * @param gate - the input gate
   * @param serializer - element serializer (the producers' record type)
   * @param options - object reuse, frame limit
   * @throws SLUICE_ERR_CONFIG_INVALID for an invalid `maxRecordSizeBytes`
   */
  constructor(
    gate: SingleInputGate,
    serializer: StreamElementSerializer<T>,
    options: Partial<StreamTaskNetworkInputOptions> = {},
  ) {
    this.gate = gate;
    const frameOptions =
      options.maxRecordSizeBytes === undefined
        ? undefined
        : { maxRecordSizeBytes: options.maxRecordSizeBytes };
    this.deserializers = Array.from(
      { length: gate.numberOfInputChannels },
      () => new SpanningRecordDeserializer(frameOptions),
    );
    this.endOfPartitionSeen = new Array(gate.numberOfInputChannels).fill(false);
    this.blocked = new Uint8Array(gate.numberOfInputChannels);
    this.parked = new Array(gate.numberOfInputChannels).fill(null);
    this.serializer = serializer;
    this.objectReuse = options.objectReuse ?? false;
    this.delegate = new DeserializationDelegate(serializer, this.objectReuse);
    this.holder = serializer.createInstance();
    this.fixedRecords = isFixedLengthSerializer(serializer.recordSerializer);
  }

  /**
   * The next element of any channel.
   *
   * @returns a record (a reused holder: copy what must outlive the next call) or a
   *   control element, with its channel in {@link lastChannelIndex}; null when nothing
   *   is available now or the input is finished
   * @throws SLUICE_ERR_NETWORK_CORRUPT_STREAM / SLUICE_ERR_NETWORK_TRUNCATED_STREAM on a
   *   corrupt or truncated channel stream
   * @throws SLUICE_ERR_NETWORK_PARTNER_GONE when a producer died or stopped early
   * @throws SLUICE_ERR_NETWORK_PROTOCOL_VIOLATION when a channel ends without
   *   EndOfPartition or sends data after it
   */
  pollNext(): StreamElement<T> | null {
    for (;;) {
      // A channel blocked for alignment: set the rest of its buffer aside.
      if (
        this.anyBlocked &&
        this.currentBuffer !== null &&
        this.blocked[this.currentChannel] === 1
      ) {
        this.parkCurrent();
      }
      // Fast path: fixed-size records lying whole in the current buffer.
      const fastPos = this.fastPos;
      if (fastPos < this.fastEnd) {
        const view = this.fastView;
        const fastEnd = this.fastEnd;
        if (fastEnd - fastPos >= FRAME_LENGTH_BYTES) {
          const length = view.getUint32(fastPos);
          const frameEnd = fastPos + FRAME_LENGTH_BYTES + length;
          if (frameEnd <= fastEnd && this.tryReadFixed(view, fastPos, length)) {
            this.fastPos = frameEnd;
            const channel = this.currentChannel;
            if (frameEnd === fastEnd) {
              this.fastPos = this.fastEnd = 0;
              this.releaseCurrent(this.deserializers[channel]!);
            }
            this.numRecordsIn++;
            this.lastChannelIndex = channel;
            return this.holder;
          }
        }
        // Anything else (control element, spanning frame, corrupt bytes): the deserializer.
        this.fastPos = this.fastEnd = 0;
        const deserializer = this.deserializers[this.currentChannel]!;
        deserializer.setNextBuffer(this.currentBuffer!.getMemorySegment(), fastPos, fastEnd);
        this.currentDeserializer = deserializer;
      }
      const deserializer = this.currentDeserializer;
      if (deserializer === null) {
        if (this.numParked > 0 && this.unparkOne()) continue;
        const buffer = this.gate.pollNext();
        if (buffer === null) return null;
        const channel = this.gate.lastChannelIndex;
        if (this.endOfPartitionSeen[channel]) this.throwAfterEnd(channel);
        this.currentBuffer = buffer;
        this.currentChannel = channel;
        const next = this.deserializers[channel]!;
        const segment = buffer.getMemorySegment();
        const size = buffer.getSize();
        if (this.fixedRecords && !next.hasUnfinishedData() && size > 0) {
          this.fastView = segment.view;
          this.fastPos = 0;
          this.fastEnd = size;
        } else {
          this.currentDeserializer = next;
          next.setNextBuffer(segment, 0, size);
        }
        continue;
      }
      const result = deserializer.getNextRecord(this.delegate);
      const channel = this.currentChannel;
      let element: StreamElement<T> | null = null;
      if (result.isFullRecord) {
        element = this.delegate.element!;
        if (element.kind === StreamElementKind.END_OF_PARTITION) {
          if (!result.isBufferConsumed) this.throwAfterEnd(channel);
          this.endOfPartitionSeen[channel] = true;
          this.numEnded++;
          element = null;
        }
      }
      if (result.isBufferConsumed) this.releaseCurrent(deserializer);
      if (element !== null) {
        if (element.kind === StreamElementKind.RECORD) this.numRecordsIn++;
        this.lastChannelIndex = channel;
        return element;
      }
    }
  }

  /** Whether every channel delivered EndOfPartition and its last buffer was released. */
  isFinished(): boolean {
    return this.numEnded === this.deserializers.length && this.gate.isFinished();
  }

  /** Whether {@link pollNext} may return an element (or throw) now. */
  isAvailable(): boolean {
    return (
      this.fastPos < this.fastEnd ||
      this.currentDeserializer !== null ||
      (this.numParked > 0 && this.hasUnblockedParked()) ||
      this.gate.isAvailable()
    );
  }

  /**
   * Blocks channel `channelIndex` (it delivered the barrier of the checkpoint being
   * aligned): {@link pollNext} returns nothing more of it — the rest of its current
   * buffer is set aside, the gate hands out no further buffer of it — until
   * {@link resumeAllChannels}. Flink: `CheckpointedInputGate` blocking a channel.
   *
   * @param channelIndex - channel of this input's gate
   */
  blockChannel(channelIndex: number): void {
    if (this.blocked[channelIndex] === 1) return;
    this.blocked[channelIndex] = 1;
    this.anyBlocked = true;
    this.gate.blockConsumption(channelIndex);
  }

  /** Unblocks every blocked channel (alignment complete or aborted). */
  resumeAllChannels(): void {
    if (!this.anyBlocked) return;
    this.anyBlocked = false;
    const blocked = this.blocked;
    for (let c = 0; c < blocked.length; c++) {
      if (blocked[c] === 0) continue;
      blocked[c] = 0;
      this.gate.resumeConsumption(c);
    }
  }

  /** Whether channel `channelIndex` is blocked. */
  isChannelBlocked(channelIndex: number): boolean {
    return this.blocked[channelIndex] === 1;
  }

  /** Whether channel `channelIndex` delivered EndOfPartition. */
  isChannelEnded(channelIndex: number): boolean {
    return this.endOfPartitionSeen[channelIndex] === true;
  }

  /** Sets the current buffer (of a blocked channel) aside, with its read position. */
  private parkCurrent(): void {
    const channel = this.currentChannel;
    const buffer = this.currentBuffer!;
    if (this.fastPos < this.fastEnd) {
      this.deserializers[channel]!.setNextBuffer(
        buffer.getMemorySegment(),
        this.fastPos,
        this.fastEnd,
      );
      this.fastPos = this.fastEnd = 0;
    }
    this.parked[channel] = buffer;
    this.numParked++;
    this.currentBuffer = null;
    this.currentDeserializer = null;
  }

  /** Makes a set-aside buffer of an unblocked channel current again; false when none. */
  private unparkOne(): boolean {
    const parked = this.parked;
    for (let c = 0; c < parked.length; c++) {
      const buffer = parked[c];
      if (buffer === null || this.blocked[c] === 1) continue;
      parked[c] = null;
      this.numParked--;
      this.currentBuffer = buffer!;
      this.currentChannel = c;
      this.currentDeserializer = this.deserializers[c]!;
      return true;
    }
    return false;
  }

  private hasUnblockedParked(): boolean {
    for (let c = 0; c < this.parked.length; c++) {
      if (this.parked[c] !== null && this.blocked[c] === 0) return true;
    }
    return false;
  }

  /** Resolves when input may be available (one future per idle period). */
  getAvailableFuture(): Promise<void> {
    return this.gate.getAvailableFuture();
  }

  /** Closes the gate (releasing every buffer) and forgets partial frames. Idempotent. */
  close(): void {
    this.parked.fill(null);
    this.numParked = 0;
    this.currentBuffer = null;
    this.currentDeserializer = null;
    this.fastPos = this.fastEnd = 0;
    for (const deserializer of this.deserializers) deserializer.clear();
    this.gate.close();
  }

  /** Reads a fixed-size record frame in place into the holder; false for anything else. */
  private tryReadFixed(view: DataView, framePos: number, length: number): boolean {
    try {
      return this.serializer.tryReadRecordFixed(
        view,
        framePos + FRAME_LENGTH_BYTES,
        length,
        this.holder,
        this.objectReuse,
      );
    } catch {
      return false; // invalid bytes: the deserializer re-reads the frame and reports it
    }
  }

  /**
   * Releases the current buffer (its credit goes back) and checks how its channel
   * ended: after EndOfPartition, or (an error) without it.
   */
  private releaseCurrent(deserializer: SpanningRecordDeserializer): void {
    const buffer = this.currentBuffer!;
    const channel = this.currentChannel;
    this.currentBuffer = null;
    this.currentDeserializer = null;
    this.gate.releaseBuffer(channel, buffer);
    if (this.endOfPartitionSeen[channel]) {
      deserializer.finish();
    } else if (this.gate.isChannelConsumed(channel)) {
      deserializer.finish(); // SLUICE_ERR_NETWORK_TRUNCATED_STREAM inside a frame
      throw new ProtocolViolationError(
        `input channel ${channel} of consumer ${this.gate.consumerIndex} ended without EndOfPartition`,
        { details: { channel, consumer: this.gate.consumerIndex } },
      );
    }
  }

  private throwAfterEnd(channel: number): never {
    throw new ProtocolViolationError(
      `input channel ${channel} of consumer ${this.gate.consumerIndex} sent data after EndOfPartition`,
      { details: { channel, consumer: this.gate.consumerIndex } },
    );
  }
}
