import { createHash } from 'node:crypto';
import { SluiceError } from '../errors.ts';
import { UPPER_BOUND_MAX_PARALLELISM } from '../types/key-group-range-assignment.ts';
import type { TypeSerializerDescriptor } from '../types/type-serializer.ts';
import {
  DuplicateUidError,
  EmptyGraphError,
  ForwardParallelismError,
  GraphCycleError,
  InvalidParallelismError,
  NoSinkError,
  NotKeyedError,
} from './graph-errors.ts';
import { StreamEdge } from './stream-edge.ts';
import { StreamNode, type StreamNodeSpec } from './stream-node.ts';
import {
  ForwardPartitioner,
  KeyGroupStreamPartitioner,
  RebalancePartitioner,
  type StreamPartitioner,
} from './stream-partitioner.ts';

/** Job-wide settings a {@link StreamGraph} carries. */
export interface StreamGraphSettings {
  /** Name of the job (`pipeline.name`). */
  readonly jobName: string;
  /** Whether operators may be chained at all (`pipeline.operator-chaining.enabled`). */
  readonly chainingEnabled: boolean;
  /** Flush interval of partly filled buffers, ms (`execution.buffer-timeout`). */
  readonly bufferTimeoutMs: number;
}

/**
 * The logical graph of a job (Flink's `StreamGraph`): one {@link StreamNode} per
 * operator and one {@link StreamEdge} per connection, each edge with its partitioner.
 * Virtual operations of the API (`keyBy`, `rebalance`, `union`, ...) are not nodes:
 * they became the partitioners and the multiple inputs of edges.
 *
 * ```
 *   [1 Source: lines] -FORWARD-> [2 Flat Map] -HASH-> [3 Keyed Aggregation] -FORWARD-> [4 Sink]
 * ```
 *
 * Node ids are the declaration order of the operators, so that the main thread and
 * every worker, each building the graph from the same job module, agree on them;
 * operator ids are hashes of `uid`s (or of the position in the graph when no `uid` is
 * set), stable across builds.
 *
 * @remarks Built and validated on the main thread and on every worker alike; read-only
 * afterwards.
 */
export class StreamGraph {
  readonly jobName: string;
  readonly chainingEnabled: boolean;
  readonly bufferTimeoutMs: number;
  private readonly nodes = new Map<number, StreamNode>();
  private readonly edges: StreamEdge[] = [];

  constructor(settings: StreamGraphSettings) {
    this.jobName = settings.jobName;
    this.chainingEnabled = settings.chainingEnabled;
    this.bufferTimeoutMs = settings.bufferTimeoutMs;
  }

  /**
   * Adds a node.
   *
   * @throws SLUICE_ERR_GRAPH_INVALID_PARALLELISM when parallelism or max parallelism is out of range
   * @throws SLUICE_ERR_INTERNAL when the id is taken
   */
  addNode(spec: StreamNodeSpec): StreamNode {
    if (this.nodes.has(spec.id)) {
      throw new SluiceError(`stream node id ${spec.id} is used twice in job "${this.jobName}"`);
    }
    const node = new StreamNode(spec);
    checkParallelism(node);
    this.nodes.set(node.id, node);
    return node;
  }

