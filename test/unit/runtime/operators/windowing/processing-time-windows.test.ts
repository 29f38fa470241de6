import { describe, expect, it } from 'vitest';
import {
  CollectSink,
  Float64Serializer,
  type Source,
  StreamExecutionEnvironment,
  TumblingProcessingTimeWindows,
  WatermarkStrategy,
} from '../../../../../src/api/index.ts';

/** Emits three records at once, then has nothing more and never signals availability. */
const threeThenSilent: Source<string> = {
  boundedness: 'CONTINUOUS_UNBOUNDED',
  createReader: () => {
    let done = false;
    return {
      pollNext(output) {
        if (!done) {
          output.collect('a');
          output.collect('b');
          output.collect('a');
          done = true;
        }
        return 'NOTHING_AVAILABLE';
      },
      isAvailable: () => new Promise<void>(() => {}),
    };
  },
};

describe('processing-time windows in the local executor', () => {
  it('fire on the wall clock while every source waits (regression: results waited for a source)', async () => {
    const env = new StreamExecutionEnvironment();
    const controller = new AbortController();
    const fired: [string, number][] = [];
    const started = Date.now();
    env
      .fromSource(threeThenSilent, WatermarkStrategy.noWatermarks(), 'silent')
      .keyBy((s) => s)
      .window(TumblingProcessingTimeWindows.of<string>(100))
      .aggregate<number, number, [string, number]>(
        {
          createAccumulator: () => 0,
          add: (_s: string, n: number) => n + 1,
          getResult: (n: number) => n,
          merge: (a: number, b: number) => a + b,
          accumulatorSerializer: Float64Serializer.INSTANCE,
        },
        (key, _ctx, [count], out) => out.collect([key, count!]),
      )
      .rebalance() // the results cross an exchange to another task
      .process<never>((result) => {
        fired.push(result);
        // All three records counted (in one window per key, or split over two when a
        // loaded machine stalls between the source's records across a window boundary).
        if (fired.reduce((sum, [, count]) => sum + count, 0) === 3) controller.abort();
      })
      .sinkTo(new CollectSink());
    // The source never ends: with the regression, nothing fires before this abort and
    // `fired` stays empty (no wall-clock bound on top: a loaded machine may be slow).
    const timeout = setTimeout(() => controller.abort(), 10_000);
    await env.executeLocal({ signal: controller.signal });
    clearTimeout(timeout);
    const perKey = new Map<string, number>();
    for (const [key, count] of fired) perKey.set(key, (perKey.get(key) ?? 0) + count);
    expect([...perKey].sort()).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
