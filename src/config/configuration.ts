import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';
import type { ConfigOption } from './config-option.ts';
import { OPTIONS_BY_KEY } from './options.ts';

/** Where a value came from, lowest precedence first. */
export type ConfigSource = 'default' | 'file' | 'env' | 'dynamic' | 'code';

/**
 * A set of configuration values keyed by Flink-style keys, typed through
 * {@link ConfigOption}s (Flink's `Configuration`).
 *
 * Known keys are parsed and validated when set, so a bad value fails at start with
 * `SLUICE_ERR_CONFIG_INVALID` naming the key; unknown keys are kept as given (a
 * connector may read them) and listed by {@link Configuration.unknownKeys} so the
 * caller can warn about typos. Plain data: {@link Configuration.toJSON} crosses to
 * worker threads and {@link Configuration.fromJSON} rebuilds it there.
 *
 * @remarks Built on the main thread; workers get a copy. Not mutated while a job runs.
 */
export class Configuration {
  private readonly values = new Map<string, unknown>();
  private readonly sources = new Map<string, ConfigSource>();

  /**
   * Sets a value from a raw source (string or YAML scalar); known keys are parsed.
   *
   * @throws SLUICE_ERR_CONFIG_INVALID when a known key's value does not parse
   */
  setRaw(key: string, raw: unknown, source: ConfigSource = 'code'): this {
    const known = OPTIONS_BY_KEY.get(key);
    this.values.set(key, known ? known.parse(raw) : raw);
    this.sources.set(key, source);
    return this;
  }

  /** Sets a typed value. @throws SLUICE_ERR_CONFIG_INVALID when it does not parse */
  set<T>(option: ConfigOption<T>, value: T, source: ConfigSource = 'code'): this {
    this.values.set(option.key, option.parse(value));
    this.sources.set(option.key, source);
    return this;
  }

  /** The value of `option`, or its default (which may be `undefined`). */
  get<T>(option: ConfigOption<T>): T {
    return (this.values.has(option.key) ? this.values.get(option.key) : option.defaultValue) as T;
  }

  /** The value of `option`, or `undefined` when neither set nor defaulted. */
  getOptional<T>(option: ConfigOption<T>): T | undefined {
    return this.get(option) ?? undefined;
  }

  /** The raw value of any key (for connectors' own keys), or `undefined`. */
  getRaw(key: string): unknown {
    return this.values.get(key);
  }

  /** Whether `key` was set explicitly (not a default). */
  contains(key: string): boolean {
    return this.values.has(key);
  }

  /** Where `key`'s value came from. */
  sourceOf(key: string): ConfigSource {
    return this.sources.get(key) ?? 'default';
  }

  /** Keys that were set but that no registered option declares (likely typos). */
  unknownKeys(): string[] {
    return [...this.values.keys()].filter((k) => !OPTIONS_BY_KEY.has(k)).sort();
  }

  /**
   * Every known option with its effective value plus every explicitly set key, as
   * `[{key, value, source}]` sorted by key — the body of `GET /config`.
   */
  entries(): { key: string; value: unknown; source: ConfigSource }[] {
    const keys = new Set([...OPTIONS_BY_KEY.keys(), ...this.values.keys()]);
    return [...keys].sort().map((key) => {
      const known = OPTIONS_BY_KEY.get(key);
      const value = this.values.has(key) ? this.values.get(key) : known?.defaultValue;
      return { key, value: value ?? null, source: this.sourceOf(key) };
    });
  }

  /** Explicitly set values, as a plain object (for `postMessage`). */
  toJSON(): Record<string, unknown> {
    return Object.fromEntries(this.values);
  }

  /** Rebuilds a configuration from {@link Configuration.toJSON}. */
  static fromJSON(json: Record<string, unknown>): Configuration {
    const configuration = new Configuration();
    for (const [key, value] of Object.entries(json)) configuration.setRaw(key, value, 'code');
    return configuration;
  }

  /** A copy with `other`'s values layered on top. */
  merge(other: Configuration): Configuration {
    const merged = new Configuration();
    for (const source of [this, other]) {
      for (const [key, value] of source.values) {
        merged.values.set(key, value);
        merged.sources.set(key, source.sourceOf(key));
      }
    }
    return merged;
  }
}

/** Options of {@link loadConfiguration}. */
export interface LoadConfigurationOptions {
  /** A YAML file: flat (`a.b.c: v`) or nested (`a: {b: {c: v}}`) keys, as Flink's `config.yaml`. */
  file?: string | undefined;
  /** Environment to read `SLUICE_*` variables from. @defaultValue `process.env` */
  env?: Record<string, string | undefined>;
  /** `-D key=value` flags. */
  dynamicProperties?: string[];
}

/** The environment variable that sets `key`: `SLUICE_` + key upper-cased, `.`/`-` → `_`. */
export function envNameOf(key: string): string {
  return `SLUICE_${key.toUpperCase().replace(/[.-]/g, '_')}`;
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
}

/**
 * Builds the configuration from, in increasing precedence: defaults, a YAML file,
 * `SLUICE_*` environment variables (only for known keys, see {@link envNameOf}), and
 * `-D key=value` flags.
 *
 * @throws SLUICE_ERR_CONFIG_INVALID when the file cannot be read or parsed, a `-D`
 *   flag has no `=`, or a known key's value is invalid (the message names the key,
 *   the value and where it came from)
 */
export function loadConfiguration(options: LoadConfigurationOptions = {}): Configuration {
  const configuration = new Configuration();
  const apply = (key: string, raw: unknown, source: ConfigSource, where: string): void => {
    try {
      configuration.setRaw(key, raw, source);
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new ConfigError(`${error.message} (from ${where})`, {
          cause: error,
          details: { ...error.details, source: where },
        });
      }
      throw error;
    }
  };
  if (options.file !== undefined) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(options.file, 'utf8'));
    } catch (error) {
      throw new ConfigError(
        `cannot read configuration file ${options.file}: ${(error as Error).message}`,
        { cause: error, details: { file: options.file } },
      );
    }
    if (
      parsed !== null &&
      parsed !== undefined &&
      (typeof parsed !== 'object' || Array.isArray(parsed))
    ) {
      throw new ConfigError(`configuration file ${options.file} must hold a YAML mapping of keys`, {
        details: { file: options.file },
      });
    }
    const flat = new Map<string, unknown>();
    flatten(parsed ?? {}, '', flat);
    for (const [key, value] of flat) apply(key, value, 'file', options.file);
  }
  const env = options.env ?? process.env;
  for (const key of OPTIONS_BY_KEY.keys()) {
    const value = env[envNameOf(key)];
    if (value !== undefined && value !== '') apply(key, value, 'env', envNameOf(key));
  }
  for (const property of options.dynamicProperties ?? []) {
    const eq = property.indexOf('=');
    if (eq <= 0) {
      throw new ConfigError(`invalid -D flag ${JSON.stringify(property)}: expected key=value`, {
        details: { value: property },
      });
    }
    apply(property.slice(0, eq).trim(), property.slice(eq + 1), 'dynamic', `-D ${property}`);
  }
  return configuration;
}
