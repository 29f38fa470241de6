/**
 * Checkpoint storage on a file system: writes completed checkpoints and savepoints
 * atomically, keeps the last `state.checkpoints.num-retained` checkpoints of a job, and
 * reads them back, verified. Flink's `FsCheckpointStorageAccess` (layout, savepoint
 * names) plus `StandaloneCompletedCheckpointStore` (retention), over `node:fs/promises`.
 *
 * ```
 *  <state.checkpoints.dir>/
 *  └── <jobId>/
 *      ├── chk-6/                      completed (retained)
 *      │   ├── _metadata               JSON, see checkpoint-metadata.ts
 *      │   └── state                   key-group bytes
 *      ├── chk-7/                      completed (latest)
 *      └── chk-8.inprogress-1f0c…/     being written; never read; removed by cleanupInProgress()
 *  <savepoint target directory>/
 *  └── savepoint-<jobId[0..6)>-<12 hex>/   same files; relocatable (paths inside are relative)
 * ```
 *
 * **Atomicity.** Everything is written into a sibling temporary directory
 * (`<name>.inprogress-<hex>`), both files are fsynced, then the directory is fsynced
 * and renamed to its final name (and the parent fsynced). A crash at any point leaves
 * either the complete directory or a temporary one, which {@link findLatestCompleted}
 * ignores and {@link cleanupInProgress} deletes.
 *
 * **Retention.** After checkpoint *n* is written, the `chk-*` directories of the job
 * beyond the `numRetained` highest-numbered ones are deleted (never the one just
 * written, never savepoints). A directory is first renamed to `<name>.discard-<hex>`,
 * then deleted, so a crash mid-delete never leaves a half-deleted `chk-n`. A failed
 * delete is logged, not thrown: the new checkpoint is complete either way.
 *
 * @remarks Main thread (the checkpoint coordinator). Writes and deletes are serialized
 * on one queue per instance, in call order; reads are not queued.
 */
import { randomBytes } from 'node:crypto';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
} from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Type } from 'typebox';
import { compileOptions } from '../../config/validate.ts';
import { ConfigError } from '../../errors.ts';
import {
  CheckpointCorruptError,
  CheckpointNotFoundError,
  CheckpointStorageFailedError,
} from './checkpoint-errors.ts';
import {
  DATA_FILE_NAME,
  decodeCheckpoint,
  encodeCheckpoint,
  METADATA_FILE_NAME,
  parseCheckpointMetadata,
} from './checkpoint-metadata.ts';
import type { CompletedCheckpoint } from './checkpoint-types.ts';

/** Options of {@link FsCheckpointStorage}, under Flink's configuration keys. */
export interface FsCheckpointStorageOptions {
  /**
   * Root directory of checkpoint storage (`state.checkpoints.dir`); the job's
   * checkpoints live in `<checkpointsDir>/<jobId>/`. Required.
   */
  checkpointsDir: string;
  /**
   * Id of the job; one path component (letters, digits, `.`, `_`, `-`). Required.
   */
  jobId: string;
  /**
   * Completed checkpoints kept (`state.checkpoints.num-retained`).
   * @defaultValue 1 checkpoint
   */
  numRetained: number;
  /**
   * Default target directory of savepoints (`state.savepoints.dir`).
   * @defaultValue undefined (a savepoint request must name its directory)
   */
  savepointsDir: string | undefined;
}

/** Flink's defaults for the optional fields. */
export const defaultFsCheckpointStorageOptions: Readonly<
  Pick<FsCheckpointStorageOptions, 'numRetained' | 'savepointsDir'>
> = Object.freeze({ numRetained: 1, savepointsDir: undefined });

const validate = compileOptions(
  Type.Object(
    {
      checkpointsDir: Type.String({ minLength: 1 }),
      jobId: Type.String({ pattern: '^(?!\\.\\.?$)[A-Za-z0-9._-]+$' }),
      numRetained: Type.Integer({ minimum: 1 }),
      savepointsDir: Type.Optional(Type.String({ minLength: 1 })),
    },
    { additionalProperties: false },
  ),
  'FsCheckpointStorage',
);

