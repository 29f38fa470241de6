/**
 * The job catalog: a directory of job modules that `POST /jobs` and `sluice run
 * <name>` pick jobs from by name (Sluice's counterpart of Flink's uploaded JARs).
 *
 * ```
 *  job-catalog.dir = /opt/sluice/jobs
 *    examples/throttled.ts      ─► name "examples/throttled"
 *    nexmark/q5.ts              ─► name "nexmark/q5"
 *  resolve("examples/throttled") ─► file:///opt/sluice/jobs/examples/throttled.ts
 * ```
 *
 * A name is the module's path relative to the directory without its extension
 * (`.ts`, `.mts`, `.js`, `.mjs`; `.d.ts` and `*.test.*` files are not jobs). Names
 * are `/`-separated segments of `[A-Za-z0-9_.-]`; a segment may not start with a dot,
 * so no name leaves the directory (`..`) or reaches hidden files. The directory is
 * read at each lookup, so a job added to it is found without a restart.
 *
 * @remarks Main thread.
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { option } from '../config/config-option.ts';
import type { Configuration } from '../config/configuration.ts';
import { registerOptions } from '../config/options.ts';
import { UnknownJobModuleError } from '../server/rest-errors.ts';

/** The `jobs/` directory of this installation: the catalog's default. */
export const DEFAULT_JOB_CATALOG_DIR = fileURLToPath(new URL('../../jobs/', import.meta.url));

/** Configuration keys of the job catalog (registered on import). */
export const JobCatalogOptions = {
  DIR: option.string(
    'job-catalog.dir',
    undefined,
    'Directory of job modules that POST /jobs and `sluice run <name>` take jobs from; a job is named by its path relative to it without extension (e.g. examples/throttled). Relative to the working directory; default: the jobs/ directory of the Sluice installation.',
  ),
} as const;
registerOptions(JobCatalogOptions);

/** Extensions of job modules, in lookup order. */
const MODULE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

const NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;

/** Deepest sub-directory searched when listing the catalog. */
const MAX_DEPTH = 4;

/** Names shown in an "unknown job" message at most. */
const MAX_NAMES_SHOWN = 20;

function isJobModuleFile(file: string): boolean {
  if (file.startsWith('.') || file.startsWith('_')) return false;
  if (file.endsWith('.d.ts') || /\.(test|spec)\.[cm]?[jt]s$/.test(file)) return false;
  return MODULE_EXTENSIONS.some((ext) => file.endsWith(ext));
}

function stripExtension(file: string): string {
  for (const ext of MODULE_EXTENSIONS) if (file.endsWith(ext)) return file.slice(0, -ext.length);
  return file;
}

/** Job modules by name from one directory; see the module documentation. */
export class JobCatalog {
  /** Absolute path of the catalog directory. */
  readonly directory: string;

  /** @param directory - the catalog directory (relative to the working directory, or absolute) */
  constructor(directory: string) {
    this.directory = resolve(directory);
  }

  /**
   * The catalog of a configuration: `job-catalog.dir`, else the installation's `jobs/`.
   *
   * @param configuration - the process configuration
   * @returns the catalog
   */
  static fromConfiguration(configuration: Configuration): JobCatalog {
    return new JobCatalog(configuration.get(JobCatalogOptions.DIR) ?? DEFAULT_JOB_CATALOG_DIR);
  }

  /**
   * Finds a job module by name.
   *
   * @param name - e.g. `examples/throttled` (an extension, if given, must match the file)
   * @returns the module's `file:` URL
   * @throws SLUICE_ERR_REST_UNKNOWN_JOB_MODULE when the name is malformed or no module
   *   has it; the message lists the catalog's names
   */
  resolve(name: string): URL {
    if (NAME_PATTERN.test(name)) {
      const base = join(this.directory, ...name.split('/'));
      const candidates = isJobModuleFile(name.split('/').at(-1) ?? '')
        ? [base]
        : MODULE_EXTENSIONS.map((ext) => base + ext);
      for (const file of candidates) {
        const ok = this.isInside(file) && isJobModuleFile(basename(file));
        if (ok && existsSync(file) && statSync(file).isFile()) {
          return pathToFileURL(file);
        }
      }
    }
    const names = this.list();
    const shown = names.slice(0, MAX_NAMES_SHOWN).join(', ');
    const more = names.length > MAX_NAMES_SHOWN ? `, … (${names.length} in all)` : '';
    throw new UnknownJobModuleError(
      `no job "${name}" in the job catalog ${this.directory}: ${
        names.length === 0 ? 'it has no job modules' : `it has ${shown}${more}`
      }; add the module there, or point job-catalog.dir at the directory that has it`,
      { details: { jobName: name, directory: this.directory, available: names.slice(0, 100) } },
    );
  }

  /**
   * Every job name in the catalog, sorted.
   *
   * @returns names such as `examples/throttled`; empty when the directory is missing
   */
  list(): string[] {
    const names: string[] = [];
    const walk = (dir: string, prefix: string, depth: number): void => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
        if (entry.isDirectory() && depth < MAX_DEPTH) {
          walk(join(dir, entry.name), `${prefix}${entry.name}/`, depth + 1);
        } else if (entry.isFile() && isJobModuleFile(entry.name)) {
          names.push(`${prefix}${stripExtension(entry.name)}`);
        }
      }
    };
    walk(this.directory, '', 0);
    return [...new Set(names)].sort();
  }

  private isInside(file: string): boolean {
    const rel = relative(this.directory, file);
    return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep);
  }
}
