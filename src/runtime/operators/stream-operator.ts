/**
 * The operator model (Flink's `StreamOperator`, simplified): the interfaces every
 * operator implements, the {@link Output} it emits to, the chaining strategies and the
 * per-chain {@link ElementContext} that carries the current record's timestamp.
 *
 * Records travel as raw values. Flink wraps each record in a `StreamRecord`; Sluice
 * does not allocate a wrapper per record: the timestamp of the record being processed
 * lives in one mutable {@link ElementContext} shared by all operators of a chain, set
 * by whoever pushes a record into the chain's head (the source, or the input
 * processor that deserialized it) and read by whoever needs it (a process function,
 * the record writer that serializes it).
 *
 * ```
 *   input ─► head.processElement(r) ─► output.collect(r') ─► next.processElement(r') ─► ...
 *            (ElementContext.timestamp is the timestamp of r, r', ... alike)
 * ```
 */

import type { Collector, RuntimeContext } from '../../api/functions.ts';
import type { KeyedStateBackend } from './state/keyed-state-backend.ts';
import type { ProcessingTimeService } from './timers/processing-time-service.ts';

/**
 * Whether an operator may be fused with its neighbours (Flink's `ChainingStrategy`):
 * `ALWAYS` chains to its predecessor and successors; `HEAD` starts a chain (successors
 * may chain to it); `NEVER` is never chained either way.
 */
export const ChainingStrategy = {
  ALWAYS: 'ALWAYS',
  HEAD: 'HEAD',
  NEVER: 'NEVER',
} as const;
/** One of {@link ChainingStrategy}. */
export type ChainingStrategy = (typeof ChainingStrategy)[keyof typeof ChainingStrategy];

/** Watermark before any watermark was seen (Flink: `Long.MIN_VALUE`). */
export const MIN_WATERMARK = Number.MIN_SAFE_INTEGER;
/** Watermark that ends event time, emitted when a bounded source finishes. */
export const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;

/**
 * Timestamp of the record currently travelling through a chain; one object per chain,
 * mutated in place, never allocated per record.
 */
export interface ElementContext {
  /** Event timestamp of the current record (ms); meaningful only if `hasTimestamp`. */
  timestamp: number;
  /** Whether the current record carries a timestamp. */
  hasTimestamp: boolean;
  /** Latest watermark that entered the chain (ms). */
  currentWatermark: number;
}

/** A fresh {@link ElementContext}: no timestamp, no watermark yet. */
export function createElementContext(): ElementContext {
  return { timestamp: 0, hasTimestamp: false, currentWatermark: MIN_WATERMARK };
}

/**
 * Where an operator emits to (Flink's `Output`): the next chained operator, a record
 * writer, or several of them.
 *
 * @remarks Called only by the operator's own task thread.
 */
export interface Output<T> extends Collector<T> {
  /** Emits a record; its timestamp is the chain's {@link ElementContext}. */
  collect(record: T): void;
  /** Forwards a watermark (ms). */
  emitWatermark(watermark: number): void;
  /**
   * Forwards a change of watermark status (Flink's `WatermarkStatus`): `true` = the
   * stream is idle (its watermark must not hold back consumers), `false` = active again.
   * Outputs that cannot carry it may leave it out.
   */
  emitWatermarkStatus?(idle: boolean): void;
}

/**
 * A signal that lets a task wait without a promise per record (Flink's
 * `AvailabilityProvider`): poll `isAvailable()` before each batch, and only when it is
 * `false` await `getAvailableFuture()`.
 */
export interface AvailabilityProvider {
  /** `true` when the next batch can be processed without blocking. */
  isAvailable(): boolean;
  /** Resolves when {@link isAvailable} may have become `true`. */
  getAvailableFuture(): Promise<void>;
}

/** A resolved promise, shared by every always-available provider. */
export const AVAILABLE: Promise<void> = Promise.resolve();

/** Sends a message from an operator instance to its counterpart on the main thread. */
export interface OperatorEventGateway {
  /**
   * Sends an event to the operator's coordinator (the main thread's instance of the
   * same graph node). Events must be structured-cloneable: in the multi-worker runtime
   * they cross threads with `postMessage`.
   */
  sendEventToCoordinator(event: unknown): void;
}

