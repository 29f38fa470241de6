import { cp, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsCheckpointStorage } from '../../../../src/runtime/checkpoint/fs-checkpoint-storage.ts';
import { checkpointOf, JOB_ID, keyedOperator, sourceOperator } from './checkpoint-fixtures.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sluice-chk-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function storage(numRetained = 1): FsCheckpointStorage {
  return new FsCheckpointStorage({
    checkpointsDir: join(root, 'checkpoints'),
    jobId: JOB_ID,
    numRetained,
  });
}

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('FsCheckpointStorage', () => {
  it('round trip: keyed bytes and operator state come back equal, from the directory or _metadata', async () => {
    const s = storage();
    const checkpoint = checkpointOf(7);
    const written = await s.writeCheckpoint(checkpoint);
    expect(written.externalPath).toBe(join(root, 'checkpoints', JOB_ID, 'chk-7'));
    expect((await readdir(written.externalPath)).sort()).toEqual(['_metadata', 'state']);

    for (const path of [written.externalPath, join(written.externalPath, '_metadata')]) {
      const loaded = await FsCheckpointStorage.loadCheckpoint(path);
      expect(loaded.externalPath).toBe(written.externalPath);
      expect(loaded.checkpointId).toBe(7);
      expect(loaded.jobId).toBe(JOB_ID);
      expect(loaded.jobName).toBe('keyed count');
      expect(loaded.kind).toBe('CHECKPOINT');
      expect(loaded.triggerTimestampMs).toBe(checkpoint.triggerTimestampMs);
      expect(loaded.completionTimestampMs).toBe(checkpoint.completionTimestampMs);
      expect(loaded.stateSizeBytes).toBe(4321);
      expect(Object.keys(loaded.operators).sort()).toEqual(['counter', 'sink', 'source']);
      expect(loaded.operators.source!.subtasks.map((t) => t.operatorState)).toEqual([
        [{ topic: 'in', partition: 0, offset: 1000 }],
        [{ topic: 'in', partition: 1, offset: 1001 }],
      ]);
      const counter = loaded.operators.counter!;
      expect(counter.parallelism).toBe(2);
      expect(counter.maxParallelism).toBe(16);
      for (let i = 0; i < 2; i++) {
        const expected = checkpoint.operators.counter!.subtasks[i]!.keyed!;
        const actual = counter.subtasks[i]!.keyed!;
        expect(actual.version).toBe(1);
        expect(actual.states).toEqual(expected.states);
        expect([...actual.keyGroups.keys()]).toEqual([...expected.keyGroups.keys()]);
        for (const [kg, bytes] of expected.keyGroups) {
          const copy = actual.keyGroups.get(kg)!;
          expect(copy).toEqual(bytes);
          // each key group owns its buffer: sending one to a worker does not clone the file
          expect(copy.byteLength).toBe(copy.buffer.byteLength);
        }
      }
      expect(loaded.operators.sink!.subtasks).toHaveLength(2);
      expect(loaded.operators.sink!.subtasks[0]!.keyed).toBeUndefined();
    }
    expect(await s.loadLatestCompleted()).toMatchObject({ checkpointId: 7 });
  });

  it('retention keeps exactly num-retained checkpoints, the newest, and never savepoints', async () => {
    const s = storage(2);
    const savepoint = await s.writeSavepoint(checkpointOf(3), s.jobCheckpointsDir);
    for (let id = 1; id <= 5; id++) await s.writeCheckpoint(checkpointOf(id));
    expect((await s.listCheckpointDirectories()).map((d) => d.checkpointId)).toEqual([4, 5]);
    const names = (await readdir(s.jobCheckpointsDir)).sort();
    expect(names).toEqual(['chk-4', 'chk-5', basename(savepoint.externalPath)]);
    expect(await s.findLatestCompleted()).toBe(join(s.jobCheckpointsDir, 'chk-5'));

    const one = storage(1);
    await one.writeCheckpoint(checkpointOf(6));
    expect((await one.listCheckpointDirectories()).map((d) => d.checkpointId)).toEqual([6]);
  });

  it('a crash leaves a temp dir: findLatestCompleted ignores it and cleanupInProgress removes it', async () => {
    const s = storage(3);
    await s.writeCheckpoint(checkpointOf(2));
    // a "crash" during checkpoint 3: complete-looking files, but still in the temp dir
    const crashed = join(s.jobCheckpointsDir, 'chk-3.inprogress-0badc0ffee00');
    await cp(join(s.jobCheckpointsDir, 'chk-2'), crashed, { recursive: true });
    const halfDiscarded = join(s.jobCheckpointsDir, 'chk-1.discard-00aa11bb22cc');
    await mkdir(halfDiscarded);
    // and a chk-4 without _metadata (not written by Sluice) is not taken either
    await mkdir(join(s.jobCheckpointsDir, 'chk-4'));
    expect(await s.findLatestCompleted()).toBe(join(s.jobCheckpointsDir, 'chk-2'));
    const error = await codeOf(s.loadCheckpoint(crashed));
    expect(error.code).toBe('SLUICE_ERR_CHECKPOINT_NOT_FOUND');
    expect(error.message).toContain('unfinished write');

    expect(await s.cleanupInProgress()).toBe(2);
    expect((await readdir(s.jobCheckpointsDir)).sort()).toEqual(['chk-2', 'chk-4']);
    expect(
      await new FsCheckpointStorage({
        checkpointsDir: join(root, 'none'),
        jobId: JOB_ID,
      }).cleanupInProgress(),
    ).toBe(0);
  });

  it('a truncated data file gives SLUICE_ERR_CHECKPOINT_CORRUPT naming the file', async () => {
    const s = storage();
    const { externalPath } = await s.writeCheckpoint(checkpointOf(1));
    await truncate(join(externalPath, 'state'), 10);
    const error = await codeOf(FsCheckpointStorage.loadCheckpoint(externalPath));
    expect(error.code).toBe('SLUICE_ERR_CHECKPOINT_CORRUPT');
    expect(error.message).toContain(join(externalPath, 'state'));
    expect(error.message).toContain('10 bytes');
    expect(await s.findLatestCompleted()).toBeUndefined();
  });

  it('altered bytes, a garbled _metadata, a wrong version and an offset outside the file are corrupt', async () => {
    const s = storage(4);
    const cases: [string, (dir: string) => Promise<void>, string][] = [
      [
        'flipped byte',
        async (dir) => {
          const data = await readFile(join(dir, 'state'));
          data[5] = data[5]! ^ 0xff;
          await writeFile(join(dir, 'state'), data);
        },
        'CRC-32',
      ],
      [
        'garbled metadata',
        async (dir) => {
          const text = await readFile(join(dir, '_metadata'), 'utf8');
          await writeFile(join(dir, '_metadata'), text.slice(0, text.length / 2));
        },
        'not valid JSON',
      ],
      [
        'format version',
        async (dir) => editMetadata(dir, (m) => Object.assign(m, { formatVersion: 99 })),
        'format version 99',
      ],
      [
        'offset outside',
        async (dir) =>
          editMetadata(dir, (m) => {
            const op = (
              m.operators as Record<
                string,
                { subtasks: { keyed?: { keyGroups: Record<string, number[]> } }[] }
              >
            ).counter!;
            op.subtasks[1]!.keyed!.keyGroups['12'] = [100_000, 5];
            return m;
          }),
        'outside the data file',
      ],
    ];
    let id = 1;
    for (const [name, damage, expected] of cases) {
      const { externalPath } = await s.writeCheckpoint(checkpointOf(id++));
      await damage(externalPath);
      const error = await codeOf(FsCheckpointStorage.loadCheckpoint(externalPath));
      expect(error.code, name).toBe('SLUICE_ERR_CHECKPOINT_CORRUPT');
      expect(error.message, name).toContain(expected);
      expect(error.message, name).toContain(externalPath);
    }
  });

  it('a missing path is SLUICE_ERR_CHECKPOINT_NOT_FOUND', async () => {
    const error = await codeOf(FsCheckpointStorage.loadCheckpoint(join(root, 'nope', 'chk-1')));
    expect(error.code).toBe('SLUICE_ERR_CHECKPOINT_NOT_FOUND');
    expect(error.message).toContain(join(root, 'nope', 'chk-1'));
    await mkdir(join(root, 'empty'));
    expect((await codeOf(FsCheckpointStorage.loadCheckpoint(join(root, 'empty')))).code).toBe(
      'SLUICE_ERR_CHECKPOINT_NOT_FOUND',
    );
    expect(await storage().findLatestCompleted()).toBeUndefined();
  });

  it('a savepoint directory is self-contained: copied elsewhere it loads the same', async () => {
    const s = new FsCheckpointStorage({
      checkpointsDir: join(root, 'checkpoints'),
      jobId: JOB_ID,
      savepointsDir: join(root, 'savepoints'),
    });
    const checkpoint = checkpointOf(9, {
      source: sourceOperator(1),
      counter: keyedOperator(128, 3, 5),
    });
    const savepoint = await s.writeSavepoint(checkpoint);
    expect(basename(savepoint.externalPath)).toMatch(/^savepoint-abcdef-[0-9a-f]{12}$/);
    expect(savepoint.kind).toBe('SAVEPOINT');
    const moved = join(root, 'elsewhere', 'my-savepoint');
    await cp(savepoint.externalPath, moved, { recursive: true });
    await rm(join(root, 'savepoints'), { recursive: true });
    const loaded = await FsCheckpointStorage.loadCheckpoint(moved);
    expect(loaded.externalPath).toBe(moved);
    expect(loaded.kind).toBe('SAVEPOINT');
    expect(loaded.operators.counter!.subtasks.map((t) => t.keyed!.keyGroups)).toEqual(
      checkpoint.operators.counter!.subtasks.map((t) => t.keyed!.keyGroups),
    );
    expect(loaded.operators.source!.subtasks[0]!.operatorState).toEqual([
      { topic: 'in', partition: 0, offset: 1000 },
    ]);
  });

  it('write failures reject with SLUICE_ERR_CHECKPOINT_STORAGE_FAILED and leave nothing behind', async () => {
    await writeFile(join(root, 'a-file'), 'x');
    const blocked = new FsCheckpointStorage({
      checkpointsDir: join(root, 'a-file', 'sub'),
      jobId: JOB_ID,
    });
    const error = await codeOf(blocked.writeCheckpoint(checkpointOf(1)));
    expect(error.code).toBe('SLUICE_ERR_CHECKPOINT_STORAGE_FAILED');
    expect(error.message).toContain('state.checkpoints.dir');
    expect(error.message).toContain(join(root, 'a-file', 'sub'));

    const s = storage(3);
    await s.writeCheckpoint(checkpointOf(1));
    const again = await codeOf(s.writeCheckpoint(checkpointOf(1)));
    expect(again.code).toBe('SLUICE_ERR_CHECKPOINT_STORAGE_FAILED');
    expect(again.message).toContain('already exists');
    expect(await readdir(s.jobCheckpointsDir)).toEqual(['chk-1']);
    // the queue goes on after a failure
    await s.writeCheckpoint(checkpointOf(2));
    expect((await s.listCheckpointDirectories()).map((d) => d.checkpointId)).toEqual([1, 2]);
  });

  it('refuses invalid options and a savepoint without a directory', async () => {
    expect(() => new FsCheckpointStorage({ checkpointsDir: root, jobId: '..' })).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID' }),
    );
    expect(() => new FsCheckpointStorage({ checkpointsDir: root, jobId: 'a/b' })).toThrow(/jobId/);
    expect(
      () => new FsCheckpointStorage({ checkpointsDir: root, jobId: 'j', numRetained: 0 }),
    ).toThrow(/numRetained/);
    const defaults = new FsCheckpointStorage({
      checkpointsDir: root,
      jobId: 'j',
      numRetained: undefined,
      savepointsDir: undefined,
    });
    expect(defaults.options).toEqual({
      checkpointsDir: root,
      jobId: 'j',
      numRetained: 1,
      savepointsDir: undefined,
    });
    const error = await codeOf(storage().writeSavepoint(checkpointOf(1)));
    expect(error.code).toBe('SLUICE_ERR_CONFIG_INVALID');
    expect(error.message).toContain('state.savepoints.dir');
  });
});

async function editMetadata(
  dir: string,
  edit: (metadata: Record<string, unknown>) => Record<string, unknown>,
): Promise<void> {
  const path = join(dir, '_metadata');
  await writeFile(path, JSON.stringify(edit(JSON.parse(await readFile(path, 'utf8')))));
}
