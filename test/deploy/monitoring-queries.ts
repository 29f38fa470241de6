/**
 * Every PromQL expression Sluice ships — dashboard panels and variables in
 * `grafana/dashboards/*.json`, alert rules in `grafana/alerts/sluice-rules.yaml` — and
 * the metric families they may name: the catalogue (`src/metrics/metric-catalogue.ts`,
 * the source of truth, documented in `docs/metrics.md`) plus the process metrics
 * prom-client adds to the same registry (`sluice_process_*`, `sluice_nodejs_*`), read
 * from a real {@link SluiceMetrics} so that nothing is listed by hand.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LABELS_OF_SCOPE, METRIC_FAMILIES } from '../../src/metrics/metric-catalogue.ts';
import { SluiceMetrics } from '../../src/metrics/sluice-metrics.ts';
import { analyzeExpression, FUNCTIONS, substituteGrafanaVariables } from './promql.ts';

export const ROOT = join(import.meta.dirname, '../..');

/** Labels Prometheus or the Prometheus Operator attach to every scraped series. */
export const TARGET_LABELS = [
  'job',
  'instance',
  'namespace',
  'pod',
  'service',
  'container',
  'endpoint',
];

/** A family a query may name. */
export interface KnownFamily {
  /** Label names its series carry (besides {@link TARGET_LABELS}); `undefined`: not checked. */
  labels: ReadonlySet<string> | undefined;
  origin: 'catalogue' | 'prom-client';
}

/**
 * The metric names Sluice exports: every catalogue family, and every series name of
 * prom-client's process collectors (histograms as `_bucket`, `_sum`, `_count`).
 */
