import { Type } from 'typebox';
import type { Configuration } from '../config/configuration.ts';
import { CoreOptions } from '../config/options.ts';
import { compileOptions } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';

/**
 * Options of the network exchange (`ResultPartition`, `SingleInputGate`,
 * `ExchangeChannels`), under Flink's configuration keys. Both sides of an exchange
 * must use the same values (the main thread sizes the channel rings from
 * `buffersPerChannel + floatingBuffersPerGate`).
 */
export interface NetworkExchangeOptions {
  /**
   * Exclusive credit per input channel (`taskmanager.network.memory.buffers-per-channel`):
   * buffers a receiver always lets each sender have in flight.
   * @defaultValue 2 buffers
   */
  buffersPerChannel: number;
  /**
   * Floating credit per input gate (`taskmanager.network.memory.floating-buffers-per-gate`),
   * lent to the channels with a backlog, in proportion to it.
   * @defaultValue 8 buffers
   */
  floatingBuffersPerGate: number;
  /**
   * Most buffers one output subpartition may hold (queued, being filled or in flight)
   * (`taskmanager.network.memory.max-buffers-per-channel`), so that one slow channel
   * cannot take the whole pool.
   * @defaultValue 10 buffers
   */
  maxBuffersPerChannel: number;
  /**
   * Flush interval of partly filled buffers (`execution.buffer-timeout`); 0 flushes
   * after every record, −1 only ships full buffers (and at `flush()`/`finish()`).
   * @defaultValue 100 ms
   */
  bufferTimeoutMs: number;
  /**
   * Largest frame (tag + payload) a record may take, on writers and readers alike.
   * @defaultValue 16777216 bytes (16 MiB)
   */
  maxRecordSizeBytes: number;
}

/** Flink's defaults. */
export const defaultNetworkExchangeOptions: Readonly<NetworkExchangeOptions> = Object.freeze({
  buffersPerChannel: 2,
  floatingBuffersPerGate: 8,
  maxBuffersPerChannel: 10,
  bufferTimeoutMs: 100,
  maxRecordSizeBytes: 16 * 1024 * 1024,
});

const validate = compileOptions(
  Type.Object(
    {
      buffersPerChannel: Type.Integer({ minimum: 0, maximum: 1 << 14 }),
      floatingBuffersPerGate: Type.Integer({ minimum: 0, maximum: 1 << 14 }),
      maxBuffersPerChannel: Type.Integer({ minimum: 1, maximum: 1 << 20 }),
      bufferTimeoutMs: Type.Integer({ minimum: -1, maximum: 2 ** 31 - 1 }),
      maxRecordSizeBytes: Type.Integer({ minimum: 16, maximum: 2 ** 30 }),
    },
    { additionalProperties: false },
  ),
  'NetworkExchange',
);

/**
 * Merges `options` over {@link defaultNetworkExchangeOptions} and validates them.
 *
 * @param options - partial options (unknown keys are rejected)
 * @returns complete options
 * @throws SLUICE_ERR_CONFIG_INVALID naming the key; also when
 *   `buffersPerChannel + floatingBuffersPerGate` is 0 (no channel could ever receive)
 */
export function resolveNetworkExchangeOptions(
  options: Partial<NetworkExchangeOptions> = {},
): NetworkExchangeOptions {
  const resolved = validate({ ...defaultNetworkExchangeOptions, ...options });
  if (resolved.buffersPerChannel + resolved.floatingBuffersPerGate === 0) {
    throw new ConfigError(
      'NetworkExchange: taskmanager.network.memory.buffers-per-channel and .floating-buffers-per-gate are both 0, so no input channel could receive a buffer; set buffers-per-channel to at least 1 (default 2)',
      { details: { key: 'taskmanager.network.memory.buffers-per-channel', value: 0 } },
    );
  }
  return resolved;
}

/**
 * Reads the exchange options from a configuration (Flink's keys).
 *
 * @param config - the job's configuration
 * @returns validated options
 * @throws SLUICE_ERR_CONFIG_INVALID as {@link resolveNetworkExchangeOptions}
 */
export function networkExchangeOptionsOf(config: Configuration): NetworkExchangeOptions {
  return resolveNetworkExchangeOptions({
    buffersPerChannel: config.get(CoreOptions.BUFFERS_PER_CHANNEL),
    floatingBuffersPerGate: config.get(CoreOptions.FLOATING_BUFFERS_PER_GATE),
    maxBuffersPerChannel: config.get(CoreOptions.MAX_BUFFERS_PER_CHANNEL),
    bufferTimeoutMs: config.get(CoreOptions.BUFFER_TIMEOUT),
  });
}
