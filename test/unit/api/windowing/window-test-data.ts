/**
 * Test data and the brute-force reference for the window tests (local and on worker
 * threads): random out-of-order events (fixed seed, bounded disorder, a few far later
 * than the allowed lateness), a punctuated bounded-out-of-orderness watermark, and a
 * replay of the events with Flink's window semantics that predicts every emission and
 * every late record.
 */
import {
  CollectionSource,
  CollectSink,
  EventTimeSessionWindows,
  Float64Serializer,
  OutputTag,
  SlidingEventTimeWindows,
  type StreamExecutionEnvironment,
  type TimeWindow,
  TumblingEventTimeWindows,
  type WatermarkGenerator,
  WatermarkStrategy,
  type WindowAssigner,
} from '../../../../src/api/index.ts';

export interface Event {
  id: number;
  key: number;
  ts: number;
  value: number;
}

export const N = 4000;
export const KEYS = 30;
export const DISORDER_MS = 300;
export const STEP_MS = 5;

/** mulberry32 */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generate(seed: number, lateness: number, veryLateFraction = 0.04): Event[] {
  const next = random(seed);
  const events: Event[] = [];
  for (let id = 0; id < N; id++) {
    const base = 10_000 + id * STEP_MS;
    const veryLate = next() < veryLateFraction;
    const ts = veryLate
      ? base - DISORDER_MS - lateness - 1 - Math.floor(next() * 1500)
      : base - Math.floor(next() * DISORDER_MS);
    events.push({ id, key: Math.floor(next() * KEYS), ts, value: 1 + Math.floor(next() * 100) });
  }
  return events;
}

/** Emits watermark = max timestamp − disorder − 1 after every event (punctuated). */
export function punctuated(): WatermarkGenerator<Event> {
  let max = Number.NEGATIVE_INFINITY;
  return {
    onEvent(_event, timestamp, output) {
      max = Math.max(max, timestamp);
      output.emitWatermark(max - DISORDER_MS - 1);
    },
    onPeriodicEmit() {},
  };
}

export type Kind = 'tumbling' | 'sliding' | 'session';
export const TUMBLE = 500;
export const SLIDE_SIZE = 1000;
export const SLIDE = 250;
export const GAP = 120;

interface SimWindow {
  start: number;
  end: number;
  count: number;
  sum: number;
  max: number;
  timer: boolean;
}

/** Replays the events with Flink's window semantics; returns emissions and late events. */
export function reference(events: Event[], kind: Kind, lateness: number) {
  const emissions: string[] = [];
  const late: number[] = [];
  const state = new Map<number, Map<string, SimWindow>>();
  const emit = (key: number, w: SimWindow): void => {
    emissions.push(`count|${key}|${w.start}|${w.end}|${w.count}`);
    emissions.push(`sum|${key}|${w.start}|${w.end}|${w.sum}`);
    emissions.push(`max|${key}|${w.start}|${w.end}|${w.max}`);
  };
  const fire = (watermark: number): void => {
    for (const [key, windows] of state) {
      for (const [id, w] of [...windows]) {
        if (w.timer && w.end - 1 <= watermark) {
          w.timer = false;
          emit(key, w);
        }
        if (w.end - 1 + lateness <= watermark) windows.delete(id);
      }
    }
  };
  let watermark = Number.MIN_SAFE_INTEGER;
  let maxTs = Number.MIN_SAFE_INTEGER;
  for (const e of events) {
    const windows = state.get(e.key) ?? new Map<string, SimWindow>();
    state.set(e.key, windows);
    const add = (w: SimWindow): void => {
      w.count++;
      w.sum += e.value;
      w.max = Math.max(w.max, e.value);
      if (w.end - 1 <= watermark) emit(e.key, w);
      else w.timer = true;
    };
    let accepted = false;
    if (kind !== 'session') {
      const size = kind === 'tumbling' ? TUMBLE : SLIDE_SIZE;
      const slide = kind === 'tumbling' ? TUMBLE : SLIDE;
      const last = e.ts - (((e.ts % slide) + slide) % slide);
      for (let start = last; start > e.ts - size; start -= slide) {
        const end = start + size;
        if (end - 1 + lateness <= watermark) continue;
        accepted = true;
        const id = `${start}/${end}`;
        const w = windows.get(id) ?? { start, end, count: 0, sum: 0, max: 0, timer: false };
        windows.set(id, w);
        add(w);
      }
    } else {
      let start = e.ts;
      let end = e.ts + GAP;
      const members: SimWindow[] = [];
      // Existing sessions never overlap each other: one pass finds all the new one touches.
      for (const w of windows.values()) {
        if (w.start <= end && w.end >= start) members.push(w);
      }
      for (const w of members) {
        start = Math.min(start, w.start);
        end = Math.max(end, w.end);
      }
      let target: SimWindow;
      const same = members.length === 1 && members[0]!.start === start && members[0]!.end === end;
      if (same) {
        target = members[0]!;
      } else if (members.length > 0) {
        target = { start, end, count: 0, sum: 0, max: 0, timer: end - 1 > watermark };
        for (const w of members) {
          windows.delete(`${w.start}/${w.end}`);
          target.count += w.count;
          target.sum += w.sum;
          target.max = Math.max(target.max, w.max);
        }
        windows.set(`${start}/${end}`, target);
      } else {
        target = { start, end, count: 0, sum: 0, max: 0, timer: false };
      }
      if (end - 1 + lateness > watermark) {
        accepted = true;
        windows.set(`${start}/${end}`, target);
        add(target);
      }
    }
    if (!accepted && e.ts + lateness <= watermark) late.push(e.id);
    maxTs = Math.max(maxTs, e.ts);
    if (maxTs - DISORDER_MS - 1 > watermark) {
      watermark = maxTs - DISORDER_MS - 1;
      fire(watermark);
    }
  }
  fire(Number.MAX_SAFE_INTEGER);
  return { emissions: emissions.sort(), late: late.sort((a, b) => a - b) };
}

