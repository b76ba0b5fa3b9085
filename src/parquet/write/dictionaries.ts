// Dictionaries of one column chunk: open addressing on typed arrays (a JavaScript Map of numbers or strings costs
// several times more per value, and strings would have to be decoded first).
import type { ByteSink } from './byteSink.ts';

const EMPTY = 0;
/** Entries of a 64-bit dictionary's cache of recent values. */
const RECENT = 4096;
/** log2 of the slots of a string dictionary's recent-strings cache (1,024: 16 KB). */
const RECENT_STRINGS_BITS = 10;
/** Values below this are looked up in a table of their own (32 KB) instead of hashed. */
export const DIRECT = 8192;

/** The open-addressing slots the dictionaries share: slot -> entry index + 1 (EMPTY: free), linear probing. */
abstract class Slots {
  count = 0;
  // Small to begin with: a writer makes one per dictionary column per row group (a 300-column table: hundreds a
  // file), most hold a few dozen entries, and zeroing 16-88 KB each cost ~35 ms per 64 MB of that table.
  protected table = new Int32Array(256);
  protected mask = 255;

  /** Entry i's hash (the table is rebuilt from them when it grows). */
  protected abstract hashOf(i: number): number;

  /** Entry number `count`, stored by the caller, takes `slot`; the table doubles past half full. */
  protected taken(slot: number): number {
    this.table[slot] = ++this.count;
    if (this.count * 2 > this.mask) this.rehash();
    return this.count - 1;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    this.mask = this.table.length - 1;
    for (let i = 0; i < this.count; i++) {
      let slot = this.hashOf(i);
      for (;;) {
        slot &= this.mask;
        if (this.table[slot] === EMPTY) break;
        slot++;
      }
      this.table[slot] = i + 1;
    }
  }
}

/** 32-bit integers (INT32). */
export class IntDictionary extends Slots {
  values = new Int32Array(256);

  /** Plain-encoded size of the dictionary page. */
  get plainBytes(): number {
    return this.count * 4;
  }

  /** Small non-negative values (codes, categories) map straight to their index + 1, without hashing. */
  private direct: Int32Array | null = null;

  /** The table of small values: value -> index + 1, 0 for one not met yet (index() fills it). */
  directTable(): Int32Array {
    this.direct ??= new Int32Array(DIRECT);
    return this.direct;
  }

  index(v: number): number {
    if (v >>> 0 < DIRECT) {
      const direct = this.directTable();
      const e = direct[v];
      if (e) return e - 1;
      const i = this.lookup(v);
      direct[v] = i + 1;
      return i;
    }
    return this.lookup(v);
  }

  protected hashOf(i: number): number {
    return hash1(this.values[i]);
  }

  private lookup(v: number): number {
    let slot = hash1(v);
    for (;;) {
      slot &= this.mask;
      const e = this.table[slot];
      if (e === EMPTY) return this.add(v, slot);
      if (this.values[e - 1] === v) return e - 1;
      slot++;
    }
  }

  private add(v: number, slot: number): number {
    if (this.count === this.values.length) this.values = grow(this.values);
    this.values[this.count] = v;
    return this.taken(slot);
  }

  writePlain(out: ByteSink): void {
    out.bytes(new Uint8Array(this.values.buffer, 0, this.count * 4));
  }
}

/** 64-bit values (INT64, DOUBLE) as pairs of 32-bit words, compared bit for bit. */
export class WordPairDictionary extends Slots {
  words = new Int32Array(2048);

  get plainBytes(): number {
    return this.count * 8;
  }

  /** Recently seen values by their low bits: a log's timestamps come back within a window, and stay in cache here. */
  private readonly recentLo = new Int32Array(RECENT);
  private readonly recentHi = new Int32Array(RECENT);
  private readonly recentIndex = new Int32Array(RECENT);

  index(lo: number, hi: number): number {
    const r = (lo ^ (lo >>> 13)) & (RECENT - 1);
    if (this.recentIndex[r] && this.recentLo[r] === lo && this.recentHi[r] === hi) return this.recentIndex[r] - 1;
    const i = this.lookup(lo, hi);
    this.recentLo[r] = lo;
    this.recentHi[r] = hi;
    this.recentIndex[r] = i + 1;
    return i;
  }

  private lookup(lo: number, hi: number): number {
    let slot = hash2(lo, hi);
    for (;;) {
      slot &= this.mask;
      const e = this.table[slot];
      if (e === EMPTY) return this.add(lo, hi, slot);
      if (this.words[2 * e - 2] === lo && this.words[2 * e - 1] === hi) return e - 1;
      slot++;
    }
  }

  protected hashOf(i: number): number {
    return hash2(this.words[2 * i], this.words[2 * i + 1]);
  }

  private add(lo: number, hi: number, slot: number): number {
    if (2 * this.count === this.words.length) this.words = grow(this.words);
    this.words[2 * this.count] = lo;
    this.words[2 * this.count + 1] = hi;
    return this.taken(slot);
  }

  writePlain(out: ByteSink): void {
    out.bytes(new Uint8Array(this.words.buffer, 0, this.count * 8));
  }
}

