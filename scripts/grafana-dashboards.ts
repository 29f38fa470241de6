/**
 * Generates Sluice's Grafana dashboards (`grafana/dashboards/*.json`) and copies them,
 * with the alert rules, into the Helm chart (`helm/sluice/files/`).
 *
 * ```
 * node scripts/grafana-dashboards.ts          write the files
 * node scripts/grafana-dashboards.ts --check  exit 1 when a committed file differs
 * ```
 *
 * The dashboards are written from code so that the three share their variables, units
 * and conventions; the JSON files are what Grafana (and the chart) load, and what
 * `test/deploy` checks: every metric a query names must be in the catalogue
 * (`src/metrics/metric-catalogue.ts`), and every query must return series from a real
 * Prometheus scraping a running job. Queries use the variables `$job` (`job_name`),
 * `$vertex` (`task_name`) and, on the memory dashboard, `$instance`.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** One Prometheus query of a panel. */
interface Target {
  expr: string;
  legend?: string;
  /** Instant table query (node graph, tables). */
  table?: boolean;
}

interface PanelSpec {
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
const DS = { type: 'prometheus', uid: '${datasource}' } as const;

/** `job_name=~"$job"` and friends, for the selectors of task-scoped families. */
export const JOB = 'job_name=~"$job"';
export const TASK = 'job_name=~"$job", task_name=~"$vertex"';
const INSTANCE = 'instance=~"$instance"';

function variable(
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

const DATASOURCE_VARIABLE = {
  name: 'datasource',
  label: 'Prometheus',
  type: 'datasource',
  query: 'prometheus',
  current: {},
  refresh: 1,
  regex: '',
};

const JOB_VARIABLE = variable(
  'job',
  'Job',
  'label_values(sluice_task_numRecordsIn_total, job_name)',
);
const VERTEX_VARIABLE = variable(
  'vertex',
  'Vertex',
  `label_values(sluice_task_numRecordsIn_total{${JOB}}, task_name)`,
);
const INSTANCE_VARIABLE = variable(
  'instance',
  'Pod',
  'label_values(sluice_memory_Managed_Total, instance)',
);

function panel(spec: PanelSpec, id: number, x: number, y: number): Record<string, unknown> {
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

function row(title: string, id: number, y: number): Record<string, unknown> {
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
function layout(sections: [string, PanelSpec[]][]): Record<string, unknown>[] {
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

function dashboard(
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

const REC_S = 'suffix:rec/s';

/** Jobs, records in/out per second, consumer lag, checkpoints, restarts. */
export function overviewDashboard(): Record<string, unknown> {
  return dashboard(
    'sluice-overview',
    'Sluice / Overview',
    'Jobs, throughput, Kafka consumer lag, checkpoints and restarts of Sluice jobs.',
    [JOB_VARIABLE, VERTEX_VARIABLE],
    [
      [
        'Jobs',
        [
          {
            title: 'Running jobs',
            type: 'stat',
            w: 4,
            h: 4,
            description: 'Jobs reporting metrics (one series set per job id).',
            targets: [{ expr: `count(count by (job_id) (sluice_job_numRestarts_total{${JOB}}))` }],
          },
          {
            title: 'Records in',
            type: 'stat',
            w: 4,
            h: 4,
            unit: REC_S,
            description: 'Records received per second by every subtask of the selected jobs.',
            targets: [
              { expr: `sum(rate(sluice_task_numRecordsIn_total{${JOB}}[$__rate_interval]))` },
            ],
          },
          {
            title: 'Records out',
            type: 'stat',
            w: 4,
            h: 4,
            unit: REC_S,
            description: 'Records emitted per second by every subtask of the selected jobs.',
            targets: [
              { expr: `sum(rate(sluice_task_numRecordsOut_total{${JOB}}[$__rate_interval]))` },
            ],
          },
          {
            title: 'Kafka lag',
            type: 'stat',
            w: 4,
            h: 4,
            unit: 'short',
            description:
              'Records between the high watermark and the current offset, all partitions.',
            targets: [{ expr: `sum(sluice_kafka_consumer_records_lag{${JOB}})` }],
          },
          {
            title: 'Restarts (1 h)',
            type: 'stat',
            w: 4,
            h: 4,
            description: 'Restarts of the selected jobs after failures in the last hour.',
            targets: [{ expr: `sum(increase(sluice_job_numRestarts_total{${JOB}}[1h]))` }],
          },
          {
            title: 'Failed checkpoints (1 h)',
            type: 'stat',
            w: 4,
            h: 4,
            description: 'Checkpoints that failed in the last hour.',
            targets: [
              { expr: `sum(increase(sluice_job_numberOfFailedCheckpoints_total{${JOB}}[1h]))` },
            ],
          },
        ],
      ],
      [
        'Throughput',
        [
          {
            title: 'Records in per vertex',
            unit: REC_S,
            description: 'Records received per second, per vertex (summed over its subtasks).',
            targets: [
              {
                expr: `sum by (job_name, task_name) (rate(sluice_task_numRecordsIn_total{${TASK}}[$__rate_interval]))`,
                legend: '{{task_name}}',
              },
            ],
          },
          {
            title: 'Records out per vertex',
            unit: REC_S,
            description: 'Records emitted per second, per vertex (summed over its subtasks).',
            targets: [
              {
                expr: `sum by (job_name, task_name) (rate(sluice_task_numRecordsOut_total{${TASK}}[$__rate_interval]))`,
                legend: '{{task_name}}',
              },
            ],
          },
          {
            title: 'Bytes through the network per vertex',
            unit: 'Bps',
            description:
              'Bytes per second written to (out) and read from (in) network buffers, per vertex.',
            targets: [
              {
                expr: `sum by (job_name, task_name) (rate(sluice_task_numBytesOut_total{${TASK}}[$__rate_interval]))`,
                legend: 'out {{task_name}}',
              },
              {
                expr: `sum by (job_name, task_name) (rate(sluice_task_numBytesIn_total{${TASK}}[$__rate_interval]))`,
                legend: 'in {{task_name}}',
              },
            ],
          },
          {
            title: 'Back-pressured time per vertex (worst subtask)',
            unit: 'ms',
            min: 0,
            max: 1000,
            description:
              'Milliseconds per second the most back-pressured subtask waited for output buffers or credit (Flink: > 100 is "low", > 500 "high"). See Sluice / Network.',
            targets: [
              {
                expr: `max by (job_name, task_name) (sluice_task_backPressuredTimeMsPerSecond{${TASK}})`,
                legend: '{{task_name}}',
              },
            ],
          },
        ],
      ],
      [
        'Kafka',
        [
          {
            title: 'Consumer lag per topic',
            unit: 'short',
            description:
              'Records between the high watermark and the current offset, per topic (summed over partitions). Growing lag: the job reads more slowly than producers write.',
            targets: [
              {
                expr: `sum by (job_name, topic) (sluice_kafka_consumer_records_lag{${JOB}})`,
                legend: '{{job_name}} {{topic}}',
              },
            ],
          },
          {
            title: 'Largest partition lag per source subtask',
            unit: 'short',
            description: "Each source subtask's largest partition lag (records-lag-max).",
            targets: [
              {
                expr: `max by (job_name, task_name, subtask_index) (sluice_kafka_consumer_records_lag_max{${TASK}})`,
                legend: '{{task_name}} #{{subtask_index}}',
              },
            ],
          },
        ],
      ],
      [
        'Checkpoints and restarts',
        [
          {
            title: 'Checkpoints per minute',
            unit: 'short',
            w: 8,
            description: 'Completed and failed checkpoints per minute.',
            targets: [
              {
                expr: `sum by (job_name) (rate(sluice_job_numberOfCompletedCheckpoints_total{${JOB}}[$__rate_interval])) * 60`,
                legend: 'completed {{job_name}}',
              },
              {
                expr: `sum by (job_name) (rate(sluice_job_numberOfFailedCheckpoints_total{${JOB}}[$__rate_interval])) * 60`,
                legend: 'failed {{job_name}}',
              },
            ],
          },
          {
            title: 'Last checkpoint duration',
            unit: 'ms',
            w: 8,
            description:
              'Duration of the last completed checkpoint, and checkpoints in progress. Long durations usually mean back pressure delays the barriers.',
            targets: [
              {
                expr: `max by (job_name) (sluice_job_lastCheckpointDuration{${JOB}})`,
                legend: 'duration {{job_name}}',
              },
            ],
          },
          {
            title: 'Last checkpoint size',
            unit: 'bytes',
            w: 8,
            description: 'Size of the last completed checkpoint.',
            targets: [
              {
                expr: `max by (job_name) (sluice_job_lastCheckpointSize{${JOB}})`,
                legend: '{{job_name}}',
              },
            ],
          },
          {
            title: 'Checkpoints in progress',
            unit: 'short',
            w: 8,
            description: 'Checkpoints triggered and not yet complete.',
            targets: [
              {
                expr: `max by (job_name) (sluice_job_numberOfInProgressCheckpoints{${JOB}})`,
                legend: '{{job_name}}',
              },
            ],
          },
          {
            title: 'Restarts',
            unit: 'short',
            w: 8,
            description: 'Restarts of each job after task failures, per 10 minutes.',
            targets: [
              {
                expr: `sum by (job_name) (increase(sluice_job_numRestarts_total{${JOB}}[10m]))`,
                legend: '{{job_name}}',
              },
            ],
          },
          {
            title: 'Checkpoint start delay (worst subtask)',
            unit: 'ns',
            w: 8,
            description:
              'Time from checkpoint trigger until the barrier reached the subtask: long means back pressure.',
            targets: [
              {
                expr: `max by (job_name, task_name) (sluice_task_checkpointStartDelayNanos{${TASK}})`,
                legend: '{{task_name}}',
              },
            ],
          },
        ],
      ],
    ],
  );
}

/** Buffer pools, credit and backlog per channel, back-pressured/busy/idle, the flow graph. */
export function networkDashboard(): Record<string, unknown> {
  const perSubtask = '{{task_name}} #{{subtask_index}}';
  const perChannel = '{{task_name}} #{{subtask_index}} gate {{gate}} ch {{channel}}';
  const arc = (name: string, color: string) => ({
    matcher: { id: 'byName', options: name },
    properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }],
  });
  return dashboard(
    'sluice-network',
    'Sluice / Network',
    'Flow control inside Sluice jobs: back pressure, buffer pools, credit and backlog per input channel.',
    [JOB_VARIABLE, VERTEX_VARIABLE],
    [
      [
        'Flow',
        [
          {
            title: 'Vertices: busy, back-pressured, idle',
            type: 'nodeGraph',
            w: 24,
            h: 10,
            description:
              'One node per vertex: the arc is the average share of time busy (orange), back-pressured (red) and idle (green); the number is records in per second. The bottleneck is the busy vertex whose upstream is red. The edges between vertices are in GET /jobs/<jobid>/flow, which also names the bottleneck.',
            targets: [
              {
                expr: `avg by (vertex_id, task_name) (sluice_task_busyTimeMsPerSecond{${TASK}}) / 1000`,
                table: true,
              },
              {
                expr: `avg by (vertex_id, task_name) (sluice_task_backPressuredTimeMsPerSecond{${TASK}}) / 1000`,
                table: true,
              },
              {
                expr: `avg by (vertex_id, task_name) (sluice_task_idleTimeMsPerSecond{${TASK}}) / 1000`,
                table: true,
              },
              {
                expr: `sum by (vertex_id, task_name) (rate(sluice_task_numRecordsIn_total{${TASK}}[$__rate_interval]))`,
                table: true,
              },
            ],
            extra: {
              transformations: [
                { id: 'merge', options: {} },
                {
                  id: 'organize',
                  options: {
                    excludeByName: { Time: true },
                    renameByName: {
                      vertex_id: 'id',
                      task_name: 'title',
                      'Value #A': 'arc__busy',
                      'Value #B': 'arc__backpressured',
                      'Value #C': 'arc__idle',
                      'Value #D': 'mainstat',
                    },
                  },
                },
              ],
              fieldConfig: {
                defaults: {},
                overrides: [
                  arc('arc__busy', 'orange'),
                  arc('arc__backpressured', 'red'),
                  arc('arc__idle', 'green'),
                ],
              },
              options: { nodes: { mainStatUnit: REC_S }, edges: {} },
            },
          },
        ],
      ],
      [
        'Time breakdown per subtask',
        [
          {
            title: 'Back-pressured time',
            unit: 'ms',
            w: 8,
            min: 0,
            max: 1000,
            description:
              'ms per second each subtask waited for an output buffer or credit: its downstream is slower.',
            targets: [
              {
                expr: `sluice_task_backPressuredTimeMsPerSecond{${TASK}}`,
                legend: perSubtask,
              },
            ],
          },
          {
            title: 'Busy time',
            unit: 'ms',
            w: 8,
            min: 0,
            max: 1000,
            description: 'ms per second each subtask spent processing records.',
            targets: [{ expr: `sluice_task_busyTimeMsPerSecond{${TASK}}`, legend: perSubtask }],
          },
          {
            title: 'Idle time',
            unit: 'ms',
            w: 8,
            min: 0,
            max: 1000,
            description: 'ms per second each subtask had no input.',
            targets: [{ expr: `sluice_task_idleTimeMsPerSecond{${TASK}}`, legend: perSubtask }],
          },
          {
            title: 'Back-pressured now',
            type: 'state-timeline',
            w: 12,
            description: '1 when the subtask could not write its output at the last snapshot.',
            targets: [{ expr: `sluice_task_isBackPressured{${TASK}}`, legend: perSubtask }],
          },
          {
            title: 'Longest single wait',
            unit: 'ms',
            w: 12,
            description: 'Longest single wait for an output buffer or credit in the last window.',
            targets: [
              { expr: `sluice_task_maxHardBackPressuredTimeMs{${TASK}}`, legend: perSubtask },
            ],
          },
        ],
      ],
      [
        'Buffer pools per subtask',
        [
          {
            title: 'Input pool usage',
            unit: 'percentunit',
            w: 8,
            min: 0,
            max: 1,
            description:
              'Fraction of the input buffer pool in use: near 1 on a slow (bottleneck) subtask.',
            targets: [{ expr: `sluice_task_buffers_inPoolUsage{${TASK}}`, legend: perSubtask }],
          },
          {
            title: 'Output pool usage',
            unit: 'percentunit',
            w: 8,
            min: 0,
            max: 1,
            description:
              'Fraction of the output buffer pool in use: near 1 on a subtask back-pressured by its downstream.',
            targets: [{ expr: `sluice_task_buffers_outPoolUsage{${TASK}}`, legend: perSubtask }],
          },
          {
            title: 'Exclusive and floating input buffers',
            unit: 'percentunit',
            w: 8,
            min: 0,
            max: 1,
            description:
              'Usage of the exclusive (per channel) and floating (per gate) input buffers.',
            targets: [
              {
                expr: `sluice_task_buffers_inputExclusiveBuffersUsage{${TASK}}`,
                legend: `exclusive ${perSubtask}`,
              },
              {
                expr: `sluice_task_buffers_inputFloatingBuffersUsage{${TASK}}`,
                legend: `floating ${perSubtask}`,
              },
            ],
          },
          {
            title: 'Queued buffers',
            unit: 'short',
            w: 12,
            description: 'Buffers queued in the input channels and in the output subpartitions.',
            targets: [
              { expr: `sluice_task_buffers_inputQueueLength{${TASK}}`, legend: `in ${perSubtask}` },
              {
                expr: `sluice_task_buffers_outputQueueLength{${TASK}}`,
                legend: `out ${perSubtask}`,
              },
            ],
          },
          {
            title: 'Queued bytes',
            unit: 'bytes',
            w: 12,
            description: 'Bytes queued in the input channels and in the output subpartitions.',
            targets: [
              { expr: `sluice_task_buffers_inputQueueSize{${TASK}}`, legend: `in ${perSubtask}` },
              { expr: `sluice_task_buffers_outputQueueSize{${TASK}}`, legend: `out ${perSubtask}` },
            ],
          },
        ],
      ],
      [
        'Credit-based flow control per input channel',
        [
          {
            title: 'Credit',
            unit: 'short',
            w: 8,
            description:
              'Credit the receiver announced on each input channel; 0 = the sender must wait.',
            targets: [{ expr: `sluice_task_channel_credit{${TASK}}`, legend: perChannel }],
          },
          {
            title: 'Backlog',
            unit: 'short',
            w: 8,
            description: 'Buffers the sender reported queued for each input channel.',
            targets: [{ expr: `sluice_task_channel_backlog{${TASK}}`, legend: perChannel }],
          },
          {
            title: 'Blocked channels per vertex',
            unit: 'short',
            w: 8,
            description:
              'Input channels with credit 0 and backlog > 0: senders waiting on a slow receiver.',
            targets: [
              {
                expr: `count by (job_name, task_name) (sluice_task_channel_credit{${TASK}} == 0 and sluice_task_channel_backlog{${TASK}} > 0)`,
                legend: '{{task_name}}',
              },
            ],
          },
          {
            title: 'Buffers received, not yet consumed',
            unit: 'short',
            w: 12,
            description: 'Buffers queued on each input channel.',
            targets: [{ expr: `sluice_task_channel_queuedBuffers{${TASK}}`, legend: perChannel }],
          },
          {
            title: 'Network buffers out per vertex',
            unit: 'short',
            w: 12,
            description:
              'Network buffers emitted per second (full or flushed by the buffer timeout).',
            targets: [
              {
                expr: `sum by (job_name, task_name) (rate(sluice_task_numBuffersOut_total{${TASK}}[$__rate_interval]))`,
                legend: '{{task_name}}',
              },
            ],
          },
        ],
      ],
      [
        'Network buffer pool (process)',
        [
          {
            title: 'Network buffer pool segments',
            unit: 'short',
            w: 24,
            description:
              'Segments of the process network buffer pool: in use, available and total (taskmanager.memory.network.*).',
            targets: [
              { expr: 'sluice_network_UsedMemorySegments', legend: 'used {{instance}}' },
              { expr: 'sluice_network_AvailableMemorySegments', legend: 'available {{instance}}' },
              { expr: 'sluice_network_TotalMemorySegments', legend: 'total {{instance}}' },
            ],
          },
        ],
      ],
    ],
  );
}

/** Managed and network memory, V8 heaps, GC, event-loop utilisation. */
export function memoryDashboard(): Record<string, unknown> {
  const perWorker = '{{instance}} {{worker}}';
  return dashboard(
    'sluice-memory',
    'Sluice / Memory',
    'Managed memory, network buffers, V8 heaps, garbage collection and event loops of Sluice pods.',
    [INSTANCE_VARIABLE],
    [
      [
        'Reserved memory',
        [
          {
            title: 'Managed memory used',
            type: 'gauge',
            unit: 'percentunit',
            w: 6,
            min: 0,
            max: 1,
            description:
              'Managed memory in use (state, windows, sorting) as a fraction of taskmanager.memory.managed.size.',
            targets: [
              {
                expr: `max(sluice_memory_Managed_Used{${INSTANCE}} / sluice_memory_Managed_Total{${INSTANCE}})`,
              },
            ],
          },
          {
            title: 'Managed memory',
            unit: 'bytes',
            w: 9,
            description: 'Managed memory in use and reserved at start-up, per pod.',
            targets: [
              { expr: `sluice_memory_Managed_Used{${INSTANCE}}`, legend: 'used {{instance}}' },
              { expr: `sluice_memory_Managed_Total{${INSTANCE}}`, legend: 'total {{instance}}' },
            ],
          },
          {
            title: 'Network buffers in use',
            unit: 'percentunit',
            w: 9,
            min: 0,
            max: 1,
            description: 'Fraction of the network buffer pool segments in use, per pod.',
            targets: [
              {
                expr: `sluice_network_UsedMemorySegments{${INSTANCE}} / sluice_network_TotalMemorySegments{${INSTANCE}}`,
                legend: '{{instance}}',
              },
            ],
          },
        ],
      ],
      [
        'Threads (main and workers)',
        [
          {
            title: 'V8 heap used per thread',
            unit: 'bytes',
            description:
              'V8 heap in use by the main thread and each worker (task slot). Managed memory and network buffers are outside it.',
            stack: true,
            targets: [{ expr: `sluice_worker_heapUsedBytes{${INSTANCE}}`, legend: perWorker }],
          },
          {
            title: 'Event-loop utilisation per thread',
            unit: 'percentunit',
            min: 0,
            max: 1,
            description:
              'Share of time each thread was running code: a worker near 1 is saturated; the main thread should stay low.',
            targets: [
              { expr: `sluice_worker_eventLoopUtilization{${INSTANCE}}`, legend: perWorker },
            ],
          },
          {
            title: 'GC time per thread',
            unit: 'ms',
            description: 'Milliseconds per second each thread spent in garbage collection.',
            targets: [
              {
                expr: `rate(sluice_worker_gcTimeMs_total{${INSTANCE}}[$__rate_interval])`,
                legend: perWorker,
              },
            ],
          },
          {
            title: 'GC runs per thread',
            unit: 'short',
            description: 'Garbage collections per second of each thread.',
            targets: [
              {
                expr: `rate(sluice_worker_gcCount_total{${INSTANCE}}[$__rate_interval])`,
                legend: perWorker,
              },
            ],
          },
        ],
      ],
      [
        'Process',
        [
          {
            title: 'Resident memory',
            unit: 'bytes',
            description:
              "The process's resident memory (RSS): managed memory, network buffers and heaps together; compare with the pod's memory limit (= taskmanager.memory.process.size in the chart).",
            targets: [
              {
                expr: `sluice_process_resident_memory_bytes{${INSTANCE}}`,
                legend: '{{instance}}',
              },
            ],
          },
          {
            title: 'CPU',
            unit: 'short',
            description: 'Cores used by the process (all threads).',
            targets: [
              {
                expr: `rate(sluice_process_cpu_seconds_total{${INSTANCE}}[$__rate_interval])`,
                legend: '{{instance}}',
              },
            ],
          },
        ],
      ],
    ],
  );
}

/** Formats JSON as Biome does (the repository's formatter), so that `biome check` agrees. */
function formatJson(value: unknown, path: string): string {
  return execFileSync(
    join(root, 'node_modules/.bin/biome'),
    ['format', `--stdin-file-path=${path}`],
    { input: JSON.stringify(value, null, 2), encoding: 'utf8', cwd: root },
  );
}

/** Every generated file: path relative to the repository → content. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const dashboards: [string, Record<string, unknown>][] = [
    ['sluice-overview.json', overviewDashboard()],
    ['sluice-network.json', networkDashboard()],
    ['sluice-memory.json', memoryDashboard()],
  ];
  for (const [name, json] of dashboards) {
    const text = formatJson(json, `grafana/dashboards/${name}`);
    files.set(`grafana/dashboards/${name}`, text);
    files.set(`helm/sluice/files/dashboards/${name}`, text);
  }
  files.set(
    'helm/sluice/files/prometheus-rules.yaml',
    readFileSync(join(root, 'grafana/alerts/sluice-rules.yaml'), 'utf8'),
  );
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, content] of generatedFiles()) {
    const file = join(root, path);
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    if (check) {
      process.stderr.write(`${path} is out of date: run node scripts/grafana-dashboards.ts\n`);
      stale++;
    } else {
      writeFileSync(file, content);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}
