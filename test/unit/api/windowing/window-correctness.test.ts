import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../../../src/api/index.ts';
import {
  buildWindowJob,
  type Event,
  GAP,
  generate,
  type Kind,
  reference,
} from './window-test-data.ts';

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

async function runJob(
  events: Event[],
  kind: Kind,
  lateness: number,
  parallelism: number,
  periodic = false,
) {
  const env = new StreamExecutionEnvironment({ parallelism, autoWatermarkIntervalMs: 1 });
  const { results, late } = buildWindowJob(env, events, kind, lateness, periodic);
  const result = await env.executeLocal({ managedMemoryBytes: 32 * 2 ** 20 });
  const dropped = Object.entries(result.operatorMetrics)
    .filter(([name]) => name.startsWith('Window('))
    .map(([name, m]) => [name.slice(name.lastIndexOf(' ') + 1, -1), m.numLateRecordsDropped]);
  return {
    emissions: results.getResults().sort(),
    late: late
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
