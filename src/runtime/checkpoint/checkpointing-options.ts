/**
 * How a job's checkpointing is configured and where it starts from: the
 * {@link CheckpointCoordinatorOptions} read from Flink's keys, and the restore point of
 * a submission — an explicit savepoint path (`execution.savepoint.path`), else, for a
 * job with a fixed id, the latest completed checkpoint under `state.checkpoints.dir` or
 * the job's latest savepoint in `state.savepoints.dir`, whichever is newer (checkpoint
 * ids grow over a job's life, savepoints included).
 *
 * @remarks Main thread, at submission.
 * @module
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Configuration } from '../../config/configuration.ts';
import { CoreOptions } from '../../config/options.ts';
import type { JobGraph } from '../../graph/job-graph.ts';
import type { CheckpointCoordinatorOptions } from './checkpoint-coordinator.ts';
import { type CompletedCheckpoint, operatorIdOf } from './checkpoint-types.ts';
import { FsCheckpointStorage } from './fs-checkpoint-storage.ts';
import { checkStateMappingCompleteness } from './state-assignment.ts';

/**
 * The checkpointing options of a job's configuration.
 *
 * @param configuration - cluster configuration with the job's overrides
 * @returns interval (undefined: no periodic checkpoints), timeout, tolerance, storage
 */
export function checkpointingOptionsOf(configuration: Configuration): CheckpointCoordinatorOptions {
  return {
    intervalMs: configuration.getOptional(CoreOptions.CHECKPOINT_INTERVAL),
    timeoutMs: configuration.get(CoreOptions.CHECKPOINT_TIMEOUT),
    tolerableFailedCheckpoints: configuration.get(CoreOptions.TOLERABLE_FAILED_CHECKPOINTS),
    checkpointsDir: configuration.getOptional(CoreOptions.CHECKPOINTS_DIR),
    numRetained: configuration.get(CoreOptions.CHECKPOINTS_NUM_RETAINED),
    // Sluice: without state.savepoints.dir, savepoints go beside the checkpoints.
    savepointsDir:
      configuration.getOptional(CoreOptions.SAVEPOINTS_DIR) ??
      configuration.getOptional(CoreOptions.CHECKPOINTS_DIR),
  };
}

/**
 * Where a submitted job starts from.
 *
 * @param savepointPath - explicit savepoint or checkpoint path (wins)
 * @param fixedIdCheckpointing - the job's checkpointing options when its id is fixed
 *   (then the latest completed checkpoint of that id is looked for), else undefined
 * @param jobId - the job's id
 * @returns the checkpoint to restore, or undefined to start empty
 * @throws SLUICE_ERR_CHECKPOINT_NOT_FOUND / SLUICE_ERR_CHECKPOINT_CORRUPT for a bad
 *   explicit path
 */
export async function findRestorePoint(
  savepointPath: string | undefined,
  fixedIdCheckpointing: CheckpointCoordinatorOptions | undefined,
  jobId: string,
): Promise<CompletedCheckpoint | undefined> {
  if (savepointPath !== undefined) return FsCheckpointStorage.loadCheckpoint(savepointPath);
  const dir = fixedIdCheckpointing?.checkpointsDir;
  if (dir === undefined) return undefined;
  const storage = new FsCheckpointStorage({
    checkpointsDir: dir,
    jobId,
    numRetained: fixedIdCheckpointing!.numRetained,
  });
  await storage.cleanupInProgress();
  const latest = await storage.loadLatestCompleted();
  // A stop-with-savepoint (SIGTERM) leaves a savepoint newer than every checkpoint.
  const savepoint = await latestSavepointOf(fixedIdCheckpointing!.savepointsDir, jobId);
  if (
    savepoint !== undefined &&
    (latest === undefined || savepoint.checkpointId > latest.checkpointId)
  ) {
    return savepoint;
  }
  return latest;
}

/**
 * The savepoint of job `jobId` with the highest checkpoint id in `dir`
 * (`savepoint-<jobId[0..6)>-…` directories whose metadata names the job).
 */
async function latestSavepointOf(
  dir: string | undefined,
  jobId: string,
): Promise<CompletedCheckpoint | undefined> {
  if (dir === undefined) return undefined;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  let best: CompletedCheckpoint | undefined;
  for (const name of names) {
    if (!name.startsWith(`savepoint-${jobId.slice(0, 6)}-`)) continue;
    try {
      const savepoint = await FsCheckpointStorage.loadCheckpoint(join(dir, name));
      if (savepoint.jobId !== jobId) continue;
      if (best === undefined || savepoint.checkpointId > best.checkpointId) best = savepoint;
    } catch {
      // An unreadable savepoint is not a restore point.
    }
  }
  return best;
}

/**
 * Checks, before anything starts, that `checkpoint` can be restored into `jobGraph`.
 *
 * @throws SLUICE_ERR_CHECKPOINT_INCOMPATIBLE when max parallelism changed or state of
 *   operators the job no longer has would be dropped without
 *   `execution.savepoint.ignore-unclaimed-state`
 */
export function checkRestorable(
  checkpoint: CompletedCheckpoint,
  jobGraph: JobGraph,
  allowNonRestoredState: boolean,
): void {
  const operators = jobGraph.vertices.flatMap((vertex) =>
    vertex.chainedNodes.map((node) => ({
      operatorId: operatorIdOf(node),
      maxParallelism: node.maxParallelism,
    })),
  );
  checkStateMappingCompleteness(checkpoint, operators, { allowNonRestoredState });
}
