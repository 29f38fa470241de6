import { describe, expect, it } from 'vitest';
import type { Sink, SinkWriter } from '../../../../src/api/connector/sink.ts';
import type {
  ReaderOutput,
  Source,
  SourceReader,
  SourceReaderContext,
} from '../../../../src/api/connector/source.ts';
import { LocalExecutor } from '../../../../src/api/local/local-executor.ts';
import { StreamExecutionEnvironment } from '../../../../src/api/stream-execution-environment.ts';
import { WatermarkStrategy } from '../../../../src/api/watermark-strategy.ts';
import { CollectSink } from '../../../../src/connectors/collect/collect-sink.ts';
import { DataGeneratorSource } from '../../../../src/connectors/datagen/data-generator-source.ts';
import { DiscardingSink } from '../../../../src/connectors/discard/discarding-sink.ts';
import type {
  OneInputStreamOperator,
  Output,
} from '../../../../src/runtime/operators/stream-operator.ts';
import { AVAILABLE } from '../../../../src/runtime/operators/stream-operator.ts';

/** A bounded source that gives each record the timestamp 1000 × value; subtask i reads every p-th. */
class TimestampedSource implements Source<number> {
  readonly boundedness = 'BOUNDED';
  readonly values: number[];
  constructor(values: number[]) {
    this.values = values;
  }
  createReader(context: SourceReaderContext): SourceReader<number> {
    const values = this.values.filter((_, i) => i % context.parallelism === context.subtaskIndex);
    let next = 0;
    return {
      pollNext(output: ReaderOutput<number>) {
        if (next < values.length) output.collect(values[next]!, values[next++]! * 1000);
        return next < values.length ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
      },
      isAvailable: () => AVAILABLE,
    };
  }
}

/** Records the watermarks an operator receives. */
function watermarkRecorder(
  seen: number[],
): (name: string) => OneInputStreamOperator<number, number> {
  return (name) => {
    let output!: Output<number>;
    return {
      operatorName: name,
      setup: (p) => {
        output = p.output;
      },
      open: () => {},
      finish: () => {},
      close: () => {},
      processElement: (r) => output.collect(r),
      processWatermark: (w) => {
        seen.push(w);
        output.emitWatermark(w);
      },
    };
  };
}

