/**
 * What every route module receives: the typed Fastify instance and the services
 * behind the routes.
 *
 * @module
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Configuration } from '../../config/configuration.ts';
import type { RouteAccess } from '../bearer-token-authenticator.ts';
import type { FlowThresholds } from '../flow-analysis.ts';
import type { Dispatcher } from '../job-controller.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; see `BearerTokenAuthenticator`. */
    access?: RouteAccess;
  }
}

/** Fastify with TypeBox type inference of params, query, body and replies. */
export type SluiceFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** The `/metrics` text source (implemented by `SluiceMetrics`). */
export interface MetricsExposition {
  /** `Content-Type` of the text. */
  readonly contentType: string;
  /** The Prometheus text exposition. */
  exposition(): Promise<string>;
}

/** Services the routes use. */
export interface RouteContext {
  readonly dispatcher: Dispatcher;
  readonly metrics: MetricsExposition | undefined;
  readonly configuration: Configuration;
  readonly flowThresholds: FlowThresholds;
  /** `performance.now()` when the server was created. */
  readonly startedAtMs: number;
  /** Set when shutdown begins: `/readyz` answers 503 from then on. */
  readonly lifecycle: { shuttingDown: boolean };
}
