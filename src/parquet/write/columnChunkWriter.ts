// One column chunk of a row group: values arrive batch by batch, are cut into data pages (at most PAGE_ROWS rows
// and about PAGE_BYTES of strings; a page spans batches), encoded, compressed and kept until the row group is
// written; the dictionary page is written in front of them at the end.
import { TType, ThriftWriter, type ThriftStruct } from '../thriftCompact.ts';
import { bitWidth, ByteSink } from './byteSink.ts';
import { PAGE_ROWS, PHYSICAL, type ColumnSpec, type ColumnValues } from './columnSpec.ts';
import { BytesDictionary, DIRECT, IntDictionary, WordPairDictionary } from './dictionaries.ts';
import { copyBits, countBits, validRuns, writeDefinitionLevels, writeHybrid } from './encodings.ts';
import { bin, bool, fields, i32, i64, list, record, struct } from './thriftBuild.ts';
import type { Zstd } from './zstd.ts';

/** A page of strings is cut near this many bytes of values. */
export const PAGE_BYTES = 1 << 20;
/** A dictionary that grows past this (its page's plain size) stops: later pages are plain (parquet-rs: 1 MB). */
export const DICTIONARY_LIMIT = 1 << 20;
/** Column index min/max values are cut to this many bytes (parquet-rs's default too). */
const INDEX_TRUNCATE = 64;

const ENCODING = { PLAIN: 0, RLE: 3, DELTA_BINARY_PACKED: 5, RLE_DICTIONARY: 8 } as const;
const PAGE = { DATA: 0, DICTIONARY: 2 } as const;
const ZSTD_CODEC = 6;
const TWO32 = 4294967296;

/** A batch's column in the layout the pages are cut from (decimals converted to their Parquet width). */
interface Source {
  rows: number;
  nullCount: number;
  validity?: Uint8Array;
  i32?: Int32Array;
  /** INT64 and DOUBLE as little-endian word pairs. */
  words?: Int32Array;
  f64?: Float64Array;
  bits?: Uint8Array;
  offsets?: Int32Array;
  bytes?: Uint8Array;
  /** FIXED_LEN_BYTE_ARRAY values, typeLength bytes each. */
  fixed?: Uint8Array;
}

/**
 * A Source with every field present, in one order: every column's sources share one hidden class, so the page
 * loops that read them stay monomorphic (sources of six shapes made V8 drop and recompile flushPage, indices and
 * deltaValues a dozen times a conversion, 20-40 ms of compiling each time).
 */
function source(
  rows: number,
  nullCount: number,
  validity: Uint8Array | undefined,
  v: Omit<Source, 'rows' | 'nullCount' | 'validity'>,
): Source {
  return {
    rows,
    nullCount,
    validity,
    i32: v.i32,
    words: v.words,
    f64: v.f64,
    bits: v.bits,
    offsets: v.offsets,
    bytes: v.bytes,
    fixed: v.fixed,
  };
}

/** Rows [s, e) of one batch (`seq`: the batch's number in the row group). */
interface Segment {
  src: Source;
  s: number;
  e: number;
  seq: number;
}

interface PageStats {
  nulls: number;
  /** Plain-encoded min and max of the page's values; null when it has none. */
  min: Uint8Array | null;
  max: Uint8Array | null;
}

/**
 * Scratch space shared by the column writers of a thread: a page is built in it and copied out before the next
 * (writers run one at a time, row groups too: nothing is left in it between calls). One per libzstd instance, kept
 * (1.3 MB made again for every row group was garbage collected once per small file in a warm process).
 */
export class PageScratch {
  readonly body = new ByteSink(1 << 20);
  /** A page's definition levels, a bit a row. */
  levelBits = new Uint8Array((PAGE_ROWS >> 3) + 1);
  /** A page's values with the nulls left out (plain pages of 32- and 64-bit numbers). */
  words = new Int32Array(2 * PAGE_ROWS);
  wordBytes = new Uint8Array(this.words.buffer);
  indices = new Int32Array(PAGE_ROWS);
  deltas = new Float64Array(PAGE_ROWS);
  /** One decimal value's big-endian bytes on their way to their place (ColumnChunkWriter.source). */
  decimal = new Uint8Array(16);
  /** The runs of rows with a value in a segment, [start, end) pairs (ColumnChunkWriter.runsOf). */
  runs = new Int32Array(PAGE_ROWS + 2);
  private constructor(readonly zstd: Zstd) {}

  private static readonly kept = new WeakMap<Zstd, PageScratch>();

