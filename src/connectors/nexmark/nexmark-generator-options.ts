/**
 * Options of the Nexmark generator and the arithmetic that depends only on them: which
 * event number is which kind of event, its event id, its timestamp, and the last person
 * and auction ids at a given event (Apache Beam's `GeneratorConfig` and the id helpers of
 * `PersonGenerator` / `AuctionGenerator`, as in the `nexmark/nexmark` Flink benchmark).
 *
 * ```
 *  event number n (0, 1, 2, … in emission order)
 *     │ out-of-order groups of g events: adjusted(n) = ⌊n/g⌋·g + (n·953 mod g)
 *     ▼
 *  event id = adjusted(n)            ─► kind = id mod 50: 0 person, 1–3 auction, 4–49 bid
 *  timestamp = baseTime + ⌊⌊adjusted(n) · 10⁶/rate⌋ / 1000⌋      (ms)
 *  watermark = timestamp of ⌊n/g⌋·g: no later event of this generator is older
 * ```
 *
 * With the defaults (1 : 3 : 46, 10,000 events/s) one second of event time holds 200
 * persons, 600 auctions and 9,200 bids.
 *
 * @remarks Pure functions of the options; any thread.
 * @module
 */
import { Type } from 'typebox';
import { compileOptions } from '../../config/validate.ts';

/** Beam's `NexmarkUtils.BASE_TIME`: 2015-07-15T00:00:00Z (epoch ms). */
export const NEXMARK_BASE_TIME_MS = Date.UTC(2015, 6, 15);
/** The first person id (Beam's `GeneratorConfig.FIRST_PERSON_ID`). */
export const FIRST_PERSON_ID = 1000;
/** The first auction id (Beam's `GeneratorConfig.FIRST_AUCTION_ID`). */
export const FIRST_AUCTION_ID = 1000;
/** The first category id (Beam's `GeneratorConfig.FIRST_CATEGORY_ID`). */
export const FIRST_CATEGORY_ID = 10;

/**
 * Options of the Nexmark generator; the names are those of Beam's and Flink nexmark's
 * `NexmarkConfiguration`.
 */
export interface NexmarkGeneratorOptions {
  /**
   * Seed of every random choice; the same seed gives the same events.
   * @defaultValue 0
   */
  seed: number;
  /**
   * Events per second of event time (Beam's `firstEventRate`): event n is stamped
   * `baseTime + n / rate`. It sets the spacing of timestamps, not how fast events are
   * produced.
   * @defaultValue 10000 events/s
   */
  firstEventRate: number;
  /**
   * Event time of event 0 (epoch ms).
   * @defaultValue {@link NEXMARK_BASE_TIME_MS} (2015-07-15T00:00:00Z, Beam's)
   */
  baseTime: number;
  /**
   * Events emitted in pseudo-random order within consecutive groups of this many; 1 = in
   * timestamp order (Beam's `outOfOrderGroupSize`). Must not be a multiple of 953.
   * @defaultValue 1 event
   */
  outOfOrderGroupSize: number;
  /** @defaultValue 1 */
  personProportion: number;
  /** @defaultValue 3 */
  auctionProportion: number;
  /** @defaultValue 46 */
  bidProportion: number;
  /** Average person size the `extra` field pads to. @defaultValue 200 bytes */
  avgPersonByteSize: number;
  /** Average auction size the `extra` field pads to. @defaultValue 500 bytes */
  avgAuctionByteSize: number;
  /** Average bid size the `extra` field pads to. @defaultValue 100 bytes */
  avgBidByteSize: number;
  /** 1 − 1/ratio of bids go to a hot auction. @defaultValue 2 */
  hotAuctionRatio: number;
  /** 1 − 1/ratio of auctions are by a hot seller. @defaultValue 4 */
  hotSellersRatio: number;
  /** 1 − 1/ratio of bids are by a hot bidder. @defaultValue 4 */
  hotBiddersRatio: number;
  /** Auctions open at any time, on average. @defaultValue 100 */
  numInFlightAuctions: number;
  /** Persons considered active for auctions and bids. @defaultValue 1000 */
  numActivePeople: number;
}

/** Defaults of {@link NexmarkGeneratorOptions} (Beam's and Flink nexmark's). */
export const defaultNexmarkGeneratorOptions: Readonly<NexmarkGeneratorOptions> = Object.freeze({
  seed: 0,
  firstEventRate: 10_000,
  baseTime: NEXMARK_BASE_TIME_MS,
  outOfOrderGroupSize: 1,
  personProportion: 1,
  auctionProportion: 3,
  bidProportion: 46,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  numInFlightAuctions: 100,
  numActivePeople: 1000,
});

