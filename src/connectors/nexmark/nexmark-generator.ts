/**
 * The Nexmark event generator: the event of any event number, deterministic from a seed
 * (Apache Beam's `NexmarkGenerator` with `PersonGenerator`, `AuctionGenerator`,
 * `BidGenerator`, `PriceGenerator` and `StringsGenerator`, as ported by the
 * `nexmark/nexmark` Flink benchmark).
 *
 * ```
 *  event(n) ─► adjusted number a ─► event id = a, timestamp(a)
 *            ─► random stream reset from (seed, id)
 *            ─► id mod 50 = 0        person  id = last person id + 1000
 *                       1..3         auction id = last auction id + 1000, seller: a hot
 *                                    seller (3 in 4) or an active person; category 10–14;
 *                                    expires within ~2× the time 100 auctions take
 *                       4..49        bid     on a hot auction (1 in 2) or one in flight,
 *                                    by a hot bidder (3 in 4) or an active person;
 *                                    price 10^(6u)·100 cents; channel hot (1 in 2) or one
 *                                    of 10,000
 * ```
 *
 * The random values differ from Beam's (Beam uses `java.util.Random`, whose streams a
 * JavaScript port would have to replicate bit for bit), but every distribution, id
 * relation and proportion is the same. Random text is cut from two pools made once
 * from the seed (letters; letters with one space in 13), so an event costs a few slices
 * rather than a string built character by character.
 *
 * @remarks One generator per source reader or loader; not shared between threads.
 * @module
 */

import {
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  FIRST_PERSON_ID,
  NexmarkGeneratorConfig,
  type NexmarkGeneratorOptions,
} from './nexmark-generator-options.ts';
import {
  AUCTION_EVENT,
  type Auction,
  BID_EVENT,
  type Bid,
  type NexmarkEvent,
  PERSON_EVENT,
  type Person,
} from './nexmark-model.ts';
import { NexmarkRandom } from './nexmark-random.ts';

const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = [
  'Phoenix',
  'Los Angeles',
  'San Francisco',
  'Boise',
  'Portland',
  'Bend',
  'Redmond',
  'Seattle',
  'Kent',
  'Cheyenne',
];
const FIRST_NAMES = [
  'Peter',
  'Paul',
  'Luke',
  'John',
  'Saul',
  'Vicky',
  'Kate',
  'Julie',
  'Sarah',
  'Deiter',
  'Walter',
];
const LAST_NAMES = [
  'Shultz',
  'Abrams',
  'Spencer',
  'White',
  'Bartels',
  'Walton',
  'Smith',
  'Jones',
  'Noris',
];
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

/** Persons and auctions ids a little ahead of the last one may be chosen (Beam's). */
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
const NUM_CATEGORIES = 5;
/** Hot sellers, bidders and auctions are the first of each batch of 100. */
const HOT_BATCH = 100;
const HOT_CHANNELS_RATIO = 2;
const CHANNELS_NUMBER = 10_000;
const MIN_STRING_LENGTH = 3;
const POOL_CHARS = 1 << 16;
/** Event ids used to seed the text pools and channel urls (never real event ids). */
const POOL_STREAM = 2 ** 52;

/** Reverses the bits of a 32-bit integer (Java's `Integer.reverse`). */
function reverseBits32(value: number): number {
  let v = value >>> 0;
  let r = 0;
  for (let i = 0; i < 32; i++) {
    r = (r << 1) | (v & 1);
    v >>>= 1;
  }
  return r | 0;
}

/** See the module documentation. */
export class NexmarkGenerator {
  /** The options and the id/timestamp arithmetic. */
  readonly config: NexmarkGeneratorConfig;
  private readonly random = new NexmarkRandom();
  private readonly urlRandom = new NexmarkRandom();
  private readonly seed: number;
  /** Letters only. */
  private readonly letters: string;
  /** Letters with a space in 13 (Beam's `nextString`). */
  private readonly words: string;
  private readonly hotUrls: string[];
  private readonly channelUrls: (string | undefined)[] = new Array(CHANNELS_NUMBER);