/** Where storage reports what it could not clean up (a pino logger fits). */
export interface CheckpointStorageLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

const CHECKPOINT_DIR = /^chk-(\d+)$/;
const LEFTOVER_DIR = /^chk-\d+\.(inprogress|discard)-[0-9a-f]+$/;
const IN_PROGRESS_NAME = /\.inprogress-[0-9a-f]+$/;
const WRITEV_MAX_CHUNKS = 1024;

/** A completed checkpoint directory of the job. */
export interface CheckpointDirectory {
  readonly checkpointId: number;
  /** Absolute path of the `chk-<n>` directory. */
  readonly path: string;
}

/** Checkpoint and savepoint storage of one job; see the module documentation. */
export class FsCheckpointStorage {
  /** Validated options. */
  readonly options: Readonly<FsCheckpointStorageOptions>;
  /** `<checkpointsDir>/<jobId>` (absolute). */
  readonly jobCheckpointsDir: string;
  private readonly logger: CheckpointStorageLogger | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param options - `checkpointsDir` and `jobId` required; the rest default (also
   *   when passed as undefined)
   * @param logger - receives failed deletions (retention, cleanup)
   * @throws SLUICE_ERR_CONFIG_INVALID naming the invalid option
   */
  constructor(
    options: Pick<FsCheckpointStorageOptions, 'checkpointsDir' | 'jobId'> &
      Partial<FsCheckpointStorageOptions>,
    logger?: CheckpointStorageLogger,
  ) {
    // an option passed as undefined takes its default (savepointsDir: none)
    const merged: Record<string, unknown> = { ...defaultFsCheckpointStorageOptions };
    for (const [key, value] of Object.entries(options))
      if (value !== undefined) merged[key] = value;
    if (merged.savepointsDir === undefined) delete merged.savepointsDir;
    this.options = Object.freeze({ savepointsDir: undefined, ...validate(merged) });
    this.jobCheckpointsDir = resolve(this.options.checkpointsDir, this.options.jobId);
    this.logger = logger;
  }

  /**
   * Writes checkpoint `checkpoint.checkpointId` atomically as `chk-<n>`, then applies
   * retention.
   *
   * @param checkpoint - the checkpoint; stored with kind `CHECKPOINT`
   * @returns the checkpoint with `externalPath` = the `chk-<n>` directory
   * @throws SLUICE_ERR_CHECKPOINT_STORAGE_FAILED (rejects) when writing or renaming
   *   fails, or `chk-<n>` already exists; nothing complete is left behind then
   */
  writeCheckpoint(
    checkpoint: Omit<CompletedCheckpoint, 'externalPath'>,
  ): Promise<CompletedCheckpoint> {
    return this.enqueue(async () => {
      const finalDir = join(this.jobCheckpointsDir, `chk-${checkpoint.checkpointId}`);
      const written = { ...checkpoint, kind: 'CHECKPOINT' as const, externalPath: finalDir };
      await writeDirectory(
        written,
        finalDir,
        `checkpoint ${checkpoint.checkpointId} of job ${checkpoint.jobId}`,
        `state.checkpoints.dir = ${this.options.checkpointsDir}`,
      );
      await this.applyRetention(checkpoint.checkpointId);
      return written;
    });
  }

