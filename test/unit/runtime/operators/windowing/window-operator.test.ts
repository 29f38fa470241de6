import { afterEach, describe, expect, it } from 'vitest';
import type { KeySelector } from '../../../../../src/api/functions.ts';
import { OutputTag } from '../../../../../src/api/output-tag.ts';
import { ProcessingTimeSessionWindows } from '../../../../../src/api/windowing/session-windows.ts';
import { SlidingProcessingTimeWindows } from '../../../../../src/api/windowing/sliding-windows.ts';
import type { TimeWindow } from '../../../../../src/api/windowing/time-window.ts';
import {
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
} from '../../../../../src/api/windowing/tumbling-windows.ts';
import type { WindowAssigner } from '../../../../../src/api/windowing/window-assigner.ts';
import { MemoryManager } from '../../../../../src/memory/memory-manager.ts';
import {
  createElementContext,
  type Output,
} from '../../../../../src/runtime/operators/stream-operator.ts';
import { TestProcessingTimeService } from '../../../../../src/runtime/operators/timers/test-processing-time-service.ts';
import {
  IterableProcessWindowFunction,
  PassThroughWindowFunction,
} from '../../../../../src/runtime/operators/windowing/internal-window-function.ts';
import { WindowOperator } from '../../../../../src/runtime/operators/windowing/window-operator.ts';
import {
  type KeyedStateSnapshot,
  ManagedKeyedStateBackend,
} from '../../../../../src/runtime/state/managed-keyed-state-backend.ts';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
} from '../../../../../src/runtime/state/state-descriptor.ts';
import {
  Float64Serializer,
  StringSerializer,
} from '../../../../../src/types/primitive-serializers.ts';

const managers: MemoryManager[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.releaseAll();
});

const byValue: KeySelector<string, string> = { getKey: (v) => v };
const count = new AggregatingStateDescriptor<string, number, number>(
  'window-contents',
  {
    createAccumulator: () => 0,
    add: (_v, acc) => acc + 1,
    getResult: (acc) => acc,
    merge: (a, b) => a + b,
  },
  Float64Serializer.INSTANCE,
);

/** A window operator wired by hand, with a manual clock and captured output. */
function harness(
  assigner: WindowAssigner<string, TimeWindow>,
  options: { lateTag?: string; process?: boolean; restore?: KeyedStateSnapshot } = {},
) {
  const memoryManager = new MemoryManager({ memorySizeBytes: 4 * 2 ** 20 });
  managers.push(memoryManager);
  const backend = new ManagedKeyedStateBackend({
    memoryManager,
    owner: `window-${managers.length}`,
    maxParallelism: 128,
    keyGroupRange: { startKeyGroup: 0, endKeyGroup: 127 },
  });
  if (options.restore !== undefined) backend.restore([options.restore]);
  const element = createElementContext();
  const out: string[] = [];
  const side: string[] = [];
  const output: Output<unknown> = {
    collect: (r) => out.push(`${JSON.stringify(r)}@${element.timestamp}`),
    emitWatermark: (w) => out.push(`wm ${w}`),
  };
  const time = new TestProcessingTimeService(0);
  const operator = new WindowOperator<string, string, TimeWindow, unknown, unknown>('Window', {
    assigner,
    trigger: assigner.getDefaultTrigger(),
    keySelector: byValue,
    stateDescriptor: options.process
      ? new ListStateDescriptor<string>('window-contents', StringSerializer.INSTANCE)
      : count,
    windowFunction: (options.process
      ? new IterableProcessWindowFunction<string, unknown, string, TimeWindow>({
          process: (key, ctx, elements, o) =>
            o.collect([key, ctx.window().start, ctx.window().end, elements.join('')]),
        })
      : new PassThroughWindowFunction()) as never,
    allowedLatenessMs: 0,
    lateDataOutputTag: options.lateTag,
  });
  operator.setup({
    output,
    runtimeContext: {
      jobId: 'j',
      taskName: 'Window',
      taskNameWithSubtasks: 'Window (1/1)',
      operatorName: 'Window',
      subtaskIndex: 0,
      parallelism: 1,
      maxParallelism: 128,
      attemptNumber: 0,
    },
    elementContext: element,
    keyedStateBackend: backend,
    operatorEventGateway: { sendEventToCoordinator() {} },
    sideOutputs: new Map([['late', { collect: (r) => side.push(String(r)), emitWatermark() {} }]]),
    processingTimeService: time,
  });
  const push = (value: string, timestamp?: number): void => {
    element.hasTimestamp = timestamp !== undefined;
    element.timestamp = timestamp ?? 0;
    operator.processElement(value);
  };
  return { operator, backend, out, side, time, push };
}