function hash1(v: number): number {
  return Math.imul(v, 0x9e3779b1) >>> 0;
}

function hash2(lo: number, hi: number): number {
  return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 0;
}

/** Byte strings (BYTE_ARRAY). */
export class BytesDictionary extends Slots {
  data = new Uint8Array(1 << 12);
  used = 0;
  offsets = new Int32Array(257);
  private hashes = new Int32Array(256);

  get plainBytes(): number {
    return this.used + 4 * this.count;
  }

  private view = new DataView(this.data.buffer);

  /**
   * The index of src[s, e), added if new. `view` is a DataView of `src`'s bytes (from its offset 0): strings are
   * hashed and compared four bytes at a time.
   */
  index(src: Uint8Array, s: number, e: number, view: DataView = new DataView(src.buffer, src.byteOffset)): number {
    const len = e - s;
    // The recent-strings cache first, keyed by the length and the first and last four bytes (all of a string up to
    // eight bytes long; a longer one is compared in full): no hashing of every byte and no probing for the
    // categories, countries and URLs a dictionary column repeats.
    let first = 0;
    let last = 0;
    if (len >= 4) {
      first = view.getInt32(s, true);
      last = view.getInt32(e - 4, true);
    } else if (len > 0) first = src[s] | (len > 1 ? src[s + 1] << 8 : 0) | (len > 2 ? src[s + 2] << 16 : 0);
    const r = Math.imul(first ^ Math.imul(last ^ len, 0x85ebca6b), 0x9e3779b1) >>> (32 - RECENT_STRINGS_BITS);
    this.recentKeys ??= new Int32Array(3 << RECENT_STRINGS_BITS);
    this.recent ??= new Int32Array(1 << RECENT_STRINGS_BITS);
    const keys = this.recentKeys;
    const recent = this.recent;
    const c = recent[r];
    if (c && keys[3 * r] === len && keys[3 * r + 1] === first && keys[3 * r + 2] === last) {
      if (len <= 8 || this.same(this.offsets[c - 1], view, s, len)) return c - 1;
    }
    const x = this.indexHashed(src, s, e, view);
    keys[3 * r] = len;
    keys[3 * r + 1] = first;
    keys[3 * r + 2] = last;
    recent[r] = x + 1;
    return x;
  }

  /** Strings by their index + 1 in the recent-strings cache, and their keys (length, first and last four bytes). */
  private recent: Int32Array | null = null;
  private recentKeys: Int32Array | null = null;

  /**
   * The index of src[s, e) by its hash over every byte, added if new, without the recent-strings cache (for one pass
   * over mostly different values, such as the dictionary-or-plain choice's count: the cache would only cost).
   */
  indexHashed(src: Uint8Array, s: number, e: number, view: DataView): number {
    const len = e - s;
    let h = Math.imul(0x811c9dc5 ^ len, 0x01000193);
    let i = s;
    for (; i + 4 <= e; i += 4) h = Math.imul(h ^ view.getInt32(i, true), 0x01000193);
    for (; i < e; i++) h = Math.imul(h ^ src[i], 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    let slot = h >>> 0;
    for (;;) {
      slot &= this.mask;
      const k = this.table[slot];
      if (k === EMPTY) return this.add(src, s, e, h, slot);
      const x = k - 1;
      if (this.hashes[x] === h) {
        const a = this.offsets[x];
        if (this.offsets[x + 1] - a === len && this.same(a, view, s, len)) return x;
      }
      slot++;
    }
  }

  /** Whether the entry bytes at `a` equal `len` bytes of `view` at `s`. */
  private same(a: number, view: DataView, s: number, len: number): boolean {
    const mine = this.view;
    let j = 0;
    for (; j + 4 <= len; j += 4) if (mine.getInt32(a + j, true) !== view.getInt32(s + j, true)) return false;
    for (; j < len; j++) if (mine.getUint8(a + j) !== view.getUint8(s + j)) return false;
    return true;
  }

  private add(src: Uint8Array, s: number, e: number, h: number, slot: number): number {
    const len = e - s;
    if (this.used + len > this.data.length) {
      let size = this.data.length * 2;
      while (size < this.used + len) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.data.subarray(0, this.used));
      this.data = next;
      this.view = new DataView(next.buffer);
    }
    this.data.set(src.subarray(s, e), this.used);
    this.used += len;
    if (this.count + 1 === this.offsets.length) this.offsets = grow(this.offsets);
    if (this.count === this.hashes.length) this.hashes = grow(this.hashes);
    this.hashes[this.count] = h;
    this.offsets[this.count + 1] = this.used;
    return this.taken(slot);
  }

  protected hashOf(i: number): number {
    return this.hashes[i] >>> 0;
  }

  writePlain(out: ByteSink): void {
    for (let i = 0; i < this.count; i++) {
      out.u32le(this.offsets[i + 1] - this.offsets[i]);
      out.bytes(this.data, this.offsets[i], this.offsets[i + 1]);
    }
  }
}

function grow<T extends Int32Array>(a: T): T {
  const next = new Int32Array(a.length * 2);
  next.set(a);
  return next as T;
}