  /**
   * Writes a savepoint into `<targetDir>/savepoint-<jobId[0..6)>-<12 hex>/`, atomically.
   * Savepoints are never deleted by retention.
   *
   * @param checkpoint - the snapshot; stored with kind `SAVEPOINT`
   * @param targetDir - parent directory; `state.savepoints.dir` when absent
   * @returns the savepoint with `externalPath` = its directory
   * @throws SLUICE_ERR_CONFIG_INVALID when there is neither a target directory nor
   *   `state.savepoints.dir`; SLUICE_ERR_CHECKPOINT_STORAGE_FAILED (rejects) when writing fails
   */
  writeSavepoint(
    checkpoint: Omit<CompletedCheckpoint, 'externalPath'>,
    targetDir?: string,
  ): Promise<CompletedCheckpoint> {
    const parent = targetDir ?? this.options.savepointsDir;
    if (parent === undefined || parent === '') {
      return Promise.reject(
        new ConfigError(
          `savepoint of job ${checkpoint.jobId}: no target directory given and state.savepoints.dir is not set; pass a target directory or set state.savepoints.dir`,
          { details: { key: 'state.savepoints.dir' } },
        ),
      );
    }
    return this.enqueue(async () => {
      const name = `savepoint-${checkpoint.jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`;
      const finalDir = resolve(parent, name);
      const written = { ...checkpoint, kind: 'SAVEPOINT' as const, externalPath: finalDir };
      await writeDirectory(
        written,
        finalDir,
        `savepoint of job ${checkpoint.jobId}`,
        `the savepoint target directory ${parent} (request or state.savepoints.dir)`,
      );
      return written;
    });
  }

  /** Instance form of {@link FsCheckpointStorage.loadCheckpoint}. */
  loadCheckpoint(path: string): Promise<CompletedCheckpoint> {
    return FsCheckpointStorage.loadCheckpoint(path);
  }

  /**
   * Reads and verifies a checkpoint or savepoint (of any job, from anywhere).
   *
   * @param path - the `chk-<n>`/`savepoint-…` directory or its `_metadata` file
   * @returns the checkpoint, `externalPath` = the absolute directory it was read from
   * @throws SLUICE_ERR_CHECKPOINT_NOT_FOUND when the path or its `_metadata` is missing;
   *   SLUICE_ERR_CHECKPOINT_CORRUPT when `_metadata` or the data file is invalid (wrong
   *   JSON, format version, size, checksum, an offset outside the data file)
   */
  static async loadCheckpoint(path: string): Promise<CompletedCheckpoint> {
    const directory = await checkpointDirectoryOf(path);
    if (IN_PROGRESS_NAME.test(basename(directory))) {
      throw new CheckpointNotFoundError(
        `checkpoint directory ${directory} is an unfinished write (a crash or failure during the checkpoint), never a completed checkpoint; pass a chk-<n> or savepoint-… directory`,
        { details: { path: directory } },
      );
    }
    const metadataPath = join(directory, METADATA_FILE_NAME);
    const text = await readOrThrow(
      metadataPath,
      () =>
        new CheckpointNotFoundError(
          `checkpoint directory ${directory} holds no ${METADATA_FILE_NAME}: it is not a completed checkpoint or savepoint; pass a chk-<n> or savepoint-… directory or its ${METADATA_FILE_NAME} file`,
          { details: { path: directory } },
        ),
    );
    const metadata = parseCheckpointMetadata(text.toString('utf8'), metadataPath);
    const dataPath = join(directory, DATA_FILE_NAME);
    const data = await readOrThrow(
      dataPath,
      () =>
        new CheckpointCorruptError(
          `checkpoint file ${dataPath} is missing although ${metadataPath} names it; restore from another checkpoint or savepoint`,
          { details: { path: dataPath } },
        ),
    );
    return decodeCheckpoint(metadata, data, directory);
  }

  /**
   * The job's completed checkpoint directories (`chk-<n>`, by name only), ascending id.
   *
   * @returns an empty list when the job has no directory yet
   */
  async listCheckpointDirectories(): Promise<CheckpointDirectory[]> {
    const names = await readdirOrEmpty(this.jobCheckpointsDir);
    const found: CheckpointDirectory[] = [];
    for (const name of names) {
      const match = CHECKPOINT_DIR.exec(name);
      if (match)
        found.push({ checkpointId: Number(match[1]), path: join(this.jobCheckpointsDir, name) });
    }
    return found.sort((a, b) => a.checkpointId - b.checkpointId);
  }

