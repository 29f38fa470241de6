import { describe, expect, it } from 'vitest';
import {
  CollectionSource,
  CollectSink,
  defineJob,
  Float64Serializer,
  OutputTag,
  type Source,
  StreamExecutionEnvironment,
  type ValueState,
  ValueStateDescriptor,
  WatermarkStrategy,
} from '../../../../../src/api/index.ts';

interface Event {
  key: string;
  ts: number;
}

/** mulberry32 */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('KeyedProcessFunction timers', () => {
  it('fires event-time timers once each, in order per key, with the key and its state current', async () => {
    const next = random(3);
    const events: Event[] = [];
    for (let i = 0; i < 600; i++) {
      events.push({
        key: `k${Math.floor(next() * 12)}`,
        ts: 1000 + i * 3 - Math.floor(next() * 40),
      });
    }
    const processed = new Map<string, number>();
    interface Fired {
      key: string;
      time: number;
      watermark: number;
      count: number | undefined;
      expectedCount: number;
      outputTimestamp: number | undefined;
    }
    const sinks: CollectSink<Fired>[] = [];
    // defineJob: every slot builds its own function object (it keeps a state handle).
    const job = defineJob(
      (env) => {
        const strategy = WatermarkStrategy.forGenerator<Event>(() => {
          let max = Number.NEGATIVE_INFINITY;
          return {
            onEvent: (_e, ts, out) => {
              max = Math.max(max, ts);
              out.emitWatermark(max - 41);
            },
            onPeriodicEmit() {},
          };
        }).withTimestampAssigner((e) => e.ts);
        const sink = new CollectSink<Fired>();
        sinks.push(sink);
        let count!: ValueState<number>;
        env
          .fromSource(new CollectionSource(events), strategy, 'events')
          .setParallelism(1)
          .keyBy((e) => e.key)
          .process<Fired>({
            open(ctx) {
              count = ctx.getState(new ValueStateDescriptor('count', Float64Serializer.INSTANCE));
            },
            processElement(e, ctx, _out) {
              count.update((count.value() ?? 0) + 1);
              processed.set(e.key, (processed.get(e.key) ?? 0) + 1);
              const timers = ctx.timerService();
              timers.registerEventTimeTimer(e.ts + 100);
              timers.registerEventTimeTimer(e.ts + 100); // deduplicated
              timers.registerEventTimeTimer(e.ts + 5000);
              timers.deleteEventTimeTimer(e.ts + 5000); // never fires
            },
            onTimer(time, ctx, out) {
              out.collect({
                key: ctx.getCurrentKey(),
                time,
                watermark: ctx.timerService().currentWatermark(),
                count: count.value(),
                expectedCount: processed.get(ctx.getCurrentKey())!,
                outputTimestamp: ctx.timeDomain() === 'EVENT_TIME' ? ctx.timestamp() : -1,
              });
            },
          })
          .sinkTo(sink);
      },
      { options: { parallelism: 2 } },
    );
    await job.executeLocal();
    const fired = sinks[0]!.getResults();
    const expected = new Set(events.map((e) => `${e.key}/${e.ts + 100}`));
    expect(fired.length).toBe(expected.size);
    expect(new Set(fired.map((f) => `${f.key}/${f.time}`))).toEqual(expected);
    const byKey = new Map<string, number[]>();
    for (const f of fired) {
      expect(f.time).toBeLessThanOrEqual(f.watermark);
      expect(f.outputTimestamp).toBe(f.time);
      // onTimer reads the state of the timer's key (as many updates as processElement made).
      expect(f.count).toBe(f.expectedCount);
      byKey.set(f.key, [...(byKey.get(f.key) ?? []), f.time]);
    }
    for (const times of byKey.values()) {
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('fires processing-time timers within 50 ms of their time', async () => {
    const numEvents = 20;
    const slowSource: Source<number> = {
      boundedness: 'CONTINUOUS_UNBOUNDED',
      createReader: () => {
        let emitted = 0;
        let nextAt = Date.now();
        return {
          pollNext(output) {
            if (emitted < numEvents && Date.now() >= nextAt) {
              output.collect(emitted++);
              nextAt = Date.now() + 10;
            }
            return 'NOTHING_AVAILABLE';
          },
          isAvailable: () => new Promise<void>((resolve) => setTimeout(resolve, 5)),
        };
      },
    };
    const controller = new AbortController();
    const delays: number[] = [];
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSource(slowSource, WatermarkStrategy.noWatermarks(), 'slow')
      .setParallelism(1)
      .keyBy((n) => n % 4)
      .process<number>({
        processElement(n, ctx) {
          const timers = ctx.timerService();
          timers.registerProcessingTimeTimer(timers.currentProcessingTime() + 30 + (n % 5) * 20);
        },
        onTimer(time, ctx) {
          expect(ctx.timeDomain()).toBe('PROCESSING_TIME');
          delays.push(Date.now() - time);
          if (delays.length === numEvents) controller.abort();
        },
      })
      .sinkTo(new CollectSink());
    const timeout = setTimeout(() => controller.abort(), 5000);
    const result = await env.executeLocal({ signal: controller.signal });
    clearTimeout(timeout);
    expect(result.state).toBe('CANCELED');
    expect(delays.length).toBe(numEvents);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(50);
    }
  });

  it('fails the job when onTimer throws', async () => {
    const env = new StreamExecutionEnvironment();
    env
      .fromElements(1, 2, 3)
      .assignTimestampsAndWatermarks(
        WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n),
      )
      .keyBy((n) => n)
      .process<number>({
        processElement(n, ctx) {
          ctx.timerService().registerEventTimeTimer(n);
        },
        onTimer() {
          throw new Error('boom');
        },
      })
      .sinkTo(new CollectSink());
    await expect(env.executeLocal()).rejects.toMatchObject({
      code: 'SLUICE_ERR_OPERATOR_FUNCTION_FAILED',
      message: expect.stringMatching(/onTimer/),
    });
  });

  it('emits side outputs from process functions, keyed and not', async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const odd = new OutputTag<number>('odd');
    const big = new OutputTag<string>('big');
    const main = new CollectSink<number>();
    const odds = new CollectSink<number>();
    const bigs = new CollectSink<string>();
    const evens = env.fromElements(1, 2, 3, 4, 5, 6).process<number>((n, ctx, out) => {
      if (n % 2 === 1) ctx.output(odd, n);
      else out.collect(n);
    });
    evens.getSideOutput(odd).sinkTo(odds);
    const keyed = evens
      .keyBy((n) => n)
      .process<number>((n, ctx, out) => {
        if (n > 3) ctx.output(big, `big ${ctx.getCurrentKey()}`);
        out.collect(n * 10);
      });
    keyed.sinkTo(main);
    keyed.getSideOutput(big).sinkTo(bigs);
    await env.executeLocal();
    expect(odds.getResults().sort()).toEqual([1, 3, 5]);
    expect(main.getResults().sort((a, b) => a - b)).toEqual([20, 40, 60]);
    expect(bigs.getResults().sort()).toEqual(['big 4', 'big 6']);
  });
});
