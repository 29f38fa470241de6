/**
 * Event-time and processing-time timers of a keyed operator, per (key, namespace,
 * timestamp), in managed memory (Flink's `InternalTimerServiceImpl`).
 *
 * ```
 *  registerEventTimeTimer(ns, t)   entry (timer state, current key, [t][ns]) in the key
 *                                  group's table — an existing one means "already
 *                                  registered": timers are deduplicated
 *                                  + slot (t, entry) in the event-time TimerHeap
 *  advanceWatermark(w)             while heap.min ≤ w: pop, set the timer's key as the
 *                                  backend's current key, target.onEventTime(t, ns)
 *  registerProcessingTimeTimer     the same with the processing-time heap; one wall-clock
 *                                  timer armed for the earliest (ProcessingTimeService)
 * ```
 *
 * Timers fire once each, in timestamp order per clock (ties in arbitrary order), with
 * their key current, so the target reads and writes that key's state. A timer is
 * removed before it fires: the target may register the same timer again. Timers are in
 * the keyed-state tables, so they are snapshotted and redistributed by key group with
 * the state; a restored service rebuilds its heaps from the entries.
 *
 * @remarks Owned by the task thread of its operator; the processing-time callback runs
 * on that thread too (the service's executor).
 */

import { DataInputDeserializer } from '../../../types/data-input-deserializer.ts';
import { DataOutputSerializer } from '../../../types/data-output-serializer.ts';
import { murmur3Hash32 } from '../../../types/murmur-hash.ts';
import type { TypeSerializer } from '../../../types/type-serializer.ts';
import type { ManagedKeyedStateBackend } from '../../state/managed-keyed-state-backend.ts';
import { NULL_ADDRESS } from '../../state/managed-memory-arena.ts';
import { E_AUX, E_KEY_LEN, E_NS_LEN, ENTRY_HEADER_BYTES } from '../../state/state-entry-layout.ts';
import { MIN_WATERMARK } from '../stream-operator.ts';
import type { ProcessingTimeService, ScheduledTimer } from './processing-time-service.ts';
import { TimerHeap } from './timer-heap.ts';

/** What fired timers are delivered to (Flink's `Triggerable`). */
export interface Triggerable<N> {
  /** An event-time timer at `timestamp` fired; the timer's key is the current key. */
  onEventTime(timestamp: number, namespace: N): void;
  /** A processing-time timer at `timestamp` fired; the timer's key is the current key. */
  onProcessingTime(timestamp: number, namespace: N): void;
}

/**
 * Timers of one operator; see the module documentation.
 *
 * @remarks Owned by one task thread.
 */
export class InternalTimerService<N> {
  /** Last watermark given to {@link advanceWatermark} (ms). */
  currentWatermark = MIN_WATERMARK;
  private readonly backend: ManagedKeyedStateBackend;
  private readonly namespaceSerializer: TypeSerializer<N>;
  private readonly processingTimeService: ProcessingTimeService;
  private readonly target: Triggerable<N>;
  private readonly eventStateId: number;
  private readonly processingStateId: number;
  private readonly eventTimers: TimerHeap;
  private readonly processingTimers: TimerHeap;
  private readonly out = new DataOutputSerializer(64);
  private readonly input = new DataInputDeserializer();
  private nsLength = 0;
  private nsHash = 0;
  private nextProcessingTimer: ScheduledTimer | undefined;
  private nextProcessingTime = Number.POSITIVE_INFINITY;
  private firing = false;

  /**
   * @param name - unique per operator (`'window-timers'`, `'user-timers'`)
   * @param backend - the operator's keyed state backend
   * @param namespaceSerializer - serializer of the timers' namespaces
   * @param processingTimeService - the task's clock
   * @param target - receives fired timers
   */
  constructor(
    name: string,
    backend: ManagedKeyedStateBackend,
    namespaceSerializer: TypeSerializer<N>,
    processingTimeService: ProcessingTimeService,
    target: Triggerable<N>,
  ) {
    this.backend = backend;
    this.namespaceSerializer = namespaceSerializer;
    this.processingTimeService = processingTimeService;
    this.target = target;
    const configuration = JSON.stringify({
      kind: 'timer',
      namespace: namespaceSerializer.snapshotConfiguration(),
    });
    this.eventStateId = backend.registerState(`_timers_event_${name}`, 'timer', configuration).id;
    this.processingStateId = backend.registerState(
      `_timers_processing_${name}`,
      'timer',
      configuration,
    ).id;
    this.eventTimers = new TimerHeap(backend.arena);
    this.processingTimers = new TimerHeap(backend.arena);
    // Restored timers: rebuild the heaps from their entries.
    backend.forEachEntryOf(this.eventStateId, (e) => this.eventTimers.push(this.timestampOf(e), e));
    backend.forEachEntryOf(this.processingStateId, (e) =>
      this.processingTimers.push(this.timestampOf(e), e),
    );
    if (this.processingTimers.size > 0) this.armProcessingTimer();
  }

  /** Current processing time (ms). */
  currentProcessingTime(): number {
    return this.processingTimeService.getCurrentProcessingTime();
  }

  /**
   * Registers an event-time timer for the current key (no-op when it exists).
   *
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when managed memory runs out
   */
  registerEventTimeTimer(namespace: N, time: number): void {
    this.register(this.eventStateId, this.eventTimers, namespace, time);
  }

