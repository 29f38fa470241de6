import { ConfigError } from '../errors.ts';
import { hashKey, type Key } from './key-serializer.ts';
import { murmurHash } from './murmur-hash.ts';

export { hashKey, murmurHash };

/** Default `pipeline.max-parallelism` (number of key groups) when none is configured. */
export const DEFAULT_LOWER_BOUND_MAX_PARALLELISM = 128;
/** Largest supported `pipeline.max-parallelism` (Flink: `1 << 15`). */
export const UPPER_BOUND_MAX_PARALLELISM = 32768;

/** An inclusive range of key groups `[startKeyGroup, endKeyGroup]`; empty when end < start. */
export interface KeyGroupRange {
  readonly startKeyGroup: number;
  readonly endKeyGroup: number;
}

/**
 * The subtask (channel) a key belongs to (Flink: `assignKeyToParallelOperator`).
 *
 * @param key - the record's key
 * @param maxParallelism - number of key groups (`pipeline.max-parallelism`)
 * @param parallelism - number of downstream subtasks (1 ≤ parallelism ≤ maxParallelism)
 * @returns operator index in `[0, parallelism)`
 * @throws SLUICE_ERR_TYPES_NULL_VALUE / SLUICE_ERR_TYPES_VALUE_MISMATCH for invalid keys
 */
export function assignKeyToParallelOperator(
  key: Key,
  maxParallelism: number,
  parallelism: number,
): number {
  return computeOperatorIndexForKeyGroup(
    maxParallelism,
    parallelism,
    computeKeyGroupForKeyHash(hashKey(key), maxParallelism),
  );
}

/**
 * The key group of a key: `murmurHash(hashKey(key)) % maxParallelism` (Flink: `assignToKeyGroup`).
 *
 * @throws SLUICE_ERR_TYPES_NULL_VALUE / SLUICE_ERR_TYPES_VALUE_MISMATCH for invalid keys
 */
export function assignToKeyGroup(key: Key, maxParallelism: number): number {
  return computeKeyGroupForKeyHash(hashKey(key), maxParallelism);
}

/**
 * Flink's `computeKeyGroupForKeyHash`: `MathUtils.murmurHash(keyHash) % maxParallelism`.
 *
 * @param keyHash - a 32-bit hash of the key
 * @param maxParallelism - number of key groups
 * @returns key group in `[0, maxParallelism)`
 */
export function computeKeyGroupForKeyHash(keyHash: number, maxParallelism: number): number {
  return murmurHash(keyHash) % maxParallelism;
}

/**
 * Flink's `computeOperatorIndexForKeyGroup`: `keyGroupId × parallelism / maxParallelism`
 * (integer division).
 *
 * @returns operator index in `[0, parallelism)`
 */
export function computeOperatorIndexForKeyGroup(
  maxParallelism: number,
  parallelism: number,
  keyGroupId: number,
): number {
  return Math.floor((keyGroupId * parallelism) / maxParallelism);
}

/**
 * The key groups operator `operatorIndex` owns: the inverse of
 * {@link computeOperatorIndexForKeyGroup} (Flink: `computeKeyGroupRangeForOperatorIndex`).
 *
 * @returns inclusive range `[⌈i·m/p⌉, ⌊((i+1)·m − 1)/p⌋]`
 * @throws SLUICE_ERR_CONFIG_INVALID when the parallelisms are out of range
 */
export function computeKeyGroupRangeForOperatorIndex(
  maxParallelism: number,
  parallelism: number,
  operatorIndex: number,
): KeyGroupRange {
  checkParallelismPreconditions(maxParallelism, parallelism);
  return {
    startKeyGroup: Math.floor((operatorIndex * maxParallelism + parallelism - 1) / parallelism),
    endKeyGroup: Math.floor(((operatorIndex + 1) * maxParallelism - 1) / parallelism),
  };
}

/**
 * Flink's default max parallelism for an operator: `1.5 × parallelism` rounded up to
 * a power of two, clamped to `[128, 32768]` (Flink: `computeDefaultMaxParallelism`).
 */
export function computeDefaultMaxParallelism(operatorParallelism: number): number {
  const target = operatorParallelism + Math.floor(operatorParallelism / 2);
  let power = 1;
  while (power < target) power *= 2;
  return Math.min(
    Math.max(power, DEFAULT_LOWER_BOUND_MAX_PARALLELISM),
    UPPER_BOUND_MAX_PARALLELISM,
  );
}

/**
 * Validates `pipeline.max-parallelism` (and optionally a parallelism against it).
 *
 * @param maxParallelism - integer in `[1, 32768]`
 * @param parallelism - when given, an integer in `[1, maxParallelism]`
 * @throws SLUICE_ERR_CONFIG_INVALID naming the key and the value
 */
export function checkParallelismPreconditions(maxParallelism: number, parallelism?: number): void {
  if (
    !Number.isInteger(maxParallelism) ||
    maxParallelism < 1 ||
    maxParallelism > UPPER_BOUND_MAX_PARALLELISM
  ) {
    throw new ConfigError(
      `pipeline.max-parallelism = ${maxParallelism} is invalid: it must be an integer in [1, ${UPPER_BOUND_MAX_PARALLELISM}] (default ${DEFAULT_LOWER_BOUND_MAX_PARALLELISM})`,
      { details: { key: 'pipeline.max-parallelism', value: maxParallelism } },
    );
  }
  if (
    parallelism !== undefined &&
    (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism)
  ) {
    throw new ConfigError(
      `parallelism = ${parallelism} is invalid: it must be an integer in [1, pipeline.max-parallelism = ${maxParallelism}]; lower the parallelism or raise pipeline.max-parallelism`,
      { details: { key: 'parallelism', value: parallelism, maxParallelism } },
    );
  }
}

/**
 * Key → key group → operator index, as Flink's `KeyGroupRangeAssignment` (the same
 * functions as this module's exports, grouped under Flink's class name).
 *
 * ```
 *  key ──hashKey──► keyHash (int32, murmur3 of the key's bytes: Sluice's hashCode())
 *      ──murmurHash(keyHash) % maxParallelism──► keyGroup ∈ [0, maxParallelism)
 *      ──keyGroup × parallelism / maxParallelism──► operatorIndex ∈ [0, parallelism)
 * ```
 *
 * Key groups are the unit in which keyed state is stored and redistributed on
 * rescaling: operator `i` owns the contiguous key groups of
 * {@link computeKeyGroupRangeForOperatorIndex}. Only the key's hash differs from
 * Flink (JS values have no `hashCode()`; see `hashKey`); every step after it is
 * Flink's formula, so `computeKeyGroupForKeyHash(h, m)` equals Flink's for the same
 * int `h`.
 *
 * The functions on the record path (`assignKeyToParallelOperator`,
 * `assignToKeyGroup`, `computeKeyGroupForKeyHash`, `computeOperatorIndexForKeyGroup`)
 * do not validate their arguments: call `checkParallelismPreconditions` once when the
 * channel selector is set up.
 *
 * @remarks Pure functions; safe on any thread.
 */
export const KeyGroupRangeAssignment = Object.freeze({
  DEFAULT_LOWER_BOUND_MAX_PARALLELISM,
  UPPER_BOUND_MAX_PARALLELISM,
  assignKeyToParallelOperator,
  assignToKeyGroup,
  computeKeyGroupForKeyHash,
  computeOperatorIndexForKeyGroup,
  computeKeyGroupRangeForOperatorIndex,
  computeDefaultMaxParallelism,
  checkParallelismPreconditions,
});
