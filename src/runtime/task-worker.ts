/**
 * Entry point of a task slot's worker thread: `new Worker(new URL('./task-worker.ts',
 * import.meta.url))` on the main thread (Node 24 runs the TypeScript directly). It
 * wires the thread's port to a {@link TaskExecutor}; everything else happens there.
 *
 * An error thrown outside a task's loop (e.g. asynchronously by user code in a timer)
 * is not caught here: it ends the worker, and the main thread fails the worker's
 * subtasks with `SLUICE_ERR_RUNTIME_WORKER_DIED` carrying that error.
 *
 * @remarks Worker threads only.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { TaskExecutor } from './task-executor.ts';
import type { ToTaskExecutorMessage } from './task-executor-protocol.ts';

if (parentPort === null) throw new Error('task-worker.ts runs only as a worker thread');
const port = parentPort;
const executor = new TaskExecutor(port);
port.on('message', (message: ToTaskExecutorMessage) => executor.handleMessage(message));
