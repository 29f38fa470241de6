/**
 * Event-time and processing-time timers of a keyed operator, per (key, namespace,
 * timestamp), in managed memory (Flink's `InternalTimerServiceImpl`).
 *
 * ```
 *  registerEventTimeTimer(ns, t)   entry (timer state, current key, [t][ns]) in the key
 *                                  group's table — an existing one means "already
 *                                  registered": timers are deduplicated
 *                                  + the entry linked into the event-time TimerQueue at t
 *  advanceWatermark(w)             while queue.min ≤ w: poll, set the timer's key as the
 *                                  backend's current key, target.onEventTime(t, ns)
 *  registerProcessingTimeTimer     the same with the processing-time queue; one wall-clock
 *                                  timer armed for the earliest (ProcessingTimeService)
 * ```
 *
 * Two shortcuts avoid hash lookups the window operator would otherwise repeat: the same
 * timer registered twice in a row for the same key (the trigger's timer and the
 * cleanup timer of a window without allowed lateness) is recognised without a lookup,
 * and deleting the timer that is firing right now is a no-op.
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
import { E_KEY_LEN, E_NS_LEN, ENTRY_HEADER_BYTES } from '../../state/state-entry-layout.ts';
import { MIN_WATERMARK } from '../stream-operator.ts';
import type { ProcessingTimeService, ScheduledTimer } from './processing-time-service.ts';
import { TimerQueue } from './timer-queue.ts';

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
  private readonly eventTimers: TimerQueue;
  private readonly processingTimers: TimerQueue;
  private readonly out = new DataOutputSerializer(64);
  /** The last registered timer: state id, key version, time and `[t][ns]` bytes. */
  private lastStateId = 0;
  private lastKeyVersion = -1;
  private lastTime = 0;
  private lastNs = new Uint8Array(64);
  private lastNsLength = -1;
  /** The timer being fired (same fields); deleting it is a no-op. */
  private firingStateId = 0;
  private firingKeyVersion = -1;
  private firingTime = 0;
  private firingNs = new Uint8Array(64);
  private firingNsLength = -1;
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
    this.eventTimers = new TimerQueue(backend.arena);
    this.processingTimers = new TimerQueue(backend.arena);
    // Restored timers: rebuild the heaps from their entries.
    backend.forEachEntryOf(this.eventStateId, (e) => this.eventTimers.add(e, this.timestampOf(e)));
    backend.forEachEntryOf(this.processingStateId, (e) =>
      this.processingTimers.add(e, this.timestampOf(e)),
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
    for (;;) {
      const timestamp = heap.peekTimestamp();
      if (timestamp > watermark) break;
      const namespace = this.pollAndSelectKey(heap, this.eventStateId, timestamp);
      this.target.onEventTime(timestamp, namespace);
    }
    this.firingKeyVersion = -1;
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
      for (;;) {
        const timestamp = heap.peekTimestamp();
        if (timestamp > now) break;
        const namespace = this.pollAndSelectKey(heap, this.processingStateId, timestamp);
        this.target.onProcessingTime(timestamp, namespace);
      }
    } finally {
      this.firing = false;
      this.firingKeyVersion = -1;
    }
    if (heap.size > 0) this.armProcessingTimer();
  }

  private armProcessingTimer(): void {
    if (this.firing) return; // re-armed after the firing loop
    this.nextProcessingTimer?.cancel();
    const time = this.processingTimers.peekTimestamp();
    if (time === Number.POSITIVE_INFINITY) return;
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

  private register(stateId: number, queue: TimerQueue, namespace: N, time: number): boolean {
    this.firingKeyVersion = -1; // a timer registered while firing may be the firing one again
    this.prepare(namespace, time);
    const ns = this.out.getSharedBuffer();
    const backend = this.backend;
    if (this.isLastRegistered(stateId, time, ns)) return false;
    if (backend.find(stateId, ns, this.nsLength, this.nsHash) === NULL_ADDRESS) {
      const entry = backend.insert(stateId, ns, this.nsLength, this.nsHash, 0);
      try {
        queue.add(entry, time);
      } catch (error) {
        backend.remove(entry);
        throw error;
      }
      this.rememberRegistered(stateId, time, ns);
      return true;
    }
    this.rememberRegistered(stateId, time, ns);
    return false;
  }

  private delete(stateId: number, queue: TimerQueue, namespace: N, time: number): void {
    const backend = this.backend;
    this.prepare(namespace, time);
    if (
      this.firingKeyVersion === backend.keyVersion &&
      this.firingStateId === stateId &&
      this.firingTime === time &&
      sameBytes(this.out.getSharedBuffer(), this.nsLength, this.firingNs, this.firingNsLength)
    ) {
      return; // the timer firing now was removed before it fired
    }
    this.lastKeyVersion = -1;
    const entry = backend.find(stateId, this.out.getSharedBuffer(), this.nsLength, this.nsHash);
    if (entry === NULL_ADDRESS) return;
    queue.remove(entry, time);
    backend.remove(entry);
  }

  /** Removes the earliest timer; makes its key current; returns its namespace. */
  private pollAndSelectKey(queue: TimerQueue, stateId: number, time: number): N {
    const entry = queue.poll();
    const backend = this.backend;
    const { u8, u32, view } = backend.arena;
    const w = entry >>> 2;
    const keyStart = entry + ENTRY_HEADER_BYTES;
    const keyLength = u32[w + E_KEY_LEN]!;
    const nsLength = u32[w + E_NS_LEN]!;
    const nsStart = keyStart + keyLength;
    this.input.setBuffer(u8, view, nsStart + 8, nsStart + nsLength);
    const namespace = this.namespaceSerializer.deserialize(this.input);
    backend.setCurrentKeyBytes(u8, keyStart, keyLength);
    // Remember the firing timer so that deleting it (trigger.clear) needs no lookup.
    if (this.firingNs.length < nsLength) this.firingNs = new Uint8Array(nsLength * 2);
    for (let i = 0; i < nsLength; i++) this.firingNs[i] = u8[nsStart + i]!;
    this.firingNsLength = nsLength;
    this.lastKeyVersion = -1;
    this.firingStateId = stateId;
    this.firingTime = time;
    this.firingKeyVersion = backend.keyVersion;
    backend.remove(entry);
    return namespace;
  }

  private isLastRegistered(stateId: number, time: number, ns: Uint8Array): boolean {
    return (
      this.lastKeyVersion === this.backend.keyVersion &&
      this.lastStateId === stateId &&
      this.lastTime === time &&
      sameBytes(ns, this.nsLength, this.lastNs, this.lastNsLength)
    );
  }

  private rememberRegistered(stateId: number, time: number, ns: Uint8Array): void {
    const length = this.nsLength;
    if (this.lastNs.length < length) this.lastNs = new Uint8Array(length * 2);
    const last = this.lastNs;
    for (let i = 0; i < length; i++) last[i] = ns[i]!;
    this.lastNsLength = length;
    this.lastStateId = stateId;
    this.lastTime = time;
    this.lastKeyVersion = this.backend.keyVersion;
  }

  private timestampOf(entry: number): number {
    const u32 = this.backend.arena.u32;
    const at = entry + ENTRY_HEADER_BYTES + u32[(entry >>> 2) + E_KEY_LEN]!;
    return this.backend.arena.view.getFloat64(at);
  }
}

function sameBytes(a: Uint8Array, aLength: number, b: Uint8Array, bLength: number): boolean {
  if (aLength !== bLength) return false;
  for (let i = 0; i < aLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
