/**
 * Schemas of the asynchronous job operations: savepoint, stop-with-savepoint and
 * checkpoint triggers and their polling endpoints, in Flink's shapes.
 *
 * Flink spells the savepoint body kebab-case (`target-directory`, `cancel-job`) and
 * the stop body camelCase (`targetDirectory`, `drain`); Sluice keeps both spellings
 * so that Flink clients work unchanged. A client-supplied `triggerId` makes a retried
 * trigger safe: the same id returns the same operation instead of a second one.
 *
 * @module
 */
import { type Static, Type } from 'typebox';
import { FailureCause, QueueStatus } from './common.ts';

const TargetDirectory = Type.String({
  minLength: 1,
  maxLength: 4096,
  description: 'Directory to write the savepoint to; `state.savepoints.dir` when absent.',
});

const ClientTriggerId = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Client-chosen id: a retry with the same id returns the same operation.',
  }),
);

/** `POST /jobs/{jobid}/savepoints` (Flink's `SavepointTriggerRequestBody`). */
export const SavepointTriggerRequest = Type.Object(
  {
    'target-directory': Type.Optional(TargetDirectory),
    'cancel-job': Type.Optional(
      Type.Boolean({ description: 'Cancel the job after the savepoint.' }),
    ),
    triggerId: ClientTriggerId,
    formatType: Type.Optional(Type.Enum(['CANONICAL', 'NATIVE'])),
  },
  { additionalProperties: false },
);
export type SavepointTriggerRequest = Static<typeof SavepointTriggerRequest>;

/** `POST /jobs/{jobid}/stop` (Flink's `StopWithSavepointRequestBody`). */
export const StopWithSavepointRequest = Type.Object(
  {
    targetDirectory: Type.Optional(TargetDirectory),
    drain: Type.Optional(
      Type.Boolean({ description: 'Emit MAX_WATERMARK first, firing all event-time timers.' }),
    ),
    triggerId: ClientTriggerId,
    formatType: Type.Optional(Type.Enum(['CANONICAL', 'NATIVE'])),
  },
  { additionalProperties: false },
);
export type StopWithSavepointRequest = Static<typeof StopWithSavepointRequest>;

/** `GET /jobs/{jobid}/savepoints/{triggerid}` (Flink's `AsynchronousOperationResult<SavepointInfo>`). */
export const SavepointStatus = Type.Object({
  status: QueueStatus,
  operation: Type.Optional(
    Type.Object({
      location: Type.Optional(Type.String({ description: 'Path of the completed savepoint.' })),
      'failure-cause': Type.Optional(FailureCause),
    }),
  ),
});
export type SavepointStatus = Static<typeof SavepointStatus>;

/** `POST /jobs/{jobid}/checkpoints` (Flink's `CheckpointTriggerRequestBody`). */
export const CheckpointTriggerRequest = Type.Object(
  {
    checkpointType: Type.Optional(Type.Enum(['CONFIGURED', 'FULL', 'INCREMENTAL'])),
    triggerId: ClientTriggerId,
  },
  { additionalProperties: false },
);
export type CheckpointTriggerRequest = Static<typeof CheckpointTriggerRequest>;

/** `GET /jobs/{jobid}/checkpoints/{triggerid}` (Flink's `AsynchronousOperationResult<CheckpointInfo>`). */
export const CheckpointStatus = Type.Object({
  status: QueueStatus,
  operation: Type.Optional(
    Type.Object({
      checkpointId: Type.Optional(Type.Integer()),
      'failure-cause': Type.Optional(FailureCause),
    }),
  ),
});
export type CheckpointStatus = Static<typeof CheckpointStatus>;
