import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import {
  CheckpointStatsTracker,
  percentile,
} from '../../../../src/runtime/checkpoint/checkpoint-stats-tracker.ts';
import { emptyCheckpointingStatistics } from '../../../../src/runtime/job-checkpoint-operations.ts';
import { CheckpointingStatistics } from '../../../../src/server/schemas/checkpoints.ts';

const T0 = 1_700_000_000_000;

function expectValid(tracker: CheckpointStatsTracker) {
  const stats = tracker.statistics();
  const errors = [...Value.Errors(CheckpointingStatistics, stats)].slice(0, 3);
  expect(errors).toEqual([]);
  expect(Value.Check(CheckpointingStatistics, stats)).toBe(true);
  const { counts } = stats;
  expect(counts.total).toBe(counts.in_progress + counts.completed + counts.failed);
  return stats;
}

/** Checkpoint `id`: triggered at T0 + id·1000, two acks, completed after `durationMs`. */
function complete(
  tracker: CheckpointStatsTracker,
  id: number,
  durationMs: number,
  sizeBytes = 100,
) {
  const trigger = T0 + id * 1000;
  tracker.reportPending(id, 'CHECKPOINT', trigger, 2);
  tracker.reportAck(id, {
    stateSizeBytes: sizeBytes / 2,
    ackTimestampMs: trigger + durationMs - 1,
  });
  tracker.reportAck(id, {
    stateSizeBytes: sizeBytes / 2,
    alignmentDurationMs: 3,
    ackTimestampMs: trigger + durationMs,
  });
  tracker.reportCompleted(id, `/chk/job/chk-${id}`, sizeBytes, trigger + durationMs);
}

