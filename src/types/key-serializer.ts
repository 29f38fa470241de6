import { DataInputDeserializer } from './data-input-deserializer.ts';
import type { DataInputView } from './data-input-view.ts';
import type { DataOutputView } from './data-output-view.ts';
import { murmur3Finish, murmur3Hash32, murmur3MixBlock } from './murmur-hash.ts';
import { CorruptDataError, throwNullValue, ValueMismatchError } from './type-errors.ts';
import type { TypeSerializer, TypeSerializerDescriptor } from './type-serializer.ts';
import { decodeUtf8, encodeUtf8Into } from './utf8.ts';

/** A grouping key: a primitive, a byte string, or a tuple (array) of keys. */
export type Key = number | string | bigint | boolean | Uint8Array | readonly Key[];

/** Tag bytes; their order is the order between key types. 0x00 ends a tuple. */
const TAG_END = 0x00;
const TAG_FALSE = 0x02;
const TAG_TRUE = 0x03;
const TAG_NUMBER = 0x10;
const TAG_BIGINT = 0x14;
const TAG_STRING = 0x20;
const TAG_BYTES = 0x24;
const TAG_TUPLE = 0x30;
/** Follows a 0x00 data byte inside a string/bytes value (escape). */
const ESCAPED_ZERO = 0xff;
/** Follows a 0x00 byte to end a string/bytes value. */
const STRING_END = 0x01;

const MAX_DEPTH = 32;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SIGN = 0x80000000;

/** Growable scratch the encoder writes into (module-level: one per worker, not re-entrant). */
let scratch = new Uint8Array(256);
let scratchView = new DataView(scratch.buffer);
let scratchPos = 0;
const f64 = new DataView(new ArrayBuffer(8));

function ensure(count: number): void {
  if (scratchPos + count <= scratch.length) return;
  const next = new Uint8Array(Math.max(scratch.length * 2, scratchPos + count));
  next.set(scratch.subarray(0, scratchPos));
  scratch = next;
  scratchView = new DataView(next.buffer);
}

/** Float64 bits through typed arrays (faster than DataView), endianness detected once. */
const f64Array = new Float64Array(1);
const f64Words = new Uint32Array(f64Array.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;
/** Output of {@link numberWords}. */
let numberHi = 0;
let numberLo = 0;

/**
 * Order-preserving bits of a float64 into {@link numberHi}/{@link numberLo} (unsigned
 * 32-bit words): sign bit flipped for ≥ 0, all bits flipped for < 0; −0 → 0, NaN → one
 * canonical NaN that sorts after +Infinity.
 */
function numberWords(value: number): void {
  let hi: number;
  let lo: number;
  if (Number.isNaN(value)) {
    hi = 0x7ff80000;
    lo = 0;
  } else {
    f64Array[0] = value === 0 ? 0 : value;
    hi = f64Words[HI]!;
    lo = f64Words[LO]!;
  }
  if ((hi & SIGN) !== 0) {
    numberHi = ~hi >>> 0;
    numberLo = ~lo >>> 0;
  } else {
    numberHi = (hi | SIGN) >>> 0;
    numberLo = lo;
  }
}

function encodeEscaped(bytes: Uint8Array, start: number, end: number): void {
  ensure((end - start) * 2 + 2);
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    scratch[scratchPos++] = b;
    if (b === 0) scratch[scratchPos++] = ESCAPED_ZERO;
  }
  scratch[scratchPos++] = 0;
  scratch[scratchPos++] = STRING_END;
}

