import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../../src/api/stream-execution-environment.ts';
import { DiscardingSink } from '../../../src/connectors/discard/discarding-sink.ts';
import { ExecutionPlan } from '../../../src/graph/execution-plan.ts';

function pipeline(env: StreamExecutionEnvironment): void {
  env
    .fromElements(1, 2, 3)
    .map((x) => x * 2)
    .setParallelism(3)
    .keyBy((x) => x % 2)
    .reduce((a, b) => a + b)
    .setParallelism(2)
    .sinkTo(new DiscardingSink())
    .setParallelism(2);
}

describe('ExecutionPlan (slot sharing)', () => {
  it('puts subtask i of every vertex in slot i; slots = highest parallelism', () => {
    const env = new StreamExecutionEnvironment();
    pipeline(env);
    const plan = env.getExecutionPlan();
    expect(plan.numberOfSlots).toBe(3);
    const layout = plan.slots.map((s) =>
      s.subtasks.map((t) => `${t.vertex.index}#${t.subtaskIndex}`),
    );
    // vertices: 1 = source (p1), 2 = map (p3), 3 = reduce -> sink (p2)
    expect(layout).toEqual([['1#0', '2#0', '3#0'], ['2#1', '3#1'], ['2#2']]);
    const reduce = plan.jobGraph.vertices[2]!;
    expect(plan.slotOf(reduce.id, 1)).toBe(1);
  });

  it('gives each slot sharing group its own slots', () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromElements(1)
      .map((x) => x)
      .slotSharingGroup('other')
      .setParallelism(3)
      .print();
    const plan = env.getExecutionPlan();
    // default: the source (p1); other: the map (p3) and the print sink it passes the group to (p2)
    expect(plan.slots.map((s) => [s.slotIndex, s.slotSharingGroup, s.subtasks.length])).toEqual([
      [0, 'default', 1],
      [1, 'other', 2],
      [2, 'other', 2],
      [3, 'other', 1],
    ]);
  });

  it('fails when the job needs more slots than taskmanager.numberOfTaskSlots', () => {
    const env = new StreamExecutionEnvironment({ numberOfTaskSlots: 2 });
    pipeline(env);
    expect(() => env.getExecutionPlan()).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_GRAPH_NOT_ENOUGH_SLOTS',
        message: expect.stringContaining(
          'needs 3 slots (per slot sharing group: "default": 3) but taskmanager.numberOfTaskSlots is 2',
        ),
      }),
    );
    expect(ExecutionPlan.create(env.getJobGraph(), { numberOfTaskSlots: 3 }).numberOfSlots).toBe(3);
  });
});
