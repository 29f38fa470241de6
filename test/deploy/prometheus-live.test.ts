/**
 * The live check: a real Prometheus (Debian's package) scrapes a real Sluice process
 * running `jobs/examples/throttled.ts`, and every PromQL expression Sluice ships is
 * evaluated through Prometheus' HTTP API:
 *
 * - each dashboard query, with Grafana's variables as "All", must return a series;
 * - each dashboard variable (`label_values(selector, label)`) must find series with
 *   its label;
 * - each alert rule must evaluate without error, and each of its signals (the
 *   expression without its threshold, see `alertSignals`) must return a series.
 *
 * While `sluice run` cannot run the job (the CLI has no runtime Dispatcher yet), the
 * same job runs on the worker-thread runtime directly (MiniCluster, with Sluice's
 * metrics registry: fixtures/minicluster-metrics-server.ts) and the `sluice run` test
 * is skipped with the CLI's error. A query that cannot return data yet is **skipped
 * with its reason**, never passed: families that need a part of Sluice that has not
 * landed (Kafka source, checkpoints) are skipped when they have no series, with the
 * part named. Everything else must return series or the test fails.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, type TestContext } from 'vitest';
import { METRIC_FAMILY_BY_NAME } from '../../src/metrics/metric-catalogue.ts';
import { ROOT } from './deploy-tools.ts';
import { LiveHarness, type LiveHarnessState } from './live-harness.ts';
import { parseLabelValues, shippedQueries } from './monitoring-queries.ts';
import { alertSignals, analyzeExpression, substituteGrafanaVariables } from './promql.ts';

/**
 * Families that only a part of Sluice still to come produces: a query reading one of
 * them is skipped (with this reason) when Prometheus has no series for it.
 */
const PENDING: Record<string, string> = {
  sluice_kafka_consumer_records_lag: 'needs a job reading Kafka (the Kafka source connector)',
  sluice_kafka_consumer_records_lag_max: 'needs a job reading Kafka (the Kafka source connector)',
  sluice_kafka_consumer_currentOffset: 'needs a job reading Kafka (the Kafka source connector)',
  sluice_kafka_consumer_committedOffset: 'needs a job reading Kafka (the Kafka source connector)',
  sluice_job_lastCheckpointDuration: 'needs a completed checkpoint (checkpointing)',
  sluice_job_lastCheckpointSize: 'needs a completed checkpoint (checkpointing)',
  sluice_task_checkpointStartDelayNanos: 'needs a completed checkpoint (checkpointing)',
  sluice_task_checkpointAlignmentTime: 'needs a completed checkpoint (checkpointing)',
  sluice_task_buffers_inputQueueSize:
    'the runtime does not report it yet (TaskMetricsSnapshot.inputQueueSize is left unset)',
};

/** Families present without any job: the main thread's own and prom-client's. */
function needsJob(metric: string): boolean {
  const family = METRIC_FAMILY_BY_NAME.get(metric);
  if (family === undefined) return false; // prom-client process metrics
  return family.scope !== 'worker' && family.scope !== 'family';
}

const harness = new LiveHarness(
  ROOT,
  join(ROOT, 'node_modules/node/bin/node'),
  join(inject('toolsBin'), 'prometheus'),
);
let state: LiveHarnessState;

beforeAll(async () => {
  state = await harness.start();
}, 180_000);

afterAll(async () => {
  await harness.stop();
}, 30_000);

/** The metrics an expression reads. */
function metricsOf(expr: string): string[] {
  return analyzeExpression(expr).selectors.map((s) => s.metric);
}

/** Skips the test when the expression needs a job and none runs. */
function requireJobIfNeeded(ctx: TestContext, metrics: string[]): void {
  if (!state.jobRunning && metrics.some(needsJob)) {
    ctx.skip(`no job runs: ${state.noJobReason}`);
  }
}

/** Skips when the expression reads a family still to come and found nothing. */
function skipIfPending(ctx: TestContext, metrics: string[], found: number): void {
  if (found > 0) return;
  const pending = metrics.find((m) => PENDING[m] !== undefined);
  if (pending !== undefined) ctx.skip(`${pending} has no series: ${PENDING[pending]}`);
}

describe('a real Prometheus scraping Sluice', () => {
  it('scrapes the Sluice process', async () => {
    const up = await harness.query(state.prometheusUrl, 'up{job="sluice"}');
    expect(
      up.map((s) => s.value[1]),
      harness.logs,
    ).toEqual(['1']);
  });

  it('runs the throttled job with `sluice run`', (ctx) => {
    if (state.mode !== 'sluice run') {
      ctx.skip(
        `not yet, so the queries below ran against the same job on MiniCluster: ${state.noJobReason}`,
      );
    }
    expect(state.jobRunning).toBe(true);
  });

  it('sees the throttled operator hold the source back', async () => {
    const bp = await harness.query(
      state.prometheusUrl,
      'max by (task_name) (avg_over_time(sluice_task_backPressuredTimeMsPerSecond[1m]))',
    );
    const byVertex = Object.fromEntries(bp.map((s) => [s.metric.task_name, Number(s.value[1])]));
    // averages over the scrapes so far: the source waits most of the time, Throttled never
    expect(byVertex['Source: numbers'], JSON.stringify(byVertex)).toBeGreaterThan(300);
    expect(byVertex['Throttled -> Sink: Discard'], JSON.stringify(byVertex)).toBeLessThan(200);
  });

  const queries = shippedQueries();

  const titled = (kind: string) =>
    queries.filter((q) => q.kind === kind).map((q) => [q.where, q] as const);

  it.for(titled('panel'))('%s returns series', async ([, query], ctx) => {
    const expr = substituteGrafanaVariables(query.expr, '1m');
    const metrics = metricsOf(expr);
    requireJobIfNeeded(ctx, metrics);
    const result = await harness.query(state.prometheusUrl, expr);
    skipIfPending(ctx, metrics, result.length);
    expect(result.length, `${expr}\n${harness.logs}`).toBeGreaterThan(0);
  });

  it.for(queries.filter((q) => q.kind === 'variable'))(
    '$where finds values',
    async (query, ctx) => {
      const lv = parseLabelValues(substituteGrafanaVariables(query.expr))!;
      const metrics = metricsOf(lv.selector);
      requireJobIfNeeded(ctx, metrics);
      const series = await harness.series(state.prometheusUrl, lv.selector);
      const values = new Set(series.map((s) => s[lv.label]).filter((v) => v !== undefined));
      skipIfPending(ctx, metrics, values.size);
      expect(values.size, `${lv.selector} by ${lv.label}`).toBeGreaterThan(0);
    },
  );

  it.for(titled('alert'))(
    '%s evaluates, and each of its signals returns series',
    async ([, query], ctx) => {
      await harness.query(state.prometheusUrl, query.expr); // throws on a Prometheus error
      for (const signal of alertSignals(query.expr)) {
        const metrics = metricsOf(signal);
        requireJobIfNeeded(ctx, metrics);
        const result = await harness.query(state.prometheusUrl, signal);
        skipIfPending(ctx, metrics, result.length);
        expect(result.length, `signal of ${query.alert}: ${signal}`).toBeGreaterThan(0);
      }
    },
  );
});
