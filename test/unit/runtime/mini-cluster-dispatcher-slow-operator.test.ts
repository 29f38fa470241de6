/**
 * Issue #8: with a deliberately slow operator in the middle of a job, `/metrics` shows
 * that operator busy and its upstream back-pressured, the upstream channel's credit at
 * 0, and `GET /jobs/:id/flow` names the slow operator as the bottleneck.
 *
 * The job is `jobs/examples/throttled.ts` (source → rebalance → Throttled → discard),
 * started the way a pod starts it: `sluice run examples/throttled` (in process), the
 * runtime on worker threads, the real REST server; assertions are on the real
 * Prometheus text exposition and the real JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowInfo } from '../../../src/server/schemas/flow.ts';
import type { JobsList } from '../../../src/server/schemas/jobs.ts';
import { request, smallProcessFlags, startServer } from '../cli/cli-run-kit.ts';

/** Samples of one metric family from a text exposition: labels and value per line. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const m of line.slice(name.length + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1]!] = m[2]!;
    }
    out.push({ labels, value: Number(line.slice(close + 1).trim()) });
  }
  return out;
}

/** The value of the one series of `name` whose task name starts with `task`. */
function seriesValue(text: string, name: string, task: string, jobId: string): number | undefined {
  const found = samples(text, name).filter(
    (s) => s.labels.job_id === jobId && s.labels.task_name?.startsWith(task),
  );
  return found.length === 1 ? found[0]!.value : undefined;
}

describe('a slow operator in the middle of a job', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer([
      'run',
      ...smallProcessFlags({ 'log.level': 'warn' }),
      'examples/throttled',
      'rate=50000',
      'throttle=2000',
    ]);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('/metrics shows it busy, its upstream back-pressured with credit 0; /flow names it the bottleneck', async () => {
    const { url } = server;
    let jobId = '';
    await expect
      .poll(
        async () => {
          jobId = (await request<JobsList>(`${url}/jobs`)).json.jobs[0]?.id ?? '';
          return jobId;
        },
        { timeout: 20_000 },
      )
      .not.toBe('');

    let last: Record<string, unknown> = {};
    const deadline = Date.now() + 40_000;
    for (;;) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const flow = (await request<FlowInfo>(`${url}/jobs/${jobId}/flow`)).json;
      const throttledBusy = seriesValue(
        text,
        'sluice_task_busyTimeMsPerSecond',
        'Throttled',
        jobId,
      );
      const sourceBackPressured = seriesValue(
        text,
        'sluice_task_backPressuredTimeMsPerSecond',
        'Source: numbers',
        jobId,
      );
      const sourceIsBackPressured = seriesValue(
        text,
        'sluice_task_isBackPressured',
        'Source: numbers',
        jobId,
      );
      // The channel from the source into Throttled, as Throttled (the receiver) reports it.
      const credit = seriesValue(text, 'sluice_task_channel_credit', 'Throttled', jobId);
      const backlog = seriesValue(text, 'sluice_task_channel_backlog', 'Throttled', jobId);
      const bottleneck = flow.verdict?.bottleneck;
      last = {
        throttledBusy,
        sourceBackPressured,
        sourceIsBackPressured,
        credit,
        backlog,
        bottleneck,
        reason: flow.verdict?.reason,
      };
      const met =
        throttledBusy !== undefined &&
        throttledBusy >= 800 &&
        sourceBackPressured !== undefined &&
        sourceBackPressured >= 500 &&
        sourceIsBackPressured === 1 &&
        credit === 0 &&
        bottleneck?.name.startsWith('Throttled') === true;
      if (met) {
        const source = flow.vertices.find((v) => v.name === 'Source: numbers')!;
        const throttled = flow.vertices.find((v) => v.name.startsWith('Throttled'))!;
        expect(bottleneck).toMatchObject({
          vertexId: throttled.id,
          backPressuredUpstream: [source.id],
          subtasks: [0],
        });
        expect(flow.verdict.reason).toMatch(
          /^Throttled -> Sink: \w+ is busy \d+ % and not back-pressured while its upstream Source: numbers \(\d+ %\) is back-pressured/,
        );
        expect(source['backpressure-level']).toBe('high');
        expect(throttled.backPressuredRatio).toBeLessThanOrEqual(0.1);
        const edge = flow.edges.find((e) => e.source === source.id && e.target === throttled.id)!;
        expect(edge.shipStrategy).toBe('REBALANCE');
        expect(edge.channels).toEqual([
          expect.objectContaining({ sourceSubtask: 0, targetSubtask: 0, credit: 0 }),
        ]);
        const backpressure = await request<{ 'backpressure-level': string }>(
          `${url}/jobs/${jobId}/vertices/${source.id}/backpressure`,
        );
        expect(backpressure.json['backpressure-level']).toBe('high');
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the slow operator was not seen as the bottleneck: ${JSON.stringify(last)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
