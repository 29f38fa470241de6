/**
 * Configuration keys and options of the REST server, and how its bearer token is
 * obtained.
 *
 * Keys follow Flink's where Flink has one (`rest.address`, `rest.port` in
 * `CoreOptions`, `rest.server.max-content-length` here); the token keys are
 * Sluice's own. The token itself is never a configuration value (it would show in
 * `/config` and in files): it comes from the `SLUICE_REST_TOKEN` environment
 * variable or from the file named by `rest.token-file` (a Kubernetes secret mount).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { option } from '../config/config-option.ts';
import type { Configuration } from '../config/configuration.ts';
import { CoreOptions, registerOptions } from '../config/options.ts';
import { compileOptions } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';

/** Shortest token accepted (characters). */
export const MIN_TOKEN_LENGTH = 16;

/** The environment variable holding the REST bearer token. */
export const REST_TOKEN_ENV = 'SLUICE_REST_TOKEN';

/** Configuration keys of the REST server (registered on import). */
export const RestOptions = {
  TOKEN_FILE: option.string(
    'rest.token-file',
    undefined,
    'File holding the bearer token for mutating endpoints (used when SLUICE_REST_TOKEN is unset).',
  ),
  AUTH_READ: option.boolean(
    'rest.auth.read',
    false,
    'Require the bearer token on read-only endpoints too (probes and /openapi.json stay open).',
  ),
  MAX_CONTENT_LENGTH: option.memory(
    'rest.server.max-content-length',
    64 * 1024,
    'Largest request body accepted (bytes); larger bodies get 413.',
    { min: 1024, max: 100 * 1024 * 1024 },
  ),
} as const;
registerOptions(RestOptions);

/** Options of the REST server. */
export interface RestServerOptions {
  /**
   * Address to bind.
   * @defaultValue `'0.0.0.0'` (`rest.address`)
   */
  host: string;
  /**
   * Port to bind; 0 picks a free one.
   * @defaultValue 8081 (`rest.port`)
   */
  port: number;
  /**
   * Bearer token of mutating endpoints; without one they answer 403
   * `SLUICE_ERR_REST_NO_TOKEN_CONFIGURED`.
   * @defaultValue undefined
   */
  token: string | undefined;
  /**
   * Require the token on read-only endpoints as well.
   * @defaultValue false (`rest.auth.read`)
   */
  authRead: boolean;
  /**
   * Largest request body (bytes).
   * @defaultValue 65536 (`rest.server.max-content-length`)
   */
  bodyLimitBytes: number;
  /**
   * Serve Swagger UI at `/docs`.
   * @defaultValue true
   */
  swaggerUi: boolean;
}

/** Default {@link RestServerOptions}. */
export const defaultRestServerOptions: Readonly<RestServerOptions> = Object.freeze({
  host: '0.0.0.0',
  port: 8081,
  token: undefined,
  authRead: false,
  bodyLimitBytes: 64 * 1024,
  swaggerUi: true,
});

const validate = compileOptions(
  Type.Object({
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    token: Type.Optional(Type.String({ minLength: MIN_TOKEN_LENGTH })),
    authRead: Type.Boolean(),
    bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 100 * 1024 * 1024 }),
    swaggerUi: Type.Boolean(),
  }),
  'RestServer',
);

/**
 * Merges and validates REST server options.
 *
 * @param options - overrides of {@link defaultRestServerOptions}
 * @returns the complete options
 * @throws SLUICE_ERR_CONFIG_INVALID when a value is out of range, the token is
 *   shorter than {@link MIN_TOKEN_LENGTH}, or `authRead` is set without a token
 */
export function resolveRestServerOptions(
  options: Partial<RestServerOptions> = {},
): RestServerOptions {
  const merged = { ...defaultRestServerOptions, ...options };
  if (merged.token !== undefined && merged.token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `RestServer: the REST token has ${merged.token.length} characters; use at least ${MIN_TOKEN_LENGTH} (e.g. openssl rand -hex 32)`,
      { details: { key: 'token', length: merged.token.length } },
    );
  }
  validate(merged);
  if (merged.authRead && merged.token === undefined) {
    throw new ConfigError(
      `rest.auth.read is true but no REST token is configured; set ${REST_TOKEN_ENV} or rest.token-file`,
      { details: { key: 'rest.auth.read' } },
    );
  }
  return merged;
}

/**
 * Reads the bearer token: `SLUICE_REST_TOKEN` if set, else the file named by
 * `rest.token-file` (trailing whitespace and newlines removed), else none.
 *
 * @param configuration - for `rest.token-file`
 * @param env - environment (default `process.env`)
 * @returns the token, or `undefined` when none is configured
 * @throws SLUICE_ERR_CONFIG_INVALID when the token file cannot be read or is empty
 */
export function loadRestToken(
  configuration: Configuration,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const fromEnv = env[REST_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv.trim();
  const file = configuration.get(RestOptions.TOKEN_FILE);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `rest.token-file: cannot read ${file}: ${(error as Error).message}; point rest.token-file at a readable file or set ${REST_TOKEN_ENV}`,
      { cause: error, details: { key: 'rest.token-file', value: file } },
    );
  }
  const token = text.trim();
  if (token === '') {
    throw new ConfigError(`rest.token-file: ${file} is empty; write the token into it`, {
      details: { key: 'rest.token-file', value: file },
    });
  }
  return token;
}

/**
 * REST server options from the configuration and environment.
 *
 * @param configuration - `rest.address`, `rest.port`, `rest.auth.read`,
 *   `rest.server.max-content-length`, `rest.token-file`
 * @param env - environment for `SLUICE_REST_TOKEN` (default `process.env`)
 * @throws SLUICE_ERR_CONFIG_INVALID as {@link resolveRestServerOptions} and {@link loadRestToken}
 */
export function restServerOptionsFrom(
  configuration: Configuration,
  env: Record<string, string | undefined> = process.env,
): RestServerOptions {
  return resolveRestServerOptions({
    host: configuration.get(CoreOptions.REST_ADDRESS) ?? defaultRestServerOptions.host,
    port: configuration.get(CoreOptions.REST_PORT) ?? defaultRestServerOptions.port,
    token: loadRestToken(configuration, env),
    authRead: configuration.get(RestOptions.AUTH_READ) ?? false,
    bodyLimitBytes:
      configuration.get(RestOptions.MAX_CONTENT_LENGTH) ?? defaultRestServerOptions.bodyLimitBytes,
  });
}
