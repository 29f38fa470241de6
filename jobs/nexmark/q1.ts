/**
 * Nexmark q1, currency conversion: every bid with its price in euros (0.908 × dollars).
 *
 * Reads the events topic that `sluice nexmark load` writes and writes JSON results to
 * `nexmark-q1-results` (arguments and semantics: `src/connectors/nexmark/nexmark-query-job.ts`,
 * `src/connectors/nexmark/nexmark-queries.ts`, `docs/nexmark.md`).
 *
 * ```sh
 * sluice run nexmark/q1 brokers=localhost:9092 topic=nexmark-events output=nexmark-q1-results
 * ```
 */
import { nexmarkQueryJob } from '../../src/connectors/nexmark/nexmark-query-job.ts';

export default nexmarkQueryJob('q1');