  /**
   * Connects two nodes, as Flink's `StreamGraph.addEdge`: without a partitioner the edge
   * is FORWARD when both sides have the same parallelism and REBALANCE otherwise; a
   * HASH partitioner takes the target's max parallelism as its number of key groups.
   *
   * @param sourceId - upstream node id
   * @param targetId - downstream node id
   * @param partitioner - explicit partitioner (copied), or `undefined` for the default
   * @param typeNumber - input position at the target (0 for one-input operators)
   * @param outputTag - id of the side output the edge carries (`undefined` = main output)
   * @param typeSerializer - descriptor of the records' serializer (`undefined` = JSON)
   * @throws SLUICE_ERR_GRAPH_FORWARD_PARALLELISM for a FORWARD edge between different parallelisms
   */
  addEdge(
    sourceId: number,
    targetId: number,
    partitioner?: StreamPartitioner<unknown>,
    typeNumber = 0,
    outputTag?: string,
    typeSerializer?: TypeSerializerDescriptor,
  ): StreamEdge {
    const source = this.getStreamNode(sourceId);
    const target = this.getStreamNode(targetId);
    let edgePartitioner: StreamPartitioner<unknown>;
    if (partitioner === undefined) {
      edgePartitioner =
        source.parallelism === target.parallelism
          ? new ForwardPartitioner()
          : new RebalancePartitioner();
    } else {
      edgePartitioner = partitioner.copy();
    }
    if (
      edgePartitioner instanceof ForwardPartitioner &&
      source.parallelism !== target.parallelism
    ) {
      throw new ForwardParallelismError(
        `forward partitioning does not allow a change of parallelism: ${source} has parallelism ` +
          `${source.parallelism}, ${target} has ${target.parallelism}; use rebalance(), broadcast() ` +
          'or keyBy() between them, or give both the same parallelism',
        {
          details: {
            source: source.name,
            sourceParallelism: source.parallelism,
            target: target.name,
            targetParallelism: target.parallelism,
          },
        },
      );
    }
    if (edgePartitioner instanceof KeyGroupStreamPartitioner) {
      edgePartitioner.maxParallelism = target.maxParallelism;
      edgePartitioner.targetOperatorName = target.name;
    }
    const ordinal = source.outEdges.filter((e) => e.targetId === targetId).length;
    const edge = new StreamEdge(
      sourceId,
      targetId,
      edgePartitioner,
      typeNumber,
      ordinal,
      outputTag,
      typeSerializer,
    );
    source.outEdges.push(edge);
    target.inEdges.push(edge);
    this.edges.push(edge);
    return edge;
  }

