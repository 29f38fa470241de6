import { describe, expect, it } from 'vitest';
import type { Sink, SinkWriter } from '../../../src/api/connector/sink.ts';
import type { InputStatus, Source, SourceReader } from '../../../src/api/connector/source.ts';
import { StreamExecutionEnvironment } from '../../../src/api/stream-execution-environment.ts';
import { WatermarkStrategy } from '../../../src/api/watermark-strategy.ts';
import { CollectSink } from '../../../src/connectors/collect/collect-sink.ts';
import { DataGeneratorSource } from '../../../src/connectors/datagen/data-generator-source.ts';
import type { JobGraph } from '../../../src/graph/job-graph.ts';
import type { ExecutionState } from '../../../src/runtime/execution-state.ts';
import type { OperatorChain } from '../../../src/runtime/operators/operator-chain.ts';
import { AVAILABLE } from '../../../src/runtime/operators/stream-operator.ts';
import {
  type CountingInputProcessor,
  StreamTask,
  type StreamTaskEnvironment,
} from '../../../src/runtime/stream-task.ts';

/** An environment over the main graph: operator events go straight to its sinks. */
function environmentOf(
  graph: JobGraph,
  overrides: Partial<StreamTaskEnvironment> = {},
): StreamTaskEnvironment {
  return {
    jobId: graph.jobId,
    jobName: graph.jobName,
    attemptNumber: 0,
    createRecordWriterOutput: (edge) => {
      throw new Error(`unexpected exchange ${edge.streamEdge}`);
    },
    createInputProcessor: (vertex) => {
      throw new Error(`unexpected input of ${vertex}`);
    },
    sendOperatorEvent: (nodeId, subtaskIndex, event) =>
      graph.streamGraph.getStreamNode(nodeId).sink?.handleOperatorEvent?.(subtaskIndex, event),
    ...overrides,
  };
}

function run(task: StreamTask): Promise<ExecutionState> {
  return task.invoke();
}

function recordingListener(states: ExecutionState[], errors: unknown[] = []) {
  return (_task: StreamTask, state: ExecutionState, error?: unknown) => {
    states.push(state);
    if (error !== undefined) errors.push(error);
  };
}

/** A source that has nothing until `release()`, then ends. */
class GatedSource implements Source<number> {
  readonly boundedness = 'BOUNDED' as const;
  release!: () => void;
  private readonly gate = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  private open = false;
  createReader(): SourceReader<number> {
    void this.gate.then(() => {
      this.open = true;
    });
    return {
      pollNext: (output): InputStatus => {
        if (!this.open) return 'NOTHING_AVAILABLE';
        output.collect(1);
        return 'END_OF_INPUT';
      },
      isAvailable: () => this.gate,
    };
  }
}

/** A sink that takes `capacity` records, then is unavailable until `drain()`. */
class SlowSink implements Sink<number> {
  written = 0;
  capacity: number;
  private waiting: (() => void) | undefined;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  drain(more: number): void {
    this.capacity += more;
    const wake = this.waiting;
    this.waiting = undefined;
    wake?.();
  }
  createWriter(): SinkWriter<number> {
    return {
      write: () => {
        this.written++;
      },
      flush() {},
      close() {},
      isAvailable: () => this.written < this.capacity,
      getAvailableFuture: () =>
        this.written < this.capacity
          ? AVAILABLE
          : new Promise<void>((resolve) => {
              this.waiting = resolve;
            }),
    };
  }
}

