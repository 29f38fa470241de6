/**
 * The live check: a real Prometheus (Debian's package) scrapes a real Sluice process,
 * `sluice run jobs/examples/throttled.ts` reading a loaded Kafka topic (the deploy
 * project's broker, `test/helpers/kafka-global-setup.ts`) with checkpoints every 2 s,
 * and every PromQL expression Sluice ships is evaluated through Prometheus' HTTP API:
 *
 * - each dashboard query, with Grafana's variables as "All", must return a series;
 * - each dashboard variable (`label_values(selector, label)`) must find series with
 *   its label;
 * - each alert rule must evaluate without error, and each of its signals (the
 *   expression without its threshold, see `alertSignals`) must return a series.
 *
 * Nothing is skipped: the harness waits until a checkpoint has completed and the Kafka
 * lag series exists before the queries run, so a query without data means a name or
 * label that Sluice does not export, or a family it never fills, and fails the test.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT } from './deploy-tools.ts';
import { LIVE_TOPIC_PARTITIONS, LiveHarness, type LiveHarnessState } from './live-harness.ts';
import { parseLabelValues, shippedQueries } from './monitoring-queries.ts';
import { alertSignals, analyzeExpression, substituteGrafanaVariables } from './promql.ts';

const harness = new LiveHarness(
  ROOT,
  join(ROOT, 'node_modules/node/bin/node'),
  join(inject('toolsBin'), 'prometheus'),
  inject('kafkaBrokers'),
);
let state: LiveHarnessState;

beforeAll(async () => {
  state = await harness.start();
}, 300_000);

afterAll(async () => {
  await harness.stop();
}, 30_000);

/**
 * Why an expression returned nothing: the metrics it reads that Prometheus has no
 * series of at all (a name Sluice does not export, or a family it never fills), else
 * that every metric exists and the labels or arithmetic filter everything out.
 */
async function whyEmpty(expr: string): Promise<string> {
  const missing: string[] = [];
  for (const { metric } of analyzeExpression(expr).selectors) {
    const found = await harness.query(state.prometheusUrl, `count({__name__="${metric}"})`);
    if (found.length === 0 && !missing.includes(metric)) missing.push(metric);
  }
  return missing.length > 0
    ? `${expr}\nno series at all of: ${missing.join(', ')} (not exported by Sluice, or never filled while the job runs)`
    : `${expr}\nevery metric it reads has series: its labels or operators select none`;
}

describe('a real Prometheus scraping Sluice', () => {
  it('scrapes the Sluice process', async () => {
    const up = await harness.query(state.prometheusUrl, 'up{job="sluice"}');
    expect(
      up.map((s) => s.value[1]),
      harness.logs,
    ).toEqual(['1']);
  });

  it('runs the throttled job with `sluice run`, reading Kafka, with checkpoints', async () => {
    expect(state.completedCheckpoints).toBeGreaterThanOrEqual(1);
    const lag = await harness.query(
      state.prometheusUrl,
      `sluice_kafka_consumer_records_lag{topic="${state.topic}", job_id="${state.jobId}"}`,
    );
    expect(lag.map((s) => s.metric.partition).sort(), harness.logs).toEqual(
      Array.from({ length: LIVE_TOPIC_PARTITIONS }, (_, p) => String(p)).sort(),
    );
    // the loaded topic outlasts the test: the job is behind on every partition, also on
    // those no fetch answered yet (their high watermark comes from the admin client)
    for (const series of lag) {
      expect(Number(series.value[1]), JSON.stringify(lag)).toBeGreaterThan(0);
    }
  });

  it('sees the throttled operator hold the source back', async () => {
    const over = async (fn: string, metric: string) => {
      const result = await harness.query(
        state.prometheusUrl,
        `max by (task_name) (${fn}(${metric}{job_id="${state.jobId}"}[1m]))`,
      );
      return Object.fromEntries(result.map((s) => [s.metric.task_name, Number(s.value[1])]));
    };
    const busy = await over('avg_over_time', 'sluice_task_busyTimeMsPerSecond');
    const bp = await over('avg_over_time', 'sluice_task_backPressuredTimeMsPerSecond');
    const bpPeak = await over('max_over_time', 'sluice_task_backPressuredTimeMsPerSecond');
    const figures = JSON.stringify({ busy, bp, bpPeak });
    // Throttled is the bottleneck: busy nearly all the time, never waiting for its output
    expect(busy['Throttled -> Sink: Discard'], figures).toBeGreaterThan(800);
    expect(bp['Throttled -> Sink: Discard'], figures).toBeLessThan(200);
    // the source waits for credit, whole seconds at a time (its average depends on how
    // the Kafka source accounts the time between fetches; see docs/deploy.md)
    expect(bpPeak['Source: numbers'], figures).toBeGreaterThan(900);
    expect(bp['Source: numbers'], figures).toBeGreaterThan(bp['Throttled -> Sink: Discard']!);
  });

  const queries = shippedQueries();

  const titled = (kind: string) =>
    queries.filter((q) => q.kind === kind).map((q) => [q.where, q] as const);

  it.for(titled('panel'))('%s returns series', async ([, query]) => {
    const expr = substituteGrafanaVariables(query.expr, '1m');
    const result = await harness.query(state.prometheusUrl, expr);
    if (result.length === 0) expect.fail(await whyEmpty(expr));
  });

  it.for(queries.filter((q) => q.kind === 'variable'))('$where finds values', async (query) => {
    const lv = parseLabelValues(substituteGrafanaVariables(query.expr))!;
    const series = await harness.series(state.prometheusUrl, lv.selector);
    const values = new Set(series.map((s) => s[lv.label]).filter((v) => v !== undefined));
    if (values.size === 0) expect.fail(`label ${lv.label} of ${await whyEmpty(lv.selector)}`);
  });

  it.for(titled('alert'))(
    '%s evaluates, and each of its signals returns series',
    async ([, query]) => {
      await harness.query(state.prometheusUrl, query.expr); // throws on a Prometheus error
      for (const signal of alertSignals(query.expr)) {
        const result = await harness.query(state.prometheusUrl, signal);
        expect(result.length, `signal of ${query.alert}: ${signal}`).toBeGreaterThan(0);
      }
    },
  );
});
