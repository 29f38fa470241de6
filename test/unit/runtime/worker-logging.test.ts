// Worker threads' log lines reach the main thread's logger destination (an embedder's
// destination included), formatted and filtered as the main thread's own lines.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Configuration } from '../../../src/config/configuration.ts';
import { createRootLogger, type LogLevel } from '../../../src/runtime/logging.ts';
import { MiniCluster } from '../../../src/runtime/mini-cluster.ts';
import { fixture } from './cluster-test-kit.ts';

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { stream, text: () => chunks.join('') };
}

let cluster: MiniCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function runWithLogger(
  level: LogLevel,
  format: 'json' | 'pretty',
  job: string,
  args: Record<string, unknown>,
): Promise<string> {
  const out = capture();
  cluster = await MiniCluster.start(
    Configuration.fromJSON({
      'taskmanager.numberOfTaskSlots': 2,
      'taskmanager.memory.network.min': '4mb',
      'taskmanager.memory.network.max': '4mb',
      'taskmanager.memory.managed.size': '16mb',
      'log.level': 'info',
    }),
    { log: createRootLogger({ destination: out.stream, level, format }) },
  );
  const submitted = await cluster.submit(fixture(job), { args });
  await submitted.result().catch(() => undefined);
  await cluster.close();
  cluster = undefined;
  return out.text();
}

describe('worker logging', () => {
  it("writes the workers' task lines to the embedder's destination, as JSON with worker and slot", async () => {
    const text = await runWithLogger('info', 'json', 'forward-job', { parallelism: 2 });
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const running = lines.filter(
      (line) => typeof line.msg === 'string' && line.msg.includes('switched to RUNNING'),
    );
    // Every subtask of both slots logged its transition from its worker thread.
    expect(running.length).toBeGreaterThanOrEqual(2);
    expect(new Set(running.map((line) => line.slot))).toEqual(new Set([0, 1]));
    for (const line of running) {
      expect(line).toMatchObject({ level: 30, jobId: expect.any(String) });
      expect(typeof line.worker).toBe('number');
    }
  });

  it("applies the main logger's level and format to worker lines", async () => {
    const text = await runWithLogger('warn', 'pretty', 'failing-job', {
      failOnRecord: 10,
      count: 100,
    });
    // The FAILED transition (warn) is there, pretty-printed; RUNNING (info) is not.
    expect(text).toMatch(/WARN.*switched to FAILED/);
    expect(text).not.toContain('switched to RUNNING');
    expect(() => JSON.parse(text.split('\n')[0]!)).toThrow();
  });
});
