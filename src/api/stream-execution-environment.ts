import { Type } from 'typebox';
import type { Configuration } from '../config/configuration.ts';
import { CoreOptions } from '../config/options.ts';
import { compileOptions } from '../config/validate.ts';
import { CollectSink } from '../connectors/collect/collect-sink.ts';
import { CollectionSource } from '../connectors/collection/collection-source.ts';
import { DataGeneratorSource } from '../connectors/datagen/data-generator-source.ts';
import { ExecutionPlan } from '../graph/execution-plan.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import { type Explanation, JsonPlanGenerator } from '../graph/json-plan-generator.ts';
import type { StreamGraph } from '../graph/stream-graph.ts';
import { StreamGraphGenerator } from '../graph/stream-graph-generator.ts';
import { StreamingJobGraphGenerator } from '../graph/streaming-job-graph-generator.ts';
import type { TypeInformation } from '../types/type-information.ts';
import type { Source } from './connector/source.ts';
import { DataStream, DataStreamSource } from './data-stream.ts';
import { InvalidApiUseError } from './invalid-api-use-error.ts';
import {
  type JobExecutionResult,
  LocalExecutor,
  type LocalExecutorOptions,
} from './local/local-executor.ts';
import { PipelineOptions } from './pipeline-options.ts';
import { SourceTransformation, type Transformation } from './transformation.ts';
import { WatermarkStrategy } from './watermark-strategy.ts';

/** Options of a {@link StreamExecutionEnvironment}; each maps to a Flink configuration key. */
export interface StreamExecutionEnvironmentOptions {
  /**
   * Parallelism of operators that set none (`parallelism.default`).
   * @defaultValue 1 (subtasks)
   */
  parallelism: number;
  /**
   * Number of key groups, the upper bound of any parallelism (`pipeline.max-parallelism`).
   * @defaultValue 128 (key groups)
   */
  maxParallelism: number;
  /**
   * Flush interval of partly filled network buffers (`execution.buffer-timeout`); 0 =
   * after every record.
   * @defaultValue 100 (ms)
   */
  bufferTimeoutMs: number;
  /**
   * Whether operators may be chained (`pipeline.operator-chaining.enabled`).
   * @defaultValue true
   */
  chainingEnabled: boolean;
  /**
   * Slots available to the job (`taskmanager.numberOfTaskSlots`); unset = as many as
   * the plan needs (local execution).
   * @defaultValue `undefined` (slots)
   */
  numberOfTaskSlots?: number | undefined;
  /**
   * Name of the job (`pipeline.name`).
   * @defaultValue `'Sluice Streaming Job'`
   */
  jobName: string;
  /**
   * Period of periodic watermark emission by sources and
   * `assignTimestampsAndWatermarks` (`pipeline.auto-watermark-interval`); 0 = only
   * watermarks a generator emits from `onEvent`.
   * @defaultValue 200 (ms)
   */
  autoWatermarkIntervalMs: number;
}

/** Defaults of {@link StreamExecutionEnvironmentOptions}. */
export const defaultStreamExecutionEnvironmentOptions: StreamExecutionEnvironmentOptions = {
  parallelism: 1,
  maxParallelism: 128,
  bufferTimeoutMs: 100,
  chainingEnabled: true,
  jobName: 'Sluice Streaming Job',
  autoWatermarkIntervalMs: 200,
};

const validateOptions = compileOptions(
  Type.Object({
    parallelism: Type.Integer({ minimum: 1 }),
    maxParallelism: Type.Integer({ minimum: 1, maximum: 32768 }),
    bufferTimeoutMs: Type.Number({ minimum: 0 }),
    chainingEnabled: Type.Boolean(),
    numberOfTaskSlots: Type.Optional(Type.Integer({ minimum: 1 })),
    jobName: Type.String({ minLength: 1 }),
    autoWatermarkIntervalMs: Type.Number({ minimum: 0 }),
  }),
  'StreamExecutionEnvironment',
);

/** Options of {@link StreamExecutionEnvironment.executeLocal}. */
export interface LocalExecutionOptions
  extends Partial<Omit<LocalExecutorOptions, 'numberOfTaskSlots'>> {
  /** Job name (default: the environment's). */
  jobName?: string | undefined;
  /** Cancels the job. */
  signal?: AbortSignal | undefined;
}

/** Re-applied to every per-slot rebuild of a job (e.g. the collect sink of `executeAndCollect`). */
type Extension = (env: StreamExecutionEnvironment) => void;

