import { describe, expect, it } from 'vitest';
import {
  analyzeFlow,
  backPressureInfo,
  backpressureLevel,
} from '../../../src/server/flow-analysis.ts';
import type { FlowSample, FlowSubtaskSample } from '../../../src/server/schemas/flow.ts';

function subtask(
  index: number,
  bp: number,
  busy: number,
  pools: Partial<FlowSubtaskSample> = {},
): FlowSubtaskSample {
  return {
    subtask: index,
    backPressuredRatio: bp,
    busyRatio: busy,
    idleRatio: Math.max(0, 1 - bp - busy),
    inPoolUsage: 0,
    outPoolUsage: 0,
    ...pools,
  };
}

/** source → map → sink, one subtask each, with the given (bp, busy) per vertex. */
function pipeline(figures: [number, number][]): FlowSample {
  const ids = ['source', 'map', 'sink'];
  return {
    jid: 'job',
    timestamp: 1,
    vertices: ids.map((id, i) => ({
      id,
      name: id.toUpperCase(),
      parallelism: 1,
      subtasks: [subtask(0, figures[i]![0], figures[i]![1])],
    })),
    edges: [
      { source: 'source', target: 'map', shipStrategy: 'REBALANCE', channels: [] },
      { source: 'map', target: 'sink', shipStrategy: 'HASH', channels: [] },
    ],
  };
}

describe('backpressureLevel', () => {
  it("uses Flink's bounds: ok ≤ 0.10 < low ≤ 0.50 < high", () => {
    expect(backpressureLevel(0)).toBe('ok');
    expect(backpressureLevel(0.1)).toBe('ok');
    expect(backpressureLevel(0.1001)).toBe('low');
    expect(backpressureLevel(0.5)).toBe('low');
    expect(backpressureLevel(0.5001)).toBe('high');
    expect(backpressureLevel(1)).toBe('high');
    expect(backpressureLevel(Number.NaN)).toBe('ok');
  });
});

describe('backPressureInfo', () => {
  it('answers status deprecated without a sample, as Flink does before the first one', () => {
    expect(backPressureInfo(null)).toEqual({ status: 'deprecated' });
  });

  it('takes the vertex level from its most back-pressured subtask and clamps ratios', () => {
    const info = backPressureInfo({
      endTimestamp: 42,
      subtasks: [
        { subtask: 0, backPressuredRatio: 0.05, idleRatio: 0.9, busyRatio: 0.05 },
        { subtask: 1, backPressuredRatio: 0.7, idleRatio: -1, busyRatio: 1.5 },
      ],
    });
    expect(info).toEqual({
      status: 'ok',
      'backpressure-level': 'high',
      'end-timestamp': 42,
      subtasks: [
        {
          subtask: 0,
          'attempt-number': 0,
          'backpressure-level': 'ok',
          ratio: 0.05,
          idleRatio: 0.9,
          busyRatio: 0.05,
        },
        {
          subtask: 1,
          'attempt-number': 0,
          'backpressure-level': 'high',
          ratio: 0.7,
          idleRatio: 0,
          busyRatio: 1,
        },
      ],
    });
  });
});

