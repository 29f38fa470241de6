/** Test-side harness of the exchange worker fixture (`fixtures/exchange-worker.ts`). */
import { Worker } from 'node:worker_threads';
import {
  H_NUM_AVAILABLE,
  H_NUM_WAITING_POOLS,
  H_POOL_HIGH_WATER,
  H_TABLE_GENERATION,
  NO_OWNER,
  P_GENERATION,
  P_IN_USE,
  P_MAX,
  P_OWNED,
  P_REQUIRED,
  P_RETURN_HEAD,
  P_STATE,
  P_TARGET,
  P_WAITING,
  REFCOUNT_BUSY,
  REFCOUNT_COUNT_MASK,
} from '../../../src/network/buffer-pool-layout.ts';
import {
  B_NOTIFY,
  B_STATE,
  B_WAITING,
  C_BACKLOG,
  C_CREDIT_GRANTED,
  C_READ_INDEX,
  C_RECEIVER_STATE,
  C_RELEASE_INDEX,
  C_RING,
  C_SENDER_STATE,
  C_WRITE_INDEX,
  D_BACKLOG,
  D_FLAGS,
  D_SEGMENT,
  D_SIZE,
  DESCRIPTOR_WORDS,
} from '../../../src/network/channel-layout.ts';
import type { ExchangeChannels } from '../../../src/network/exchange-channels.ts';
import type { NetworkBufferPool } from '../../../src/network/network-buffer-pool.ts';
import {
  CONTROL_WORDS,
  type ExchangeWorkerData,
  PHASE_NAMES,
  W_AWAITS,
  W_PHASE,
  W_PROGRESS,
} from './fixtures/exchange-workload.ts';

/** A worker of the exchange fixture and its messages. */
export class ExchangeWorker {
  readonly worker: Worker;
  readonly result: Promise<Record<string, unknown>>;
  readonly ready: Promise<void>;
  readonly poolId: Promise<number>;
  /** Role and index, for messages. */
  readonly name: string;
  private exited = false;
  private readonly dumpWaiters: ((dump: unknown) => void)[] = [];

  constructor(data: ExchangeWorkerData) {
    this.name = `${data.role} ${data.index}`;
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
        if ('dump' in message)
          for (const waiter of this.dumpWaiters.splice(0)) waiter(message.dump);
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

  /**
   * Asks the worker for the thread-local state of its partition or gate (stall dumps).
   *
   * @param timeoutMs - how long to wait for the answer
   * @returns the worker's description, or a note that it did not answer
   */
  requestDump(timeoutMs = 2_000): Promise<unknown> {
    if (this.exited) return Promise.resolve('exited');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
      this.dumpWaiters.push((dump) => {
        clearTimeout(timer);
        resolve(dump);
      });
      this.worker.postMessage({ dump: true });
    });
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

/** What the stall watchdog watches. */
export interface StallWatchOptions {
  readonly network: NetworkBufferPool;
  readonly channels: ExchangeChannels;
  /** The `control` words the workers keep their progress in. */
  readonly control: Int32Array;
  /** The workers, each with its progress slot (`PRODUCER_SLOT + p`, `CONSUMER_SLOT + c`). */
  readonly workers: readonly { readonly worker: ExchangeWorker; readonly slot: number }[];
  /** No progress for this long counts as a stall. */
  readonly stallMs: number;
}

/**
 * Watches the workers' progress words (records written and read) and, when none moved
 * for `stallMs`, dumps the state of the exchange (shared memory and every worker's local
 * state) to stderr and rejects `stalled` with the same text. Costs one timer on the
 * test's thread.
 */
export class StallWatchdog {
  /** Rejects on a stall; never resolves. */
  readonly stalled: Promise<never>;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(options: StallWatchOptions) {
    const { control, workers, stallMs } = options;
    const started = Date.now();
    let lastSum = -1;
    let lastChange = started;
    let reject!: (error: Error) => void;
    this.stalled = new Promise<never>((_, fail) => {
      reject = fail;
    });
    this.stalled.catch(() => {}); // raced by the test
    const check = (): void => {
      // Records only: a worker that keeps waking up without moving a record (a livelock)
      // counts as stalled too; its await count in the dump tells it from a sleeper.
      let sum = 0;
      for (const { slot } of workers) sum += Atomics.load(control, W_PROGRESS + slot);
      const now = Date.now();
      if (sum !== lastSum) {
        lastSum = sum;
        lastChange = now;
        return;
      }
      if (now - lastChange < stallMs) return;
      this.stop();
      void (async () => {
        const locals = await Promise.all(workers.map(({ worker }) => worker.requestDump()));
        const text = describeExchangeState(options, locals, now - started, now - lastChange);
        console.error(text);
        reject(new Error(text));
      })();
    };
    this.timer = setInterval(check, 500);
  }