/**
 * The context a job is declared in (Flink's `StreamExecutionEnvironment`): job-wide
 * settings, the sources, and the record of every transformation; it turns them into a
 * `StreamGraph`, a `JobGraph` and an execution plan, explains the plan, and runs the
 * job locally.
 *
 * ```ts
 * const env = StreamExecutionEnvironment.getExecutionEnvironment({ parallelism: 2 });
 * env.fromElements('to be or not to be').flatMap(split).keyBy(([w]) => w).sum(1).print();
 * console.log(env.explain().text);
 * await env.executeLocal();
 * ```
 *
 * Determinism: ids come from declaration order, so declaring the same job twice gives
 * the same graph — the main thread and every worker rely on it.
 *
 * @remarks One per job build, on the thread that builds it; not shared between threads.
 */
export class StreamExecutionEnvironment {
  /** Identity token of this environment: streams of two environments never mix. */
  readonly token: object = {};
  private options: StreamExecutionEnvironmentOptions;
  private readonly transformations: Transformation<unknown>[] = [];
  private readonly byId = new Map<number, Transformation<unknown>>();
  private lastId = 0;
  private lastVirtualId = 0;
  private rebuilder: (() => StreamExecutionEnvironment) | undefined;
  private readonly extensions: Extension[] = [];

  /**
   * @param options - job-wide settings (defaults: {@link defaultStreamExecutionEnvironmentOptions})
   * @throws SLUICE_ERR_CONFIG_INVALID naming the invalid option
   */
  constructor(options: Partial<StreamExecutionEnvironmentOptions> = {}) {
    this.options = validateOptions({ ...defaultStreamExecutionEnvironmentOptions, ...options });
  }

  /** A new environment (Flink's `getExecutionEnvironment`). */
  static getExecutionEnvironment(
    options: Partial<StreamExecutionEnvironmentOptions> = {},
  ): StreamExecutionEnvironment {
    return new StreamExecutionEnvironment(options);
  }

  /**
   * A new environment configured from Flink-style keys: `parallelism.default`,
   * `pipeline.max-parallelism`, `execution.buffer-timeout`,
   * `pipeline.operator-chaining.enabled`, `pipeline.name`, and
   * `taskmanager.numberOfTaskSlots` when set explicitly.
   *
   * @param configuration - the loaded configuration
   * @param overrides - options that win over the configuration
   */
  static fromConfiguration(
    configuration: Configuration,
    overrides: Partial<StreamExecutionEnvironmentOptions> = {},
  ): StreamExecutionEnvironment {
    const slots = CoreOptions.NUMBER_OF_TASK_SLOTS;
    return new StreamExecutionEnvironment({
      parallelism: configuration.get(CoreOptions.PARALLELISM),
      maxParallelism: configuration.get(CoreOptions.MAX_PARALLELISM),
      bufferTimeoutMs: configuration.get(CoreOptions.BUFFER_TIMEOUT),
      chainingEnabled: configuration.get(PipelineOptions.OPERATOR_CHAINING),
      jobName:
        configuration.get(PipelineOptions.NAME) ?? defaultStreamExecutionEnvironmentOptions.jobName,
      numberOfTaskSlots: configuration.contains(slots.key) ? configuration.get(slots) : undefined,
      autoWatermarkIntervalMs: configuration.get(CoreOptions.AUTO_WATERMARK_INTERVAL),
      ...overrides,
    });
  }

  /** The current settings. */
  getOptions(): Readonly<StreamExecutionEnvironmentOptions> {
    return this.options;
  }

  /** Sets the default parallelism. @throws SLUICE_ERR_CONFIG_INVALID unless a positive integer */
  setParallelism(parallelism: number): this {
    return this.update({ parallelism });
  }

  getParallelism(): number {
    return this.options.parallelism;
  }

  /** Sets the number of key groups. @throws SLUICE_ERR_CONFIG_INVALID unless in [1, 32768] */
  setMaxParallelism(maxParallelism: number): this {
    return this.update({ maxParallelism });
  }

  getMaxParallelism(): number {
    return this.options.maxParallelism;
  }

  /** Sets `execution.buffer-timeout` (ms; 0 = flush after every record). */
  setBufferTimeout(timeoutMs: number): this {
    return this.update({ bufferTimeoutMs: timeoutMs });
  }

  getBufferTimeout(): number {
    return this.options.bufferTimeoutMs;
  }

