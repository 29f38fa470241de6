import { createHash } from 'node:crypto';
import { ChainingStrategy } from '../runtime/operators/stream-operator.ts';
import { JobEdge } from './job-edge.ts';
import { JobGraph } from './job-graph.ts';
import { JobVertex } from './job-vertex.ts';
import type { StreamEdge } from './stream-edge.ts';
import type { StreamGraph } from './stream-graph.ts';
import type { StreamNode } from './stream-node.ts';
import { ForwardPartitioner } from './stream-partitioner.ts';

/**
 * Whether two operators allow chaining by their chaining strategies (Flink's
 * `StreamingJobGraphGenerator.areOperatorsChainable`): the upstream must not be `NEVER`,
 * the downstream must be `ALWAYS` (`HEAD` — `startNewChain()` — and `NEVER` —
 * `disableChaining()` — start a new chain), and a source is never chained to anything
 * upstream of it.
 */
export function areOperatorsChainable(upstream: StreamNode, downstream: StreamNode): boolean {
  if (upstream.chainingStrategy === ChainingStrategy.NEVER) return false;
  if (downstream.chainingStrategy !== ChainingStrategy.ALWAYS) return false;
  return downstream.kind !== 'source';
}

/**
 * Flink's chaining rule (`StreamingJobGraphGenerator.isChainable`): an edge is fused
 * into a direct call when
 *
 * 1. the downstream operator has exactly this one input edge (no union, no second input),
 * 2. both operators are in the same slot sharing group,
 * 3. their chaining strategies allow it ({@link areOperatorsChainable}),
 * 4. the edge is FORWARD (keyBy, rebalance and broadcast always exchange),
 * 5. both have the same parallelism, and
 * 6. chaining is enabled for the job (`pipeline.operator-chaining.enabled`).
 *
 * @param edge - an edge of `graph`
 * @param graph - the logical graph
 * @returns `true` when the target runs in the same task as the source, called directly
 */
export function isChainable(edge: StreamEdge, graph: StreamGraph): boolean {
  const upstream = graph.getSourceVertex(edge);
  const downstream = graph.getTargetVertex(edge);
  return (
    downstream.inEdges.length === 1 &&
    upstream.slotSharingGroup === downstream.slotSharingGroup &&
    areOperatorsChainable(upstream, downstream) &&
    edge.partitioner instanceof ForwardPartitioner &&
    upstream.parallelism === downstream.parallelism &&
    graph.chainingEnabled
  );
}

interface Chain {
  readonly nodes: StreamNode[];
  readonly chainedEdges: StreamEdge[];
}

/**
 * Turns a {@link StreamGraph} into a {@link JobGraph} (Flink's
 * `StreamingJobGraphGenerator`): walks the operators in topological order, starts a
 * chain at every operator that cannot be chained to its input, and grows each chain
 * along chainable edges ({@link isChainable}). Every remaining edge becomes a
 * {@link JobEdge}: an exchange between two tasks.
 *
 * ```
 *   Source → Map → Filter ─HASH─► Reduce → Sink      (parallelism 1 everywhere)
 *   └──── vertex 1 ──────┘        └─ vertex 2 ─┘
 * ```
 *
 * @remarks Pure function of the graph: the same graph gives the same vertices and ids.
 */
export class StreamingJobGraphGenerator {
  /**
   * Validates `streamGraph` and builds its job graph.
   *
   * @param streamGraph - the logical graph
   * @param jobId - id of the job; defaults to a hash of the job's name and operator ids,
   *   stable across builds (the runtime passes a fresh id per submission)
   * @returns the job graph
   * @throws SLUICE_ERR_GRAPH_* from {@link StreamGraph.validate}
   */
  static createJobGraph(streamGraph: StreamGraph, jobId?: string): JobGraph {
    streamGraph.validate();
    const order = streamGraph.topologicalOrder();
    const chains: Chain[] = [];
    const chainOf = new Map<number, Chain>();

    for (const node of order) {
      if (chainOf.has(node.id)) continue;
      const chain: Chain = { nodes: [], chainedEdges: [] };
      chains.push(chain);
      const grow = (member: StreamNode): void => {
        chain.nodes.push(member);
        chainOf.set(member.id, chain);
        for (const edge of member.outEdges) {
          if (!isChainable(edge, streamGraph)) continue;
          chain.chainedEdges.push(edge);
          grow(streamGraph.getTargetVertex(edge));
        }
      };
      grow(node);
    }

    const vertexOf = new Map<Chain, JobVertex>();
    const vertices = chains.map((chain, i) => {
      const vertex = new JobVertex(
        i + 1,
        chainedName(chain.nodes[0]!, streamGraph),
        chain.nodes,
        chain.chainedEdges,
      );
      vertexOf.set(chain, vertex);
      return vertex;
    });

    for (const target of vertices) {
      for (const streamEdge of target.headNode.inEdges) {
        const source = vertexOf.get(chainOf.get(streamEdge.sourceId)!)!;
        const jobEdge = new JobEdge(source, target, streamEdge, target.inputs.length);
        target.inputs.push(jobEdge);
        source.outputs.push(jobEdge);
      }
    }

    const id =
      jobId ??
      createHash('md5')
        .update(`job\u0000${streamGraph.jobName}\u0000${vertices.map((v) => v.id).join(',')}`)
        .digest('hex');
    return new JobGraph(id, streamGraph, vertices);
  }
}

/**
 * Flink's `createChainedName`: `A -> B` for one chained output, `A -> (B, C)` for several.
 */
function chainedName(node: StreamNode, graph: StreamGraph): string {
  const chained = node.outEdges.filter((e) => isChainable(e, graph));
  if (chained.length === 0) return node.name;
  const names = chained.map((e) => chainedName(graph.getTargetVertex(e), graph));
  return names.length === 1
    ? `${node.name} -> ${names[0]}`
    : `${node.name} -> (${names.join(', ')})`;
}
