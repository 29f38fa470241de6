import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC_FAMILIES } from '../../../src/metrics/metric-catalogue.ts';
import type { TaskMetricsSnapshot } from '../../../src/metrics/metric-snapshots.ts';
import { SluiceMetrics } from '../../../src/metrics/sluice-metrics.ts';

const TASK_LABELS =
  'job_id="j1",job_name="nexmark-q5",task_name="Source: bids -> Map",vertex_id="v1",subtask_index="0"';

function task(overrides: Partial<TaskMetricsSnapshot> = {}): TaskMetricsSnapshot {
  return {
    jobId: 'j1',
    jobName: 'nexmark-q5',
    vertexId: 'v1',
    taskName: 'Source: bids -> Map',
    subtaskIndex: 0,
    numRecordsIn: 100,
    numRecordsOut: 90,
    numBytesIn: 4000,
    numBytesOut: 3600,
    numBuffersOut: 3,
    backPressuredTimeMsPerSecond: 850,
    idleTimeMsPerSecond: 0,
    busyTimeMsPerSecond: 150,
    maxHardBackPressuredTimeMs: 120,
    isBackPressured: true,
    inPoolUsage: 0.25,
    outPoolUsage: 1,
    inputExclusiveBuffersUsage: 0.5,
    inputFloatingBuffersUsage: 0.125,
    inputQueueLength: 2,
    outputQueueLength: 8,
    inputQueueSize: 65536,
    outputQueueSize: 262144,
    currentInputWatermark: 1_000_000,
    currentOutputWatermark: 999_000,
    checkpointAlignmentTime: 5_000_000,
    checkpointStartDelayNanos: 7_000_000,
    channels: [
      { gate: 0, channel: 0, credit: 0, backlog: 4, queuedBuffers: 2 },
      { gate: 0, channel: 1, credit: 2, backlog: 0, queuedBuffers: 0 },
    ],
    operators: [
      {
        operatorName: 'Map',
        numRecordsIn: 100,
        numRecordsOut: 90,
        numLateRecordsDropped: 1,
        currentInputWatermark: 1_000_000,
        currentOutputWatermark: 999_000,
      },
    ],
    source: {
      currentEmitEventTimeLag: 15,
      watermarkLag: 200,
      sourceIdleTime: 0,
      pendingRecords: 1234,
      numRecordsInErrors: 3,
      partitions: [
        { topic: 'bids', partition: 0, currentOffset: 500, committedOffset: 400, lag: 1000 },
        { topic: 'bids', partition: 1, currentOffset: 700, committedOffset: 650, lag: 234 },
      ],
    },
    ...overrides,
  };
}