function encode(key: Key, depth: number): void {
  switch (typeof key) {
    case 'number':
      ensure(9);
      numberWords(key);
      scratch[scratchPos] = TAG_NUMBER;
      scratchView.setUint32(scratchPos + 1, numberHi);
      scratchView.setUint32(scratchPos + 5, numberLo);
      scratchPos += 9;
      return;
    case 'string': {
      ensure(1 + key.length * 3 + 2);
      scratch[scratchPos++] = TAG_STRING;
      const start = scratchPos;
      const end = encodeUtf8Into(key, scratch, start, start + key.length * 3);
      if (key.indexOf('\0') < 0) {
        scratch[end] = 0;
        scratch[end + 1] = STRING_END;
        scratchPos = end + 2;
      } else {
        const raw = scratch.slice(start, end);
        scratchPos = start;
        encodeEscaped(raw, 0, raw.length);
      }
      return;
    }
    case 'bigint':
      if (key < INT64_MIN || key > INT64_MAX) {
        throw new ValueMismatchError(
          `key ${key}n is outside the int64 range supported for bigint keys; use a string key for larger integers`,
          { details: { key: String(key) } },
        );
      }
      ensure(9);
      scratch[scratchPos] = TAG_BIGINT;
      scratchView.setBigInt64(scratchPos + 1, key);
      scratch[scratchPos + 1]! ^= 0x80;
      scratchPos += 9;
      return;
    case 'boolean':
      ensure(1);
      scratch[scratchPos++] = key ? TAG_TRUE : TAG_FALSE;
      return;
    default:
      if (key instanceof Uint8Array) {
        ensure(1);
        scratch[scratchPos++] = TAG_BYTES;
        encodeEscaped(key, 0, key.length);
        return;
      }
      if (Array.isArray(key)) {
        if (depth >= MAX_DEPTH) {
          throw new ValueMismatchError(
            `key tuple nested deeper than ${MAX_DEPTH} levels (a cyclic array?); flatten the key`,
            { details: { depth } },
          );
        }
        ensure(1);
        scratch[scratchPos++] = TAG_TUPLE;
        for (const element of key as readonly Key[]) {
          if (element === null || element === undefined)
            throwNullValue('key tuple element', 'key', element);
          encode(element, depth + 1);
        }
        ensure(1);
        scratch[scratchPos++] = TAG_END;
        return;
      }
      if (key === null || key === undefined) throwNullValue('key', 'key', key);
      throw new ValueMismatchError(
        `unsupported key type ${typeof key} (${Object.prototype.toString.call(key)}); keys are numbers, strings, bigints, booleans, Uint8Arrays or arrays of those`,
        { details: { type: typeof key } },
      );
  }
}

/** Encodes `key` into the module scratch; returns its length (bytes at `scratch[0, n)`). */
function encodeToScratch(key: Key): number {
  scratchPos = 0;
  encode(key, 0);
  return scratchPos;
}

/**
 * Serializes a key to bytes whose unsigned lexicographic order (memcmp) is the key's
 * natural order, and whose equality is key equality.
 *
 * ```
 *  false 02 | true 03
 *  number  10 [8 bytes: float64 bits; sign bit flipped if ≥ 0, all bits flipped if < 0]
 *  bigint  14 [8 bytes: int64 big-endian, sign bit flipped]
 *  string  20 [UTF-8, each 00 written as 00 FF] 00 01
 *  bytes   24 [bytes, each 00 written as 00 FF] 00 01
 *  tuple   30 [element]... 00
 * ```
 *
 * Order: numbers numerically (−0 equals 0; NaN equals NaN and sorts after +∞);
 * bigints numerically; booleans false < true; strings by Unicode code point (the
 * same as JS `<` except between astral characters and U+E000–U+FFFF, where JS
 * compares UTF-16 units); bytes unsigned-lexicographically; tuples element by
 * element, a prefix first. Across types: false < true < numbers < bigints < strings
 * < bytes < tuples; `5` and `5n` are different keys.
 *
 * @param key - the key
 * @returns a new array with the encoding
 * @throws SLUICE_ERR_TYPES_NULL_VALUE for null/undefined (also inside tuples)
 * @throws SLUICE_ERR_TYPES_VALUE_MISMATCH for other types, bigints outside int64,
 *   tuples nested deeper than 32
 */
export function serializeKey(key: Key): Uint8Array {
  const n = encodeToScratch(key);
  return scratch.slice(0, n);
}

/**
 * Compares two serialized keys (unsigned lexicographic, a prefix first).
 * @returns negative, 0 or positive
 */
export function compareKeyBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Stable 32-bit hash of a serialized key: MurmurHash3_x86_32 (seed 0) of its bytes.
 * Sluice's `key.hashCode()`: equal in every worker and across restarts.
 *
 * @returns a signed 32-bit integer
 */
export function hashKeyBytes(
  bytes: Uint8Array,
  offset = 0,
  length = bytes.length - offset,
): number {
  return murmur3Hash32(bytes, offset, length, 0);
}

/** Bytes of a serialized number key (`[10][8 bytes]`). */
export const NUMBER_KEY_BYTES = 9;

