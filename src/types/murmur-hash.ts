/**
 * 32-bit MurmurHash3 functions, with Java `int` semantics (`Math.imul`, `| 0`), so
 * that results equal Flink's bit for bit.
 *
 * - {@link murmurHash}: Flink's `MathUtils.murmurHash(int)`, the scrambling step of
 *   key-group assignment (one MurmurHash3 block, then made non-negative).
 * - {@link murmur3Hash32}: standard MurmurHash3_x86_32 over bytes; Sluice's
 *   replacement for `Object.hashCode()` on serialized keys.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * The MurmurHash3 finalizer (Flink: `MathUtils.bitMix`).
 *
 * @param value - a 32-bit integer
 * @returns the mixed value, as a signed 32-bit integer
 */
export function bitMix(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/**
 * Flink's `MathUtils.murmurHash(int code)`: MurmurHash3 of one 4-byte block with
 * seed 0, made non-negative (`-h`, and 0 for `Integer.MIN_VALUE`).
 *
 * @param code - a 32-bit integer (a key's hash)
 * @returns a non-negative 32-bit integer
 */
export function murmurHash(code: number): number {
  let h = Math.imul(code | 0, C1);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h, C2);
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h ^= 4;
  h = bitMix(h);
  if (h >= 0) return h;
  if (h !== -2147483648) return -h;
  return 0;
}

/**
 * MurmurHash3_x86_32 of `bytes[offset, offset + length)`.
 *
 * @param bytes - the input
 * @param offset - first byte
 * @param length - number of bytes
 * @param seed - 32-bit seed (default 0)
 * @returns the hash as a signed 32-bit integer (like Java's `int`)
 */
export function murmur3Hash32(bytes: Uint8Array, offset: number, length: number, seed = 0): number {
  let h = seed | 0;
  const blocksEnd = offset + (length & ~3);
  let i = offset;
  for (; i < blocksEnd; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = bytes[i]!;
    if (rest >= 2) k ^= bytes[i + 1]! << 8;
    if (rest === 3) k ^= bytes[i + 2]! << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= length;
  return bitMix(h);
}

/**
 * One MurmurHash3 body round: mixes the 4-byte block `k` into the state `h`.
 * Exposed so that fixed-layout keys can be hashed without materializing bytes.
 *
 * @returns the new state
 */
export function murmur3MixBlock(h: number, k: number): number {
  let kk = Math.imul(k, C1);
  kk = (kk << 15) | (kk >>> 17);
  kk = Math.imul(kk, C2);
  let hh = h ^ kk;
  hh = (hh << 13) | (hh >>> 19);
  return (Math.imul(hh, 5) + 0xe6546b64) | 0;
}

/**
 * MurmurHash3 tail and finalization: mixes the last `tailLength` (0–3) bytes in
 * `tail` (little-endian) and the total length into `h`.
 *
 * @returns the hash as a signed 32-bit integer
 */
export function murmur3Finish(h: number, tail: number, tailLength: number, length: number): number {
  let hh = h;
  if (tailLength > 0) {
    let k = Math.imul(tail, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    hh ^= k;
  }
  return bitMix(hh ^ length);
}
