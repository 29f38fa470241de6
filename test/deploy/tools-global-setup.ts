/**
 * Global setup of the `deploy` test project: makes sure helm, manifest-check,
 * prometheus and promtool are installed (`scripts/ci-tools.sh`, idempotent and quick
 * once they are cached under `.cache/tools/`) and hands their directory to the tests.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory holding helm, manifest-check, prometheus and promtool. */
    toolsBin: string;
  }
}

export default function setup(project: TestProject): void {
  const root = join(import.meta.dirname, '../..');
  const out = execFileSync('bash', [join(root, 'scripts/ci-tools.sh'), '--print-env'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const match = /^SLUICE_TOOLS_BIN=(.+)$/m.exec(out);
  if (match === null) throw new Error(`scripts/ci-tools.sh printed no SLUICE_TOOLS_BIN: ${out}`);
  project.provide('toolsBin', match[1]!);
}
