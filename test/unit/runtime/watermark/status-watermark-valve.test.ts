import { describe, expect, it } from 'vitest';
import { MIN_WATERMARK } from '../../../../src/runtime/operators/stream-operator.ts';
import { StatusWatermarkValve } from '../../../../src/runtime/watermark/status-watermark-valve.ts';

function valveOf(channels: number) {
  const events: string[] = [];
  const valve = new StatusWatermarkValve(channels, {
    emitWatermark: (w) => events.push(`wm ${w}`),
    emitWatermarkStatus: (idle) => events.push(idle ? 'IDLE' : 'ACTIVE'),
  });
  return { valve, events };
}

describe('StatusWatermarkValve', () => {
  it('emits the minimum over the channels, only when it advances', () => {
    const { valve, events } = valveOf(3);
    valve.inputWatermark(10, 0);
    valve.inputWatermark(20, 1);
    expect(events).toEqual([]);
    valve.inputWatermark(5, 2);
    expect(events).toEqual(['wm 5']);
    valve.inputWatermark(4, 2); // backwards: ignored
    valve.inputWatermark(15, 2);
    expect(events).toEqual(['wm 5', 'wm 10']);
    valve.inputWatermark(30, 0);
    expect(events).toEqual(['wm 5', 'wm 10', 'wm 15']);
    expect(valve.lastOutputWatermark).toBe(15);
  });

  it('lets an idle channel hold nothing back and realigns it when it catches up', () => {
    const { valve, events } = valveOf(2);
    valve.inputWatermark(100, 0);
    expect(events).toEqual([]); // channel 1 is still at MIN
    valve.inputWatermarkStatus(true, 1);
    expect(events).toEqual(['wm 100']);
    valve.inputWatermark(200, 0);
    expect(events).toEqual(['wm 100', 'wm 200']);
    // Channel 1 comes back behind the output: not aligned, so it holds nothing back.
    valve.inputWatermarkStatus(false, 1);
    valve.inputWatermark(150, 1);
    valve.inputWatermark(300, 0);
    expect(events).toEqual(['wm 100', 'wm 200', 'wm 300']);
    // Caught up: aligned again, the minimum counts it.
    valve.inputWatermark(350, 1);
    valve.inputWatermark(400, 0);
    expect(events).toEqual(['wm 100', 'wm 200', 'wm 300', 'wm 350']);
  });

  it('goes idle when every channel is idle, flushing the highest watermark, and active again', () => {
    const { valve, events } = valveOf(2);
    valve.inputWatermark(10, 0);
    valve.inputWatermark(50, 1);
    expect(events).toEqual(['wm 10']);
    valve.inputWatermarkStatus(true, 1);
    expect(events).toEqual(['wm 10']);
    valve.inputWatermarkStatus(true, 0);
    expect(events).toEqual(['wm 10', 'wm 50', 'IDLE']);
    valve.inputWatermark(60, 0); // an idle channel's watermark is ignored
    expect(events).toEqual(['wm 10', 'wm 50', 'IDLE']);
    valve.inputWatermarkStatus(false, 0);
    expect(events).toEqual(['wm 10', 'wm 50', 'IDLE', 'ACTIVE']);
    valve.inputWatermark(70, 0);
    expect(events.at(-1)).toBe('wm 70');
  });

  it('treats a finished channel as idle for good, without announcing the end of input', () => {
    const { valve, events } = valveOf(2);
    valve.inputWatermark(40, 0);
    valve.inputChannelFinished(1); // ended without any watermark
    expect(events).toEqual(['wm 40']);
    valve.inputWatermarkStatus(false, 1); // ignored after the end
    valve.inputWatermark(90, 0);
    valve.inputChannelFinished(0);
    expect(events).toEqual(['wm 40', 'wm 90']);
    expect(valve.lastOutputIdle).toBe(false);
    expect(valve.isChannelIdle(1)).toBe(true);
  });

  it('starts at MIN_WATERMARK and rejects an empty input', () => {
    const { valve } = valveOf(1);
    expect(valve.lastOutputWatermark).toBe(MIN_WATERMARK);
    expect(() => valveOf(0)).toThrow(RangeError);
  });
});
