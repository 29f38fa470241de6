import type { Key, KeySelector } from '../api/functions.ts';
import type {
  OneInputTransformation,
  SinkTransformation,
  SourceTransformation,
  Transformation,
} from '../api/transformation.ts';
import { SourceOperator } from '../runtime/operators/source-operator.ts';
import type { StreamOperator } from '../runtime/operators/stream-operator.ts';
import { StreamSink } from '../runtime/operators/stream-sink.ts';
import type { TypeSerializerDescriptor } from '../types/type-serializer.ts';
import { StreamGraph, type StreamGraphSettings } from './stream-graph.ts';
import type { StreamNodeSpec } from './stream-node.ts';
import type { StreamPartitioner } from './stream-partitioner.ts';

/** Job-wide defaults for {@link StreamGraphGenerator.generate}. */
export interface StreamGraphGeneratorSettings extends StreamGraphSettings {
  /** Parallelism of operators that set none (`parallelism.default`). */
  readonly defaultParallelism: number;
  /** Max parallelism of operators that set none (`pipeline.max-parallelism`). */
  readonly defaultMaxParallelism: number;
  /** Period of sources' watermark emission (`pipeline.auto-watermark-interval`, ms; default 200). */
  readonly autoWatermarkIntervalMs?: number;
}

/** The name of the slot sharing group of operators that set none and inherit none. */
export const DEFAULT_SLOT_SHARING_GROUP = 'default';

/** A physical upstream node of an input, with the partitioner and side output its virtual path set. */
interface ResolvedInput {
  readonly nodeId: number;
  readonly partitioner: StreamPartitioner<unknown> | undefined;
  readonly outputTag?: string | undefined;
  /** Serializer descriptor of the node's declared output type (side outputs: none). */
  readonly type?: TypeSerializerDescriptor | undefined;
}

/**
 * Translates the transformations recorded by the DataStream API into a validated
 * {@link StreamGraph} (Flink's `StreamGraphGenerator`).
 *
 * Physical transformations become nodes (id = transformation id). Virtual ones are
 * resolved into edges: a `PartitionTransformation` sets the partitioner of the edges
 * out of its input (the outermost partitioning wins), a `UnionTransformation` gives its
 * consumer one edge per input. Unset settings are resolved here: parallelism and max
 * parallelism from the job's defaults, the slot sharing group from the inputs (Flink's
 * rule: the inputs' group when they all agree, else `default`).
 *
 * @remarks Pure function of the transformations and settings.
 */
export class StreamGraphGenerator {
  /**
   * @param transformations - every transformation the job registered, in declaration order
   * @param settings - job-wide settings and defaults
   * @returns the validated stream graph, operator ids assigned
   * @throws SLUICE_ERR_GRAPH_* when the graph is invalid (see `StreamGraph.validate`)
   */
  static generate(
    transformations: readonly Transformation<unknown>[],
    settings: StreamGraphGeneratorSettings,
  ): StreamGraph {
    const graph = new StreamGraph(settings);
    const resolved = new Map<Transformation<unknown>, ResolvedInput[]>();

    const resolve = (t: Transformation<unknown>): ResolvedInput[] => {
      const known = resolved.get(t);
      if (known !== undefined) return known;
      let result: ResolvedInput[];
      switch (t.kind) {
        case 'partition': {
          const { input, partitioner } = t as unknown as {
            input: Transformation<unknown>;
            partitioner: StreamPartitioner<unknown>;
          };
          result = resolve(input).map((r) => ({ ...r, partitioner }));
          break;
        }
        case 'sideOutput': {
          const { input, outputTag } = t as unknown as {
            input: Transformation<unknown>;
            outputTag: string;
          };
          result = resolve(input).map((r) => ({ ...r, outputTag, type: undefined }));
          break;
        }
        case 'union':
          result = t.getInputs().flatMap((input) => resolve(input));
          break;
        default:
          addPhysical(t);
          result = [{ nodeId: t.id, partitioner: undefined, type: t.getOutputType()?.descriptor }];
      }
      resolved.set(t, result);
      return result;
    };

    const addPhysical = (t: Transformation<unknown>): void => {
      const inputs = t.getInputs().flatMap((input) => resolve(input));
      const spec: StreamNodeSpec = {
        ...physicalSpec(t, settings.autoWatermarkIntervalMs ?? 200),
        id: t.id,
        name: t.name,
        uid: t.uid,
        description: t.description,
        parallelism: t.parallelism ?? settings.defaultParallelism,
        maxParallelism: t.maxParallelism ?? settings.defaultMaxParallelism,
        slotSharingGroup: t.slotSharingGroup ?? inheritedGroup(graph, inputs),
        chainingStrategy: t.chainingStrategy,
      };
      graph.addNode(spec);
      for (const input of inputs) {
        graph.addEdge(input.nodeId, t.id, input.partitioner, 0, input.outputTag, input.type);
      }
    };

    for (const t of transformations) resolve(t);
    graph.validate();
    return graph;
  }
}

/** Flink's `determineSlotSharingGroup` for an operator that set none. */
function inheritedGroup(graph: StreamGraph, inputs: readonly ResolvedInput[]): string {
  let group: string | undefined;
  for (const input of inputs) {
    const candidate = graph.getStreamNode(input.nodeId).slotSharingGroup;
    if (group === undefined) group = candidate;
    else if (group !== candidate) return DEFAULT_SLOT_SHARING_GROUP;
  }
  return group ?? DEFAULT_SLOT_SHARING_GROUP;
}

type PhysicalSpec = Pick<
  StreamNodeSpec,
  'kind' | 'operatorClass' | 'operatorFactory' | 'stateKeySelector' | 'source' | 'sink'
>;

function physicalSpec(t: Transformation<unknown>, autoWatermarkIntervalMs: number): PhysicalSpec {
  switch (t.kind) {
    case 'source': {
      const { source, name, watermarkStrategy } = t as SourceTransformation<unknown>;
      return {
        kind: 'source',
        operatorClass: 'SourceOperator',
        operatorFactory: () =>
          new SourceOperator(name, source, watermarkStrategy, autoWatermarkIntervalMs),
        source,
      };
    }
    case 'sink': {
      const { sink, name } = t as SinkTransformation<unknown>;
      return {
        kind: 'sink',
        operatorClass: 'StreamSink',
        operatorFactory: () => new StreamSink(name, sink),
        sink,
      };
    }
    default: {
      const op = t as OneInputTransformation<unknown, unknown>;
      return {
        kind: 'operator',
        operatorClass: op.operatorClass,
        operatorFactory: () => op.operatorFactory(op.name) as StreamOperator<unknown>,
        stateKeySelector: op.stateKeySelector as KeySelector<unknown, Key> | undefined,
      };
    }
  }
}
