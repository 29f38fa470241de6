/**
 * The windows of one key of a merging assigner (session windows) and, for each, the
 * *state window*: the namespace its contents are kept under (Flink's
 * `MergingWindowSet`). When windows merge, the result keeps the state window of one of
 * them and the others' state is merged into it, so merging never moves the largest
 * state.
 *
 * ```
 *  mapping (window → state window), persisted per key in a ListState of pairs:
 *    [0,5) → [0,5)      add [4,9):  [0,5) and [4,9) merge into [0,9)
 *    [7,9) → [7,9)                  [0,9) → [0,5)  (state of [4,9) and [7,9) merged in)
 * ```
 *
 * Built per record from the key's list state, {@link persist}ed after the record.
 *
 * @remarks Owned by the task thread of its window operator.
 */

import type { Window } from '../../../api/windowing/time-window.ts';
import type { MergingWindowAssigner } from '../../../api/windowing/window-assigner.ts';
import type { DataInputView } from '../../../types/data-input-view.ts';
import type { DataOutputView } from '../../../types/data-output-view.ts';
import type { TypeSerializer, TypeSerializerDescriptor } from '../../../types/type-serializer.ts';
import type { ListState } from '../../state/keyed-state.ts';

/** Called when windows merge: fold the state of `mergedStateWindows` into `stateWindowResult`. */
export type MergeFunction<W> = (
  mergeResult: W,
  mergedWindows: W[],
  stateWindowResult: W,
  mergedStateWindows: W[],
) => void;

/** The window → state window mapping of one key; see the module documentation. */
export class MergingWindowSet<W extends Window> {
  private readonly assigner: MergingWindowAssigner<unknown, W>;
  private readonly state: ListState<[W, W]>;
  private readonly keyOf: (window: W) => string;
  /** key(window) → [window, state window] */
  private readonly mapping = new Map<string, [W, W]>();
  private dirty = false;

  /**
   * @param assigner - the merging assigner
   * @param state - the key's persisted pairs
   * @param keyOf - a string identity of a window (equal windows, equal strings)
   */
  constructor(
    assigner: MergingWindowAssigner<unknown, W>,
    state: ListState<[W, W]>,
    keyOf: (window: W) => string,
  ) {
    this.assigner = assigner;
    this.state = state;
    this.keyOf = keyOf;
    for (const pair of state.get()) this.mapping.set(keyOf(pair[0]), pair);
  }

  /** Writes the mapping back to the key's state if it changed. */
  persist(): void {
    if (!this.dirty) return;
    this.state.update([...this.mapping.values()]);
    this.dirty = false;
  }

  /** The state window of `window`, or `undefined` when it is not in the set. */
  getStateWindow(window: W): W | undefined {
    return this.mapping.get(this.keyOf(window))?.[1];
  }

  /** Removes `window` (it was purged). */
  retireWindow(window: W): void {
    if (!this.mapping.delete(this.keyOf(window))) {
      throw new RangeError(`window ${String(window)} is not in the merging window set`);
    }
    this.dirty = true;
  }

  /**
   * Adds `newWindow`, merging it with the windows it overlaps.
   *
   * @param newWindow - the window of a new record
   * @param mergeFunction - folds state of merged windows (called once per merge group)
   * @returns the window the record belongs to now (`newWindow` or the merge result)
   */
  addWindow(newWindow: W, mergeFunction: MergeFunction<W>): W {
    const windows = [...this.mapping.values()].map((pair) => pair[0]);
    windows.push(newWindow);
    const newKey = this.keyOf(newWindow);
    const merges: { result: W; members: W[] }[] = [];
    this.assigner.mergeWindows(windows, (toBeMerged, mergeResult) => {
      merges.push({ result: mergeResult, members: toBeMerged });
    });
    let resultWindow = newWindow;
    let mergedNewWindow = false;
    for (const { result, members } of merges) {
      const index = members.findIndex((w) => this.keyOf(w) === newKey);
      let merged = members;
      if (index >= 0) {
        merged = members.filter((_, i) => i !== index);
        mergedNewWindow = true;
        resultWindow = result;
      }
      if (merged.length === 0) continue;
      const mergedStateWindow = this.mapping.get(this.keyOf(merged[0]!))![1];
      const mergedStateWindows: W[] = [];
      for (const window of merged) {
        const pair = this.mapping.get(this.keyOf(window));
        this.mapping.delete(this.keyOf(window));
        if (pair !== undefined && this.keyOf(pair[1]) !== this.keyOf(mergedStateWindow)) {
          mergedStateWindows.push(pair[1]);
        }
      }
      this.mapping.set(this.keyOf(result), [result, mergedStateWindow]);
      this.dirty = true;
      const onlyItself = merged.length === 1 && this.keyOf(merged[0]!) === this.keyOf(result);
      if (!onlyItself) mergeFunction(result, merged, mergedStateWindow, mergedStateWindows);
    }
    if (merges.length === 0 || (this.keyOf(resultWindow) === newKey && !mergedNewWindow)) {
      this.mapping.set(newKey, [resultWindow, resultWindow]);
      this.dirty = true;
    }
    return resultWindow;
  }
}

/**
 * Serializer of (window, state window) pairs, for the merging window set's list state.
 *
 * @remarks Stateless apart from the window serializer.
 */
export class WindowPairSerializer<W> implements TypeSerializer<[W, W]> {
  private readonly windowSerializer: TypeSerializer<W>;

  constructor(windowSerializer: TypeSerializer<W>) {
    this.windowSerializer = windowSerializer;
  }

  serialize(value: [W, W], target: DataOutputView): void {
    this.windowSerializer.serialize(value[0], target);
    this.windowSerializer.serialize(value[1], target);
  }

  deserialize(source: DataInputView): [W, W] {
    const window = this.windowSerializer.deserialize(source);
    return [window, this.windowSerializer.deserialize(source)];
  }

  deserializeWithReuse(_reuse: [W, W], source: DataInputView): [W, W] {
    return this.deserialize(source);
  }

  getLength(): number {
    return -1;
  }

  isImmutableType(): boolean {
    return false;
  }

  createInstance(): [W, W] {
    const window = this.windowSerializer.createInstance();
    return [window, window];
  }

  copy(value: [W, W]): [W, W] {
    return [value[0], value[1]];
  }

  snapshotConfiguration(): TypeSerializerDescriptor {
    return this.windowSerializer.snapshotConfiguration();
  }
}
