/**
 * Schemas of the cluster-level endpoints: `/overview`, `/config`, `/healthz`, `/readyz`.
 *
 * @module
 */
import { type Static, Type } from 'typebox';

/** `GET /overview` (Flink's `ClusterOverviewWithVersion`; `flink-version` → `version`). */
export const ClusterOverview = Type.Object({
  taskmanagers: Type.Integer({ description: 'Processes (always 1: one pod, one process).' }),
  'slots-total': Type.Integer({ description: 'Task slots (worker threads).' }),
  'slots-available': Type.Integer({ description: 'Slots not used by a running job.' }),
  'jobs-running': Type.Integer(),
  'jobs-finished': Type.Integer(),
  'jobs-cancelled': Type.Integer(),
  'jobs-failed': Type.Integer(),
  version: Type.String({ description: 'Sluice version (Flink: `flink-version`).' }),
});
export type ClusterOverview = Static<typeof ClusterOverview>;

/** One configuration entry of `GET /config`. */
export const ConfigEntry = Type.Object({
  key: Type.String(),
  value: Type.Unknown({ description: 'Effective value; secrets are replaced by `"******"`.' }),
  source: Type.Enum(['default', 'file', 'env', 'dynamic', 'code']),
});
export type ConfigEntry = Static<typeof ConfigEntry>;

/** `GET /config`: every known option and every explicitly set key, sorted by key. */
export const ConfigEntries = Type.Array(ConfigEntry);

/** `GET /jobmanager/config`: Flink's shape, values as strings. */
export const FlinkConfigEntries = Type.Array(
  Type.Object({ key: Type.String(), value: Type.String() }),
);

/** `GET /healthz`. */
export const Health = Type.Object({
  status: Type.Literal('ok'),
  uptimeMs: Type.Number({ description: 'Milliseconds since the server started.' }),
});

/** One readiness check (a job running, a Kafka client connected, …). */
export const ReadinessCheck = Type.Object({
  name: Type.String({ description: 'What is checked, e.g. `job:<jid>` or `kafka:<client>`.' }),
  ready: Type.Boolean(),
  message: Type.Optional(Type.String({ description: 'Why it is not ready.' })),
});
export type ReadinessCheck = Static<typeof ReadinessCheck>;

/** `GET /readyz`: 200 when `ready`, 503 otherwise, with the same body. */
export const Readiness = Type.Object({
  ready: Type.Boolean(),
  checks: Type.Array(ReadinessCheck),
});
export type Readiness = Static<typeof Readiness>;
