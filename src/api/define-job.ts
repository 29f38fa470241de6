import type { Configuration } from '../config/configuration.ts';
import type { Explanation } from '../graph/json-plan-generator.ts';
import { InvalidApiUseError } from './invalid-api-use-error.ts';
import type { JobExecutionResult } from './local/local-executor.ts';
import {
  type LocalExecutionOptions,
  StreamExecutionEnvironment,
  type StreamExecutionEnvironmentOptions,
} from './stream-execution-environment.ts';

/** Arguments a job receives (REST `programArgs`, CLI flags), as a plain object. */
export type JobArguments = Readonly<Record<string, string>>;

/** How to build a job: settings and arguments. */
export interface JobBuildOptions<A> {
  /** Arguments for the builder. */
  args?: A | undefined;
  /** Configuration the environment is made from (Flink-style keys). */
  configuration?: Configuration | undefined;
  /** Options that win over the configuration and the definition's defaults. */
  options?: Partial<StreamExecutionEnvironmentOptions> | undefined;
}

/** Declares the operators of a job on `env`; must be synchronous and deterministic. */
export type JobBuilder<A> = (env: StreamExecutionEnvironment, args: A) => void;

/**
 * A job module's default export: a builder plus its defaults. The main thread calls
 * `build` to plan the job; every worker imports the same module and calls `build` with
 * the same arguments to get the same graph, then runs only its own subtasks.
 *
 * @remarks Plain object; `build` may be called any number of times, on any thread.
 */
export interface JobDefinition<A = JobArguments> {
  /** Marker for loaders that import a module and check its default export. */
  readonly kind: 'sluice.job';
  /** Job name (`pipeline.name`), unless the build options override it. */
  readonly name: string | undefined;
  /**
   * Builds the job in a fresh environment.
   *
   * @throws SLUICE_ERR_API_INVALID_USE when the builder returns a promise
   */
  build(options?: JobBuildOptions<A>): StreamExecutionEnvironment;
  /** Builds the job and explains its plan. */
  explain(options?: JobBuildOptions<A>): Explanation;
  /** Builds the job and runs it in this thread (each slot with its own build). */
  executeLocal(options?: JobBuildOptions<A> & LocalExecutionOptions): Promise<JobExecutionResult>;
}

/**
 * Defines a job: the default export of a job module.
 *
 * ```ts
 * export default defineJob((env, args) => {
 *   env.fromElements(...args.text.split('\n'))
 *     .flatMap((line, out) => { for (const w of line.split(/\W+/)) if (w) out.collect([w, 1] as [string, number]) })
 *     .keyBy(([word]) => word)
 *     .sum(1)
 *     .print();
 * }, { name: 'word count' });
 * ```
 *
 * The builder must declare the same operators, in the same order, with the same
 * settings on every call: ids are derived from declaration order (and `uid`s), and
 * the main thread and the workers each build the graph independently. No randomness,
 * clock or environment-dependent branches in it; put such things in `open()` of a
 * rich function instead.
 *
 * @param builder - declares the job on the environment it is given
 * @param defaults - job name and default options
 * @returns the job definition
 */
export function defineJob<A = JobArguments>(
  builder: JobBuilder<A>,
  defaults: { name?: string; options?: Partial<StreamExecutionEnvironmentOptions> } = {},
): JobDefinition<A> {
  const build = (buildOptions: JobBuildOptions<A> = {}): StreamExecutionEnvironment => {
    const overrides: Partial<StreamExecutionEnvironmentOptions> = {
      ...(defaults.name === undefined ? {} : { jobName: defaults.name }),
      ...defaults.options,
      ...buildOptions.options,
    };
    const env =
      buildOptions.configuration === undefined
        ? new StreamExecutionEnvironment(overrides)
        : StreamExecutionEnvironment.fromConfiguration(buildOptions.configuration, overrides);
    const result: unknown = builder(env, (buildOptions.args ?? {}) as A);
    if (result instanceof Promise || typeof (result as { then?: unknown })?.then === 'function') {
      throw new InvalidApiUseError(
        'defineJob(): the job builder returned a promise; it must declare the job synchronously ' +
          '(load data in open() of a rich function, or before defineJob)',
      );
    }
    env.setJobRebuilder(() => build(buildOptions));
    return env;
  };
  return {
    kind: 'sluice.job',
    name: defaults.name,
    build,
    explain: (options) => build(options).explain(),
    executeLocal: (options = {}) => {
      const { args, configuration, options: envOptions, ...local } = options;
      return build({ args, configuration, options: envOptions }).executeLocal(local);
    },
  };
}

/** Whether a module's default export is a job definition. */
export function isJobDefinition(value: unknown): value is JobDefinition<unknown> {
  return (value as { kind?: unknown } | null)?.kind === 'sluice.job';
}
