/**
 * Nexmark q8, new users: per tumbling 10 s window, the persons who registered and opened an auction in it.
 *
 * Reads the events topic that `sluice nexmark load` writes and writes JSON results to
 * `nexmark-q8-results` (arguments and semantics: `src/connectors/nexmark/nexmark-query-job.ts`,
 * `src/connectors/nexmark/nexmark-queries.ts`, `docs/nexmark.md`).
 *
 * ```sh
 * sluice run nexmark/q8 brokers=localhost:9092 topic=nexmark-events output=nexmark-q8-results
 * ```
 */
import { nexmarkQueryJob } from '../../src/connectors/nexmark/nexmark-query-job.ts';

export default nexmarkQueryJob('q8');
