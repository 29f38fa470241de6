/**
 * In-memory doubles of the Kafka client interface (`src/connectors/kafka/kafka-client.ts`)
 * for unit tests of the reader, the writer and the failure policies: a consumer the test
 * drives by hand (assignments, batches), a producer that records requests and can be
 * made to fail or to hold acknowledgements, and an admin answering from a table.
 */
import type {
  BatchControl,
  ConsumerMessage,
  FetchedPartitionBatch,
  KafkaAdminClient,
  KafkaClientFactory,
  KafkaConsumerClient,
  KafkaConsumerConfig,
  KafkaConsumerListener,
  KafkaProducerClient,
  KafkaProducerConfig,
  PartitionOffsets,
  ProducerTopicMessages,
  TopicPartition,
  TopicPartitionOffset,
} from '../../../../src/connectors/kafka/kafka-client.ts';

const key = (topic: string, partition: number) => `${topic}:${partition}`;

/** A consumer whose fetches the test delivers with {@link FakeConsumer.deliver}. */
export class FakeConsumer implements KafkaConsumerClient {
  readonly config: KafkaConsumerConfig;
  listener: KafkaConsumerListener | undefined;
  subscribed: (string | RegExp)[] = [];
  readonly paused = new Set<string>();
  readonly seeks: TopicPartitionOffset[] = [];
  readonly commits: TopicPartitionOffset[][] = [];
  heartbeats = 0;
  connected = false;
  disconnected = false;
  /** Set to make the next heartbeat throw (a rebalance). */
  heartbeatError: Error | undefined;
  /** Set to make commits fail. */
  commitError: Error | undefined;

  constructor(config: KafkaConsumerConfig) {
    this.config = config;
  }

  async connect(): Promise<void> {
    this.connected = true;
  }

  async subscribe(topics: readonly (string | RegExp)[]): Promise<void> {
    this.subscribed = [...topics];
  }

  async run(listener: KafkaConsumerListener): Promise<void> {
    this.listener = listener;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.paused.add(key(p.topic, p.partition));
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.paused.delete(key(p.topic, p.partition));
  }

  isPaused(topic: string, partition: number): boolean {
    return this.paused.has(key(topic, partition));
  }

  seek(partition: TopicPartitionOffset): void {
    this.seeks.push({ ...partition });
  }

  async commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (this.commitError !== undefined) throw this.commitError;
    this.commits.push(offsets.map((o) => ({ ...o })));
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  /** The group assigns `partitions` (synchronous, as the real client). */
  assign(partitions: TopicPartition[]): void {
    this.listener!.onPartitionsAssigned(partitions);
  }

  /**
   * Delivers a batch as the fetcher would; resolves when the reader let it go.
   *
   * @param active - what `isActive()` answers
   */
  deliver(batch: FetchedPartitionBatch, active = () => true): Promise<void> {
    const control: BatchControl = {
      heartbeat: async () => {
        this.heartbeats++;
        if (this.heartbeatError !== undefined) throw this.heartbeatError;
      },
      isActive: active,
    };
    return Promise.resolve(this.listener!.onBatch(batch, control));
  }
}

/** Records of a partition with consecutive offsets and JSON-ish values. */
export function batchOf(
  topic: string,
  partition: number,
  fromOffset: number,
  values: readonly (string | null)[],
  highWatermark = fromOffset + values.length,
): FetchedPartitionBatch {
  const messages: ConsumerMessage[] = values.map((value, i) => ({
    key: Buffer.from(`k${i}`),
    value: value === null ? null : Buffer.from(value),
    timestamp: String(1_700_000_000_000 + fromOffset + i),
    offset: String(fromOffset + i),
    headers: { origin: Buffer.from('test') },
  }));
  return {
    topic,
    partition,
    messages,
    nextFetchOffset: fromOffset + values.length,
    highWatermark,
  };
}

/** A producer that records what it was asked to send. */
export class FakeProducer implements KafkaProducerClient {
  readonly config: KafkaProducerConfig | undefined;
  readonly requests: ProducerTopicMessages[][] = [];
  connected = false;
  disconnected = false;
  inFlight = 0;
  maxInFlight = 0;
  /** When set, sends wait until {@link release} is called. */
  hold = false;
  /** When set, the next send fails with it. */
  failWith: Error | undefined;
  private held: (() => void)[] = [];

  constructor(config?: KafkaProducerConfig) {
    this.config = config;
  }

  async connect(): Promise<void> {
    this.connected = true;
  }

  async send(topicMessages: readonly ProducerTopicMessages[]): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
      else await Promise.resolve();
      const failure = this.failWith;
      if (failure !== undefined) {
        this.failWith = undefined;
        throw failure;
      }
      this.requests.push(topicMessages.map((t) => ({ topic: t.topic, messages: [...t.messages] })));
    } finally {
      this.inFlight--;
    }
  }

  /** Lets every held send complete. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const resolve of held) resolve();
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  /** Every message sent, in order. */
  sent(): { topic: string; value: unknown; key: unknown; headers: unknown }[] {
    return this.requests.flatMap((r) =>
      r.flatMap((t) =>
        t.messages.map((m) => ({ topic: t.topic, value: m.value, key: m.key, headers: m.headers })),
      ),
    );
  }
}

/** An admin answering from tables the test fills in. */
export class FakeAdmin implements KafkaAdminClient {
  topics = new Map<string, PartitionOffsets[]>();
  committed = new Map<string, number>();
  byTimestamp = new Map<string, number>();

  async connect(): Promise<void> {}

  async listTopics(): Promise<string[]> {
    return [...this.topics.keys()];
  }

  async fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.topics.get(topic) ?? [];
  }

  async fetchTopicOffsetsByTimestamp(
    topic: string,
  ): Promise<{ partition: number; offset: number }[]> {
    return (this.topics.get(topic) ?? []).map((p) => ({
      partition: p.partition,
      offset: this.byTimestamp.get(key(topic, p.partition)) ?? p.high,
    }));
  }

  async fetchCommittedOffsets(
    _groupId: string,
    topic: string,
  ): Promise<{ partition: number; offset: number }[]> {
    return (this.topics.get(topic) ?? []).map((p) => ({
      partition: p.partition,
      offset: this.committed.get(key(topic, p.partition)) ?? -1,
    }));
  }

  async createTopics(topics: readonly { topic: string; numPartitions: number }[]): Promise<void> {
    for (const { topic, numPartitions } of topics) {
      this.topics.set(
        topic,
        Array.from({ length: numPartitions }, (_, partition) => ({ partition, low: 0, high: 0 })),
      );
    }
  }

  async disconnect(): Promise<void> {}

  /** Declares a topic with `[low, high)` per partition. */
  setTopic(topic: string, partitions: readonly [low: number, high: number][]): void {
    this.topics.set(
      topic,
      partitions.map(([low, high], partition) => ({ partition, low, high })),
    );
  }
}

/** A factory handing out the fakes; keeps every client it created. */
export class FakeKafkaClients implements KafkaClientFactory {
  readonly name = 'fake';
  readonly admin = new FakeAdmin();
  readonly consumers: FakeConsumer[] = [];
  readonly producers: FakeProducer[] = [];

  createConsumer(config: KafkaConsumerConfig): FakeConsumer {
    const consumer = new FakeConsumer(config);
    this.consumers.push(consumer);
    return consumer;
  }

  createProducer(config: KafkaProducerConfig): FakeProducer {
    const producer = new FakeProducer(config);
    this.producers.push(producer);
    return producer;
  }

  createAdmin(): FakeAdmin {
    return this.admin;
  }
}

/** Lets pending promise callbacks run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
