/**
 * Nexmark q0, pass-through: every bid, unchanged (measures the cost of reading and writing).
 *
 * Reads the events topic that `sluice nexmark load` writes and writes JSON results to
 * `nexmark-q0-results` (arguments and semantics: `src/connectors/nexmark/nexmark-query-job.ts`,
 * `src/connectors/nexmark/nexmark-queries.ts`, `docs/nexmark.md`).
 *
 * ```sh
 * sluice run nexmark/q0 brokers=localhost:9092 topic=nexmark-events output=nexmark-q0-results
 * ```
 */
import { nexmarkQueryJob } from '../../src/connectors/nexmark/nexmark-query-job.ts';

export default nexmarkQueryJob('q0');