  /** Deletes the current key's event-time timer, if registered. */
  deleteEventTimeTimer(namespace: N, time: number): void {
    this.delete(this.eventStateId, this.eventTimers, namespace, time);
  }

  /**
   * Registers a processing-time timer for the current key (no-op when it exists).
   *
   * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when managed memory runs out
   */
  registerProcessingTimeTimer(namespace: N, time: number): void {
    if (this.register(this.processingStateId, this.processingTimers, namespace, time)) {
      if (time < this.nextProcessingTime) this.armProcessingTimer();
    }
  }

  /** Deletes the current key's processing-time timer, if registered. */
  deleteProcessingTimeTimer(namespace: N, time: number): void {
    this.delete(this.processingStateId, this.processingTimers, namespace, time);
  }

  /**
   * Fires every event-time timer ≤ `watermark`, earliest first (also those registered
   * while firing).
   */
  advanceWatermark(watermark: number): void {
    this.currentWatermark = watermark;
    const heap = this.eventTimers;
    while (heap.size > 0 && heap.peekTimestamp() <= watermark) {
      const timestamp = heap.peekTimestamp();
      const namespace = this.pollAndSelectKey(heap);
      this.target.onEventTime(timestamp, namespace);
    }
  }

  /** Event-time timers registered. */
  numEventTimeTimers(): number {
    return this.eventTimers.size;
  }

  /** Processing-time timers registered. */
  numProcessingTimeTimers(): number {
    return this.processingTimers.size;
  }

  /** Cancels the wall-clock timer (the operator closes). */
  close(): void {
    this.nextProcessingTimer?.cancel();
    this.nextProcessingTimer = undefined;
    this.nextProcessingTime = Number.POSITIVE_INFINITY;
  }

  private onProcessingTime(): void {
    this.nextProcessingTimer = undefined;
    this.nextProcessingTime = Number.POSITIVE_INFINITY;
    const heap = this.processingTimers;
    const now = this.processingTimeService.getCurrentProcessingTime();
    this.firing = true;
    try {
      while (heap.size > 0 && heap.peekTimestamp() <= now) {
        const timestamp = heap.peekTimestamp();
        const namespace = this.pollAndSelectKey(heap);
        this.target.onProcessingTime(timestamp, namespace);
      }
    } finally {
      this.firing = false;
    }
    if (heap.size > 0) this.armProcessingTimer();
  }

  private armProcessingTimer(): void {
    if (this.firing) return; // re-armed after the firing loop
    this.nextProcessingTimer?.cancel();
    const time = this.processingTimers.peekTimestamp();
    this.nextProcessingTime = time;
    this.nextProcessingTimer = this.processingTimeService.registerTimer(time, () =>
      this.onProcessingTime(),
    );
  }

  /** Serializes `[time][namespace]` into `out`; sets nsLength/nsHash. */
  private prepare(namespace: N, time: number): void {
    const out = this.out;
    out.clear();
    out.writeFloat64(time + 0);
    this.namespaceSerializer.serialize(namespace, out);
    this.nsLength = out.length();
    this.nsHash = murmur3Hash32(out.getSharedBuffer(), 0, this.nsLength, 0);
  }

  private register(stateId: number, heap: TimerHeap, namespace: N, time: number): boolean {
    this.prepare(namespace, time);
    const ns = this.out.getSharedBuffer();
    const backend = this.backend;
    if (backend.find(stateId, ns, this.nsLength, this.nsHash) !== NULL_ADDRESS) return false;
    const entry = backend.insert(stateId, ns, this.nsLength, this.nsHash, 0);
    try {
      heap.push(time, entry);
    } catch (error) {
      backend.remove(entry);
      throw error;
    }
    return true;
  }

  private delete(stateId: number, heap: TimerHeap, namespace: N, time: number): void {
    this.prepare(namespace, time);
    const backend = this.backend;
    const entry = backend.find(stateId, this.out.getSharedBuffer(), this.nsLength, this.nsHash);
    if (entry === NULL_ADDRESS) return;
    heap.removeAt(backend.arena.u32[(entry >>> 2) + E_AUX]!);
    backend.remove(entry);
  }

  /** Removes the earliest timer; makes its key current; returns its namespace. */
  private pollAndSelectKey(heap: TimerHeap): N {
    const entry = heap.peekEntry();
    heap.poll();
    const backend = this.backend;
    const { u8, u32, view } = backend.arena;
    const w = entry >>> 2;
    const keyStart = entry + ENTRY_HEADER_BYTES;
    const keyLength = u32[w + E_KEY_LEN]!;
    const nsStart = keyStart + keyLength + 8;
    this.input.setBuffer(u8, view, nsStart, keyStart + keyLength + u32[w + E_NS_LEN]!);
    const namespace = this.namespaceSerializer.deserialize(this.input);
    backend.setCurrentKeyBytes(u8, keyStart, keyLength);
    backend.remove(entry);
    return namespace;
  }

  private timestampOf(entry: number): number {
    const u32 = this.backend.arena.u32;
    const at = entry + ENTRY_HEADER_BYTES + u32[(entry >>> 2) + E_KEY_LEN]!;
    return this.backend.arena.view.getFloat64(at);
  }
}
