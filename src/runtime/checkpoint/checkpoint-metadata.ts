/**
 * The on-disk format of a completed checkpoint or savepoint: a JSON `_metadata` file and
 * one binary data file `state` holding the key-group bytes of every keyed snapshot,
 * concatenated. Encoding and decoding only (no I/O): {@link FsCheckpointStorage} writes
 * and reads the files.
 *
 * ```
 *  chk-7/
 *  ├── _metadata   JSON (format version 1):
 *  │     { formatVersion: 1, checkpointId, jobId, jobName, kind,
 *  │       triggerTimestampMs, completionTimestampMs, stateSizeBytes,
 *  │       dataFile: { name: "state", sizeBytes, crc32 },
 *  │       operators: { <operatorId>: { parallelism, maxParallelism,
 *  │         subtasks: [ { operatorState?: [ …JSON… ],
 *  │                       keyed?: { version: 1, maxParallelism, states: [{id,name,kind,configuration}],
 *  │                                 keyGroups: { "<keyGroup>": [offset, length], … } } }, … ] } } }
 *  └── state       key-group bytes, back to back, in the order of _metadata
 *                  (operators, then subtasks, then ascending key group):
 *        offset 0                                                    sizeBytes
 *        ├─ op A / subtask 0 / kg 0 ─┼─ … / kg 63 ─┼─ op A / subtask 1 / kg 64 ─┼─ …┤
 * ```
 *
 * Every path inside is relative (the data file is named, not located), so a savepoint
 * directory can be moved or copied anywhere and still be read. Decoding verifies the
 * format version, the JSON shape, the data file's size and CRC-32, and that every
 * `[offset, length]` lies within the data file; any violation is
 * `SLUICE_ERR_CHECKPOINT_CORRUPT` naming the path and what is wrong.
 *
 * @remarks Pure functions; main thread (the checkpoint coordinator). Flink's
 * `MetadataV3Serializer` (the format) with `KeyGroupsStateHandle` offsets.
 * @module
 */
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { type Static, Type } from 'typebox';
import Value from 'typebox/value';
import { SluiceError } from '../../errors.ts';
import type { KeyedStateSnapshot } from '../state/key-group-snapshot.ts';
import { CheckpointCorruptError } from './checkpoint-errors.ts';
import type {
  CompletedCheckpoint,
  OperatorState,
  OperatorSubtaskState,
} from './checkpoint-types.ts';

/** Version of the `_metadata` format this build writes and reads. */
export const CHECKPOINT_FORMAT_VERSION = 1;
/** Name of the metadata file inside a checkpoint directory (Flink's `_metadata`). */
export const METADATA_FILE_NAME = '_metadata';
/** Name of the data file inside a checkpoint directory. */
export const DATA_FILE_NAME = 'state';

const NonNegativeInteger = Type.Integer({ minimum: 0 });

const KeyedDescriptor = Type.Object({
  version: Type.Literal(1),
  maxParallelism: Type.Integer({ minimum: 1 }),
  states: Type.Array(
    Type.Object({
      id: NonNegativeInteger,
      name: Type.String(),
      kind: Type.Union([
        Type.Literal('value'),
        Type.Literal('list'),
        Type.Literal('map'),
        Type.Literal('reducing'),
        Type.Literal('aggregating'),
        Type.Literal('object'),
        Type.Literal('timer'),
      ]),
      configuration: Type.String(),
    }),
  ),
  keyGroups: Type.Record(Type.String(), Type.Tuple([NonNegativeInteger, NonNegativeInteger])),
});

const SubtaskEntry = Type.Object({
  operatorState: Type.Optional(Type.Array(Type.Unknown())),
  keyed: Type.Optional(KeyedDescriptor),
});

/** JSON schema of `_metadata` (format version 1). */
export const CheckpointMetadataSchema = Type.Object({
  formatVersion: Type.Literal(CHECKPOINT_FORMAT_VERSION),
  checkpointId: NonNegativeInteger,
  jobId: Type.String(),
  jobName: Type.String(),
  kind: Type.Union([Type.Literal('CHECKPOINT'), Type.Literal('SAVEPOINT')]),
  triggerTimestampMs: Type.Number(),
  completionTimestampMs: Type.Number(),
  stateSizeBytes: Type.Number({ minimum: 0 }),
  dataFile: Type.Object({
    name: Type.Literal(DATA_FILE_NAME),
    sizeBytes: NonNegativeInteger,
    crc32: NonNegativeInteger,
  }),
  operators: Type.Record(
    Type.String(),
    Type.Object({
      parallelism: Type.Integer({ minimum: 1 }),
      maxParallelism: Type.Integer({ minimum: 1 }),
      subtasks: Type.Array(SubtaskEntry),
    }),
  ),
});
/** The parsed `_metadata` file. */
export type CheckpointMetadata = Static<typeof CheckpointMetadataSchema>;
type KeyedDescriptorJson = Static<typeof KeyedDescriptor>;

