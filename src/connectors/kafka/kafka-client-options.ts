/**
 * Configuration keys every Kafka client of the connectors takes (Kafka's own property
 * names), and the helper that turns a property map into a typed options object.
 *
 * A builder's `setProperty(key, value)` / `setProperties({...})` accepts exactly the keys
 * registered here and in `kafka-source-options.ts` / `kafka-sink-options.ts`; values may
 * be strings (`'16mb'`, `'500 ms'`, `'true'`) or typed values and are parsed by the key's
 * {@link ConfigOption}, so a bad value fails when the job is built with
 * `SLUICE_ERR_CONFIG_INVALID` naming the key. Client-library settings without a Kafka
 * property (TLS, SASL, kafkajs' own knobs) go through `setClientProperties`.
 *
 * @module
 */
import { Type } from 'typebox';
import { type ConfigOption, option } from '../../config/config-option.ts';
import { registerOptions } from '../../config/options.ts';
import { ConfigError } from '../../errors.ts';
import { KAFKA_CLIENT_LOG_LEVELS, type KafkaClientLogLevel } from './kafka-client.ts';

/** Keys shared by the source and the sink. */
export const KafkaClientOptions = {
  BOOTSTRAP_SERVERS: option.string(
    'bootstrap.servers',
    undefined,
    'Comma-separated host:port of Kafka brokers to bootstrap from.',
  ),
  CLIENT_ID_PREFIX: option.string(
    'client.id.prefix',
    'sluice',
    'Prefix of the client ids; the subtask index is appended.',
  ),
  REQUEST_TIMEOUT: option.duration(
    'request.timeout.ms',
    30_000,
    'Longest wait for the answer to one Kafka request (ms).',
    { min: 1 },
  ),
  CONNECTION_TIMEOUT: option.duration(
    'socket.connection.setup.timeout.ms',
    10_000,
    'Longest wait to open a connection to a broker (ms).',
    { min: 1 },
  ),
  LOG_LEVEL: option.enumeration(
    'kafka.log-level',
    KAFKA_CLIENT_LOG_LEVELS,
    'warn',
    'Kafka client log entries written to the Sluice log (nothing, error, warn, info, debug); kafkajs levels are mapped one step down.',
  ),
} as const;
registerOptions(KafkaClientOptions);

/** Options of every Kafka client (fields of the source and sink options). */
export interface KafkaClientCommonOptions {
  /**
   * Brokers to bootstrap from (`bootstrap.servers`); required.
   * @defaultValue none
   */
  bootstrapServers: string[];
  /**
   * Prefix of client ids (`client.id.prefix`); `-<subtask>` and a role are appended.
   * @defaultValue `'sluice'`
   */
  clientIdPrefix: string;
  /**
   * Longest wait for one request (`request.timeout.ms`).
   * @defaultValue 30000 (ms)
   */
  requestTimeoutMs: number;
  /**
   * Longest wait to connect (`socket.connection.setup.timeout.ms`).
   * @defaultValue 10000 (ms)
   */
  connectionTimeoutMs: number;
  /**
   * Client log entries kept (`kafka.log-level`).
   * @defaultValue `'warn'`
   */
  logLevel: KafkaClientLogLevel;
  /**
   * Settings passed to the client library verbatim (kafkajs `KafkaConfig`: `ssl`,
   * `sasl`, ...). The job builder runs again on every worker, so build them there (read
   * certificates and secrets in the builder, not before submitting).
   * @defaultValue `{}`
   */
  clientProperties: Record<string, unknown>;
}

/** Defaults of {@link KafkaClientCommonOptions} (no bootstrap servers). */
export const defaultKafkaClientCommonOptions: KafkaClientCommonOptions = {
  bootstrapServers: [],
  clientIdPrefix: 'sluice',
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 10_000,
  logLevel: 'warn',
  clientProperties: {},
};

/** TypeBox fields of {@link KafkaClientCommonOptions}, spread into the source and sink schemas. */
export const KafkaClientCommonSchema = {
  bootstrapServers: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  clientIdPrefix: Type.String({ minLength: 1 }),
  requestTimeoutMs: Type.Integer({ minimum: 1 }),
  connectionTimeoutMs: Type.Integer({ minimum: 1 }),
  logLevel: Type.Enum([...KAFKA_CLIENT_LOG_LEVELS]),
  clientProperties: Type.Record(Type.String(), Type.Unknown()),
};

/** Binds a configuration key to a field of an options object. */
export interface PropertyBinding<O> {
  readonly option: ConfigOption<unknown>;
  readonly field: keyof O;
  /** Turns the parsed value into the field's value (default: as parsed). */
  readonly convert?: (value: unknown) => unknown;
}

/** Bindings of the shared keys. */
export const commonPropertyBindings: readonly PropertyBinding<KafkaClientCommonOptions>[] = [
  {
    option: KafkaClientOptions.BOOTSTRAP_SERVERS as ConfigOption<unknown>,
    field: 'bootstrapServers',
    convert: (value) =>
      String(value)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
  },
  { option: KafkaClientOptions.CLIENT_ID_PREFIX as ConfigOption<unknown>, field: 'clientIdPrefix' },
  {
    option: KafkaClientOptions.REQUEST_TIMEOUT as ConfigOption<unknown>,
    field: 'requestTimeoutMs',
  },
  {
    option: KafkaClientOptions.CONNECTION_TIMEOUT as ConfigOption<unknown>,
    field: 'connectionTimeoutMs',
  },
  { option: KafkaClientOptions.LOG_LEVEL as ConfigOption<unknown>, field: 'logLevel' },
];

/**
 * Parses one property into `target` through its binding.
 *
 * @param target - the options object being built
 * @param bindings - the keys the component accepts
 * @param key - the property key
 * @param value - raw value (string or typed)
 * @param component - `KafkaSource` or `KafkaSink`, for the error message
 * @throws SLUICE_ERR_CONFIG_INVALID for an unknown key (listing the known ones) or a
 *   value that does not parse
 */
export function applyProperty<O>(
  target: O,
  bindings: readonly PropertyBinding<O>[],
  key: string,
  value: unknown,
  component: string,
): void {
  const binding = bindings.find((b) => b.option.key === key);
  if (binding === undefined) {
    throw new ConfigError(
      `${component}: unknown property ${JSON.stringify(key)}; known properties: ${bindings
        .map((b) => b.option.key)
        .join(', ')}; pass client-library settings (TLS, SASL) with setClientProperties()`,
      { details: { key, value } },
    );
  }
  const raw = binding.option.type === 'enum' && typeof value === 'number' ? String(value) : value;
  const parsed = binding.option.parse(raw);
  (target as Record<string, unknown>)[binding.field as string] =
    binding.convert === undefined ? parsed : binding.convert(parsed);
}
