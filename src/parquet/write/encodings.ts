// Parquet's value encodings, as the writer uses them (parquet-format's Encodings.md):
// the RLE / bit-packing hybrid (dictionary indices, definition levels). DELTA_BINARY_PACKED is packed in WebAssembly
// (Zstd.deltaPack, wasm/zstd/landfall_zstd.c).
import type { ByteSink } from './byteSink.ts';

/**
 * The RLE / bit-packing hybrid of `count` values of `src` from `start`, each below 2^w (w <= 24), without a length
 * prefix. A run of 8 or more equal values starting on a group boundary is one RLE run; everything else goes into
 * bit-packed runs of whole groups of 8 (the last group padded with zeros, which only the data's end may have).
 */
export function writeHybrid(out: ByteSink, src: Int32Array, start: number, count: number, w: number): void {
  const end = start + count;
  const valueBytes = (w + 7) >> 3;
  let i = start;
  while (i < end) {
    const run = runLength(src, i, end);
    if (run >= 8) {
      out.varint(run * 2);
      const v = src[i];
      for (let b = 0; b < valueBytes; b++) out.u8((v >>> (8 * b)) & 255);
      i += run;
      continue;
    }
    // Bit-packed groups until a group would start with a run of 8 or the data ends.
    let j = i + 8;
    while (j < end && runLength(src, j, Math.min(end, j + 8)) < 8) j += 8;
    const groups = Math.ceil((Math.min(j, end) - i) / 8);
    out.varint(groups * 2 + 1);
    const n = Math.min(j, end) - i;
    out.packInts(src, i, n, w);
    // Pad the last group to 8 values' worth of bits.
    const written = Math.ceil((n * w) / 8);
    const full = groups * w;
    for (let p = written; p < full; p++) out.u8(0);
    i = Math.min(j, end);
  }
}

/** How many values from `i` (before `end`) equal src[i], counting at most 2^20 past 8 only when needed. */
function runLength(src: Int32Array, i: number, end: number): number {
  const v = src[i];
  let j = i + 1;
  while (j < end && src[j] === v) j++;
  return j - i;
}

/**
 * Definition levels (1 = a value, 0 = null) of `count` rows as the hybrid with its 4-byte length prefix (data page
 * v1): `bits` holds them one bit a row, least significant first (an Arrow validity bitmap's layout), or null when
 * every row has a value (one RLE run). The bytes are what writeHybrid writes for the same levels one value each,
 * found a byte at a time (the levels one value each, written out and then scanned, were a tenth of the 300-column
 * file's writing).
 */
export function writeDefinitionLevels(out: ByteSink, bits: Uint8Array | null, count: number): void {
  const at = out.len;
  out.u32le(0);
  if (!bits) {
    out.varint(count * 2);
    out.u8(1);
  } else writeBitHybrid(out, bits, count);
  out.patchU32le(at, out.len - at - 4);
}

/** writeHybrid(out, levels, 0, count, 1) for levels given as bits: RLE runs of 8 or more, bit-packed groups between. */
export function writeBitHybrid(out: ByteSink, bits: Uint8Array, count: number): void {
  let i = 0;
  while (i < count) {
    const run = bitRun(bits, i, count);
    if (run >= 8) {
      out.varint(run * 2);
      out.u8((bits[i >> 3] >> (i & 7)) & 1);
      i += run;
      continue;
    }
    // Bit-packed groups until a group would start with 8 equal bits or the data ends.
    let j = i + 8;
    while (j < count) {
      const g = bitsAt(bits, j);
      if (j + 8 <= count && (g === 0 || g === 255)) break;
      j += 8;
    }
    const end = Math.min(j, count);
    const groups = (end - i + 7) >> 3;
    out.varint(groups * 2 + 1);
    out.ensure(groups);
    const b = out.buf;
    let len = out.len;
    for (let k = i; k < end; k += 8)
      b[len++] = end - k >= 8 ? bitsAt(bits, k) : bitsAt(bits, k) & ((1 << (end - k)) - 1);
    out.len = len;
    i = end;
  }
}

