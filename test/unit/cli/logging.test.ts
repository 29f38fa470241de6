// Tests of src/runtime/logging.ts; kept under test/unit/cli/ (the CLI is its first
// user) because test/unit/runtime/ belongs to the runtime work in progress.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfiguration } from '../../../src/config/configuration.ts';
import {
  createRootLogger,
  jobLogger,
  rootLoggerOptionsFrom,
  taskLogger,
} from '../../../src/runtime/logging.ts';

function sink(isTTY = false) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (isTTY) stream.isTTY = true;
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { stream, text: () => chunks.join('') };
}

describe('logging', () => {
  it('writes JSON lines with job, vertex and subtask bindings on task loggers', () => {
    const out = sink();
    const root = createRootLogger({ destination: out.stream });
    const job = jobLogger(root, { jobId: 'j1', jobName: 'q5' });
    const task = taskLogger(job, { jobId: 'j1', vertexId: 'v2', subtaskIndex: 3, taskName: 'Map' });
    task.info({ segments: 64, segmentSizeBytes: 32768 }, 'network buffer pool allocated');
    const line = JSON.parse(out.text().trim());
    expect(line).toMatchObject({
      level: 30,
      jobId: 'j1',
      jobName: 'q5',
      vertexId: 'v2',
      subtaskIndex: 3,
      taskName: 'Map',
      segments: 64,
      msg: 'network buffer pool allocated',
    });
  });

  it('takes log.level and log.format from the configuration (SLUICE_LOG_LEVEL works)', () => {
    const configuration = loadConfiguration({ env: { SLUICE_LOG_LEVEL: 'warn' } });
    const out = sink();
    const log = createRootLogger(rootLoggerOptionsFrom(configuration, out.stream));
    log.info('hidden');
    log.warn('shown');
    expect(out.text()).not.toContain('hidden');
    expect(JSON.parse(out.text().trim()).msg).toBe('shown');
    expect(() => loadConfiguration({ env: { SLUICE_LOG_LEVEL: 'loud' } })).toThrowError(
      /log\.level/,
    );
  });

  it('is readable text in a terminal (pino-pretty), JSON when forced', () => {
    const tty = sink(true);
    createRootLogger({ destination: tty.stream }).info({ jobId: 'j1' }, 'job started');
    expect(tty.text()).toContain('job started');
    expect(tty.text()).toContain('jobId');
    expect(() => JSON.parse(tty.text())).toThrow();
    const forced = sink(true);
    createRootLogger({ destination: forced.stream, format: 'json' }).info('x');
    expect(JSON.parse(forced.text()).msg).toBe('x');
    const pretty = sink(false);
    createRootLogger({ destination: pretty.stream, format: 'pretty' }).info('readable');
    expect(pretty.text()).toMatch(/INFO.*readable/);
  });

  it('rejects unknown levels naming the option', () => {
    expect(() => createRootLogger({ level: 'loud' as never })).toThrowError(/level/);
  });
});
