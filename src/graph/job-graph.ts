import type { JobEdge } from './job-edge.ts';
import type { JobVertex } from './job-vertex.ts';
import type { StreamGraph } from './stream-graph.ts';

/**
 * The physical graph of a job (Flink's `JobGraph`): vertices are operator chains,
 * edges are exchanges. Produced from a {@link StreamGraph} by the
 * `StreamingJobGraphGenerator`; the execution plan places its subtasks in slots.
 *
 * @remarks Built on the main thread and on every worker alike; read-only.
 */
export class JobGraph {
  /** Id of the job, 32 hex characters. */
  readonly jobId: string;
  readonly jobName: string;
  /** Vertices in topological order (`vertex.index` = position + 1). */
  readonly vertices: readonly JobVertex[];
  /** The logical graph it was made from. */
  readonly streamGraph: StreamGraph;

  constructor(jobId: string, streamGraph: StreamGraph, vertices: readonly JobVertex[]) {
    this.jobId = jobId;
    this.jobName = streamGraph.jobName;
    this.streamGraph = streamGraph;
    this.vertices = vertices;
  }

  /** Flush interval of partly filled buffers, ms (`execution.buffer-timeout`). */
  get bufferTimeoutMs(): number {
    return this.streamGraph.bufferTimeoutMs;
  }

  /** The vertex with `id`, or `undefined`. */
  getVertex(id: string): JobVertex | undefined {
    return this.vertices.find((v) => v.id === id);
  }

  /** All exchanges, by target vertex then input index. */
  getEdges(): JobEdge[] {
    return this.vertices.flatMap((v) => v.inputs);
  }

  /**
   * A string that differs whenever two builds of a job differ in anything the runtime
   * relies on: vertices, chained operators, parallelism, slot sharing, exchanges.
   * Workers compare it with the main thread's to detect non-deterministic job modules.
   */
  fingerprint(): string {
    return JSON.stringify(
      this.vertices.map((v) => [
        v.id,
        v.parallelism,
        v.maxParallelism,
        v.slotSharingGroup,
        v.chainedNodes.map((n) => [n.id, n.operatorId, n.name, n.kind]),
        // The record type too: both ends of an exchange must agree on the serializer.
        v.inputs.map((e) => [
          e.source.id,
          e.shipStrategy,
          e.inputIndex,
          e.streamEdge.typeSerializer,
        ]),
      ]),
    );
  }
}