  /** The scratch space of this thread's writers that compress with `zstd`. */
  static for(zstd: Zstd): PageScratch {
    let s = PageScratch.kept.get(zstd);
    if (!s) {
      s = new PageScratch(zstd);
      PageScratch.kept.set(zstd, s);
    }
    return s;
  }
}

export interface FinishedChunk {
  /** The chunk's pages (dictionary page first), in file order. */
  pages: Uint8Array[];
  bytes: number;
  /** ColumnChunk (file offset and metadata; the page index offsets are set by the file writer). */
  chunk: ThriftStruct;
  uncompressed: number;
  columnIndex?: Uint8Array;
  offsetIndex: Uint8Array;
}

export class ColumnChunkWriter {
  private readonly pages: Uint8Array[] = [];
  private readonly stats: PageStats[] = [];
  private readonly firstRows: number[] = [];
  private rows = 0;
  private uncompressed = 0;
  private readonly dictionary: IntDictionary | WordPairDictionary | BytesDictionary | null;
  private dictionaryOpen: boolean;
  private dictionaryPages = 0;
  private readonly dataPageEncodings = new Map<number, number>();
  private readonly constant: Uint8Array | null;
  /** The current page's min and max, found while its dictionary indices are (32-bit, and 64-bit as words). */
  private readonly fused = { min: 0, max: 0, minHi: 0, minLo: 0, maxHi: 0, maxLo: 0 };
  /** The current delta page's min and max, found while its values are gathered (deltaValues). */
  private deltaMin = 0;
  private deltaMax = 0;
  /** Dictionary entries met in the current page (dictionaryStats), by page number. */
  private seen = new Int32Array(0);
  private pageNumber = 0;
  /** Rows waiting for the next data page. */
  private pending: Segment[] = [];
  private pendingRows = 0;
  private pendingBytes = 0;

  constructor(
    readonly spec: ColumnSpec,
    private readonly scratch: PageScratch,
  ) {
    const p = spec.physical;
    const dictionary = spec.encoding === 'dictionary' || spec.input === 'constant';
    this.dictionary = !dictionary
      ? null
      : p === PHYSICAL.INT32
        ? new IntDictionary()
        : p === PHYSICAL.INT64 || p === PHYSICAL.DOUBLE
          ? new WordPairDictionary()
          : p === PHYSICAL.BYTE_ARRAY
            ? new BytesDictionary()
            : null;
    this.dictionaryOpen = this.dictionary !== null;
    this.constant = spec.input === 'constant' ? constantBytes(spec) : null;
    if (this.constant) {
      const d = this.dictionary;
      if (d instanceof BytesDictionary) d.index(this.constant, 0, this.constant.length);
      else if (d instanceof WordPairDictionary) {
        const w = new Int32Array(this.constant.buffer);
        d.index(w[0], w[1]);
      } else throw new Error(`constant column ${spec.name}: only strings and 64-bit integers`);
    }
  }

  /** The oldest batch a pending page still refers to (Infinity when none): older batches' buffers are free. */
  get oldestHeld(): number {
    return this.pending.length ? this.pending[0].seq : Infinity;
  }

