/**
 * Nexmark q5, hot items: per sliding window (10 s, every 2 s), the auctions with the most bids.
 *
 * Reads the events topic that `sluice nexmark load` writes and writes JSON results to
 * `nexmark-q5-results` (arguments and semantics: `src/connectors/nexmark/nexmark-query-job.ts`,
 * `src/connectors/nexmark/nexmark-queries.ts`, `docs/nexmark.md`).
 *
 * ```sh
 * sluice run nexmark/q5 brokers=localhost:9092 topic=nexmark-events output=nexmark-q5-results
 * ```
 */
import { nexmarkQueryJob } from '../../src/connectors/nexmark/nexmark-query-job.ts';

export default nexmarkQueryJob('q5');
