/**
 * The main thread's handle on one task slot: a worker thread running
 * `task-worker.ts`, and the control protocol over its port (Flink's
 * `TaskExecutorGateway`, the RPC interface of a TaskManager).
 *
 * ```
 *   JobMaster ──deploy / cancel──► TaskExecutorGateway ──postMessage──► worker: TaskExecutor
 *             ◄──onMessage────────                     ◄──'message'───
 *             ◄──onWorkerError / onWorkerExit (crash, unexpected exit)
 * ```
 *
 * A gateway lives for one job attempt: the worker starts when the gateway is created
 * and {@link TaskExecutorGateway.terminate} ends it; the `exit` event confirms that the
 * thread is gone (the cluster counts live workers by it). After `terminate` nothing is
 * forwarded to the listener any more.
 *
 * @remarks Main thread only.
 * @module
 */
import { Worker } from 'node:worker_threads';
import type {
  DeployMessage,
  FromTaskExecutorMessage,
  ToTaskExecutorMessage,
} from './task-executor-protocol.ts';

/** Receives what a slot's worker reports. */
export interface TaskExecutorGatewayListener {
  /** A protocol message from the worker. */
  onMessage(gateway: TaskExecutorGateway, message: FromTaskExecutorMessage): void;
  /** The worker threw an uncaught error; it is exiting. */
  onWorkerError(gateway: TaskExecutorGateway, error: unknown): void;
  /** The worker exited without being asked to (after `onWorkerError`, or on its own). */
  onWorkerExit(gateway: TaskExecutorGateway, exitCode: number): void;
}

/** The worker entry of task slots. */
export const TASK_WORKER_URL = new URL('./task-worker.ts', import.meta.url);

/** Main-thread handle on one slot's worker; see the module documentation. */
export class TaskExecutorGateway {
  /** Slot index within the job (subtask i of every vertex runs in slot i). */
  readonly slotIndex: number;
  /** Worker thread id (for logs). */
  readonly threadId: number;
  private readonly worker: Worker;
  private listener: TaskExecutorGatewayListener | undefined;
  private alive = true;
  private readonly exited: Promise<number>;
  private terminating: Promise<void> | undefined;

  /**
   * Starts the slot's worker thread.
   *
   * @param slotIndex - the slot's index within the job
   * @param listener - receives messages, crashes and unexpected exits
   * @param name - thread name shown in debuggers and diagnostics
   * @param onExit - told once when the thread is gone (cluster worker accounting)
   */
  constructor(
    slotIndex: number,
    listener: TaskExecutorGatewayListener,
    name: string,
    onExit?: (gateway: TaskExecutorGateway) => void,
  ) {
    this.slotIndex = slotIndex;
    this.listener = listener;
    this.worker = new Worker(TASK_WORKER_URL, { name });
    this.threadId = this.worker.threadId;
    this.worker.on('message', (message: FromTaskExecutorMessage) =>
      this.listener?.onMessage(this, message),
    );
    this.worker.on('error', (error: unknown) => this.listener?.onWorkerError(this, error));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code: number) => {
        this.alive = false;
        onExit?.(this);
        const listener = this.listener;
        this.listener = undefined;
        listener?.onWorkerExit(this, code);
        resolve(code);
      });
    });
  }

  /** Whether the thread is still running. */
  isAlive(): boolean {
    return this.alive;
  }

  /**
   * Sends the slot's deployment.
   *
   * @param deployment - job module, subtasks of the slot, network handles
   */
  deploy(deployment: DeployMessage): void {
    this.send(deployment);
  }

  /** Asks the worker to cancel every task of the slot. */
  cancel(): void {
    this.send({ type: 'cancel' });
  }

  /**
   * Asks the slot's source subtasks to start checkpoint `checkpointId`.
   *
   * @param checkpointId - the checkpoint
   * @param timestampMs - trigger time (epoch ms)
   */
  triggerCheckpoint(checkpointId: number, timestampMs: number): void {
    this.send({ type: 'trigger-checkpoint', checkpointId, timestampMs });
  }

  /** Tells every subtask of the slot that checkpoint `checkpointId` completed. */
  notifyCheckpointComplete(checkpointId: number): void {
    this.send({ type: 'notify-checkpoint-complete', checkpointId });
  }

  /**
   * Ends the worker thread (whatever it is doing) and stops forwarding its reports.
   *
   * @returns resolves once the thread has exited
   */
  terminate(): Promise<void> {
    this.listener = undefined;
    this.terminating ??= (async () => {
      if (this.alive) await this.worker.terminate();
      await this.exited;
    })();
    return this.terminating;
  }

  private send(message: ToTaskExecutorMessage): void {
    if (this.alive) this.worker.postMessage(message);
  }
}