  /** Appends batch `seq`'s values (null for a constant column: `rows` rows of its value). */
  push(values: ColumnValues | null, rows: number, seq = 0): void {
    const src = this.source(values, rows);
    let s = 0;
    while (s < rows) {
      let e = Math.min(rows, s + PAGE_ROWS - this.pendingRows);
      const o = src.offsets;
      if (o && o[e] - o[s] > PAGE_BYTES - this.pendingBytes) {
        // The most rows whose strings fit what is left of the page (at least one on an empty page).
        let lo = s;
        let hi = e;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (o[mid] - o[s] <= PAGE_BYTES - this.pendingBytes) lo = mid;
          else hi = mid - 1;
        }
        e = lo > s ? lo : this.pendingRows ? s : s + 1;
      }
      if (e > s) {
        this.pending.push({ src, s, e, seq });
        this.pendingRows += e - s;
        if (o) this.pendingBytes += o[e] - o[s];
      }
      if (this.pendingRows >= PAGE_ROWS || e === s || (o && this.pendingBytes >= PAGE_BYTES)) this.flushPage();
      s = e;
    }
  }

  private source(values: ColumnValues | null, rows: number): Source {
    const spec = this.spec;
    if (spec.input === 'constant') return source(rows, 0, undefined, {});
    if (!values) throw new Error(`column ${spec.name}: no values`);
    const n = values.nullCount;
    const validity = n ? values.validity : undefined;
    const v = values.values!;
    switch (spec.input) {
      case 'int32':
        return source(rows, n, validity, { i32: v as Int32Array });
      case 'int64':
        return source(rows, n, validity, { words: v as Int32Array });
      case 'float64': {
        const f = v as Float64Array;
        return source(rows, n, validity, { f64: f, words: new Int32Array(f.buffer, f.byteOffset, f.length * 2) });
      }
      case 'bool':
        return source(rows, n, validity, { bits: v as Uint8Array });
      case 'utf8':
        return source(rows, n, validity, { offsets: values.offsets, bytes: v as Uint8Array });
      case 'decimal': {
        // Converted in place: the batch's buffers are the writer's until it gives them back, and each value's Parquet
        // form is no longer than its 16 bytes, so it lands at or before where it was read (a new array per decimal
        // column and batch was 40 MB of allocations per 256 MB of the 300-column file).
        const w = v as Uint32Array;
        if (spec.physical === PHYSICAL.INT32) {
          const out = new Int32Array(w.buffer, w.byteOffset, rows);
          for (let i = 0; i < rows; i++) out[i] = w[4 * i];
          return source(rows, n, validity, { i32: out });
        }
        if (spec.physical === PHYSICAL.INT64) {
          const out = new Int32Array(w.buffer, w.byteOffset, rows * 2);
          for (let i = 0; i < rows; i++) {
            out[2 * i] = w[4 * i];
            out[2 * i + 1] = w[4 * i + 1];
          }
          return source(rows, n, validity, { words: out });
        }
        // Big-endian two's complement, the value's low typeLength bytes (each value read whole before it is written:
        // at 16 bytes the two overlap).
        const len = spec.typeLength!;
        const le = new Uint8Array(w.buffer, w.byteOffset, rows * 16);
        const out = new Uint8Array(w.buffer, w.byteOffset, rows * len);
        const value = this.scratch.decimal;
        for (let i = 0; i < rows; i++) {
          for (let b = 0; b < len; b++) value[b] = le[i * 16 + len - 1 - b];
          for (let b = 0; b < len; b++) out[i * len + b] = value[b];
        }
        return source(rows, n, validity, { fixed: out });
      }
    }
  }

  /** Encodes the pending rows (pages span batches: a wide table's batches hold few rows) as one data page. */
  private flushPage(): void {
    const segments = this.pending;
    const n = this.pendingRows;
    if (!n) return;
    this.pending = [];
    this.pendingRows = 0;
    this.pendingBytes = 0;
    const spec = this.spec;
    const sc = this.scratch;
    const body = sc.body;
    body.reset();
    let nulls = 0;
    for (const g of segments) if (g.src.validity) nulls += g.e - g.s - countBits(g.src.validity, g.s, g.e);
    if (spec.nullable) {
      let at = 0;
      if (nulls)
        for (const { src, s, e } of segments) {
          copyBits(sc.levelBits, at, src.validity ?? null, s, e - s);
          at += e - s;
        }
      writeDefinitionLevels(body, nulls ? sc.levelBits : null, n);
    }
    let encoding: number = ENCODING.PLAIN;
    const f = this.fused;
    f.min = 2147483647;
    f.max = -2147483648;
    f.minHi = 2147483647;
    f.minLo = 4294967295;
    f.maxHi = -2147483648;
    f.maxLo = 0;
    if (this.dictionary && this.dictionaryOpen && this.dictionary.plainBytes > DICTIONARY_LIMIT)
      this.dictionaryOpen = false;
    if (this.dictionaryOpen) {
      let m = 0;
      if (this.constant) m = n;
      else for (const { src, s, e } of segments) m = this.indices(src, s, e, m);
      const width = Math.max(1, bitWidth(this.dictionary!.count - 1));
      body.u8(width);
      if (this.constant) {
        body.varint(m * 2);
        for (let b = 0; b < (width + 7) >> 3; b++) body.u8(0);
      } else writeHybrid(body, sc.indices, 0, m, width);
      encoding = ENCODING.RLE_DICTIONARY;
    } else if (spec.encoding === 'delta' && segments[0].src.words && this.deltaValues(segments)) {
      sc.zstd.deltaPack(body, sc.deltas, n - nulls);
      encoding = ENCODING.DELTA_BINARY_PACKED;
    } else {
      for (const { src, s, e } of segments) this.plain(src, s, e);
      body.flushBits();
    }
    let stats: PageStats = { nulls, min: null, max: null };
    const valued = n - nulls > 0 && !this.constant;
    if (!spec.statistics) {
      // none
    } else if (encoding === ENCODING.RLE_DICTIONARY && this.dictionary instanceof BytesDictionary)
      stats = { nulls, ...this.dictionaryStats(this.dictionary, n - nulls) };
    else if (valued && encoding === ENCODING.RLE_DICTIONARY && this.dictionary instanceof IntDictionary)
      stats = { nulls, min: int32Bytes(this.fused.min), max: int32Bytes(this.fused.max) };
    else if (
      valued &&
      encoding === ENCODING.RLE_DICTIONARY &&
      this.dictionary instanceof WordPairDictionary &&
      !segments[0].src.f64
    )
      stats = {
        nulls,
        min: wordsBytes(this.fused.minLo, this.fused.minHi),
        max: wordsBytes(this.fused.maxLo, this.fused.maxHi),
      };
    else if (valued && encoding === ENCODING.DELTA_BINARY_PACKED)
      stats = { nulls, min: int64Bytes(this.deltaMin), max: int64Bytes(this.deltaMax) };
    else if (spec.statistics)
      for (const { src, s, e } of segments) {
        const g = this.pageStats(src, s, e);
        if (g.min && (!stats.min || this.compare(g.min, stats.min) < 0)) stats.min = g.min;
        if (g.max && (!stats.max || this.compare(g.max, stats.max) > 0)) stats.max = g.max;
      }
    this.emit(PAGE.DATA, encoding, n, body.view(), stats);
  }

  /**
   * Min and max of a dictionary-encoded page of strings from the entries it uses, each compared once (a page of
   * 20,000 categories has a few dozen distinct ones).
   */
  private dictionaryStats(d: BytesDictionary, m: number): { min: Uint8Array | null; max: Uint8Array | null } {
    if (this.constant) return { min: this.constant, max: this.constant };
    if (!m) return { min: null, max: null };
    const idx = this.scratch.indices;
    if (this.seen.length < d.count) this.seen = new Int32Array(Math.max(d.count, this.seen.length * 2));
    const page = ++this.pageNumber;
    const o = d.offsets;
    const b = d.data;
    let min = idx[0];
    let max = idx[0];
    for (let i = 1; i < m; i++) {
      const k = idx[i];
      if (this.seen[k] === page) continue;
      this.seen[k] = page;
      if (compareBytes(b, o[k], o[k + 1], o[min], o[min + 1]) < 0) min = k;
      else if (compareBytes(b, o[k], o[k + 1], o[max], o[max + 1]) > 0) max = k;
    }
    return { min: b.slice(o[min], o[min + 1]), max: b.slice(o[max], o[max + 1]) };
  }

  /** Appends the dictionary indices of rows [s, e) to scratch.indices from `m`; returns the new count. */
  private indices(src: Source, s: number, e: number, m: number): number {
    const out = this.scratch.indices;
    const runs = this.scratch.runs;
    const v = src.validity;
    const d = this.dictionary!;
    // The page's min and max come out of the same loop (fused: one pass over the values instead of two).
    const f = this.fused;
    if (d instanceof IntDictionary) {
      const a = src.i32!;
      // Codes and categories: found in the table of small values, read here (a call per value cost a third more).
      const direct = d.directTable();
      let min = f.min;
      let max = f.max;
      for (let k = 0, n = 2 * this.runsOf(v, s, e); k < n; k += 2)
        for (let r = runs[k], end = runs[k + 1]; r < end; r++) {
          const x = a[r];
          if (x < min) min = x;
          if (x > max) max = x;
          const i = x >>> 0 < DIRECT ? direct[x] : 0;
          out[m++] = i ? i - 1 : d.index(x);
        }
      f.min = min;
      f.max = max;
    } else if (d instanceof WordPairDictionary) {
      const w = src.words!;
      for (let k = 0, n = 2 * this.runsOf(v, s, e); k < n; k += 2)
        for (let r = runs[k], end = runs[k + 1]; r < end; r++) {
          const lo = w[2 * r];
          const hi = w[2 * r + 1];
          // Signed 64-bit order (a DOUBLE column's words are ordered by pageStats instead).
          if (hi < f.minHi || (hi === f.minHi && lo >>> 0 < f.minLo)) {
            f.minHi = hi;
            f.minLo = lo >>> 0;
          }
          if (hi > f.maxHi || (hi === f.maxHi && lo >>> 0 > f.maxLo)) {
            f.maxHi = hi;
            f.maxLo = lo >>> 0;
          }
          out[m++] = d.index(lo, hi);
        }
    } else {
      const o = src.offsets!;
      const b = src.bytes!;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let k = 0, n = 2 * this.runsOf(v, s, e); k < n; k += 2)
        for (let r = runs[k], end = runs[k + 1]; r < end; r++) out[m++] = d.index(b, o[r], o[r + 1], view);
    }
    return m;
  }

  /**
   * The page's values as doubles in scratch.deltas, their min and max in deltaMin/deltaMax (the page's statistics),
   * or false if one is beyond 2^52 (then it is written plain).
   */
  private deltaValues(segments: Segment[]): boolean {
    const out = this.scratch.deltas;
    let m = 0;
    let min = Infinity;
    let max = -Infinity;
    const runs = this.scratch.runs;
    for (const { src, s, e } of segments) {
      const w = src.words!;
      for (let k = 0, n = 2 * this.runsOf(src.validity, s, e); k < n; k += 2)
        for (let r = runs[k], end = runs[k + 1]; r < end; r++) {
          const hi = w[2 * r + 1];
          if (hi >= 0x100000 || hi < -0x100000) return false;
          const x = hi * TWO32 + (w[2 * r] >>> 0);
          if (x < min) min = x;
          if (x > max) max = x;
          out[m++] = x;
        }
    }
    this.deltaMin = min;
    this.deltaMax = max;
    return true;
  }

  /** The rows of [s, e) with a value, as runs in scratch.runs (see validRuns); returns how many runs. */
  private runsOf(v: Uint8Array | undefined, s: number, e: number): number {
    if (v) return validRuns(v, s, e, this.scratch.runs);
    this.scratch.runs[0] = s;
    this.scratch.runs[1] = e;
    return 1;
  }

  private plain(src: Source, s: number, e: number): void {
    const body = this.scratch.body;
    const v = src.validity;
    const width = src.i32 ? 4 : src.words ? 8 : src.fixed ? this.spec.typeLength! : 0;
    if (width && !v) {
      const a = src.i32 ?? src.words ?? src.fixed!;
      body.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), s * width, e * width);
    } else if (src.i32 || src.words) {
      // The valid values gathered a word at a time, then copied at once (byte by byte they cost ~3x as much).
      const t = this.scratch.words;
      let m = 0;
      if (src.i32) {
        const a = src.i32;
        for (let r = s; r < e; r++) if ((v![r >> 3] >> (r & 7)) & 1) t[m++] = a[r];
      } else {
        const a = src.words!;
        for (let r = s; r < e; r++)
          if ((v![r >> 3] >> (r & 7)) & 1) {
            t[m++] = a[2 * r];
            t[m++] = a[2 * r + 1];
          }
      }
      body.bytes(this.scratch.wordBytes, 0, 4 * m);
    } else if (width) {
      const bytes = src.fixed!;
      body.ensure((e - s) * width);
      const out = body.buf;
      let at = body.len;
      for (let r = s; r < e; r++) {
        if (!((v![r >> 3] >> (r & 7)) & 1)) continue;
        for (let k = r * width, end = k + width; k < end; k++) out[at++] = bytes[k];
      }
      body.len = at;
    } else if (src.bits) {
      const bits = src.bits;
      // The bit stream goes on across the page's segments: flushPage ends it.
      for (let r = s; r < e; r++) if (!v || (v[r >> 3] >> (r & 7)) & 1) body.pack((bits[r >> 3] >> (r & 7)) & 1, 1);
    } else {
      const o = src.offsets!;
      const b = src.bytes!;
      body.ensure(o[e] - o[s] + 4 * (e - s));
      const out = body.buf;
      let at = body.len;
      for (let r = s; r < e; r++) {
        if (v && !((v[r >> 3] >> (r & 7)) & 1)) continue;
        const len = o[r + 1] - o[r];
        out[at++] = len & 255;
        out[at++] = (len >>> 8) & 255;
        out[at++] = (len >>> 16) & 255;
        out[at++] = len >>> 24;
        if (len < 32) for (let k = o[r]; k < o[r + 1]; k++) out[at++] = b[k];
        else {
          out.set(b.subarray(o[r], o[r + 1]), at);
          at += len;
        }
      }
      body.len = at;
    }
  }

  private pageStats(src: Source, s: number, e: number): { min: Uint8Array | null; max: Uint8Array | null } {
    if (this.constant) return { min: this.constant, max: this.constant };
    const v = src.validity;
    if (v && countBits(v, s, e) === 0) return { min: null, max: null };
    const runs = this.scratch.runs;
    const n = 2 * this.runsOf(v, s, e);
    if (src.i32) {
      const a = src.i32;
      let min = 2147483647;
      let max = -2147483648;
      for (let k = 0; k < n; k += 2)
        for (let r = runs[k], end = runs[k + 1]; r < end; r++) {
          const x = a[r];
          if (x < min) min = x;
          if (x > max) max = x;
        }
      return { min: int32Bytes(min), max: int32Bytes(max) };
    }
    if (src.f64) {
      const a = src.f64;
      let min = Infinity;
      let max = -Infinity;
      let any = false;
      for (let k = 0; k < n; k += 2)
        for (let r = runs[k], end = runs[k + 1]; r < end; r++) {
          const x = a[r];
          if (Number.isNaN(x)) continue; // NaN orders nowhere: left out, as parquet-rs does
          any = true;
          if (x < min) min = x;
          if (x > max) max = x;
        }
      if (!any) return { min: null, max: null };
      // Zeros: -0 as the minimum and +0 as the maximum (parquet-format's rule for floating point statistics).
      return { min: float64Bytes(min === 0 ? -0 : min), max: float64Bytes(max === 0 ? 0 : max) };
    }
    if (src.words) {
      const w = src.words;
      let minHi = 0;
      let minLo = 0;
      let maxHi = 0;
      let maxLo = 0;
      let first = true;
      for (let k = 0; k < n; k += 2)
        for (let r = runs[k], end = runs[k + 1]; r < end; r++) {
          const hi = w[2 * r + 1];
          const lo = w[2 * r] >>> 0;
          if (first) {
            minHi = maxHi = hi;
            minLo = maxLo = lo;
            first = false;
            continue;
          }
          if (hi < minHi || (hi === minHi && lo < minLo)) {
            minHi = hi;
            minLo = lo;
          }
          if (hi > maxHi || (hi === maxHi && lo > maxLo)) {
            maxHi = hi;
            maxLo = lo;
          }
        }
      return { min: wordsBytes(minLo, minHi), max: wordsBytes(maxLo, maxHi) };
    }
    if (src.bits) {
      let t = 0;
      let f = 0;
      for (let k = 0; k < n; k += 2)
        for (let r = runs[k], end = runs[k + 1]; r < end; r++) (src.bits[r >> 3] >> (r & 7)) & 1 ? t++ : f++;
      return { min: new Uint8Array([f ? 0 : 1]), max: new Uint8Array([t ? 1 : 0]) };
    }
    if (src.fixed) {
      const len = this.spec.typeLength!;
      let min = -1;
      let max = -1;
      for (let k = 0; k < n; k += 2)
        for (let r = runs[k], end = runs[k + 1]; r < end; r++) {
          if (min < 0 || compareSignedBigEndian(src.fixed, r * len, min * len, len) < 0) min = r;
          if (max < 0 || compareSignedBigEndian(src.fixed, r * len, max * len, len) > 0) max = r;
        }
      return { min: src.fixed.slice(min * len, min * len + len), max: src.fixed.slice(max * len, max * len + len) };
    }
    const o = src.offsets!;
    const b = src.bytes!;
    let min = -1;
    let max = -1;
    for (let k = 0; k < n; k += 2)
      for (let r = runs[k], end = runs[k + 1]; r < end; r++) {
        if (min < 0) {
          min = max = r;
          continue;
        }
        // The first bytes settle nearly every comparison.
        const c = b[o[r]];
        const cm = b[o[min]];
        if (
          (o[r] < o[r + 1] ? c : -1) <= (o[min] < o[min + 1] ? cm : -1) &&
          compareBytes(b, o[r], o[r + 1], o[min], o[min + 1]) < 0
        )
          min = r;
        const cx = b[o[max]];
        if (
          (o[r] < o[r + 1] ? c : -1) >= (o[max] < o[max + 1] ? cx : -1) &&
          compareBytes(b, o[r], o[r + 1], o[max], o[max + 1]) > 0
        )
          max = r;
      }
    return { min: b.slice(o[min], o[min + 1]), max: b.slice(o[max], o[max + 1]) };
  }

  /** Compresses a page's body and keeps it with its header. */
  private emit(type: number, encoding: number, values: number, body: Uint8Array, stats: PageStats | null): void {
    const compressed = this.scratch.zstd.compress(body);
    const header = new ThriftWriter();
    header.writeStruct(
      record(
        fields(
          i32(1, type),
          i32(2, body.length),
          i32(3, compressed.length),
          type === PAGE.DATA &&
            struct(5, [i32(1, values), i32(2, encoding), i32(3, ENCODING.RLE), i32(4, ENCODING.RLE)]),
          type === PAGE.DICTIONARY && struct(7, [i32(1, values), i32(2, ENCODING.PLAIN)]),
        ),
      ),
    );
    const h = header.bytes();
    const page = new Uint8Array(h.length + compressed.length);
    page.set(h);
    page.set(compressed, h.length);
    this.uncompressed += h.length + body.length;
    if (type === PAGE.DICTIONARY) {
      this.pages.unshift(page);
      this.dictionaryPages = 1;
      return;
    }
    this.pages.push(page);
    this.stats.push(stats!);
    this.firstRows.push(this.rows);
    this.rows += values;
    this.dataPageEncodings.set(encoding, (this.dataPageEncodings.get(encoding) ?? 0) + 1);
  }

  /** The chunk as it lands at `offset` in the file: its pages, metadata and page indexes. */
  finish(offset: number): FinishedChunk {
    this.flushPage();
    const spec = this.spec;
    const usesDictionary = this.dataPageEncodings.has(ENCODING.RLE_DICTIONARY);
    if (usesDictionary) {
      const body = this.scratch.body;
      body.reset();
      this.dictionary!.writePlain(body);
      this.emit(PAGE.DICTIONARY, ENCODING.PLAIN, this.dictionary!.count, body.view(), null);
    }
    let bytes = 0;
    for (const p of this.pages) bytes += p.length;
    const dataOffset = offset + (this.dictionaryPages ? this.pages[0].length : 0);
    const locations = [];
    let at = dataOffset;
    for (let i = this.dictionaryPages; i < this.pages.length; i++) {
      const k = i - this.dictionaryPages;
      locations.push(record([i64(1, at), i32(2, this.pages[i].length), i64(3, this.firstRows[k])]));
      at += this.pages[i].length;
    }
    const encodings = new Set<number>([ENCODING.RLE, ...this.dataPageEncodings.keys()]);
    if (usesDictionary) encodings.add(ENCODING.PLAIN);
    const encodingStats = [
      ...(usesDictionary ? [record([i32(1, PAGE.DICTIONARY), i32(2, ENCODING.PLAIN), i32(3, 1)])] : []),
      ...[...this.dataPageEncodings].map(([enc, count]) => record([i32(1, PAGE.DATA), i32(2, enc), i32(3, count)])),
    ];
    const meta = record(
      fields(
        i32(1, spec.physical),
        list(
          2,
          TType.I32,
          [...encodings].sort((a, b) => a - b),
        ),
        list(3, TType.Binary, [new TextEncoder().encode(spec.name)]),
        i32(4, ZSTD_CODEC),
        i64(5, this.rows),
        i64(6, this.uncompressed),
        i64(7, bytes),
        i64(9, dataOffset),
        usesDictionary && i64(11, offset),
        spec.statistics && struct(12, this.chunkStatistics()),
        list(13, TType.Struct, encodingStats),
      ),
    );
    const chunk = record([i64(2, 0), struct(3, meta.fields)]);
    return {
      pages: this.pages,
      bytes,
      chunk,
      uncompressed: this.uncompressed,
      columnIndex: spec.statistics ? encode(this.columnIndex()) : undefined,
      offsetIndex: encode(record([list(1, TType.Struct, locations)])),
    };
  }

  private chunkStatistics() {
    let nulls = 0;
    let min: Uint8Array | null = null;
    let max: Uint8Array | null = null;
    for (const s of this.stats) {
      nulls += s.nulls;
      if (s.min && (!min || this.compare(s.min, min) < 0)) min = s.min;
      if (s.max && (!max || this.compare(s.max, max) > 0)) max = s.max;
    }
    // The deprecated min/max too where their (signed) order is the type's order, as parquet-rs writes them.
    const signed = this.spec.physical !== PHYSICAL.BYTE_ARRAY && this.spec.physical !== PHYSICAL.FIXED_LEN_BYTE_ARRAY;
    // Strings are cut to 64 bytes like the column index's (parquet-rs does the same), saying so.
    const minValue = min && !signed ? truncateMin(min) : min;
    const maxValue = max && !signed ? truncateMax(max) : max;
    return fields(
      signed && !!max && bin(1, max),
      signed && !!min && bin(2, min),
      i64(3, nulls),
      !!maxValue && bin(5, maxValue),
      !!minValue && bin(6, minValue),
      !!maxValue && bool(7, maxValue === max),
      !!minValue && bool(8, minValue === min),
    );
  }

  private columnIndex(): ThriftStruct {
    const mins: Uint8Array[] = [];
    const maxs: Uint8Array[] = [];
    let ascending = true;
    let descending = true;
    let prev: PageStats | null = null;
    for (const s of this.stats) {
      mins.push(s.min ? truncateMin(s.min) : new Uint8Array(0));
      maxs.push(s.max ? truncateMax(s.max) : new Uint8Array(0));
      if (s.min && s.max) {
        if (prev?.min && prev.max) {
          if (this.compare(s.min, prev.min) < 0 || this.compare(s.max, prev.max) < 0) ascending = false;
          if (this.compare(s.min, prev.min) > 0 || this.compare(s.max, prev.max) > 0) descending = false;
        }
        prev = s;
      }
    }
    const order = ascending ? 1 : descending ? 2 : 0;
    return record([
      list(
        1,
        TType.True,
        this.stats.map((s) => !s.min),
      ),
      list(2, TType.Binary, mins),
      list(3, TType.Binary, maxs),
      i32(4, order),
      list(
        5,
        TType.I64,
        this.stats.map((s) => BigInt(s.nulls)),
      ),
    ]);
  }

  /** Orders two plain-encoded statistics values of this column's type. */
  private compare(a: Uint8Array, b: Uint8Array): number {
    switch (this.spec.physical) {
      case PHYSICAL.INT32:
        return readI32(a) - readI32(b);
      case PHYSICAL.INT64: {
        const d = readI32(a, 4) - readI32(b, 4);
        return d || (readI32(a) >>> 0) - (readI32(b) >>> 0);
      }
      case PHYSICAL.DOUBLE:
        return (
          Math.sign(readF64(a) - readF64(b)) || (Object.is(readF64(a), -0) ? -1 : Object.is(readF64(b), -0) ? 1 : 0)
        );
      case PHYSICAL.BOOLEAN:
        return a[0] - b[0];
      case PHYSICAL.FIXED_LEN_BYTE_ARRAY: {
        const both = new Uint8Array(a.length * 2);
        both.set(a);
        both.set(b, a.length);
        return compareSignedBigEndian(both, 0, a.length, a.length);
      }
      default:
        return compareBytes2(a, b);
    }
  }
}