  /**
   * The highest-numbered complete checkpoint of the job: a `chk-<n>` whose `_metadata`
   * parses and whose data file has the recorded size. Temporary directories are never
   * considered; a damaged `chk-<n>` is skipped (logged) in favour of an older one.
   *
   * @returns its absolute directory, or undefined when there is none
   */
  async findLatestCompleted(): Promise<string | undefined> {
    const directories = await this.listCheckpointDirectories();
    for (let i = directories.length - 1; i >= 0; i--) {
      const { path } = directories[i]!;
      try {
        const metadataPath = join(path, METADATA_FILE_NAME);
        const metadata = parseCheckpointMetadata(
          await readFile(metadataPath, 'utf8'),
          metadataPath,
        );
        const size = (await stat(join(path, DATA_FILE_NAME))).size;
        if (size === metadata.dataFile.sizeBytes) return path;
        this.logger?.warn(
          { path, size },
          'checkpoint skipped: data file size differs from _metadata',
        );
      } catch (error) {
        this.logger?.warn({ path, err: error }, 'checkpoint skipped: not complete or not readable');
      }
    }
    return undefined;
  }

  /**
   * Loads the latest complete checkpoint ({@link findLatestCompleted}).
   *
   * @returns the checkpoint, or undefined when the job has none
   * @throws SLUICE_ERR_CHECKPOINT_CORRUPT when its data fails verification
   */
  async loadLatestCompleted(): Promise<CompletedCheckpoint | undefined> {
    const path = await this.findLatestCompleted();
    return path === undefined ? undefined : FsCheckpointStorage.loadCheckpoint(path);
  }

  /**
   * Deletes what a crash left in the job's directory: unfinished writes
   * (`chk-<n>.inprogress-…`) and unfinished deletions (`chk-<n>.discard-…`). Call once
   * at start, before the first checkpoint.
   *
   * @returns the number of directories deleted (failures are logged, not thrown)
   */
  cleanupInProgress(): Promise<number> {
    return this.enqueue(async () => {
      let removed = 0;
      for (const name of await readdirOrEmpty(this.jobCheckpointsDir)) {
        if (!LEFTOVER_DIR.test(name)) continue;
        if (await this.remove(join(this.jobCheckpointsDir, name))) removed++;
      }
      return removed;
    });
  }

  private async applyRetention(justWrittenId: number): Promise<void> {
    const directories = await this.listCheckpointDirectories().catch((error: unknown) => {
      this.logger?.warn(
        { err: error, dir: this.jobCheckpointsDir },
        'retention: cannot list checkpoints',
      );
      return [];
    });
    const keep = new Set(directories.slice(-this.options.numRetained).map((d) => d.checkpointId));
    keep.add(justWrittenId);
    for (const directory of directories) {
      if (keep.has(directory.checkpointId)) continue;
      const discarding = `${directory.path}.discard-${randomBytes(6).toString('hex')}`;
      try {
        await rename(directory.path, discarding);
      } catch (error) {
        this.logger?.warn(
          { err: error, path: directory.path },
          'retention: cannot discard checkpoint',
        );
        continue;
      }
      await this.remove(discarding);
    }
  }

