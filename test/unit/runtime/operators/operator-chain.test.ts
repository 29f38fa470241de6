import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../../../src/api/stream-execution-environment.ts';
import { CollectSink } from '../../../../src/connectors/collect/collect-sink.ts';
import type { JobEdge } from '../../../../src/graph/job-edge.ts';
import type { JobVertex } from '../../../../src/graph/job-vertex.ts';
import {
  OperatorChain,
  type OperatorChainContext,
} from '../../../../src/runtime/operators/operator-chain.ts';
import type { RecordWriterOutput } from '../../../../src/runtime/operators/record-writer-output.ts';
import type { SourceOperator } from '../../../../src/runtime/operators/source-operator.ts';
import { SourceInputProcessor } from '../../../../src/runtime/operators/stream-input-processor.ts';
import {
  AVAILABLE,
  type ElementContext,
  type OneInputStreamOperator,
  type Output,
  type StreamOperatorParameters,
} from '../../../../src/runtime/operators/stream-operator.ts';

/** A record writer output that remembers what it got, with timestamps. */
class RecordingWriter implements RecordWriterOutput<unknown> {
  numRecordsOut = 0;
  readonly records: [unknown, number | undefined][] = [];
  readonly watermarks: number[] = [];
  finished = false;
  available = true;
  readonly edge: JobEdge;
  readonly element: ElementContext;
  constructor(edge: JobEdge, element: ElementContext) {
    this.edge = edge;
    this.element = element;
  }
  collect(record: unknown): void {
    this.numRecordsOut++;
    this.records.push([record, this.element.hasTimestamp ? this.element.timestamp : undefined]);
  }
  emitWatermark(watermark: number): void {
    this.watermarks.push(watermark);
  }
  isAvailable(): boolean {
    return this.available;
  }
  getAvailableFuture(): Promise<void> {
    return AVAILABLE;
  }
  flush(): void {}
  finish(): void {
    this.finished = true;
  }
  close(): void {}
}

function context(writers: RecordingWriter[], events: unknown[][] = []): OperatorChainContext {
  return {
    jobId: 'job',
    subtaskIndex: 0,
    attemptNumber: 0,
    createRecordWriterOutput: (edge, _index, element) => {
      const writer = new RecordingWriter(edge, element);
      writers.push(writer);
      return writer;
    },
    sendOperatorEvent: (nodeId, subtask, event) => events.push([nodeId, subtask, event]),
  };
}

/** A pass-through operator that logs its lifecycle calls. */
function logging(
  log: string[],
  fail?: 'close',
): (name: string) => OneInputStreamOperator<unknown, unknown> {
  return (name) => {
    let output!: Output<unknown>;
    return {
      operatorName: name,
      setup(p: StreamOperatorParameters<unknown>) {
        output = p.output;
      },
      open: () => void log.push(`open ${name}`),
      finish: () => void log.push(`finish ${name}`),
      close: () => {
        log.push(`close ${name}`);
        if (fail === 'close') throw new Error(`close of ${name} failed`);
      },
      processElement: (r: unknown) => output.collect(r),
      processWatermark: (w: number) => output.emitWatermark(w),
    };
  };
}

describe('OperatorChain', () => {
  it('passes the same record object through chained operators (object reuse) and counts it', async () => {
    const env = new StreamExecutionEnvironment();
    const input = { n: 1 };
    const seen: unknown[] = [];
    env
      .fromElements(input)
      .map((r) => r)
      .filter((r) => {
        seen.push(r);
        return true;
      })
      .keyBy((r) => r.n)
      .reduce((a) => a)
      .print();
    const [sourceVertex] = env.getJobGraph().vertices as JobVertex[];
    const writers: RecordingWriter[] = [];
    const chain = new OperatorChain(sourceVertex!, context(writers));
    await chain.open();
    const input$ = new SourceInputProcessor(chain.mainOperator as SourceOperator<unknown>);
    expect(input$.processInput(10)).toBe('END_OF_INPUT');
    await chain.finish();
    await chain.close();
    expect(seen[0]).toBe(input);
    expect(writers).toHaveLength(1);
    expect(writers[0]!.records[0]![0]).toBe(input);
    expect(writers[0]!.finished).toBe(true);
    // Bounded source: the final watermark crosses the exchange at the end.
    expect(writers[0]!.watermarks).toEqual([Number.MAX_SAFE_INTEGER]);
    expect([...chain.chainingOutputs.values()].map((o) => o.numRecordsIn)).toEqual([1, 1]);
  });

  it('opens tail first, finishes head first, closes all even when one close fails', async () => {
    const env = new StreamExecutionEnvironment();
    const log: string[] = [];
    env
      .fromElements(1)
      .rebalance()
      .transform('A', 'Logging', logging(log))
      .transform('B', 'Logging', logging(log, 'close'))
      .transform('C', 'Logging', logging(log))
      .sinkTo(new CollectSink());
    const vertex = env.getJobGraph().vertices[1]!;
    expect(vertex.name).toBe('A -> B -> C -> Sink: Writer');
    const chain = new OperatorChain(vertex, context([]));
    await chain.open();
    await chain.finish();
    await expect(chain.close()).rejects.toThrow('close of B failed');
    expect(log).toEqual([
      'open C',
      'open B',
      'open A',
      'finish A',
      'finish B',
      'finish C',
      'close A',
      'close B',
      'close C',
    ]);
  });

  it('feeds the head from outside, carries timestamps to the record writer, and branches', async () => {
    const env = new StreamExecutionEnvironment();
    const keyed = env.fromElements(0).keyBy((x) => x);
    const mapped = keyed.map((x) => x * 10);
    mapped.rebalance().print();
    mapped
      .map((x) => x + 1)
      .rebalance()
      .print();
    const vertex = env.getJobGraph().vertices[1]!;
    expect(vertex.name).toBe('Map -> Map');
    const writers: RecordingWriter[] = [];
    const chain = new OperatorChain(vertex, context(writers));
    await chain.open();
    const head = chain.headInput;
    chain.elementContext.hasTimestamp = true;
    chain.elementContext.timestamp = 1234;
    head.processElement(4);
    chain.elementContext.hasTimestamp = false;
    head.processElement(5);
    head.processWatermark(99);
    expect(writers.map((w) => w.records)).toEqual([
      [
        [40, 1234],
        [50, undefined],
      ],
      [
        [41, 1234],
        [51, undefined],
      ],
    ]);
    expect(writers.map((w) => w.watermarks)).toEqual([[99], [99]]);
    writers[1]!.available = false;
    expect(chain.isAvailable()).toBe(false);
    await chain.close();
  });

  it('routes operator events of a sink to its coordinator by node id and subtask', async () => {
    const env = new StreamExecutionEnvironment();
    env.fromElements('x', 'y').sinkTo(new CollectSink<string>());
    const vertex = env.getJobGraph().vertices[0]!;
    const events: unknown[][] = [];
    const chain = new OperatorChain(vertex, context([], events));
    await chain.open();
    new SourceInputProcessor(chain.mainOperator as SourceOperator<unknown>).processInput(10);
    await chain.finish();
    await chain.close();
    expect(events).toEqual([[2, 0, { type: 'collect-batch', records: ['x', 'y'] }]]);
  });
});
