import { describe, expect, it } from 'vitest';
import { MonotonicCounter } from '../../../src/metrics/metric-series-store.ts';
import { TaskIOMetricGroup } from '../../../src/metrics/task-io-metric-group.ts';

const identity = { jobId: 'j', jobName: 'n', vertexId: 'v', taskName: 'Map', subtaskIndex: 1 };

describe('TaskIOMetricGroup', () => {
  it('splits each window into idle, back-pressured and busy ms per second', () => {
    let now = 0;
    const io = new TaskIOMetricGroup(identity, () => now);
    io.numRecordsIn += 10;
    io.markIdleStart(100);
    io.markIdleEnd(300); // 200 ms idle
    io.markBackPressuredStart(400);
    io.markBackPressuredEnd(500); // 100 ms
    io.markBackPressuredStart(600);
    io.markBackPressuredEnd(850); // 250 ms: the longest wait
    now = 1000;
    const s = io.snapshot({ inPoolUsage: 0.5 });
    expect(s).toMatchObject({
      ...identity,
      numRecordsIn: 10,
      idleTimeMsPerSecond: 200,
      backPressuredTimeMsPerSecond: 350,
      busyTimeMsPerSecond: 450,
      maxHardBackPressuredTimeMs: 250,
      isBackPressured: false,
      inPoolUsage: 0.5,
    });
  });

  it('splits an interval still open at snapshot time between windows', () => {
    let now = 0;
    const io = new TaskIOMetricGroup(identity, () => now);
    io.markBackPressuredStart(500);
    expect(io.isBackPressured()).toBe(true);
    now = 1000;
    const first = io.snapshot();
    expect(first.backPressuredTimeMsPerSecond).toBe(500);
    expect(first.isBackPressured).toBe(true);
    io.markBackPressuredEnd(1500);
    now = 2000;
    const second = io.snapshot();
    expect(second.backPressuredTimeMsPerSecond).toBe(500);
    expect(second.busyTimeMsPerSecond).toBe(500);
    expect(second.isBackPressured).toBe(false);
  });

  it('counters stay cumulative across snapshots; a zero-length window reports zeros', () => {
    let now = 0;
    const io = new TaskIOMetricGroup(identity, () => now);
    io.numRecordsOut = 5;
    const s = io.snapshot();
    expect(s).toMatchObject({ numRecordsOut: 5, busyTimeMsPerSecond: 0, idleTimeMsPerSecond: 0 });
    io.numRecordsOut += 5;
    now = 10;
    expect(io.snapshot().numRecordsOut).toBe(10);
  });

  it('snapshots are structured-clone safe (they cross threads by postMessage)', () => {
    const io = new TaskIOMetricGroup(identity);
    const s = io.snapshot({
      channels: [{ gate: 0, channel: 0, credit: 1, backlog: 2, queuedBuffers: 0 }],
    });
    expect(structuredClone(s)).toEqual(s);
  });
});

describe('MonotonicCounter', () => {
  it('adds differences, treats a smaller reading as a restart and ignores garbage', () => {
    const c = new MonotonicCounter();
    c.update(10);
    c.update(15);
    c.update(3);
    c.update(Number.NaN);
    c.update(-1);
    c.update(undefined);
    c.update(4);
    expect(c.total).toBe(19);
  });
});