/** The sample lines of one family: `name{labels} value`. */
function samples(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

function value(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  if (line === undefined) throw new Error(`no sample ${name}{${labels}} in\n${text}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('SluiceMetrics', () => {
  let metrics: SluiceMetrics;
  afterEach(() => metrics.close());

  it("a task snapshot shows up under Flink's names with sluice_ prefix and task labels", async () => {
    metrics = new SluiceMetrics({ collectDefaultMetrics: false, sampleMainThread: false });
    metrics.clock = () => 1_000_500;
    metrics.updateTaskSnapshot(task());
    const text = await metrics.exposition();
    const expectations: [string, number][] = [
      ['sluice_task_numRecordsIn_total', 100],
      ['sluice_task_numRecordsOut_total', 90],
      ['sluice_task_numBytesIn_total', 4000],
      ['sluice_task_numBytesOut_total', 3600],
      ['sluice_task_numBuffersOut_total', 3],
      ['sluice_task_backPressuredTimeMsPerSecond', 850],
      ['sluice_task_idleTimeMsPerSecond', 0],
      ['sluice_task_busyTimeMsPerSecond', 150],
      ['sluice_task_maxHardBackPressuredTimeMs', 120],
      ['sluice_task_isBackPressured', 1],
      ['sluice_task_buffers_inPoolUsage', 0.25],
      ['sluice_task_buffers_outPoolUsage', 1],
      ['sluice_task_buffers_inputExclusiveBuffersUsage', 0.5],
      ['sluice_task_buffers_inputFloatingBuffersUsage', 0.125],
      ['sluice_task_buffers_inputQueueLength', 2],
      ['sluice_task_buffers_outputQueueLength', 8],
      ['sluice_task_buffers_inputQueueSize', 65536],
      ['sluice_task_buffers_outputQueueSize', 262144],
      ['sluice_task_currentInputWatermark', 1_000_000],
      ['sluice_task_currentOutputWatermark', 999_000],
      ['sluice_task_watermarkLag', 1500],
      ['sluice_task_checkpointAlignmentTime', 5_000_000],
      ['sluice_task_checkpointStartDelayNanos', 7_000_000],
      ['sluice_source_currentEmitEventTimeLag', 15],
      ['sluice_source_watermarkLag', 200],
      ['sluice_source_sourceIdleTime', 0],
      ['sluice_source_pendingRecords', 1234],
      ['sluice_source_numRecordsInErrors_total', 3],
      ['sluice_kafka_consumer_records_lag_max', 1000],
    ];
    for (const [name, expected] of expectations)
      expect(value(text, name, TASK_LABELS), name).toBe(expected);
    expect(value(text, 'sluice_task_channel_credit', `${TASK_LABELS},gate="0",channel="0"`)).toBe(
      0,
    );
    expect(value(text, 'sluice_task_channel_backlog', `${TASK_LABELS},gate="0",channel="0"`)).toBe(
      4,
    );
    expect(
      value(text, 'sluice_task_channel_queuedBuffers', `${TASK_LABELS},gate="0",channel="0"`),
    ).toBe(2);
    expect(value(text, 'sluice_task_channel_credit', `${TASK_LABELS},gate="0",channel="1"`)).toBe(
      2,
    );
    const op = `${TASK_LABELS},operator_name="Map"`;
    expect(value(text, 'sluice_task_operator_numRecordsIn_total', op)).toBe(100);
    expect(value(text, 'sluice_task_operator_numRecordsOut_total', op)).toBe(90);
    expect(value(text, 'sluice_task_operator_numLateRecordsDropped_total', op)).toBe(1);
    expect(value(text, 'sluice_task_operator_currentInputWatermark', op)).toBe(1_000_000);
    expect(value(text, 'sluice_task_operator_currentOutputWatermark', op)).toBe(999_000);
    const p1 = `${TASK_LABELS},topic="bids",partition="1"`;
    expect(value(text, 'sluice_kafka_consumer_records_lag', p1)).toBe(234);
    expect(value(text, 'sluice_kafka_consumer_currentOffset', p1)).toBe(700);
    expect(value(text, 'sluice_kafka_consumer_committedOffset', p1)).toBe(650);
    expect(text).toContain('# TYPE sluice_task_numRecordsIn_total counter');
    expect(text).toContain('# TYPE sluice_task_busyTimeMsPerSecond gauge');
    expect(text).toContain('# HELP sluice_task_channel_credit Credit the receiver has announced');
    expect(text).not.toMatch(/[{,]job="/);
  });

  it('counters are monotonic: a restarted subtask reporting smaller counts continues the total', async () => {
    metrics = new SluiceMetrics({ collectDefaultMetrics: false, sampleMainThread: false });
    const read = async () =>
      value(await metrics.exposition(), 'sluice_task_numRecordsIn_total', TASK_LABELS);
    metrics.updateTaskSnapshot(task({ numRecordsIn: 100 }));
    expect(await read()).toBe(100);
    metrics.updateTaskSnapshot(task({ numRecordsIn: 250 }));
    expect(await read()).toBe(250);
    // the subtask restarted without being removed: its count starts again from 0
    metrics.updateTaskSnapshot(task({ numRecordsIn: 30 }));
    expect(await read()).toBe(280);
    // removed (failover) and redeployed: hidden meanwhile, then continues
    metrics.removeTask('j1', 'v1', 0);
    expect(samples(await metrics.exposition(), 'sluice_task_numRecordsIn_total')).toEqual([]);
    metrics.updateTaskSnapshot(task({ numRecordsIn: 50 }));
    expect(await read()).toBe(330);
    metrics.updateTaskSnapshot(task({ numRecordsIn: 60 }));
    expect(await read()).toBe(340);
  });

  it('job, worker and process figures; removeJob forgets every series of the job', async () => {
    metrics = new SluiceMetrics({ collectDefaultMetrics: false, sampleMainThread: false });
    metrics.updateTaskSnapshot(task());
    metrics.updateJobSnapshot({
      jobId: 'j1',
      jobName: 'nexmark-q5',
      numberOfCompletedCheckpoints: 4,
      numberOfFailedCheckpoints: 1,
      numberOfInProgressCheckpoints: 1,
      lastCheckpointDuration: 1200,
      lastCheckpointSize: 1 << 20,
      numRestarts: 2,
    });
    metrics.updateWorkerSnapshot({
      worker: 0,
      eventLoopUtilization: 0.75,
      gcTimeMs: 12.5,
      gcCount: 3,
      heapUsedBytes: 5e6,
    });
    metrics.setNetworkMemorySource(() => ({
      availableSegments: 90,
      usedSegments: 10,
      totalSegments: 100,
    }));
    metrics.setManagedMemorySource(() => ({ usedBytes: 1024, totalBytes: 4096 }));
    let text = await metrics.exposition();
    const job = 'job_id="j1",job_name="nexmark-q5"';
    expect(value(text, 'sluice_job_numberOfCompletedCheckpoints_total', job)).toBe(4);
    expect(value(text, 'sluice_job_numberOfFailedCheckpoints_total', job)).toBe(1);
    expect(value(text, 'sluice_job_numberOfInProgressCheckpoints', job)).toBe(1);
    expect(value(text, 'sluice_job_lastCheckpointDuration', job)).toBe(1200);
    expect(value(text, 'sluice_job_lastCheckpointSize', job)).toBe(1 << 20);
    expect(value(text, 'sluice_job_numRestarts_total', job)).toBe(2);
    expect(value(text, 'sluice_worker_eventLoopUtilization', 'worker="0"')).toBe(0.75);
    expect(value(text, 'sluice_worker_gcTimeMs_total', 'worker="0"')).toBe(12.5);
    expect(value(text, 'sluice_worker_gcCount_total', 'worker="0"')).toBe(3);
    expect(value(text, 'sluice_worker_heapUsedBytes', 'worker="0"')).toBe(5e6);
    expect(samples(text, 'sluice_network_AvailableMemorySegments')).toEqual([
      'sluice_network_AvailableMemorySegments 90',
    ]);
    expect(samples(text, 'sluice_network_UsedMemorySegments')).toEqual([
      'sluice_network_UsedMemorySegments 10',
    ]);
    expect(samples(text, 'sluice_network_TotalMemorySegments')).toEqual([
      'sluice_network_TotalMemorySegments 100',
    ]);
    expect(samples(text, 'sluice_memory_Managed_Used')).toEqual([
      'sluice_memory_Managed_Used 1024',
    ]);
    expect(samples(text, 'sluice_memory_Managed_Total')).toEqual([
      'sluice_memory_Managed_Total 4096',
    ]);
    metrics.removeJob('j1');
    metrics.setManagedMemorySource(undefined);
    metrics.setNetworkMemorySource(() => {
      throw new Error('pool gone');
    });
    text = await metrics.exposition();
    expect(text).not.toContain('j1');
    expect(samples(text, 'sluice_memory_Managed_Used')).toEqual([]);
    expect(samples(text, 'sluice_network_TotalMemorySegments')).toEqual([]);
  });

  it('caps label cardinality and counts what it dropped', async () => {
    metrics = new SluiceMetrics({
      collectDefaultMetrics: false,
      sampleMainThread: false,
      maxChannelsPerTask: 3,
      maxTasks: 2,
    });
    const channels = Array.from({ length: 5 }, (_, channel) => ({
      gate: 0,
      channel,
      credit: 1,
      backlog: 0,
      queuedBuffers: 0,
    }));
    for (let subtaskIndex = 0; subtaskIndex < 3; subtaskIndex++)
      metrics.updateTaskSnapshot(task({ subtaskIndex, channels }));
    const text = await metrics.exposition();
    expect(samples(text, 'sluice_task_channel_credit')).toHaveLength(2 * 3);
    expect(samples(text, 'sluice_task_busyTimeMsPerSecond')).toHaveLength(2);
    expect(value(text, 'sluice_metrics_droppedSeries_total', 'family="channel"')).toBe(4);
    expect(value(text, 'sluice_metrics_droppedSeries_total', 'family="task"')).toBe(1);
  });

  it('escapes label values once, as the text format requires', async () => {
    metrics = new SluiceMetrics({ collectDefaultMetrics: false, sampleMainThread: false });
    metrics.updateTaskSnapshot(task({ taskName: 'Map "quoted" \\ back\nslash', channels: [] }));
    const text = await metrics.exposition();
    expect(text).toContain('task_name="Map \\"quoted\\" \\\\ back\\nslash"');
  });

  it('samples the main thread and includes default process metrics with the prefix', async () => {
    metrics = new SluiceMetrics();
    const text = await metrics.exposition();
    expect(samples(text, 'sluice_worker_heapUsedBytes')[0]).toMatch(
      /^sluice_worker_heapUsedBytes\{worker="main"\} \d+/,
    );
    expect(text).toContain('sluice_process_cpu_user_seconds_total');
    expect(text).toContain('sluice_nodejs_eventloop_lag_seconds');
  });

  it('rejects invalid options naming the key', () => {
    expect(() => new SluiceMetrics({ maxTasks: 0 })).toThrowError(/maxTasks/);
  });

  it('every family of the catalogue is documented in docs/metrics.md with its type and labels', () => {
    const doc = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
    const rows = new Map<string, string>();
    for (const match of doc.matchAll(
      /^\|\s*`(sluice_[A-Za-z0-9_]+)`\s*\|\s*(gauge|counter)\s*\|/gm,
    ))
      rows.set(match[1]!, match[2]!);
    for (const family of METRIC_FAMILIES)
      expect(rows.get(family.name), family.name).toBe(family.type);
    expect([...rows.keys()].sort()).toEqual(METRIC_FAMILIES.map((f) => f.name).sort());
    for (const family of METRIC_FAMILIES) {
      if (family.type === 'counter') expect(family.name).toMatch(/_total$/);
      else expect(family.name).not.toMatch(/_total$/);
    }
  });
});