function encode(s: ThriftStruct): Uint8Array {
  const w = new ThriftWriter();
  w.writeStruct(s);
  return w.bytes().slice();
}

function constantBytes(spec: ColumnSpec): Uint8Array {
  if (typeof spec.constant === 'string') return new TextEncoder().encode(spec.constant);
  const v = spec.constant as number;
  const hi = Math.floor(v / TWO32);
  return wordsBytes(v - hi * TWO32, hi);
}

/** An integer below 2^52 in magnitude as INT64 statistics bytes. */
function int64Bytes(x: number): Uint8Array {
  const hi = Math.floor(x / TWO32);
  return wordsBytes(x - hi * TWO32, hi);
}

function int32Bytes(v: number): Uint8Array {
  return new Uint8Array(new Int32Array([v]).buffer);
}

function wordsBytes(lo: number, hi: number): Uint8Array {
  return new Uint8Array(new Int32Array([lo | 0, hi | 0]).buffer);
}

function float64Bytes(v: number): Uint8Array {
  return new Uint8Array(new Float64Array([v]).buffer);
}

function readI32(a: Uint8Array, at = 0): number {
  return a[at] | (a[at + 1] << 8) | (a[at + 2] << 16) | (a[at + 3] << 24);
}

function readF64(a: Uint8Array): number {
  return new DataView(a.buffer, a.byteOffset, 8).getFloat64(0, true);
}

