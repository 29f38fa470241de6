/**
 * The *Sluice / Network* dashboard: flow graph, time breakdown, buffer pools, credit and backlog.
 *
 * @module
 */
import { dashboard, JOB, JOB_VARIABLE, REC_S, TASK, VERTEX_VARIABLE } from './dashboard-builder.ts';

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
              'One node per vertex: the arc is the average share of time busy (orange), back-pressured (red) and idle (green); the number is records in per second; the edges are the exchanges of the plan, labelled with their ship strategy. The bottleneck is the busy vertex whose upstream is red; GET /jobs/<jobid>/flow names it and shows credit and backlog per channel.',
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
              {
                expr: `max by (edge_id, source_vertex_id, target_vertex_id, ship_strategy) (sluice_job_edge_info{${JOB}})`,
                table: true,
              },
            ],
            extra: {
              // Queries A-D make the nodes frame, E the edges frame (Grafana >= 10.2:
              // transformations filtered by refId).
              transformations: [
                { id: 'merge', options: {}, filter: { id: 'byRefId', options: '/^[ABCD]$/' } },
                {
                  id: 'organize',
                  filter: { id: 'byRefId', options: '/^[ABCD]$/' },
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
                {
                  id: 'organize',
                  filter: { id: 'byRefId', options: 'E' },
                  options: {
                    excludeByName: { Time: true, Value: true },
                    renameByName: {
                      edge_id: 'id',
                      source_vertex_id: 'source',
                      target_vertex_id: 'target',
                      ship_strategy: 'mainstat',
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
              'Input channels whose credit fell to 0 while their sender reported a backlog, within the interval: senders waiting on a slow receiver.',
            targets: [
              {
                expr: `count by (job_name, task_name) (min_over_time(sluice_task_channel_credit{${TASK}}[$__rate_interval]) == 0 and max_over_time(sluice_task_channel_backlog{${TASK}}[$__rate_interval]) > 0)`,
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
