import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ReaderOutput, SourceReaderContext } from '../../../../src/api/connector/source.ts';
import { DataGeneratorSource } from '../../../../src/connectors/datagen/data-generator-source.ts';

function context(subtaskIndex: number, parallelism: number): SourceReaderContext {
  return { subtaskIndex, parallelism, taskName: 'Source: gen', operatorName: 'Source: gen' };
}

function collector<T>(): ReaderOutput<T> & { records: T[] } {
  const records: T[] = [];
  return { records, collect: (r) => void records.push(r), emitWatermark: () => {} };
}

async function readAll<T>(
  source: DataGeneratorSource<T>,
  subtask: number,
  parallelism: number,
): Promise<T[]> {
  const reader = source.createReader(context(subtask, parallelism));
  await reader.start?.();
  const out = collector<T>();
  while (reader.pollNext(out, 7) !== 'END_OF_INPUT') {}
  await reader.close?.();
  return out.records;
}

describe('DataGeneratorSource', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('covers every index exactly once across subtasks, each in ascending order', async () => {
    const source = new DataGeneratorSource((i) => `r${i}`, 23);
    expect(source.boundedness).toBe('BOUNDED');
    const parts = await Promise.all([0, 1, 2].map((i) => readAll(source, i, 3)));
    expect(parts[1]).toEqual(['r1', 'r4', 'r7', 'r10', 'r13', 'r16', 'r19', 'r22']);
    const all = parts.flat().map((r) => Number(r.slice(1)));
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it('is deterministic and calls the rich generator lifecycle', async () => {
    const calls: string[] = [];
    const source = new DataGeneratorSource(
      {
        open: (ctx) => void calls.push(`open ${ctx.subtaskIndex}`),
        map: (i) => i * i,
        close: () => void calls.push('close'),
      },
      5,
    );
    expect(await readAll(source, 0, 1)).toEqual([0, 1, 4, 9, 16]);
    expect(await readAll(source, 0, 1)).toEqual([0, 1, 4, 9, 16]);
    expect(calls).toEqual(['open 0', 'close', 'open 0', 'close']);
  });

  it('respects maxRecords per poll and is unbounded with count = Infinity', () => {
    const source = new DataGeneratorSource((i) => i, Number.POSITIVE_INFINITY);
    expect(source.boundedness).toBe('CONTINUOUS_UNBOUNDED');
    const reader = source.createReader(context(1, 2));
    const out = collector<number>();
    expect(reader.pollNext(out, 4)).toBe('MORE_AVAILABLE');
    expect(out.records).toEqual([1, 3, 5, 7]);
  });

  it('rate-limits per subtask (fake clock)', async () => {
    vi.useFakeTimers({ toFake: ['performance', 'setTimeout'] });
    // 40 records/s over 2 subtasks = 20/s each: one record per 50 ms.
    const source = new DataGeneratorSource((i) => i, 1000, { recordsPerSecond: 40 });
    const reader = source.createReader(context(0, 2));
    const out = collector<number>();
    expect(reader.pollNext(out, 100)).toBe('MORE_AVAILABLE');
    expect(out.records).toEqual([0]);
    expect(reader.pollNext(out, 100)).toBe('NOTHING_AVAILABLE');
    let available = false;
    void reader.isAvailable().then(() => {
      available = true;
    });
    await vi.advanceTimersByTimeAsync(49);
    expect(available).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(available).toBe(true);
    expect(reader.pollNext(out, 100)).toBe('MORE_AVAILABLE');
    expect(out.records).toEqual([0, 2]);
    // A long pause (backpressure) allows at most one second's worth at once.
    await vi.advanceTimersByTimeAsync(10_000);
    reader.pollNext(out, 1000);
    expect(out.records).toHaveLength(2 + 20);
  });

  it('rejects an invalid count or rate', () => {
    expect(() => new DataGeneratorSource((i) => i, -1)).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_CONFIG_INVALID',
        message: expect.stringContaining('count = -1'),
      }),
    );
    expect(() => new DataGeneratorSource((i) => i, 1.5)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }),
    );
    expect(() => new DataGeneratorSource((i) => i, 10, { recordsPerSecond: 0 })).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_CONFIG_INVALID',
        message: expect.stringContaining('recordsPerSecond'),
      }),
    );
  });
});
