import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  DataGeneratorSource,
  DiscardingSink,
  Float64Serializer,
  StreamExecutionEnvironment,
  type ValueState,
  ValueStateDescriptor,
  WatermarkStrategy,
} from '../../../../src/api/index.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const KEYS = 1_000_000;

/**
 * A job keeping one ValueState<number> for each of 1,000,000 keys. Every key is seen
 * twice: the second time its value must read back what the first wrote. Heap is
 * measured (after a full GC) before the job and in the function's close(), while the
 * state is still alive.
 */
async function runMillionKeys(managedMemoryBytes: number) {
  const heap = { before: 0, after: 0 };
  const env = new StreamExecutionEnvironment({ parallelism: 1 });
  let state!: ValueState<number>;
  env
    .fromSource(
      new DataGeneratorSource((i) => i % KEYS, 2 * KEYS),
      WatermarkStrategy.noWatermarks(),
      'keys',
    )
    .keyBy((n) => n)
    .process<never>({
      open(ctx) {
        state = ctx.getState(new ValueStateDescriptor('value', Float64Serializer.INSTANCE));
      },
      processElement(n) {
        const value = state.value();
        if (value !== undefined && value !== n) throw new Error(`key ${n} read ${value}`);
        state.update(n);
      },
      close() {
        gc();
        heap.after = process.memoryUsage().heapUsed;
      },
    })
    .sinkTo(new DiscardingSink());
  gc();
  heap.before = process.memoryUsage().heapUsed;
  const result = await env.executeLocal({ managedMemoryBytes });
  return { result, heap };
}

describe('one million keys of ValueState<number> in managed memory', () => {
  it('keeps the state out of the V8 heap when managed memory fits it', async () => {
    const { result, heap } = await runMillionKeys(128 * 2 ** 20);
    const metrics = result.operatorMetrics.KeyedProcess!;
    expect(metrics.stateEntries).toBe(KEYS);
    const stateBytes = metrics.stateSizeBytes!;
    const heapGrowth = heap.after - heap.before;
    console.log(
      `1M keys: state ${(stateBytes / 2 ** 20).toFixed(1)} MiB in managed memory ` +
        `(${(metrics.managedMemoryBytes! / 2 ** 20).toFixed(1)} MiB of pages), ` +
        `V8 heap growth ${(heapGrowth / 2 ** 20).toFixed(2)} MiB ` +
        `(${((100 * heapGrowth) / stateBytes).toFixed(1)} % of the state bytes)`,
    );
    expect(stateBytes).toBeGreaterThan(KEYS * 40);
    expect(heapGrowth).toBeLessThan(0.1 * stateBytes);
  });

  it('fails with SLUICE_ERR_STATE_MEMORY_EXHAUSTED naming the option when managed memory is too small', async () => {
    await expect(runMillionKeys(16 * 2 ** 20)).rejects.toMatchObject({
      code: 'SLUICE_ERR_STATE_MEMORY_EXHAUSTED',
      message: expect.stringMatching(/taskmanager\.memory\.managed\.size/),
    });
  });
});
