import { ConfigError } from '../errors.ts';

/**
 * A typed configuration key with its default, in the manner of Flink's
 * `ConfigOption<T>` / `ConfigOptions.key(...)`.
 *
 * Values arrive as strings (YAML scalars, environment variables, `-D key=value`) or
 * as already-typed values (YAML numbers, code); {@link ConfigOption.parse} turns
 * either into the option's type or throws `SLUICE_ERR_CONFIG_INVALID` naming the key
 * and the value.
 */
export interface ConfigOption<T> {
  /** Flink-style dotted key, e.g. `taskmanager.memory.segment-size`. */
  readonly key: string;
  /** Value type, for docs and `/config`. */
  readonly type: 'int' | 'number' | 'boolean' | 'string' | 'memory' | 'duration' | 'enum';
  /** Default value, or `undefined` when the option is unset by default. */
  readonly defaultValue: T | undefined;
  /** One sentence: what it sets, with its unit. */
  readonly description: string;
  /** Turns a raw value into `T`. @throws SLUICE_ERR_CONFIG_INVALID */
  parse(raw: unknown): T;
}

function invalid(key: string, raw: unknown, expected: string): ConfigError {
  return new ConfigError(
    `invalid value for ${key}: ${JSON.stringify(raw)} (expected ${expected})`,
    {
      details: { key, value: raw },
    },
  );
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  bytes: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * Parses a memory size as Flink does (`MemorySize.parse`): a number with an optional
 * unit `b`, `k`/`kb`, `m`/`mb`, `g`/`gb`, `t`/`tb` (binary multiples, case-insensitive).
 *
 * @returns bytes, or `undefined` when `text` is not a memory size
 */
export function parseMemorySize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const multiplier = MEMORY_UNITS[match[2]!.toLowerCase()];
  if (multiplier === undefined) return undefined;
  return Math.round(Number(match[1]) * multiplier);
}

const DURATION_UNITS: Record<string, number> = {
  '': 1,
  ms: 1,
  milli: 1,
  millis: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/**
 * Parses a duration as Flink does (`TimeUtils.parseDuration`): a number with an
 * optional unit (`ms`, `s`, `min`, `h`, `d` and their long forms); no unit = ms.
 *
 * @returns milliseconds, or `undefined` when `text` is not a duration
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const multiplier = DURATION_UNITS[match[2]!.toLowerCase()];
  if (multiplier === undefined) return undefined;
  return Math.round(Number(match[1]) * multiplier);
}

interface Range {
  min?: number;
  max?: number;
}

function checkRange(key: string, raw: unknown, value: number, range: Range, unit: string): number {
  if (range.min !== undefined && value < range.min) {
    throw invalid(key, raw, `≥ ${range.min}${unit}`);
  }
  if (range.max !== undefined && value > range.max) {
    throw invalid(key, raw, `≤ ${range.max}${unit}`);
  }
  return value;
}

function define<T>(
  key: string,
  type: ConfigOption<T>['type'],
  defaultValue: T | undefined,
  description: string,
  parse: (raw: unknown) => T,
): ConfigOption<T> {
  return Object.freeze({ key, type, defaultValue, description, parse });
}

/** Builders of typed options (Flink's `ConfigOptions.key(k).intType().defaultValue(v)`). */
export const option = {
  int(key: string, defaultValue: number | undefined, description: string, range: Range = {}) {
    return define<number>(key, 'int', defaultValue, description, (raw) => {
      const value =
        typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
      if (!Number.isInteger(value) || (typeof raw === 'string' && raw.trim() === '')) {
        throw invalid(key, raw, 'an integer');
      }
      return checkRange(key, raw, value, range, '');
    });
  },
  number(key: string, defaultValue: number | undefined, description: string, range: Range = {}) {
    return define<number>(key, 'number', defaultValue, description, (raw) => {
      const value =
        typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
      if (!Number.isFinite(value) || (typeof raw === 'string' && raw.trim() === '')) {
        throw invalid(key, raw, 'a number');
      }
      return checkRange(key, raw, value, range, '');
    });
  },
  boolean(key: string, defaultValue: boolean | undefined, description: string) {
    return define<boolean>(key, 'boolean', defaultValue, description, (raw) => {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim())) {
        return raw.trim().toLowerCase() === 'true';
      }
      throw invalid(key, raw, 'true or false');
    });
  },
  string(key: string, defaultValue: string | undefined, description: string) {
    return define<string>(key, 'string', defaultValue, description, (raw) => {
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      throw invalid(key, raw, 'a string');
    });
  },
  /** A memory size in bytes; accepts `32kb`, `64 mb`, `1g` or a number of bytes. */
  memory(key: string, defaultValue: number | undefined, description: string, range: Range = {}) {
    return define<number>(key, 'memory', defaultValue, description, (raw) => {
      const value =
        typeof raw === 'number' ? raw : typeof raw === 'string' ? parseMemorySize(raw) : undefined;
      if (value === undefined || !Number.isInteger(value) || value < 0) {
        throw invalid(key, raw, 'a memory size such as 32kb, 64mb or 1g');
      }
      return checkRange(key, raw, value, range, ' bytes');
    });
  },
  /** A duration in milliseconds; accepts `100 ms`, `10 s`, `3 min` or a number of ms. */
  duration(key: string, defaultValue: number | undefined, description: string, range: Range = {}) {
    return define<number>(key, 'duration', defaultValue, description, (raw) => {
      const value =
        typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDuration(raw) : undefined;
      if (value === undefined || value < 0) {
        throw invalid(key, raw, 'a duration such as 100 ms, 10 s or 3 min');
      }
      return checkRange(key, raw, value, range, ' ms');
    });
  },
  enumeration<const E extends string>(
    key: string,
    values: readonly E[],
    defaultValue: E | undefined,
    description: string,
  ) {
    return define<E>(key, 'enum', defaultValue, description, (raw) => {
      const text = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
      const found = values.find((v) => v.toLowerCase() === text);
      if (found === undefined) throw invalid(key, raw, `one of ${values.join(', ')}`);
      return found;
    });
  },
};