/** A checkpoint in its on-disk form: the metadata text and the data file's chunks. */
export interface EncodedCheckpoint {
  /** Contents of `_metadata` (UTF-8 JSON). */
  readonly metadataText: string;
  /** Contents of `state`, in order; views of the snapshots' arrays (not copies). */
  readonly chunks: readonly Uint8Array[];
  /** Sum of the chunks' lengths. */
  readonly dataSizeBytes: number;
}

/**
 * Lays a checkpoint out as `_metadata` text plus the chunks of the data file.
 *
 * @param checkpoint - the checkpoint (its `externalPath`, if any, is not written)
 * @returns the metadata text and the data chunks (views, nothing copied)
 * @throws SLUICE_ERR_INTERNAL when an operator's `operatorState` is not JSON-serializable
 */
export function encodeCheckpoint(
  checkpoint: Omit<CompletedCheckpoint, 'externalPath'>,
): EncodedCheckpoint {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  let crc = 0;
  const operators: Record<string, CheckpointMetadata['operators'][string]> = {};
  for (const [operatorId, operator] of Object.entries(checkpoint.operators)) {
    const subtasks = operator.subtasks.map((subtask) => {
      const entry: Static<typeof SubtaskEntry> = {};
      if (subtask.operatorState !== undefined) entry.operatorState = [...subtask.operatorState];
      if (subtask.keyed !== undefined) {
        const keyGroups: Record<string, [number, number]> = {};
        const ids = [...subtask.keyed.keyGroups.keys()].sort((a, b) => a - b);
        for (const keyGroup of ids) {
          const bytes = subtask.keyed.keyGroups.get(keyGroup)!;
          keyGroups[keyGroup] = [offset, bytes.length];
          chunks.push(bytes);
          crc = crc32(bytes, crc);
          offset += bytes.length;
        }
        entry.keyed = {
          version: subtask.keyed.version,
          maxParallelism: subtask.keyed.maxParallelism,
          states: subtask.keyed.states.map((s) => ({ ...s })),
          keyGroups,
        };
      }
      return entry;
    });
    operators[operatorId] = {
      parallelism: operator.parallelism,
      maxParallelism: operator.maxParallelism,
      subtasks,
    };
  }
  const metadata: CheckpointMetadata = {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    checkpointId: checkpoint.checkpointId,
    jobId: checkpoint.jobId,
    jobName: checkpoint.jobName,
    kind: checkpoint.kind,
    triggerTimestampMs: checkpoint.triggerTimestampMs,
    completionTimestampMs: checkpoint.completionTimestampMs,
    stateSizeBytes: checkpoint.stateSizeBytes,
    dataFile: { name: DATA_FILE_NAME, sizeBytes: offset, crc32: crc },
    operators,
  };
  let metadataText: string;
  try {
    metadataText = JSON.stringify(metadata);
  } catch (error) {
    throw new SluiceError(
      `checkpoint ${checkpoint.checkpointId} of job ${checkpoint.jobId}: operator state is not JSON-serializable (${(error as Error).message}); operator-state entries must be plain JSON values (no BigInt, no cycles)`,
      { cause: error, details: { checkpointId: checkpoint.checkpointId } },
    );
  }
  return { metadataText, chunks, dataSizeBytes: offset };
}

/**
 * Parses and validates `_metadata` text (shape and format version; not the data file).
 *
 * @param text - contents of `_metadata`
 * @param metadataPath - its path, for messages
 * @returns the parsed metadata
 * @throws SLUICE_ERR_CHECKPOINT_CORRUPT naming the path and what is wrong
 */
