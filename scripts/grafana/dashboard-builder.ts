/**
 * Building blocks of Sluice's Grafana dashboards: the `datasource`, `job`, `vertex` and
 * `instance` variables, panels and their layout in rows of 24 columns. Used by the
 * dashboards in this directory; `scripts/grafana-dashboards.ts` writes the files.
 *
 * @module
 */
/** One Prometheus query of a panel. */
export interface Target {
  expr: string;
  legend?: string;
  /** Instant table query (node graph, tables). */
  table?: boolean;
}

export interface PanelSpec {
  title: string;
  type?: 'timeseries' | 'stat' | 'nodeGraph' | 'state-timeline' | 'gauge';
  description: string;
  unit?: string;
  targets: Target[];
  w?: number;
  h?: number;
  min?: number;
  max?: number;
  stack?: boolean;
  extra?: Record<string, unknown>;
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, not a template
export const DS = { type: 'prometheus', uid: '${datasource}' } as const;

/** `job_name=~"$job"` and friends, for the selectors of task-scoped families. */
export const JOB = 'job_name=~"$job"';
export const TASK = 'job_name=~"$job", task_name=~"$vertex"';
export const INSTANCE = 'instance=~"$instance"';

export function variable(
  name: string,
  label: string,
  query: string,
  options: { multi?: boolean } = {},
): Record<string, unknown> {
  return {
    name,
    label,
    type: 'query',
    datasource: DS,
    query: { query, refId: `${name}-variable` },
    definition: query,
    refresh: 2,
    sort: 1,
    multi: options.multi ?? true,
    includeAll: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
  };
}

export const DATASOURCE_VARIABLE = {
  name: 'datasource',
  label: 'Prometheus',
  type: 'datasource',
  query: 'prometheus',
  current: {},
  refresh: 1,
  regex: '',
};

export const JOB_VARIABLE = variable(
  'job',
  'Job',
  'label_values(sluice_task_numRecordsIn_total, job_name)',
);
export const VERTEX_VARIABLE = variable(
  'vertex',
  'Vertex',
  `label_values(sluice_task_numRecordsIn_total{${JOB}}, task_name)`,
);
export const INSTANCE_VARIABLE = variable(
  'instance',
  'Pod',
  'label_values(sluice_memory_Managed_Total, instance)',
);

export function panel(spec: PanelSpec, id: number, x: number, y: number): Record<string, unknown> {
  const type = spec.type ?? 'timeseries';
  const defaults: Record<string, unknown> = { unit: spec.unit ?? 'short' };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (type === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: spec.stack ? 30 : 10,
      showPoints: 'never',
      spanNulls: false,
      stacking: { mode: spec.stack ? 'normal' : 'none', group: 'A' },
    };
  }
  const options: Record<string, unknown> =
    type === 'timeseries'
      ? {
          legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] },
          tooltip: { mode: 'multi', sort: 'desc' },
        }
      : type === 'stat'
        ? {
            reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
            colorMode: 'value',
            graphMode: 'area',
            textMode: 'auto',
          }
        : {};
  return {
    id,
    type,
    title: spec.title,
    description: spec.description,
    datasource: DS,
    gridPos: { x, y, w: spec.w ?? 12, h: spec.h ?? 8 },
    fieldConfig: { defaults, overrides: [] },
    options,
    targets: spec.targets.map((t, i) => ({
      datasource: DS,
      refId: String.fromCharCode(65 + i),
      expr: t.expr,
      legendFormat: t.legend ?? '__auto',
      range: !t.table,
      instant: t.table === true,
      format: t.table ? 'table' : 'time_series',
    })),
    ...spec.extra,
  };
}

export function row(title: string, id: number, y: number): Record<string, unknown> {
  return {
    id,
    type: 'row',
    title,
    collapsed: false,
    gridPos: { x: 0, y, w: 24, h: 1 },
    panels: [],
  };
}

/** Lays out rows of panels left to right, 24 columns wide. */
export function layout(sections: [string, PanelSpec[]][]): Record<string, unknown>[] {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const [title, specs] of sections) {
    panels.push(row(title, id++, y));
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of specs) {
      const w = spec.w ?? 12;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push(panel(spec, id++, x, y));
      x += w;
      rowHeight = Math.max(rowHeight, spec.h ?? 8);
    }
    y += rowHeight;
  }
  return panels;
}

export function dashboard(
  uid: string,
  title: string,
  description: string,
  variables: Record<string, unknown>[],
  sections: [string, PanelSpec[]][],
): Record<string, unknown> {
  return {
    uid,
    title,
    description,
    tags: ['sluice'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: [
      {
        title: 'Sluice dashboards',
        type: 'dashboards',
        tags: ['sluice'],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
      },
    ],
    templating: { list: [DATASOURCE_VARIABLE, ...variables] },
    panels: layout(sections),
  };
}

export const REC_S = 'suffix:rec/s';
