/**
 * What feeds a task's chain (Flink's `StreamInputProcessor`): the task calls
 * `processInput(n)` from its mailbox loop and gets back whether to call again now, wait
 * for availability, or finish. The chain code does not care where input comes from.
 *
 * ```
 *   source task:   SourceInputProcessor  → SourceOperator.emitNext(n) → chain
 *   other tasks:   an input processor over input channels (in-memory queues in the
 *                  local executor, deserialized network buffers between workers)
 *                  → head.processElement(record) / head.processWatermark(wm)
 * ```
 */

import { InputStatus } from '../../api/connector/source.ts';
import type { SourceOperator } from './source-operator.ts';

/** Drives input into a chain, a batch at a time. */
export interface StreamInputProcessor {
  /**
   * Pushes up to `maxRecords` records into the chain.
   *
   * @param maxRecords - batch size (≥ 1)
   * @returns `MORE_AVAILABLE`, `NOTHING_AVAILABLE` (then await {@link getAvailableFuture})
   *   or `END_OF_INPUT` (every input finished and was drained)
   */
  processInput(maxRecords: number): InputStatus;
  /** Resolves when input may be available again. */
  getAvailableFuture(): Promise<void>;
}

/**
 * Input processor of a source task: pulls batches from the chain's
 * {@link SourceOperator} (Flink's `StreamTaskSourceInput`).
 *
 * @remarks Owned by the source task's thread.
 */
export class SourceInputProcessor implements StreamInputProcessor {
  private readonly operator: SourceOperator<unknown>;

  /** @param operator - head of the source chain */
  constructor(operator: SourceOperator<unknown>) {
    this.operator = operator;
  }

  processInput(maxRecords: number): InputStatus {
    return this.operator.emitNext(maxRecords);
  }

  getAvailableFuture(): Promise<void> {
    return this.operator.getAvailableFuture();
  }
}

export { InputStatus };
