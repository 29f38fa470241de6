/**
 * What happens after a task failure (Flink's `RestartBackoffTimeStrategy`): whether
 * the job may run another attempt, and how long to wait first.
 *
 * ```
 *   restart-strategy.type: none         → the first failure fails the job (default
 *                                         without checkpointing)
 *   restart-strategy.type: fixed-delay  → up to `attempts` restarts, `delay` ms apart;
 *                                          the failure after the last one fails the job
 *   (unset), execution.checkpointing.interval set → fixed-delay, unlimited attempts
 *                                          (Flink's default when checkpointing is on)
 * ```
 *
 * Some failures are not worth a restart whatever the strategy says (Flink's
 * unrecoverable errors): a job module that does not load or builds a different graph
 * on a worker would fail again the same way. {@link isRecoverable} says which.
 *
 * @remarks Main thread; one instance per job, owned by its `JobMaster`.
 * @module
 */
import type { Configuration } from '../config/configuration.ts';
import { CoreOptions } from '../config/options.ts';

/** Decides on restarts after failures (Flink's `RestartBackoffTimeStrategy`). */
export interface RestartBackoffTimeStrategy {
  /** Records a failure; call before {@link canRestart}. */
  notifyFailure(cause: { code?: string }): void;
  /** Whether another attempt may run after the failures recorded. */
  canRestart(): boolean;
  /** Wait before the next attempt (ms). */
  getBackoffTimeMs(): number;
  /** For messages: `FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=3, backoffTimeMS=1000)`. */
  toString(): string;
}

/** Never restarts (`restart-strategy.type: none`). */
export class NoRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  notifyFailure(_cause: { code?: string }): void {}

  canRestart(): boolean {
    return false;
  }

  getBackoffTimeMs(): number {
    return 0;
  }

  toString(): string {
    return 'NoRestartBackoffTimeStrategy';
  }
}

/**
 * Restarts up to `maxNumberRestartAttempts` times with `backoffTimeMs` between attempts
 * (`restart-strategy.type: fixed-delay`).
 */
export class FixedDelayRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  readonly maxNumberRestartAttempts: number;
  readonly backoffTimeMs: number;
  private currentRestartAttempt = 0;

  /**
   * @param maxNumberRestartAttempts - restarts allowed (≥ 0)
   * @param backoffTimeMs - delay before each restart (ms, ≥ 0)
   */
  constructor(maxNumberRestartAttempts: number, backoffTimeMs: number) {
    this.maxNumberRestartAttempts = maxNumberRestartAttempts;
    this.backoffTimeMs = backoffTimeMs;
  }

  notifyFailure(_cause: { code?: string }): void {
    this.currentRestartAttempt++;
  }

  canRestart(): boolean {
    return this.currentRestartAttempt <= this.maxNumberRestartAttempts;
  }

  getBackoffTimeMs(): number {
    return this.backoffTimeMs;
  }

  toString(): string {
    return `FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=${this.maxNumberRestartAttempts}, backoffTimeMS=${this.backoffTimeMs})`;
  }
}

/**
 * The strategy the configuration asks for: `restart-strategy.type`,
 * `restart-strategy.fixed-delay.attempts`, `restart-strategy.fixed-delay.delay`.
 *
 * @param configuration - cluster configuration with the job's overrides
 * @returns a fresh strategy (it counts the job's failures)
 */
export function createRestartBackoffTimeStrategy(
  configuration: Configuration,
): RestartBackoffTimeStrategy {
  const checkpointing = configuration.getOptional(CoreOptions.CHECKPOINT_INTERVAL) !== undefined;
  if (!configuration.contains(CoreOptions.RESTART_STRATEGY.key) && checkpointing) {
    // Flink's default with checkpointing on: restart (practically) forever, 1 s apart.
    return new FixedDelayRestartBackoffTimeStrategy(
      configuration.contains(CoreOptions.RESTART_ATTEMPTS.key)
        ? configuration.get(CoreOptions.RESTART_ATTEMPTS)
        : Number.MAX_SAFE_INTEGER,
      configuration.get(CoreOptions.RESTART_DELAY),
    );
  }
  if (configuration.get(CoreOptions.RESTART_STRATEGY) !== 'fixed-delay') {
    return new NoRestartBackoffTimeStrategy();
  }
  return new FixedDelayRestartBackoffTimeStrategy(
    configuration.get(CoreOptions.RESTART_ATTEMPTS),
    configuration.get(CoreOptions.RESTART_DELAY),
  );
}

const UNRECOVERABLE = new Set([
  'SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID',
  'SLUICE_ERR_GRAPH_NONDETERMINISTIC',
  'SLUICE_ERR_CHECKPOINT_INCOMPATIBLE',
  'SLUICE_ERR_CHECKPOINT_CORRUPT',
  'SLUICE_ERR_CHECKPOINT_TOLERABLE_FAILURES_EXCEEDED',
]);

/**
 * Whether a failure may go away on a restart: everything except a job module that
 * does not load and a graph that differs between threads (they fail the same way
 * every time), and the `SLUICE_ERR_GRAPH_*` planning errors.
 *
 * @param code - the failure's error code
 */
export function isRecoverable(code: string | undefined): boolean {
  if (code === undefined) return true;
  return !UNRECOVERABLE.has(code) && !code.startsWith('SLUICE_ERR_GRAPH_');
}
