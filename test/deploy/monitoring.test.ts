/**
 * Static checks of the Grafana dashboards and the Prometheus alert rules: every metric
 * they name is a family Sluice exports (the catalogue is the source of truth), every
 * label is one that family carries, the generated files and the chart's copies are up
 * to date, and `promtool` accepts and unit-tests the rules. The live check (a real
 * Prometheus scraping a running job) is in prometheus-live.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { generatedFiles } from '../../scripts/grafana-dashboards.ts';
import {
  knownFamilies,
  queryProblems,
  ROOT,
  readDashboards,
  readRules,
  type ShippedQuery,
  shippedQueries,
} from './monitoring-queries.ts';
import { alertSignals, analyzeExpression, substituteGrafanaVariables } from './promql.ts';

const known = knownFamilies();
const queries = shippedQueries();

describe('queries of the dashboards and alert rules', () => {
  it('finds panels, variables and alerts to check', () => {
    const kinds = new Map<string, number>();
    for (const q of queries) kinds.set(q.kind, (kinds.get(q.kind) ?? 0) + 1);
    expect(kinds.get('panel')).toBeGreaterThan(40);
    expect(kinds.get('variable')).toBeGreaterThanOrEqual(5);
    expect(kinds.get('alert')).toBeGreaterThanOrEqual(8);
  });

  it.each(queries.map((q) => [q.where, q] as const))(
    '%s names only metrics and labels Sluice exports',
    (_where, query) => {
      expect(queryProblems(query, known), query.expr).toEqual([]);
    },
  );

  it('uses catalogue families in every dashboard and in the rules', () => {
    const used = new Set<string>();
    for (const q of queries) {
      const expr = substituteGrafanaVariables(q.expr).replace(
        /^label_values\((.*),\s*\w+\)$/s,
        '$1',
      );
      for (const s of analyzeExpression(expr).selectors) used.add(s.metric);
    }
    for (const name of [
      'sluice_task_channel_credit',
      'sluice_task_channel_backlog',
      'sluice_task_buffers_inPoolUsage',
      'sluice_task_backPressuredTimeMsPerSecond',
      'sluice_kafka_consumer_records_lag',
      'sluice_job_numRestarts_total',
      'sluice_memory_Managed_Used',
      'sluice_worker_heapUsedBytes',
      'sluice_worker_gcTimeMs_total',
      'sluice_worker_eventLoopUtilization',
    ]) {
      expect(used, name).toContain(name);
    }
  });
});

describe('the query checker itself', () => {
  const check = (expr: string, kind: ShippedQuery['kind'] = 'panel') =>
    queryProblems({ where: 'test', kind, expr }, known);

  it('rejects a metric the catalogue does not declare (a counter without _total)', () => {
    expect(
      check('sum(rate(sluice_task_numRecordsIn{job_name=~"$job"}[$__rate_interval]))'),
    ).toEqual([
      expect.stringContaining('metric sluice_task_numRecordsIn is not a family Sluice exports'),
    ]);
  });

  it("rejects Flink's names and a misspelt family", () => {
    expect(check('flink_taskmanager_job_task_backPressuredTimeMsPerSecond')).toHaveLength(1);
    expect(check('sluice_task_channel_credits')).toHaveLength(1);
    expect(
      check('label_values(sluice_task_numRecordIn_total, job_name)', 'variable'),
    ).toContainEqual(
      expect.stringContaining('metric sluice_task_numRecordIn_total is not a family'),
    );
  });

  it('rejects labels the family does not carry, and `job` for the job name', () => {
    expect(check('sluice_memory_Managed_Used{job_name="x"}')).toEqual([
      expect.stringContaining('label job_name'),
    ]);
    expect(check('sum by (job_id2) (sluice_task_numRecordsIn_total)')).toEqual([
      expect.stringContaining('label job_id2'),
    ]);
    expect(check('sluice_task_channel_credit{job="x", gate="0"}')).toEqual([]);
  });

  it('accepts prom-client process metrics read from the registry, histograms included', () => {
    expect(check('rate(sluice_process_cpu_seconds_total[1m])')).toEqual([]);
    expect(check('sum(rate(sluice_nodejs_gc_duration_seconds_bucket[1m])) by (le)')).toEqual([]);
    expect(check('sluice_nodejs_made_up_bytes')).toHaveLength(1);
  });

  it('rejects a selector without a name and a non-PromQL function', () => {
    expect(check('{__name__=~"sluice_.*"}')).toEqual([
      expect.stringContaining('selector without a metric name'),
    ]);
    expect(check('ratez(sluice_task_numRecordsIn_total[1m])')).toEqual([
      expect.stringContaining('function ratez'),
    ]);
  });

  it('splits alert expressions into signals without their thresholds', () => {
    expect(alertSignals('max by (a) (m) > 500')).toEqual(['max by (a) (m)']);
    expect(
      alertSignals(
        'sum by (a) (x) > 0 and on (a) count by (a) (c == 0 and b > 0) > 0 unless y < -1.5e3',
      ),
    ).toEqual(['sum by (a) (x)', 'count by (a) (c == 0 and b > 0)', 'y']);
  });
});

describe('dashboards', () => {
  const dashboards = readDashboards();

  it('are three, with stable uids and the sluice tag', () => {
    expect(dashboards.map(([f, d]) => [f, d.uid, d.title])).toEqual([
      ['sluice-memory.json', 'sluice-memory', 'Sluice / Memory'],
      ['sluice-network.json', 'sluice-network', 'Sluice / Network'],
      ['sluice-overview.json', 'sluice-overview', 'Sluice / Overview'],
    ]);
    for (const [, d] of dashboards) expect(d.tags).toContain('sluice');
  });

  it.each(dashboards)('%s: unique panel ids, every query on the $datasource variable', (_f, d) => {
    const panels = d.panels as {
      id: number;
      type: string;
      datasource?: { uid: string };
      targets?: { datasource: { uid: string } }[];
    }[];
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const variable = '$' + '{datasource}';
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource?.uid).toBe(variable);
      for (const t of p.targets ?? []) expect(t.datasource.uid).toBe(variable);
    }
    const variables = (d.templating as { list: { name: string }[] }).list.map((v) => v.name);
    expect(variables[0]).toBe('datasource');
  });

  it('overview and network have job and vertex variables; the network one has a node graph', () => {
    for (const [file, d] of dashboards.filter(([f]) => f !== 'sluice-memory.json')) {
      const names = (d.templating as { list: { name: string }[] }).list.map((v) => v.name);
      expect(names, file).toEqual(['datasource', 'job', 'vertex']);
    }
    const network = dashboards.find(([f]) => f === 'sluice-network.json')![1];
    const graph = (
      network.panels as {
        type: string;
        targets: { refId: string; expr: string }[];
        transformations: { id: string; filter?: { options: string }; options: unknown }[];
      }[]
    ).find((p) => p.type === 'nodeGraph');
    // nodes: A-D (busy, back-pressured, idle, records in) merged; edges: E, the plan's edges
    expect(graph?.targets).toHaveLength(5);
    expect(graph?.targets[4]).toMatchObject({ refId: 'E' });
    expect(graph?.targets[4]?.expr).toContain('sluice_job_edge_info');
    const edges = graph?.transformations.find((t) => t.filter?.options === 'E');
    expect(edges?.options).toMatchObject({
      renameByName: { edge_id: 'id', source_vertex_id: 'source', target_vertex_id: 'target' },
    });
  });

  it('and the chart copies are what scripts/grafana-dashboards.ts generates', () => {
    for (const [path, content] of generatedFiles()) {
      expect(
        readFileSync(join(ROOT, path), 'utf8'),
        `${path}: run node scripts/grafana-dashboards.ts`,
      ).toBe(content);
    }
  });
});

describe('alert rules', () => {
  const rules = readRules().groups.flatMap((g) => g.rules);

  it('cover back pressure, bottleneck, checkpoints, restarts, Kafka lag and managed memory', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'SluiceHighBackPressure',
        'SluiceBottleneckVertex',
        'SluiceCheckpointsFailing',
        'SluiceCheckpointsSlow',
        'SluiceJobRestarting',
        'SluiceConsumerLagGrowing',
        'SluiceManagedMemoryNearLimit',
      ]),
    );
  });

  it('each have a severity, a summary and a description', () => {
    for (const r of rules) {
      const labels = r.labels as Record<string, string>;
      const annotations = r.annotations as Record<string, string>;
      expect(['warning', 'critical'], String(r.alert)).toContain(labels.severity);
      expect(annotations.summary, String(r.alert)).toBeTruthy();
      expect(annotations.description, String(r.alert)).toBeTruthy();
    }
  });

  it('pass promtool check rules and promtool test rules', () => {
    const promtool = join(inject('toolsBin'), 'promtool');
    const check = spawnSync(promtool, ['check', 'rules', 'grafana/alerts/sluice-rules.yaml'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(check.stdout + check.stderr).toContain('SUCCESS: 10 rules found');
    expect(check.status).toBe(0);
    const test = spawnSync(promtool, ['test', 'rules', 'grafana/alerts/sluice-rules.test.yaml'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(test.stdout + test.stderr, test.stdout + test.stderr).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });
});
