import { availableParallelism } from 'node:os';
import { type ConfigOption, option } from './config-option.ts';

/**
 * Every configuration key Sluice reads, with Flink's names and defaults where Flink
 * has the key (see `docs/configuration.md`). Keys Sluice adds are marked there.
 */
export const CoreOptions = {
  // --- memory (docs/memory.md) ---
  SEGMENT_SIZE: option.memory(
    'taskmanager.memory.segment-size',
    32 * 1024,
    'Size of one memory segment and network buffer, in bytes.',
    { min: 4096, max: 16 * 1024 * 1024 },
  ),
  PROCESS_SIZE: option.memory(
    'taskmanager.memory.process.size',
    1024 ** 3,
    'Memory of the whole Sluice process; the network and managed fractions are fractions of it (bytes).',
    { min: 64 * 1024 ** 2 },
  ),
  NETWORK_FRACTION: option.number(
    'taskmanager.memory.network.fraction',
    0.1,
    'Fraction of taskmanager.memory.process.size reserved for network buffers.',
    { min: 0, max: 1 },
  ),
  NETWORK_MIN: option.memory(
    'taskmanager.memory.network.min',
    64 * 1024 ** 2,
    'Lower bound of network buffer memory (bytes).',
  ),
  NETWORK_MAX: option.memory(
    'taskmanager.memory.network.max',
    undefined,
    'Upper bound of network buffer memory (bytes); unbounded when unset.',
  ),
  MANAGED_FRACTION: option.number(
    'taskmanager.memory.managed.fraction',
    0.4,
    'Fraction of taskmanager.memory.process.size for managed memory (state, windows, sorting).',
    { min: 0, max: 1 },
  ),
  MANAGED_SIZE: option.memory(
    'taskmanager.memory.managed.size',
    undefined,
    'Managed memory in bytes; overrides taskmanager.memory.managed.fraction when set.',
  ),
  NUMBER_OF_TASK_SLOTS: option.int(
    'taskmanager.numberOfTaskSlots',
    availableParallelism(),
    'Parallel task slots, one worker thread each (Sluice default: available cores).',
    { min: 1, max: 1024 },
  ),

  // --- network (docs/network.md) ---
  BUFFERS_PER_CHANNEL: option.int(
    'taskmanager.network.memory.buffers-per-channel',
    2,
    'Exclusive buffers per input channel.',
    { min: 0 },
  ),
  FLOATING_BUFFERS_PER_GATE: option.int(
    'taskmanager.network.memory.floating-buffers-per-gate',
    8,
    'Floating buffers per input gate.',
    { min: 0 },
  ),
  MAX_BUFFERS_PER_CHANNEL: option.int(
    'taskmanager.network.memory.max-buffers-per-channel',
    10,
    'Most buffers one output subpartition may hold (limits skew).',
    { min: 1 },
  ),
  BUFFER_TIMEOUT: option.duration(
    'execution.buffer-timeout',
    100,
    'Flush interval for partly filled buffers (ms); 0 flushes after every record.',
  ),

  // --- execution ---
  PARALLELISM: option.int('parallelism.default', 1, 'Default parallelism of operators.', {
    min: 1,
  }),
  MAX_PARALLELISM: option.int(
    'pipeline.max-parallelism',
    128,
    'Number of key groups: the upper bound of any keyed operator parallelism.',
    { min: 1, max: 32768 },
  ),
  AUTO_WATERMARK_INTERVAL: option.duration(
    'pipeline.auto-watermark-interval',
    200,
    'Period of watermark emission by sources (ms).',
  ),
  RESTART_STRATEGY: option.enumeration(
    'restart-strategy.type',
    ['none', 'fixed-delay'] as const,
    'none',
    'What happens after a task failure: fail the job, or restart it with a fixed delay.',
  ),
  RESTART_ATTEMPTS: option.int(
    'restart-strategy.fixed-delay.attempts',
    3,
    'Restart attempts before the job fails (fixed-delay).',
    { min: 0 },
  ),
  RESTART_DELAY: option.duration(
    'restart-strategy.fixed-delay.delay',
    1000,
    'Delay between restart attempts (ms, fixed-delay).',
  ),

  // --- checkpoints (docs/checkpoints.md) ---
  CHECKPOINT_INTERVAL: option.duration(
    'execution.checkpointing.interval',
    undefined,
    'Checkpoint period (ms); checkpointing is off when unset.',
    { min: 10 },
  ),
  CHECKPOINT_TIMEOUT: option.duration(
    'execution.checkpointing.timeout',
    600_000,
    'A checkpoint not complete after this long is aborted (ms).',
    { min: 1 },
  ),
  TOLERABLE_FAILED_CHECKPOINTS: option.int(
    'execution.checkpointing.tolerable-failed-checkpoints',
    Number.MAX_SAFE_INTEGER,
    'Consecutive failed checkpoints tolerated before the job fails.',
    { min: 0 },
  ),
  CHECKPOINTS_DIR: option.string(
    'state.checkpoints.dir',
    undefined,
    'Directory of checkpoint storage (on Kubernetes a persistent volume).',
  ),
  CHECKPOINTS_NUM_RETAINED: option.int(
    'state.checkpoints.num-retained',
    1,
    'Completed checkpoints kept.',
    { min: 1 },
  ),
  SAVEPOINTS_DIR: option.string(
    'state.savepoints.dir',
    undefined,
    'Default directory of savepoints, used when a savepoint request names no target directory.',
  ),
  SAVEPOINT_PATH: option.string(
    'execution.savepoint.path',
    undefined,
    'Savepoint or checkpoint (directory or its _metadata file) the job starts from.',
  ),
  SAVEPOINT_IGNORE_UNCLAIMED_STATE: option.boolean(
    'execution.savepoint.ignore-unclaimed-state',
    false,
    'Start from a savepoint that holds state of operators the job no longer has (that state is dropped).',
  ),
  CHECKPOINTS_HISTORY: option.int(
    'web.checkpoints.history',
    10,
    'Checkpoints listed in the history of GET /jobs/{jobid}/checkpoints.',
    { min: 0 },
  ),

  // --- REST and metrics (docs/rest.md) ---
  REST_ADDRESS: option.string('rest.address', '0.0.0.0', 'Address the REST server binds to.'),
  REST_PORT: option.int('rest.port', 8081, 'Port of the REST API and /metrics.', {
    min: 0,
    max: 65535,
  }),
} as const satisfies Record<string, ConfigOption<unknown>>;

/** All known options by key. */
export const OPTIONS_BY_KEY: ReadonlyMap<string, ConfigOption<unknown>> = new Map(
  Object.values(CoreOptions).map((o) => [o.key, o as ConfigOption<unknown>]),
);

/**
 * Registers options of a component defined elsewhere (connectors, server), so that
 * the loader knows their keys.
 */
export function registerOptions(options: Record<string, ConfigOption<unknown>>): void {
  for (const o of Object.values(options))
    (OPTIONS_BY_KEY as Map<string, ConfigOption<unknown>>).set(o.key, o);
}
