import { describe, expect, it } from 'vitest';
import type { RuntimeContext } from '../../../../src/api/functions.ts';
import { ProcessOperator } from '../../../../src/runtime/operators/process-operator.ts';
import { HeapKeyedStateBackend } from '../../../../src/runtime/operators/state/heap-keyed-state-backend.ts';
import { StreamFilter } from '../../../../src/runtime/operators/stream-filter.ts';
import { StreamFlatMap } from '../../../../src/runtime/operators/stream-flat-map.ts';
import { StreamGroupedReduce } from '../../../../src/runtime/operators/stream-grouped-reduce.ts';
import { StreamMap } from '../../../../src/runtime/operators/stream-map.ts';
import {
  createElementContext,
  type Output,
  type StreamOperator,
} from '../../../../src/runtime/operators/stream-operator.ts';
import { UserFunctionError } from '../../../../src/runtime/operators/user-function-error.ts';

const runtimeContext: RuntimeContext = {
  jobId: 'job',
  taskName: 'Source: s -> Map',
  taskNameWithSubtasks: 'Source: s -> Map (3/4)',
  operatorName: 'Map',
  subtaskIndex: 2,
  parallelism: 4,
  maxParallelism: 128,
  attemptNumber: 0,
};

function harness<OUT>(operator: StreamOperator<OUT>, keyed = false) {
  const out: OUT[] = [];
  const watermarks: number[] = [];
  const output: Output<OUT> = {
    collect: (r) => void out.push(r),
    emitWatermark: (w) => void watermarks.push(w),
  };
  const elementContext = createElementContext();
  const keyedStateBackend = keyed ? new HeapKeyedStateBackend() : undefined;
  operator.setup({
    output,
    runtimeContext: { ...runtimeContext, operatorName: operator.operatorName },
    elementContext,
    keyedStateBackend,
    operatorEventGateway: { sendEventToCoordinator: () => {} },
  });
  return { out, watermarks, elementContext, keyedStateBackend };
}

describe('stream operators', () => {
  it('map, filter and flatMap emit what their functions return or collect', async () => {
    const map = new StreamMap('Map', { map: (x: number) => x * 2 });
    const m = harness(map);
    await map.open();
    map.processElement(3);
    map.processWatermark(7);
    expect(m.out).toEqual([6]);
    expect(m.watermarks).toEqual([7]);

    const filter = new StreamFilter('Filter', { filter: (x: number) => x % 2 === 0 });
    const f = harness(filter);
    for (const x of [1, 2, 3, 4]) filter.processElement(x);
    expect(f.out).toEqual([2, 4]);

    const flatMap = new StreamFlatMap<string, string>('Flat Map', {
      flatMap: (line, out) => {
        for (const w of line.split(' ')) out.collect(w);
      },
    });
    const fm = harness(flatMap);
    flatMap.processElement('a b c');
    expect(fm.out).toEqual(['a', 'b', 'c']);
  });

  it('process gives the function the record timestamp and the watermark', () => {
    const seen: [number | undefined, number][] = [];
    const op = new ProcessOperator<number, number>('Process', {
      processElement: (v, ctx, out) => {
        seen.push([ctx.timestamp(), ctx.timerService().currentWatermark()]);
        out.collect(v + 1);
      },
    });
    const h = harness(op);
    h.elementContext.hasTimestamp = true;
    h.elementContext.timestamp = 500;
    h.elementContext.currentWatermark = 400;
    op.processElement(1);
    h.elementContext.hasTimestamp = false;
    op.processElement(2);
    expect(seen).toEqual([
      [500, 400],
      [undefined, 400],
    ]);
    expect(h.out).toEqual([2, 3]);
  });

  it('rolling reduce keeps one aggregate per key, composite keys included', async () => {
    const op = new StreamGroupedReduce<[string, string, number], [string, string]>(
      'Keyed Reduce',
      { reduce: (a, b) => [a[0], a[1], a[2] + b[2]] },
      { getKey: (r) => [r[0], r[1]] },
    );
    const h = harness(op, true);
    await op.open();
    for (const r of [
      ['a', 'x', 1],
      ['a', 'y', 10],
      ['a', 'x', 2],
      ['1', 'x', 100],
    ] as [string, string, number][]) {
      op.processElement(r);
    }
    expect(h.out).toEqual([
      ['a', 'x', 1],
      ['a', 'y', 10],
      ['a', 'x', 3],
      ['1', 'x', 100],
    ]);
    expect(h.keyedStateBackend!.numKeys()).toBe(3);
  });

  it('keeps byte-string and nested keys apart by content, not identity', () => {
    const backend = new HeapKeyedStateBackend();
    const state = backend.getValueState<number>('s');
    backend.setCurrentKey(new Uint8Array([1, 2]));
    state.update(1);
    backend.setCurrentKey(['a', ['b', 1]]);
    state.update(2);
    backend.setCurrentKey(new Uint8Array([1, 2]));
    expect(state.value()).toBe(1);
    backend.setCurrentKey(['a', ['b', 1]]);
    expect(state.value()).toBe(2);
    backend.setCurrentKey('a');
    expect(state.value()).toBeUndefined();
    expect(backend.numKeys()).toBe(2);
  });

  it('wraps a throwing function in a coded error naming operator, task and subtask', () => {
    const op = new StreamMap('Parse', {
      map: (s: string) => {
        if (s === 'bad') throw new SyntaxError('unexpected token');
        return s;
      },
    });
    harness(op);
    op.processElement('good');
    let caught: unknown;
    try {
      op.processElement('bad');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UserFunctionError);
    const error = caught as UserFunctionError;
    expect(error.code).toBe('SLUICE_ERR_OPERATOR_FUNCTION_FAILED');
    expect(error.message).toContain('operator "Parse" threw in map of subtask 3/4 (index 2)');
    expect(error.message).toContain('task "Source: s -> Map": unexpected token');
    expect(error.cause).toBeInstanceOf(SyntaxError);
    expect(error.details).toMatchObject({ operatorName: 'Parse', subtaskIndex: 2, parallelism: 4 });
  });

  it('does not blame a flat map for an error raised by the next operator', () => {
    const downstream = new StreamMap('Downstream', {
      map: (): never => {
        throw new Error('boom');
      },
    });
    harness(downstream);
    const flatMap = new StreamFlatMap<number, number>('Flat Map', {
      flatMap: (v, out) => out.collect(v),
    });
    const out: Output<number> = {
      collect: (r) => downstream.processElement(r),
      emitWatermark: () => {},
    };
    flatMap.setup({
      output: out,
      runtimeContext,
      elementContext: createElementContext(),
      keyedStateBackend: undefined,
      operatorEventGateway: { sendEventToCoordinator: () => {} },
    });
    expect(() => flatMap.processElement(1)).toThrowError(
      expect.objectContaining({ message: expect.stringContaining('operator "Downstream"') }),
    );
  });

  it('calls open(ctx) and close() of rich functions', async () => {
    const calls: string[] = [];
    const op = new StreamFilter('Filter', {
      open(ctx: RuntimeContext) {
        calls.push(`open ${ctx.operatorName} ${ctx.subtaskIndex}/${ctx.parallelism}`);
      },
      filter: () => true,
      close() {
        calls.push('close');
      },
    });
    harness(op);
    await op.open();
    await op.close();
    expect(calls).toEqual(['open Filter 2/4', 'close']);
  });
});
