/**
 * Plain in-memory reference implementations of the Nexmark queries: loops over an array
 * of events, no windows, no watermarks, no lateness — what the queries must produce when
 * no event is late. The integration tests compare every query's Kafka output with them,
 * the unit tests the local executor's.
 */
import type { Bid, NexmarkEvent } from '../../../src/connectors/nexmark/nexmark-model.ts';
import {
  DOLLAR_TO_EURO,
  type NexmarkQueryName,
  type Q2Result,
  type Q5Result,
  type Q7Result,
  type Q8Result,
} from '../../../src/connectors/nexmark/nexmark-queries.ts';

const SIZE = 10_000;
const SLIDE = 2_000;

function bids(events: readonly NexmarkEvent[]): Bid[] {
  const out: Bid[] = [];
  for (const e of events) if (e.bid !== null) out.push(e.bid);
  return out;
}

/** q0: the bids. */
export function referenceQ0(events: readonly NexmarkEvent[]): Bid[] {
  return bids(events);
}

/** q1: the bids in euros. */
export function referenceQ1(events: readonly NexmarkEvent[]): Bid[] {
  return bids(events).map((b) => ({ ...b, price: DOLLAR_TO_EURO * b.price }));
}

/** q2: auction and price of bids on auctions divisible by 123. */
export function referenceQ2(events: readonly NexmarkEvent[]): Q2Result[] {
  return bids(events)
    .filter((b) => b.auction % 123 === 0)
    .map((b) => ({ auction: b.auction, price: b.price }));
}

/** q5: per sliding window (10 s / 2 s), the auctions with the most bids. */
export function referenceQ5(events: readonly NexmarkEvent[]): Q5Result[] {
  const counts = new Map<number, Map<number, number>>(); // window start → auction → bids
  for (const b of bids(events)) {
    const t = b.dateTime;
    const lastStart = t - (((t % SLIDE) + SLIDE) % SLIDE);
    for (let start = lastStart; start > t - SIZE; start -= SLIDE) {
      let perAuction = counts.get(start);
      if (perAuction === undefined) {
        perAuction = new Map();
        counts.set(start, perAuction);
      }
      perAuction.set(b.auction, (perAuction.get(b.auction) ?? 0) + 1);
    }
  }
  const out: Q5Result[] = [];
  for (const [start, perAuction] of counts) {
    const max = Math.max(...perAuction.values());
    for (const [auction, num] of perAuction) {
      if (num === max) out.push({ auction, num, starttime: start, endtime: start + SIZE });
    }
  }
  return out;
}

/** q7: per tumbling 10 s window, the bids with the highest price. */
export function referenceQ7(events: readonly NexmarkEvent[]): Q7Result[] {
  const perWindow = new Map<number, Bid[]>();
  for (const b of bids(events)) {
    const start = b.dateTime - (b.dateTime % SIZE);
    const top = perWindow.get(start);
    if (top === undefined || b.price > top[0]!.price) perWindow.set(start, [b]);
    else if (b.price === top[0]!.price) top.push(b);
  }
  return [...perWindow.values()].flat().map((b) => ({
    auction: b.auction,
    price: b.price,
    bidder: b.bidder,
    dateTime: b.dateTime,
    extra: b.extra,
  }));
}

/** q8: persons who opened an auction in the tumbling 10 s window they registered in. */
export function referenceQ8(events: readonly NexmarkEvent[]): Q8Result[] {
  const sellers = new Set<string>(); // `${window start}/${seller}`
  for (const e of events) {
    if (e.auction !== null) {
      const start = e.auction.dateTime - (e.auction.dateTime % SIZE);
      sellers.add(`${start}/${e.auction.seller}`);
    }
  }
  const out: Q8Result[] = [];
  for (const e of events) {
    if (e.person !== null) {
      const start = e.person.dateTime - (e.person.dateTime % SIZE);
      if (sellers.has(`${start}/${e.person.id}`)) {
        out.push({ id: e.person.id, name: e.person.name, starttime: start });
      }
    }
  }
  return out;
}

/** The reference of a query by name. */
export function referenceOf(query: NexmarkQueryName, events: readonly NexmarkEvent[]): unknown[] {
  switch (query) {
    case 'q0':
      return referenceQ0(events);
    case 'q1':
      return referenceQ1(events);
    case 'q2':
      return referenceQ2(events);
    case 'q5':
      return referenceQ5(events);
    case 'q7':
      return referenceQ7(events);
    case 'q8':
      return referenceQ8(events);
  }
}

/** Records as sorted JSON lines (keys sorted too): equal multisets compare equal. */
export function canonical(records: readonly unknown[]): string[] {
  return records.map((r) => JSON.stringify(r, Object.keys(r as object).sort())).sort();
}
