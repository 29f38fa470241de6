import { describe, expect, it } from 'vitest';
import {
  CollectSink,
  Float64Serializer,
  type Source,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
} from '../../../../src/api/index.ts';

interface Tick {
  key: string;
  ts: number;
}

/**
 * Subtask 0 emits a tick every 5 ms (event time advancing 100 ms per tick); subtask 1
 * never emits anything and never ends: without idleness its channel holds the window
 * operator's watermark at the minimum forever.
 */
const oneSilentSubtask: Source<Tick> = {
  boundedness: 'CONTINUOUS_UNBOUNDED',
  createReader: ({ subtaskIndex }) => {
    let i = 0;
    let nextAt = 0;
    return {
      pollNext(output) {
        if (subtaskIndex === 0 && Date.now() >= nextAt) {
          output.collect({ key: `k${i % 3}`, ts: i * 100 });
          i++;
          nextAt = Date.now() + 5;
        }
        return 'NOTHING_AVAILABLE';
      },
      isAvailable: () => new Promise<void>((resolve) => setTimeout(resolve, 5)),
    };
  },
};

async function windowsFiredWithin(idleTimeoutMs: number | undefined, runMs: number) {
  const env = new StreamExecutionEnvironment({ parallelism: 2, autoWatermarkIntervalMs: 10 });
  let strategy = WatermarkStrategy.forBoundedOutOfOrderness<Tick>(0).withTimestampAssigner(
    (t) => t.ts,
  );
  if (idleTimeoutMs !== undefined) strategy = strategy.withIdleness(idleTimeoutMs);
  const fired: number[] = [];
  const controller = new AbortController();
  env
    .fromSource(oneSilentSubtask, strategy, 'ticks')
    .keyBy((t) => t.key)
    .window(TumblingEventTimeWindows.of<Tick>(1000))
    .aggregate({
      createAccumulator: () => 0,
      add: (_t: Tick, n: number) => n + 1,
      getResult: (n: number) => n,
      merge: (a: number, b: number) => a + b,
      accumulatorSerializer: Float64Serializer.INSTANCE,
    })
    .process<number>((count) => {
      fired.push(count);
    })
    .sinkTo(new CollectSink());
  const timer = setTimeout(() => controller.abort(), runMs);
  const result = await env.executeLocal({ signal: controller.signal });
  clearTimeout(timer);
  expect(result.state).toBe('CANCELED');
  return fired;
}

describe('idle inputs', () => {
  it('an idle source subtask holds back the watermark without withIdleness', async () => {
    expect(await windowsFiredWithin(undefined, 500)).toEqual([]);
  });

  it('does not hold back watermarks once withIdleness expires', async () => {
    const fired = await windowsFiredWithin(50, 800);
    expect(fired.length).toBeGreaterThan(0);
    // Every complete window of 1000 ms holds 10 ticks spread over the three keys.
    for (const count of fired) expect([3, 4]).toContain(count);
  });
});
