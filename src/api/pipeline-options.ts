import { option } from '../config/config-option.ts';
import { registerOptions } from '../config/options.ts';

/**
 * Configuration keys the DataStream API reads besides the core ones
 * (`parallelism.default`, `pipeline.max-parallelism`, `execution.buffer-timeout`,
 * `taskmanager.numberOfTaskSlots`); Flink's names and defaults. Registered with the
 * configuration loader when this module loads.
 */
export const PipelineOptions = {
  OPERATOR_CHAINING: option.boolean(
    'pipeline.operator-chaining.enabled',
    true,
    'Whether operators may be chained into one task (direct calls); false = every operator is its own task.',
  ),
  NAME: option.string(
    'pipeline.name',
    undefined,
    'Name of the job, shown in plans, REST and metrics.',
  ),
} as const;

registerOptions(PipelineOptions);
