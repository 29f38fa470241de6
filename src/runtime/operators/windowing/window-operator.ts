/**
 * Keyed windows (Flink's `WindowOperator`): assigns each record to windows, keeps every
 * window's contents in keyed state (namespace = the window) in managed memory, asks the
 * trigger when to emit, and cleans a window up once it can receive no more records.
 *
 * ```
 *  processElement(r):  key = keySelector(r); backend.setCurrentKey(key)
 *    for w in assigner.assignWindows(r, ts):     (sessions: merged via MergingWindowSet)
 *      late(w)?  (w.maxTimestamp + allowedLateness ≤ watermark)  → skip
 *      state[key, w].add(r)                     (reduce / aggregate / append)
 *      trigger.onElement → FIRE? emit(w, state[key, w]) ; PURGE? clear
 *      cleanup timer at w.maxTimestamp + allowedLateness
 *    every window late → side output (sideOutputLateData) or numLateRecordsDropped++
 *  processWatermark(w): timers ≤ w fire (trigger.onEventTime → FIRE / cleanup), then forward w
 *  processing-time timers: the same with trigger.onProcessingTime
 * ```
 *
 * With `allowedLateness = 0` the firing timer and the cleanup timer of a window are the
 * same timer (deduplicated). Emitted records carry the window's `maxTimestamp()` as
 * their timestamp. Processing-time windows still open when a bounded input ends are
 * not emitted (as Flink).
 *
 * @throws SLUICE_ERR_TIME_MISSING_TIMESTAMP for a record without timestamp in event-time windows
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when a user function throws
 * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when window state exceeds managed memory
 * @remarks One instance per subtask, owned by its task thread.
 */

import type { Key, KeySelector } from '../../../api/functions.ts';
import type { TimeWindow, Window } from '../../../api/windowing/time-window.ts';
import {
  type Trigger,
  type TriggerContext,
  TriggerResult,
} from '../../../api/windowing/trigger.ts';
import {
  isMergingWindowAssigner,
  type MergingWindowAssigner,
  type WindowAssigner,
  type WindowAssignerContext,
} from '../../../api/windowing/window-assigner.ts';
import type { ProcessWindowFunctionContext } from '../../../api/windowing/window-functions.ts';
import type { TypeSerializer } from '../../../types/type-serializer.ts';
import { createKeyedRuntimeContext } from '../../state/keyed-runtime-context.ts';
import type { InternalAppendingState, ListState } from '../../state/keyed-state.ts';
import type { ManagedKeyedStateBackend } from '../../state/managed-keyed-state-backend.ts';
import type { ManagedListState } from '../../state/managed-list-state.ts';
import {
  type AggregatingStateDescriptor,
  ListStateDescriptor,
  type ReducingStateDescriptor,
} from '../../state/state-descriptor.ts';
import { MissingTimestampError } from '../../watermark/time-errors.ts';
import { AbstractUdfStreamOperator } from '../abstract-udf-stream-operator.ts';
import { MAX_WATERMARK, type OperatorMetrics } from '../stream-operator.ts';
import { InternalTimerService, type Triggerable } from '../timers/internal-timer-service.ts';
import { requireManagedBackend } from '../timers/keyed-process-operator.ts';
import type { InternalWindowFunction } from './internal-window-function.ts';
import { MergingWindowSet, WindowPairSerializer } from './merging-window-set.ts';

/** The state a window keeps its contents in. */
export type WindowStateDescriptor<T> =
  | ListStateDescriptor<T>
  | ReducingStateDescriptor<T>
  | AggregatingStateDescriptor<T, unknown, unknown>;

/** Configuration of a {@link WindowOperator}. */
export interface WindowOperatorSpec<T, K extends Key, W extends Window, C, OUT> {
  readonly assigner: WindowAssigner<T, W>;
  readonly trigger: Trigger<T, W>;
  readonly keySelector: KeySelector<T, K>;
  /** The window contents' state (`C` is what it returns: value, result or list). */
  readonly stateDescriptor: WindowStateDescriptor<T>;
  readonly windowFunction: InternalWindowFunction<C, OUT, K, W>;
  /** Allowed lateness (ms, ≥ 0). */
  readonly allowedLatenessMs: number;
  /** Id of the side output for late records (`sideOutputLateData`), if any. */
  readonly lateDataOutputTag: string | undefined;
}