export function parseCheckpointMetadata(text: string, metadataPath: string): CheckpointMetadata {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corrupt(metadataPath, `it is not valid JSON (${(error as Error).message})`, error);
  }
  const version = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    throw corrupt(
      metadataPath,
      `format version ${JSON.stringify(version)} is not supported (this build reads version ${CHECKPOINT_FORMAT_VERSION})`,
    );
  }
  if (!Value.Check(CheckpointMetadataSchema, json)) {
    const first = Value.Errors(CheckpointMetadataSchema, json)[0];
    throw corrupt(
      metadataPath,
      `field ${first?.instancePath || '(root)'} is invalid: ${first?.message ?? 'does not match the format'}`,
    );
  }
  const metadata = json as CheckpointMetadata;
  for (const [operatorId, operator] of Object.entries(metadata.operators)) {
    if (operator.subtasks.length !== operator.parallelism) {
      throw corrupt(
        metadataPath,
        `operator ${operatorId} has parallelism ${operator.parallelism} but ${operator.subtasks.length} subtask entries`,
      );
    }
  }
  return metadata;
}

/**
 * Rebuilds a completed checkpoint from its metadata and data file, verifying the data
 * file's size and CRC-32 and every key group's `[offset, length]`.
 *
 * @param metadata - from {@link parseCheckpointMetadata}
 * @param data - the whole data file
 * @param directory - the checkpoint's directory (absolute), becomes `externalPath`
 * @returns the checkpoint; each key group's bytes are a copy owning its own buffer (so
 *   that sending one subtask's key groups to a worker does not clone the whole file)
 * @throws SLUICE_ERR_CHECKPOINT_CORRUPT naming the data file and what is wrong
 */
export function decodeCheckpoint(
  metadata: CheckpointMetadata,
  data: Uint8Array,
  directory: string,
): CompletedCheckpoint {
  const dataPath = join(directory, DATA_FILE_NAME);
  if (data.length !== metadata.dataFile.sizeBytes) {
    throw corrupt(
      dataPath,
      `it holds ${data.length} bytes but _metadata records ${metadata.dataFile.sizeBytes} (truncated or overwritten)`,
    );
  }
  const actualCrc = crc32(data);
  if (actualCrc !== metadata.dataFile.crc32) {
    throw corrupt(
      dataPath,
      `its CRC-32 is ${actualCrc.toString(16)} but _metadata records ${metadata.dataFile.crc32.toString(16)} (bytes altered)`,
    );
  }
  const operators: Record<string, OperatorState> = {};
  for (const [operatorId, operator] of Object.entries(metadata.operators)) {
    const subtasks = operator.subtasks.map((entry, subtaskIndex): OperatorSubtaskState => {
      const where = `operator ${operatorId}, subtask ${subtaskIndex}`;
      const keyed =
        entry.keyed === undefined ? undefined : decodeKeyed(entry.keyed, data, dataPath, where);
      return { keyed, operatorState: entry.operatorState };
    });
    operators[operatorId] = {
      parallelism: operator.parallelism,
      maxParallelism: operator.maxParallelism,
      subtasks,
    };
  }
  return {
    checkpointId: metadata.checkpointId,
    jobId: metadata.jobId,
    jobName: metadata.jobName,
    kind: metadata.kind,
    triggerTimestampMs: metadata.triggerTimestampMs,
    completionTimestampMs: metadata.completionTimestampMs,
    operators,
    externalPath: directory,
    stateSizeBytes: metadata.stateSizeBytes,
  };
}

function decodeKeyed(
  descriptor: KeyedDescriptorJson,
  data: Uint8Array,
  dataPath: string,
  where: string,
): KeyedStateSnapshot {
  const keyGroups = new Map<number, Uint8Array>();
  for (const [name, [offset, length]] of Object.entries(descriptor.keyGroups)) {
    const keyGroup = Number(name);
    if (!/^\d+$/.test(name) || keyGroup >= descriptor.maxParallelism) {
      throw corrupt(
        dataPath,
        `${where}: key group "${name}" is not in [0, ${descriptor.maxParallelism})`,
      );
    }
    if (offset + length > data.length) {
      throw corrupt(
        dataPath,
        `${where}, key group ${keyGroup}: bytes [${offset}, ${offset + length}) lie outside the data file of ${data.length} bytes`,
      );
    }
    keyGroups.set(keyGroup, new Uint8Array(data.subarray(offset, offset + length)));
  }
  return {
    version: descriptor.version,
    maxParallelism: descriptor.maxParallelism,
    states: descriptor.states,
    keyGroups,
  };
}

function corrupt(path: string, what: string, cause?: unknown): CheckpointCorruptError {
  return new CheckpointCorruptError(
    `checkpoint file ${path} is corrupt: ${what}; restore from another checkpoint or savepoint (never edit checkpoint files)`,
    { cause, details: { path } },
  );
}
