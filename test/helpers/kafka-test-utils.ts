import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';

/** A topic name no other test uses. */
export function uniqueTopic(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A quiet kafkajs client for the suite's broker (or `brokers`, e.g. a test's own broker). */
export function testKafka(clientId = 'sluice-test', brokers?: string[]): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers ?? inject('kafkaBrokers'),
    logLevel: logLevel.NOTHING,
  });
}
