import { describe, expect, it } from 'vitest';
import type { SinkWriterContext } from '../../../../src/api/connector/sink.ts';
import {
  formatRecord,
  PrintSink,
  printPrefix,
} from '../../../../src/connectors/print/print-sink.ts';

function context(subtaskIndex: number, parallelism: number): SinkWriterContext {
  return { subtaskIndex, parallelism, taskName: 't', sendEventToCoordinator: () => {} };
}

describe('PrintSink', () => {
  it('prefixes lines as Flink does', () => {
    expect(printPrefix('', 0, 1)).toBe('');
    expect(printPrefix('', 1, 4)).toBe('2> ');
    expect(printPrefix('sink', 0, 1)).toBe('sink> ');
    expect(printPrefix('sink', 3, 4)).toBe('sink:4> ');
  });

  it('writes one line per record to its target', async () => {
    const lines: string[] = [];
    const sink = new PrintSink<unknown>({ target: { write: (t) => lines.push(t) } });
    const writer = await sink.createWriter(context(0, 2));
    const ctx = { timestamp: () => undefined, currentWatermark: () => 0 };
    writer.write('plain', ctx);
    writer.write(['word', 3], ctx);
    writer.write({ id: 1n }, ctx);
    expect(lines).toEqual(['1> plain\n', "1> [ 'word', 3 ]\n", '1> { id: 1n }\n']);
    expect(formatRecord(42)).toBe('42');
  });
});