  /**
   * @param options - generator options over the defaults (seed, rate, proportions, …)
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid options
   */
  constructor(options: Partial<NexmarkGeneratorOptions> = {}) {
    this.config = new NexmarkGeneratorConfig(options);
    this.seed = this.config.options.seed;
    const r = this.random;
    r.reset(this.seed, POOL_STREAM);
    let letters = '';
    let words = '';
    for (let i = 0; i < POOL_CHARS; i++) {
      letters += String.fromCharCode(97 + r.nextInt(26));
      words += r.nextInt(13) === 0 ? ' ' : String.fromCharCode(97 + r.nextInt(26));
    }
    this.letters = letters;
    this.words = words;
    r.reset(this.seed, POOL_STREAM + 1);
    this.hotUrls = HOT_CHANNELS.map(() => this.baseUrl(r));
  }

  /**
   * The event at position `eventNumber` of the stream.
   *
   * @param eventNumber - 0-based position in emission order (a safe integer)
   * @returns a new event object (its JSON is the Kafka record value)
   */
  event(eventNumber: number): NexmarkEvent {
    const config = this.config;
    const adjusted = config.adjustedEventNumber(eventNumber);
    const timestamp = config.timestampForEvent(adjusted);
    const eventId = adjusted;
    this.random.reset(this.seed, eventId);
    switch (config.eventTypeOfId(eventId)) {
      case PERSON_EVENT:
        return {
          event_type: PERSON_EVENT,
          person: this.person(eventId, timestamp),
          auction: null,
          bid: null,
        };
      case AUCTION_EVENT:
        return {
          event_type: AUCTION_EVENT,
          person: null,
          auction: this.auction(adjusted, eventId, timestamp),
          bid: null,
        };
      default:
        return {
          event_type: BID_EVENT,
          person: null,
          auction: null,
          bid: this.bid(eventId, timestamp),
        };
    }
  }

  private person(eventId: number, timestamp: number): Person {
    const r = this.random;
    const id = this.config.lastBase0PersonId(eventId) + FIRST_PERSON_ID;
    const name = `${FIRST_NAMES[r.nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[r.nextInt(LAST_NAMES.length)]}`;
    const emailAddress = `${this.nextString(7)}@${this.nextString(5)}.com`;
    let creditCard = '';
    for (let i = 0; i < 4; i++) {
      if (i > 0) creditCard += ' ';
      creditCard += String(r.nextInt(10_000)).padStart(4, '0');
    }
    const city = US_CITIES[r.nextInt(US_CITIES.length)]!;
    const state = US_STATES[r.nextInt(US_STATES.length)]!;
    const size =
      8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    const extra = this.nextExtra(size, this.config.options.avgPersonByteSize);
    return { id, name, emailAddress, creditCard, city, state, dateTime: timestamp, extra };
  }

