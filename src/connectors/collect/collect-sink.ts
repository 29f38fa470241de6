import { Type } from 'typebox';
import type { Sink, SinkWriter, SinkWriterContext } from '../../api/connector/sink.ts';
import { compileOptions } from '../../config/validate.ts';

/** Options of {@link CollectSink}. */
export interface CollectSinkOptions {
  /**
   * Records a writer gathers before it sends them to the coordinator as one event.
   * @defaultValue 1024 (records)
   */
  batchSize: number;
}

/** Defaults of {@link CollectSinkOptions}. */
export const defaultCollectSinkOptions: CollectSinkOptions = { batchSize: 1024 };

const validateOptions = compileOptions(
  Type.Object({ batchSize: Type.Integer({ minimum: 1 }) }),
  'CollectSink',
);

/** The event a collect writer sends per batch (structured-cloneable). */
export interface CollectBatchEvent<T> {
  readonly type: 'collect-batch';
  readonly records: T[];
}

class CollectSinkWriter<T> implements SinkWriter<T> {
  private readonly context: SinkWriterContext;
  private readonly batchSize: number;
  private batch: T[] = [];

  constructor(context: SinkWriterContext, batchSize: number) {
    this.context = context;
    this.batchSize = batchSize;
  }

  write(element: T): void {
    this.batch.push(element);
    if (this.batch.length >= this.batchSize) this.send();
  }

  flush(_endOfInput: boolean): void {
    this.send();
  }

  close(): void {
    this.send();
  }

  private send(): void {
    if (this.batch.length === 0) return;
    const event: CollectBatchEvent<T> = { type: 'collect-batch', records: this.batch };
    this.batch = [];
    this.context.sendEventToCoordinator(event);
  }
}

/**
 * Gathers a stream's records and hands them to the caller of the job (Flink's
 * `CollectSinkFunction` + `CollectSinkOperatorCoordinator`, behind
 * `DataStream.executeAndCollect()`), for tests and small results.
 *
 * Each writer sends its records as one {@link CollectBatchEvent} per `batchSize`
 * records (and at end of input) to the sink's coordinator — the instance of this sink
 * on the main thread — which appends them in arrival order. In the local executor the
 * event is a direct call; between workers it is one `postMessage` per batch, so records
 * must be structured-cloneable.
 *
 * ```
 *   worker i: CollectSinkWriter ──{type:'collect-batch', records:[...]}──► main: CollectSink.handleOperatorEvent
 * ```
 *
 * Results are kept in memory: collect small streams only.
 *
 * @remarks Writers run on task threads; `handleOperatorEvent` and the getters on the main thread.
 */
export class CollectSink<T> implements Sink<T> {
  readonly options: CollectSinkOptions;
  private readonly bySubtask = new Map<number, T[]>();
  private readonly results: T[] = [];

  /**
   * @param options - batch size
   * @throws SLUICE_ERR_CONFIG_INVALID when `batchSize` is not a positive integer
   */
  constructor(options: Partial<CollectSinkOptions> = {}) {
    this.options = validateOptions({ ...defaultCollectSinkOptions, ...options });
  }

  createWriter(context: SinkWriterContext): SinkWriter<T> {
    return new CollectSinkWriter<T>(context, this.options.batchSize);
  }

  /** Appends a writer's batch (main thread). */
  handleOperatorEvent(subtaskIndex: number, event: unknown): void {
    const batch = event as CollectBatchEvent<T>;
    if (batch?.type !== 'collect-batch') return;
    let mine = this.bySubtask.get(subtaskIndex);
    if (mine === undefined) {
      mine = [];
      this.bySubtask.set(subtaskIndex, mine);
    }
    for (const record of batch.records) {
      mine.push(record);
      this.results.push(record);
    }
  }

  /** Every record received so far, batches in arrival order. */
  getResults(): T[] {
    return this.results.slice();
  }

  /** Records received so far from each subtask, by subtask index. */
  getResultsBySubtask(): T[][] {
    const last = Math.max(-1, ...this.bySubtask.keys());
    return Array.from({ length: last + 1 }, (_, i) => (this.bySubtask.get(i) ?? []).slice());
  }

  /** Forgets every record received. */
  clear(): void {
    this.bySubtask.clear();
    this.results.length = 0;
  }
}
