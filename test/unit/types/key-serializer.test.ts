import { describe, expect, it } from 'vitest';
import { DataInputDeserializer } from '../../../src/types/data-input-deserializer.ts';
import { DataOutputSerializer } from '../../../src/types/data-output-serializer.ts';
import {
  compareKeyBytes,
  deserializeKey,
  hashKey,
  hashKeyBytes,
  type Key,
  KeySerializer,
  serializeKey,
} from '../../../src/types/key-serializer.ts';
import { murmur3Hash32 } from '../../../src/types/murmur-hash.ts';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Type rank of the documented cross-type order. */
function rank(key: Key): number {
  if (typeof key === 'boolean') return 0;
  if (typeof key === 'number') return 1;
  if (typeof key === 'bigint') return 2;
  if (typeof key === 'string') return 3;
  if (key instanceof Uint8Array) return 4;
  return 5;
}

function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** The natural order the encoding promises, written independently of the encoder. */
function naturalCompare(a: Key, b: Key): number {
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if (typeof a === 'boolean') return Number(a) - Number(b as boolean);
  if (typeof a === 'number') {
    const y = b as number;
    if (Number.isNaN(a) || Number.isNaN(y))
      return Number(Number.isNaN(a)) - Number(Number.isNaN(y));
    return a < y ? -1 : a > y ? 1 : 0;
  }
  if (typeof a === 'bigint') return a < (b as bigint) ? -1 : a > (b as bigint) ? 1 : 0;
  if (typeof a === 'string') return compareCodePoints(a, b as string);
  if (a instanceof Uint8Array) {
    const y = b as Uint8Array;
    for (let i = 0; i < Math.min(a.length, y.length); i++) if (a[i] !== y[i]) return a[i]! - y[i]!;
    return a.length - y.length;
  }
  const x = a as readonly Key[];
  const y = b as readonly Key[];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = naturalCompare(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/** The key with every −0 replaced by 0 (the encoding does not keep the sign of zero). */
function normalize(key: Key): Key {
  if (Array.isArray(key)) return (key as readonly Key[]).map(normalize);
  return typeof key === 'number' && Object.is(key, -0) ? 0 : key;
}

const SPECIAL_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
  2 ** 53,
  -(2 ** 53),
  1e-300,
];
const SPECIAL_STRINGS = [
  '',
  'a',
  'a\u0000',
  'a\u0000b',
  'a\u0001',
  'ab',
  'b',
  '\u0000',
  '\u00ff',
  'é',
  '\uffff',
  '😀',
  '\ue000',
  'Z',
  'z',
];

function randomKey(random: () => number, depth = 0): Key {
  const r = random();
  if (r < 0.05) return random() < 0.5;
  if (r < 0.3) {
    if (random() < 0.2) return SPECIAL_NUMBERS[Math.floor(random() * SPECIAL_NUMBERS.length)]!;
    return random() < 0.5
      ? Math.floor((random() - 0.5) * 2000)
      : (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
  }
  if (r < 0.4)
    return BigInt(Math.floor((random() - 0.5) * 2 ** 53)) * (random() < 0.3 ? 1024n : 1n);
  if (r < 0.7) {
    if (random() < 0.3) return SPECIAL_STRINGS[Math.floor(random() * SPECIAL_STRINGS.length)]!;
    let s = '';
    const n = Math.floor(random() * 6);
    for (let i = 0; i < n; i++) {
      const c = random();
      s +=
        c < 0.7
          ? String.fromCharCode(Math.floor(random() * 4)) + 'ab'[Math.floor(random() * 2)]
          : String.fromCodePoint((Math.floor(random() * 0x10ffff) & ~0x800) | 0x20);
    }
    return s;
  }
  if (r < 0.8)
    return Uint8Array.from(
      { length: Math.floor(random() * 4) },
      () => Math.floor(random() * 3) * 127,
    );
  if (depth > 2) return 'leaf';
  return Array.from({ length: Math.floor(random() * 4) }, () => randomKey(random, depth + 1));
}

describe('serializeKey: order-preserving bytes', () => {
  it('memcmp order and equality of the bytes match the natural order of the keys', () => {
    const random = rng(11);
    const keys: Key[] = [
      ...SPECIAL_NUMBERS,
      ...SPECIAL_STRINGS,
      0n,
      -1n,
      2n ** 63n - 1n,
      -(2n ** 63n),
      true,
      false,
      new Uint8Array(0),
      new Uint8Array([0]),
      new Uint8Array([0, 0]),
      new Uint8Array([1]),
      [],
      [1],
      [1, 2],
      [1, 'a'],
      ['a'],
      [[]],
      [[1]],
    ];
    for (let i = 0; i < 1500; i++) keys.push(randomKey(random));
    const encoded = keys.map(serializeKey);
    for (let i = 0; i < keys.length; i++) {
      for (let j = 0; j < 40; j++) {
        const k = Math.floor(random() * keys.length);
        const expected = Math.sign(naturalCompare(keys[i]!, keys[k]!));
        const actual = Math.sign(compareKeyBytes(encoded[i]!, encoded[k]!));
        if (actual !== expected) {
          throw new Error(
            `order mismatch: ${String(keys[i])} vs ${String(keys[k])}: bytes ${actual}, natural ${expected}`,
          );
        }
      }
    }
    const byBytes = [...keys.keys()].sort((a, b) => compareKeyBytes(encoded[a]!, encoded[b]!));
    for (let i = 1; i < byBytes.length; i++) {
      expect(naturalCompare(keys[byBytes[i - 1]!]!, keys[byBytes[i]!]!)).toBeLessThanOrEqual(0);
    }
  });

  it('encodes -0 as 0 and every NaN the same; 5 and 5n stay different keys', () => {
    expect(serializeKey(-0)).toEqual(serializeKey(0));
    const otherNaN = new Float64Array(new Uint32Array([1, 0x7ff00000]).buffer)[0]!;
    expect(Number.isNaN(otherNaN)).toBe(true);
    expect(serializeKey(otherNaN)).toEqual(serializeKey(Number.NaN));
    expect(serializeKey(5)).not.toEqual(serializeKey(5n));
    expect(Buffer.from(serializeKey('a\u0000b')).toString('hex')).toBe('206100ff620001');
  });

  it('round-trips through deserializeKey and KeySerializer', () => {
    const random = rng(5);
    for (let i = 0; i < 2000; i++) {
      const key = randomKey(random);
      const bytes = serializeKey(key);
      const back = deserializeKey(bytes);
      expect(back).toEqual(normalize(key));
      expect(serializeKey(back)).toEqual(bytes);
    }
    const out = new DataOutputSerializer();
    const keys: Key[] = ['x', 1, [2n, 'y\u0000'], new Uint8Array([0, 1])];
    for (const key of keys) KeySerializer.INSTANCE.serialize(key, out);
    out.writeInt32(77);
    const input = new DataInputDeserializer(out.getCopyOfBuffer());
    for (const key of keys) expect(KeySerializer.INSTANCE.deserialize(input)).toEqual(key);
    expect(input.readInt32()).toBe(77);
  });

  it('rejects keys it cannot encode, and corrupt key bytes, with coded errors', () => {
    const cyclic: Key[] = [];
    cyclic.push(cyclic);
    const bad: Array<[unknown, string]> = [
      [null, 'SLUICE_ERR_TYPES_NULL_VALUE'],
      [undefined, 'SLUICE_ERR_TYPES_NULL_VALUE'],
      [[1, null], 'SLUICE_ERR_TYPES_NULL_VALUE'],
      [{ a: 1 }, 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [Symbol('s'), 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [2n ** 63n, 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
      [cyclic, 'SLUICE_ERR_TYPES_VALUE_MISMATCH'],
    ];
    for (const [key, code] of bad) {
      expect(() => serializeKey(key as Key)).toThrowError(expect.objectContaining({ code }));
      expect(() => hashKey(key as Key)).toThrowError(expect.objectContaining({ code }));
    }
    for (const hex of ['ff', '20610002', '2061', '10', '30', '3010', '']) {
      expect(() => deserializeKey(Buffer.from(hex, 'hex')), hex).toThrowError(
        expect.objectContaining({
          code: expect.stringMatching(/SLUICE_ERR_TYPES_(CORRUPT_DATA|END_OF_INPUT)/),
        }),
      );
    }
  });
});

describe('hashKey', () => {
  it('is MurmurHash3_x86_32 (standard test vectors)', () => {
    const hash = (s: string, seed: number) => {
      const b = new TextEncoder().encode(s);
      return murmur3Hash32(b, 0, b.length, seed) >>> 0;
    };
    expect(hash('', 0)).toBe(0);
    expect(hash('', 1)).toBe(0x514e28b7);
    expect(hash('', 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3Hash32(new Uint8Array(4), 0, 4, 0) >>> 0).toBe(0x2362f9de);
    expect(hash('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(hash('abc', 0)).toBe(0xb3dd93fa);
    expect(hash('Hello, world!', 0x9747b28c)).toBe(0x24884cba);
    expect(hash('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('equals the hash of the serialized bytes for every key (fast paths included)', () => {
    const random = rng(3);
    const keys: Key[] = [...SPECIAL_NUMBERS, ...SPECIAL_STRINGS, 'x'.repeat(1000), 'é'.repeat(33)];
    for (let i = 0; i < 3000; i++) keys.push(randomKey(random));
    for (let n = 0; n < 20; n++) keys.push('k'.repeat(n), `user-${n}`);
    for (const key of keys) expect(hashKey(key), String(key)).toBe(hashKeyBytes(serializeKey(key)));
  });

  it('is stable across runs and releases (pinned values)', () => {
    // Changing these changes the key group of existing keys: state in savepoints and
    // the channel of every keyed record. Only ever change with a migration.
    expect(hashKey(0)).toBe(-1697926172);
    expect(hashKey(42)).toBe(115460689);
    expect(hashKey(-1.5)).toBe(-814471195);
    expect(hashKey('user-1')).toBe(1435898466);
    expect(hashKey('')).toBe(1780883936);
    expect(hashKey(7n)).toBe(1133474669);
    expect(hashKey(true)).toBe(1579843702);
    expect(hashKey([1, 'a'])).toBe(711227549);
  });
});