/** The 8 bits of `bits` from bit `p`, least significant first (bits past the array's end read as 0). */
function bitsAt(bits: Uint8Array, p: number): number {
  const k = p >> 3;
  const next = k + 1 < bits.length ? bits[k + 1] : 0;
  return ((bits[k] | (next << 8)) >> (p & 7)) & 255;
}

/** How many bits from `i` (before `end`) equal bit i. */
function bitRun(bits: Uint8Array, i: number, end: number): number {
  const v = (bits[i >> 3] >> (i & 7)) & 1;
  let j = i + 1;
  while (j < end && j & 7) {
    if (((bits[j >> 3] >> (j & 7)) & 1) !== v) return j - i;
    j++;
  }
  const fill = v ? 255 : 0;
  while (j + 8 <= end && bits[j >> 3] === fill) j += 8;
  while (j < end && ((bits[j >> 3] >> (j & 7)) & 1) === v) j++;
  return j - i;
}

/** Copies bits [s, s + n) of `src` (all ones when null) to bits [at, at + n) of `dst`, least significant first. */
export function copyBits(dst: Uint8Array, at: number, src: Uint8Array | null, s: number, n: number): void {
  let k = 0;
  for (; k < n && (at + k) & 7; k++) copyBit(dst, at + k, src, s + k);
  if (!src) for (; k + 8 <= n; k += 8) dst[(at + k) >> 3] = 255;
  else if (!((s + k) & 7)) for (; k + 8 <= n; k += 8) dst[(at + k) >> 3] = src[(s + k) >> 3];
  else for (; k + 8 <= n; k += 8) dst[(at + k) >> 3] = bitsAt(src, s + k);
  for (; k < n; k++) copyBit(dst, at + k, src, s + k);
}

/** Bit `q` of `src` (1 when null) to bit `p` of `dst`. */
function copyBit(dst: Uint8Array, p: number, src: Uint8Array | null, q: number): void {
  const bit = src ? (src[q >> 3] >> (q & 7)) & 1 : 1;
  dst[p >> 3] = (dst[p >> 3] & ~(1 << (p & 7))) | (bit << (p & 7));
}

/** Set bits per byte value. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let x = b; x; x >>= 1) n += x & 1;
  return n;
});

/**
 * How many of bits [s, e) of `bits` are set: the first and last bytes masked, the ones between whole. (No loop that
 * runs only for some alignments: optimized code meeting one for the first time deoptimized, ~170 times a conversion.)
 */
export function countBits(bits: Uint8Array, s: number, e: number): number {
  if (s >= e) return 0;
  const a = s >> 3;
  const b = (e - 1) >> 3;
  const head = (255 << (s & 7)) & 255;
  const tail = 255 >>> (7 - ((e - 1) & 7));
  if (a === b) return POPCOUNT[bits[a] & head & tail];
  let n = POPCOUNT[bits[a] & head] + POPCOUNT[bits[b] & tail];
  for (let k = a + 1; k < b; k++) n += POPCOUNT[bits[k]];
  return n;
}

/**
 * The runs of set bits in [s, e) of `bits` (validity: the rows with a value), as [start, end) pairs in `out`; returns
 * how many. Whole bytes of nulls or of values are passed a byte at a time. The writer's loops then run over rows
 * without a test per row: a loop testing an optional bitmap on every row ran at half the speed of the same loop
 * without it, even with no bitmap at all (V8 does not split the loop on the test).
 */
export function validRuns(bits: Uint8Array, s: number, e: number, out: Int32Array): number {
  let n = 0;
  for (let r = s; r < e; ) {
    const run = bitRun(bits, r, e);
    if ((bits[r >> 3] >> (r & 7)) & 1) {
      out[n++] = r;
      out[n++] = r + run;
    }
    r += run;
  }
  return n >> 1;
}
