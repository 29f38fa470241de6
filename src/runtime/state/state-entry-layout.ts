/**
 * Layout of one keyed-state entry in managed memory: the only module that knows these
 * positions. An entry holds one (state, key, namespace) → value mapping; every kind of
 * keyed state, and every timer, is made of entries.
 *
 * ```
 *  byte  word  field
 *   0     0    NEXT       address of the next entry in the same hash bucket (0 = end)
 *   4     1    HASH       32-bit hash of (state id, key, namespace)
 *   8     2    META       state id (bits 0–15) | key group (bits 16–31)
 *  12     3    KEY_LEN    bytes of the serialized key
 *  16     4    NS_LEN     bytes of the serialized namespace (a map entry: namespace + user key)
 *  20     5    VALUE_LEN  bytes of the value (0 for timers and object slots)
 *  24     6    CAPACITY   bytes reserved for the value inline | OVERFLOW (bit 31)
 *  28     7    AUX        per kind: timer heap index, object slot, map user-key length
 *  32     8    LINK_PREV  map entries: previous entry of the same map (0 = none)
 *  36     9    LINK_NEXT  map entries: next entry of the same map (0 = none)
 *  40          key bytes | namespace bytes | padding to 8 | value area (CAPACITY bytes)
 *
 *  value area, inline:    [value bytes (VALUE_LEN) | slack]
 *  value area, OVERFLOW:  [u32 first blob][u32 last blob]  (CAPACITY ≥ 8)
 *
 *  blob (a chain for values too large to sit inline; each ≤ one page):
 *   0 NEXT blob (0 = end) | 4 USED bytes | 8 CAPACITY bytes | 12 unused | 16 data ...
 * ```
 *
 * The entry's address never changes while it lives: a value that outgrows its inline
 * capacity moves to blobs, the entry stays. So timers and map links may point at
 * entries. A state with a TTL prefixes its value bytes with the float64 time of the last
 * access (ms), as Flink's `TtlValue`.
 */

/** Bytes before the key. */
export const ENTRY_HEADER_BYTES = 40;
/** Word offsets (add to `address >>> 2`). */
export const E_NEXT = 0;
export const E_HASH = 1;
export const E_META = 2;
export const E_KEY_LEN = 3;
export const E_NS_LEN = 4;
export const E_VALUE_LEN = 5;
export const E_CAPACITY = 6;
export const E_AUX = 7;
export const E_LINK_PREV = 8;
export const E_LINK_NEXT = 9;
/** CAPACITY bit: the value lives in a blob chain. */
export const OVERFLOW_FLAG = 0x80000000;
/** Mask of the capacity bits. */
export const CAPACITY_MASK = 0x7fffffff;

/** Bytes before the data of a blob. */
export const BLOB_HEADER_BYTES = 16;
export const B_NEXT = 0;
export const B_USED = 1;
export const B_CAPACITY = 2;

/** META word of a (state id, key group) pair. */
export function entryMeta(stateId: number, keyGroup: number): number {
  return (stateId | (keyGroup << 16)) >>> 0;
}

/** Largest state id (ids are 16 bits). */
export const MAX_STATE_ID = 0xffff;
