import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  deserializeError,
  ERROR_CODES,
  httpStatusOf,
  SluiceError,
  serializeError,
} from '../../src/errors.ts';

function documentedCodes(): Map<string, number> {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, number>();
  for (const match of text.matchAll(/^\|\s*`(SLUICE_ERR_[A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|/gm)) {
    rows.set(match[1]!, Number(match[2]));
  }
  return rows;
}

describe('error codes', () => {
  it('docs/errors.md lists exactly the codes of ERROR_CODES, with the same HTTP status', () => {
    const documented = documentedCodes();
    const declared = new Map(Object.entries(ERROR_CODES).map(([code, v]) => [code, v.status]));
    expect([...documented.keys()].sort()).toEqual([...declared.keys()].sort());
    for (const [code, status] of declared) expect(documented.get(code), code).toBe(status);
  });

  it('every code follows SLUICE_ERR_<AREA>_<WHAT>', () => {
    for (const code of Object.keys(ERROR_CODES))
      expect(code).toMatch(/^SLUICE_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
  });

  it('a subclass takes its code from its static field', () => {
    const error = new ConfigError('taskmanager.numberOfTaskSlots must be ≥ 1, got 0');
    expect(error.code).toBe('SLUICE_ERR_CONFIG_INVALID');
    expect(error.httpStatus).toBe(400);
    expect(error).toBeInstanceOf(SluiceError);
    expect(error.name).toBe('ConfigError');
  });

  it('survives serialization across threads with code, message and cause', () => {
    const error = new ConfigError('bad key', { cause: new Error('inner'), details: { key: 'x' } });
    const cloned = structuredClone(serializeError(error));
    const rebuilt = deserializeError(cloned);
    expect(rebuilt.code).toBe('SLUICE_ERR_CONFIG_INVALID');
    expect(rebuilt.message).toBe('bad key');
    expect(rebuilt.details).toEqual({ key: 'x' });
    expect((rebuilt.cause as Error).message).toBe('inner');
    expect(serializeError('oops')).toEqual({ code: 'SLUICE_ERR_INTERNAL', message: 'oops' });
    expect(httpStatusOf('SLUICE_ERR_NOPE')).toBe(500);
  });
});
