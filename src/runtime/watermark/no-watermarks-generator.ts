import type { WatermarkGenerator, WatermarkOutput } from '../../api/watermark-strategy.ts';

/**
 * Emits no watermarks (Flink's `NoWatermarksGenerator`); used when a strategy assigns
 * timestamps only.
 *
 * @remarks Stateless.
 */
export class NoWatermarksGenerator<T> implements WatermarkGenerator<T> {
  onEvent(_event: T, _eventTimestamp: number, _output: WatermarkOutput): void {}
  onPeriodicEmit(_output: WatermarkOutput): void {}
}
