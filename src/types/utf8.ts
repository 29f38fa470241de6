/**
 * UTF-8 helpers for the data views: exact byte length, encoding into a caller's
 * buffer and decoding from a byte range, without intermediate allocations for the
 * short ASCII strings that dominate keys and record fields.
 *
 * Encoding follows `TextEncoder` exactly (a lone surrogate becomes U+FFFD, 3 bytes),
 * so the hand-written path for short strings and `TextEncoder.encodeInto` for long
 * ones produce the same bytes. Decoding is lenient like `TextDecoder` (invalid
 * sequences become U+FFFD): it never throws.
 *
 * Works on views of `SharedArrayBuffer`s (Node's `TextEncoder`/`TextDecoder` accept them).
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** Strings at least this long are encoded with `TextEncoder.encodeInto`. */
const ENCODE_NATIVE_THRESHOLD = 48;
/** Byte ranges at least this long are decoded with `TextDecoder`. */
const DECODE_NATIVE_THRESHOLD = 24;

/**
 * Exact number of bytes `value` takes in UTF-8.
 *
 * @param value - any string (lone surrogates count as U+FFFD, 3 bytes)
 * @returns byte length
 */
export function utf8Length(value: string): number {
  const n = value.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = value.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 2; // 2 code units -> 4 bytes
        i++;
      } else {
        bytes += 2;
      }
    } else {
      bytes += 2; // BMP char or lone surrogate -> 3 bytes
    }
  }
  return bytes;
}

/**
 * Encodes `value` as UTF-8 into `target` at `offset`.
 *
 * @param value - the string
 * @param target - destination
 * @param offset - first byte to write
 * @param maxEnd - one past the last byte that may be written; the caller guarantees
 *   `maxEnd - offset ≥ utf8Length(value)` (or ≥ 3 × `value.length`)
 * @returns the offset after the last byte written (`offset + utf8Length(value)`)
 */
export function encodeUtf8Into(
  value: string,
  target: Uint8Array,
  offset: number,
  maxEnd: number,
): number {
  const n = value.length;
  if (n >= ENCODE_NATIVE_THRESHOLD) {
    return offset + encoder.encodeInto(value, target.subarray(offset, maxEnd)).written;
  }
  let p = offset;
  for (let i = 0; i < n; i++) {
    let c = value.charCodeAt(i);
    if (c < 0x80) {
      target[p++] = c;
    } else if (c < 0x800) {
      target[p++] = 0xc0 | (c >> 6);
      target[p++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? value.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          target[p++] = 0xf0 | (cp >> 18);
          target[p++] = 0x80 | ((cp >> 12) & 0x3f);
          target[p++] = 0x80 | ((cp >> 6) & 0x3f);
          target[p++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
        c = 0xfffd;
      }
      target[p++] = 0xe0 | (c >> 12);
      target[p++] = 0x80 | ((c >> 6) & 0x3f);
      target[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p;
}

/**
 * Decodes the UTF-8 bytes `source[start, end)`.
 *
 * @param source - bytes (may be a view of a `SharedArrayBuffer`)
 * @param start - first byte
 * @param end - one past the last byte
 * @returns the string; invalid sequences become U+FFFD
 */
export function decodeUtf8(source: Uint8Array, start: number, end: number): string {
  if (end - start < DECODE_NATIVE_THRESHOLD) {
    let s = '';
    for (let i = start; i < end; i++) {
      const b = source[i]!;
      if (b >= 0x80) return decoder.decode(source.subarray(start, end));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return decoder.decode(source.subarray(start, end));
}