  /** Sets `pipeline.auto-watermark-interval` (ms; 0 = no periodic watermarks). */
  setAutoWatermarkInterval(intervalMs: number): this {
    return this.update({ autoWatermarkIntervalMs: intervalMs });
  }

  getAutoWatermarkInterval(): number {
    return this.options.autoWatermarkIntervalMs;
  }

  /** Turns chaining off for the whole job: every operator becomes its own task. */
  disableOperatorChaining(): this {
    return this.update({ chainingEnabled: false });
  }

  isChainingEnabled(): boolean {
    return this.options.chainingEnabled;
  }

  /**
   * Adds a source (Flink's `fromSource`); its node is named `Source: <sourceName>`.
   *
   * @param source - the source
   * @param watermarkStrategy - timestamps and watermarks of the source's records
   * @param sourceName - name of the source
   * @param type - the records' type (Flink's `typeInfo` argument); default: the
   *   source's `getProducedType()`, else undeclared (JSON on exchanges)
   */
  fromSource<T>(
    source: Source<T>,
    watermarkStrategy: WatermarkStrategy<T>,
    sourceName: string,
    type?: TypeInformation<T>,
  ): DataStreamSource<T> {
    if (typeof sourceName !== 'string' || sourceName.trim() === '') {
      throw new InvalidApiUseError(
        `fromSource(): give the source a non-empty name, got ${JSON.stringify(sourceName)}`,
      );
    }
    const t = new SourceTransformation<T>(
      this.nextId(),
      this.token,
      `Source: ${sourceName}`,
      source,
      watermarkStrategy,
    );
    if (type !== undefined) t.declaredType = type;
    this.addOperator(t);
    return new DataStreamSource<T>(this, t);
  }

  /**
   * A bounded stream of the given elements, at parallelism 1 (Flink's `fromElements`);
   * its node is `Source: Collection Source`.
   */
  fromElements<T>(...elements: T[]): DataStreamSource<T> {
    return this.fromCollection(elements);
  }

  /** A bounded stream of the elements of `data`, copied now, at parallelism 1. */
  fromCollection<T>(data: Iterable<T>): DataStreamSource<T> {
    const source = new CollectionSource<T>(data);
    return this.fromSource(
      source,
      WatermarkStrategy.noWatermarks<T>(),
      'Collection Source',
    ).setParallelism(1);
  }

