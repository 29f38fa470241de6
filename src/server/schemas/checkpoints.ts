/**
 * Schema of `GET /jobs/{jobid}/checkpoints` (Flink's `CheckpointingStatistics`):
 * counts, min/avg/max summaries, the latest checkpoints of each kind and a history.
 *
 * @module
 */
import { type Static, type TSchema, Type } from 'typebox';

/** min/max/avg and percentiles of one figure over completed checkpoints (`StatsSummaryDto`). */
export const StatsSummary = Type.Object({
  min: Type.Number(),
  max: Type.Number(),
  avg: Type.Number(),
  p50: Type.Number(),
  p90: Type.Number(),
  p95: Type.Number(),
  p99: Type.Number(),
  p999: Type.Number(),
});

/** One checkpoint of `latest` or `history` (Flink's `CheckpointStatistics`, common fields). */
export const CheckpointStatistics = Type.Object({
  id: Type.Integer(),
  status: Type.Enum(['IN_PROGRESS', 'COMPLETED', 'FAILED']),
  is_savepoint: Type.Boolean(),
  checkpoint_type: Type.String({ description: 'CHECKPOINT, SAVEPOINT, SYNC_SAVEPOINT, …' }),
  trigger_timestamp: Type.Number({ description: 'Epoch ms.' }),
  latest_ack_timestamp: Type.Number({ description: 'Epoch ms, -1 before the first ack.' }),
  state_size: Type.Number({ description: 'bytes' }),
  checkpointed_size: Type.Number({ description: 'bytes' }),
  end_to_end_duration: Type.Number({ description: 'ms' }),
  alignment_buffered: Type.Number({ description: 'bytes' }),
  num_subtasks: Type.Integer(),
  num_acknowledged_subtasks: Type.Integer(),
  external_path: Type.Optional(Type.String({ description: 'Where a completed checkpoint lives.' })),
  discarded: Type.Optional(Type.Boolean()),
  failure_timestamp: Type.Optional(Type.Number()),
  failure_message: Type.Optional(Type.String()),
});
export type CheckpointStatistics = Static<typeof CheckpointStatistics>;

/** The checkpoint a job was restored from. */
export const RestoredCheckpoint = Type.Object({
  id: Type.Integer(),
  restore_timestamp: Type.Number(),
  is_savepoint: Type.Boolean(),
  external_path: Type.String(),
});

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** `GET /jobs/{jobid}/checkpoints`. */
export const CheckpointingStatistics = Type.Object({
  counts: Type.Object({
    restored: Type.Integer(),
    total: Type.Integer(),
    in_progress: Type.Integer(),
    completed: Type.Integer(),
    failed: Type.Integer(),
  }),
  summary: Type.Object({
    state_size: StatsSummary,
    checkpointed_size: StatsSummary,
    end_to_end_duration: StatsSummary,
    alignment_buffered: StatsSummary,
  }),
  latest: Type.Object({
    completed: Nullable(CheckpointStatistics),
    savepoint: Nullable(CheckpointStatistics),
    failed: Nullable(CheckpointStatistics),
    restored: Nullable(RestoredCheckpoint),
  }),
  history: Type.Array(CheckpointStatistics, { description: 'Most recent first.' }),
});
export type CheckpointingStatistics = Static<typeof CheckpointingStatistics>;
