import { describe, expect, it } from 'vitest';
import type {
  CompletedCheckpoint,
  OperatorState,
  TaskRestoreState,
} from '../../../../src/runtime/checkpoint/checkpoint-types.ts';
import {
  assignStateForSubtask,
  checkStateMappingCompleteness,
  estimateSize,
} from '../../../../src/runtime/checkpoint/state-assignment.ts';
import {
  checkpointOf,
  keyedOperator,
  keyGroupBytes,
  sourceOperator,
} from './checkpoint-fixtures.ts';

function completed(id: number, operators: Record<string, OperatorState>): CompletedCheckpoint {
  return { ...checkpointOf(id, operators), externalPath: `/chk/chk-${id}` };
}

function restoreAll(
  checkpoint: CompletedCheckpoint,
  operatorId: string,
  maxParallelism: number,
  parallelism: number,
): TaskRestoreState[] {
  return Array.from({ length: parallelism }, (_, i) =>
    assignStateForSubtask(checkpoint, [{ operatorId, maxParallelism }], parallelism, i),
  );
}

/** What a restored subtask would snapshot again: the key groups it restored, merged. */
function resnapshot(
  restores: TaskRestoreState[],
  operatorId: string,
  maxParallelism: number,
): OperatorState {
  return {
    parallelism: restores.length,
    maxParallelism,
    subtasks: restores.map((r) => {
      const keyGroups = new Map<number, Uint8Array>();
      for (const snapshot of r.operators[operatorId]!.keyed) {
        for (const [kg, bytes] of snapshot.keyGroups) keyGroups.set(kg, bytes);
      }
      return { keyed: { version: 1, maxParallelism, states: [], keyGroups } };
    }),
  };
}

/** key group → the new subtasks that got it. */
function owners(restores: TaskRestoreState[], operatorId: string): Map<number, number[]> {
  const result = new Map<number, number[]>();
  restores.forEach((r, subtask) => {
    for (const snapshot of r.operators[operatorId]!.keyed) {
      for (const kg of snapshot.keyGroups.keys())
        result.set(kg, [...(result.get(kg) ?? []), subtask]);
    }
  });
  return result;
}