/** What an operator receives once, before `open` (Flink's `StreamOperatorParameters`). */
export interface StreamOperatorParameters<OUT> {
  /** Where this operator emits to. */
  readonly output: Output<OUT>;
  /** Subtask, task and job the operator runs in. */
  readonly runtimeContext: RuntimeContext;
  /** Timestamp of the current record, shared by the whole chain. */
  readonly elementContext: ElementContext;
  /** Keyed state of the operator; present only for keyed operators. */
  readonly keyedStateBackend: KeyedStateBackend | undefined;
  /** Channel to the operator's coordinator on the main thread. */
  readonly operatorEventGateway: OperatorEventGateway;
  /** Outputs of the operator's side-output edges, by `OutputTag` id (absent: none). */
  readonly sideOutputs?: ReadonlyMap<string, Output<unknown>>;
  /** The task's clock and timers (absent: operators that need one create a system clock). */
  readonly processingTimeService?: ProcessingTimeService;
}

/**
 * Figures an operator reports (Flink's operator metric group): plain numbers read
 * by the runtime at snapshot time, never per record.
 */
export interface OperatorMetrics {
  /** Records a window operator dropped because they were late (`numLateRecordsDropped`). */
  numLateRecordsDropped?: number;
  /** Watermark at the operator's input (ms, `currentInputWatermark`). */
  currentInputWatermark?: number;
  /** Watermark at the operator's output (ms, `currentOutputWatermark`). */
  currentOutputWatermark?: number;
  /** Bytes of managed memory in the operator's keyed state. */
  stateSizeBytes?: number;
  /** Bytes of managed memory the operator's keyed state holds (whole pages). */
  managedMemoryBytes?: number;
  /** Entries of the operator's keyed state (one per key and state, timer, map entry). */
  stateEntries?: number;
}

/**
 * An operator instance: one per parallel subtask (Flink's `StreamOperator`).
 *
 * Lifecycle, driven by the `OperatorChain`:
 * `setup` → `open` (tail of the chain first) → records and watermarks → `finish` (head
 * first, may still emit) → `close` (always, also after a failure).
 *
 * @remarks Owned by one task thread; never shared between subtasks.
 */
export interface StreamOperator<OUT> {
  /** Name shown in plans and error messages. */
  readonly operatorName: string;
  /** Wires the operator to its output and context; called once, before `open`. */
  setup(parameters: StreamOperatorParameters<OUT>): void;
  /** Prepares the operator (calls the user function's `open`). */
  open(): void | Promise<void>;
  /** End of input: emit what is buffered; the output is still usable. */
  finish(): void | Promise<void>;
  /** Releases resources (calls the user function's `close`); no more output. */
  close(): void | Promise<void>;
  /** Current figures (optional; read at metric snapshot time). */
  getMetrics?(): OperatorMetrics;

  // ---- checkpoints (docs/checkpoints.md); all optional ----

  /**
   * Restores operator state (the union of every old subtask's entries) before `open`.
   * Keyed state is restored by the chain into the operator's backend.
   *
   * @param operatorState - entries from a checkpoint (JSON values)
   */
  initializeState?(operatorState: readonly unknown[]): void;
  /**
   * Snapshots operator state for checkpoint `checkpointId`; called between two records,
   * synchronously, when the barrier passes the operator (Flink's `snapshotState`).
   *
   * @returns JSON-serializable entries (restored as a union), or undefined for none
   */
  snapshotState?(checkpointId: number): readonly unknown[] | undefined;
  /**
   * The asynchronous part of a checkpoint: what must be durable before the checkpoint
   * may complete (a sink's flush, a source's dead letters). Records after the barrier
   * may be processed meanwhile.
   */
  flushForCheckpoint?(checkpointId: number): void | Promise<void>;
  /** Checkpoint `checkpointId` completed everywhere (e.g. commit Kafka offsets). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
}

/** An operator with one input (Flink's `OneInputStreamOperator`). */
export interface OneInputStreamOperator<IN, OUT> extends StreamOperator<OUT> {
  /** Processes one record; synchronous, must not allocate on behalf of the runtime. */
  processElement(record: IN): void;
  /** Processes a watermark (ms); the default operators forward it. */
  processWatermark(watermark: number): void;
  /** Processes a watermark status change (`true` = idle); the default operators forward it. */
  processWatermarkStatus?(idle: boolean): void;
}

/** Type guard: does the operator accept input records? */
export function isOneInputOperator(
  operator: StreamOperator<unknown>,
): operator is OneInputStreamOperator<unknown, unknown> {
  return typeof (operator as { processElement?: unknown }).processElement === 'function';
}

/** Type guard: does the object expose an availability signal? */
export function isAvailabilityProvider(value: unknown): value is AvailabilityProvider {
  return (
    typeof (value as { isAvailable?: unknown }).isAvailable === 'function' &&
    typeof (value as { getAvailableFuture?: unknown }).getAvailableFuture === 'function'
  );
}
