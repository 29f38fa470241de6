/**
 * Aligns checkpoint barriers over every input channel of a task (Flink's
 * `SingleCheckpointBarrierHandler` with the aligned `WaitingForFirstBarrier` /
 * `CollectingBarriers` states): a channel that delivered barrier *n* is blocked until
 * every other open channel delivered it too, so that the snapshot taken then holds
 * exactly the effect of the records before barrier *n* on every channel.
 *
 * ```
 *   channel 0: … r r |n| ░░░░░ (blocked: its data waits at the sender, within its credit)
 *   channel 1: … r r r r r |n|        ◄ last barrier: aligned
 *                                       → resume every channel, listener.triggerCheckpointOnBarrier(n)
 *   channel 2: ended (EndOfPartition)   (finished channels are not waited for)
 * ```
 *
 * - A barrier of a newer checkpoint while *n* is being aligned aborts *n* (its channels
 *   are resumed, `abortCheckpointOnBarrier(n)`) and starts aligning the newer one.
 *   Barriers of older checkpoints are ignored.
 * - With a single open channel the barrier triggers at once (no blocking).
 * - Blocking is per channel and the data of a blocked channel stays in the sender's
 *   buffers, bounded by that channel's credit: memory stays bounded and other channels
 *   keep flowing (credit-based flow control makes Flink's old spilling unnecessary).
 *
 * Nothing here runs per record: only on barriers and channel ends.
 *
 * @remarks Owned by the task thread of its input processor.
 * @module
 */
import type { CheckpointBarrier } from '../../types/stream-element.ts';
import type { StreamTaskNetworkInput } from './stream-task-network-input.ts';

/** Told when a barrier is aligned or its alignment is given up. */
export interface CheckpointBarrierListener {
  /**
   * Barrier `barrier` arrived on every open channel; the task snapshots now (before
   * any record after the barrier is processed).
   *
   * @param barrier - the barrier
   * @param alignmentDurationMs - from the first of its barriers to the last (ms)
   */
  triggerCheckpointOnBarrier(barrier: CheckpointBarrier, alignmentDurationMs: number): void;
  /**
   * The alignment of `checkpointId` was given up (a newer checkpoint's barrier came
   * first on some channel).
   */
  abortCheckpointOnBarrier(checkpointId: number): void;
}

/** Aligned barrier handling over the channels of several network inputs. */
export class CheckpointBarrierHandler {
  private readonly inputs: readonly StreamTaskNetworkInput<unknown>[];
  private readonly channelBase: readonly number[];
  private readonly listener: CheckpointBarrierListener;
  private readonly clock: () => number;
  /** Per global channel: barrier of the current checkpoint received. */
  private readonly received: Uint8Array;
  /** Per global channel: EndOfPartition consumed. */
  private readonly ended: Uint8Array;
  private currentCheckpointId = -1;
  private numReceived = 0;
  private alignmentStartMs = 0;
  private pendingBarrier: CheckpointBarrier | undefined;
  /** Duration of the last completed alignment (ms); Flink's `checkpointAlignmentTime`. */
  lastAlignmentDurationMs = 0;

  /**
   * @param inputs - the task's network inputs, in input order
   * @param channelBase - first global channel of each input
   * @param listener - the task
   * @param clock - epoch ms (tests pass their own)
   */
  constructor(
    inputs: readonly StreamTaskNetworkInput<unknown>[],
    channelBase: readonly number[],
    listener: CheckpointBarrierListener,
    clock: () => number = Date.now,
  ) {
    this.inputs = inputs;
    this.channelBase = channelBase;
    this.listener = listener;
    this.clock = clock;
    let channels = 0;
    for (const input of inputs) channels += input.gate.numberOfInputChannels;
    this.received = new Uint8Array(channels);
    this.ended = new Uint8Array(channels);
  }

  /** Id of the checkpoint being aligned, or -1. */
  get alignedCheckpointId(): number {
    return this.numReceived > 0 ? this.currentCheckpointId : -1;
  }

  /**
   * A barrier arrived on channel `channel` of input `inputIndex`.
   *
   * @param barrier - the barrier
   * @param inputIndex - which input
   * @param channel - channel of that input's gate
   */
  processBarrier(barrier: CheckpointBarrier, inputIndex: number, channel: number): void {
    const id = barrier.checkpointId;
    if (id < this.currentCheckpointId) return; // an aborted checkpoint's straggler
    if (id > this.currentCheckpointId) {
      if (this.numReceived > 0) {
        const aborted = this.currentCheckpointId;
        this.resetAlignment();
        this.listener.abortCheckpointOnBarrier(aborted);
      }
      this.currentCheckpointId = id;
      this.alignmentStartMs = this.clock();
      this.pendingBarrier = barrier;
    }
    const global = this.channelBase[inputIndex]! + channel;
    if (this.received[global] === 1) return;
    this.received[global] = 1;
    this.numReceived++;
    if (!this.checkAligned()) this.inputs[inputIndex]!.blockChannel(channel);
  }

  /**
   * Channel `global` consumed its EndOfPartition: it is no longer waited for.
   *
   * @param global - global channel index (input base + channel)
   */
  channelEnded(global: number): void {
    if (this.ended[global] === 1) return;
    this.ended[global] = 1;
    if (this.numReceived > 0) this.checkAligned();
  }

  /** Unblocks everything (the task ends or is cancelled). */
  close(): void {
    this.resetAlignment();
  }

  /** Triggers and resets when every open channel delivered the current barrier. */
  private checkAligned(): boolean {
    const received = this.received;
    const ended = this.ended;
    for (let c = 0; c < received.length; c++) {
      if (received[c] === 0 && ended[c] === 0) return false;
    }
    const barrier = this.pendingBarrier!;
    this.lastAlignmentDurationMs = Math.max(0, this.clock() - this.alignmentStartMs);
    this.resetAlignment();
    this.listener.triggerCheckpointOnBarrier(barrier, this.lastAlignmentDurationMs);
    return true;
  }

  private resetAlignment(): void {
    this.received.fill(0);
    this.numReceived = 0;
    this.pendingBarrier = undefined;
    for (const input of this.inputs) input.resumeAllChannels();
  }
}
