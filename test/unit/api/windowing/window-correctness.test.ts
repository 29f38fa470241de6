import { describe, expect, it } from 'vitest';
import {
  CollectionSource,
  CollectSink,
  EventTimeSessionWindows,
  Float64Serializer,
  OutputTag,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  type TimeWindow,
  TumblingEventTimeWindows,
  type WatermarkGenerator,
  WatermarkStrategy,
  type WindowAssigner,
} from '../../../../src/api/index.ts';

/**
 * Windows against a brute-force reference: random out-of-order events (fixed seed,
 * bounded disorder, a few far later than the allowed lateness), a punctuated
 * bounded-out-of-orderness watermark, count/sum/max over tumbling, sliding and session
 * windows at parallelism 1 and 2. The reference replays the events one by one with
 * Flink's window semantics (a window is late once watermark ≥ end − 1 + lateness; it
 * fires when the watermark passes its end and again for every record accepted after
 * that; session windows merge while they touch) and predicts every emission, the late
 * records and numLateRecordsDropped.
 */

interface Event {
  id: number;
  key: number;
  ts: number;
  value: number;
}

const N = 4000;
const KEYS = 30;
const DISORDER_MS = 300;
const STEP_MS = 5;

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

function generate(seed: number, lateness: number, veryLateFraction = 0.04): Event[] {
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
function punctuated(): WatermarkGenerator<Event> {
  let max = Number.NEGATIVE_INFINITY;
  return {
    onEvent(_event, timestamp, output) {
      max = Math.max(max, timestamp);
      output.emitWatermark(max - DISORDER_MS - 1);
    },
    onPeriodicEmit() {},
  };
}

type Kind = 'tumbling' | 'sliding' | 'session';
const TUMBLE = 500;
const SLIDE_SIZE = 1000;
const SLIDE = 250;
const GAP = 120;

interface SimWindow {
  start: number;
  end: number;
  count: number;
  sum: number;
  max: number;
  timer: boolean;
}

/** Replays the events with Flink's window semantics; returns emissions and late events. */
function reference(events: Event[], kind: Kind, lateness: number) {
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

function assignerOf(kind: Kind): WindowAssigner<Event, TimeWindow> {
  if (kind === 'tumbling') return TumblingEventTimeWindows.of<Event>(TUMBLE);
  if (kind === 'sliding') return SlidingEventTimeWindows.of<Event>(SLIDE_SIZE, SLIDE);
  return EventTimeSessionWindows.withGap<Event>(GAP);
}

async function runJob(
  events: Event[],
  kind: Kind,
  lateness: number,
  parallelism: number,
  periodic = false,
) {
  const env = new StreamExecutionEnvironment({ parallelism, autoWatermarkIntervalMs: 1 });
  const lateTag = new OutputTag<Event>('late');
  const results = new CollectSink<string>();
  const lateSink = new CollectSink<Event>();
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
  counts.sinkTo(results);
  counts.getSideOutput(lateTag).sinkTo(lateSink);
  window()
    .reduce(
      (a, b) => ({ id: a.id, key: a.key, ts: a.ts, value: a.value + b.value }),
      (key, ctx, [sum], out) =>
        out.collect(`sum|${key}|${ctx.window().start}|${ctx.window().end}|${sum!.value}`),
    )
    .sinkTo(results);
  window()
    .process<string>((key, ctx, elements, out) => {
      const max = Math.max(...elements.map((e) => e.value));
      out.collect(`max|${key}|${ctx.window().start}|${ctx.window().end}|${max}`);
    })
    .sinkTo(results);
  const result = await env.executeLocal({ managedMemoryBytes: 32 * 2 ** 20 });
  const dropped = Object.entries(result.operatorMetrics)
    .filter(([name]) => name.startsWith('Window('))
    .map(([name, m]) => [name.slice(name.lastIndexOf(' ') + 1, -1), m.numLateRecordsDropped]);
  return {
    emissions: results.getResults().sort(),
    late: lateSink
      .getResults()
      .map((e) => e.id)
      .sort((a, b) => a - b),
    dropped: Object.fromEntries(dropped),
  };
}

describe('event-time windows against a brute-force reference', () => {
  it('the reference sees late records, refirings and merges', () => {
    const events = generate(242, 200);
    const sessions = reference(events, 'session', 0).emissions.filter((e) => e.startsWith('count'));
    const lengths = sessions.map((e) => {
      const [, , start, end] = e.split('|');
      return Number(end) - Number(start);
    });
    expect(lengths.some((length) => length > GAP)).toBe(true); // merged sessions
    const tumbling = reference(events, 'tumbling', 200);
    expect(tumbling.late.length).toBeGreaterThan(50);
    expect(tumbling.emissions.length).toBeGreaterThan(3 * 600);
  });

  const cases: [Kind, number][] = [
    ['tumbling', 200],
    ['sliding', 200],
    ['session', 0],
    ['session', 150],
  ];
  for (const [kind, lateness] of cases) {
    for (const parallelism of [1, 2]) {
      it(`${kind} windows, allowed lateness ${lateness} ms, parallelism ${parallelism}`, async () => {
        const events = generate(42 + lateness, lateness);
        const expected = reference(events, kind, lateness);
        expect(expected.late.length).toBeGreaterThan(20);
        // Windows fire again for records within the allowed lateness.
        const windows = new Set(expected.emissions.map((e) => e.slice(0, e.lastIndexOf('|'))));
        if (lateness > 0) expect(windows.size).toBeLessThan(expected.emissions.length);
        const actual = await runJob(events, kind, lateness, parallelism);
        expect(actual.emissions.length).toBe(expected.emissions.length);
        expect(actual.emissions).toEqual(expected.emissions);
        expect(actual.late).toEqual(expected.late);
        // Late records go to the side output of the aggregate and are dropped by the others.
        expect(actual.dropped).toEqual({
          Aggregate: 0,
          Reduce: expected.late.length,
          Process: expected.late.length,
        });
      });
    }
  }

  for (const kind of ['tumbling', 'session'] as const) {
    it(`${kind} windows with periodic forBoundedOutOfOrderness watermarks and no late events`, async () => {
      const events = generate(7, 0, 0);
      const expected = reference(events, kind, 0);
      expect(expected.late).toEqual([]);
      const actual = await runJob(events, kind, 0, 2, true);
      expect(actual.emissions).toEqual(expected.emissions);
      expect(actual.late).toEqual([]);
    });
  }
});
