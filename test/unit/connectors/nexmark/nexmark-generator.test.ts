import { describe, expect, it } from 'vitest';
import { NexmarkGenerator } from '../../../../src/connectors/nexmark/nexmark-generator.ts';
import {
  FIRST_AUCTION_ID,
  FIRST_PERSON_ID,
  NEXMARK_BASE_TIME_MS,
  NexmarkGeneratorConfig,
} from '../../../../src/connectors/nexmark/nexmark-generator-options.ts';
import {
  eventTimestamp,
  type NexmarkEvent,
} from '../../../../src/connectors/nexmark/nexmark-model.ts';

function generate(count: number, options = {}): NexmarkEvent[] {
  const generator = new NexmarkGenerator(options);
  return Array.from({ length: count }, (_, n) => generator.event(n));
}

describe('NexmarkGenerator', () => {
  it('is deterministic: the same seed gives the same events, another seed other ones', () => {
    const a = generate(5000, { seed: 42 });
    const b = generate(5000, { seed: 42 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const c = generate(5000, { seed: 43 });
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
    // Same kinds and ids (they come from the event number), other random content.
    expect(c.map((e) => e.event_type)).toEqual(a.map((e) => e.event_type));
    expect(c.filter((e, i) => JSON.stringify(e) !== JSON.stringify(a[i])).length).toBeGreaterThan(
      4500,
    );
  });

  it('makes any event alone, in any order, as in sequence', () => {
    const sequence = generate(2000, { seed: 7 });
    const fresh = new NexmarkGenerator({ seed: 7 });
    for (const n of [1999, 0, 1234, 4, 50, 51, 777]) {
      expect(fresh.event(n)).toEqual(sequence[n]);
    }
  });

  it('keeps the proportions 1 : 3 : 46 in every 50 consecutive events', () => {
    const events = generate(50 * 200);
    for (let start = 0; start < events.length; start += 50) {
      const kinds = [0, 0, 0];
      for (const e of events.slice(start, start + 50)) kinds[e.event_type]!++;
      expect(kinds).toEqual([1, 3, 46]);
    }
    // The kind matches the member that is set.
    for (const e of events) {
      expect([e.person !== null, e.auction !== null, e.bid !== null]).toEqual([
        e.event_type === 0,
        e.event_type === 1,
        e.event_type === 2,
      ]);
    }
  });

  it('numbers persons and auctions consecutively from 1000, and bids refer to existing or imminent ones', () => {
    const events = generate(50_000, { seed: 3 });
    let lastPerson = FIRST_PERSON_ID - 1;
    let lastAuction = FIRST_AUCTION_ID - 1;
    for (const e of events) {
      if (e.person !== null) {
        expect(e.person.id).toBe(lastPerson + 1);
        lastPerson = e.person.id;
      } else if (e.auction !== null) {
        expect(e.auction.id).toBe(lastAuction + 1);
        lastAuction = e.auction.id;
        expect(e.auction.seller).toBeGreaterThanOrEqual(FIRST_PERSON_ID);
        expect(e.auction.seller).toBeLessThanOrEqual(lastPerson + 10);
        expect(e.auction.category).toBeGreaterThanOrEqual(10);
        expect(e.auction.category).toBeLessThanOrEqual(14);
        expect(e.auction.reserve).toBeGreaterThanOrEqual(e.auction.initialBid);
        expect(e.auction.expires).toBeGreaterThan(e.auction.dateTime);
      } else {
        const bid = e.bid!;
        expect(bid.auction).toBeGreaterThanOrEqual(FIRST_AUCTION_ID);
        expect(bid.auction).toBeLessThanOrEqual(lastAuction + 10);
        expect(bid.auction).toBeGreaterThanOrEqual(lastAuction - 100 - 100);
        expect(bid.bidder).toBeGreaterThanOrEqual(FIRST_PERSON_ID);
        expect(bid.bidder).toBeLessThanOrEqual(lastPerson + 10);
        expect(Number.isInteger(bid.price)).toBe(true);
        expect(bid.price).toBeGreaterThanOrEqual(100);
        expect(bid.price).toBeLessThanOrEqual(100_000_000);
        expect(bid.url).toMatch(
          /^https:\/\/www\.nexmark\.com\/[^/]+\/[^/]+\/[^/]+\/item\.htm\?query=1/,
        );
      }
    }
    expect(lastPerson).toBe(FIRST_PERSON_ID + 1000 - 1);
    expect(lastAuction).toBe(FIRST_AUCTION_ID + 3000 - 1);
  });

  it('goes to hot auctions and hot bidders as often as the ratios say', () => {
    const events = generate(100_000, { seed: 11 });
    const bids = events.filter((e) => e.bid !== null).map((e) => e.bid!);
    // Hot auctions are multiples of 100 (+1000): about 1 − 1/2 of the bids, plus chance hits.
    const hotAuction = bids.filter((b) => (b.auction - FIRST_AUCTION_ID) % 100 === 0).length;
    expect(hotAuction / bids.length).toBeGreaterThan(0.48);
    expect(hotAuction / bids.length).toBeLessThan(0.56);
    // Hot bidders are the second person of a batch of 100: about 1 − 1/4.
    const hotBidder = bids.filter((b) => (b.bidder - FIRST_PERSON_ID) % 100 === 1).length;
    expect(hotBidder / bids.length).toBeGreaterThan(0.73);
    expect(hotBidder / bids.length).toBeLessThan(0.78);
    const hotChannel = bids.filter((b) => !b.channel.startsWith('channel-')).length;
    expect(hotChannel / bids.length).toBeGreaterThan(0.48);
    expect(hotChannel / bids.length).toBeLessThan(0.52);
  });

  it('pads events to the average sizes of the configuration', () => {
    const events = generate(50_000, { seed: 5 });
    const avg = (kind: number) => {
      const sized = events
        .filter((e) => e.event_type === kind)
        .map((e) => JSON.stringify(e.person ?? e.auction ?? e.bid).length);
      return sized.reduce((a, b) => a + b, 0) / sized.length;
    };
    // JSON adds keys and quotes to the idealised sizes (200, 500, 100 bytes).
    expect(avg(0)).toBeGreaterThan(200);
    expect(avg(0)).toBeLessThan(400);
    expect(avg(1)).toBeGreaterThan(500);
    expect(avg(1)).toBeLessThan(800);
    expect(avg(2)).toBeGreaterThan(100);
    expect(avg(2)).toBeLessThan(350);
  });

  it('spaces timestamps by the event rate from the base time, in order by default', () => {
    const events = generate(25_000, { firstEventRate: 5000 });
    expect(eventTimestamp(events[0]!)).toBe(NEXMARK_BASE_TIME_MS);
    expect(eventTimestamp(events[5000]!)).toBe(NEXMARK_BASE_TIME_MS + 1000);
    expect(eventTimestamp(events[24_999]!)).toBe(NEXMARK_BASE_TIME_MS + 4999);
    for (let i = 1; i < events.length; i++) {
      expect(eventTimestamp(events[i]!)).toBeGreaterThanOrEqual(eventTimestamp(events[i - 1]!));
    }
  });

  it('shuffles events within out-of-order groups, keeping every event once and the watermark below every later event', () => {
    const group = 100;
    const inOrder = generate(10_000, { seed: 9 });
    const shuffled = generate(10_000, { seed: 9, outOfOrderGroupSize: group });
    const config = new NexmarkGeneratorConfig({ outOfOrderGroupSize: group });
    let outOfOrder = 0;
    let maxSeen = 0;
    for (let n = 0; n < shuffled.length; n++) {
      const t = eventTimestamp(shuffled[n]!);
      if (t < maxSeen) outOfOrder++;
      maxSeen = Math.max(maxSeen, t);
      expect(t).toBeGreaterThanOrEqual(config.watermarkAfterEvent(n));
    }
    expect(outOfOrder).toBeGreaterThan(0);
    // The same events, only in another order (each group is a permutation).
    expect(new Set(shuffled.map((e) => JSON.stringify(e)))).toEqual(
      new Set(inOrder.map((e) => JSON.stringify(e))),
    );
  });

  it('refuses invalid options naming them', () => {
    expect(() => new NexmarkGenerator({ firstEventRate: -1 })).toThrow(/firstEventRate/);
    expect(() => new NexmarkGenerator({ outOfOrderGroupSize: 953 })).toThrow(/outOfOrderGroupSize/);
    expect(() => new NexmarkGenerator({ bogus: 1 } as object)).toThrow(/SLUICE_ERR|bogus|invalid/);
  });
});