/**
 * Writes the serialized form of the number key `value` (exactly `serializeKey(value)`,
 * {@link NUMBER_KEY_BYTES} bytes) at `target[offset]`, without the scratch, and returns
 * its hash (exactly `hashKey(value)`): the fast path of keyed state for number keys.
 *
 * @param value - the key
 * @param target - receives the bytes; the caller guarantees 9 bytes of room
 * @param offset - first byte
 * @returns `hashKey(value)`
 */
export function writeNumberKey(value: number, target: Uint8Array, offset: number): number {
  numberWords(value);
  const hi = numberHi;
  const lo = numberLo;
  target[offset] = TAG_NUMBER;
  target[offset + 1] = hi >>> 24;
  target[offset + 2] = (hi >>> 16) & 0xff;
  target[offset + 3] = (hi >>> 8) & 0xff;
  target[offset + 4] = hi & 0xff;
  target[offset + 5] = lo >>> 24;
  target[offset + 6] = (lo >>> 16) & 0xff;
  target[offset + 7] = (lo >>> 8) & 0xff;
  target[offset + 8] = lo & 0xff;
  return hashNumberWords(hi, lo);
}

/**
 * Writes a serialized number key from its two words as {@link writeNumberKey} wrote them
 * (bytes 1–4 and 5–8 big-endian): for callers that cached the words of a key.
 *
 * @param hi - bytes 1–4 of the key, as an unsigned 32-bit word
 * @param lo - bytes 5–8
 * @param target - receives the {@link NUMBER_KEY_BYTES} bytes at offset 0
 */
export function writeNumberKeyWords(hi: number, lo: number, target: Uint8Array): void {
  target[0] = TAG_NUMBER;
  target[1] = hi >>> 24;
  target[2] = (hi >>> 16) & 0xff;
  target[3] = (hi >>> 8) & 0xff;
  target[4] = hi & 0xff;
  target[5] = lo >>> 24;
  target[6] = (lo >>> 16) & 0xff;
  target[7] = (lo >>> 8) & 0xff;
  target[8] = lo & 0xff;
}

/**
 * Stable 32-bit hash of a key, equal to `hashKeyBytes(serializeKey(key))` but
 * without allocating (numbers are hashed from their bits directly, other keys are
 * encoded into a reused scratch).
 *
 * @throws the errors of {@link serializeKey}
 */
export function hashKey(key: Key): number {
  if (typeof key === 'number') {
    numberWords(key);
    return hashNumberWords(numberHi, numberLo);
  }
  if (typeof key === 'string') return hashStringKey(key);
  const n = encodeToScratch(key);
  return murmur3Hash32(scratch, 0, n, 0);
}

/** {@link hashKey} of a number key from its order-preserving words (see {@link numberWords}). */
function hashNumberWords(hi: number, lo: number): number {
  // Byte stream: [10][hi: b0 b1 b2 b3][lo: b4 b5 b6 b7], blocks read little-endian.
  let h = murmur3MixBlock(
    0,
    TAG_NUMBER | ((hi >>> 24) << 8) | (((hi >>> 16) & 0xff) << 16) | (((hi >>> 8) & 0xff) << 24),
  );
  h = murmur3MixBlock(
    h,
    (hi & 0xff) | ((lo >>> 24) << 8) | (((lo >>> 16) & 0xff) << 16) | (((lo >>> 8) & 0xff) << 24),
  );
  return murmur3Finish(h, lo & 0xff, 1, 9);
}

/**
 * Hash of a string key without encoding it when it is ASCII without NUL: the bytes
 * `[20][chars][00 01]` are fed to MurmurHash3 as they are produced.
 */
function hashStringKey(key: string): number {
  let h = 0;
  let k = TAG_STRING;
  let n = 1; // bytes in k
  const length = key.length;
  for (let i = 0; i < length; i++) {
    const c = key.charCodeAt(i);
    if (c === 0 || c >= 0x80) {
      const size = encodeToScratch(key);
      return murmur3Hash32(scratch, 0, size, 0);
    }
    k |= c << (n << 3);
    if (++n === 4) {
      h = murmur3MixBlock(h, k);
      k = 0;
      n = 0;
    }
  }
  // Terminator 00 01: the 00 byte adds nothing to k.
  if (++n === 4) {
    h = murmur3MixBlock(h, k);
    k = 0;
    n = 0;
  }
  k |= STRING_END << (n << 3);
  if (++n === 4) {
    h = murmur3MixBlock(h, k);
    k = 0;
    n = 0;
  }
  return murmur3Finish(h, k, n, length + 3);
}

