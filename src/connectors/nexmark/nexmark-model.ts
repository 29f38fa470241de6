/**
 * The Nexmark data model: an online auction's persons, auctions and bids, and the event
 * that carries one of them (Apache Beam's `Person` / `Auction` / `Bid` / `Event`, with the
 * field names of the `nexmark/nexmark` Flink benchmark's tables).
 *
 * An event is a plain object and is exactly its JSON encoding (one Kafka record value):
 *
 * ```
 * {"event_type":2,"person":null,"auction":null,
 *  "bid":{"auction":1007,"bidder":1001,"price":3214,"channel":"Google",
 *         "url":"https://www.nexmark.com/…","dateTime":1436918400010,"extra":"…"}}
 *
 *  event_type  0 = person, 1 = auction, 2 = bid (Flink nexmark's numbering)
 *  person / auction / bid   the one that is set; the other two are null
 *  dateTime, expires        epoch milliseconds (numbers; Flink's JSON format writes
 *                           TIMESTAMP(3) as text: this is Sluice's one deviation)
 *  price, initialBid, reserve   cents (integers)
 * ```
 *
 * @remarks Plain data, no behaviour: safe to structured-clone across worker threads.
 * @module
 */

/** `event_type` of a person event. */
export const PERSON_EVENT = 0;
/** `event_type` of an auction event. */
export const AUCTION_EVENT = 1;
/** `event_type` of a bid event. */
export const BID_EVENT = 2;

/** One of {@link PERSON_EVENT}, {@link AUCTION_EVENT}, {@link BID_EVENT}. */
export type NexmarkEventType = typeof PERSON_EVENT | typeof AUCTION_EVENT | typeof BID_EVENT;

/** A new person registers (Beam's `Person`). */
export interface Person {
  /** Person id, from 1000 (`FIRST_PERSON_ID`), one more per person event. */
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  /** Event time (epoch ms). */
  dateTime: number;
  /** Padding up to the configured average person size. */
  extra: string;
}

/** A person opens an auction (Beam's `Auction`). */
export interface Auction {
  /** Auction id, from 1000 (`FIRST_AUCTION_ID`), one more per auction event. */
  id: number;
  itemName: string;
  description: string;
  /** Cents. */
  initialBid: number;
  /** Cents, ≥ initialBid. */
  reserve: number;
  /** Event time (epoch ms). */
  dateTime: number;
  /** When the auction closes (epoch ms), after `dateTime`. */
  expires: number;
  /** Person id of the seller. */
  seller: number;
  /** Category id, 10 to 14. */
  category: number;
  extra: string;
}

/** A person bids on an auction (Beam's `Bid`, with Flink nexmark's channel and url). */
export interface Bid {
  /** Auction id. */
  auction: number;
  /** Person id of the bidder. */
  bidder: number;
  /** Cents. */
  price: number;
  channel: string;
  url: string;
  /** Event time (epoch ms). */
  dateTime: number;
  extra: string;
}

/** One Nexmark event: exactly one of `person`, `auction`, `bid` is set. */
export interface NexmarkEvent {
  event_type: NexmarkEventType;
  person: Person | null;
  auction: Auction | null;
  bid: Bid | null;
}

/**
 * The event time of an event (its person's, auction's or bid's `dateTime`).
 *
 * @param event - the event
 * @returns epoch ms
 */
export function eventTimestamp(event: NexmarkEvent): number {
  if (event.bid !== null) return event.bid.dateTime;
  if (event.auction !== null) return event.auction.dateTime;
  return (event.person as Person).dateTime;
}