describe('LocalExecutor', () => {
  it('fails the job with a coded error naming the operator and subtask, and closes everything', async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const closed: number[] = [];
    env
      .fromSequence(1, 100)
      .map({
        subtask: -1,
        open(ctx) {
          this.subtask = ctx.subtaskIndex;
        },
        map(x: number) {
          if (x === 42) throw new RangeError(`cannot handle ${x}`);
          return x;
        },
        close() {
          closed.push(this.subtask);
        },
      } as import('../../../../src/api/functions.ts').MapFunction<number, number> & {
        subtask: number;
      })
      .name('Picky')
      .sinkTo(new DiscardingSink());
    const failure = env.executeLocal().then(
      () => undefined,
      (error: unknown) => error,
    );
    const error = (await failure) as Error & { code: string; details: Record<string, unknown> };
    expect(error.code).toBe('SLUICE_ERR_OPERATOR_FUNCTION_FAILED');
    // The datagen source gives index 41 (value 42) to subtask 41 % 2 = 1.
    expect(error.message).toContain('operator "Picky" threw in map of subtask 2/2 (index 1)');
    expect(error.message).toContain('task "Source: Sequence Source -> Picky -> Sink: Writer"');
    expect(error.message).toContain('cannot handle 42');
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.details).toMatchObject({ operatorName: 'Picky', subtaskIndex: 1, parallelism: 2 });
    // Both subtasks were closed (one shared function object here: close ran twice).
    expect(closed).toHaveLength(2);
  });

  it('reports a failing key selector with the operator behind the keyBy', async () => {
    const env = new StreamExecutionEnvironment();
    env
      .fromElements({ id: 1 }, { id: 2 })
      .keyBy((r) => (r.id === 2 ? (null as unknown as string) : String(r.id)))
      .reduce((a) => a)
      .print();
    await expect(env.executeLocal()).rejects.toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_OPERATOR_FUNCTION_FAILED',
        message: expect.stringMatching(/keyBy\(\) in front of operator "Keyed Reduce".*got null/),
      }),
    );
  });

  it('gives exact results under backpressure with tiny channels', async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const sink = new CollectSink<[number, number]>();
    env
      .fromSource(
        new DataGeneratorSource((i) => [i % 7, 1] as [number, number], 5000),
        WatermarkStrategy.noWatermarks(),
        'gen',
      )
      .keyBy(([k]) => k)
      .sum(1)
      .setParallelism(2)
      .sinkTo(sink)
      .setParallelism(2);
    const result = await env.executeLocal({ batchSize: 3, channelCapacity: 2 });
    const last = new Map<number, number>();
    for (const [k, n] of sink.getResults()) last.set(k, Math.max(last.get(k) ?? 0, n));
    expect([...last.entries()].sort((a, b) => a[0] - b[0])).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((k) => [k, Math.floor(5000 / 7) + (k < 5000 % 7 ? 1 : 0)]),
    );
    const [sourceVertex, reduceVertex] = env.getJobGraph().vertices;
    expect(result.numRecordsOut[sourceVertex!.id]).toBe(5000);
    expect(result.numRecordsIn[reduceVertex!.id]).toBe(5000);
  });

  it('cancels an unbounded job on abort and closes its operators', async () => {
    const env = new StreamExecutionEnvironment();
    const controller = new AbortController();
    let written = 0;
    let closed = false;
    const sink: Sink<number> = {
      createWriter: (): SinkWriter<number> => ({
        write: () => {
          if (++written === 10_000) controller.abort();
        },
        flush: () => {},
        close: () => {
          closed = true;
        },
      }),
    };
    env
      .fromSource(
        new DataGeneratorSource((i) => i, Number.POSITIVE_INFINITY),
        WatermarkStrategy.noWatermarks(),
        'forever',
      )
      .rebalance()
      .sinkTo(sink);
    const result = await env.executeLocal({ signal: controller.signal });
    expect(result.state).toBe('CANCELED');
    expect(written).toBeGreaterThanOrEqual(10_000);
    expect(closed).toBe(true);
  });

  it('carries timestamps across exchanges and forwards the final watermark once', async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const seenWatermarks: number[] = [];
    const stamped = await env
      .fromSource(new TimestampedSource([1, 2, 3, 4]), WatermarkStrategy.noWatermarks(), 'stamped')
      .setParallelism(2)
      .rebalance()
      .transform('Watermarks', 'Recorder', watermarkRecorder(seenWatermarks))
      .setParallelism(1)
      .process<[number, number | undefined]>((v, ctx, out) => out.collect([v, ctx.timestamp()]))
      .setParallelism(1)
      .executeAndCollect();
    expect(stamped.sort((a, b) => a[0] - b[0])).toEqual([
      [1, 1000],
      [2, 2000],
      [3, 3000],
      [4, 4000],
    ]);
    // Two source subtasks each end with MAX_WATERMARK; the valve forwards it once.
    expect(seenWatermarks).toEqual([Number.MAX_SAFE_INTEGER]);
  });

  it('fails a job whose function fails to open, naming the phase', async () => {
    const env = new StreamExecutionEnvironment();
    env
      .fromElements(1)
      .filter({
        open() {
          throw new Error('no connection');
        },
        filter: () => true,
      })
      .print();
    await expect(env.executeLocal()).rejects.toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_OPERATOR_FUNCTION_FAILED',
        message: expect.stringContaining('"Filter" threw in open of subtask 1/1'),
      }),
    );
  });

  it('respects taskmanager.numberOfTaskSlots', async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 4 });
    env.fromSequence(1, 8).print();
    await expect(
      new LocalExecutor({ numberOfTaskSlots: 2 }).execute({ jobGraph: env.getJobGraph() }),
    ).rejects.toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_GRAPH_NOT_ENOUGH_SLOTS' }));
    expect(() => new LocalExecutor({ batchSize: 0 })).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_CONFIG_INVALID',
        message: expect.stringContaining('batchSize = 0'),
      }),
    );
  });
});