const positiveInt = Type.Integer({ minimum: 1 });
const validate = compileOptions(
  Type.Object(
    {
      seed: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
      firstEventRate: Type.Number({ exclusiveMinimum: 0 }),
      baseTime: Type.Integer({ minimum: 0 }),
      outOfOrderGroupSize: positiveInt,
      personProportion: positiveInt,
      auctionProportion: positiveInt,
      bidProportion: positiveInt,
      avgPersonByteSize: positiveInt,
      avgAuctionByteSize: positiveInt,
      avgBidByteSize: positiveInt,
      hotAuctionRatio: positiveInt,
      hotSellersRatio: positiveInt,
      hotBiddersRatio: positiveInt,
      numInFlightAuctions: positiveInt,
      numActivePeople: positiveInt,
    },
    { additionalProperties: false },
  ),
  'NexmarkGenerator',
);

/**
 * Merges options over the defaults and validates them.
 *
 * @param options - any subset of the options
 * @returns the complete, frozen options
 * @throws SLUICE_ERR_CONFIG_INVALID naming the option, e.g. a negative rate, an unknown
 *   key, or an `outOfOrderGroupSize` that is a multiple of 953 (not a permutation)
 */
export function resolveNexmarkGeneratorOptions(
  options: Partial<NexmarkGeneratorOptions> = {},
): Readonly<NexmarkGeneratorOptions> {
  const merged: Record<string, unknown> = { ...defaultNexmarkGeneratorOptions };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  const resolved = validate(merged) as NexmarkGeneratorOptions;
  if (resolved.outOfOrderGroupSize % 953 === 0) {
    validate({ ...resolved, outOfOrderGroupSize: -1 }); // throws naming the option
  }
  return Object.freeze(resolved);
}

/**
 * The arithmetic of event numbers, ids and timestamps (Beam's `GeneratorConfig`).
 *
 * @remarks Immutable; any thread.
 */
export class NexmarkGeneratorConfig {
  readonly options: Readonly<NexmarkGeneratorOptions>;
  /** person + auction + bid proportions (50 by default). */
  readonly totalProportion: number;
  /** Microseconds of event time between two events. */
  readonly interEventDelayUs: number;

  /**
   * @param options - generator options (merged over the defaults)
   * @throws SLUICE_ERR_CONFIG_INVALID for invalid options
   */
  constructor(options: Partial<NexmarkGeneratorOptions> = {}) {
    this.options = resolveNexmarkGeneratorOptions(options);
    const o = this.options;
    this.totalProportion = o.personProportion + o.auctionProportion + o.bidProportion;
    this.interEventDelayUs = 1_000_000 / o.firstEventRate;
  }

  /** Event number `n` shuffled within its out-of-order group (Beam's `nextAdjustedEventNumber`). */
  adjustedEventNumber(n: number): number {
    const g = this.options.outOfOrderGroupSize;
    if (g === 1) return n;
    const base = Math.floor(n / g) * g;
    // (n · 953) mod g without losing precision for large n.
    return base + (((n % g) * 953) % g);
  }

  /** Event time of the event whose adjusted number is `adjusted` (epoch ms). */
  timestampForEvent(adjusted: number): number {
    return this.options.baseTime + Math.floor(Math.floor(adjusted * this.interEventDelayUs) / 1000);
  }

  /** A watermark after emitting event `n`: no later event is older (epoch ms). */
  watermarkAfterEvent(n: number): number {
    const g = this.options.outOfOrderGroupSize;
    return this.timestampForEvent(Math.floor(n / g) * g);
  }

  /** The kind of event an event id makes: 0 person, 1 auction, 2 bid. */
  eventTypeOfId(eventId: number): 0 | 1 | 2 {
    const rem = eventId % this.totalProportion;
    if (rem < this.options.personProportion) return 0;
    if (rem < this.options.personProportion + this.options.auctionProportion) return 1;
    return 2;
  }

  /** The last person id (base 0) created at or before event id `eventId`. */
  lastBase0PersonId(eventId: number): number {
    const epoch = Math.floor(eventId / this.totalProportion);
    let offset = eventId % this.totalProportion;
    if (offset >= this.options.personProportion) offset = this.options.personProportion - 1;
    return epoch * this.options.personProportion + offset;
  }

  /** The last auction id (base 0) created at or before event id `eventId` (−1 before the first). */
  lastBase0AuctionId(eventId: number): number {
    let epoch = Math.floor(eventId / this.totalProportion);
    let offset = eventId % this.totalProportion;
    const { personProportion, auctionProportion } = this.options;
    if (offset < personProportion) {
      epoch--;
      offset = auctionProportion - 1;
    } else if (offset >= personProportion + auctionProportion) {
      offset = auctionProportion - 1;
    } else {
      offset -= personProportion;
    }
    return epoch * auctionProportion + offset;
  }
}
