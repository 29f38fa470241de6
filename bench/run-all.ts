/**
 * `npm run bench`: runs every benchmark in `bench/` one after another (never two at
 * once: they share the cores), collects the JSON line each prints, and regenerates
 * `docs/benchmarks.md` with the figures, the ratios each issue targets and the
 * machine they were measured on.
 *
 * Usage: `node bench/run-all.ts [name ...]` (default: every `bench/*.ts` but this one);
 * the benchmarks not named keep the figures the previous run wrote.
 * Benchmarks that need a Kafka broker (`kafka-e2e`, `nexmark`) use `KAFKA_BROKERS` or
 * start the local broker themselves.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CHART_FILE,
  type NexmarkBenchLine,
  nexmarkChartSvg,
  nexmarkSection,
  SECTION_BEGIN,
  SECTION_END,
} from '../scripts/nexmark-chart.ts';

const execFileAsync = promisify(execFile);
const benchDir = dirname(fileURLToPath(import.meta.url));
const docsFile = join(benchDir, '../docs/benchmarks.md');

/** Ratios each issue states as targets: [numerator, denominator, minimum]. */
const TARGETS: Record<string, [string, string, number][]> = {
  'buffer-pool': [['singleThreadOpsPerSecond', 'allocatePerRecordOpsPerSecond', 1]],
  exchange: [
    ['recordsPerSecond', 'rawSegmentsRecordsPerSecond', 0.5],
    ['recordsPerSecond', 'postMessageRecordsPerSecond', 20],
  ],
  runtime: [
    ['p1RecordsPerSecond', 'handLoopRecordsPerSecond', 0.3],
    ['p2RecordsPerSecond', 'p1RecordsPerSecond', 1.5],
    ['p1RecordsPerSecond', 'nodeStreamsRecordsPerSecond', 3],
  ],
  'kafka-e2e': [
    ['p1RecordsPerSecond', 'handLoopRecordsPerSecond', 1],
    ['p2RecordsPerSecond', 'p1RecordsPerSecond', 1],
  ],
};

/** Figures each issue bounds from above: [field, maximum (exclusive)]. */
const LIMITS: Record<string, [string, number][]> = {
  'metrics-overhead': [['overheadPercent', 3]],
};

interface Result {
  name: string;
  line?: Record<string, unknown>;
  /** Every JSON line printed (`nexmark` prints one per query). */
  lines?: Record<string, unknown>[];
  error?: string;
  seconds: number;
}

async function runOne(name: string): Promise<Result> {
  const started = Date.now();
  try {
    const { stdout } = await execFileAsync(process.execPath, [join(benchDir, `${name}.ts`)], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60_000,
    });
    const jsonLines = stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('{'));
    const last = jsonLines.at(-1);
    if (last === undefined) throw new Error('printed no JSON line');
    return {
      name,
      line: JSON.parse(last) as Record<string, unknown>,
      lines: jsonLines.map((l) => JSON.parse(l) as Record<string, unknown>),
      seconds: (Date.now() - started) / 1000,
    };
  } catch (error) {
    return {
      name,
      error: (error as Error).message.split('\n')[0],
      seconds: (Date.now() - started) / 1000,
    };
  }
}

function targetRows(result: Result): string[] {
  const rows: string[] = [];
  for (const [num, den, min] of TARGETS[result.name] ?? []) {
    const a = Number(result.line?.[num]);
    const b = Number(result.line?.[den]);
    if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) continue;
    const ratio = a / b;
    rows.push(
      `| ${result.name} | ${num} / ${den} | ${ratio.toFixed(2)} | ≥ ${min} | ${ratio >= min ? 'met' : '**missed**'} |`,
    );
  }
  for (const [field, max] of LIMITS[result.name] ?? []) {
    const value = Number(result.line?.[field]);
    if (!Number.isFinite(value)) continue;
    rows.push(
      `| ${result.name} | ${field} | ${value} | < ${max} | ${value < max ? 'met' : '**missed**'} |`,
    );
  }
  return rows;
}

const requested = process.argv.slice(2);
const names =
  requested.length > 0
    ? requested
    : (await readdir(benchDir))
        .filter((f) => f.endsWith('.ts') && f !== basename(fileURLToPath(import.meta.url)))
        .map((f) => f.slice(0, -3))
        .sort();

const results: Result[] = [];
for (const name of names) {
  process.stderr.write(`bench ${name} … `);
  const result = await runOne(name);
  process.stderr.write(
    result.error ? `failed: ${result.error}\n` : `${result.seconds.toFixed(0)} s\n`,
  );
  for (const line of result.lines ?? []) console.log(JSON.stringify(line));
  results.push(result);
}

// Benchmarks not run this time keep the figures the previous run wrote (in file order).
const previousDoc = await readFile(docsFile, 'utf8').catch(() => '');
const ran = new Set(results.map((r) => r.name));
for (const match of previousDoc.matchAll(/^### (\S+)\n\n```json\n(.+)\n```$/gm)) {
  const [, name, json] = match;
  if (name === undefined || json === undefined || ran.has(name)) continue;
  results.push({ name, line: JSON.parse(json) as Record<string, unknown>, seconds: 0 });
  ran.add(name);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  '# Benchmarks',
  '',
  'Regenerated by `npm run bench` (`bench/run-all.ts`) from the JSON line each',
  'benchmark prints. Each line carries its own baseline measured in the same run: compare',
  'ratios, not absolute figures — the machines are shared and noisy.',
  '',
  `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB memory (${(freemem() / 1024 ** 3).toFixed(0)} GiB free at the end), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
  '',
  '## Targets',
  '',
  '| bench | ratio | measured | target | |',
  '|---|---|---|---|---|',
  ...results.flatMap(targetRows),
  '',
  '## Raw figures',
  '',
  ...results
    .filter((r) => r.name !== 'nexmark')
    .flatMap((r) => [
      `### ${r.name}`,
      '',
      r.line ? `\`\`\`json\n${JSON.stringify(r.line)}\n\`\`\`` : `Did not run: ${r.error}`,
      '',
    ]),
];

// The Nexmark section (table, comparison with Flink, chart): regenerated when the
// benchmark ran, otherwise kept as the previous run left it.
const nexmark = results.find((r) => r.name === 'nexmark');
let nexmarkText: string | undefined;
if (nexmark?.lines !== undefined) {
  const nexmarkLines = nexmark.lines as unknown as NexmarkBenchLine[];
  await writeFile(CHART_FILE, nexmarkChartSvg(nexmarkLines));
  nexmarkText = nexmarkSection(
    nexmarkLines,
    `Measured on the machine above (${cpus().length} cores shared with the Kafka broker), ${new Date().toISOString().slice(0, 10)}.`,
  );
} else {
  const begin = previousDoc.indexOf(SECTION_BEGIN);
  const end = previousDoc.indexOf(SECTION_END);
  if (begin >= 0 && end > begin) nexmarkText = previousDoc.slice(begin, end + SECTION_END.length);
}
if (nexmarkText !== undefined) lines.push(nexmarkText, '');
await writeFile(docsFile, `${lines.join('\n')}\n`);
process.stderr.write(`wrote ${docsFile}\n`);
