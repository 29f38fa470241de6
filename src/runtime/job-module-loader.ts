/**
 * Loads a job module and builds its graph, the same way on the main thread (to plan)
 * and on every worker (to run its subtasks) — Sluice's counterpart of shipping a JAR
 * to every TaskManager.
 *
 * ```
 *   main:    loadJobDefinition(url) → buildJobGraph(def, spec, jobId) → plan, fingerprint
 *   worker:  loadJobDefinition(url) → buildJobGraph(def, spec, jobId) → same fingerprint?
 *                                                                       → its subtasks
 * ```
 *
 * @module
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isJobDefinition, type JobDefinition } from '../api/define-job.ts';
import { Configuration } from '../config/configuration.ts';
import { NondeterministicGraphError } from '../graph/graph-errors.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import { JobModuleInvalidError } from './runtime-errors.ts';
import type { JobModuleSpec } from './task-executor-protocol.ts';

/**
 * The `file:` URL of a job module given as a path (relative to the working directory)
 * or a URL.
 *
 * @param module - path or URL of the module
 * @returns the URL's `href`
 */
export function toModuleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

/**
 * Imports a job module and returns its default export.
 *
 * @param moduleUrl - `file:` URL of the module
 * @returns the job definition
 * @throws SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID when the import fails or the default
 *   export is not `defineJob(...)`
 */
export async function loadJobDefinition(moduleUrl: string): Promise<JobDefinition<unknown>> {
  let module: { default?: unknown };
  try {
    module = (await import(moduleUrl)) as { default?: unknown };
  } catch (error) {
    throw new JobModuleInvalidError(
      `job module ${moduleUrl} could not be imported: ${error instanceof Error ? error.message : String(error)}; check the path and that the module loads with \`node ${moduleUrl}\``,
      { cause: error, details: { moduleUrl } },
    );
  }
  if (!isJobDefinition(module.default)) {
    throw new JobModuleInvalidError(
      `job module ${moduleUrl} has no job as its default export (got ${describe(module.default)}); end it with \`export default defineJob((env, args) => { ... })\``,
      { details: { moduleUrl } },
    );
  }
  return module.default;
}

/**
 * Builds the job graph of a loaded definition.
 *
 * @param definition - the module's default export
 * @param spec - arguments, configuration and option overrides
 * @param jobId - the id the main thread gave the job (32 hex characters)
 * @param expectedFingerprint - when given, the main thread's fingerprint to compare with
 * @returns the job graph
 * @throws SLUICE_ERR_GRAPH_* when the job is invalid
 * @throws SLUICE_ERR_GRAPH_NONDETERMINISTIC when the fingerprint differs
 */
export function buildJobGraph(
  definition: JobDefinition<unknown>,
  spec: JobModuleSpec,
  jobId: string,
  expectedFingerprint?: string,
): JobGraph {
  const env = definition.build({
    args: spec.args,
    configuration: Configuration.fromJSON(spec.configuration),
    options: spec.options,
  });
  const graph = env.getJobGraph(undefined, jobId);
  if (expectedFingerprint !== undefined && graph.fingerprint() !== expectedFingerprint) {
    throw new NondeterministicGraphError(
      `job "${graph.jobName}" (module ${spec.moduleUrl}) built a different graph on this worker than on the main thread; the job builder must declare the same operators, in the same order, with the same settings on every call (no randomness, time or environment-dependent branches)`,
      { details: { moduleUrl: spec.moduleUrl, jobId } },
    );
  }
  return graph;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object without kind "sluice.job"' : typeof value;
}
