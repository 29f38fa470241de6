import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../../src/api/stream-execution-environment.ts';
import { DiscardingSink } from '../../../src/connectors/discard/discarding-sink.ts';
import { StreamGraph } from '../../../src/graph/stream-graph.ts';
import type { StreamNodeKind, StreamNodeSpec } from '../../../src/graph/stream-node.ts';
import {
  ForwardPartitioner,
  KeyGroupStreamPartitioner,
  RebalancePartitioner,
} from '../../../src/graph/stream-partitioner.ts';
import { StreamMap } from '../../../src/runtime/operators/stream-map.ts';

function spec(
  id: number,
  kind: StreamNodeKind,
  extra: Partial<StreamNodeSpec> = {},
): StreamNodeSpec {
  return {
    id,
    kind,
    name: `${kind} ${id}`,
    parallelism: 1,
    maxParallelism: 128,
    slotSharingGroup: 'default',
    chainingStrategy: 'ALWAYS',
    operatorClass: 'StreamMap',
    operatorFactory: () => new StreamMap(`op ${id}`, { map: (v: unknown) => v }),
    ...extra,
  };
}

function graph(): StreamGraph {
  return new StreamGraph({ jobName: 'test', chainingEnabled: true, bufferTimeoutMs: 100 });
}

describe('StreamGraph', () => {
  it('defaults edges to FORWARD at equal parallelism and REBALANCE otherwise', () => {
    const g = graph();
    g.addNode(spec(1, 'source'));
    g.addNode(spec(2, 'operator'));
    g.addNode(spec(3, 'sink', { parallelism: 2 }));
    expect(g.addEdge(1, 2).partitioner).toBeInstanceOf(ForwardPartitioner);
    expect(g.addEdge(2, 3).partitioner).toBeInstanceOf(RebalancePartitioner);
  });

  it('rejects forward() between different parallelisms, naming both', () => {
    const g = graph();
    g.addNode(spec(1, 'source', { parallelism: 2 }));
    g.addNode(spec(2, 'sink', { parallelism: 3 }));
    expect(() => g.addEdge(1, 2, new ForwardPartitioner())).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_GRAPH_FORWARD_PARALLELISM',
        message: expect.stringMatching(
          /"source 1" \(id 1\) has parallelism 2, "sink 2" \(id 2\) has 3/,
        ),
      }),
    );
  });

  it('gives a hash partitioner the key groups of its target', () => {
    const g = graph();
    g.addNode(spec(1, 'source'));
    g.addNode(spec(2, 'sink', { maxParallelism: 64 }));
    const edge = g.addEdge(
      1,
      2,
      new KeyGroupStreamPartitioner({ getKey: (v: unknown) => String(v) }),
    );
    expect((edge.partitioner as KeyGroupStreamPartitioner<unknown, string>).maxParallelism).toBe(
      64,
    );
  });

  it('detects a cycle and names the operators on it', () => {
    const g = graph();
    g.addNode(spec(1, 'source'));
    g.addNode(spec(2, 'operator'));
    g.addNode(spec(3, 'operator'));
    g.addNode(spec(4, 'sink'));
    g.addEdge(1, 2);
    g.addEdge(2, 3);
    g.addEdge(3, 2);
    g.addEdge(3, 4);
    expect(() => g.validate()).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_GRAPH_CYCLE',
        message: expect.stringContaining('"operator 2" (id 2), "operator 3" (id 3)'),
      }),
    );
  });

  it('rejects a keyed operator whose input is not keyed', () => {
    const g = graph();
    g.addNode(spec(1, 'source'));
    g.addNode(
      spec(2, 'operator', { name: 'Keyed Reduce', stateKeySelector: { getKey: (v) => String(v) } }),
    );
    g.addNode(spec(3, 'sink'));
    g.addEdge(1, 2);
    g.addEdge(2, 3);
    expect(() => g.validate()).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_GRAPH_NOT_KEYED',
        message: expect.stringMatching(/"Keyed Reduce".*FORWARD edge.*keyBy/),
      }),
    );
  });

  it('rejects an empty job and a job without sink', () => {
    expect(() => graph().validate()).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_GRAPH_EMPTY' }),
    );
    const env = new StreamExecutionEnvironment();
    env.fromElements(1, 2).map((x) => x + 1);
    expect(() => env.getStreamGraph()).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_GRAPH_NO_SINK',
        message: expect.stringContaining('sinkTo(sink), print() or executeAndCollect()'),
      }),
    );
  });

  it('rejects a parallelism outside [1, maxParallelism], naming the operator', () => {
    const env = new StreamExecutionEnvironment({ maxParallelism: 4 });
    env
      .fromElements(1)
      .map((x) => x)
      .name('Too wide')
      .setParallelism(8)
      .sinkTo(new DiscardingSink());
    expect(() => env.getStreamGraph()).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_GRAPH_INVALID_PARALLELISM',
        message: expect.stringMatching(
          /"Too wide" \(id 2\) is 8; it must be an integer in \[1, 4\]/,
        ),
      }),
    );
  });

  it('rejects two operators with the same uid', () => {
    const env = new StreamExecutionEnvironment();
    const s = env.fromElements(1).uid('same');
    s.map((x) => x)
      .uid('same')
      .print();
    expect(() => env.getStreamGraph()).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_GRAPH_DUPLICATE_UID',
        message: expect.stringContaining('"same"'),
      }),
    );
  });

  it('derives stable operator ids: from the uid when set, from the position otherwise', () => {
    const build = (uid?: string): string[] => {
      const env = new StreamExecutionEnvironment();
      const m = env.fromElements(1).map((x) => x);
      if (uid !== undefined) m.uid(uid);
      m.print();
      return env
        .getStreamGraph()
        .getStreamNodes()
        .map((n) => n.operatorId);
    };
    expect(build()).toEqual(build());
    expect(build('mapper')[1]).toBe(build('mapper')[1]);
    expect(build('mapper')[1]).not.toBe(build()[1]);
    for (const id of build()) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});
