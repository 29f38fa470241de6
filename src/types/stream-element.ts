/**
 * The elements that flow through a stream: records and the control elements that
 * travel in band with them (watermarks, watermark status, checkpoint barriers, end of
 * partition, latency markers).
 *
 * Each is a small plain class with a numeric `kind` discriminator, so that hot code
 * switches on `element.kind` (a Smi compare) instead of `instanceof`. Records are
 * mutable and reused (object reuse): a deserializer may hand out the same
 * {@link StreamRecord} for every record. Control elements are rare and immutable.
 *
 * Timestamps are epoch milliseconds as numbers; ±Infinity stand for Flink's
 * `Long.MIN_VALUE`/`Long.MAX_VALUE` (no watermark yet / end of input).
 *
 * Corresponding Flink classes: `StreamElement`, `StreamRecord`, `Watermark`,
 * `WatermarkStatus`, `CheckpointBarrier`, `EndOfPartitionEvent`, `LatencyMarker`.
 */

/** Discriminator values of {@link StreamElement} (`element.kind`). */
export const StreamElementKind = {
  RECORD: 0,
  WATERMARK: 1,
  WATERMARK_STATUS: 2,
  CHECKPOINT_BARRIER: 3,
  END_OF_PARTITION: 4,
  LATENCY_MARKER: 5,
} as const;

/** One of the {@link StreamElementKind} values. */
export type StreamElementKindValue = (typeof StreamElementKind)[keyof typeof StreamElementKind];

/**
 * A data record with an optional event-time timestamp. Mutable and reusable.
 *
 * @remarks Owned by the task that holds it; with object reuse, valid only until the
 * next record is read. Flink: `StreamRecord`.
 */
export class StreamRecord<T> {
  readonly kind = StreamElementKind.RECORD;
  /** The user value. */
  value: T;
  /** Event time (epoch ms); `-Infinity` when {@link hasTimestamp} is false. */
  timestamp: number;
  /** Whether {@link timestamp} was set. */
  hasTimestamp: boolean;

  /**
   * @param value - the record's value
   * @param timestamp - event time in epoch ms; omit for a record without timestamp
   */
  constructor(value: T, timestamp?: number) {
    this.value = value;
    this.timestamp = timestamp ?? Number.NEGATIVE_INFINITY;
    this.hasTimestamp = timestamp !== undefined;
  }

  /** Replaces value and timestamp in place (no timestamp when omitted); returns `this`. */
  replace(value: T, timestamp?: number): this {
    this.value = value;
    if (timestamp === undefined) {
      this.timestamp = Number.NEGATIVE_INFINITY;
      this.hasTimestamp = false;
    } else {
      this.timestamp = timestamp;
      this.hasTimestamp = true;
    }
    return this;
  }

  /** Sets the timestamp, keeping the value. */
  setTimestamp(timestamp: number): void {
    this.timestamp = timestamp;
    this.hasTimestamp = true;
  }

  /** Removes the timestamp. */
  eraseTimestamp(): void {
    this.timestamp = Number.NEGATIVE_INFINITY;
    this.hasTimestamp = false;
  }
}

/**
 * Event-time progress: no record with a timestamp ≤ {@link timestamp} follows.
 * Flink: `Watermark`.
 */
export class Watermark {
  /** Before any watermark (Flink's `Long.MIN_VALUE`). */
  static readonly UNINITIALIZED = new Watermark(Number.NEGATIVE_INFINITY);
  /** End of event time: emitted when a bounded input ends (Flink's `Long.MAX_VALUE`). */
  static readonly MAX_WATERMARK = new Watermark(Number.POSITIVE_INFINITY);

  readonly kind = StreamElementKind.WATERMARK;
  /** Epoch ms, or ±Infinity. */
  readonly timestamp: number;

  constructor(timestamp: number) {
    this.timestamp = timestamp;
  }
}

/**
 * Whether an input is idle (its watermark must not hold back the minimum) or active.
 * Flink: `WatermarkStatus`.
 */
export class WatermarkStatus {
  static readonly IDLE = new WatermarkStatus(true);
  static readonly ACTIVE = new WatermarkStatus(false);

  readonly kind = StreamElementKind.WATERMARK_STATUS;
  readonly isIdle: boolean;

  constructor(isIdle: boolean) {
    this.isIdle = isIdle;
  }
}

/**
 * Aligned checkpoint barrier: everything before it belongs to checkpoint
 * {@link checkpointId}. Flink: `CheckpointBarrier`.
 */
export class CheckpointBarrier {
  readonly kind = StreamElementKind.CHECKPOINT_BARRIER;
  /** Monotonic checkpoint id (a safe integer). */
  readonly checkpointId: number;
  /** When the checkpoint was triggered (epoch ms). */
  readonly timestamp: number;

  constructor(checkpointId: number, timestamp: number) {
    this.checkpointId = checkpointId;
    this.timestamp = timestamp;
  }
}

/**
 * The last element of a subpartition: the producer finished. Flink: `EndOfPartitionEvent`.
 */
export class EndOfPartition {
  static readonly INSTANCE = new EndOfPartition();
  readonly kind = StreamElementKind.END_OF_PARTITION;
}

/**
 * Measures end-to-end latency: emitted by a source at {@link markedTime} and
 * forwarded unchanged. Flink: `LatencyMarker` (vertex id + subtask instead of
 * `OperatorID` + subtask).
 */
export class LatencyMarker {
  readonly kind = StreamElementKind.LATENCY_MARKER;
  /** When the source emitted the marker (epoch ms). */
  readonly markedTime: number;
  /** Id of the source vertex. */
  readonly vertexId: string;
  /** Subtask index of the source. */
  readonly subtaskIndex: number;

  constructor(markedTime: number, vertexId: string, subtaskIndex: number) {
    this.markedTime = markedTime;
    this.vertexId = vertexId;
    this.subtaskIndex = subtaskIndex;
  }
}

/** Anything that flows through a stream; discriminate on `kind`. */
export type StreamElement<T> =
  | StreamRecord<T>
  | Watermark
  | WatermarkStatus
  | CheckpointBarrier
  | EndOfPartition
  | LatencyMarker;
