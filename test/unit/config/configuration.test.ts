import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseMemorySize } from '../../../src/config/config-option.ts';
import { Configuration, envNameOf, loadConfiguration } from '../../../src/config/configuration.ts';
import { CoreOptions } from '../../../src/config/options.ts';

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
  const file = join(dir, 'sluice.yaml');
  writeFileSync(file, text);
  return file;
}

describe('parsing sizes and durations (Flink syntax)', () => {
  it.each([
    ['32kb', 32768],
    ['32 KB', 32768],
    ['64m', 64 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['4096', 4096],
    ['0.5 mb', 512 * 1024],
  ])('memory %s = %d bytes', (text, bytes) => expect(parseMemorySize(text)).toBe(bytes));

  it.each([
    ['100 ms', 100],
    ['10 s', 10_000],
    ['3 min', 180_000],
    ['0', 0],
    ['1h', 3_600_000],
  ])('duration %s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it('rejects garbage', () => {
    expect(parseMemorySize('lots')).toBeUndefined();
    expect(parseMemorySize('12 parsecs')).toBeUndefined();
    expect(parseDuration('-1 s')).toBeUndefined();
  });
});

describe('Configuration', () => {
  it('returns Flink defaults when nothing is set', () => {
    const config = new Configuration();
    expect(config.get(CoreOptions.SEGMENT_SIZE)).toBe(32768);
    expect(config.get(CoreOptions.BUFFERS_PER_CHANNEL)).toBe(2);
    expect(config.get(CoreOptions.FLOATING_BUFFERS_PER_GATE)).toBe(8);
    expect(config.get(CoreOptions.BUFFER_TIMEOUT)).toBe(100);
    expect(config.get(CoreOptions.MAX_PARALLELISM)).toBe(128);
    expect(config.getOptional(CoreOptions.CHECKPOINT_INTERVAL)).toBeUndefined();
  });

  it('crosses threads as plain data', () => {
    const config = new Configuration()
      .setRaw('execution.buffer-timeout', '5 ms')
      .setRaw('my.key', 'x');
    const copy = Configuration.fromJSON(structuredClone(config.toJSON()));
    expect(copy.get(CoreOptions.BUFFER_TIMEOUT)).toBe(5);
    expect(copy.getRaw('my.key')).toBe('x');
    expect(copy.unknownKeys()).toEqual(['my.key']);
  });
});

describe('loadConfiguration', () => {
  it('layers file < environment < -D flags', () => {
    const file = yamlFile(
      [
        'taskmanager:',
        '  memory:',
        '    segment-size: 64kb',
        '  network.memory.buffers-per-channel: 4',
        'execution.buffer-timeout: 50 ms',
        'rest.port: 9000',
      ].join('\n'),
    );
    const config = loadConfiguration({
      file,
      env: { [envNameOf('execution.buffer-timeout')]: '20 ms', SLUICE_REST_PORT: '9100' },
      dynamicProperties: ['rest.port=9200'],
    });
    expect(config.get(CoreOptions.SEGMENT_SIZE)).toBe(65536);
    expect(config.get(CoreOptions.BUFFERS_PER_CHANNEL)).toBe(4);
    expect(config.get(CoreOptions.BUFFER_TIMEOUT)).toBe(20);
    expect(config.sourceOf('execution.buffer-timeout')).toBe('env');
    expect(config.get(CoreOptions.REST_PORT)).toBe(9200);
    expect(config.sourceOf('rest.port')).toBe('dynamic');
  });

  it('names the key, the value and where it came from when a value is invalid', () => {
    expect(() =>
      loadConfiguration({ env: {}, dynamicProperties: ['taskmanager.numberOfTaskSlots=0'] }),
    ).toThrowError(
      /taskmanager\.numberOfTaskSlots: "0" \(expected ≥ 1\) \(from -D taskmanager\.numberOfTaskSlots=0\)/,
    );
    const file = yamlFile('taskmanager.memory.segment-size: huge\n');
    expect(() => loadConfiguration({ file, env: {} })).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_CONFIG_INVALID',
        message: expect.stringContaining('taskmanager.memory.segment-size: "huge"'),
      }),
    );
    expect(() =>
      loadConfiguration({ env: { SLUICE_RESTART_STRATEGY_TYPE: 'sometimes' } }),
    ).toThrowError(/restart-strategy\.type: "sometimes" \(expected one of none, fixed-delay\)/);
  });

  it('rejects malformed -D flags and unreadable files with a code', () => {
    expect(() =>
      loadConfiguration({ env: {}, dynamicProperties: ['no-equals-sign'] }),
    ).toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }));
    expect(() => loadConfiguration({ env: {}, file: '/nonexistent/sluice.yaml' })).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }),
    );
    expect(() => loadConfiguration({ env: {}, file: yamlFile('- a list\n') })).toThrowError(
      /YAML mapping/,
    );
  });
});
