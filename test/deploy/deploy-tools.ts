/**
 * Running the deployment tools (helm, manifest-check, promtool) from the tests, and
 * reading their output.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(import.meta.dirname, '../..');
export const CHART = join(ROOT, 'helm/sluice');
export const ALL_OPTIONS = join(CHART, 'ci/all-options-values.yaml');

/** What a tool printed and how it ended. */
export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of the installed tools.
 *
 * @param name - `helm`, `manifest-check`, `promtool` or `prometheus`
 * @param args - its arguments
 * @param input - standard input
 */
export function runTool(name: string, args: string[], input?: string): ToolResult {
  const result = spawnSync(join(inject('toolsBin'), name), args, {
    cwd: ROOT,
    encoding: 'utf8',
    input,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, HELM_CACHE_HOME: join(ROOT, '.cache/tools/helm-home') },
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `helm template` of the chart.
 *
 * @param args - values files (`-f`) and `--set`s
 * @returns the tool result; stdout is the rendered manifests
 */
export function helmTemplate(...args: string[]): ToolResult {
  return runTool('helm', ['template', 'sluice', CHART, '--namespace', 'streaming', ...args]);
}

/** A rendered Kubernetes object. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field
  spec?: any;
  data?: Record<string, string>;
}

/** Parses multi-document YAML into objects (empty documents dropped). */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

/** The one object of `kind` (and `name`, when given). */
export function findObject(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  }
  return found[0]!;
}
