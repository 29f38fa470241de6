import { describe, expect, it } from 'vitest';
import type { SinkWriterContext } from '../../../../src/api/connector/sink.ts';
import {
  type CollectBatchEvent,
  CollectSink,
} from '../../../../src/connectors/collect/collect-sink.ts';

describe('CollectSink', () => {
  it('sends one structured-cloneable event per batch to the coordinator, which gathers them', async () => {
    const coordinator = new CollectSink<number>({ batchSize: 2 });
    const sent: [number, unknown][] = [];
    const writers = await Promise.all(
      [0, 1].map((subtaskIndex) => {
        const ctx: SinkWriterContext = {
          subtaskIndex,
          parallelism: 2,
          taskName: 't',
          sendEventToCoordinator: (event) => {
            // What a worker would do: clone the event across the thread boundary.
            const cloned = structuredClone(event);
            sent.push([subtaskIndex, cloned]);
            coordinator.handleOperatorEvent(subtaskIndex, cloned);
          },
        };
        return coordinator.createWriter(ctx);
      }),
    );
    const ctx = { timestamp: () => undefined, currentWatermark: () => 0 };
    for (const x of [1, 2, 3]) writers[0]!.write(x, ctx);
    writers[1]!.write(10, ctx);
    expect(sent).toEqual([[0, { type: 'collect-batch', records: [1, 2] }]]);
    await writers[0]!.flush(true);
    await writers[1]!.close();
    expect(sent.map(([, e]) => (e as CollectBatchEvent<number>).records)).toEqual([
      [1, 2],
      [3],
      [10],
    ]);
    expect(coordinator.getResults()).toEqual([1, 2, 3, 10]);
    expect(coordinator.getResultsBySubtask()).toEqual([[1, 2, 3], [10]]);
    coordinator.clear();
    expect(coordinator.getResults()).toEqual([]);
  });

  it('validates its options', () => {
    expect(() => new CollectSink({ batchSize: 0 })).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_CONFIG_INVALID',
        message: expect.stringContaining('batchSize = 0'),
      }),
    );
  });
});
