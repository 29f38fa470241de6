/**
 * Nexmark q7, highest bid: per tumbling 10 s window, the bids with the highest price.
 *
 * Reads the events topic that `sluice nexmark load` writes and writes JSON results to
 * `nexmark-q7-results` (arguments and semantics: `src/connectors/nexmark/nexmark-query-job.ts`,
 * `src/connectors/nexmark/nexmark-queries.ts`, `docs/nexmark.md`).
 *
 * ```sh
 * sluice run nexmark/q7 brokers=localhost:9092 topic=nexmark-events output=nexmark-q7-results
 * ```
 */
import { nexmarkQueryJob } from '../../src/connectors/nexmark/nexmark-query-job.ts';

export default nexmarkQueryJob('q7');
