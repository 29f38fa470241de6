/**
 * How a source assigns timestamps and emits watermarks (Flink's `WatermarkStrategy`).
 *
 * Only `noWatermarks()` exists so far: records keep the timestamps their source gives
 * them (if any) and no watermarks are generated, apart from the final one a bounded
 * source emits when it ends. Bounded out-of-orderness, idleness and timestamp assigners
 * come with the event-time issue; the parameter is already in `fromSource`'s signature
 * so that jobs written now keep compiling then.
 */
export class WatermarkStrategy<T> {
  /** `'none'`: no watermark generation. */
  readonly kind: 'none';
  /** Phantom field tying the strategy to the record type; never set. */
  declare readonly __recordType?: T;

  private constructor(kind: 'none') {
    this.kind = kind;
  }

  /** No watermarks (Flink's `WatermarkStrategy.noWatermarks()`). */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>('none');
  }
}
