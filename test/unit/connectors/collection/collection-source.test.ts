import { describe, expect, it } from 'vitest';
import type { ReaderOutput } from '../../../../src/api/connector/source.ts';
import { CollectionSource } from '../../../../src/connectors/collection/collection-source.ts';

describe('CollectionSource', () => {
  it('splits the elements into contiguous slices, one per subtask, and ends', async () => {
    const source = new CollectionSource(new Set([1, 2, 3, 4, 5, 6, 7]));
    const slices: number[][] = [];
    for (let i = 0; i < 3; i++) {
      const reader = await source.createReader({
        subtaskIndex: i,
        parallelism: 3,
        taskName: 't',
        operatorName: 'o',
      });
      const records: number[] = [];
      const out: ReaderOutput<number> = {
        collect: (r) => void records.push(r),
        emitWatermark: () => {},
      };
      let polls = 0;
      while (reader.pollNext(out, 2) !== 'END_OF_INPUT') polls++;
      expect(polls).toBeLessThanOrEqual(2);
      slices.push(records);
    }
    expect(slices).toEqual([
      [1, 2],
      [3, 4],
      [5, 6, 7],
    ]);
  });

  it('hands the elements on as they are (no copy)', async () => {
    const element = { a: 1 };
    const reader = await new CollectionSource([element]).createReader({
      subtaskIndex: 0,
      parallelism: 1,
      taskName: 't',
      operatorName: 'o',
    });
    const got: unknown[] = [];
    reader.pollNext({ collect: (r) => void got.push(r), emitWatermark: () => {} }, 10);
    expect(got[0]).toBe(element);
  });
});
