/**
 * Reads Nexmark events from Kafka record values (the JSON of `nexmark-model.ts`), keeping
 * only the kinds a query needs — without parsing the others.
 *
 * ```
 *  value bytes:  { " e v e n t _ t y p e " : 2 , …
 *  index:        0 1                      13 14
 *                                            └─ the kind, read before any parsing: a
 *                                               record of an unwanted kind is dropped
 *                                               (null) for the cost of one byte read
 * ```
 *
 * Values written by the loader always start with `{"event_type":N`; other JSON spellings
 * of an event (spaces, another key order) are parsed in full and then filtered. Invalid
 * JSON throws `JSON.parse`'s `SyntaxError`: the Kafka source's
 * `deserialization.failure-policy` decides what happens to the record.
 *
 * @remarks Made in job builders on every thread; `deserialize` runs per record on the
 * source reader's worker (no allocation for a dropped record).
 * @module
 */
import type { DeserializationSchema } from '../kafka/kafka-record-deserialization-schema.ts';
import type { NexmarkEvent, NexmarkEventType } from './nexmark-model.ts';

/** `{"event_type":` as bytes. */
const PREFIX = Buffer.from('{"event_type":', 'latin1');
const ZERO = 0x30;

function hasPrefix(bytes: Uint8Array): boolean {
  if (bytes.length <= PREFIX.length) return false;
  for (let i = 0; i < PREFIX.length; i++) if (bytes[i] !== PREFIX[i]) return false;
  return true;
}

/** See the module documentation. */
export class NexmarkEventDeserializationSchema implements DeserializationSchema<NexmarkEvent> {
  /** `wanted[t]`: whether events of kind t are kept. */
  private readonly wanted: [boolean, boolean, boolean];

  /**
   * @param kinds - the event kinds to keep (0 person, 1 auction, 2 bid); all when absent
   */
  constructor(kinds: readonly NexmarkEventType[] = [0, 1, 2]) {
    this.wanted = [kinds.includes(0), kinds.includes(1), kinds.includes(2)];
  }

  deserialize(bytes: Uint8Array | null): NexmarkEvent | null {
    if (bytes === null) return null;
    if (hasPrefix(bytes)) {
      const kind = (bytes[PREFIX.length] as number) - ZERO;
      if (kind >= 0 && kind <= 2 && !this.wanted[kind]) return null;
    }
    const text = Buffer.isBuffer(bytes)
      ? bytes.toString('utf8')
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const event = JSON.parse(text) as NexmarkEvent;
    return this.wanted[event.event_type] === true ? event : null;
  }
}
