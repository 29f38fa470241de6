/**
 * Feeds a one-input chain from the network (Flink's `StreamOneInputProcessor` with its
 * `StatusWatermarkValve`): reads `StreamElement`s from the subtask's input gates — one
 * `StreamTaskNetworkInput` per incoming job edge (several for a union) — and pushes
 * them into the chain's head.
 *
 * ```
 *   gate of edge 0 ─► StreamTaskNetworkInput ─┐  record    → ElementContext ← timestamp,
 *   gate of edge 1 ─► StreamTaskNetworkInput ─┼─►             head.processElement(value)
 *                                             │  watermark → valve (min over channels)
 *                                             │  status    → valve (idle channels ignored)
 *                                             └─► head.processWatermark / processWatermarkStatus
 * ```
 *
 * The valve numbers the channels of all gates one after the other; a channel whose last
 * buffer was consumed (end of partition) is marked finished, so it no longer holds the
 * watermark back. Checkpoint barriers go to a {@link CheckpointBarrierHandler}, which
 * aligns them over every channel and tells the task ({@link setCheckpointBarrierListener});
 * latency markers are dropped.
 *
 * Per record: one `pollNext`, one switch, one direct call; no allocation.
 *
 * @remarks Owned by the consuming task's thread; one per non-source subtask.
 * @module
 */
import type { InputStatus } from '../api/connector/source.ts';
import { type CheckpointBarrier, StreamElementKind } from '../types/stream-element.ts';
import {
  CheckpointBarrierHandler,
  type CheckpointBarrierListener,
} from './io/checkpoint-barrier-handler.ts';
import type { StreamTaskNetworkInput } from './io/stream-task-network-input.ts';
import type { ElementContext, OneInputStreamOperator } from './operators/stream-operator.ts';
import type { CountingInputProcessor } from './stream-task.ts';
import { StatusWatermarkValve } from './watermark/status-watermark-valve.ts';

/** The network input of one subtask; see the module documentation. */
export class StreamOneInputProcessor implements CountingInputProcessor {
  /** One input per incoming job edge, in input order. */
  readonly inputs: readonly StreamTaskNetworkInput<unknown>[];
  private readonly head: OneInputStreamOperator<unknown, unknown>;
  private readonly element: ElementContext;
  private readonly valve: StatusWatermarkValve;
  /** First valve channel of each input. */
  private readonly channelBase: number[];
  /** Per valve channel: already reported finished. */
  private readonly finished: Uint8Array;
  private nextInput = 0;
  private barrierHandler: CheckpointBarrierHandler | undefined;

  /**
   * @param inputs - one network input per incoming edge (at least one)
   * @param head - the chain's first operator
   * @param element - the chain's element context
   */
  constructor(
    inputs: readonly StreamTaskNetworkInput<unknown>[],
    head: OneInputStreamOperator<unknown, unknown>,
    element: ElementContext,
  ) {
    if (inputs.length === 0) throw new RangeError('a network input processor needs an input');
    this.inputs = inputs;
    this.head = head;
    this.element = element;
    this.channelBase = [];
    let channels = 0;
    for (const input of inputs) {
      this.channelBase.push(channels);
      channels += input.gate.numberOfInputChannels;
    }
    this.finished = new Uint8Array(channels);
    this.valve = new StatusWatermarkValve(Math.max(1, channels), {
      emitWatermark: (watermark) => {
        element.currentWatermark = watermark;
        head.processWatermark(watermark);
      },
      emitWatermarkStatus: (idle) => head.processWatermarkStatus?.(idle),
    });
  }

  /**
   * Routes checkpoint barriers to `listener` after aligning them over every channel
   * (without a listener, barriers are dropped).
   *
   * @param listener - the task
   */
  setCheckpointBarrierListener(listener: CheckpointBarrierListener): void {
    this.barrierHandler = new CheckpointBarrierHandler(this.inputs, this.channelBase, listener);
  }

  /** The barrier handler (alignment figures), once a listener was set. */
  getBarrierHandler(): CheckpointBarrierHandler | undefined {
    return this.barrierHandler;
  }

  /** Records pushed into the chain (Flink's `numRecordsIn`). */
  get numRecordsIn(): number {
    let records = 0;
    for (const input of this.inputs) records += input.numRecordsIn;
    return records;
  }

  processInput(maxRecords: number): InputStatus {
    const inputs = this.inputs;
    let budget = maxRecords;
    for (let visited = 0; visited < inputs.length && budget > 0; visited++) {
      const index = this.nextInput;
      this.nextInput = index + 1 === inputs.length ? 0 : index + 1;
      budget -= this.drain(inputs[index]!, index, this.channelBase[index]!, budget);
    }
    this.markFinishedChannels();
    let finished = true;
    for (const input of inputs) {
      if (input.isFinished()) continue; // a finished input counts as available
      finished = false;
      if (input.isAvailable()) return 'MORE_AVAILABLE';
    }
    return finished ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
  }

  getAvailableFuture(): Promise<void> {
    const inputs = this.inputs;
    if (inputs.length === 1) return inputs[0]!.getAvailableFuture();
    const open = inputs.filter((input) => !input.isFinished());
    return Promise.race(open.map((input) => input.getAvailableFuture()));
  }

  /** Closes every input (releasing their buffers). Idempotent. */
  close(): void {
    this.barrierHandler?.close();
    for (const input of this.inputs) input.close();
  }

  /** Processes up to `budget` records of one input; returns how many. */
  private drain(
    input: StreamTaskNetworkInput<unknown>,
    index: number,
    base: number,
    budget: number,
  ): number {
    const element = this.element;
    const head = this.head;
    let records = 0;
    while (records < budget) {
      const next = input.pollNext();
      if (next === null) break;
      switch (next.kind) {
        case StreamElementKind.RECORD:
          element.hasTimestamp = next.hasTimestamp;
          element.timestamp = next.timestamp;
          records++;
          head.processElement(next.value);
          break;
        case StreamElementKind.WATERMARK:
          this.valve.inputWatermark(next.timestamp, base + input.lastChannelIndex);
          break;
        case StreamElementKind.WATERMARK_STATUS:
          this.valve.inputWatermarkStatus(next.isIdle, base + input.lastChannelIndex);
          break;
        case StreamElementKind.CHECKPOINT_BARRIER:
          this.barrierHandler?.processBarrier(
            next as CheckpointBarrier,
            index,
            input.lastChannelIndex,
          );
          break;
        default:
          break; // latency markers
      }
    }
    return records;
  }

  /** Tells the valve about channels whose end of partition was consumed. */
  private markFinishedChannels(): void {
    const inputs = this.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const gate = inputs[i]!.gate;
      const base = this.channelBase[i]!;
      for (let c = 0; c < gate.numberOfInputChannels; c++) {
        if (this.finished[base + c] === 0 && gate.isChannelConsumed(c)) {
          this.finished[base + c] = 1;
          this.valve.inputChannelFinished(base + c);
          this.barrierHandler?.channelEnded(base + c);
        }
      }
    }
  }
}
