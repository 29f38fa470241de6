/**
 * Generates Sluice's Grafana dashboards (`grafana/dashboards/*.json`) and copies them,
 * with the alert rules, into the Helm chart (`helm/sluice/files/`).
 *
 * ```
 * node scripts/grafana-dashboards.ts          write the files
 * node scripts/grafana-dashboards.ts --check  exit 1 when a committed file differs
 * ```
 *
 * The dashboards are written from code so that the three share their variables, units
 * and conventions; the JSON files are what Grafana (and the chart) load, and what
 * `test/deploy` checks: every metric a query names must be in the catalogue
 * (`src/metrics/metric-catalogue.ts`), and every query must return series from a real
 * Prometheus scraping a running job. Queries use the variables `$job` (`job_name`),
 * `$vertex` (`task_name`) and, on the memory dashboard, `$instance`.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryDashboard } from './grafana/memory-dashboard.ts';
import { networkDashboard } from './grafana/network-dashboard.ts';
import { overviewDashboard } from './grafana/overview-dashboard.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Formats JSON as Biome does (the repository's formatter), so that `biome check` agrees. */
function formatJson(value: unknown, path: string): string {
  return execFileSync(
    join(root, 'node_modules/.bin/biome'),
    ['format', `--stdin-file-path=${path}`],
    { input: JSON.stringify(value, null, 2), encoding: 'utf8', cwd: root },
  );
}

/** Every generated file: path relative to the repository → content. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const dashboards: [string, Record<string, unknown>][] = [
    ['sluice-overview.json', overviewDashboard()],
    ['sluice-network.json', networkDashboard()],
    ['sluice-memory.json', memoryDashboard()],
  ];
  for (const [name, json] of dashboards) {
    const text = formatJson(json, `grafana/dashboards/${name}`);
    files.set(`grafana/dashboards/${name}`, text);
    files.set(`helm/sluice/files/dashboards/${name}`, text);
  }
  files.set(
    'helm/sluice/files/prometheus-rules.yaml',
    readFileSync(join(root, 'grafana/alerts/sluice-rules.yaml'), 'utf8'),
  );
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, content] of generatedFiles()) {
    const file = join(root, path);
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    if (check) {
      process.stderr.write(`${path} is out of date: run node scripts/grafana-dashboards.ts\n`);
      stale++;
    } else {
      writeFileSync(file, content);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}