  /**
   * The numbers `from` to `to` inclusive (Flink's `fromSequence`), split across the
   * environment's parallelism; node `Source: Sequence Source`.
   */
  fromSequence(from: number, to: number): DataStreamSource<number> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) {
      throw new InvalidApiUseError(
        `fromSequence(${from}, ${to}): give safe integers with from ≤ to`,
      );
    }
    const source = new DataGeneratorSource((i) => from + i, to - from + 1);
    return this.fromSource(source, WatermarkStrategy.noWatermarks<number>(), 'Sequence Source');
  }

  /**
   * The job's logical graph, validated.
   *
   * @param jobName - job name (default: `pipeline.name`)
   * @throws SLUICE_ERR_GRAPH_* when the job is invalid
   */
  getStreamGraph(jobName?: string): StreamGraph {
    const { options } = this;
    return StreamGraphGenerator.generate(this.transformations, {
      jobName: jobName ?? options.jobName,
      chainingEnabled: options.chainingEnabled,
      bufferTimeoutMs: options.bufferTimeoutMs,
      defaultParallelism: options.parallelism,
      defaultMaxParallelism: options.maxParallelism,
      autoWatermarkIntervalMs: options.autoWatermarkIntervalMs,
    });
  }

  /**
   * The job's physical graph: operator chains and exchanges.
   *
   * @param jobName - job name (default: `pipeline.name`)
   * @param jobId - job id (default: a hash of the job, stable across builds)
   * @throws SLUICE_ERR_GRAPH_* when the job is invalid
   */
  getJobGraph(jobName?: string, jobId?: string): JobGraph {
    return StreamingJobGraphGenerator.createJobGraph(this.getStreamGraph(jobName), jobId);
  }

  /**
   * Where each subtask runs.
   *
   * @throws SLUICE_ERR_GRAPH_NOT_ENOUGH_SLOTS when `numberOfTaskSlots` is too small
   */
  getExecutionPlan(jobName?: string): ExecutionPlan {
    return ExecutionPlan.create(this.getJobGraph(jobName), {
      numberOfTaskSlots: this.options.numberOfTaskSlots,
    });
  }

  /**
   * The execution plan as JSON (shaped like Flink's `/jobs/:id/plan`) and as text.
   *
   * @throws SLUICE_ERR_GRAPH_* when the job is invalid or needs too many slots
   */
  explain(jobName?: string): Explanation {
    return JsonPlanGenerator.explain(this.getExecutionPlan(jobName));
  }

  /**
   * Runs the job in this thread with the {@link LocalExecutor}, all parallel subtasks
   * included. When the environment was built by a job definition (`defineJob`), every
   * slot runs operators of its own fresh build of the job, as every worker will.
   *
   * @param options - job name, abort signal, executor tuning
   * @returns state, run time and record counts
   * @throws SLUICE_ERR_GRAPH_* when the job is invalid
   * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when user code throws
   */
  async executeLocal(options: LocalExecutionOptions | string = {}): Promise<JobExecutionResult> {
    const { jobName, signal, ...executorOptions } =
      typeof options === 'string' ? { jobName: options } : options;
    const jobGraph = this.getJobGraph(jobName);
    const rebuild = this.rebuilder;
    const graphForSlot =
      rebuild === undefined
        ? undefined
        : (slotIndex: number): JobGraph => {
            if (slotIndex === 0) return jobGraph;
            const env = rebuild();
            for (const extension of this.extensions) extension(env);
            return env.getJobGraph(jobName, jobGraph.jobId);
          };
    const executor = new LocalExecutor({
      ...executorOptions,
      numberOfTaskSlots: this.options.numberOfTaskSlots,
    });
    return executor.execute({ jobGraph, graphForSlot, signal });
  }

  /**
   * Runs the job locally with a collect sink on `stream` and returns its records (what
   * `DataStream.executeAndCollect` calls). The collect sink is removed afterwards.
   */
  async executeAndCollect<T>(stream: DataStream<T>, jobName?: string): Promise<T[]> {
    if (stream.transformation.environmentToken !== this.token) {
      throw new InvalidApiUseError(
        'executeAndCollect(): the stream belongs to another environment',
      );
    }
    const sink = new CollectSink<T>();
    const sinkStream = stream.sinkTo(sink).name('Collect');
    const streamId = stream.transformation.id;
    const extension: Extension = (env) => {
      env.streamOf<T>(streamId).sinkTo(new CollectSink<T>()).name('Collect');
    };
    this.extensions.push(extension);
    try {
      await this.executeLocal({ jobName });
      return sink.getResults();
    } finally {
      this.extensions.splice(this.extensions.indexOf(extension), 1);
      this.removeTransformation(sinkStream.transformation);
    }
  }

  // ---- used by the stream classes and job definitions ----

  /** Next id of a physical transformation (declaration order). */
  nextId(): number {
    return ++this.lastId;
  }

  /** Next id of a virtual transformation (negative). */
  nextVirtualId(): number {
    return -++this.lastVirtualId;
  }

  /** Registers a physical transformation: it becomes a node of the graph. */
  addOperator(transformation: Transformation<unknown>): void {
    this.transformations.push(transformation);
    this.registerTransformation(transformation);
  }

  /** Makes a transformation findable by id ({@link streamOf}). */
  registerTransformation(transformation: Transformation<unknown>): void {
    this.byId.set(transformation.id, transformation);
  }

  /** The stream of the transformation with `id` (physical or virtual). */
  streamOf<T>(id: number): DataStream<T> {
    const t = this.byId.get(id);
    if (t === undefined) {
      throw new InvalidApiUseError(
        `no stream with id ${id} in this environment; the job builder is not deterministic`,
      );
    }
    return new DataStream<T>(this, t as Transformation<T>);
  }

  /** Installs how to build this job again (set by `defineJob`): one build per slot. */
  setJobRebuilder(rebuilder: () => StreamExecutionEnvironment): void {
    this.rebuilder = rebuilder;
  }

  private removeTransformation(transformation: Transformation<unknown>): void {
    const index = this.transformations.indexOf(transformation);
    if (index >= 0) this.transformations.splice(index, 1);
    this.byId.delete(transformation.id);
    // Give the id back, so that the next declaration gets the same id as in a fresh build.
    if (transformation.id === this.lastId) this.lastId--;
  }

  private update(change: Partial<StreamExecutionEnvironmentOptions>): this {
    this.options = validateOptions({ ...this.options, ...change });
    return this;
  }
}
