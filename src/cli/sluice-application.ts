/**
 * One Sluice process: logger, metrics registry, Dispatcher and REST server,
 * started from a configuration and shut down gracefully.
 *
 * ```
 * start():    root logger ─► SluiceMetrics ─► Dispatcher (MiniCluster) ─► RestServer.listen()
 * shutdown(): /readyz → 503 ─► stop jobs with savepoint (≤ shutdown.grace-period)
 *             ─► close server ─► close dispatcher ─► close metrics ─► exit code
 * ```
 *
 * `sluice serve` (session mode) and `sluice run` (application mode) both use it.
 *
 * @remarks Main thread; one per process.
 * @module
 */
import type { Logger } from 'pino';
import type { Configuration } from '../config/configuration.ts';
import { SluiceMetrics } from '../metrics/sluice-metrics.ts';
import { createRootLogger, rootLoggerOptionsFrom } from '../runtime/logging.ts';
import { MiniClusterDispatcher } from '../runtime/mini-cluster-dispatcher.ts';
import type { Dispatcher } from '../server/job-controller.ts';
import { restServerOptionsFrom } from '../server/rest-options.ts';
import { RestServer } from '../server/rest-server.ts';
import { ShutdownOptions, type ShutdownReport, stopJobsForShutdown } from './graceful-shutdown.ts';

/** How to start a {@link SluiceApplication}. */
export interface SluiceApplicationOptions {
  /** The loaded configuration. */
  configuration: Configuration;
  /** Environment (for `SLUICE_REST_TOKEN`). @defaultValue `process.env` */
  env?: Record<string, string | undefined>;
  /** Where log lines go. @defaultValue `process.stdout` */
  logDestination?: NodeJS.WritableStream;
  /**
   * The Dispatcher; given the configuration, the metrics sink (so the runtime can feed
   * it) and the root logger.
   * @defaultValue a {@link MiniClusterDispatcher}: the worker-thread runtime
   */
  createDispatcher?: (context: {
    configuration: Configuration;
    metrics: SluiceMetrics;
    log: Logger;
  }) => Dispatcher | Promise<Dispatcher>;
}

/** The runtime's Dispatcher over a MiniCluster fed into the process's metrics. */
function defaultDispatcher(context: {
  configuration: Configuration;
  metrics: SluiceMetrics;
  log: Logger;
}): Promise<Dispatcher> {
  return MiniClusterDispatcher.start({
    configuration: context.configuration,
    metrics: context.metrics,
    log: context.log,
  });
}

/** A running Sluice process; see the module documentation. */
export class SluiceApplication {
  readonly log: Logger;
  readonly metrics: SluiceMetrics;
  readonly dispatcher: Dispatcher;
  readonly server: RestServer;
  /** Base URL of the REST server. */
  readonly url: string;
  private readonly gracePeriodMs: number;
  private shutdownPromise: Promise<{ exitCode: number; report: ShutdownReport }> | undefined;

  private constructor(
    log: Logger,
    metrics: SluiceMetrics,
    dispatcher: Dispatcher,
    server: RestServer,
    url: string,
    gracePeriodMs: number,
  ) {
    this.log = log;
    this.metrics = metrics;
    this.dispatcher = dispatcher;
    this.server = server;
    this.url = url;
    this.gracePeriodMs = gracePeriodMs;
  }

  /**
   * Starts logger, metrics, Dispatcher and REST server.
   *
   * @throws SLUICE_ERR_CONFIG_INVALID when the REST options or token are invalid
   */
  static async start(options: SluiceApplicationOptions): Promise<SluiceApplication> {
    const { configuration } = options;
    const log = createRootLogger(rootLoggerOptionsFrom(configuration, options.logDestination));
    const unknown = configuration.unknownKeys();
    if (unknown.length > 0) log.warn({ keys: unknown }, 'unknown configuration keys (typos?)');
    const restOptions = restServerOptionsFrom(configuration, options.env ?? process.env);
    const metrics = new SluiceMetrics();
    let dispatcher: Dispatcher;
    try {
      dispatcher = await (options.createDispatcher ?? defaultDispatcher)({
        configuration,
        metrics,
        log,
      });
    } catch (error) {
      metrics.close();
      throw error;
    }
    let server: RestServer;
    let url: string;
    try {
      server = await RestServer.create(
        { dispatcher, metrics, configuration, logger: log.child({ component: 'rest' }) },
        restOptions,
      );
      try {
        url = await server.listen();
      } catch (error) {
        await server.close().catch(() => {});
        throw error;
      }
    } catch (error) {
      await dispatcher.close().catch(() => {});
      metrics.close();
      throw error;
    }
    log.info(
      { url, token: restOptions.token === undefined ? 'none: mutating endpoints refused' : 'set' },
      'sluice REST server listening',
    );
    return new SluiceApplication(
      log,
      metrics,
      dispatcher,
      server,
      url,
      configuration.get(ShutdownOptions.GRACE_PERIOD) ?? 25_000,
    );
  }

  /**
   * Stops jobs with a savepoint (within `shutdown.grace-period`), then closes the
   * server, the Dispatcher and the metrics. Idempotent: later calls return the
   * first call's result.
   *
   * @param reason - logged, e.g. `'SIGTERM'`
   * @returns exit code 0 when every running job got its savepoint, 1 otherwise,
   *   and the report
   */
  shutdown(reason: string): Promise<{ exitCode: number; report: ShutdownReport }> {
    this.shutdownPromise ??= this.doShutdown(reason);
    return this.shutdownPromise;
  }

  private async doShutdown(reason: string): Promise<{ exitCode: number; report: ShutdownReport }> {
    this.log.info({ reason, gracePeriodMs: this.gracePeriodMs }, 'shutting down');
    this.server.markShuttingDown();
    const report = await stopJobsForShutdown(this.dispatcher, {
      gracePeriodMs: this.gracePeriodMs,
      log: this.log,
    });
    await this.server
      .close()
      .catch((error) => this.log.error({ err: error }, 'closing the REST server failed'));
    await this.dispatcher
      .close()
      .catch((error) => this.log.error({ err: error }, 'closing the dispatcher failed'));
    this.metrics.close();
    const exitCode = report.failed.length === 0 ? 0 : 1;
    this.log.info({ exitCode, ...report }, 'shut down');
    return { exitCode, report };
  }
}
