/**
 * A window of event or processing time `[start, end)` (Flink's `TimeWindow`), and its
 * serializer — windows are the namespaces of the window operator's keyed state and
 * timers, so they are stored as 16 bytes in managed memory.
 *
 * ```
 *   TimeWindow(0, 1000)  holds timestamps 0 … 999; maxTimestamp() = 999
 *   serialized:          [int64 start][int64 end]   (big-endian)
 * ```
 *
 * @remarks Immutable value objects; compare with {@link TimeWindow.equals}.
 */

import type { DataInputView } from '../../types/data-input-view.ts';
import type { DataOutputView } from '../../types/data-output-view.ts';
import { getInt64Number, setInt64Number } from '../../types/primitive-serializers.ts';
import type {
  FixedLengthTypeSerializer,
  TypeSerializerDescriptor,
} from '../../types/type-serializer.ts';

/** A window: anything with a largest timestamp (Flink's `Window`). */
export interface Window {
  /** The largest timestamp that still belongs to the window (ms). */
  maxTimestamp(): number;
}

/** The window `[start, end)` of time (ms). */
export class TimeWindow implements Window {
  /** First timestamp of the window (inclusive, ms). */
  readonly start: number;
  /** End of the window (exclusive, ms). */
  readonly end: number;

  constructor(start: number, end: number) {
    this.start = start;
    this.end = end;
  }

  /** `end − 1`. */
  maxTimestamp(): number {
    return this.end - 1;
  }

  /** Whether the windows overlap (touching counts, as Flink's session merging wants). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window covering both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  equals(other: unknown): boolean {
    return other instanceof TimeWindow && other.start === this.start && other.end === this.end;
  }

  toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }

  /**
   * Start of the window of `size` (with `offset`) that holds `timestamp` (Flink's
   * `getWindowStartWithOffset`): `timestamp − (timestamp − offset + size) mod size`.
   */
  static getWindowStartWithOffset(timestamp: number, offset: number, size: number): number {
    const remainder = (timestamp - offset) % size;
    return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
  }

  /**
   * Merges overlapping windows (Flink's `TimeWindow.mergeWindows`): sorts them by start
   * and reports every group of two or more overlapping windows with its cover.
   *
   * @param windows - the windows of one key
   * @param merge - called with the windows of each group and the window covering them
   */
  static mergeWindows(
    windows: readonly TimeWindow[],
    merge: (toBeMerged: TimeWindow[], mergeResult: TimeWindow) => void,
  ): void {
    const sorted = [...windows].sort((a, b) => a.start - b.start);
    let current: { cover: TimeWindow; members: TimeWindow[] } | undefined;
    const groups: { cover: TimeWindow; members: TimeWindow[] }[] = [];
    for (const window of sorted) {
      if (current === undefined) {
        current = { cover: window, members: [window] };
      } else if (current.cover.intersects(window)) {
        current.cover = current.cover.cover(window);
        current.members.push(window);
      } else {
        groups.push(current);
        current = { cover: window, members: [window] };
      }
    }
    if (current !== undefined) groups.push(current);
    for (const group of groups) if (group.members.length > 1) merge(group.members, group.cover);
  }
}

/**
 * Serializer of {@link TimeWindow}s (Flink's `TimeWindow.Serializer`): 16 bytes, start
 * and end as int64.
 *
 * @remarks Stateless; share freely.
 */
export class TimeWindowSerializer implements FixedLengthTypeSerializer<TimeWindow> {
  static readonly INSTANCE = new TimeWindowSerializer();

  serialize(value: TimeWindow, target: DataOutputView): void {
    target.writeInt64Number(value.start);
    target.writeInt64Number(value.end);
  }

  deserialize(source: DataInputView): TimeWindow {
    const start = source.readInt64Number();
    return new TimeWindow(start, source.readInt64Number());
  }

  deserializeWithReuse(_reuse: TimeWindow, source: DataInputView): TimeWindow {
    return this.deserialize(source);
  }

  writeFixed(value: TimeWindow, view: DataView, offset: number): void {
    setInt64Number(view, offset, value.start);
    setInt64Number(view, offset + 8, value.end);
  }

  readFixed(view: DataView, offset: number): TimeWindow {
    return new TimeWindow(getInt64Number(view, offset), getInt64Number(view, offset + 8));
  }

  readFixedWithReuse(_reuse: TimeWindow, view: DataView, offset: number): TimeWindow {
    return this.readFixed(view, offset);
  }

  getLength(): number {
    return 16;
  }

  isImmutableType(): boolean {
    return true;
  }

  createInstance(): TimeWindow {
    return new TimeWindow(0, 0);
  }

  copy(value: TimeWindow): TimeWindow {
    return value;
  }

  snapshotConfiguration(): TypeSerializerDescriptor {
    return {
      type: 'row',
      fields: [
        { name: 'start', type: 'int64' },
        { name: 'end', type: 'int64' },
      ],
    };
  }
}
