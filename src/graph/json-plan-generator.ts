import type { ExecutionPlan } from './execution-plan.ts';

/**
 * One input of a plan node: Flink's `/jobs/:id/plan` input fields.
 */
export interface JobPlanInputJson {
  /** Input position at the target. */
  num: number;
  /** Id of the upstream vertex. */
  id: string;
  /** `FORWARD`, `REBALANCE`, `HASH` or `BROADCAST`. */
  ship_strategy: string;
  /** Result partition type; always `pipelined_bounded` (streaming). */
  exchange: string;
}

/** One operator inside a plan node (Sluice addition). */
export interface JobPlanOperatorJson {
  /** Operator id (32 hex). */
  id: string;
  /** Declaration-order id of the stream node. */
  node_id: number;
  name: string;
  /** User-given uid, or `null`. */
  uid: string | null;
  /** Runtime operator class (`StreamMap`, `StreamGroupedReduce`, ...). */
  operator: string;
  /** Whether the operator keeps keyed state. */
  keyed: boolean;
}

/** One vertex of the plan: Flink's node fields plus Sluice's. */
export interface JobPlanNodeJson {
  /** Vertex id (the head operator's id). */
  id: string;
  parallelism: number;
  /** Chained operator names (`Source: lines -> Flat Map`). */
  operator: string;
  /** Always `''` (Flink's batch optimizer field). */
  operator_strategy: string;
  /** Chained operator descriptions, joined as the names are. */
  description: string;
  /** Incoming exchanges; empty for sources. */
  inputs: JobPlanInputJson[];
  /** Always `{}` (Flink's batch optimizer field). */
  optimizer_properties: Record<string, never>;
  /** Sluice: number of key groups. */
  max_parallelism: number;
  /** Sluice: slot sharing group. */
  slot_sharing_group: string;
  /** Sluice: the chained operators, head first. */
  chain: JobPlanOperatorJson[];
}

/** One slot of the plan (Sluice addition). */
export interface JobPlanSlotJson {
  slot: number;
  slot_sharing_group: string;
  /** `[vertexId, subtaskIndex]` pairs placed in the slot. */
  subtasks: { id: string; subtask: number }[];
}

/**
 * A job's execution plan as plain JSON, shaped like Flink's `GET /jobs/:id/plan`
 * (`{jid, name, type, nodes:[{id, parallelism, operator, description, inputs:[{num,
 * id, ship_strategy, exchange}]}]}`) with Sluice's chain and slot fields added.
 */
export interface JobPlanJson {
  jid: string;
  name: string;
  type: 'STREAMING';
  nodes: JobPlanNodeJson[];
  /** Sluice: slots the job occupies. */
  slots: number;
  /** Sluice: what each slot runs. */
  slot_assignments: JobPlanSlotJson[];
}

/** A plan as JSON and as readable text: the value of `explain()`. */
export interface Explanation {
  json: JobPlanJson;
  text: string;
}

/**
 * Renders execution plans (Flink's `JsonPlanGenerator`) as JSON, and that JSON as
 * readable text. The text is derived from the JSON only, so the REST layer can render
 * a stored plan the same way.
 */
export class JsonPlanGenerator {
  /**
   * @param plan - an execution plan
   * @returns the plan as plain, JSON-serialisable data
   */
  static generatePlan(plan: ExecutionPlan): JobPlanJson {
    const { jobGraph } = plan;
    const nodes = jobGraph.vertices.map((vertex): JobPlanNodeJson => {
      const descriptions = vertex.chainedNodes.map((n) => n.description);
      return {
        id: vertex.id,
        parallelism: vertex.parallelism,
        operator: vertex.name,
        operator_strategy: '',
        description: descriptions.join(' -> '),
        inputs: vertex.inputs.map((edge) => ({
          num: edge.inputIndex,
          id: edge.source.id,
          ship_strategy: edge.shipStrategy,
          exchange: 'pipelined_bounded',
        })),
        optimizer_properties: {},
        max_parallelism: vertex.maxParallelism,
        slot_sharing_group: vertex.slotSharingGroup,
        chain: vertex.chainedNodes.map((n) => ({
          id: n.operatorId,
          node_id: n.id,
          name: n.name,
          uid: n.uid ?? null,
          operator: n.operatorClass,
          keyed: n.isKeyed(),
        })),
      };
    });
    return {
      jid: jobGraph.jobId,
      name: jobGraph.jobName,
      type: 'STREAMING',
      nodes,
      slots: plan.numberOfSlots,
      slot_assignments: plan.slots.map((slot) => ({
        slot: slot.slotIndex,
        slot_sharing_group: slot.slotSharingGroup,
        subtasks: slot.subtasks.map((s) => ({ id: s.vertex.id, subtask: s.subtaskIndex })),
      })),
    };
  }

