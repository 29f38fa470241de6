import { describe, expect, it } from 'vitest';
import { WatermarkStrategy } from '../../../../src/api/watermark-strategy.ts';
import {
  createElementContext,
  type Output,
} from '../../../../src/runtime/operators/stream-operator.ts';
import { TestProcessingTimeService } from '../../../../src/runtime/operators/timers/test-processing-time-service.ts';
import { TimestampsAndWatermarks } from '../../../../src/runtime/watermark/timestamps-and-watermarks.ts';

interface Event {
  ts: number;
}

function emitterOf(strategy: WatermarkStrategy<Event>) {
  const events: string[] = [];
  const element = createElementContext();
  const output: Output<Event> = {
    collect: (e) => events.push(`rec ${e.ts}`),
    emitWatermark: (w) => events.push(`wm ${w}`),
    emitWatermarkStatus: (idle) => events.push(idle ? 'IDLE' : 'ACTIVE'),
  };
  const time = new TestProcessingTimeService(0);
  const emitter = new TimestampsAndWatermarks(strategy, output, element, time, 100);
  return { emitter, events, time };
}

describe('per-split watermarks (one generator per Kafka partition)', () => {
  const bounded = () =>
    WatermarkStrategy.forBoundedOutOfOrderness<Event>(0).withTimestampAssigner((e) => e.ts);

  it('the source watermark is the minimum over the splits: a partition behind holds it back', () => {
    const { emitter, events } = emitterOf(bounded());
    const p0 = emitter.createSplitOutput('t-0');
    const p1 = emitter.createSplitOutput('t-1');
    p0.collect({ ts: 5000 });
    p1.collect({ ts: 1000 });
    p0.collect({ ts: 9000 });
    emitter.onPeriodicEmit();
    expect(events.filter((e) => e.startsWith('wm'))).toEqual(['wm 999']);
    p1.collect({ ts: 7000 });
    emitter.onPeriodicEmit();
    expect(events.filter((e) => e.startsWith('wm'))).toEqual(['wm 999', 'wm 6999']);
    expect(events.filter((e) => e.startsWith('rec'))).toHaveLength(4);
  });

  it('a released split no longer holds the watermark back; the same id returns the same output', () => {
    const { emitter, events } = emitterOf(bounded());
    const p0 = emitter.createSplitOutput('t-0');
    expect(emitter.createSplitOutput('t-0')).toBe(p0);
    const p1 = emitter.createSplitOutput('t-1');
    p0.collect({ ts: 5000 });
    p1.collect({ ts: 1000 });
    emitter.onPeriodicEmit();
    emitter.releaseSplitOutput('t-1');
    expect(events.filter((e) => e.startsWith('wm'))).toEqual(['wm 999', 'wm 4999']);
  });

  it('idle splits are left out, and the source is idle when every split is', () => {
    const { emitter, events, time } = emitterOf(bounded().withIdleness(1000));
    const p0 = emitter.createSplitOutput('t-0');
    const p1 = emitter.createSplitOutput('t-1');
    p0.collect({ ts: 5000 });
    p1.collect({ ts: 1000 });
    emitter.onPeriodicEmit();
    time.advanceTo(600);
    p0.collect({ ts: 6000 }); // p1 quiet from now on
    time.advanceTo(1700);
    emitter.onPeriodicEmit(); // p1 inactive from now
    expect(events.filter((e) => e.startsWith('wm'))).toEqual(['wm 999']);
    time.advanceTo(2800);
    emitter.onPeriodicEmit(); // p1 idle: left out
    expect(events.filter((e) => e.startsWith('wm'))).toEqual(['wm 999', 'wm 5999']);
    time.advanceTo(5000);
    emitter.onPeriodicEmit();
    expect(events.at(-1)).toBe('IDLE');
    p1.collect({ ts: 8000 });
    expect(events).toContain('ACTIVE');
  });
});
