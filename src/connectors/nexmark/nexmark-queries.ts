/**
 * The Nexmark queries on the DataStream API: each takes the stream of events (with event
 * timestamps and watermarks already assigned) and returns the stream of its results. The
 * job modules in `jobs/nexmark/` wire them between Kafka topics; tests run them on any
 * source. Semantics follow the `nexmark/nexmark` Flink benchmark's SQL.
 *
 * | query | what | Flink nexmark SQL | result |
 * |---|---|---|---|
 * | q0 | pass-through | `SELECT auction, bidder, price, … FROM bid` | {@link Bid} |
 * | q1 | currency conversion | `0.908 * price` (dollars → euros) | {@link Bid} |
 * | q2 | selection | `WHERE MOD(auction, 123) = 0` | {@link Q2Result} |
 * | q5 | hot items | sliding 10 s / 2 s: auctions with the most bids per window (ties: all) | {@link Q5Result} |
 * | q7 | highest bid | tumbling 10 s: the bids with the highest price per window (ties: all) | {@link Q7Result} |
 * | q8 | new users | tumbling 10 s: persons who opened an auction in the window they registered in | {@link Q8Result} |
 *
 * ```
 *  q5:  bids ─map(auction)─► keyBy(auction) ─► Sliding(10 s, 2 s) count ─► {auction,num,window}
 *                                         ─► keyBy(window end) ─► Tumbling(2 s): keep the max
 *  q7:  bids ─► keyBy(auction) ─► Tumbling(10 s): max price (+ tied bids)
 *            ─► keyBy(window end) ─► Tumbling(10 s): max over auctions ─► each top bid
 *  q8:  persons ∪ auctions ─flatMap─► [id, name | null] ─► keyBy(id) ─► Tumbling(10 s):
 *            emit when the window holds the person and one of their auctions
 * ```
 *
 * The second stage of q5 and q7 collects the first stage's results of one window: they
 * carry the window's `maxTimestamp()` (end − 1), which falls in the second stage's window
 * ending at the same time, and they arrive before the watermark that fires it.
 *
 * @remarks Called in job builders (every thread); the functions are pure.
 * @module
 */
import type { DataStream, SingleOutputStreamOperator } from '../../api/data-stream.ts';
import { SlidingEventTimeWindows } from '../../api/windowing/sliding-windows.ts';
import { TumblingEventTimeWindows } from '../../api/windowing/tumbling-windows.ts';
import type { WindowAggregateFunction } from '../../api/windowing/windowed-stream.ts';
import { Float64Serializer } from '../../types/primitive-serializers.ts';
import { Types } from '../../types/types.ts';
import type { Bid, NexmarkEvent } from './nexmark-model.ts';

/** The queries this module implements. */
export const NEXMARK_QUERIES = ['q0', 'q1', 'q2', 'q5', 'q7', 'q8'] as const;
/** One of {@link NEXMARK_QUERIES}. */
export type NexmarkQueryName = (typeof NEXMARK_QUERIES)[number];

/** Window sizes of the queries (Flink nexmark's defaults). */
export interface NexmarkQueryOptions {
  /** Window size of q5, q7 and q8. @defaultValue 10000 ms */
  windowSizeMs: number;
  /** Slide of q5's sliding windows. @defaultValue 2000 ms */
  windowSlideMs: number;
}

/** Defaults of {@link NexmarkQueryOptions}. */
export const defaultNexmarkQueryOptions: Readonly<NexmarkQueryOptions> = Object.freeze({
  windowSizeMs: 10_000,
  windowSlideMs: 2_000,
});

/** q1's exchange rate (Flink nexmark's `0.908 * price`). */
export const DOLLAR_TO_EURO = 0.908;

/** A q2 result. */
export interface Q2Result {
  auction: number;
  price: number;
}

/** A q5 result: an auction with the most bids of the window `[starttime, endtime)`. */
export interface Q5Result {
  auction: number;
  /** Bids on it in the window. */
  num: number;
  starttime: number;
  endtime: number;
}

/** A q7 result: a bid with the highest price of its tumbling window (Flink's columns). */
export interface Q7Result {
  auction: number;
  price: number;
  bidder: number;
  dateTime: number;
  extra: string;
}

/** A q8 result: a person who opened an auction in the window they registered in. */
export interface Q8Result {
  id: number;
  name: string;
  /** Start of the tumbling window (epoch ms). */
  starttime: number;
}

/** The bids of a stream of events. */
function bidsOf(events: DataStream<NexmarkEvent>): SingleOutputStreamOperator<Bid> {
  return events
    .flatMap<Bid>({
      flatMap(event, out) {
        if (event.bid !== null) out.collect(event.bid);
      },
    })
    .name('Bids');
}

