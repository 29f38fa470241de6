/**
 * Cluster-level routes: `/overview`, `/config`, `/jobmanager/config`, `/healthz`,
 * `/readyz`, `/metrics`.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { Type } from 'typebox';
import {
  ClusterOverview,
  ConfigEntries,
  type ConfigEntry,
  FlinkConfigEntries,
  Health,
  Readiness,
} from '../schemas/cluster.ts';
import { errorResponses } from '../schemas/common.ts';
import type { RouteContext, SluiceFastify } from './route-context.ts';

/** Keys whose values `/config` never shows. */
const SECRET_KEY = /(password|passwd|secret|token|credential|jaas|api[-_.]?key|private[-_.]?key)/i;
/** …unless the key names where the secret is, not the secret. */
const SECRET_LOCATION = /[-_.](file|path|dir|location)$/i;

/** The value `/config` shows for a secret. */
export const REDACTED = '******';

/**
 * Whether a configuration key holds a secret (`…password`, `…token`, `…secret`,
 * `sasl.jaas.config`, …) rather than the location of one (`rest.token-file`).
 */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !SECRET_LOCATION.test(key);
}

function effectiveConfig(context: RouteContext): ConfigEntry[] {
  return context.configuration.entries().map((e) => ({
    key: e.key,
    value: isSecretKey(e.key) && e.value !== null ? REDACTED : e.value,
    source: e.source,
  }));
}

/** Registers the cluster-level routes. */
export function registerClusterRoutes(app: SluiceFastify, context: RouteContext): void {
  const read = errorResponses(401, 403);

  app.get(
    '/overview',
    {
      schema: {
        tags: ['cluster'],
        summary: 'Cluster overview: slots and job counts',
        response: { 200: ClusterOverview, ...read },
      },
      config: { access: 'read' },
    },
    async () => context.dispatcher.overview(),
  );

  app.get(
    '/config',
    {
      schema: {
        tags: ['cluster'],
        summary: 'Effective configuration: every known option and every key set, secrets redacted',
        response: { 200: ConfigEntries, ...read },
      },
      config: { access: 'read' },
    },
    async () => effectiveConfig(context),
  );

  app.get(
    '/jobmanager/config',
    {
      schema: {
        tags: ['cluster'],
        summary: "Effective configuration in Flink's shape: [{key, value}] with string values",
        response: { 200: FlinkConfigEntries, ...read },
      },
      config: { access: 'read' },
    },
    async () =>
      effectiveConfig(context)
        .filter((e) => e.value !== null)
        .map((e) => ({ key: e.key, value: String(e.value) })),
  );

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['probes'],
        summary: 'Liveness: the process answers',
        response: { 200: Health },
      },
      config: { access: 'open' },
    },
    async () => ({ status: 'ok' as const, uptimeMs: performance.now() - context.startedAtMs }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['probes'],
        summary: 'Readiness: jobs running and their Kafka clients connected (503 otherwise)',
        response: { 200: Readiness, 503: Readiness },
      },
      config: { access: 'open' },
    },
    async (_request, reply) => {
      if (context.lifecycle.shuttingDown) {
        return reply.code(503).send({
          ready: false,
          checks: [{ name: 'shutdown', ready: false, message: 'the process is shutting down' }],
        });
      }
      const readiness = await context.dispatcher.readiness();
      return reply.code(readiness.ready ? 200 : 503).send(readiness);
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['cluster'],
        summary: 'Prometheus text exposition (see docs/metrics.md)',
        produces: ['text/plain'],
        response: {
          200: Type.String({ description: 'Prometheus text format 0.0.4' }),
          ...read,
        },
      },
      config: { access: 'read' },
    },
    async (_request, reply) => {
      if (context.metrics === undefined) {
        return reply.type('text/plain; version=0.0.4; charset=utf-8').send('');
      }
      const text = await context.metrics.exposition();
      return reply.type(context.metrics.contentType).send(text);
    },
  );
}
