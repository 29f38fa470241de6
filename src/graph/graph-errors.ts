/**
 * Errors raised while a job's graph is built, validated and planned
 * (`SLUICE_ERR_GRAPH_*`). Each message names the offending operator or value and the
 * remedy; `details` carries the same values for logs and REST bodies.
 */

import { SluiceError } from '../errors.ts';

/** The job declares no operator at all. */
export class EmptyGraphError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_GRAPH_EMPTY';
}

/** The job declares operators but no sink: nothing would ever leave it. */
export class NoSinkError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_GRAPH_NO_SINK';
}

/** The graph has a cycle (possible only in a hand-built `StreamGraph`). */
export class GraphCycleError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_GRAPH_CYCLE';
}

/** A parallelism is not an integer in `[1, maxParallelism]`. */
export class InvalidParallelismError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_GRAPH_INVALID_PARALLELISM';
}

/** A keyed operator (reduce, sum, ...) has an input that was not partitioned by `keyBy`. */
export class NotKeyedError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_GRAPH_NOT_KEYED';
}

/** `forward()` between operators of different parallelism. */
export class ForwardParallelismError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_GRAPH_FORWARD_PARALLELISM';
}

/** Two operators were given the same `uid`. */
export class DuplicateUidError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_GRAPH_DUPLICATE_UID';
}

/** The plan needs more slots than `taskmanager.numberOfTaskSlots` provides. */
export class NotEnoughSlotsError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_GRAPH_NOT_ENOUGH_SLOTS';
}

/** Building the job twice gave two different graphs (the job module is not deterministic). */
export class NondeterministicGraphError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_GRAPH_NONDETERMINISTIC';
}