describe('WindowOperator in processing time', () => {
  it('fires tumbling windows when the clock passes their end', async () => {
    const h = harness(TumblingProcessingTimeWindows.of<string>(100));
    await h.operator.open();
    h.push('a');
    h.push('b');
    h.time.advanceTo(50);
    h.push('a');
    expect(h.out).toEqual([]);
    h.time.advanceTo(98);
    expect(h.out).toEqual([]);
    h.time.advanceTo(99); // the window's last millisecond
    expect(h.out.sort()).toEqual(['1@99', '2@99']);
    h.time.advanceTo(150);
    h.push('a');
    h.time.advanceTo(250);
    expect(h.out.at(-1)).toBe('1@199');
    expect(h.backend.numEntries()).toBe(0); // contents and timers cleaned up
  });

  it('fires every sliding window of a record', async () => {
    const h = harness(SlidingProcessingTimeWindows.of<string>(100, 50));
    await h.operator.open();
    h.time.advanceTo(60);
    h.push('k'); // windows [0,100) and [50,150)
    h.time.advanceTo(1000);
    expect(h.out).toEqual(['1@99', '1@149']);
  });

  it('merges processing-time sessions', async () => {
    const h = harness(ProcessingTimeSessionWindows.withGap<string>(30), { process: true });
    await h.operator.open();
    h.push('x');
    h.time.advanceTo(20);
    h.push('x');
    h.time.advanceTo(45);
    h.push('x');
    h.time.advanceTo(200);
    h.push('x');
    h.time.advanceTo(300);
    expect(h.out).toEqual(['["x",0,75,"xxx"]@74', '["x",200,230,"x"]@229']);
  });
});

describe('WindowOperator in event time', () => {
  it('fails with a coded error for a record without a timestamp', async () => {
    const h = harness(TumblingEventTimeWindows.of<string>(100));
    await h.operator.open();
    expect(() => h.push('a')).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_TIME_MISSING_TIMESTAMP' }),
    );
  });

  it('sends late records to the side output and keeps windows across a snapshot', async () => {
    const h = harness(TumblingEventTimeWindows.of<string>(100), { lateTag: 'late' });
    await h.operator.open();
    h.push('a', 10);
    h.push('b', 120);
    h.operator.processWatermark(99);
    expect(h.out).toEqual(['1@99', 'wm 99']);
    h.push('a', 50); // late: window [0,100) is gone
    expect(h.side).toEqual(['a']);
    expect(h.operator.numLateRecordsDropped).toBe(0);
    // Restore the state (contents and timers) into a fresh operator: [100,200) still fires.
    const restored = harness(TumblingEventTimeWindows.of<string>(100), {
      restore: h.backend.snapshot(),
    });
    await restored.operator.open();
    restored.push('b', 150);
    restored.operator.processWatermark(199);
    expect(restored.out).toEqual(['2@199', 'wm 199']);
  });

  it('counts late records when there is no side output', async () => {
    const h = harness(TumblingEventTimeWindows.of<string>(100));
    await h.operator.open();
    h.operator.processWatermark(500);
    h.push('a', 10);
    h.push('a', 400);
    expect(h.operator.numLateRecordsDropped).toBe(2);
    expect(h.operator.getMetrics()).toMatchObject({
      numLateRecordsDropped: 2,
      currentInputWatermark: 500,
    });
    expect(new OutputTag('x').toString()).toBe('OutputTag(x)');
  });
});
