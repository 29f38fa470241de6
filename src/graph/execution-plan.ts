import { NotEnoughSlotsError } from './graph-errors.ts';
import type { JobGraph } from './job-graph.ts';
import type { JobVertex } from './job-vertex.ts';

/** Options of {@link ExecutionPlan.create}. */
export interface ExecutionPlanOptions {
  /**
   * Slots available (`taskmanager.numberOfTaskSlots`, one worker thread each). When
   * unset, the plan takes as many as it needs (the local executor's behaviour, like
   * Flink's MiniCluster).
   */
  readonly numberOfTaskSlots?: number | undefined;
}

/** One subtask placed in a slot. */
export interface SubtaskPlacement {
  /** The vertex. */
  readonly vertex: JobVertex;
  /** Index of the subtask, `0 ≤ subtaskIndex < vertex.parallelism`. */
  readonly subtaskIndex: number;
}

/** The subtasks one slot (one worker) runs. */
export interface SlotAssignment {
  /** Index of the slot, from 0. */
  readonly slotIndex: number;
  /** Slot sharing group the slot serves. */
  readonly slotSharingGroup: string;
  /** Subtasks in the slot, in vertex order. */
  readonly subtasks: readonly SubtaskPlacement[];
}

/**
 * Where every subtask of a job runs (Flink's slot sharing, without a scheduler):
 * subtask i of every vertex of a slot sharing group goes to slot i of that group, so
 * one slot holds a whole pipeline slice and a forward or chained exchange never leaves
 * its worker.
 *
 * ```
 *   group "default", vertices A (p=2), B (p=2), C (p=1)
 *   slot 0: A#0  B#0  C#0
 *   slot 1: A#1  B#1
 * ```
 *
 * A group needs as many slots as its most parallel vertex; groups do not share slots,
 * so the job needs the sum over its groups (with only the default group: the highest
 * parallelism of any vertex).
 *
 * @remarks Built on the main thread; plain data apart from the vertex references.
 */
export class ExecutionPlan {
  readonly jobGraph: JobGraph;
  /** Slots the job occupies. */
  readonly numberOfSlots: number;
  /** What each slot runs, by slot index. */
  readonly slots: readonly SlotAssignment[];
  private readonly slotByVertex: Map<string, number>;

  private constructor(
    jobGraph: JobGraph,
    slots: SlotAssignment[],
    slotByVertex: Map<string, number>,
  ) {
    this.jobGraph = jobGraph;
    this.slots = slots;
    this.numberOfSlots = slots.length;
    this.slotByVertex = slotByVertex;
  }

  /**
   * Places the subtasks of `jobGraph` in slots.
   *
   * @param jobGraph - the job graph
   * @param options - the slots available
   * @returns the plan
   * @throws SLUICE_ERR_GRAPH_NOT_ENOUGH_SLOTS when the job needs more slots than available
   */
  static create(jobGraph: JobGraph, options: ExecutionPlanOptions = {}): ExecutionPlan {
    const groups = new Map<string, JobVertex[]>();
    for (const vertex of jobGraph.vertices) {
      const members = groups.get(vertex.slotSharingGroup) ?? [];
      members.push(vertex);
      groups.set(vertex.slotSharingGroup, members);
    }
    const slots: SlotAssignment[] = [];
    const slotByVertex = new Map<string, number>();
    const needs: string[] = [];
    for (const [group, members] of groups) {
      const width = Math.max(...members.map((v) => v.parallelism));
      needs.push(`"${group}": ${width}`);
      const first = slots.length;
      for (let i = 0; i < width; i++) {
        const subtasks = members
          .filter((v) => i < v.parallelism)
          .map((vertex) => ({ vertex, subtaskIndex: i }));
        slots.push({ slotIndex: first + i, slotSharingGroup: group, subtasks });
      }
      for (const vertex of members) slotByVertex.set(vertex.id, first);
    }
    const available = options.numberOfTaskSlots;
    if (available !== undefined && slots.length > available) {
      throw new NotEnoughSlotsError(
        `job "${jobGraph.jobName}" needs ${slots.length} slots (per slot sharing group: ` +
          `${needs.join(', ')}) but taskmanager.numberOfTaskSlots is ${available}; lower the ` +
          'parallelism, put operators in fewer slot sharing groups, or raise taskmanager.numberOfTaskSlots',
        {
          details: {
            required: slots.length,
            available,
            groups: Object.fromEntries(
              [...groups].map(([g, m]) => [g, Math.max(...m.map((v) => v.parallelism))]),
            ),
          },
        },
      );
    }
    return new ExecutionPlan(jobGraph, slots, slotByVertex);
  }

  /**
   * Slot of a subtask.
   *
   * @param vertexId - id of the vertex
   * @param subtaskIndex - index of the subtask
   * @returns the slot index
   */
  slotOf(vertexId: string, subtaskIndex: number): number {
    const first = this.slotByVertex.get(vertexId);
    if (first === undefined) throw new RangeError(`no vertex ${vertexId} in the plan`);
    return first + subtaskIndex;
  }
}