/**
 * The window operator; see the module documentation.
 *
 * @remarks One instance per subtask, owned by its task thread.
 */
export class WindowOperator<T, K extends Key, W extends Window, C, OUT>
  extends AbstractUdfStreamOperator<T, OUT, InternalWindowFunction<C, OUT, K, W>>
  implements Triggerable<W>
{
  /** Late records dropped (Flink's `numLateRecordsDropped`); a plain counter. */
  numLateRecordsDropped = 0;
  private readonly spec: WindowOperatorSpec<T, K, W, C, OUT>;
  private readonly eventTime: boolean;
  private readonly mergingAssigner: MergingWindowAssigner<T, W> | undefined;
  private backend!: ManagedKeyedStateBackend;
  private windowState!: InternalAppendingState<W, T, C>;
  private readContents!: () => C | undefined;
  private mergingState: ListState<[W, W]> | undefined;
  private timers!: InternalTimerService<W>;
  private triggerWindow!: W;
  private processWindow!: W;
  private triggerContext!: TriggerContext;
  private processContext!: ProcessWindowFunctionContext<W>;
  private assignerContext!: WindowAssignerContext;
  private readonly currentKey = (): K => this.backend.getCurrentKey() as K;

  /**
   * @param operatorName - name for plans and errors
   * @param spec - assigner, trigger, state, function, lateness
   */
  constructor(operatorName: string, spec: WindowOperatorSpec<T, K, W, C, OUT>) {
    super(operatorName, spec.windowFunction);
    this.spec = spec;
    this.eventTime = spec.assigner.isEventTime();
    this.mergingAssigner = isMergingWindowAssigner(spec.assigner) ? spec.assigner : undefined;
  }

  override async open(): Promise<void> {
    const backend = requireManagedBackend(this.keyedStateBackend, this.operatorName);
    this.backend = backend;
    const windowSerializer = this.spec.assigner.getWindowSerializer();
    const descriptor = this.spec.stateDescriptor;
    const state = backend.createInternalState(
      descriptor as ListStateDescriptor<T>,
      windowSerializer,
    ) as unknown as InternalAppendingState<W, T, C>;
    this.windowState = state;
    this.readContents =
      descriptor.kind === 'list'
        ? () => (state as unknown as ManagedListState<W, T>).getOrUndefined() as C | undefined
        : () => state.get();
    if (this.mergingAssigner !== undefined) {
      this.mergingState = backend.getListState(
        new ListStateDescriptor<[W, W]>(
          'window-merging-set',
          new WindowPairSerializer(windowSerializer as TypeSerializer<W>),
        ),
      );
    }
    this.timers = new InternalTimerService(
      'window-timers',
      backend,
      windowSerializer,
      this.processingTimeService,
      this,
    );
    this.createContexts();
    try {
      await this.userFunction.open?.(createKeyedRuntimeContext(this.runtimeContext, backend));
    } catch (error) {
      throw this.failed(error, 'open');
    }
  }

  processElement(record: T): void {
    const element = this.elementContext;
    let timestamp: number;
    if (element.hasTimestamp) {
      timestamp = element.timestamp;
    } else if (this.eventTime) {
      throw new MissingTimestampError(
        `event-time window operator "${this.operatorName}" got a record without a timestamp; ` +
          'call assignTimestampsAndWatermarks(...) or give fromSource a WatermarkStrategy with a ' +
          'timestamp assigner, or use processing-time windows',
        { details: { operatorName: this.operatorName } },
      );
    } else {
      timestamp = this.timers.currentProcessingTime();
    }
    try {
      this.backend.setCurrentKey(this.spec.keySelector.getKey(record));
      const windows = this.spec.assigner.assignWindows(record, timestamp, this.assignerContext);
      const skipped =
        this.mergingAssigner === undefined
          ? this.addToWindows(record, timestamp, windows)
          : this.addToMergingWindows(record, timestamp, windows);
      if (skipped && this.isElementLate(timestamp)) {
        const tag = this.spec.lateDataOutputTag;
        if (tag === undefined) {
          this.numLateRecordsDropped++;
        } else {
          element.timestamp = timestamp;
          element.hasTimestamp = true;
          this.sideOutputs.get(tag)?.collect(record);
        }
      }
    } catch (error) {
      throw this.failed(error, 'processElement');
    }
  }

  override processWatermark(watermark: number): void {
    this.timers.advanceWatermark(watermark);
    this.output.emitWatermark(watermark);
  }

  onEventTime(timestamp: number, window: W): void {
    try {
      this.onTimer(timestamp, window, true);
    } catch (error) {
      throw this.failed(error, 'onEventTime');
    }
  }

  onProcessingTime(timestamp: number, window: W): void {
    try {
      this.onTimer(timestamp, window, false);
    } catch (error) {
      throw this.failed(error, 'onProcessingTime');
    }
  }

  override async close(): Promise<void> {
    this.timers?.close();
    await super.close();
  }

  getMetrics(): OperatorMetrics {
    return {
      numLateRecordsDropped: this.numLateRecordsDropped,
      currentInputWatermark: this.timers?.currentWatermark,
      stateSizeBytes: this.backend?.stateSizeBytes(),
      managedMemoryBytes: this.backend?.managedMemoryBytes(),
      stateEntries: this.backend?.numEntries(),
    };
  }

  /** Non-merging windows; returns whether every window was late. */
  private addToWindows(record: T, timestamp: number, windows: readonly W[]): boolean {
    let skipped = true;
    const state = this.windowState;
    for (const window of windows) {
      if (this.isWindowLate(window)) continue;
      skipped = false;
      state.setCurrentNamespace(window);
      state.add(record);
      this.triggerWindow = window;
      const result = this.spec.trigger.onElement(record, timestamp, window, this.triggerContext);
      this.act(result, window);
      this.registerCleanupTimer(window);
    }
    return skipped;
  }

  /** Merging windows (sessions); returns whether every window was late. */
  private addToMergingWindows(record: T, timestamp: number, windows: readonly W[]): boolean {
    let skipped = true;
    const merging = this.getMergingWindowSet();
    const state = this.windowState;
    for (const window of windows) {
      const actual = merging.addWindow(window, this.mergeFunction);
      if (this.isWindowLate(actual)) {
        merging.retireWindow(actual);
        continue;
      }
      skipped = false;
      const stateWindow = merging.getStateWindow(actual);
      if (stateWindow === undefined)
        throw new RangeError(`window ${String(actual)} has no state window`);
      state.setCurrentNamespace(stateWindow);
      state.add(record);
      this.triggerWindow = actual;
      const result = this.spec.trigger.onElement(record, timestamp, actual, this.triggerContext);
      this.act(result, actual);
      this.registerCleanupTimer(actual);
    }
    merging.persist();
    return skipped;
  }

  /** Emits and/or purges the window whose state namespace is current. */
  private act(result: TriggerResult, window: W): void {
    if (result === TriggerResult.FIRE || result === TriggerResult.FIRE_AND_PURGE) {
      const contents = this.readContents();
      if (contents !== undefined) this.emitWindowContents(window, contents);
    }
    if (result === TriggerResult.PURGE || result === TriggerResult.FIRE_AND_PURGE) {
      this.windowState.clear();
    }
  }

  private onTimer(timestamp: number, window: W, eventTime: boolean): void {
    let merging: MergingWindowSet<W> | undefined;
    if (this.mergingAssigner !== undefined) {
      merging = this.getMergingWindowSet();
      const stateWindow = merging.getStateWindow(window);
      if (stateWindow === undefined) return; // the window was merged away
      this.windowState.setCurrentNamespace(stateWindow);
    } else {
      this.windowState.setCurrentNamespace(window);
    }
    this.triggerWindow = window;
    const trigger = this.spec.trigger;
    const result = eventTime
      ? trigger.onEventTime(timestamp, window, this.triggerContext)
      : trigger.onProcessingTime(timestamp, window, this.triggerContext);
    this.act(result, window);
    if (this.eventTime === eventTime && this.cleanupTime(window) === timestamp) {
      this.clearAllState(window, merging);
    }
    merging?.persist();
  }

  private emitWindowContents(window: W, contents: C): void {
    const element = this.elementContext;
    element.timestamp = window.maxTimestamp();
    element.hasTimestamp = true;
    this.processWindow = window;
    this.userFunction.process(this.currentKey, window, this.processContext, contents, this.output);
  }

  private clearAllState(window: W, merging: MergingWindowSet<W> | undefined): void {
    this.windowState.clear();
    this.triggerWindow = window;
    this.spec.trigger.clear(window, this.triggerContext);
    merging?.retireWindow(window);
  }

  private readonly mergeFunction = (
    mergeResult: W,
    mergedWindows: W[],
    stateWindowResult: W,
    mergedStateWindows: W[],
  ): void => {
    if (this.eventTime && this.cleanupTime(mergeResult) <= this.timers.currentWatermark) {
      throw new RangeError(
        `the end timestamp of an event-time window cannot become earlier than the current watermark by merging: watermark ${this.timers.currentWatermark}, window ${String(mergeResult)}`,
      );
    }
    this.triggerWindow = mergeResult;
    this.spec.trigger.onMerge?.(mergeResult, this.triggerContext);
    for (const merged of mergedWindows) {
      this.triggerWindow = merged;
      this.spec.trigger.clear(merged, this.triggerContext);
      this.deleteCleanupTimer(merged);
    }
    this.windowState.mergeNamespaces(stateWindowResult, mergedStateWindows);
  };

  private getMergingWindowSet(): MergingWindowSet<W> {
    return new MergingWindowSet(
      this.mergingAssigner as MergingWindowAssigner<unknown, W>,
      this.mergingState!,
      windowKey,
    );
  }

  /** When a window's state is dropped: its end plus the allowed lateness (event time). */
  private cleanupTime(window: W): number {
    if (!this.eventTime) return window.maxTimestamp();
    const time = window.maxTimestamp() + this.spec.allowedLatenessMs;
    return time >= MAX_WATERMARK ? MAX_WATERMARK : time;
  }

  private registerCleanupTimer(window: W): void {
    const time = this.cleanupTime(window);
    if (time === MAX_WATERMARK) return;
    if (this.eventTime) this.timers.registerEventTimeTimer(window, time);
    else this.timers.registerProcessingTimeTimer(window, time);
  }

  private deleteCleanupTimer(window: W): void {
    const time = this.cleanupTime(window);
    if (time === MAX_WATERMARK) return;
    if (this.eventTime) this.timers.deleteEventTimeTimer(window, time);
    else this.timers.deleteProcessingTimeTimer(window, time);
  }

  private isWindowLate(window: W): boolean {
    return this.eventTime && this.cleanupTime(window) <= this.timers.currentWatermark;
  }

  private isElementLate(timestamp: number): boolean {
    return (
      this.eventTime && timestamp + this.spec.allowedLatenessMs <= this.timers.currentWatermark
    );
  }

  private createContexts(): void {
    const timers = this.timers;
    this.assignerContext = { getCurrentProcessingTime: () => timers.currentProcessingTime() };
    this.triggerContext = {
      getCurrentProcessingTime: () => timers.currentProcessingTime(),
      getCurrentWatermark: () => timers.currentWatermark,
      registerProcessingTimeTimer: (time) =>
        timers.registerProcessingTimeTimer(this.triggerWindow, time),
      registerEventTimeTimer: (time) => timers.registerEventTimeTimer(this.triggerWindow, time),
      deleteProcessingTimeTimer: (time) =>
        timers.deleteProcessingTimeTimer(this.triggerWindow, time),
      deleteEventTimeTimer: (time) => timers.deleteEventTimeTimer(this.triggerWindow, time),
    };
    this.processContext = {
      window: () => this.processWindow,
      currentProcessingTime: () => timers.currentProcessingTime(),
      currentWatermark: () => timers.currentWatermark,
      output: (tag, value) => this.sideOutputs.get(tag.id)?.collect(value),
    };
  }
}

/** String identity of a window for the merging window set (time windows: start and end). */
function windowKey(window: Window): string {
  const w = window as Partial<TimeWindow>;
  return w.start !== undefined ? `${w.start}/${w.end}` : String(window);
}
