/**
 * Which source subtask reads which Kafka partition: Flink's split ownership rule,
 * applied by the consumer group's leader as the group's partition assignor.
 *
 * Flink's KafkaSource does not let the consumer group distribute partitions: its
 * enumerator gives partition `p` of topic `t` to reader
 * `(startIndex(t) + p) mod parallelism`, with `startIndex(t) = ((hash(t) · 31) &
 * 0x7FFFFFFF) mod parallelism` and `hash` Java's `String.hashCode`. Sluice keeps Kafka's
 * group protocol (kafkajs has no manual `assign`), and makes the group leader apply the
 * same rule: each member announces `{subtaskIndex, parallelism}` in its member metadata,
 * and the leader assigns by subtask index.
 *
 * ```
 *   members announce          leader assigns                           why
 *   {0/2}, {1/2}              p → member of subtask owner(t, p, 2)     Flink's rule
 *   {0/2}  (1 not yet there)  only subtask 0's partitions; the others  no partition moves when
 *                             wait for subtask 1                       subtask 1 joins: nothing
 *                                                                      is read twice
 *   {0/2}, {0/2}, {1/2}, …    round robin over members sorted by       several replicas of a
 *   (two pods of one job)     (subtask, member id), same formula        job share the group
 * ```
 *
 * Consequences: a partition changes hands only when membership changes in a way the
 * rule cares about, so a rebalance caused by a member (re)joining hands every member its
 * previous partitions back, and a bounded reader knows its partitions without waiting
 * for the group ({@link splitOwner}).
 *
 * @remarks Pure functions; the kafkajs adapter encodes and decodes the metadata.
 * Corresponds to Flink's `KafkaSourceEnumerator.getSplitOwner`.
 * @module
 */
import type { TopicPartition } from './kafka-client.ts';

/** Name of the assignment protocol members announce. */
export const SUBTASK_ASSIGNER_PROTOCOL = 'SluiceSubtaskAssigner';

/** What a member announced, decoded. */
export interface AssignerMember {
  readonly memberId: string;
  /** Subtask index, when the member announced one. */
  readonly subtaskIndex?: number | undefined;
  /** Parallelism of the member's source, when announced. */
  readonly parallelism?: number | undefined;
}

/**
 * Java's `String.hashCode` (UTF-16 code units, 32-bit wrap-around), as Flink hashes a
 * topic name.
 *
 * @param text - the topic name
 * @returns a signed 32-bit integer
 */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * Index of the reader that owns a partition (Flink's `getSplitOwner`).
 *
 * @param topic - topic name
 * @param partition - partition id (≥ 0)
 * @param numReaders - source parallelism (≥ 1)
 * @returns the owning subtask index in `[0, numReaders)`
 */
export function splitOwner(topic: string, partition: number, numReaders: number): number {
  const startIndex = (Math.imul(javaStringHashCode(topic), 31) & 0x7fffffff) % numReaders;
  return (startIndex + partition) % numReaders;
}

/**
 * Assigns partitions to group members by subtask index (see the module documentation).
 *
 * @param members - the group's members with their announced subtask and parallelism
 * @param partitions - every partition of the subscribed topics
 * @returns partitions per member id (members without partitions have an empty list)
 */
export function assignPartitionsToMembers(
  members: readonly AssignerMember[],
  partitions: readonly TopicPartition[],
): Map<string, TopicPartition[]> {
  const result = new Map<string, TopicPartition[]>();
  for (const member of members) result.set(member.memberId, []);
  if (members.length === 0) return result;
  const bySubtask = membersBySubtask(members);
  if (bySubtask !== undefined) {
    const { parallelism, owners } = bySubtask;
    for (const tp of partitions) {
      const owner = owners.get(splitOwner(tp.topic, tp.partition, parallelism));
      if (owner !== undefined) result.get(owner)!.push(tp);
    }
    return result;
  }
  const sorted = [...members].sort(
    (a, b) =>
      (a.subtaskIndex ?? Number.MAX_SAFE_INTEGER) - (b.subtaskIndex ?? Number.MAX_SAFE_INTEGER) ||
      (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0),
  );
  for (const tp of partitions) {
    const member = sorted[splitOwner(tp.topic, tp.partition, sorted.length)]!;
    result.get(member.memberId)!.push(tp);
  }
  return result;
}

/**
 * The subtask → member map when every member announced the same parallelism and a
 * distinct subtask index below it; `undefined` otherwise (then round robin applies).
 */
function membersBySubtask(
  members: readonly AssignerMember[],
): { parallelism: number; owners: Map<number, string> } | undefined {
  const parallelism = members[0]!.parallelism;
  if (parallelism === undefined || !Number.isInteger(parallelism) || parallelism < 1) {
    return undefined;
  }
  const owners = new Map<number, string>();
  for (const member of members) {
    const index = member.subtaskIndex;
    if (member.parallelism !== parallelism || index === undefined) return undefined;
    if (!Number.isInteger(index) || index < 0 || index >= parallelism) return undefined;
    if (owners.has(index)) return undefined;
    owners.set(index, member.memberId);
  }
  return { parallelism, owners };
}

/**
 * Encodes what a member announces (the assignor's user data).
 *
 * @returns UTF-8 JSON bytes
 */
export function encodeMemberUserData(subtaskIndex: number, parallelism: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ subtaskIndex, parallelism }));
}

/**
 * Decodes a member's user data; tolerant of members that announced nothing useful.
 *
 * @returns the subtask index and parallelism, each `undefined` when absent
 */
export function decodeMemberUserData(userData: Uint8Array | null | undefined): {
  subtaskIndex?: number | undefined;
  parallelism?: number | undefined;
} {
  if (userData === null || userData === undefined || userData.length === 0) return {};
  try {
    const parsed = JSON.parse(new TextDecoder().decode(userData)) as Record<string, unknown>;
    return {
      subtaskIndex: typeof parsed.subtaskIndex === 'number' ? parsed.subtaskIndex : undefined,
      parallelism: typeof parsed.parallelism === 'number' ? parsed.parallelism : undefined,
    };
  } catch {
    return {};
  }
}