  private async remove(path: string): Promise<boolean> {
    try {
      await rm(path, { recursive: true, force: true });
      return true;
    } catch (error) {
      this.logger?.warn({ err: error, path }, 'checkpoint storage: cannot delete directory');
      return false;
    }
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Writes `<finalDir>.inprogress-<hex>`, fsyncs it, renames it to `finalDir`. */
async function writeDirectory(
  checkpoint: CompletedCheckpoint,
  finalDir: string,
  what: string,
  where: string,
): Promise<void> {
  const encoded = encodeCheckpoint(checkpoint);
  const parent = dirname(finalDir);
  const temporary = `${finalDir}.inprogress-${randomBytes(6).toString('hex')}`;
  let step = temporary;
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(temporary);
    step = join(temporary, DATA_FILE_NAME);
    await writeFileSynced(step, encoded.chunks, encoded.dataSizeBytes);
    step = join(temporary, METADATA_FILE_NAME);
    const metadataBytes = Buffer.from(encoded.metadataText, 'utf8');
    await writeFileSynced(step, [metadataBytes], metadataBytes.length);
    await fsyncDirectory(temporary);
    step = finalDir;
    if (await exists(finalDir)) {
      throw Object.assign(new Error(`${finalDir} already exists`), { code: 'EEXIST' });
    }
    await rename(temporary, finalDir);
    await fsyncDirectory(parent);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    throw new CheckpointStorageFailedError(
      `${what} could not be written (at ${step}): ${(error as Error).message}; nothing was completed — check free space and permissions of ${where}`,
      { cause: error, details: { path: step, code: (error as { code?: unknown }).code } },
    );
  }
}

async function writeFileSynced(
  path: string,
  chunks: readonly Uint8Array[],
  sizeBytes: number,
): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    let written = 0;
    for (let i = 0; i < chunks.length; i += WRITEV_MAX_CHUNKS) {
      const batch = chunks.slice(i, i + WRITEV_MAX_CHUNKS).filter((c) => c.length > 0);
      if (batch.length > 0) written = await writeAll(handle, batch, written);
    }
    if (written !== sizeBytes) throw new Error(`wrote ${written} of ${sizeBytes} bytes to ${path}`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `writev` of `batch` at `position`, finishing a short write with plain writes. */
async function writeAll(
  handle: FileHandle,
  batch: Uint8Array[],
  position: number,
): Promise<number> {
  const expected = batch.reduce((sum, c) => sum + c.length, 0);
  let { bytesWritten } = await handle.writev(batch, position);
  if (bytesWritten === expected) return position + expected;
  let skip = bytesWritten;
  for (const chunk of batch) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    let offset = skip;
    skip = 0;
    while (offset < chunk.length) {
      const result = await handle.write(
        chunk,
        offset,
        chunk.length - offset,
        position + bytesWritten,
      );
      if (result.bytesWritten === 0) throw new Error('write made no progress');
      offset += result.bytesWritten;
      bytesWritten += result.bytesWritten;
    }
  }
  return position + bytesWritten;
}

async function fsyncDirectory(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot open or fsync directories; the files are synced.
    const code = (error as { code?: unknown }).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return false;
    throw error;
  }
}

async function readdirOrEmpty(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return [];
    throw error;
  }
}

/** The checkpoint directory of a directory or `_metadata` path. */
async function checkpointDirectoryOf(path: string): Promise<string> {
  const resolved = resolve(path);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(resolved)).isDirectory();
  } catch (error) {
    if (
      (error as { code?: unknown }).code === 'ENOENT' ||
      (error as { code?: unknown }).code === 'ENOTDIR'
    ) {
      throw new CheckpointNotFoundError(
        `checkpoint path ${resolved} does not exist; pass an existing chk-<n> or savepoint-… directory or its ${METADATA_FILE_NAME} file (is the volume of state.checkpoints.dir mounted?)`,
        { cause: error, details: { path: resolved } },
      );
    }
    throw new CheckpointStorageFailedError(
      `checkpoint path ${resolved} cannot be read: ${(error as Error).message}; check its permissions`,
      { cause: error, details: { path: resolved } },
    );
  }
  if (isDirectory) return resolved;
  if (basename(resolved) === METADATA_FILE_NAME) return dirname(resolved);
  throw new CheckpointNotFoundError(
    `checkpoint path ${resolved} is a file but not a ${METADATA_FILE_NAME} file; pass a chk-<n> or savepoint-… directory or its ${METADATA_FILE_NAME} file`,
    { details: { path: resolved } },
  );
}

async function readOrThrow(path: string, missing: () => Error): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') throw missing();
    throw new CheckpointStorageFailedError(
      `checkpoint file ${path} cannot be read: ${(error as Error).message}; check its permissions`,
      { cause: error, details: { path } },
    );
  }
}
