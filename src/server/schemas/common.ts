/**
 * JSON schemas shared by the REST routes: ids, error bodies and Flink's
 * asynchronous-operation envelope (`request-id`, `status.id`, `operation`).
 *
 * Every schema is a TypeBox schema: Fastify validates requests and serializes
 * responses with it, and `@fastify/swagger` turns it into the OpenAPI document.
 *
 * @module
 */
import { type Static, Type } from 'typebox';

/** An identifier in a path or body: letters, digits, `_` and `-`, at most 64 characters. */
export const Id = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Identifier: letters, digits, `_` and `-` (Flink uses 32 hex digits).',
});

/** `:jobid` path parameter. */
export const JobIdParams = Type.Object({ jobid: Id });
export type JobIdParams = Static<typeof JobIdParams>;

/** `:jobid/vertices/:vertexid` path parameters. */
export const VertexParams = Type.Object({ jobid: Id, vertexid: Id });
export type VertexParams = Static<typeof VertexParams>;

/** `:jobid/…/:triggerid` path parameters. */
export const TriggerParams = Type.Object({ jobid: Id, triggerid: Id });
export type TriggerParams = Static<typeof TriggerParams>;

/** Body of every error answer: the stable code, a message naming values and remedy. */
export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable error code, see docs/errors.md.' }),
    message: Type.String({
      description: 'What went wrong, with the offending values and the remedy.',
    }),
    details: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Offending values.' }),
    ),
  },
  { description: 'Error: `{code, message, details?}`.' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** Answer of a trigger call: the id to poll with (Flink's `TriggerResponse`). */
export const TriggerResponse = Type.Object({
  'request-id': Type.String({
    description: 'Trigger id; equals the client-supplied `triggerId` when one was sent.',
  }),
});
export type TriggerResponse = Static<typeof TriggerResponse>;

/** State of an asynchronous operation (Flink's `QueueStatus`). */
export const QueueStatus = Type.Object({
  id: Type.Enum(['IN_PROGRESS', 'COMPLETED']),
});

/** Why an asynchronous operation failed (Flink's `failure-cause`, as `{code, message}`). */
export const FailureCause = Type.Object({
  code: Type.String(),
  message: Type.String(),
});
export type FailureCause = Static<typeof FailureCause>;

/** Empty acknowledgement body (`{}`), as Flink answers a cancel. */
export const Empty = Type.Object({});

/** Error answers a route may give, for the OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBody> {
  const out: Record<number, typeof ErrorBody> = {};
  for (const status of statuses) out[status] = ErrorBody;
  return out;
}
