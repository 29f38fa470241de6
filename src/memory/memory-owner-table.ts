import {
  MAX_OWNER_KEY_BYTES,
  type MemoryManagerLayout,
  O_KEY,
  O_KEY_HASH,
  O_KEY_LENGTH,
  O_PAGES,
  O_RESERVED_BYTES,
  O_STATE,
  OWNER_FREE,
  OWNER_STRIDE,
  OWNER_USED,
} from './memory-manager-layout.ts';

/** An owner key as stored: its text, UTF-8 bytes and FNV-1a hash. */
export interface OwnerKey {
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly hash: number;
}

const encoder = new TextEncoder();

/**
 * Encodes an owner (`String(owner)`) for the owner table.
 *
 * @param owner - a task id, use case key, …
 * @returns its text, UTF-8 bytes and hash
 */
export function ownerKey(owner: string | number): OwnerKey {
  const text = String(owner);
  const bytes = encoder.encode(text);
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return { text, bytes, hash: hash | 0 };
}

/**
 * The `MemoryManager`'s owner table in shared memory: one entry per owner holding
 * pages or reserved bytes, found by its key from any thread.
 *
 * An entry is taken when an owner first allocates or reserves, and given back as soon
 * as it holds nothing (`PAGES` = 0 and `RESERVED` = 0), so the table only needs room
 * for the owners holding memory at once.
 *
 * @remarks Every method must be called with the manager's `LOCK` held: plain reads
 * and writes of the key bytes and the Float64 counters rely on it.
 */
export class MemoryOwnerTable {
  private readonly ctl: Int32Array;
  private readonly f64: Float64Array;
  private readonly bytes: Uint8Array;
  private readonly ownerTable: number;
  /** Entries in the table. */
  readonly maxOwners: number;

  /**
   * @param control - the manager's control block
   * @param layout - positions in it
   * @param maxOwners - entries of the table
   */
  constructor(control: SharedArrayBuffer, layout: MemoryManagerLayout, maxOwners: number) {
    this.ctl = new Int32Array(control);
    this.f64 = new Float64Array(control);
    this.bytes = new Uint8Array(control);
    this.ownerTable = layout.ownerTable;
    this.maxOwners = maxOwners;
  }

  /**
   * The entry of an owner, optionally taking a free one for it.
   *
   * @param key - the owner
   * @param create - take a free entry if the owner has none
   * @returns the entry, or -1 (absent, table full, or key longer than 64 bytes)
   */
  find(key: OwnerKey, create: boolean): number {
    if (key.bytes.length > MAX_OWNER_KEY_BYTES) return -1;
    const ctl = this.ctl;
    let free = -1;
    for (let slot = 0; slot < this.maxOwners; slot++) {
      const base = this.base(slot);
      if (Atomics.load(ctl, base + O_STATE) !== OWNER_USED) {
        if (free < 0) free = slot;
        continue;
      }
      if (ctl[base + O_KEY_HASH] !== key.hash || ctl[base + O_KEY_LENGTH] !== key.bytes.length) {
        continue;
      }
      if (this.keyEquals(base, key.bytes)) return slot;
    }
    if (!create || free < 0) return -1;
    const base = this.base(free);
    ctl[base + O_KEY_HASH] = key.hash;
    ctl[base + O_KEY_LENGTH] = key.bytes.length;
    this.bytes.set(key.bytes, (base + O_KEY) * 4);
    Atomics.store(ctl, base + O_PAGES, 0);
    this.f64[(base + O_RESERVED_BYTES) >> 1] = 0;
    Atomics.store(ctl, base + O_STATE, OWNER_USED);
    return free;
  }

  /** Pages held by an entry. */
  pages(slot: number): number {
    return Atomics.load(this.ctl, this.base(slot) + O_PAGES);
  }

  /** Adds (or, negative, removes) pages of an entry. */
  addPages(slot: number, delta: number): void {
    Atomics.add(this.ctl, this.base(slot) + O_PAGES, delta);
  }

  /** Bytes reserved by an entry. */
  reserved(slot: number): number {
    return this.f64[(this.base(slot) + O_RESERVED_BYTES) >> 1]!;
  }

  /** Sets the bytes reserved by an entry. */
  setReserved(slot: number, bytes: number): void {
    this.f64[(this.base(slot) + O_RESERVED_BYTES) >> 1] = bytes;
  }

  /** Gives the entry back if it holds nothing any more. */
  freeIfEmpty(slot: number): void {
    if (this.pages(slot) === 0 && this.reserved(slot) === 0) {
      Atomics.store(this.ctl, this.base(slot) + O_STATE, OWNER_FREE);
    }
  }

  /** Gives every entry back (the caller has released every page). */
  clear(): void {
    for (let slot = 0; slot < this.maxOwners; slot++) {
      this.setReserved(slot, 0);
      Atomics.store(this.ctl, this.base(slot) + O_PAGES, 0);
      Atomics.store(this.ctl, this.base(slot) + O_STATE, OWNER_FREE);
    }
  }

  private base(slot: number): number {
    return this.ownerTable + slot * OWNER_STRIDE;
  }

  private keyEquals(base: number, key: Uint8Array): boolean {
    const start = (base + O_KEY) * 4;
    for (let b = 0; b < key.length; b++) if (this.bytes[start + b] !== key[b]) return false;
    return true;
  }
}
