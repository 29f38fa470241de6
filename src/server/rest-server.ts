/**
 * Sluice's REST server: Fastify with Flink's job-control paths, the flow-control
 * graph, Prometheus `/metrics`, Kubernetes probes, an OpenAPI document and Swagger UI.
 *
 * ```
 * request ─► onRequest: bearer token by route access (open | read | mutate)
 *         ─► JSON body parser (limit rest.server.max-content-length → 413, non-JSON → 415)
 *         ─► TypeBox validation (→ 400 SLUICE_ERR_REST_BAD_REQUEST naming the field)
 *         ─► route ─► Dispatcher ─► reply serialized by the route's schema
 *  any throw ─► rest-error-handler: {code, message, details?} with the code's status
 * ```
 *
 * Routes (see `docs/rest.md`; the OpenAPI document is served at `/openapi.json`,
 * Swagger UI at `/docs`):
 * `GET /overview`, `/config`, `/jobmanager/config`, `/jobs`, `/jobs/overview`,
 * `/jobs/{jobid}`, `/jobs/{jobid}/checkpoints`, `/jobs/{jobid}/checkpoints/{triggerid}`,
 * `/jobs/{jobid}/savepoints/{triggerid}`, `/jobs/{jobid}/vertices/{vertexid}/backpressure`,
 * `/jobs/{jobid}/flow`, `/healthz`, `/readyz`, `/metrics`;
 * `POST /jobs`, `/jobs/{jobid}/stop`, `/jobs/{jobid}/savepoints`,
 * `/jobs/{jobid}/checkpoints`; `PATCH /jobs/{jobid}?mode=cancel`.
 *
 * @remarks Main thread. Corresponds to Flink's `WebMonitorEndpoint` (with
 * `DispatcherRestEndpoint`).
 * @module
 */
import { performance } from 'node:perf_hooks';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { Configuration } from '../config/configuration.ts';
import { BearerTokenAuthenticator } from './bearer-token-authenticator.ts';
import { defaultFlowThresholds, type FlowThresholds } from './flow-analysis.ts';
import type { Dispatcher } from './job-controller.ts';
import { errorReplyOf } from './rest-error-handler.ts';
import { type RestServerOptions, resolveRestServerOptions } from './rest-options.ts';
import { registerClusterRoutes } from './routes/cluster-routes.ts';
import { registerFlowRoutes } from './routes/flow-routes.ts';
import { registerJobRoutes } from './routes/job-routes.ts';
import { registerOperationRoutes } from './routes/operation-routes.ts';
import type { MetricsExposition, RouteContext, SluiceFastify } from './routes/route-context.ts';
import { SLUICE_VERSION } from './sluice-version.ts';

/** What the server serves. */
export interface RestServerDependencies {
  /** The job operations behind the routes. */
  dispatcher: Dispatcher;
  /** The `/metrics` source (a `SluiceMetrics`); `/metrics` is empty without one. */
  metrics?: MetricsExposition | undefined;
  /** The effective configuration shown by `/config`. @defaultValue an empty one */
  configuration?: Configuration | undefined;
  /** Logger for errors and mutating requests. @defaultValue no logging */
  logger?: FastifyBaseLogger | undefined;
  /** Thresholds of the `/flow` verdict. @defaultValue {@link defaultFlowThresholds} */
  flowThresholds?: FlowThresholds | undefined;
}

const OPENAPI_TAGS = [
  { name: 'cluster', description: 'Overview, configuration, metrics' },
  { name: 'jobs', description: 'Jobs: list, details, submit, cancel' },
  { name: 'savepoints', description: 'Savepoints and stop-with-savepoint' },
  { name: 'checkpoints', description: 'Checkpoints: trigger and statistics' },
  { name: 'flow', description: 'Back pressure and the flow-control graph' },
  { name: 'probes', description: 'Kubernetes liveness and readiness' },
];

/**
 * The REST server; create with {@link RestServer.create}, then `listen()`, or call
 * `app.inject()` in tests without a socket.
 */
export class RestServer {
  /** The Fastify instance (ready: plugins loaded, routes registered). */
  readonly app: SluiceFastify;
  /** The validated options. */
  readonly options: RestServerOptions;
  private address: string | undefined;
  private readonly lifecycle = { shuttingDown: false };

  private constructor(app: SluiceFastify, options: RestServerOptions) {
    this.app = app;
    this.options = options;
  }