  /**
   * Renders plan JSON as text: one block per vertex (its chained operators and its
   * inputs with ship strategy and parallelism), then the slots.
   *
   * ```
   * Job "word count" (jid 6f1e…): 2 vertices, 1 slot
   *
   * Vertex 1: Source: lines -> Flat Map
   *   parallelism 1, max parallelism 128, slot sharing group "default", id 9b0c…
   *   operators:
   *     [1] Source: lines                   SourceOperator
   *     [2] Flat Map                        StreamFlatMap
   * Vertex 2: Keyed Aggregation -> Sink: Collect
   *   ...
   *   inputs:
   *     #0 <- vertex 1 HASH, 1 -> 1 subtasks (all to all)
   * ```
   *
   * @param json - plan JSON from {@link generatePlan}
   * @returns multi-line text, ending with a newline
   */
  static renderText(json: JobPlanJson): string {
    const indexOf = new Map(json.nodes.map((n, i) => [n.id, i + 1]));
    const byId = new Map(json.nodes.map((n) => [n.id, n]));
    const vertices = `${json.nodes.length} ${json.nodes.length === 1 ? 'vertex' : 'vertices'}`;
    const slots = `${json.slots} ${json.slots === 1 ? 'slot' : 'slots'}`;
    const lines: string[] = [`Job "${json.name}" (jid ${json.jid}): ${vertices}, ${slots}`, ''];
    const width = Math.max(
      20,
      ...json.nodes.flatMap((n) =>
        n.chain.map((o) => o.name.length + String(o.node_id).length + 3),
      ),
    );
    for (const [i, node] of json.nodes.entries()) {
      lines.push(`Vertex ${i + 1}: ${node.operator}`);
      lines.push(
        `  parallelism ${node.parallelism}, max parallelism ${node.max_parallelism}, ` +
          `slot sharing group "${node.slot_sharing_group}", id ${node.id}`,
      );
      if (node.inputs.length > 0) {
        lines.push('  inputs:');
        for (const input of node.inputs) {
          const upstream = byId.get(input.id);
          const pointwise = input.ship_strategy === 'FORWARD';
          lines.push(
            `    #${input.num} <- vertex ${indexOf.get(input.id) ?? '?'} ${input.ship_strategy}, ` +
              `${upstream?.parallelism ?? '?'} -> ${node.parallelism} subtasks ` +
              `(${pointwise ? 'pointwise' : 'all to all'})`,
          );
        }
      }
      lines.push('  operators:');
      for (const op of node.chain) {
        const label = `[${op.node_id}] ${op.name}`;
        const notes = [
          op.operator,
          op.keyed ? 'keyed' : '',
          op.uid === null ? '' : `uid "${op.uid}"`,
        ]
          .filter((s) => s !== '')
          .join(', ');
        lines.push(`    ${label.padEnd(width)}  ${notes}`);
      }
    }
    lines.push('');
    lines.push(
      'Slots (subtask i of every vertex of a slot sharing group in slot i of that group):',
    );
    for (const slot of json.slot_assignments) {
      const members = slot.subtasks.map((s) => `vertex ${indexOf.get(s.id)} #${s.subtask}`);
      lines.push(`  slot ${slot.slot} ("${slot.slot_sharing_group}"): ${members.join(', ')}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** JSON and text of a plan: what `explain()` returns. */
  static explain(plan: ExecutionPlan): Explanation {
    const json = JsonPlanGenerator.generatePlan(plan);
    return { json, text: JsonPlanGenerator.renderText(json) };
  }
}