  private auction(adjusted: number, eventId: number, timestamp: number): Auction {
    const r = this.random;
    const config = this.config;
    const o = config.options;
    const id = config.lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
    let seller: number;
    if (r.nextInt(o.hotSellersRatio) > 0) {
      seller = Math.floor(config.lastBase0PersonId(eventId) / HOT_BATCH) * HOT_BATCH;
    } else {
      seller = this.nextBase0PersonId(eventId);
    }
    seller += FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES);
    const initialBid = this.nextPrice();
    // Auctions last on average as long as numInFlightAuctions new auctions take to appear.
    const eventsForAuctions = Math.floor(
      (o.numInFlightAuctions * config.totalProportion) / o.auctionProportion,
    );
    const horizonMs = config.timestampForEvent(adjusted + eventsForAuctions) - timestamp;
    const expires = timestamp + 1 + r.nextInt(Math.max(horizonMs * 2, 1));
    const itemName = this.nextString(20);
    const description = this.nextString(100);
    const reserve = initialBid + this.nextPrice();
    const size = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
    const extra = this.nextExtra(size, o.avgAuctionByteSize);
    return {
      id,
      itemName,
      description,
      initialBid,
      reserve,
      dateTime: timestamp,
      expires,
      seller,
      category,
      extra,
    };
  }

  private bid(eventId: number, timestamp: number): Bid {
    const r = this.random;
    const config = this.config;
    const o = config.options;
    let auction: number;
    if (r.nextInt(o.hotAuctionRatio) > 0) {
      auction = Math.floor(config.lastBase0AuctionId(eventId) / HOT_BATCH) * HOT_BATCH;
    } else {
      const maxAuction = config.lastBase0AuctionId(eventId);
      const minAuction = Math.max(maxAuction - o.numInFlightAuctions, 0);
      auction = minAuction + r.nextInt(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
    }
    auction += FIRST_AUCTION_ID;
    let bidder: number;
    if (r.nextInt(o.hotBiddersRatio) > 0) {
      // The second person of the batch, so that hot bidders and hot sellers differ.
      bidder = Math.floor(config.lastBase0PersonId(eventId) / HOT_BATCH) * HOT_BATCH + 1;
    } else {
      bidder = this.nextBase0PersonId(eventId);
    }
    bidder += FIRST_PERSON_ID;
    const price = this.nextPrice();
    let channel: string;
    let url: string;
    if (r.nextInt(HOT_CHANNELS_RATIO) > 0) {
      const i = r.nextInt(HOT_CHANNELS.length);
      channel = HOT_CHANNELS[i]!;
      url = this.hotUrls[i]!;
    } else {
      const n = r.nextInt(CHANNELS_NUMBER);
      channel = `channel-${n}`;
      url = this.channelUrl(n);
    }
    const extra = this.nextExtra(8 + 8 + 8 + 8, o.avgBidByteSize);
    return { auction, bidder, price, channel, url, dateTime: timestamp, extra };
  }

  /** A person among the active ones, or a few ahead of the last (Beam's `nextBase0PersonId`). */
  private nextBase0PersonId(eventId: number): number {
    const numPeople = this.config.lastBase0PersonId(eventId) + 1;
    const activePeople = Math.min(numPeople, this.config.options.numActivePeople);
    return numPeople - activePeople + this.random.nextInt(activePeople + PERSON_ID_LEAD);
  }

  /** A price in cents, log-uniform between 1 $ and 1,000,000 $ (Beam's `PriceGenerator`). */
  private nextPrice(): number {
    return Math.round(10 ** (this.random.nextDouble() * 6) * 100);
  }

  /** Random words of 3 to `maxLength − 1` characters, trimmed (Beam's `nextString`). */
  private nextString(maxLength: number, r: NexmarkRandom = this.random): string {
    const length = MIN_STRING_LENGTH + r.nextInt(maxLength - MIN_STRING_LENGTH);
    const start = r.nextInt(POOL_CHARS - length);
    return this.words.slice(start, start + length).trim();
  }

  /** Random letters, exactly `length` of them (Beam's `nextExactString`). */
  private nextExactString(length: number): string {
    if (length <= 0) return '';
    let out = '';
    let left = length;
    while (left > 0) {
      const take = Math.min(left, POOL_CHARS);
      const start = this.random.nextInt(POOL_CHARS - take + 1);
      out += this.letters.slice(start, start + take);
      left -= take;
    }
    return out;
  }

  /** Padding so that `currentSize + length` averages `desiredAverageSize` (Beam's `nextExtra`). */
  private nextExtra(currentSize: number, desiredAverageSize: number): string {
    if (currentSize > desiredAverageSize) return '';
    const desired = desiredAverageSize - currentSize;
    const delta = Math.round(desired * 0.2);
    const minSize = desired - delta;
    return this.nextExactString(minSize + (delta === 0 ? 0 : this.random.nextInt(2 * delta)));
  }

  /** `https://www.nexmark.com/xxx/xxx/xxx/item.htm?query=1` from the stream `r`. */
  private baseUrl(r: NexmarkRandom): string {
    const part = () => {
      const s = this.nextString(5, r).replaceAll(' ', '_');
      return s === '' ? '_' : s;
    };
    return `https://www.nexmark.com/${part()}/${part()}/${part()}/item.htm?query=1`;
  }

  /** The url of channel `n`: made once per channel from the seed, then cached. */
  private channelUrl(n: number): string {
    let url = this.channelUrls[n];
    if (url === undefined) {
      // The channel's own stream: the event's stream is not disturbed.
      const r = this.urlRandom;
      r.reset(this.seed, POOL_STREAM + 2 + n);
      url = this.baseUrl(r);
      if (r.nextInt(10) > 0) url += `&channel_id=${Math.abs(reverseBits32(n))}`;
      this.channelUrls[n] = url;
    }
    return url;
  }
}
