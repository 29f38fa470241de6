/**
 * Smoke test of `npm run demo` (`scripts/demo.ts`) as a child process against the suite's
 * broker: it loads a small stream, runs q5 through `sluice run`, prints the URLs and the
 * first results, and on SIGINT stops the job through the application's shutdown and
 * exits 0. A second run finds the events loaded and does not load them again.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniqueTopic } from '../../helpers/kafka-test-utils.ts';

const script = fileURLToPath(new URL('../../../scripts/demo.ts', import.meta.url));
const stateDir = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
const topic = uniqueTopic('demo-events');

/** Runs the demo until `until` matches its output, then sends SIGINT; resolves with what happened. */
function runDemo(until: RegExp): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        script,
        '--events',
        '20000',
        '--rate',
        '1000',
        '--port',
        '0',
        '--topic',
        topic,
        '--state-dir',
        stateDir,
      ],
      {
        env: { ...process.env, KAFKA_BROKERS: inject('kafkaBrokers').join(',') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let signalled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not print ${until} within 150 s:\n${output}`));
    }, 150_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!signalled && until.test(output)) {
        signalled = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('npm run demo', () => {
  afterAll(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('loads events, runs q5 with the REST server, prints the first results and stops cleanly on Ctrl-C', async () => {
    const { code, output } = await runDemo(/first results[^\n]*\n\s+window [^\n]*bids\n/);
    expect(output).toMatch(/events\s+20,000 loaded into/);
    expect(output).toMatch(/REST API\s+http:\/\/127\.0\.0\.1:\d+\/jobs\/[0-9a-f]{32}/);
    expect(output).toMatch(/metrics\s+http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(output).toMatch(/OpenAPI\s+http:\/\/127\.0\.0\.1:\d+\/openapi\.json/);
    expect(output).toMatch(/window \d\d:\d\d:\d\d–\d\d:\d\d:\d\d {2}auction \d+ {2}\d+ bids/);
    expect(output).toMatch(/SIGINT: stopping the job/);
    expect(output).toMatch(/sluice exited with code 0/);
    expect(code).toBe(0);
  });

  it('a second run finds the events already loaded', async () => {
    const { code, output } = await runDemo(/REST API/);
    expect(output).toMatch(/events\s+20,000 already in/);
    expect(code).toBe(0);
  });
});