describe('analyzeFlow', () => {
  it('names the busy, not back-pressured vertex whose upstream is back-pressured', () => {
    const info = analyzeFlow(
      pipeline([
        [0.9, 0.1],
        [0.02, 0.97],
        [0, 0.1],
      ]),
    );
    expect(info.verdict.bottleneck).toMatchObject({
      vertexId: 'map',
      name: 'MAP',
      busyRatio: 0.97,
      subtasks: [0],
      backPressuredUpstream: ['source'],
    });
    expect(info.verdict.candidates).toHaveLength(1);
    expect(info.verdict.reason).toContain('MAP is busy 97 %');
    expect(info.verdict.reason).toContain('SOURCE (90 %)');
    expect(info.vertices.map((v) => v['backpressure-level'])).toEqual(['high', 'ok', 'ok']);
  });

  it('finds a sink at the end of a chain of back-pressured vertices', () => {
    const info = analyzeFlow(
      pipeline([
        [0.8, 0.2],
        [0.85, 0.15],
        [0, 0.99],
      ]),
    );
    expect(info.verdict.bottleneck?.vertexId).toBe('sink');
    expect(info.verdict.bottleneck?.backPressuredUpstream).toEqual(['map']);
  });

  it('gives no bottleneck when nothing is back-pressured', () => {
    const info = analyzeFlow(
      pipeline([
        [0, 0.9],
        [0, 0.6],
        [0, 0.3],
      ]),
    );
    expect(info.verdict.bottleneck).toBeNull();
    expect(info.verdict.reason).toMatch(/no vertex is back-pressured/);
  });

  it('gives no bottleneck, and says why, when the vertex after the back pressure is idle', () => {
    const info = analyzeFlow(
      pipeline([
        [0.9, 0.1],
        [0.9, 0.1],
        [0, 0.05],
      ]),
    );
    expect(info.verdict.bottleneck).toBeNull();
    expect(info.verdict.reason).toMatch(/SOURCE, MAP are back-pressured/);
    expect(info.verdict.reason).toMatch(/outside the job/);
  });

  it('finds key skew: one hot subtask of a parallel vertex, and counts blocked channels into it', () => {
    const sample: FlowSample = {
      jid: 'job',
      timestamp: 1,
      vertices: [
        {
          id: 'src',
          name: 'Source',
          parallelism: 2,
          subtasks: [
            subtask(0, 0.6, 0.4, { outPoolUsage: 1 }),
            subtask(1, 0.55, 0.45, { outPoolUsage: 0.9 }),
          ],
        },
        {
          id: 'win',
          name: 'Window',
          parallelism: 2,
          subtasks: [
            subtask(0, 0, 0.98, { inPoolUsage: 1 }),
            subtask(1, 0, 0.2, { inPoolUsage: 0.1 }),
          ],
        },
      ],
      edges: [
        {
          source: 'src',
          target: 'win',
          shipStrategy: 'HASH',
          channels: [
            { sourceSubtask: 0, targetSubtask: 0, credit: 0, backlog: 4, queuedBuffers: 2 },
            { sourceSubtask: 1, targetSubtask: 0, credit: 0, backlog: 3, queuedBuffers: 2 },
            { sourceSubtask: 0, targetSubtask: 1, credit: 2, backlog: 0, queuedBuffers: 0 },
            { sourceSubtask: 1, targetSubtask: 1, credit: 0, backlog: 0, queuedBuffers: 0 },
          ],
        },
      ],
    };
    const info = analyzeFlow(sample);
    expect(info.verdict.bottleneck).toMatchObject({
      vertexId: 'win',
      subtasks: [0],
      blockedInputChannels: 2,
    });
    expect(info.verdict.reason).toMatch(/only subtask 0 of 2 busy: the load is skewed/);
    const edge = info.edges[0]!;
    expect(edge.blockedChannels).toBe(2);
    expect(edge.channels[0]).toMatchObject({
      credit: 0,
      backlog: 4,
      blocked: true,
      senderOutPoolUsage: 1,
      receiverInPoolUsage: 1,
    });
    // credit 0 with nothing queued is not blocked: the sender has nothing to send.
    expect(edge.channels[3]!.blocked).toBe(false);
    expect(edge.sourceRatios).toEqual({ backPressuredRatio: 0.6, busyRatio: 0.45, idleRatio: 0 });
    expect(edge.targetRatios.busyRatio).toBe(0.98);
  });

  it('ranks several candidates (parallel branches) by busy ratio', () => {
    const sample: FlowSample = {
      jid: 'job',
      timestamp: 1,
      vertices: [
        { id: 'src', name: 'Source', parallelism: 1, subtasks: [subtask(0, 0.9, 0.1)] },
        { id: 'a', name: 'SinkA', parallelism: 1, subtasks: [subtask(0, 0, 0.7)] },
        { id: 'b', name: 'SinkB', parallelism: 1, subtasks: [subtask(0, 0, 0.95)] },
      ],
      edges: [
        { source: 'src', target: 'a', shipStrategy: 'FORWARD', channels: [] },
        { source: 'src', target: 'b', shipStrategy: 'FORWARD', channels: [] },
      ],
    };
    const verdict = analyzeFlow(sample).verdict;
    expect(verdict.candidates.map((c) => c.vertexId)).toEqual(['b', 'a']);
    expect(verdict.bottleneck?.vertexId).toBe('b');
  });

  it('honours custom thresholds', () => {
    const sample = pipeline([
      [0.3, 0.7],
      [0.05, 0.4],
      [0, 0.1],
    ]);
    expect(analyzeFlow(sample).verdict.bottleneck).toBeNull();
    const lenient = analyzeFlow(sample, { backPressuredRatio: 0.1, busyRatio: 0.3 });
    expect(lenient.verdict.bottleneck?.vertexId).toBe('map');
    expect(lenient.verdict.thresholds).toEqual({ backPressuredRatio: 0.1, busyRatio: 0.3 });
  });
});
