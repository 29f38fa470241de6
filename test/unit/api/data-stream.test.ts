import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  DataStream,
  DataStreamSource,
  KeyedStream,
  SingleOutputStreamOperator,
} from '../../../src/api/data-stream.ts';
import type { DataStreamSink } from '../../../src/api/data-stream-sink.ts';
import type { NumericField } from '../../../src/api/functions.ts';
import { StreamExecutionEnvironment } from '../../../src/api/stream-execution-environment.ts';
import { CollectSink } from '../../../src/connectors/collect/collect-sink.ts';

interface Bid {
  auction: string;
  bidder: string;
  price: number;
  qty: number;
}

const bids: Bid[] = [
  { auction: 'a', bidder: 'x', price: 5, qty: 1 },
  { auction: 'b', bidder: 'y', price: 7, qty: 2 },
  { auction: 'a', bidder: 'z', price: 3, qty: 4 },
  { auction: 'a', bidder: 'w', price: 9, qty: 1 },
];

describe('DataStream API types', () => {
  it('types flow through the chain', () => {
    const env = new StreamExecutionEnvironment();
    const source = env.fromElements(...bids);
    expectTypeOf(source).toEqualTypeOf<DataStreamSource<Bid>>();
    const prices = source.map((b) => b.price);
    expectTypeOf(prices).toEqualTypeOf<SingleOutputStreamOperator<number>>();
    // biome-ignore lint/suspicious/useIterableCallbackReturn: DataStream.flatMap emits through its collector
    const words = env.fromElements('a b').flatMap<[string, number]>((line, out) => {
      for (const w of line.split(' ')) out.collect([w, 1]);
    });
    expectTypeOf(words).toEqualTypeOf<SingleOutputStreamOperator<[string, number]>>();
    const keyed = source.keyBy((b) => b.auction);
    expectTypeOf(keyed).toEqualTypeOf<KeyedStream<Bid, string>>();
    expectTypeOf(keyed.sum('price')).toEqualTypeOf<SingleOutputStreamOperator<Bid>>();
    expectTypeOf(source.rebalance()).toEqualTypeOf<DataStream<Bid>>();
    expectTypeOf(prices.print()).toEqualTypeOf<DataStreamSink<number>>();
    expectTypeOf(source.keyBy((b) => [b.auction, b.bidder] as const)).toEqualTypeOf<
      KeyedStream<Bid, readonly [string, string]>
    >();
  });

  it('aggregations accept only numeric fields (names for objects, positions for tuples)', () => {
    expectTypeOf<NumericField<Bid>>().toEqualTypeOf<'price' | 'qty'>();
    expectTypeOf<NumericField<[string, number, number]>>().toEqualTypeOf<1 | 2>();
    const env = new StreamExecutionEnvironment();
    const keyed = env.fromElements(...bids).keyBy((b) => b.auction);
    // @ts-expect-error 'bidder' is a string field
    keyed.sum('bidder');
    // @ts-expect-error not a field at all
    keyed.max('nope');
    const tuples = env.fromElements<[string, number]>(['a', 1]).keyBy(([w]) => w);
    tuples.sum(1);
    // @ts-expect-error position 0 holds a string
    tuples.sum(0);
    // @ts-expect-error keys must be primitives or arrays of primitives
    env.fromElements(...bids).keyBy((b) => ({ id: b.auction }));
  });
});

