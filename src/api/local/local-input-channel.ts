/**
 * An in-memory channel between one upstream subtask and one downstream subtask of an
 * exchange, in the single-thread local executor: a FIFO of stream elements held in
 * three parallel arrays (no object per element).
 *
 * ```
 *   kinds:      [ REC | REC_TS | WM | ST | ... ]      REC = record without timestamp
 *   values:     [ r0  | r1     | -  | -  | ... ]      REC_TS = record with timestamp
 *   timestamps: [ -   | t1     | w  | 1  | ... ]      WM = watermark w, ST = watermark
 *                                                     status (1 = idle, 0 = active)
 *                 ^head
 * ```
 *
 * Records are held by reference, not copied (object reuse across the exchange too). The
 * capacity is soft: the writer is told it is unavailable once the channel holds
 * `capacity` elements, checked by the task before each batch, so one batch may overshoot.
 *
 * Between workers the credit-based network channels replace this class.
 *
 * @remarks Single thread: the executor's.
 */
export class LocalInputChannel {
  static readonly RECORD = 0;
  static readonly RECORD_WITH_TIMESTAMP = 1;
  static readonly WATERMARK = 2;
  static readonly WATERMARK_STATUS = 3;

  /** Soft bound on queued elements. */
  readonly capacity: number;
  /** Element kinds, from {@link head}. */
  readonly kinds: number[] = [];
  /** Record values (`undefined` for watermarks). */
  readonly values: unknown[] = [];
  /** Record timestamps or watermark values. */
  readonly timestamps: number[] = [];
  /** Index of the next element to read. */
  head = 0;
  /** Whether the producer finished (end of partition). */
  ended = false;

  /** @param capacity - soft bound on queued elements (≥ 1) */
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Queued elements. */
  size(): number {
    return this.kinds.length - this.head;
  }

  /** `true` while the producer may write another batch. */
  hasCapacity(): boolean {
    return this.kinds.length - this.head < this.capacity;
  }

  /** Appends a record with its timestamp state. */
  pushRecord(value: unknown, hasTimestamp: boolean, timestamp: number): void {
    this.kinds.push(
      hasTimestamp ? LocalInputChannel.RECORD_WITH_TIMESTAMP : LocalInputChannel.RECORD,
    );
    this.values.push(value);
    this.timestamps.push(timestamp);
  }

  /** Appends a watermark (ms). */
  pushWatermark(watermark: number): void {
    this.kinds.push(LocalInputChannel.WATERMARK);
    this.values.push(undefined);
    this.timestamps.push(watermark);
  }

  /** Appends a watermark status (`true` = idle). */
  pushWatermarkStatus(idle: boolean): void {
    this.kinds.push(LocalInputChannel.WATERMARK_STATUS);
    this.values.push(undefined);
    this.timestamps.push(idle ? 1 : 0);
  }

  /** Marks the end of the partition: no element follows. */
  end(): void {
    this.ended = true;
  }

  /** Called by the reader after consuming up to {@link head}: reclaims consumed slots. */
  compact(): void {
    const head = this.head;
    if (head === 0) return;
    if (head === this.kinds.length) {
      this.kinds.length = 0;
      this.values.length = 0;
      this.timestamps.length = 0;
      this.head = 0;
    } else if (head >= 4096 && head * 2 >= this.kinds.length) {
      this.kinds.splice(0, head);
      this.values.splice(0, head);
      this.timestamps.splice(0, head);
      this.head = 0;
    }
  }

  /** `true` when the producer ended and every element was read. */
  isDrained(): boolean {
    return this.ended && this.head === this.kinds.length;
  }
}
