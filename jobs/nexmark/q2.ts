/**
 * Nexmark q2, selection: auction and price of the bids on auctions whose id is a multiple of 123.
 *
 * Reads the events topic that `sluice nexmark load` writes and writes JSON results to
 * `nexmark-q2-results` (arguments and semantics: `src/connectors/nexmark/nexmark-query-job.ts`,
 * `src/connectors/nexmark/nexmark-queries.ts`, `docs/nexmark.md`).
 *
 * ```sh
 * sluice run nexmark/q2 brokers=localhost:9092 topic=nexmark-events output=nexmark-q2-results
 * ```
 */
import { nexmarkQueryJob } from '../../src/connectors/nexmark/nexmark-query-job.ts';

export default nexmarkQueryJob('q2');