/** q0: every bid, unchanged. */
export function query0(events: DataStream<NexmarkEvent>): DataStream<Bid> {
  return bidsOf(events);
}

/** q1: every bid with its price in euros (`0.908 * price`). */
export function query1(events: DataStream<NexmarkEvent>): DataStream<Bid> {
  return bidsOf(events)
    .map((bid): Bid => ({ ...bid, price: DOLLAR_TO_EURO * bid.price }))
    .name('ToEuro');
}

/** q2: auction and price of the bids on auctions whose id is a multiple of 123. */
export function query2(events: DataStream<NexmarkEvent>): DataStream<Q2Result> {
  return events
    .flatMap<Q2Result>({
      flatMap(event, out) {
        const bid = event.bid;
        if (bid !== null && bid.auction % 123 === 0) {
          out.collect({ auction: bid.auction, price: bid.price });
        }
      },
    })
    .name('Selection');
}

const countBids: WindowAggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (_auction, count) => count + 1,
  getResult: (count) => count,
  merge: (a, b) => a + b,
  accumulatorSerializer: Float64Serializer.INSTANCE,
};

/** The auctions with the most bids of one window. */
interface TopAuctions {
  num: number;
  auctions: number[];
}

const topAuctions: WindowAggregateFunction<Q5Result, TopAuctions, TopAuctions> = {
  createAccumulator: () => ({ num: -1, auctions: [] }),
  add(result, acc) {
    if (result.num > acc.num) return { num: result.num, auctions: [result.auction] };
    if (result.num === acc.num) acc.auctions.push(result.auction);
    return acc;
  },
  getResult: (acc) => acc,
  merge(a, b) {
    if (a.num !== b.num) return a.num > b.num ? a : b;
    return { num: a.num, auctions: [...a.auctions, ...b.auctions] };
  },
};

/** q5: per sliding window, the auctions with the most bids (all of them on a tie). */
export function query5(
  events: DataStream<NexmarkEvent>,
  options: Partial<NexmarkQueryOptions> = {},
): DataStream<Q5Result> {
  const { windowSizeMs, windowSlideMs } = { ...defaultNexmarkQueryOptions, ...options };
  const counts = events
    .flatMap<number>({
      flatMap(event, out) {
        if (event.bid !== null) out.collect(event.bid.auction);
      },
    })
    .name('BidAuctions')
    .returns(Types.INT64)
    .keyBy((auction) => auction)
    .window(SlidingEventTimeWindows.of(windowSizeMs, windowSlideMs))
    .aggregate<number, number, Q5Result>(countBids, (auction, ctx, counts, out) => {
      const window = ctx.window();
      out.collect({
        auction,
        num: counts[0] as number,
        starttime: window.start,
        endtime: window.end,
      });
    })
    .name('AuctionBids')
    .uid('q5-auction-bids');
  return counts
    .keyBy((result) => result.endtime)
    .window(TumblingEventTimeWindows.of(windowSlideMs))
    .aggregate<TopAuctions, TopAuctions, Q5Result>(topAuctions, (endtime, _ctx, tops, out) => {
      const top = tops[0] as TopAuctions;
      const auctions = [...top.auctions].sort((a, b) => a - b);
      for (const auction of auctions) {
        out.collect({ auction, num: top.num, starttime: endtime - windowSizeMs, endtime });
      }
    })
    .name('HotItems')
    .uid('q5-hot-items');
}

/** The bids with the highest price seen (all of them on a tie). */
interface MaxBids {
  price: number;
  bids: Bid[];
}

const maxBids: WindowAggregateFunction<Bid, MaxBids, MaxBids> = {
  createAccumulator: () => ({ price: -1, bids: [] }),
  add(bid, acc) {
    if (bid.price > acc.price) return { price: bid.price, bids: [bid] };
    if (bid.price === acc.price) acc.bids.push(bid);
    return acc;
  },
  getResult: (acc) => acc,
  merge(a, b) {
    if (a.price !== b.price) return a.price > b.price ? a : b;
    return { price: a.price, bids: [...a.bids, ...b.bids] };
  },
};

/** Per-auction maxima of one window (with its end), merged by the second stage. */
interface WindowMaxBids extends MaxBids {
  endtime: number;
}

const mergeMaxBids: WindowAggregateFunction<WindowMaxBids, MaxBids, MaxBids> = {
  createAccumulator: () => ({ price: -1, bids: [] }),
  add: (value, acc) => maxBids.merge(acc, value),
  getResult: (acc) => acc,
  merge: (a, b) => maxBids.merge(a, b),
};

