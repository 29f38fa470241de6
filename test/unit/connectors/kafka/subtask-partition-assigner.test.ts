import { describe, expect, it } from 'vitest';
import {
  assignPartitionsToMembers,
  decodeMemberUserData,
  encodeMemberUserData,
  javaStringHashCode,
  splitOwner,
} from '../../../../src/connectors/kafka/subtask-partition-assigner.ts';

const partitions = (topic: string, n: number) =>
  Array.from({ length: n }, (_, partition) => ({ topic, partition }));

describe('subtask partition assigner', () => {
  it("hashes topic names like Java's String.hashCode", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('orders-topic-with-a-long-name')).toBe(1596023567);
  });

  it("places partitions with Flink's getSplitOwner formula", () => {
    // Flink: startIndex = ((hash * 31) & 0x7FFFFFFF) % n; owner = (startIndex + p) % n
    const start = (Math.imul(javaStringHashCode('bids'), 31) & 0x7fffffff) % 3;
    for (let p = 0; p < 7; p++) expect(splitOwner('bids', p, 3)).toBe((start + p) % 3);
    for (let p = 0; p < 7; p++) expect(splitOwner('bids', p, 1)).toBe(0);
  });

  it('gives each announced subtask the partitions it owns', () => {
    const members = [
      { memberId: 'm-b', subtaskIndex: 1, parallelism: 2 },
      { memberId: 'm-a', subtaskIndex: 0, parallelism: 2 },
    ];
    const result = assignPartitionsToMembers(members, partitions('t', 6));
    for (const [memberId, subtask] of [
      ['m-a', 0],
      ['m-b', 1],
    ] as const) {
      expect(result.get(memberId)).toEqual(
        partitions('t', 6).filter((tp) => splitOwner('t', tp.partition, 2) === subtask),
      );
    }
  });

  it('leaves the partitions of a subtask that has not joined unassigned (nothing moves when it joins)', () => {
    const alone = assignPartitionsToMembers(
      [{ memberId: 'm0', subtaskIndex: 0, parallelism: 2 }],
      partitions('t', 4),
    );
    const both = assignPartitionsToMembers(
      [
        { memberId: 'm0', subtaskIndex: 0, parallelism: 2 },
        { memberId: 'm1', subtaskIndex: 1, parallelism: 2 },
      ],
      partitions('t', 4),
    );
    expect(alone.get('m0')).toEqual(both.get('m0'));
    expect(alone.get('m0')).toHaveLength(2);
  });

  it('falls back to round robin over all members when subtask indices repeat (several replicas)', () => {
    const members = [
      { memberId: 'pod-b-0', subtaskIndex: 0, parallelism: 1 },
      { memberId: 'pod-a-0', subtaskIndex: 0, parallelism: 1 },
      { memberId: 'other' },
    ];
    const result = assignPartitionsToMembers(members, partitions('t', 9));
    const counts = [...result.values()].map((list) => list.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(9);
    expect(counts).toEqual([3, 3, 3]);
    const seen = new Set([...result.values()].flat().map((tp) => tp.partition));
    expect(seen.size).toBe(9);
  });

  it('round-trips member user data and tolerates members that announced nothing', () => {
    expect(decodeMemberUserData(encodeMemberUserData(3, 8))).toEqual({
      subtaskIndex: 3,
      parallelism: 8,
    });
    expect(decodeMemberUserData(null)).toEqual({});
    expect(decodeMemberUserData(new Uint8Array([1, 2, 3]))).toEqual({});
  });
});