  /**
   * Builds the server: validates options, registers plugins, hooks and routes.
   *
   * @param dependencies - dispatcher, metrics, configuration, logger
   * @param options - overrides of `defaultRestServerOptions`
   * @returns a ready server, not yet listening
   * @throws SLUICE_ERR_CONFIG_INVALID when an option is invalid (short token,
   *   `authRead` without a token, body limit out of range)
   */
  static async create(
    dependencies: RestServerDependencies,
    options: Partial<RestServerOptions> = {},
  ): Promise<RestServer> {
    const resolved = resolveRestServerOptions(options);
    const authenticator = new BearerTokenAuthenticator(resolved.token, resolved.authRead);
    const app = Fastify({
      ...(dependencies.logger ? { loggerInstance: dependencies.logger } : { logger: false }),
      bodyLimit: resolved.bodyLimitBytes,
      logController: new LogController({ disableRequestLogging: true }),
      return503OnClosing: true,
      forceCloseConnections: true,
      ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
    }).withTypeProvider<TypeBoxTypeProvider>() as unknown as SluiceFastify;
    // Bodies are JSON only: without the default text/plain parser, anything else is 415.
    app.removeContentTypeParser('text/plain');
    const server = new RestServer(app, resolved);
    const context: RouteContext = {
      dispatcher: dependencies.dispatcher,
      metrics: dependencies.metrics,
      configuration: dependencies.configuration ?? new Configuration(),
      flowThresholds: dependencies.flowThresholds ?? defaultFlowThresholds,
      startedAtMs: performance.now(),
      lifecycle: server.lifecycle,
    };

    app.setErrorHandler((error, request, reply) => {
      const answer = errorReplyOf(error, request.id, resolved.bodyLimitBytes);
      if (answer.serverFault) {
        request.log.error(
          { err: error, method: request.method, url: request.url },
          'request failed',
        );
      }
      if (answer.status === 401) reply.header('www-authenticate', 'Bearer realm="sluice"');
      return reply.code(answer.status).send(answer.body);
    });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({
        code: 'SLUICE_ERR_REST_NOT_FOUND',
        message: `no route ${request.method} ${request.url.split('?')[0]}; see GET /openapi.json`,
      }),
    );
    app.addHook('onRequest', async (request) => {
      const access = request.routeOptions.config?.access ?? 'read';
      const path = request.routeOptions.url ?? request.url.split('?')[0];
      authenticator.check(access, request.headers.authorization, `${request.method} ${path}`);
    });
    app.addHook('onResponse', async (request, reply) => {
      if (request.method === 'GET' || request.method === 'HEAD') return;
      request.log.info(
        {
          method: request.method,
          url: request.url,
          statusCode: reply.statusCode,
          responseTimeMs: Math.round(reply.elapsedTime),
        },
        'rest request',
      );
    });

    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Sluice REST API',
          description:
            "Job control with Apache Flink's paths and JSON shapes, plus Sluice's flow-control graph. Mutating endpoints need `Authorization: Bearer <token>`.",
          version: SLUICE_VERSION,
        },
        tags: OPENAPI_TAGS,
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
        },
      },
    });
    registerClusterRoutes(app, context);
    registerJobRoutes(app, context);
    registerOperationRoutes(app, context);
    registerFlowRoutes(app, context);
    app.get('/openapi.json', { schema: { hide: true }, config: { access: 'open' } }, async () =>
      app.swagger(),
    );
    if (resolved.swaggerUi) {
      await app.register(async (scope) => {
        scope.addHook('onRoute', (route) => {
          route.config = { ...(route.config ?? {}), access: 'open' };
        });
        await scope.register(swaggerUi, { routePrefix: '/docs' });
      });
    }
    await app.ready();
    return server;
  }

  /**
   * Binds `options.host:options.port`.
   *
   * @returns the base URL, e.g. `http://127.0.0.1:8081`
   */
  async listen(): Promise<string> {
    await this.app.listen({ host: this.options.host, port: this.options.port });
    const bound = this.app.server.address();
    if (bound !== null && typeof bound === 'object') {
      const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
      this.address = `http://${host}:${bound.port}`;
    }
    return this.url;
  }

  /** The base URL once listening. */
  get url(): string {
    if (this.address === undefined) throw new Error('RestServer: url read before listen()');
    return this.address;
  }

  /** Shutdown has begun: `/readyz` answers 503 so that no new traffic is routed here. */
  markShuttingDown(): void {
    this.lifecycle.shuttingDown = true;
  }

  /** Stops accepting requests and closes open connections. */
  async close(): Promise<void> {
    await this.app.close();
  }
}
