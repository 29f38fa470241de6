/**
 * Accumulates records for one producer and sends them in batches, one request in
 * flight at a time, with a bound on what is buffered (the sink writer's and the
 * dead-letter path's engine; Kafka's `RecordAccumulator` + `Sender`, simplified).
 *
 * ```
 *   add(topic, message, bytes)  ──►  pending (per topic, insertion order)
 *                                        │ ≥ max.request.size, or its oldest record waited
 *                                        │ linger.ms (counted while a request is in
 *                                        │ flight too), or flush() (waits for the records
 *                                        │ added before it, not for later ones)
 *                                        ▼
 *                                    in flight: ONE producer.send() at a time
 *                                        │ ack (acks=-1) → numRecordsSent, wake waiters
 *                                        │ error → failure: every later call throws it
 *   isAvailable() = pending + in flight below buffer.memory and max-buffered-records
 * ```
 *
 * - **Order.** Requests never overlap, and each takes the oldest pending records of
 *   each topic: with the idempotent producer (kafkajs requires
 *   `maxInFlightRequests: 1` for it) records of a partition arrive in `add` order and a
 *   retried request is neither duplicated nor reordered.
 * - **Pipelining.** While one request is in flight the task keeps adding records; they
 *   leave in the next request as soon as the previous one is acknowledged.
 * - **No per-record promise.** `add` is synchronous; availability is one shared promise.
 *
 * @remarks Owned by the writer's (or reader's) thread.
 * @module
 */

import type {
  KafkaProducerClient,
  ProducerMessage,
  ProducerTopicMessages,
} from './kafka-client.ts';
import { errorSummary, KafkaProducerError } from './kafka-errors.ts';

/** Options of {@link KafkaProducerBatcher}. */
export interface KafkaProducerBatcherOptions {
  /** Longest time a record waits for more to join its request (`linger.ms`); 0 = next tick. */
  lingerMs: number;
  /** Bytes of one request above which it is sent at once (`max.request.size`). */
  maxRequestBytes: number;
  /** Pending + in-flight bytes at which {@link KafkaProducerBatcher.isAvailable} turns false. */
  maxBufferedBytes: number;
  /** Pending + in-flight records at which it turns false. */
  maxBufferedRecords: number;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** See the module documentation. */
export class KafkaProducerBatcher {
  private readonly producer: KafkaProducerClient;
  private readonly options: KafkaProducerBatcherOptions;
  private readonly what: string;
  private pending = new Map<string, ProducerMessage[]>();
  private lastTopic = '';
  private lastList: ProducerMessage[] | undefined;
  private pendingBytes = 0;
  private pendingRecords = 0;
  /** `Date.now()` when the oldest pending record was added. */
  private firstPendingMs = 0;
  private inFlight: Promise<void> | undefined;
  /** The request in flight (to know, per topic, what a flush waits for). */
  private inFlightRequest: ProducerTopicMessages[] = [];
  /** Records acknowledged per topic (updated per request, not per record). */
  private readonly sentByTopic = new Map<string, number>();
  private inFlightBytes = 0;
  private inFlightRecords = 0;
  private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;
  private waiters: (() => void)[] = [];
  private closed = false;
  /** The delivery error, once a request failed; every later call throws it. */
  failure: KafkaProducerError | undefined;
  /** Records acknowledged by the broker. */
  numRecordsSent = 0;
  /** Key + value bytes acknowledged. */
  numBytesSent = 0;
  /** Produce requests completed. */
  numRequests = 0;

  /**
   * @param producer - a connected producer client
   * @param options - batching and buffering bounds
   * @param what - what the records are, for error messages (`sink subtask 2`)
   */
  constructor(producer: KafkaProducerClient, options: KafkaProducerBatcherOptions, what: string) {
    this.producer = producer;
    this.options = options;
    this.what = what;
  }

  /** Records buffered or in flight. */
  get bufferedRecords(): number {
    return this.pendingRecords + this.inFlightRecords;
  }

  /** Bytes buffered or in flight. */
  get bufferedBytes(): number {
    return this.pendingBytes + this.inFlightBytes;
  }

  /**
   * Queues a record; sends when the request is full, else after `linger.ms`.
   *
   * @param topic - destination topic
   * @param message - the record (kept by reference until acknowledged)
   * @param bytes - its key + value size, for the bounds
   * @throws SLUICE_ERR_KAFKA_PRODUCER_FAILED when an earlier request failed
   */
  add(topic: string, message: ProducerMessage, bytes: number): void {
    if (this.failure !== undefined) throw this.failure;
    let list = this.lastList;
    if (topic !== this.lastTopic || list === undefined) {
      list = this.pending.get(topic);
      if (list === undefined) {
        list = [];
        this.pending.set(topic, list);
      }
      this.lastTopic = topic;
      this.lastList = list;
    }
    list.push(message);
    this.pendingBytes += bytes;
    if (this.pendingRecords++ === 0) this.firstPendingMs = Date.now();
    if (this.inFlight !== undefined) return;
    if (this.pendingBytes >= this.options.maxRequestBytes) this.sendNow();
    else if (this.timer === undefined) this.scheduleSend(this.options.lingerMs);
  }

  /** `false` while the buffer is full (or after a failure: the caller then hits it). */
  isAvailable(): boolean {
    return (
      this.failure !== undefined ||
      (this.pendingBytes + this.inFlightBytes < this.options.maxBufferedBytes &&
        this.pendingRecords + this.inFlightRecords < this.options.maxBufferedRecords)
    );
  }

