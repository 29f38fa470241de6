/**
 * Flink's key-group assignment (`KeyGroupRangeAssignment`, `MathUtils.murmurHash`): a key
 * is hashed, the hash is spread with murmur into one of `maxParallelism` key groups, and
 * each parallel subtask owns a contiguous range of key groups.
 *
 * ```
 *   key ──hashKey──► int32 ──murmurHash % maxParallelism──► key group g ∈ [0, maxParallelism)
 *   subtask of g = ⌊g × parallelism / maxParallelism⌋
 *   key groups of subtask i = [⌈i × maxP / p⌉, ⌊((i+1) × maxP − 1) / p⌋]
 * ```
 *
 * The key group of a key depends only on `maxParallelism`, never on the parallelism, so
 * keyed state can be redistributed by whole key groups when the parallelism changes.
 *
 * TEMPORARY HOME — switch to `src/types/` when it lands. Another engineer is writing the
 * key hashing of `src/types/` (with `computeKeyGroupForKeyHash`). Everything in Sluice
 * that maps a key to a key group or a channel calls the functions of THIS file only
 * (the `KeyGroupStreamPartitioner`, the local executor, tests), so switching means
 * re-exporting theirs from here, or changing the imports of this one file.
 *
 * The hash of a key mirrors Java's `hashCode()` of the matching Java type, so that a
 * key lands in the same key group as it would in a Flink job with `String`, `Integer`,
 * `Long`, `Double`, `Boolean` or `TupleN` keys.
 */

/** Highest supported `maxParallelism` (Flink: `UPPER_BOUND_MAX_PARALLELISM`, 2^15). */
export const UPPER_BOUND_MAX_PARALLELISM = 32768;

const scratch = new DataView(new ArrayBuffer(8));

/**
 * Flink's `MathUtils.murmurHash(int)`: murmur3's mixing of one 32-bit value.
 *
 * @param code - a 32-bit integer (a key hash)
 * @returns a non-negative 32-bit integer
 */
export function murmurHash(code: number): number {
  let h = Math.imul(code | 0, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h ^= 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  if (h >= 0) return h;
  return h === -2147483648 ? 0 : -h;
}

/** Java's `String.hashCode()` over UTF-16 code units. */
function hashString(value: string): number {
  let h = 0;
  for (let i = 0; i < value.length; i++) h = (Math.imul(31, h) + value.charCodeAt(i)) | 0;
  return h;
}

/** Java's `Integer`, `Long` or `Double` `hashCode()`, chosen by the value. */
function hashNumber(value: number): number {
  if (Number.isInteger(value)) {
    if (value >= -2147483648 && value <= 2147483647) return value | 0;
    if (Number.isSafeInteger(value)) {
      // Long.hashCode: (int) (v ^ (v >>> 32)) on the two's complement 64-bit value;
      // high word = ⌊v / 2^32⌋ (negative for negative v), low word = v − high × 2^32.
      const high = Math.floor(value / 4294967296);
      const low = value - high * 4294967296;
      return (high | 0) ^ (low | 0);
    }
  }
  // Double.hashCode: (int) (bits ^ (bits >>> 32)); NaN canonicalised as in Java.
  scratch.setFloat64(0, Number.isNaN(value) ? Number.NaN : value);
  return (scratch.getInt32(0) ^ scratch.getInt32(4)) | 0;
}

/** Java's `Long.hashCode()` of the 64-bit two's complement of `value`. */
function hashBigInt(value: bigint): number {
  scratch.setBigInt64(0, BigInt.asIntN(64, value));
  return (scratch.getInt32(0) ^ scratch.getInt32(4)) | 0;
}

function hashPrimitive(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return hashString(value);
    case 'number':
      return hashNumber(value);
    case 'bigint':
      return hashBigInt(value);
    case 'boolean':
      return value ? 1231 : 1237;
    default:
      throw new TypeError(
        `cannot hash a key of type ${value === null ? 'null' : typeof value}: keys must be strings, numbers, bigints, booleans or arrays of those`,
      );
  }
}

/**
 * Hash of a key, as Java's `hashCode()` of the matching Java type (TEMPORARY, see the
 * file comment). Arrays hash like Flink's `TupleN.hashCode()`: `h = 31 × h + hash(f)`
 * from `h = 0`.
 *
 * @param key - a string, number, bigint, boolean, or a flat array of those
 * @returns a 32-bit integer
 * @throws TypeError for other key types (the caller names the operator)
 */
export function hashKey(key: unknown): number {
  if (Array.isArray(key)) {
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (Math.imul(31, h) + hashPrimitive(key[i])) | 0;
    return h;
  }
  return hashPrimitive(key);
}

/**
 * Key group of a key hash (Flink's `computeKeyGroupForKeyHash`).
 *
 * @param keyHash - 32-bit hash of the key
 * @param maxParallelism - number of key groups (1..32768)
 * @returns key group index in `[0, maxParallelism)`
 */
export function computeKeyGroupForKeyHash(keyHash: number, maxParallelism: number): number {
  return murmurHash(keyHash) % maxParallelism;
}

/** Key group of a key (Flink's `assignToKeyGroup`). */
export function assignToKeyGroup(key: unknown, maxParallelism: number): number {
  return computeKeyGroupForKeyHash(hashKey(key), maxParallelism);
}

/**
 * Subtask that owns a key group (Flink's `computeOperatorIndexForKeyGroup`).
 *
 * @returns `⌊keyGroupId × parallelism / maxParallelism⌋`
 */
export function computeOperatorIndexForKeyGroup(
  maxParallelism: number,
  parallelism: number,
  keyGroupId: number,
): number {
  return Math.floor((keyGroupId * parallelism) / maxParallelism);
}

/** Subtask that owns a key (Flink's `assignKeyToParallelOperator`). */
export function assignKeyToParallelOperator(
  key: unknown,
  maxParallelism: number,
  parallelism: number,
): number {
  return computeOperatorIndexForKeyGroup(
    maxParallelism,
    parallelism,
    assignToKeyGroup(key, maxParallelism),
  );
}

/**
 * Key groups owned by a subtask (Flink's `computeKeyGroupRangeForOperatorIndex`).
 *
 * @returns the inclusive range `{ startKeyGroup, endKeyGroup }`
 */
export function computeKeyGroupRangeForOperatorIndex(
  maxParallelism: number,
  parallelism: number,
  operatorIndex: number,
): { startKeyGroup: number; endKeyGroup: number } {
  return {
    startKeyGroup: Math.floor((operatorIndex * maxParallelism + parallelism - 1) / parallelism),
    endKeyGroup: Math.floor(((operatorIndex + 1) * maxParallelism - 1) / parallelism),
  };
}
