import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../../src/api/stream-execution-environment.ts';
import { CollectSink } from '../../../src/connectors/collect/collect-sink.ts';

function spec(parallelism: number): StreamExecutionEnvironment {
  const env = new StreamExecutionEnvironment({ parallelism, jobName: 'plan test' });
  env
    .fromElements('a b', 'c')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .keyBy((line) => line)
    .reduce((a, b) => a + b)
    .uid('reducer')
    .sinkTo(new CollectSink<string>())
    .name('results');
  return env;
}

const ids = (text: string): string => text.replaceAll(/[0-9a-f]{32}/g, '<id>');

describe('explain()', () => {
  it('renders source → map → filter → keyBy → reduce → sink as two chained vertices', () => {
    const { text } = spec(1).explain();
    expect(ids(text)).toBe(
      [
        'Job "plan test" (jid <id>): 2 vertices, 1 slot',
        '',
        'Vertex 1: Source: Collection Source -> Map -> Filter',
        '  parallelism 1, max parallelism 128, slot sharing group "default", id <id>',
        '  operators:',
        '    [1] Source: Collection Source  SourceOperator',
        '    [2] Map                        StreamMap',
        '    [3] Filter                     StreamFilter',
        'Vertex 2: Keyed Reduce -> Sink: results',
        '  parallelism 1, max parallelism 128, slot sharing group "default", id <id>',
        '  inputs:',
        '    #0 <- vertex 1 HASH, 1 -> 1 subtasks (all to all)',
        '  operators:',
        '    [4] Keyed Reduce               StreamGroupedReduce, keyed, uid "reducer"',
        '    [5] Sink: results              StreamSink',
        '',
        'Slots (subtask i of every vertex of a slot sharing group in slot i of that group):',
        '  slot 0 ("default"): vertex 1 #0, vertex 2 #0',
        '',
      ].join('\n'),
    );
  });

  it('returns plan JSON shaped like Flink /jobs/:id/plan', () => {
    const env = spec(2);
    const { json } = env.explain();
    const jobGraph = env.getJobGraph('plan test');
    expect(json.jid).toBe(jobGraph.jobId);
    expect(json).toMatchObject({ name: 'plan test', type: 'STREAMING', slots: 2 });
    // p=2: the collection source stays at parallelism 1 (as in Flink), so map and filter
    // form their own vertex behind a REBALANCE edge.
    expect(json.nodes.map((n) => [n.operator, n.parallelism])).toEqual([
      ['Source: Collection Source', 1],
      ['Map -> Filter', 2],
      ['Keyed Reduce -> Sink: results', 2],
    ]);
    const [source, map, reduce] = json.nodes;
    expect(source).toMatchObject({
      id: jobGraph.vertices[0]!.id,
      inputs: [],
      optimizer_properties: {},
    });
    expect(map!.inputs).toEqual([
      { num: 0, id: source!.id, ship_strategy: 'REBALANCE', exchange: 'pipelined_bounded' },
    ]);
    expect(reduce!.inputs).toEqual([
      { num: 0, id: map!.id, ship_strategy: 'HASH', exchange: 'pipelined_bounded' },
    ]);
    expect(reduce!.chain.map((o) => [o.name, o.uid, o.operator, o.keyed])).toEqual([
      ['Keyed Reduce', 'reducer', 'StreamGroupedReduce', true],
      ['Sink: results', null, 'StreamSink', false],
    ]);
    expect(json.nodes.map((n) => n.id)).toEqual(jobGraph.vertices.map((v) => v.id));
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.slot_assignments.map((s) => s.subtasks.length)).toEqual([3, 2]);
  });
});
