import { Kafka, logLevel } from 'kafkajs';
import { SluiceError } from '../../errors.ts';

/** No Kafka broker answered at the given bootstrap servers in time. */
export class KafkaUnreachableError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_KAFKA_UNREACHABLE';
}

/** Options of {@link waitForKafka}. */
export interface WaitForKafkaOptions {
  /** Total time to keep trying, in milliseconds. @defaultValue 30000 */
  timeoutMs?: number;
  /** Pause between attempts, in milliseconds. @defaultValue 250 */
  retryIntervalMs?: number;
}

/**
 * Waits until a broker at `brokers` answers a metadata request (lists topics).
 *
 * Each attempt uses a fresh kafkajs admin client with no internal retries and a
 * connection timeout of at most 2 s, so the whole call is bounded by `timeoutMs`
 * plus one attempt.
 *
 * @param brokers - bootstrap servers, `host:port`
 * @returns the topic names the cluster reported
 * @throws SLUICE_ERR_KAFKA_UNREACHABLE when no attempt succeeded within `timeoutMs`;
 *   the message names the servers, the time waited and the last client error
 */
export async function waitForKafka(
  brokers: string[],
  options: WaitForKafkaOptions = {},
): Promise<string[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retryIntervalMs = options.retryIntervalMs ?? 250;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  do {
    attempts++;
    const remaining = Math.max(250, deadline - Date.now());
    const kafka = new Kafka({
      clientId: 'sluice-probe',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: Math.min(2_000, remaining),
      requestTimeout: Math.min(5_000, remaining),
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      return topics;
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (Date.now() + retryIntervalMs >= deadline) break;
    await new Promise((r) => setTimeout(r, retryIntervalMs));
  } while (Date.now() < deadline);
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new KafkaUnreachableError(
    `no Kafka broker answered at ${brokers.join(',')} within ${Date.now() - started} ms (${attempts} attempts; last error: ${reason}); check the bootstrap servers (KAFKA_BROKERS) and that the broker is running`,
    { cause: lastError, details: { brokers, timeoutMs, attempts } },
  );
}