describe('StreamTask', () => {
  it('runs a source chain to its end: INITIALIZING, RUNNING, FINISHED, every record through', async () => {
    const env = new StreamExecutionEnvironment();
    const sink = new CollectSink<number>({ batchSize: 100 });
    env
      .fromSource(new DataGeneratorSource((i) => i, 10_000), WatermarkStrategy.noWatermarks(), 'n')
      .map((x) => x * 2)
      .filter((x) => x % 4 === 0)
      .sinkTo(sink);
    const graph = env.getJobGraph();
    expect(graph.vertices).toHaveLength(1);
    const states: ExecutionState[] = [];
    const task = new StreamTask(
      graph.vertices[0]!,
      0,
      environmentOf(graph),
      recordingListener(states),
      { batchSize: 64 },
    );
    await expect(run(task)).resolves.toBe('FINISHED');
    expect(states).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
    const expected = Array.from({ length: 5000 }, (_, i) => i * 4);
    expect(sink.getResults()).toEqual(expected);
  });

  it('a user function throwing on record 1,000 fails the task with its coded error', async () => {
    const env = new StreamExecutionEnvironment();
    let seen = 0;
    env
      .fromSource(new DataGeneratorSource((i) => i, 5000), WatermarkStrategy.noWatermarks(), 'n')
      .map((x) => {
        if (++seen === 1000) throw new Error('bad record');
        return x;
      })
      .name('Picky')
      .sinkTo(new CollectSink<number>());
    const graph = env.getJobGraph();
    const states: ExecutionState[] = [];
    const errors: unknown[] = [];
    const task = new StreamTask(
      graph.vertices[0]!,
      0,
      environmentOf(graph),
      recordingListener(states, errors),
    );
    await expect(run(task)).resolves.toBe('FAILED');
    expect(states).toEqual(['INITIALIZING', 'RUNNING', 'FAILED']);
    expect(errors[0]).toMatchObject({
      code: 'SLUICE_ERR_OPERATOR_FUNCTION_FAILED',
      details: { operatorName: 'Picky', subtaskIndex: 0 },
    });
    expect((errors[0] as Error).message).toContain('bad record');
  });

  it('cancel stops an endless source between batches: CANCELING, CANCELED, chain closed', async () => {
    const env = new StreamExecutionEnvironment();
    let closed = false;
    env
      .fromSource(
        new DataGeneratorSource((i) => i, Number.POSITIVE_INFINITY),
        WatermarkStrategy.noWatermarks(),
        'endless',
      )
      .map({
        map: (x: number) => x,
        close: () => {
          closed = true;
        },
      })
      .sinkTo(new CollectSink<number>({ batchSize: 1_000_000 }));
    const graph = env.getJobGraph();
    const states: ExecutionState[] = [];
    const task = new StreamTask(
      graph.vertices[0]!,
      0,
      environmentOf(graph),
      recordingListener(states),
    );
    const done = run(task);
    // Control reaches the task's thread while the source produces without end.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(task.getState()).toBe('RUNNING');
    task.cancel();
    await expect(done).resolves.toBe('CANCELED');
    expect(states).toEqual(['INITIALIZING', 'RUNNING', 'CANCELING', 'CANCELED']);
    expect(closed).toBe(true);
    expect(task.getMailbox().numSlices).toBeGreaterThan(1);
  });

  it('waits for an unavailable output (back-pressured) and for input (idle), then finishes', async () => {
    const env = new StreamExecutionEnvironment();
    const sink = new SlowSink(10);
    env
      .fromSource(new DataGeneratorSource((i) => i, 100), WatermarkStrategy.noWatermarks(), 'n')
      .sinkTo(sink);
    const graph = env.getJobGraph();
    const task = new StreamTask(graph.vertices[0]!, 0, environmentOf(graph), () => {}, {
      batchSize: 5,
    });
    const done = run(task);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sink.written).toBe(10);
    expect(task.io.isBackPressured()).toBe(true);
    const during = task.snapshotMetrics();
    expect(during.isBackPressured).toBe(true);
    expect(during.backPressuredTimeMsPerSecond).toBeGreaterThan(0);
    sink.drain(1000);
    await expect(done).resolves.toBe('FINISHED');
    expect(sink.written).toBe(100);

    const gated = new GatedSource();
    const env2 = new StreamExecutionEnvironment();
    const collect = new CollectSink<number>();
    env2.fromSource(gated, WatermarkStrategy.noWatermarks(), 'gated').sinkTo(collect);
    const graph2 = env2.getJobGraph();
    const idleTask = new StreamTask(graph2.vertices[0]!, 0, environmentOf(graph2), () => {});
    const idleDone = run(idleTask);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const idle = idleTask.snapshotMetrics();
    expect(idle.idleTimeMsPerSecond).toBeGreaterThan(0);
    expect(idle.isBackPressured).toBe(false);
    gated.release();
    await expect(idleDone).resolves.toBe('FINISHED');
    expect(collect.getResults()).toEqual([1]);
  });

  it('feeds a non-source chain from the input processor and counts its records', async () => {
    const env = new StreamExecutionEnvironment();
    const sink = new CollectSink<[string, number]>();
    env
      .fromElements<[string, number]>(['a', 1])
      .keyBy(([word]) => word)
      .sum(1)
      .sinkTo(sink);
    const graph = env.getJobGraph();
    expect(graph.vertices).toHaveLength(2);
    const input = (chain: OperatorChain): CountingInputProcessor => {
      const words: [string, number][] = [
        ['to', 1],
        ['be', 1],
        ['to', 1],
      ];
      let next = 0;
      return {
        get numRecordsIn() {
          return next;
        },
        processInput(maxRecords: number): InputStatus {
          for (let n = 0; n < maxRecords && next < words.length; n++) {
            chain.headInput.processElement(words[next++]);
          }
          return next < words.length ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
        },
        getAvailableFuture: () => AVAILABLE,
      };
    };
    const task = new StreamTask(
      graph.vertices[1]!,
      0,
      environmentOf(graph, { createInputProcessor: (_v, _i, chain) => input(chain) }),
      () => {},
      { batchSize: 1 },
    );
    await expect(run(task)).resolves.toBe('FINISHED');
    expect(sink.getResults()).toEqual([
      ['to', 1],
      ['be', 1],
      ['to', 2],
    ]);
    expect(task.snapshotMetrics().numRecordsIn).toBe(3);
  });

  it('processing-time timers fire as mails while the task waits for input; one that throws fails the task', async () => {
    const env = new StreamExecutionEnvironment();
    const sink = new CollectSink<string>();
    let fired = 0;
    env
      .fromElements('a')
      .keyBy((x) => x)
      .process<string>({
        processElement(value, ctx, out) {
          const timers = ctx.timerService();
          timers.registerProcessingTimeTimer(timers.currentProcessingTime() + 5);
          timers.registerProcessingTimeTimer(timers.currentProcessingTime() + 10);
          out.collect(value);
        },
        onTimer(timestamp, ctx, out) {
          if (++fired === 2) throw new Error(`timer boom at ${timestamp}`);
          out.collect(`timer of ${ctx.getCurrentKey()}`);
        },
      })
      .sinkTo(sink);
    const graph = env.getJobGraph();
    const never = new Promise<void>(() => {});
    let delivered = false;
    const errors: unknown[] = [];
    const task = new StreamTask(
      graph.vertices[1]!,
      0,
      environmentOf(graph, {
        createInputProcessor: (_v, _i, chain) => ({
          processInput(): InputStatus {
            if (!delivered) {
              delivered = true;
              chain.headInput.processElement('a');
            }
            return 'NOTHING_AVAILABLE';
          },
          getAvailableFuture: () => never,
        }),
      }),
      recordingListener([], errors),
    );
    await expect(run(task)).resolves.toBe('FAILED');
    expect(sink.getResults()).toEqual(['a', 'timer of a']);
    expect(String((errors[0] as Error).message)).toContain('timer boom');
  });

  it('a cancel before the chain opened ends in CANCELED without running', async () => {
    const env = new StreamExecutionEnvironment();
    const sink = new CollectSink<number>();
    env.fromElements(1, 2, 3).sinkTo(sink);
    const graph = env.getJobGraph();
    const states: ExecutionState[] = [];
    const task = new StreamTask(
      graph.vertices[0]!,
      0,
      environmentOf(graph),
      recordingListener(states),
    );
    task.cancel();
    await expect(run(task)).resolves.toBe('CANCELED');
    expect(states).toEqual(['CANCELING', 'CANCELED']);
    expect(sink.getResults()).toEqual([]);
  });
});