  /** Resolves when {@link isAvailable} may have turned true (after the next acknowledgement). */
  getAvailableFuture(): Promise<void> {
    if (this.isAvailable()) return RESOLVED;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /**
   * Sends every record added before this call and resolves once all of them were
   * acknowledged. Records added while the flush waits are not waited for: the task keeps
   * writing after a checkpoint barrier, so waiting for an empty buffer would not end
   * while input keeps coming (Flink's `KafkaWriter.flush` blocks the task instead).
   * Records of a topic leave in `add` order, so the flush is done when, per topic, the
   * acknowledged count reaches what had been added by then.
   *
   * @throws SLUICE_ERR_KAFKA_PRODUCER_FAILED when a request failed
   */
  async flush(): Promise<void> {
    const targets = new Map<string, number>();
    const count = (topic: string, records: number) =>
      targets.set(topic, (targets.get(topic) ?? this.sentByTopic.get(topic) ?? 0) + records);
    for (const { topic, messages } of this.inFlightRequest) count(topic, messages.length);
    for (const [topic, messages] of this.pending) count(topic, messages.length);
    const done = () => {
      for (const [topic, target] of targets) {
        if ((this.sentByTopic.get(topic) ?? 0) < target) return false;
      }
      return true;
    };
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (done()) return;
      if (this.inFlight !== undefined) {
        await this.inFlight;
        continue;
      }
      this.sendNow();
      if (this.inFlight === undefined && this.failure === undefined) return; // closed: abandoned
    }
  }

  /** Stops sending: pending records are abandoned (they were not acknowledged). */
  close(): void {
    this.closed = true;
    this.clearTimer();
    this.wake();
  }

  private scheduleSend(delayMs: number): void {
    const fire = () => {
      this.timer = undefined;
      if (this.inFlight === undefined && this.pendingRecords > 0) this.sendNow();
    };
    this.timer = delayMs <= 0 ? setImmediate(fire) : setTimeout(fire, delayMs);
  }

  private clearTimer(): void {
    const timer = this.timer;
    if (timer === undefined) return;
    this.timer = undefined;
    clearTimeout(timer as ReturnType<typeof setTimeout>);
    clearImmediate(timer as ReturnType<typeof setImmediate>);
  }

  /** Takes the oldest pending records up to one request and sends them. */
  private sendNow(): void {
    if (this.closed || this.failure !== undefined) return;
    this.clearTimer();
    const request: ProducerTopicMessages[] = [];
    let records = 0;
    let bytes = 0;
    if (this.pendingBytes <= this.options.maxRequestBytes) {
      for (const [topic, messages] of this.pending) {
        if (messages.length > 0) request.push({ topic, messages });
      }
      records = this.pendingRecords;
      bytes = this.pendingBytes;
      this.pending = new Map();
      this.lastList = undefined;
    } else {
      // Split by record count in proportion to the byte budget (records of a topic are
      // taken from the front, so order within a partition is kept).
      const share = this.options.maxRequestBytes / this.pendingBytes;
      for (const [topic, messages] of this.pending) {
        if (messages.length === 0) continue;
        const taken = messages.splice(0, Math.max(1, Math.floor(messages.length * share)));
        request.push({ topic, messages: taken });
        records += taken.length;
      }
      bytes = Math.round((this.pendingBytes * records) / this.pendingRecords);
      this.lastList = undefined;
    }
    this.pendingRecords -= records;
    this.pendingBytes -= bytes;
    if (this.pendingRecords > 0) this.firstPendingMs = Date.now();
    this.inFlightRecords = records;
    this.inFlightBytes = bytes;
    this.inFlightRequest = request;
    this.inFlight = this.producer.send(request).then(
      () => this.completed(request, records, bytes),
      (error: unknown) => this.failed(error, request, records),
    );
  }

  private completed(request: ProducerTopicMessages[], records: number, bytes: number): void {
    this.inFlight = undefined;
    this.inFlightRequest = [];
    for (const { topic, messages } of request) {
      this.sentByTopic.set(topic, (this.sentByTopic.get(topic) ?? 0) + messages.length);
    }
    this.inFlightRecords = 0;
    this.inFlightBytes = 0;
    this.numRecordsSent += records;
    this.numBytesSent += bytes;
    this.numRequests++;
    if (this.pendingRecords > 0) {
      // What accumulated during the request leaves now if it fills a request or its oldest
      // record lingered long enough; otherwise when linger.ms has passed for it.
      const lingered = Date.now() - this.firstPendingMs;
      if (this.pendingBytes >= this.options.maxRequestBytes || lingered >= this.options.lingerMs) {
        this.sendNow();
      } else if (this.timer === undefined) {
        this.scheduleSend(this.options.lingerMs - lingered);
      }
    }
    this.wake();
  }

  private failed(error: unknown, request: ProducerTopicMessages[], records: number): void {
    this.inFlight = undefined;
    this.inFlightRequest = [];
    const topics = request.map((r) => r.topic).join(', ');
    this.failure = new KafkaProducerError(
      `${this.what}: ${records} records to topic(s) ${topics} could not be delivered to Kafka: ${errorSummary(error)}; check that the topics exist and the brokers are reachable (raise request.timeout.ms for slow brokers)`,
      { cause: error, details: { topics: request.map((r) => r.topic), records } },
    );
    this.wake();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