describe('DataStream API behaviour', () => {
  it('rolling sum, min, max, minBy and maxBy follow Flink semantics', async () => {
    const run = async (pick: (k: KeyedStream<Bid, string>) => DataStream<Bid>): Promise<Bid[]> => {
      const env = new StreamExecutionEnvironment();
      return pick(env.fromElements(...bids).keyBy((b) => b.auction)).executeAndCollect();
    };
    const a = (r: Bid[]): Bid[] => r.filter((b) => b.auction === 'a');
    // sum/min/max: the key's first record, with the field aggregated.
    expect(a(await run((k) => k.sum('price'))).map((b) => [b.bidder, b.price])).toEqual([
      ['x', 5],
      ['x', 8],
      ['x', 17],
    ]);
    expect(a(await run((k) => k.min('price'))).map((b) => [b.bidder, b.price])).toEqual([
      ['x', 5],
      ['x', 3],
      ['x', 3],
    ]);
    expect(a(await run((k) => k.max('price'))).map((b) => [b.bidder, b.price])).toEqual([
      ['x', 5],
      ['x', 5],
      ['x', 9],
    ]);
    // minBy/maxBy: the whole record holding the extreme value.
    expect(a(await run((k) => k.minBy('price'))).map((b) => b.bidder)).toEqual(['x', 'z', 'z']);
    expect(a(await run((k) => k.maxBy('qty'))).map((b) => b.bidder)).toEqual(['x', 'z', 'z']);
    // Inputs are never mutated.
    expect(bids[0]).toEqual({ auction: 'a', bidder: 'x', price: 5, qty: 1 });
  });

  it('sum on tuples keeps them tuples', async () => {
    const env = new StreamExecutionEnvironment();
    const out = await env
      .fromElements<[string, number]>(['a', 1], ['a', 2], ['b', 5])
      .keyBy(([k]) => k)
      .sum(1)
      .executeAndCollect();
    expect(out).toEqual([
      ['a', 1],
      ['a', 3],
      ['b', 5],
    ]);
  });

  it('union merges streams; broadcast copies to every subtask; rebalance spreads evenly', async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 3 });
    const a = env.fromElements(1, 2, 3);
    const b = env.fromElements(10, 20);
    expect(
      (
        await a
          .union(b)
          .map((x) => x)
          .executeAndCollect()
      ).sort((x, y) => x - y),
    ).toEqual([1, 2, 3, 10, 20]);

    const broadcastSink = new CollectSink<number>();
    env
      .fromElements(7)
      .broadcast()
      .map((x) => x)
      .sinkTo(broadcastSink);
    const spreadSink = new CollectSink<number>();
    env
      .fromSequence(1, 30)
      .setParallelism(1)
      .rebalance()
      .map((x) => x)
      .sinkTo(spreadSink);
    await env.executeLocal();
    expect(broadcastSink.getResultsBySubtask()).toEqual([[7], [7], [7]]);
    expect(spreadSink.getResultsBySubtask().map((r) => r.length)).toEqual([10, 10, 10]);
  });

  it('print() prefixes the subtask number when parallel', async () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    const lines: string[] = [];
    const original = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      lines.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      env.fromSequence(1, 4).print();
      await env.executeLocal();
    } finally {
      process.stdout.write = original;
    }
    expect(lines.sort()).toEqual(['1> 1\n', '1> 3\n', '2> 2\n', '2> 4\n']);
  });

  it('checks settings where they are made', () => {
    const env = new StreamExecutionEnvironment();
    const s = env.fromElements(1).map((x) => x);
    expect(() => s.setParallelism(0)).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_API_INVALID_USE',
        message: 'setParallelism(0) on "Map": give a positive integer',
      }),
    );
    expect(() => s.name('  ')).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_API_INVALID_USE' }),
    );
    const other = new StreamExecutionEnvironment().fromElements(2);
    expect(() => s.union(other)).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_API_INVALID_USE',
        message: expect.stringContaining('another StreamExecutionEnvironment'),
      }),
    );
    expect(() => env.setParallelism(-1)).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_CONFIG_INVALID',
        message: expect.stringContaining('parallelism = -1'),
      }),
    );
    expect(() => new StreamExecutionEnvironment({ maxParallelism: 40000 })).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }),
    );
  });

  it('executeAndCollect leaves the job as it was', async () => {
    const env = new StreamExecutionEnvironment();
    const s = env.fromElements(1, 2).map((x) => x * 3);
    expect(await s.executeAndCollect()).toEqual([3, 6]);
    expect(await s.executeAndCollect()).toEqual([3, 6]);
    expect(() => env.getStreamGraph()).toThrowError(
      expect.objectContaining({ code: 'SLUICE_ERR_GRAPH_NO_SINK' }),
    );
  });
});
