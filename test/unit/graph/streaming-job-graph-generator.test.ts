import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../../src/api/stream-execution-environment.ts';
import { DiscardingSink } from '../../../src/connectors/discard/discarding-sink.ts';
import type { JobGraph } from '../../../src/graph/job-graph.ts';
import {
  isChainable,
  StreamingJobGraphGenerator,
} from '../../../src/graph/streaming-job-graph-generator.ts';

/** Vertex names, in topological order. */
function vertices(env: StreamExecutionEnvironment): string[] {
  return env.getJobGraph().vertices.map((v) => v.name);
}

function wordCountShape(env: StreamExecutionEnvironment) {
  return env
    .fromElements('a b', 'b c')
    .map((line) => line.toUpperCase())
    .filter((line) => line.length > 0)
    .keyBy((line) => line)
    .reduce((a, b) => a + b);
}

describe('chaining (Flink StreamingJobGraphGenerator.isChainable)', () => {
  it('source → map → filter → keyBy → reduce → sink at parallelism 1 has exactly two vertices', () => {
    const env = new StreamExecutionEnvironment();
    wordCountShape(env).sinkTo(new DiscardingSink());
    const jobGraph: JobGraph = env.getJobGraph();
    expect(jobGraph.vertices.map((v) => v.name)).toEqual([
      'Source: Collection Source -> Map -> Filter',
      'Keyed Reduce -> Sink: Writer',
    ]);
    expect(jobGraph.vertices.map((v) => v.chainedNodes.length)).toEqual([3, 2]);
    const [first, second] = jobGraph.vertices;
    expect(second!.inputs).toHaveLength(1);
    expect(second!.inputs[0]!.source).toBe(first);
    expect(second!.inputs[0]!.shipStrategy).toBe('HASH');
    expect(first!.outputs).toEqual(second!.inputs);
  });

  it('chains across forward edges only: rebalance and broadcast start new vertices', () => {
    const env = new StreamExecutionEnvironment();
    const s = env.fromElements(1, 2, 3);
    s.rebalance()
      .map((x) => x)
      .name('after rebalance')
      .sinkTo(new DiscardingSink());
    s.broadcast()
      .map((x) => x)
      .name('after broadcast')
      .sinkTo(new DiscardingSink());
    expect(vertices(env)).toEqual([
      'Source: Collection Source',
      'after rebalance -> Sink: Writer',
      'after broadcast -> Sink: Writer',
    ]);
  });

  it('a parallelism change splits the chain (the default edge becomes REBALANCE)', () => {
    const env = new StreamExecutionEnvironment();
    env
      .fromElements(1, 2, 3)
      .map((x) => x)
      .setParallelism(2)
      .filter((x) => x > 1)
      .setParallelism(2)
      .sinkTo(new DiscardingSink())
      .setParallelism(2);
    const jobGraph = env.getJobGraph();
    expect(jobGraph.vertices.map((v) => [v.name, v.parallelism])).toEqual([
      ['Source: Collection Source', 1],
      ['Map -> Filter -> Sink: Writer', 2],
    ]);
    expect(jobGraph.vertices[1]!.inputs[0]!.shipStrategy).toBe('REBALANCE');
  });

  it('disableChaining() isolates an operator on both sides', () => {
    const env = new StreamExecutionEnvironment();
    env
      .fromElements(1)
      .map((x) => x)
      .map((x) => x)
      .name('lonely')
      .disableChaining()
      .map((x) => x)
      .sinkTo(new DiscardingSink());
    expect(vertices(env)).toEqual([
      'Source: Collection Source -> Map',
      'lonely',
      'Map -> Sink: Writer',
    ]);
  });

  it('startNewChain() starts a chain that its successors still join', () => {
    const env = new StreamExecutionEnvironment();
    env
      .fromElements(1)
      .map((x) => x)
      .map((x) => x)
      .name('head')
      .startNewChain()
      .map((x) => x)
      .sinkTo(new DiscardingSink());
    expect(vertices(env)).toEqual([
      'Source: Collection Source -> Map',
      'head -> Map -> Sink: Writer',
    ]);
  });

  it('different slot sharing groups are never chained; the group is inherited downstream', () => {
    const env = new StreamExecutionEnvironment();
    env
      .fromElements(1)
      .map((x) => x)
      .slotSharingGroup('heavy')
      .map((x) => x)
      .sinkTo(new DiscardingSink());
    const jobGraph = env.getJobGraph();
    expect(jobGraph.vertices.map((v) => [v.name, v.slotSharingGroup])).toEqual([
      ['Source: Collection Source', 'default'],
      ['Map -> Map -> Sink: Writer', 'heavy'],
    ]);
  });

  it('a union makes a vertex with several inputs, never chained', () => {
    const env = new StreamExecutionEnvironment();
    const a = env.fromElements(1).name('a');
    const b = env.fromElements(2).name('b');
    a.union(b)
      .map((x) => x)
      .sinkTo(new DiscardingSink());
    const jobGraph = env.getJobGraph();
    expect(jobGraph.vertices.map((v) => v.name)).toEqual([
      'Source: a',
      'Source: b',
      'Map -> Sink: Writer',
    ]);
    const map = jobGraph.vertices[2]!;
    expect(map.inputs.map((e) => [e.source.name, e.shipStrategy, e.inputIndex])).toEqual([
      ['Source: a', 'FORWARD', 0],
      ['Source: b', 'FORWARD', 1],
    ]);
  });

  it('branches chain as A -> (B, C), as Flink names them', () => {
    const env = new StreamExecutionEnvironment();
    const s = env.fromElements(1);
    s.map((x) => x)
      .name('B')
      .sinkTo(new DiscardingSink())
      .name('b');
    s.map((x) => x)
      .name('C')
      .sinkTo(new DiscardingSink())
      .name('c');
    expect(vertices(env)).toEqual(['Source: Collection Source -> (B -> Sink: b, C -> Sink: c)']);
  });

  it('env.disableOperatorChaining() makes every operator its own vertex', () => {
    const env = new StreamExecutionEnvironment().disableOperatorChaining();
    wordCountShape(env).sinkTo(new DiscardingSink());
    expect(vertices(env)).toEqual([
      'Source: Collection Source',
      'Map',
      'Filter',
      'Keyed Reduce',
      'Sink: Writer',
    ]);
  });

  it('isChainable checks each rule on the stream graph', () => {
    const env = new StreamExecutionEnvironment();
    wordCountShape(env).sinkTo(new DiscardingSink());
    const graph = env.getStreamGraph();
    const verdicts = graph.getStreamEdges().map((e) => [e.toString(), isChainable(e, graph)]);
    expect(verdicts).toEqual([
      ['1 -FORWARD-> 2', true],
      ['2 -FORWARD-> 3', true],
      ['3 -HASH-> 4', false],
      ['4 -FORWARD-> 5', true],
    ]);
    expect(StreamingJobGraphGenerator.createJobGraph(graph).vertices).toHaveLength(2);
  });

  it('is deterministic: two builds give the same ids and fingerprint', () => {
    const build = (): JobGraph => {
      const env = new StreamExecutionEnvironment({ parallelism: 3 });
      wordCountShape(env).print();
      return env.getJobGraph();
    };
    const [a, b] = [build(), build()];
    expect(a.jobId).toBe(b.jobId);
    expect(a.vertices.map((v) => v.id)).toEqual(b.vertices.map((v) => v.id));
    expect(a.fingerprint()).toBe(b.fingerprint());
  });
});
