/**
 * The *Sluice / Overview* dashboard: jobs, throughput, Kafka lag, checkpoints, restarts.
 *
 * @module
 */
import { dashboard, JOB, JOB_VARIABLE, REC_S, TASK, VERTEX_VARIABLE } from './dashboard-builder.ts';

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