export function knownFamilies(): Map<string, KnownFamily> {
  const known = new Map<string, KnownFamily>();
  for (const f of METRIC_FAMILIES) {
    known.set(f.name, { labels: new Set(LABELS_OF_SCOPE[f.scope]), origin: 'catalogue' });
  }
  const metrics = new SluiceMetrics({ sampleMainThread: false });
  try {
    for (const m of metrics.registry.getMetricsAsArray()) {
      // prom-client's typings say a numeric enum; at run time `type` is the string.
      const type = String(m.type);
      const names =
        type === 'histogram'
          ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`]
          : type === 'summary'
            ? [m.name, `${m.name}_sum`, `${m.name}_count`]
            : [m.name];
      for (const name of names) known.set(name, { labels: undefined, origin: 'prom-client' });
    }
  } finally {
    metrics.close();
  }
  return known;
}

/** One expression and where it comes from. */
export interface ShippedQuery {
  /** e.g. `grafana/dashboards/sluice-network.json: panel "Credit" query A`. */
  where: string;
  kind: 'panel' | 'variable' | 'alert';
  /** The expression as written (Grafana variables included). */
  expr: string;
  /** Alert name, for alerts. */
  alert?: string;
}

interface GrafanaPanel {
  title?: string;
  type?: string;
  targets?: { refId?: string; expr?: string }[];
  panels?: GrafanaPanel[];
}

/** Reads the dashboards: `[file name, parsed JSON]`. */
export function readDashboards(): [string, Record<string, unknown>][] {
  const dir = join(ROOT, 'grafana/dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>]);
}

/** Reads the alert rules file. */
export function readRules(): { groups: { name: string; rules: Record<string, unknown>[] }[] } {
  return parseYaml(readFileSync(join(ROOT, 'grafana/alerts/sluice-rules.yaml'), 'utf8'));
}

/** Every expression of the dashboards and the alert rules. */
export function shippedQueries(): ShippedQuery[] {
  const queries: ShippedQuery[] = [];
  for (const [file, dashboard] of readDashboards()) {
    const where = `grafana/dashboards/${file}`;
    const walk = (panels: GrafanaPanel[] | undefined) => {
      for (const p of panels ?? []) {
        for (const t of p.targets ?? []) {
          if (t.expr !== undefined) {
            queries.push({
              where: `${where}: panel "${p.title}" query ${t.refId}`,
              kind: 'panel',
              expr: t.expr,
            });
          }
        }
        walk(p.panels);
      }
    };
    walk(dashboard.panels as GrafanaPanel[]);
    const templating = dashboard.templating as { list: Record<string, unknown>[] };
    for (const v of templating.list) {
      if (v.type !== 'query') continue;
      const q = v.query as string | { query: string };
      queries.push({
        where: `${where}: variable $${v.name}`,
        kind: 'variable',
        expr: typeof q === 'string' ? q : q.query,
      });
    }
  }
  for (const group of readRules().groups) {
    for (const rule of group.rules) {
      queries.push({
        where: `grafana/alerts/sluice-rules.yaml: ${group.name} / ${rule.alert ?? rule.record}`,
        kind: 'alert',
        expr: String(rule.expr),
        alert: String(rule.alert),
      });
    }
  }
  return queries;
}

/**
 * A variable query `label_values(selector, label)` as its selector and label.
 *
 * @returns `undefined` when `expr` is not such a query
 */
export function parseLabelValues(expr: string): { selector: string; label: string } | undefined {
  const match = /^\s*label_values\(\s*(.+?)\s*,\s*([A-Za-z_]\w*)\s*\)\s*$/s.exec(expr);
  return match === null ? undefined : { selector: match[1]!, label: match[2]! };
}

/**
 * The problems of one shipped expression: metric names the catalogue does not declare,
 * label names the family does not carry, unknown functions, or no metric at all.
 *
 * @param query - the expression
 * @param known - from {@link knownFamilies}
 * @returns one message per problem, empty when the expression is fine
 */
export function queryProblems(query: ShippedQuery, known: Map<string, KnownFamily>): string[] {
  const problems: string[] = [];
  let expr = substituteGrafanaVariables(query.expr);
  const extraLabels: string[] = [];
  if (query.kind === 'variable') {
    const lv = parseLabelValues(expr);
    if (lv === undefined) return [`variable query is not label_values(selector, label): ${expr}`];
    expr = lv.selector;
    extraLabels.push(lv.label);
  }
  let analysis: ReturnType<typeof analyzeExpression>;
  try {
    analysis = analyzeExpression(expr);
  } catch (error) {
    return [(error as Error).message];
  }
  if (analysis.selectors.length === 0) problems.push('reads no metric');
  const labelsInExpr = new Set<string>([...TARGET_LABELS, 'le', 'quantile']);
  let anyUnchecked = false;
  for (const s of analysis.selectors) {
    if (s.metric === '') {
      problems.push(`selector without a metric name (${s.text}): name the family`);
      continue;
    }
    const family = known.get(s.metric);
    if (family === undefined) {
      problems.push(
        `metric ${s.metric} is not a family Sluice exports (src/metrics/metric-catalogue.ts, docs/metrics.md)`,
      );
      continue;
    }
    if (family.labels === undefined) {
      anyUnchecked = true;
      continue;
    }
    for (const l of family.labels) labelsInExpr.add(l);
    for (const m of s.matchers) {
      if (!family.labels.has(m.label) && !TARGET_LABELS.includes(m.label)) {
        problems.push(
          `label ${m.label} in ${s.text} is not a label of ${s.metric} (its labels: ${[...family.labels].join(', ') || 'none'})`,
        );
      }
    }
  }
  if (!anyUnchecked) {
    for (const l of [...analysis.groupingLabels, ...extraLabels]) {
      if (!labelsInExpr.has(l)) {
        problems.push(
          `label ${l} (grouping or label_values) is carried by none of the metrics read`,
        );
      }
    }
  }
  for (const f of analysis.functions) {
    if (
      !FUNCTIONS.has(f) &&
      !/^(sum|min|max|avg|group|stddev|stdvar|count|count_values|bottomk|topk|quantile)$/.test(f)
    ) {
      problems.push(`function ${f} is not PromQL`);
    }
  }
  return problems;
}
