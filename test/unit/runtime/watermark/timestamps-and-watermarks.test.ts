import { describe, expect, it } from 'vitest';
import { WatermarkStrategy } from '../../../../src/api/watermark-strategy.ts';
import {
  createElementContext,
  MAX_WATERMARK,
  type Output,
} from '../../../../src/runtime/operators/stream-operator.ts';
import { TestProcessingTimeService } from '../../../../src/runtime/operators/timers/test-processing-time-service.ts';
import { TimestampsAndWatermarksOperator } from '../../../../src/runtime/watermark/timestamps-and-watermarks-operator.ts';

interface Event {
  ts: number;
}

function operatorOf(strategy: WatermarkStrategy<Event>, intervalMs = 100) {
  const events: string[] = [];
  const element = createElementContext();
  const output: Output<Event> = {
    collect: (e) => events.push(`rec ${e.ts}@${element.timestamp}`),
    emitWatermark: (w) => events.push(`wm ${w}`),
    emitWatermarkStatus: (idle) => events.push(idle ? 'IDLE' : 'ACTIVE'),
  };
  const time = new TestProcessingTimeService(0);
  const operator = new TimestampsAndWatermarksOperator<Event>(
    'Timestamps/Watermarks',
    strategy,
    intervalMs,
  );
  operator.setup({
    output,
    runtimeContext: {
      jobId: 'j',
      taskName: 't',
      taskNameWithSubtasks: 't (1/1)',
      operatorName: 'Timestamps/Watermarks',
      subtaskIndex: 0,
      parallelism: 1,
      maxParallelism: 128,
      attemptNumber: 0,
    },
    elementContext: element,
    keyedStateBackend: undefined,
    operatorEventGateway: { sendEventToCoordinator() {} },
    processingTimeService: time,
  });
  operator.open();
  const push = (ts: number): void => {
    element.hasTimestamp = false;
    operator.processElement({ ts });
  };
  return { operator, events, time, push, element };
}

describe('watermark strategies', () => {
  it('forBoundedOutOfOrderness emits max timestamp − bound − 1 periodically', () => {
    const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Event>(50).withTimestampAssigner(
      (e) => e.ts,
    );
    const { events, time, push } = operatorOf(strategy);
    push(1000);
    push(900);
    push(1200);
    expect(events).toEqual(['rec 1000@1000', 'rec 900@900', 'rec 1200@1200']);
    time.advanceTo(100);
    expect(events.at(-1)).toBe('wm 1149');
    time.advanceTo(200); // no new maximum: the same watermark is not emitted again
    expect(events.filter((e) => e.startsWith('wm'))).toEqual(['wm 1149']);
  });

  it('forMonotonousTimestamps trails the maximum by 1 ms', () => {
    const { events, time, push } = operatorOf(
      WatermarkStrategy.forMonotonousTimestamps<Event>().withTimestampAssigner((e) => e.ts),
    );
    push(10);
    push(20);
    time.advanceTo(100);
    expect(events.at(-1)).toBe('wm 19');
  });

  it('withIdleness marks the output idle after the timeout and active again with the next record', () => {
    const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Event>(0)
      .withTimestampAssigner((e) => e.ts)
      .withIdleness(250);
    const { events, time, push } = operatorOf(strategy);
    push(500);
    time.advanceTo(100); // activity since the last check: watermark
    expect(events.at(-1)).toBe('wm 499');
    time.advanceTo(200); // no records: inactivity starts
    time.advanceTo(400);
    expect(events).not.toContain('IDLE');
    time.advanceTo(500); // 300 ms ≥ 250 ms without records
    expect(events.at(-1)).toBe('IDLE');
    push(700);
    expect(events.slice(-2)).toEqual(['ACTIVE', 'rec 700@700']);
    time.advanceTo(600);
    expect(events.at(-1)).toBe('wm 699');
  });

  it('keeps record timestamps without an assigner and lets only the final watermark through', () => {
    const { operator, events, element } = operatorOf(WatermarkStrategy.noWatermarks<Event>());
    element.hasTimestamp = true;
    element.timestamp = 42;
    operator.processElement({ ts: 1 });
    operator.processWatermark(100);
    operator.processWatermark(MAX_WATERMARK);
    expect(events).toEqual(['rec 1@42', `wm ${MAX_WATERMARK}`]);
  });

  it('forGenerator runs a punctuated generator after each record', () => {
    const strategy = WatermarkStrategy.forGenerator<Event>(() => ({
      onEvent: (e, _ts, out) => out.emitWatermark(e.ts),
      onPeriodicEmit() {},
    })).withTimestampAssigner((e) => e.ts);
    const { events, push } = operatorOf(strategy, 0);
    push(5);
    push(3);
    push(8);
    expect(events).toEqual(['rec 5@5', 'wm 5', 'rec 3@3', 'rec 8@8', 'wm 8']);
  });

  it('rejects invalid bounds', () => {
    expect(() => WatermarkStrategy.forBoundedOutOfOrderness(-1)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_API_INVALID_USE' }),
    );
    expect(() => WatermarkStrategy.noWatermarks().withIdleness(0)).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_API_INVALID_USE' }),
    );
  });
});
