/**
 * Asynchronous job operations by trigger id (Flink's `CompletedOperationCache` keyed
 * by `AsynchronousJobOperationKey`): registers a started savepoint or checkpoint under
 * a trigger id, records its outcome when it completes, and answers polls.
 *
 * ```
 *  register(job, triggerId?, kind, start)
 *    triggerId known for the job ─► return it, start nothing (a retried trigger)
 *    otherwise ─► start() ─┬ throws: nothing registered, the error goes to the caller
 *                          └ { completion } ─► IN_PROGRESS ─► COMPLETED (result | failure)
 *  status(job, triggerId) ─► { status: { id }, operation? }
 * ```
 *
 * Trigger ids are per job: the same client id may name operations of two jobs.
 * Completed operations are kept until their job is forgotten ({@link forgetJob}), at
 * most {@link MAX_OPERATIONS_PER_JOB} per job (the oldest completed go first).
 *
 * @remarks Main thread; owned by the Dispatcher.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { serializeError } from '../errors.ts';
import type { StartedOperation } from './job-checkpoint-operations.ts';

/** Most operations remembered per job. */
export const MAX_OPERATIONS_PER_JOB = 1000;

/** What an operation is: polled at `/savepoints/{id}` (savepoint, stop) or `/checkpoints/{id}`. */
export type OperationKind = 'savepoint' | 'stop' | 'checkpoint';

/** One operation's state as the REST layer shows it. */
export interface OperationState {
  readonly kind: OperationKind;
  status: 'IN_PROGRESS' | 'COMPLETED';
  /** The result: a savepoint location or a checkpoint id. */
  result: string | number | undefined;
  /** Why it failed: the error's code and message. */
  failure: { code: string; message: string } | undefined;
}

/** Operations of every job by trigger id; see the module documentation. */
export class CompletedOperationCache {
  private readonly byJob = new Map<string, Map<string, OperationState>>();

  /**
   * Starts an operation unless `triggerId` already names one of the job.
   *
   * @param jobId - the job
   * @param triggerId - the client's id, or `undefined` for a fresh one
   * @param kind - what is started
   * @param start - starts the operation; may throw to refuse
   * @returns the trigger id to poll
   * @throws whatever `start` throws (nothing is registered then)
   */
  register<T extends string | number>(
    jobId: string,
    triggerId: string | undefined,
    kind: OperationKind,
    start: () => StartedOperation<T>,
  ): string {
    let operations = this.byJob.get(jobId);
    if (triggerId !== undefined && operations?.has(triggerId)) return triggerId;
    const { completion } = start();
    const id = triggerId ?? randomBytes(16).toString('hex');
    const state: OperationState = {
      kind,
      status: 'IN_PROGRESS',
      result: undefined,
      failure: undefined,
    };
    if (operations === undefined) {
      operations = new Map();
      this.byJob.set(jobId, operations);
    }
    operations.set(id, state);
    this.evict(operations);
    completion.then(
      (result) => {
        state.status = 'COMPLETED';
        state.result = result;
      },
      (error: unknown) => {
        const { code, message } = serializeError(error);
        state.status = 'COMPLETED';
        state.failure = { code, message };
      },
    );
    return id;
  }

  /**
   * The operation `triggerId` of a job, if it is of one of `kinds`.
   *
   * @returns the state (live: it changes when the operation completes), or `undefined`
   */
  get(
    jobId: string,
    triggerId: string,
    kinds: readonly OperationKind[],
  ): OperationState | undefined {
    const state = this.byJob.get(jobId)?.get(triggerId);
    return state !== undefined && kinds.includes(state.kind) ? state : undefined;
  }

  /** Drops every operation of a job. */
  forgetJob(jobId: string): void {
    this.byJob.delete(jobId);
  }

  private evict(operations: Map<string, OperationState>): void {
    if (operations.size <= MAX_OPERATIONS_PER_JOB) return;
    for (const [id, state] of operations) {
      if (state.status === 'COMPLETED') {
        operations.delete(id);
        if (operations.size <= MAX_OPERATIONS_PER_JOB) return;
      }
    }
  }
}