  /** Stops watching (idempotent). */
  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * A text dump of an exchange for a stall report: per worker its phase, progress and
 * local state; per channel credit, indices, backlog and states (and the descriptors not
 * yet released); per gate and partition the NOTIFY/WAITING words; per pool the table
 * entry, its return list and where its segments are.
 */
export function describeExchangeState(
  options: StallWatchOptions,
  locals: readonly unknown[],
  elapsedMs: number,
  quietMs: number,
): string {
  const { network, channels, control, workers } = options;
  const lines: string[] = [
    `EXCHANGE STALL: no progress for ${quietMs} ms (test running for ${elapsedMs} ms)`,
    '-- workers (phase, progress = records written/read, awaits entered)',
  ];
  workers.forEach(({ worker, slot }, k) => {
    const phase = Atomics.load(control, W_PHASE + slot);
    lines.push(
      `${worker.name}: phase ${PHASE_NAMES[phase] ?? phase}, progress ${Atomics.load(control, W_PROGRESS + slot)}, awaits ${Atomics.load(control, W_AWAITS + slot)}`,
      `  local: ${JSON.stringify(locals[k])}`,
    );
  });
  const ctl = channels.ctl;
  const states = ['OPEN', 'FINISHED', 'RELEASED', 'GONE'];
  const endpoints = ['free', 'attached', 'closed', 'gone'];
  lines.push('-- partitions and gates (NOTIFY, WAITING, endpoint state)');
  for (let p = 0; p < channels.numberOfProducers; p++) {
    const base = channels.partitionBase(p);
    lines.push(
      `partition ${p}: NOTIFY ${Atomics.load(ctl, base + B_NOTIFY)} WAITING ${Atomics.load(ctl, base + B_WAITING)} ${endpoints[Atomics.load(ctl, base + B_STATE)]}`,
    );
  }
  for (let c = 0; c < channels.numberOfConsumers; c++) {
    const base = channels.gateBase(c);
    lines.push(
      `gate ${c}: NOTIFY ${Atomics.load(ctl, base + B_NOTIFY)} WAITING ${Atomics.load(ctl, base + B_WAITING)} ${endpoints[Atomics.load(ctl, base + B_STATE)]}`,
    );
  }
  lines.push(
    '-- channels p→c (credit = GRANTED − WRITE; ring [RELEASE, READ) held, [READ, WRITE) published)',
  );
  const mask = channels.ringCapacity - 1;
  for (let p = 0; p < channels.numberOfProducers; p++) {
    for (const c of channels.consumersOf(p)) {
      const base = channels.channelBase(p, c);
      const write = Atomics.load(ctl, base + C_WRITE_INDEX);
      const read = Atomics.load(ctl, base + C_READ_INDEX);
      const release = Atomics.load(ctl, base + C_RELEASE_INDEX);
      const granted = Atomics.load(ctl, base + C_CREDIT_GRANTED);
      const ring: string[] = [];
      for (let i = release; i !== write && ring.length < 16; i = (i + 1) | 0) {
        const slot = base + C_RING + (i & mask) * DESCRIPTOR_WORDS;
        ring.push(
          `#${i}{seg ${ctl[slot + D_SEGMENT]}, ${ctl[slot + D_SIZE]} B, flags ${ctl[slot + D_FLAGS]}, backlog ${ctl[slot + D_BACKLOG]}}`,
        );
      }
      lines.push(
        `${p}→${c}: GRANTED ${granted} WRITE ${write} READ ${read} RELEASE ${release} (credit ${(granted - write) | 0}, published ${(write - read) | 0}, held ${(read - release) | 0}) BACKLOG ${Atomics.load(ctl, base + C_BACKLOG)} sender ${states[Atomics.load(ctl, base + C_SENDER_STATE)]} receiver ${states[Atomics.load(ctl, base + C_RECEIVER_STATE)]} ring ${ring.join(' ') || '-'}`,
      );
    }
  }
  const net = network.ctl;
  const { segOwner, segRefCount, segChannel, segNext } = network.layout;
  lines.push(
    `-- network pool: free ${Atomics.load(net, H_NUM_AVAILABLE)} of ${network.numberOfSegments}, TABLE_GENERATION ${Atomics.load(net, H_TABLE_GENERATION)}, NUM_WAITING_POOLS ${Atomics.load(net, H_NUM_WAITING_POOLS)}`,
  );
  const high = Atomics.load(net, H_POOL_HIGH_WATER);
  for (let id = 0; id < high; id++) {
    const base = network.poolBase(id);
    const returnList: number[] = [];
    for (
      let entry = Atomics.load(net, base + P_RETURN_HEAD);
      entry !== -1 && returnList.length < network.numberOfSegments;
      entry = Atomics.load(net, segNext + entry)
    ) {
      returnList.push(entry);
    }
    const byChannel = new Map<number, string[]>();
    for (let i = 0; i < network.numberOfSegments; i++) {
      if (Atomics.load(net, segOwner + i) !== id) continue;
      const word = Atomics.load(net, segRefCount + i);
      const channel = Atomics.load(net, segChannel + i);
      const list = byChannel.get(channel) ?? [];
      list.push(`${i}${(word & REFCOUNT_BUSY) !== 0 ? 'B' : ''}:${word & REFCOUNT_COUNT_MASK}`);
      byChannel.set(channel, list);
    }
    const owned = [...byChannel].map(
      ([channel, list]) => `ch ${channel === NO_OWNER ? '-' : channel} [${list.join(' ')}]`,
    );
    lines.push(
      `pool ${id}: STATE ${Atomics.load(net, base + P_STATE)} REQUIRED ${Atomics.load(net, base + P_REQUIRED)} MAX ${Atomics.load(net, base + P_MAX)} TARGET ${Atomics.load(net, base + P_TARGET)} OWNED ${Atomics.load(net, base + P_OWNED)} IN_USE ${Atomics.load(net, base + P_IN_USE)} GENERATION ${Atomics.load(net, base + P_GENERATION)} WAITING ${Atomics.load(net, base + P_WAITING)} return list [${returnList.join(' ')}]`,
      `  segments by requested channel (index, B = busy, :refcount): ${owned.join('; ') || '-'}`,
    );
  }
  return lines.join('\n');
}
