import { Ajv, type ValidateFunction } from 'ajv';
import type { Static, TSchema } from 'typebox';
import { ConfigError } from '../errors.ts';

const ajv = new Ajv({ allErrors: true, useDefaults: false, strict: false });

/**
 * Compiles a TypeBox schema once and returns a validator that throws
 * `SLUICE_ERR_CONFIG_INVALID` naming the offending key and value.
 *
 * Options of every component are validated this way, once, at construction: an
 * `XxxOptions` interface, a `defaultXxxOptions` object and a schema.
 *
 * @param schema - TypeBox schema of the options object
 * @param what - the component, for the error message (e.g. `'NetworkBufferPool'`)
 * @returns `(options) => options` with defaults merged, typed as the schema's static type
 * @throws SLUICE_ERR_CONFIG_INVALID when the merged options do not satisfy the schema
 */
export function compileOptions<S extends TSchema>(
  schema: S,
  what: string,
): (options: unknown) => Static<S> {
  const validate: ValidateFunction = ajv.compile(schema as object);
  return (options: unknown): Static<S> => {
    if (!validate(options)) {
      const first = validate.errors?.[0];
      const path = first?.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)';
      const value = path === '(root)' ? options : lookup(options, first?.instancePath ?? '');
      throw new ConfigError(
        `${what}: invalid option ${path} = ${JSON.stringify(value)}: ${first?.message ?? 'invalid'}`,
        { details: { key: path, value, errors: validate.errors } },
      );
    }
    return options as Static<S>;
  };
}

function lookup(value: unknown, pointer: string): unknown {
  let current = value;
  for (const part of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
