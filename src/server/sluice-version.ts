/**
 * Sluice's version, read once from `package.json` (shown by `/overview`, the
 * OpenAPI document and `sluice --version`).
 *
 * @module
 */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The `version` field of Sluice's `package.json`. */
export const SLUICE_VERSION: string = readVersion();
