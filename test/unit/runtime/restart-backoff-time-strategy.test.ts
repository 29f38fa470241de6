import { describe, expect, it } from 'vitest';
import { Configuration } from '../../../src/config/configuration.ts';
import {
  createRestartBackoffTimeStrategy,
  FixedDelayRestartBackoffTimeStrategy,
  isRecoverable,
  NoRestartBackoffTimeStrategy,
} from '../../../src/runtime/restart-backoff-time-strategy.ts';

describe('restart strategies', () => {
  it('none by default: the first failure is final', () => {
    const strategy = createRestartBackoffTimeStrategy(new Configuration());
    expect(strategy).toBeInstanceOf(NoRestartBackoffTimeStrategy);
    strategy.notifyFailure({ code: 'SLUICE_ERR_OPERATOR_FUNCTION_FAILED' });
    expect(strategy.canRestart()).toBe(false);
  });

  it('fixed-delay allows `attempts` restarts, `delay` apart, then refuses', () => {
    const strategy = createRestartBackoffTimeStrategy(
      Configuration.fromJSON({
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': 2,
        'restart-strategy.fixed-delay.delay': '250 ms',
      }),
    );
    expect(strategy).toBeInstanceOf(FixedDelayRestartBackoffTimeStrategy);
    expect(strategy.getBackoffTimeMs()).toBe(250);
    const verdicts: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      strategy.notifyFailure({});
      verdicts.push(strategy.canRestart());
    }
    expect(verdicts).toEqual([true, true, false]);
    expect(strategy.toString()).toBe(
      'FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=2, backoffTimeMS=250)',
    );
  });

  it('a job module that does not load or builds another graph is not worth a restart', () => {
    expect(isRecoverable('SLUICE_ERR_OPERATOR_FUNCTION_FAILED')).toBe(true);
    expect(isRecoverable('SLUICE_ERR_RUNTIME_WORKER_DIED')).toBe(true);
    expect(isRecoverable(undefined)).toBe(true);
    expect(isRecoverable('SLUICE_ERR_RUNTIME_JOB_MODULE_INVALID')).toBe(false);
    expect(isRecoverable('SLUICE_ERR_GRAPH_NONDETERMINISTIC')).toBe(false);
    expect(isRecoverable('SLUICE_ERR_GRAPH_NO_SINK')).toBe(false);
  });
});