/** The fields of a bid that cross q7's first exchange (binary rows instead of JSON). */
const BID_TYPE = Types.ROW_NAMED(
  ['auction', 'bidder', 'price', 'channel', 'url', 'dateTime', 'extra'],
  Types.INT64,
  Types.INT64,
  Types.INT64,
  Types.STRING,
  Types.STRING,
  Types.INT64,
  Types.STRING,
);

/** q7: per tumbling window, the bids with the highest price (all of them on a tie). */
export function query7(
  events: DataStream<NexmarkEvent>,
  options: Partial<NexmarkQueryOptions> = {},
): DataStream<Q7Result> {
  const { windowSizeMs } = { ...defaultNexmarkQueryOptions, ...options };
  return bidsOf(events)
    .returns(BID_TYPE)
    .keyBy((bid) => bid.auction)
    .window(TumblingEventTimeWindows.of(windowSizeMs))
    .aggregate<MaxBids, MaxBids, WindowMaxBids>(maxBids, (_auction, ctx, maxima, out) => {
      const max = maxima[0] as MaxBids;
      out.collect({ price: max.price, bids: max.bids, endtime: ctx.window().end });
    })
    .name('MaxPricePerAuction')
    .uid('q7-max-per-auction')
    .keyBy((max) => max.endtime)
    .window(TumblingEventTimeWindows.of(windowSizeMs))
    .aggregate<MaxBids, MaxBids, Q7Result>(mergeMaxBids, (_endtime, _ctx, maxima, out) => {
      const top = maxima[0] as MaxBids;
      for (const bid of top.bids) {
        out.collect({
          auction: bid.auction,
          price: bid.price,
          bidder: bid.bidder,
          dateTime: bid.dateTime,
          extra: bid.extra,
        });
      }
    })
    .name('HighestBid')
    .uid('q7-highest-bid');
}

/** q8's keyed records: `[person id, name]` for a person, `[seller, null]` for an auction. */
type PersonOrSeller = [id: number, name: string | null];

/** q8's window state: the person's name (if they registered) and whether they sold. */
type NewUser = [name: string | null, sold: boolean];

const newUsers: WindowAggregateFunction<PersonOrSeller, NewUser, NewUser> = {
  createAccumulator: () => [null, false],
  add: ([, name], acc) => (name === null ? [acc[0], true] : [name, acc[1]]),
  getResult: (acc) => acc,
  merge: (a, b) => [a[0] ?? b[0], a[1] || b[1]],
};

/** q8: persons who opened an auction in the tumbling window they registered in. */
export function query8(
  events: DataStream<NexmarkEvent>,
  options: Partial<NexmarkQueryOptions> = {},
): DataStream<Q8Result> {
  const { windowSizeMs } = { ...defaultNexmarkQueryOptions, ...options };
  return events
    .flatMap<PersonOrSeller>({
      flatMap(event, out) {
        if (event.person !== null) out.collect([event.person.id, event.person.name]);
        else if (event.auction !== null) out.collect([event.auction.seller, null]);
      },
    })
    .name('PersonsAndSellers')
    .keyBy((record) => record[0])
    .window(TumblingEventTimeWindows.of(windowSizeMs))
    .aggregate<NewUser, NewUser, Q8Result>(newUsers, (id, ctx, states, out) => {
      const [name, sold] = states[0] as NewUser;
      if (name !== null && sold) out.collect({ id, name, starttime: ctx.window().start });
    })
    .name('NewUsers')
    .uid('q8-new-users');
}

/** A result of any query. */
export type NexmarkResult = Bid | Q2Result | Q5Result | Q7Result | Q8Result;

/**
 * Builds a query by name.
 *
 * @param query - `q0` … `q8` (see {@link NEXMARK_QUERIES})
 * @param events - events with timestamps and watermarks
 * @param options - window sizes
 * @returns the query's results
 */
export function buildNexmarkQuery(
  query: NexmarkQueryName,
  events: DataStream<NexmarkEvent>,
  options: Partial<NexmarkQueryOptions> = {},
): DataStream<NexmarkResult> {
  const results = (): DataStream<unknown> => {
    switch (query) {
      case 'q0':
        return query0(events) as DataStream<unknown>;
      case 'q1':
        return query1(events) as DataStream<unknown>;
      case 'q2':
        return query2(events) as DataStream<unknown>;
      case 'q5':
        return query5(events, options) as DataStream<unknown>;
      case 'q7':
        return query7(events, options) as DataStream<unknown>;
      case 'q8':
        return query8(events, options) as DataStream<unknown>;
    }
  };
  return results() as DataStream<NexmarkResult>;
}