/** Unsigned lexicographic order of b[as, ae) and b[bs, be). */
function compareBytes(b: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const d = b[as + i] - b[bs + i];
    if (d) return d;
  }
  return ae - as - (be - bs);
}

function compareBytes2(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d) return d;
  }
  return a.length - b.length;
}

/** Two's complement big-endian numbers of `len` bytes at a and b in `buf`. */
function compareSignedBigEndian(buf: Uint8Array, a: number, b: number, len: number): number {
  const sa = (buf[a] << 24) >> 24;
  const sb = (buf[b] << 24) >> 24;
  if (sa !== sb) return sa - sb;
  for (let i = 1; i < len; i++) {
    const d = buf[a + i] - buf[b + i];
    if (d) return d;
  }
  return 0;
}

/** A lower bound of at most INDEX_TRUNCATE bytes: a prefix cut on a UTF-8 character boundary. */
function truncateMin(v: Uint8Array): Uint8Array {
  if (v.length <= INDEX_TRUNCATE) return v;
  let n = INDEX_TRUNCATE;
  while (n > 0 && (v[n] & 0xc0) === 0x80) n--;
  return v.slice(0, n);
}

/**
 * An upper bound of at most INDEX_TRUNCATE bytes: a prefix cut on a character boundary whose last ASCII character
 * is raised by one (characters after it dropped); the whole value when no such character exists.
 */
function truncateMax(v: Uint8Array): Uint8Array {
  if (v.length <= INDEX_TRUNCATE) return v;
  let n = INDEX_TRUNCATE;
  while (n > 0 && (v[n] & 0xc0) === 0x80) n--;
  for (let i = n - 1; i >= 0; i--) {
    if (v[i] < 0x7f) {
      const out = v.slice(0, i + 1);
      out[i]++;
      return out;
    }
  }
  return v;
}