describe('assignStateForSubtask', () => {
  it('1 → 2 → 1 keeps every key group exactly once, with its bytes', () => {
    const maxParallelism = 16;
    const p1 = completed(1, { counter: keyedOperator(maxParallelism, 1) });
    const toTwo = restoreAll(p1, 'counter', maxParallelism, 2);
    const twoOwners = owners(toTwo, 'counter');
    expect([...twoOwners.keys()].sort((a, b) => a - b)).toEqual([...Array(16).keys()]);
    for (const [kg, subtasks] of twoOwners) {
      expect(subtasks, `key group ${kg}`).toEqual([kg < 8 ? 0 : 1]);
    }
    // the old descriptors travel with the reduced snapshots
    expect(toTwo[1]!.operators.counter!.keyed[0]!.states).toEqual(
      p1.operators.counter!.subtasks[0]!.keyed!.states,
    );
    expect(toTwo[0]).toMatchObject({
      checkpointId: 1,
      kind: 'CHECKPOINT',
      externalPath: '/chk/chk-1',
    });

    const p2 = completed(2, { counter: resnapshot(toTwo, 'counter', maxParallelism) });
    const backToOne = restoreAll(p2, 'counter', maxParallelism, 1);
    const oneOwners = owners(backToOne, 'counter');
    expect(oneOwners.size).toBe(16);
    for (const subtasks of oneOwners.values()) expect(subtasks).toEqual([0]);
    expect(backToOne[0]!.operators.counter!.keyed).toHaveLength(2); // one per old subtask
    for (const snapshot of backToOne[0]!.operators.counter!.keyed) {
      for (const [kg, bytes] of snapshot.keyGroups) expect(bytes).toEqual(keyGroupBytes(kg));
    }
  });

  it('2 → 3 at max parallelism 128: every key group to the subtask whose range holds it', () => {
    const checkpoint = completed(3, { counter: keyedOperator(128, 2) });
    const restores = restoreAll(checkpoint, 'counter', 128, 3);
    const byOwner = owners(restores, 'counter');
    expect(byOwner.size).toBe(128);
    for (const [kg, subtasks] of byOwner) expect(subtasks).toEqual([Math.floor((kg * 3) / 128)]);
    // new subtask 1 ([43, 85]) straddles both old subtasks ([0, 63], [64, 127])
    expect(restores[1]!.operators.counter!.keyed).toHaveLength(2);
    expect(restores[0]!.operators.counter!.keyed).toHaveLength(1);
  });

  it('operator state is the union of every old subtask’s entries, for every new subtask', () => {
    const checkpoint = completed(4, { source: sourceOperator(2) });
    for (const restore of restoreAll(checkpoint, 'source', 128, 3)) {
      expect(restore.operators.source!.operatorState).toEqual([
        { topic: 'in', partition: 0, offset: 1000 },
        { topic: 'in', partition: 1, offset: 1001 },
      ]);
      expect(restore.operators.source!.keyed).toEqual([]);
    }
  });

  it('operators without state in the checkpoint are absent (they start empty)', () => {
    const checkpoint = completed(5, { counter: keyedOperator(16, 1) });
    const restore = assignStateForSubtask(
      checkpoint,
      [
        { operatorId: 'counter', maxParallelism: 16 },
        { operatorId: 'new-map', maxParallelism: 16 },
      ],
      1,
      0,
    );
    expect(Object.keys(restore.operators)).toEqual(['counter']);
  });

  it('a changed max parallelism of a keyed operator is SLUICE_ERR_CHECKPOINT_INCOMPATIBLE', () => {
    const checkpoint = completed(6, { counter: keyedOperator(16, 2), source: sourceOperator(2) });
    expect(() =>
      assignStateForSubtask(checkpoint, [{ operatorId: 'counter', maxParallelism: 32 }], 2, 0),
    ).toThrow(
      expect.objectContaining({
        code: 'SLUICE_ERR_CHECKPOINT_INCOMPATIBLE',
        message: expect.stringMatching(/operator counter.*max parallelism 16.*has 32/),
      }),
    );
    // operator state does not depend on key groups
    expect(
      assignStateForSubtask(checkpoint, [{ operatorId: 'source', maxParallelism: 256 }], 3, 2)
        .operators.source!.operatorState,
    ).toHaveLength(2);
  });

  it('estimateSize counts key-group bytes and operator-state JSON', () => {
    const checkpoint = completed(7, { counter: keyedOperator(16, 1), source: sourceOperator(1) });
    const restore = assignStateForSubtask(
      checkpoint,
      [
        { operatorId: 'counter', maxParallelism: 16 },
        { operatorId: 'source', maxParallelism: 128 },
      ],
      2,
      1,
    );
    let keyedBytes = 0;
    for (let kg = 8; kg < 16; kg++) keyedBytes += keyGroupBytes(kg).length;
    const json = JSON.stringify([{ topic: 'in', partition: 0, offset: 1000 }]).length;
    expect(estimateSize(restore.operators.counter!)).toBe(keyedBytes);
    expect(estimateSize(restore)).toBe(keyedBytes + json);
  });
});

describe('checkStateMappingCompleteness', () => {
  const checkpoint = completed(8, {
    counter: keyedOperator(16, 2),
    'old-window': keyedOperator(16, 2, 3),
    'old-source': sourceOperator(1),
    'stateless-sink': { parallelism: 2, maxParallelism: 128, subtasks: [{}, {}] },
  });
  const job = [
    { operatorId: 'counter', maxParallelism: 16 },
    { operatorId: 'source', maxParallelism: 128 },
  ];

  it('refuses state of operators the job no longer has, naming them', () => {
    expect(() => checkStateMappingCompleteness(checkpoint, job)).toThrow(
      expect.objectContaining({
        code: 'SLUICE_ERR_CHECKPOINT_INCOMPATIBLE',
        message: expect.stringMatching(/old-window, old-source.*allowNonRestoredState/),
      }),
    );
  });

  it('with allowNonRestoredState returns the dropped operator ids (stateless ones are not counted)', () => {
    expect(checkStateMappingCompleteness(checkpoint, job, { allowNonRestoredState: true })).toEqual(
      ['old-window', 'old-source'],
    );
  });

  it('also checks max parallelism', () => {
    expect(() =>
      checkStateMappingCompleteness(checkpoint, [{ operatorId: 'counter', maxParallelism: 8 }], {
        allowNonRestoredState: true,
      }),
    ).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_CHECKPOINT_INCOMPATIBLE' }));
  });
});