export function assignerOf(kind: Kind): WindowAssigner<Event, TimeWindow> {
  if (kind === 'tumbling') return TumblingEventTimeWindows.of<Event>(TUMBLE);
  if (kind === 'sliding') return SlidingEventTimeWindows.of<Event>(SLIDE_SIZE, SLIDE);
  return EventTimeSessionWindows.withGap<Event>(GAP);
}

/**
 * Declares the job under test on `env`: one source (parallelism 1) with the watermark
 * strategy, keyBy, then three windows of the same kind — count (aggregate + process
 * window function, late records to a side output), sum (reduce + process window
 * function) and max (process) — writing `fn|key|start|end|value` strings to the sink
 * `Results` and late events to `Late`.
 */
export function buildWindowJob(
  env: StreamExecutionEnvironment,
  events: Event[],
  kind: Kind,
  lateness: number,
  periodic: boolean,
): { results: CollectSink<string>; late: CollectSink<Event> } {
  const lateTag = new OutputTag<Event>('late');
  const results = new CollectSink<string>();
  const late = new CollectSink<Event>();
  const strategy = (
    periodic
      ? WatermarkStrategy.forBoundedOutOfOrderness<Event>(DISORDER_MS)
      : WatermarkStrategy.forGenerator<Event>(punctuated)
  ).withTimestampAssigner((e) => e.ts);
  const keyed = env
    .fromSource(new CollectionSource(events), strategy, 'events')
    .setParallelism(1)
    .keyBy((e) => e.key);
  const window = () => keyed.window(assignerOf(kind)).allowedLateness(lateness);
  const counts = window()
    .sideOutputLateData(lateTag)
    .aggregate(
      {
        createAccumulator: () => 0,
        add: (_e: Event, acc: number) => acc + 1,
        getResult: (acc: number) => acc,
        merge: (a: number, b: number) => a + b,
        accumulatorSerializer: Float64Serializer.INSTANCE,
      },
      (key, ctx, [count], out) =>
        out.collect(`count|${key}|${ctx.window().start}|${ctx.window().end}|${count}`),
    );
  counts.sinkTo(results).name('Results');
  counts.getSideOutput(lateTag).sinkTo(late).name('Late');
  window()
    .reduce(
      (a, b) => ({ id: a.id, key: a.key, ts: a.ts, value: a.value + b.value }),
      (key, ctx, [sum], out) =>
        out.collect(`sum|${key}|${ctx.window().start}|${ctx.window().end}|${sum!.value}`),
    )
    .sinkTo(results)
    .name('Results');
  window()
    .process<string>((key, ctx, elements, out) => {
      const max = Math.max(...elements.map((e) => e.value));
      out.collect(`max|${key}|${ctx.window().start}|${ctx.window().end}|${max}`);
    })
    .sinkTo(results)
    .name('Results');
  return { results, late };
}