/** Reads one key from `source` (the inverse of the encoder). */
function decode(source: DataInputView, tag: number, depth: number): Key {
  switch (tag) {
    case TAG_FALSE:
      return false;
    case TAG_TRUE:
      return true;
    case TAG_NUMBER: {
      let hi = source.readUint32();
      let lo = source.readUint32();
      if ((hi & SIGN) !== 0) {
        hi = (hi ^ SIGN) >>> 0;
      } else {
        hi = ~hi >>> 0;
        lo = ~lo >>> 0;
      }
      f64.setUint32(0, hi);
      f64.setUint32(4, lo);
      return f64.getFloat64(0);
    }
    case TAG_BIGINT: {
      const hi = (source.readUint32() ^ SIGN) | 0;
      const lo = source.readUint32();
      f64.setInt32(0, hi);
      f64.setUint32(4, lo);
      return f64.getBigInt64(0);
    }
    case TAG_STRING:
    case TAG_BYTES: {
      const bytes = readEscaped(source);
      return tag === TAG_STRING ? decodeUtf8(bytes, 0, bytes.length) : bytes;
    }
    case TAG_TUPLE: {
      if (depth >= MAX_DEPTH) corrupt(`tuple nested deeper than ${MAX_DEPTH}`);
      const out: Key[] = [];
      for (;;) {
        const next = source.readUint8();
        if (next === TAG_END) return out;
        out.push(decode(source, next, depth + 1));
      }
    }
    default:
      return corrupt(`unknown key tag 0x${tag.toString(16)}`);
  }
}

function readEscaped(source: DataInputView): Uint8Array {
  let out = new Uint8Array(16);
  let n = 0;
  for (;;) {
    let b = source.readUint8();
    if (b === 0) {
      const next = source.readUint8();
      if (next === STRING_END) return out.slice(0, n);
      if (next !== ESCAPED_ZERO) corrupt(`byte 0x${next.toString(16)} after 0x00 in a string`);
      b = 0;
    }
    if (n === out.length) {
      const grown = new Uint8Array(n * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = b;
  }
}

function corrupt(what: string): never {
  throw new CorruptDataError(
    `corrupt key bytes: ${what}; the data was not written by KeySerializer`,
    {
      details: { what },
    },
  );
}

/**
 * Reads a key back from its serialized form.
 *
 * @throws SLUICE_ERR_TYPES_CORRUPT_DATA / SLUICE_ERR_TYPES_END_OF_INPUT on invalid bytes
 */
export function deserializeKey(bytes: Uint8Array): Key {
  const source = new DataInputDeserializer(bytes);
  const key = decode(source, source.readUint8(), 0);
  if (source.available() !== 0) corrupt(`${source.available()} bytes after the key`);
  return key;
}

/** Deep copy of a key (tuples and byte strings are copied, primitives returned). */
function copyKey(key: Key): Key {
  if (key instanceof Uint8Array) return key.slice();
  if (Array.isArray(key)) return (key as readonly Key[]).map(copyKey);
  return key;
}

/**
 * The {@link TypeSerializer} of grouping keys: writes the order-preserving,
 * self-delimiting encoding of {@link serializeKey} (no length prefix), so that keyed
 * state and sorting can compare and hash keys as bytes.
 *
 * @remarks Stateless; share freely. Uses a per-worker scratch: not re-entrant, which
 * is fine since serialization never calls back into user code. No direct Flink
 * counterpart (Flink serializes keys with their type's serializer and hashes them
 * with `hashCode()`).
 */
export class KeySerializer implements TypeSerializer<Key> {
  static readonly INSTANCE = new KeySerializer();

  /** @throws the errors of {@link serializeKey} */
  serialize(value: Key, target: DataOutputView): void {
    const n = encodeToScratch(value);
    target.write(scratch, 0, n);
  }

  deserialize(source: DataInputView): Key {
    return decode(source, source.readUint8(), 0);
  }

  deserializeWithReuse(_reuse: Key, source: DataInputView): Key {
    return decode(source, source.readUint8(), 0);
  }

  getLength(): number {
    return -1;
  }

  isImmutableType(): boolean {
    return false;
  }

  createInstance(): Key {
    return 0;
  }

  copy(value: Key): Key {
    return copyKey(value);
  }

  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'key' };
  }
}
