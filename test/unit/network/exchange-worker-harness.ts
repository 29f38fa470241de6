/** Test-side harness of the exchange worker fixture (`fixtures/exchange-worker.ts`). */
import { Worker } from 'node:worker_threads';
import { CONTROL_WORDS, type ExchangeWorkerData } from './fixtures/exchange-workload.ts';

/** A worker of the exchange fixture and its messages. */
export class ExchangeWorker {
  readonly worker: Worker;
  readonly result: Promise<Record<string, unknown>>;
  readonly ready: Promise<void>;
  readonly poolId: Promise<number>;
  private exited = false;

  constructor(data: ExchangeWorkerData) {
    this.worker = new Worker(new URL('./fixtures/exchange-worker.ts', import.meta.url), {
      workerData: data,
    });
    let resolveReady!: () => void;
    let resolvePool!: (id: number) => void;
    this.ready = new Promise((resolve) => {
      resolveReady = resolve;
    });
    this.poolId = new Promise((resolve) => {
      resolvePool = resolve;
    });
    this.result = new Promise((resolve, reject) => {
      this.worker.on('message', (message: Record<string, unknown>) => {
        if ('ready' in message) resolveReady();
        if ('poolId' in message) resolvePool(message.poolId as number);
        if ('result' in message) resolve(message.result as Record<string, unknown>);
        if ('error' in message) {
          const error = message.error as { code: string; message: string };
          reject(Object.assign(new Error(error.message), { code: error.code }));
        }
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => {
        this.exited = true;
        reject(new Error(`worker ${data.role} ${data.index} exited (${code}) without a result`));
      });
    });
    this.result.catch(() => {}); // observed by the tests; avoid unhandled rejections
  }

  /** Terminates the worker (a crash, as far as shared memory is concerned). */
  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }
}

export function newControl(): { sab: SharedArrayBuffer; words: Int32Array } {
  const sab = new SharedArrayBuffer(CONTROL_WORDS * 4);
  return { sab, words: new Int32Array(sab) };
}
