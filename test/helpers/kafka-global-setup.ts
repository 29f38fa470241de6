/**
 * vitest global setup of the integration project: one real Kafka broker for the
 * whole suite (KAFKA_BROKERS, else a container, else Apache Kafka from Maven
 * Central), handed to tests through `inject('kafkaBrokers')`. Each test creates its
 * own topics with unique names (see `uniqueTopic` in `kafka-test-utils.ts`).
 */
import type { TestProject } from 'vitest/node';
import { startKafkaCluster } from '../../src/connectors/kafka/local-kafka-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    kafkaMode: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const cluster = await startKafkaCluster({
    startTimeoutMs: 120_000,
    log: (message) => console.log(`[kafka] ${message}`),
  });
  console.log(
    `[kafka] integration tests use ${cluster.description} (mode: ${cluster.mode}, ready in ${Date.now() - started} ms)`,
  );
  project.provide('kafkaBrokers', cluster.brokers);
  project.provide('kafkaMode', cluster.mode);
  return async () => {
    await cluster.stop();
    console.log(`[kafka] stopped (${cluster.mode})`);
  };
}