describe('CheckpointStatsTracker', () => {
  it('starts as the empty statistics, valid against the schema', () => {
    const tracker = new CheckpointStatsTracker();
    expect(expectValid(tracker)).toEqual(emptyCheckpointingStatistics());
    expect(tracker.jobMetrics()).toEqual({
      numberOfCompletedCheckpoints: 0,
      numberOfFailedCheckpoints: 0,
      numberOfInProgressCheckpoints: 0,
    });
  });

  it('follows a checkpoint from pending through acks to completed', () => {
    const tracker = new CheckpointStatsTracker();
    tracker.reportPending(1, 'CHECKPOINT', T0, 3);
    let stats = expectValid(tracker);
    expect(stats.counts).toEqual({
      restored: 0,
      total: 1,
      in_progress: 1,
      completed: 0,
      failed: 0,
    });
    expect(stats.history[0]).toMatchObject({
      id: 1,
      status: 'IN_PROGRESS',
      latest_ack_timestamp: -1,
      num_subtasks: 3,
      num_acknowledged_subtasks: 0,
    });
    tracker.reportAck(1, { stateSizeBytes: 10, ackTimestampMs: T0 + 40, alignmentDurationMs: 7 });
    tracker.reportAck(1, { stateSizeBytes: 20, ackTimestampMs: T0 + 30 });
    stats = expectValid(tracker);
    expect(stats.history[0]).toMatchObject({
      num_acknowledged_subtasks: 2,
      state_size: 30,
      latest_ack_timestamp: T0 + 40,
      end_to_end_duration: 40,
    });
    expect(tracker.maxAlignmentDurationMs(1)).toBe(7);
    tracker.reportAck(1, { stateSizeBytes: 5, ackTimestampMs: T0 + 50 });
    tracker.reportCompleted(1, '/chk/job/chk-1', 35, T0 + 60);
    stats = expectValid(tracker);
    expect(stats.counts).toEqual({
      restored: 0,
      total: 1,
      in_progress: 0,
      completed: 1,
      failed: 0,
    });
    expect(stats.latest.completed).toEqual({
      id: 1,
      status: 'COMPLETED',
      is_savepoint: false,
      checkpoint_type: 'CHECKPOINT',
      trigger_timestamp: T0,
      latest_ack_timestamp: T0 + 50,
      state_size: 35,
      checkpointed_size: 35,
      end_to_end_duration: 60,
      alignment_buffered: 0,
      num_subtasks: 3,
      num_acknowledged_subtasks: 3,
      external_path: '/chk/job/chk-1',
    });
    expect(stats.latest.savepoint).toBeNull();
    expect(stats.history).toEqual([stats.latest.completed]);
    expect(tracker.jobMetrics()).toEqual({
      numberOfCompletedCheckpoints: 1,
      numberOfFailedCheckpoints: 0,
      numberOfInProgressCheckpoints: 0,
      lastCheckpointDuration: 60,
      lastCheckpointSize: 35,
    });
    // late or repeated reports change nothing
    tracker.reportAck(1, { stateSizeBytes: 999, ackTimestampMs: T0 + 999 });
    tracker.reportCompleted(1, '/elsewhere', 1, T0 + 999);
    tracker.reportFailed(1, T0 + 999, 'late');
    tracker.reportAck(42, { stateSizeBytes: 1, ackTimestampMs: T0 });
    expect(tracker.statistics()).toEqual(stats);
  });

  it('keeps savepoints, failures and restores apart in latest', () => {
    const tracker = new CheckpointStatsTracker();
    complete(tracker, 1, 10);
    tracker.reportPending(2, 'SAVEPOINT', T0 + 2000, 2);
    tracker.reportCompleted(2, '/savepoints/savepoint-abcdef-0123456789ab', 200, T0 + 2100);
    tracker.reportPending(3, 'CHECKPOINT', T0 + 3000, 2);
    tracker.reportFailed(3, T0 + 3500, 'checkpoint 3 expired after 500 ms');
    tracker.reportRestored(1, 'CHECKPOINT', '/chk/job/chk-1', T0 + 4000);
    const stats = expectValid(tracker);
    expect(stats.counts).toEqual({
      restored: 1,
      total: 3,
      in_progress: 0,
      completed: 2,
      failed: 1,
    });
    expect(stats.latest.completed?.id).toBe(1);
    expect(stats.latest.savepoint).toMatchObject({
      id: 2,
      is_savepoint: true,
      checkpoint_type: 'SAVEPOINT',
      external_path: '/savepoints/savepoint-abcdef-0123456789ab',
      end_to_end_duration: 100,
    });
    expect(stats.latest.failed).toMatchObject({
      id: 3,
      status: 'FAILED',
      failure_timestamp: T0 + 3500,
      failure_message: 'checkpoint 3 expired after 500 ms',
      end_to_end_duration: 500,
    });
    expect(stats.latest.restored).toEqual({
      id: 1,
      restore_timestamp: T0 + 4000,
      is_savepoint: false,
      external_path: '/chk/job/chk-1',
    });
    expect(stats.history.map((h) => [h.id, h.status])).toEqual([
      [3, 'FAILED'],
      [2, 'COMPLETED'],
      [1, 'COMPLETED'],
    ]);
    expect(tracker.jobMetrics()).toMatchObject({
      numberOfCompletedCheckpoints: 2,
      numberOfFailedCheckpoints: 1,
      lastCheckpointDuration: 100,
      lastCheckpointSize: 200,
    });
  });

  it('history is most recent first and bounded; in-progress ones still count after leaving it', () => {
    const tracker = new CheckpointStatsTracker({ historySize: 3 });
    tracker.reportPending(1, 'CHECKPOINT', T0, 1);
    for (let id = 2; id <= 6; id++) complete(tracker, id, id);
    let stats = expectValid(tracker);
    expect(stats.history.map((h) => h.id)).toEqual([6, 5, 4]);
    expect(stats.counts.in_progress).toBe(1);
    tracker.reportCompleted(1, '/chk/job/chk-1', 1, T0 + 10);
    stats = expectValid(tracker);
    expect(stats.counts).toMatchObject({ in_progress: 0, completed: 6, total: 6 });
    expect(stats.history.map((h) => h.id)).toEqual([6, 5, 4]);
    expect(new CheckpointStatsTracker({ historySize: 0 }).statistics().history).toEqual([]);
  });

  it('summaries: min/max/avg and Commons Math percentiles over the last completed ones', () => {
    const tracker = new CheckpointStatsTracker();
    const order = [...Array(100).keys()].map((i) => ((i * 37) % 100) + 1); // 1..100 shuffled
    for (const [i, duration] of order.entries()) complete(tracker, i + 1, duration, duration * 10);
    const { summary } = expectValid(tracker);
    expect(summary.end_to_end_duration).toEqual({
      min: 1,
      max: 100,
      avg: 50.5,
      p50: 50.5,
      p90: expect.closeTo(90.9, 9),
      p95: expect.closeTo(95.95, 9),
      p99: expect.closeTo(99.99, 9),
      p999: 100,
    });
    expect(summary.state_size).toMatchObject({ min: 10, max: 1000, avg: 505, p50: 505 });
    expect(summary.checkpointed_size).toEqual(summary.state_size);

    const windowed = new CheckpointStatsTracker({ summaryWindowSize: 10 });
    for (let id = 1; id <= 25; id++) complete(windowed, id, id);
    expect(windowed.statistics().summary.end_to_end_duration).toMatchObject({
      min: 16,
      max: 25,
      avg: 20.5,
    });
  });

  it('percentile of one value is that value; refuses invalid options', () => {
    expect(percentile([7], 0.5)).toBe(7);
    expect(percentile([1, 2], 0.999)).toBe(2);
    expect(percentile([1, 2], 0.1)).toBe(1);
    expect(new CheckpointStatsTracker({ historySize: undefined }).options.historySize).toBe(10);
    expect(() => new CheckpointStatsTracker({ historySize: -1 })).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }),
    );
  });
});