  /** The node with `id`. @throws SLUICE_ERR_INTERNAL when there is none */
  getStreamNode(id: number): StreamNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new SluiceError(`job "${this.jobName}" has no stream node ${id}`);
    return node;
  }

  /** All nodes, by id. */
  getStreamNodes(): StreamNode[] {
    return [...this.nodes.values()].sort((a, b) => a.id - b.id);
  }

  /** All edges, in the order they were added. */
  getStreamEdges(): readonly StreamEdge[] {
    return this.edges;
  }

  /** Ids of the source nodes. */
  getSourceIds(): number[] {
    return this.getStreamNodes()
      .filter((n) => n.kind === 'source')
      .map((n) => n.id);
  }

  /** Ids of the sink nodes. */
  getSinkIds(): number[] {
    return this.getStreamNodes()
      .filter((n) => n.kind === 'sink')
      .map((n) => n.id);
  }

  /** Upstream node of `edge`. */
  getSourceVertex(edge: StreamEdge): StreamNode {
    return this.getStreamNode(edge.sourceId);
  }

  /** Downstream node of `edge`. */
  getTargetVertex(edge: StreamEdge): StreamNode {
    return this.getStreamNode(edge.targetId);
  }

  /**
   * Nodes in topological order; among ready nodes the smallest id first, so the order
   * is the same on every build.
   *
   * @throws SLUICE_ERR_GRAPH_CYCLE naming the nodes on cycles
   */
  topologicalOrder(): StreamNode[] {
    const remainingInputs = new Map<number, number>();
    const ready: StreamNode[] = [];
    for (const node of this.getStreamNodes()) {
      remainingInputs.set(node.id, node.inEdges.length);
      if (node.inEdges.length === 0) ready.push(node);
    }
    const order: StreamNode[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => a.id - b.id);
      const node = ready.shift()!;
      order.push(node);
      for (const edge of node.outEdges) {
        const left = remainingInputs.get(edge.targetId)! - 1;
        remainingInputs.set(edge.targetId, left);
        if (left === 0) ready.push(this.getStreamNode(edge.targetId));
      }
    }
    if (order.length < this.nodes.size) {
      const onCycle = this.getStreamNodes()
        .filter((n) => remainingInputs.get(n.id)! > 0)
        .map(String);
      throw new GraphCycleError(
        `job "${this.jobName}" has a cycle through ${onCycle.join(', ')}; streams must form a ` +
          'directed acyclic graph',
        { details: { nodes: onCycle } },
      );
    }
    return order;
  }

  /**
   * Checks the graph and assigns operator ids; called once after it is built.
   *
   * @throws SLUICE_ERR_GRAPH_EMPTY when there are no nodes
   * @throws SLUICE_ERR_GRAPH_INVALID_PARALLELISM when a parallelism is out of range
   * @throws SLUICE_ERR_GRAPH_CYCLE when the graph has a cycle
   * @throws SLUICE_ERR_GRAPH_NO_SINK when no node is a sink
   * @throws SLUICE_ERR_GRAPH_NOT_KEYED when a keyed operator has an input without keyBy
   * @throws SLUICE_ERR_GRAPH_DUPLICATE_UID when two operators share a uid
   */
  validate(): void {
    const nodes = this.getStreamNodes();
    if (nodes.length === 0) {
      throw new EmptyGraphError(
        `job "${this.jobName}" declares no operators; add a source and a sink, e.g. ` +
          'env.fromElements(1, 2, 3).print()',
      );
    }
    for (const node of nodes) checkParallelism(node);
    const order = this.topologicalOrder();
    if (!nodes.some((n) => n.kind === 'sink')) {
      throw new NoSinkError(
        `job "${this.jobName}" has no sink: its results would go nowhere; end a stream with ` +
          'sinkTo(sink), print() or executeAndCollect()',
        { details: { operators: nodes.map((n) => n.name) } },
      );
    }
    for (const node of nodes) {
      if (!node.isKeyed()) continue;
      for (const edge of node.inEdges) {
        if (edge.partitioner instanceof KeyGroupStreamPartitioner) continue;
        const input = this.getSourceVertex(edge);
        throw new NotKeyedError(
          `keyed operator ${node} reads ${input} through a ${edge.partitioner.shipStrategy} edge; ` +
            'keyed operations need a keyed input: call keyBy(...) directly before it',
          {
            details: {
              operator: node.name,
              input: input.name,
              shipStrategy: edge.partitioner.shipStrategy,
            },
          },
        );
      }
    }
    const byUid = new Map<string, StreamNode>();
    for (const node of nodes) {
      if (node.uid === undefined) continue;
      const other = byUid.get(node.uid);
      if (other !== undefined) {
        throw new DuplicateUidError(
          `uid "${node.uid}" is given to both ${other} and ${node}; every uid must be unique in a job`,
          { details: { uid: node.uid, operators: [other.name, node.name] } },
        );
      }
      byUid.set(node.uid, node);
    }
    this.assignOperatorIds(order);
  }

  /**
   * Operator ids (Flink's `StreamGraphHasherV2`): md5 of `uid` when set; otherwise of the
   * node's position in the topological order, name, kind and its inputs' ids.
   */
  private assignOperatorIds(order: StreamNode[]): void {
    order.forEach((node, position) => {
      const material =
        node.uid !== undefined
          ? `uid\u0000${node.uid}`
          : [
              'auto',
              position,
              node.name,
              node.kind,
              ...node.inEdges.map((e) => this.getStreamNode(e.sourceId).operatorId),
            ].join('\u0000');
      node.operatorId = createHash('md5').update(material).digest('hex');
    });
  }
}

function checkParallelism(node: StreamNode): void {
  const { parallelism: p, maxParallelism: maxP } = node;
  if (!Number.isInteger(maxP) || maxP < 1 || maxP > UPPER_BOUND_MAX_PARALLELISM) {
    throw new InvalidParallelismError(
      `max parallelism of ${node} is ${maxP}; it must be an integer in [1, ${UPPER_BOUND_MAX_PARALLELISM}] ` +
        '(setMaxParallelism() or pipeline.max-parallelism)',
      { details: { operator: node.name, maxParallelism: maxP } },
    );
  }
  if (!Number.isInteger(p) || p < 1 || p > maxP) {
    throw new InvalidParallelismError(
      `parallelism of ${node} is ${p}; it must be an integer in [1, ${maxP}] (its max parallelism); ` +
        'fix setParallelism() / parallelism.default, or raise pipeline.max-parallelism',
      { details: { operator: node.name, parallelism: p, maxParallelism: maxP } },
    );
  }
}
