// Landfall's CSV core: CSV bytes in linear memory -> typed Arrow column buffers, in one pass per record.
//
// The TypeScript side (src/decode/wasmDecoder.ts) copies input chunks into the input region, calls parse(),
// and copies finished batches out of the column buffers. Everything here is raw memory: no managed objects,
// so the runtime's allocator (heap.alloc/realloc) is the only runtime feature used.
//
// The semantics are those of the reference decoder in src/decode/csvDecoder.ts (tokenizer, null rules,
// number/date parsers); property tests compare the two over random input and random chunkings. The codes and
// memory layouts both sides use come from wasm/boundary.json (boundary.ts here, src/decode/wasmBoundary.ts there).

import {
  COL, C_ALLOWED_N, C_ALLOWED_PTR, C_ALLOW_FALSE, C_ALLOW_TRUE, C_DATA, C_DATA_CAP, C_FMT, C_FMT_N, C_FMT_PTR, C_HAS_ALLOWED,
  C_HAS_MAX, C_HAS_MIN, C_JS_CHECK, C_MAX, C_MIN, C_NULLABLE, C_OFFSETS, C_POW10, C_PRECISION, C_SCALE, C_TRIM, C_TYPE,
  C_USED, C_VALIDITY, C_VALUES, C_WIDTH, C_NUM_FMT, C_PERCENT, C_CURRENCY_PTR, C_CURRENCY_N, C_ALT_PTR, C_ALT_N, C_FMT_COUNTS, C_ROUNDED, C_LAST_ROUNDED,
  C_LAST_FMT, D_COMMENT,
  D_DECIMAL_SEPARATOR, D_THOUSANDS_SEPARATOR, D_TRAILING_DELIMITER, D_DELIMITER, D_ESCAPE, D_HEADER, D_LATIN1, D_MAX_RECORD_BYTES, D_QUOTE,
  D_SKIP_INITIAL_SPACE, D_SKIP_LINES, D_STRICT_QUOTES, DIALECT_SIZE, F_EPOCH_MS, F_EPOCH_S, F_ISO, F_PATTERN, K_ESCAPED, K_PLAIN, K_QUOTED, P_DAY, P_FRACTION,
  P_HOUR, P_LITERAL, P_MERIDIEM, P_MINUTE, P_MONTH, P_MONTH_NAME, P_YEAR, P_YEAR2, R_CHECK_ALLOWED, R_CHECK_RANGE, R_INVALID_UTF8, R_INVALID_VALUE,
  R_NULL_NOT_ALLOWED, R_RAGGED_ROW, R_STRAY_QUOTE, REJECT_SIZE, RJ_AUX, RJ_END, RJ_FIELD, RJ_LINE, RJ_REASON, RJ_START,
  S_BATCH_FULL, S_HEADER, S_NEED_MORE, S_OVERLONG, S_UNTERMINATED, T_BOOLEAN, T_DATE, T_DECIMAL, T_FLOAT64, T_INT32,
  T_INT64, T_STRING, T_TIMESTAMP,
} from './boundary';

// ---- Imports: the rare cases left to JavaScript -------------------------------------------------------------

/** Float text outside the exact fast path (more than 15 significant digits, exponents, inf/nan words). */
@external("env", "parseFloatSlow")
declare function parseFloatSlow(ptr: usize, len: i32): f64;
// Whether the double read by the slow path holds what the text wrote (digits past 15 may not): 1, or 0 when rounded.
@external("env", "floatHoldsText")
declare function floatHoldsText(ptr: usize, len: i32, v: f64): i32;
/** String checks (allowed values, pattern, range) of column `col` on UTF-8 bytes; 0 or a reject code. */
@external("env", "checkString")
declare function checkString(col: i32, ptr: usize, len: i32): i32;

const LF: u8 = 10;
const CR: u8 = 13;

// ---- Per-column configuration and buffers (one record of COL bytes per contract column) ---------------------

let cols: usize = 0;
/** Set by parseFloat64 when the value took the slow path (more than 15 digits, an exponent): it may be rounded. */
let slowFloat = false;
let ncols: i32 = 0;
let fieldMap: usize = 0; // file field -> contract column (i32 each)
let nfields: i32 = 0; // fields a record must have: the header's (schema drift) or the contract's columns
let missing: usize = 0; // contract columns no field fills (null in every row), i32 each
let nmissing: i32 = 0;

// Dialect
let delim: u8 = 44;
let quote: u8 = 34;
let esc: u8 = 34;
let comment: i32 = -1;
let strict: bool = false;
let maxRecordBytes: i32 = 0;
let latin1: bool = false;
let skipSpace: bool = false; // spaces after a delimiter are not part of the field (skipInitialSpace)
let preambleLeft: i32 = 0; // physical lines still to skip before the header (skipLines)
let decimalSep: i32 = 46; // number columns with a number format: the decimal separator...
let thousandsSep: i32 = -1; // ...and the thousands separator (-1: none)
let trailingDelim: bool = false; // every record ends with a delimiter: its empty last field is not a field
let numScratch: usize = 0; // a number rewritten as plain text
let numScratchCap: i32 = 0;
let dialectBuf: usize = 0;
let onlyEmptyIsNull: bool = true;
let nullTokens: usize = 0; // [len:i32, bytes...] entries, 4-byte aligned
let nullTokenCount: i32 = 0;
let vD: v128 = i8x16.splat(44);
let vQ: v128 = i8x16.splat(34);
let vE: v128 = i8x16.splat(34);
let vS: v128 = i8x16.splat(44); // the quote when strictQuotes, else the delimiter again
const vLF: v128 = i8x16.splat(10);
const vCR: v128 = i8x16.splat(13);

// Input region: unconsumed bytes of the stream, padded so that 16-byte loads past the end stay in memory.
let inPtr: usize = 0;
let inCap: i32 = 0;
let pos: i32 = 0; // next unconsumed byte of the region
let base: f64 = 0; // absolute file offset of the region's first byte
let validEnd: usize = 0; // input before this address is known-valid UTF-8
let line: f64 = 1;

// Fields of the current record
let fStart: usize = 0;
let fEnd: usize = 0;
let fKind: usize = 0;
let fCap: i32 = 0;
let nfLast: i32 = 0;
let problem: i32 = 0;
let problemField: i32 = -1;
let brokenField: i32 = 0;

// Batch
let rows: i32 = 0;
let rowCap: i32 = 0;
let lines: usize = 0;
let batchRows: i32 = 0;
let batchBytes: f64 = 0;
let maxBatchRows: i32 = 0;
let awaitingHeader: bool = false;
let recordStatus: i32 = 0;

// Rejects: [line:f64, recStart:i32, recEnd:i32, field:i32, reason:i32, aux:i32, pad] = 32 bytes each
let rejects: usize = 0;
let rejectCount: i32 = 0;
let rejectCap: i32 = 0;

let scratch: usize = 0;
let scratchCap: i32 = 0;

// Stats
let rowsRead: f64 = 0;
let rowsWritten: f64 = 0;
let rowsRejected: f64 = 0;
let blankLines: f64 = 0;
let commentLines: f64 = 0;
let preambleLines: f64 = 0;
let rowsBlank: f64 = 0;
let fastRows: f64 = 0; // rows the fast path read (fastRecord)

// ---- Setup ------------------------------------------------------------------------------------------------

export function init(columns: i32): void {
  ncols = columns;
  cols = heap.alloc(<usize>columns * COL);
  memory.fill(cols, 0, <usize>columns * COL);
  fieldMap = heap.alloc(<usize>max(columns, 1) * 4);
  for (let i = 0; i < columns; i++) store<i32>(fieldMap + <usize>i * 4, i);
  nfields = columns;
  growFields(256);
  rowCap = 0;
  ensureRows(1024);
  rejectCap = 64;
  rejects = heap.alloc(<usize>rejectCap * REJECT_SIZE);
  scratchCap = 4096;
  scratch = heap.alloc(<usize>scratchCap);
  dialectBuf = heap.alloc(DIALECT_SIZE);
  memory.fill(dialectBuf, 0, DIALECT_SIZE);
  reserveInput(1 << 16);
}

/** Where the wrapper writes the dialect (DIALECT_SIZE bytes, i32 fields at the D_* offsets) before configure(). */
export function dialectAddress(): usize {
  return dialectBuf;
}

/** Takes the dialect written at dialectAddress(). */
export function configure(): void {
  const b = dialectBuf;
  const d = load<i32>(b + D_DELIMITER);
  const q = load<i32>(b + D_QUOTE);
  const strictQuotes = load<i32>(b + D_STRICT_QUOTES) != 0;
  delim = <u8>d;
  quote = <u8>q;
  esc = <u8>load<i32>(b + D_ESCAPE);
  comment = load<i32>(b + D_COMMENT);
  strict = strictQuotes;
  maxRecordBytes = load<i32>(b + D_MAX_RECORD_BYTES);
  latin1 = load<i32>(b + D_LATIN1) != 0;
  awaitingHeader = load<i32>(b + D_HEADER) != 0;
  preambleLeft = load<i32>(b + D_SKIP_LINES);
  skipSpace = load<i32>(b + D_SKIP_INITIAL_SPACE) != 0;
  decimalSep = load<i32>(b + D_DECIMAL_SEPARATOR);
  thousandsSep = load<i32>(b + D_THOUSANDS_SEPARATOR);
  trailingDelim = load<i32>(b + D_TRAILING_DELIMITER) != 0;
  vD = i8x16.splat(<i8>d);
  vQ = i8x16.splat(<i8>q);
  vE = i8x16.splat(<i8>esc);
  vS = i8x16.splat(<i8>(strictQuotes ? q : d));
}

export function setBatching(bytes: f64, maxRows: i32): void {
  batchBytes = bytes;
  maxBatchRows = maxRows;
}

/** Null tokens other than the empty field: the TS side writes them at the returned address. */
export function allocNullTokens(count: i32, bytes: i32): usize {
  nullTokenCount = count;
  onlyEmptyIsNull = false;
  nullTokens = heap.alloc(<usize>bytes);
  return nullTokens;
}

export function setColumn(c: i32, type: i32, nullable: bool, trim: bool, jsCheck: bool): void {
  const p = cols + <usize>c * COL;
  store<i32>(p + C_TYPE, type);
  store<i32>(p + C_NULLABLE, nullable ? 1 : 0);
  store<i32>(p + C_TRIM, trim ? 1 : 0);
  store<u8>(p + C_JS_CHECK, jsCheck ? 1 : 0);
  store<f64>(p + C_ROUNDED, 0);
  store<i32>(p + C_LAST_ROUNDED, 0);
  let width: i32 = 4;
  if (type == T_INT64 || type == T_FLOAT64 || type == T_TIMESTAMP) width = 8;
  else if (type == T_DECIMAL) width = 16;
  else if (type == T_BOOLEAN || type == T_STRING) width = 0;
  store<i32>(p + C_WIDTH, width);
  if (type == T_STRING) {
    store<i32>(p + C_DATA_CAP, 16384);
    store<usize>(p + C_DATA, heap.alloc(16384 + 16));
  }
  allocColumn(p, rowCap, 0);
}

export function setRange(c: i32, hasMin: bool, min: f64, hasMax: bool, max: f64): void {
  const p = cols + <usize>c * COL;
  store<u8>(p + C_HAS_MIN, hasMin ? 1 : 0);
  store<u8>(p + C_HAS_MAX, hasMax ? 1 : 0);
  store<f64>(p + C_MIN, min);
  store<f64>(p + C_MAX, max);
}

/** Allowed numeric values: the TS side writes `count` f64 at the returned address. */
export function allocAllowed(c: i32, count: i32): usize {
  const p = cols + <usize>c * COL;
  const a = heap.alloc(<usize>max(count, 1) * 8);
  store<u8>(p + C_HAS_ALLOWED, 1);
  store<usize>(p + C_ALLOWED_PTR, a);
  store<i32>(p + C_ALLOWED_N, count);
  return a;
}

export function setBoolAllowed(c: i32, allowTrue: bool, allowFalse: bool): void {
  const p = cols + <usize>c * COL;
  store<u8>(p + C_HAS_ALLOWED, 1);
  store<u8>(p + C_ALLOW_TRUE, allowTrue ? 1 : 0);
  store<u8>(p + C_ALLOW_FALSE, allowFalse ? 1 : 0);
}

export function setDecimal(c: i32, precision: i32, scale: i32, pow10: f64): void {
  const p = cols + <usize>c * COL;
  store<i32>(p + C_PRECISION, precision);
  store<i32>(p + C_SCALE, scale);
  store<f64>(p + C_POW10, pow10);
}

/** A temporal format; for patterns the TS side writes `parts` x 4 i32 (kind, value, min, max) at the address. */
export function setFormat(c: i32, kind: i32, parts: i32): usize {
  const p = cols + <usize>c * COL;
  store<i32>(p + C_FMT, kind);
  store<i32>(p + C_FMT_N, parts);
  const a = heap.alloc(<usize>max(parts, 1) * 16);
  store<usize>(p + C_FMT_PTR, a);
  return a;
}

/**
 * Another format of column `c`, tried after those given before (a list of formats): returns where the wrapper
 * writes its pattern parts. Each format's matches among written values are counted (formatCount).
 */
export function addFormat(c: i32, kind: i32, parts: i32): usize {
  const cp = cols + <usize>c * COL;
  const n = load<i32>(cp + C_ALT_N);
  const alts = load<usize>(cp + C_ALT_PTR);
  const next = alts ? heap.realloc(alts, <usize>(n + 1) * 16) : heap.alloc(16);
  const a = heap.alloc(<usize>max(parts, 1) * 16);
  const r = next + <usize>n * 16;
  store<i32>(r, kind);
  store<usize>(r + 4, a);
  store<i32>(r + 8, parts);
  store<usize>(cp + C_ALT_PTR, next);
  store<i32>(cp + C_ALT_N, n + 1);
  const counts = load<usize>(cp + C_FMT_COUNTS);
  const grown = counts ? heap.realloc(counts, <usize>(n + 2) * 8) : heap.alloc(<usize>(n + 2) * 8);
  if (!counts) store<f64>(grown, 0);
  store<f64>(grown + <usize>(n + 1) * 8, 0);
  store<usize>(cp + C_FMT_COUNTS, grown);
  return a;
}

/** How many written values of column `c` format `k` read (0: the first format). */
export function formatCount(c: i32, k: i32): f64 {
  return load<f64>(load<usize>(cols + <usize>c * COL + C_FMT_COUNTS) + <usize>k * 8);
}

export function setFieldMap(f: i32, c: i32): void {
  store<i32>(fieldMap + <usize>f * 4, c);
}

/** Schema drift: records have `n` fields (the header's); `setFieldMap` then maps each, `setMissing` the rest. */
export function setFieldCount(n: i32): void {
  fieldMap = heap.realloc(fieldMap, <usize>max(n, 1) * 4);
  nfields = n;
}

/** Column `c` has no field in this file: it is null in every row (the contract allows it). */
export function setMissing(c: i32): void {
  missing = missing ? heap.realloc(missing, <usize>(nmissing + 1) * 4) : heap.alloc(<usize>(nmissing + 1) * 4);
  store<i32>(missing + <usize>nmissing * 4, c);
  nmissing++;
}

// ---- Memory management ------------------------------------------------------------------------------------

function allocColumn(p: usize, cap: i32, oldCap: i32): void {
  const width = load<i32>(p + C_WIDTH);
  const type = load<i32>(p + C_TYPE);
  const bitmapBytes = <usize>((cap + 7) >> 3) + 8;
  const oldBitmap = <usize>((oldCap + 7) >> 3) + 8;
  // Validity bits start set: a value leaves its bit alone, a null clears it (see appendNull).
  store<usize>(p + C_VALIDITY, reallocFill(load<usize>(p + C_VALIDITY), oldCap ? oldBitmap : 0, bitmapBytes, 0xff));
  if (type == T_BOOLEAN) {
    store<usize>(p + C_VALUES, reallocZero(load<usize>(p + C_VALUES), oldCap ? oldBitmap : 0, bitmapBytes));
  } else if (type == T_STRING) {
    store<usize>(p + C_OFFSETS, reallocZero(load<usize>(p + C_OFFSETS), oldCap ? <usize>(oldCap + 1) * 4 : 0, <usize>(cap + 1) * 4));
  } else {
    store<usize>(p + C_VALUES, reallocZero(load<usize>(p + C_VALUES), oldCap ? <usize>oldCap * width : 0, <usize>cap * width));
  }
}

function reallocZero(ptr: usize, oldSize: usize, size: usize): usize {
  return reallocFill(ptr, oldSize, size, 0);
}

function reallocFill(ptr: usize, oldSize: usize, size: usize, byte: u8): usize {
  const q = ptr ? heap.realloc(ptr, size) : heap.alloc(size);
  if (size > oldSize) memory.fill(q + oldSize, byte, size - oldSize);
  return q;
}

function ensureRows(cap: i32): void {
  if (cap <= rowCap) return;
  let next = rowCap ? rowCap : 1024;
  while (next < cap) next *= 2;
  for (let c = 0; c < ncols; c++) allocColumn(cols + <usize>c * COL, next, rowCap);
  lines = lines ? heap.realloc(lines, <usize>next * 8) : heap.alloc(<usize>next * 8);
  rowCap = next;
}

function growFields(cap: i32): void {
  fStart = fStart ? heap.realloc(fStart, <usize>cap * 4) : heap.alloc(<usize>cap * 4);
  fEnd = fEnd ? heap.realloc(fEnd, <usize>cap * 4) : heap.alloc(<usize>cap * 4);
  fKind = fKind ? heap.realloc(fKind, <usize>cap) : heap.alloc(<usize>cap);
  fCap = cap;
}

/** Makes room for `total` bytes of input (keeping what is there) and returns the region's address. */
export function reserveInput(total: i32): usize {
  if (total + 64 > inCap) {
    let next = inCap ? inCap : 1 << 16;
    while (next < total + 64) next *= 2;
    inPtr = inPtr ? heap.realloc(inPtr, <usize>next) : heap.alloc(<usize>next);
    inCap = next;
  }
  return inPtr;
}

/** Drops the first `n` bytes of the region (consumed), moving the rest to its start. */
export function compact(n: i32, len: i32): void {
  if (n > 0 && len > n) memory.copy(inPtr, inPtr + <usize>n, <usize>(len - n));
  base += <f64>n;
  pos = 0;
}

function ensureScratch(n: i32): void {
  if (n + 16 <= scratchCap) return;
  scratchCap = (n + 16) * 2;
  scratch = heap.realloc(scratch, <usize>scratchCap);
}

// ---- Accessors for TypeScript -------------------------------------------------------------------------------

export function inputAddress(): usize { return inPtr; }
export function getPos(): i32 { return pos; }
export function setPos(p: i32): void { pos = p; }
export function getLine(): f64 { return line; }
export function setLine(l: f64): void { line = l; }
export function setBase(b: f64): void { base = b; }
export function setValidEnd(relative: i32): void { validEnd = inPtr + <usize>relative; }
export function fieldStarts(): usize { return fStart; }
export function fieldEnds(): usize { return fEnd; }
export function fieldKinds(): usize { return fKind; }
export function fieldCount(): i32 { return nfLast; }
export function getBrokenField(): i32 { return brokenField; }
export function setHeaderDone(): void { awaitingHeader = false; }
export function getRows(): i32 { return rows; }
export function getBatchRows(): i32 { return batchRows; }
export function linesAddress(): usize { return lines; }
export function columnAddress(c: i32): usize { return cols + <usize>c * COL; }
export function rejectsAddress(): usize { return rejects; }
export function getRejectCount(): i32 { return rejectCount; }
export function clearRejects(): void { rejectCount = 0; }
export function statRowsRead(): f64 { return rowsRead; }
export function statRowsWritten(): f64 { return rowsWritten; }
export function statRowsRejected(): f64 { return rowsRejected; }
export function statBlankLines(): f64 { return blankLines; }
export function statCommentLines(): f64 { return commentLines; }
export function statPreambleLines(): f64 { return preambleLines; }
export function statRowsBlank(): f64 { return rowsBlank; }
export function statFastRows(): f64 { return fastRows; }
/** A run continued after its header: the preamble is behind it, and the lines before it were counted by the first run. */
export function continued(): void {
  preambleLeft = 0;
  preambleLines = 0;
  commentLines = 0;
  blankLines = 0;
}
export function addRowsRead(n: f64): void { rowsRead += n; rowsRejected += n; }
/** A comment line the wrapper skipped (one longer than maxRecordBytes, never buffered whole). */
export function addCommentLine(): void { commentLines += 1; }

/** Null count of column c over the batch (rows without their validity bit). */
export function nullCount(c: i32): i32 {
  const p = cols + <usize>c * COL;
  const v = load<usize>(p + C_VALIDITY);
  let set: i32 = 0;
  const full = rows >> 6;
  for (let w = 0; w < full; w++) set += <i32>popcnt<u64>(load<u64>(v + <usize>w * 8));
  for (let r = full << 6; r < rows; r++) set += (load<u8>(v + <usize>(r >> 3)) >> <u8>(r & 7)) & 1;
  return rows - set;
}

/** Starts the next batch (after the TS side copied this one out). */
export function resetBatch(): void {
  for (let c = 0; c < ncols; c++) {
    const p = cols + <usize>c * COL;
    store<i32>(p + C_USED, 0);
    const bitmapBytes = <usize>((rows + 7) >> 3) + 8;
    memory.fill(load<usize>(p + C_VALIDITY), 0xff, bitmapBytes);
    if (load<i32>(p + C_TYPE) == T_BOOLEAN) memory.fill(load<usize>(p + C_VALUES), 0, bitmapBytes);
  }
  rows = 0;
}

// ---- SIMD scanning ------------------------------------------------------------------------------------------

/** First address in [p, end) holding byte `a`, byte `b`, CR or LF (16 bytes at a time); `end` if none. */
@inline function nextStop(p: usize, end: usize, a: v128, b: v128): usize {
  while (p < end) {
    const v = v128.load(p);
    const m = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, a), i8x16.eq(v, b)), v128.or(i8x16.eq(v, vLF), i8x16.eq(v, vCR))));
    if (m) {
      const q = p + <usize>ctz<i32>(m);
      return q < end ? q : end;
    }
    p += 16;
  }
  return end;
}

/** Where an unquoted field ends: the delimiter, a line break or (strict quotes) a quote. */
@inline function nextPlainStop(p: usize, end: usize): usize {
  return nextStop(p, end, vD, vS);
}

/** Inside quotes: the next quote, escape or line break. */
@inline function nextQuotedStop(p: usize, end: usize): usize {
  return nextStop(p, end, vQ, vE);
}

function nextLineBreak(p: usize, end: usize): usize {
  return nextStop(p, end, vLF, vCR);
}

// ---- Tokenizer ----------------------------------------------------------------------------------------------

/** Length of the first physical line of [p, end) including its line break (for quarantining broken lines). */
export function firstLineLength(rel: i32, len: i32): i32 {
  const p = inPtr + <usize>rel;
  const end = inPtr + <usize>len;
  let e = nextLineBreak(p, end);
  if (e < end) e += load<u8>(e) == CR && e + 1 < end && load<u8>(e + 1) == LF ? 2 : 1;
  return <i32>(e - p);
}

/**
 * Parses records from the region's `pos` up to `len` bytes. Returns a status; `pos` is left after the last
 * complete record (or at the record that needs attention: an unterminated quote).
 */
export function parse(len: i32, final: bool): i32 {
  const end = inPtr + <usize>len;
  let p = inPtr + <usize>pos;
  recordStatus = 0;
  const fast = planFast();
  while (p < end) {
    // The fast path first (0: not a record it reads), then the general tokenizer from the same start.
    const q = fast && !awaitingHeader && preambleLeft == 0 ? fastRecord(p, end) : 0;
    if (q) {
      p = q;
    } else {
      const next = parseRecord(p, end, final);
      if (next == 0) break;
      if (next == 1) {
        pos = <i32>(p - inPtr);
        return S_UNTERMINATED;
      }
      if (next == 2) {
        pos = <i32>(p - inPtr);
        return S_OVERLONG;
      }
      p = next;
    }
    if (recordStatus) {
      pos = <i32>(p - inPtr);
      const s = recordStatus;
      recordStatus = 0;
      return s;
    }
  }
  pos = <i32>(p - inPtr);
  return S_NEED_MORE;
}

/**
 * One record from `recStart`: the address after it, 0 when incomplete, 1 for an unterminated quote (final), 2 for
 * a record over maxRecordBytes (nothing of it is consumed, however it arrived in chunks).
 */
function parseRecord(recStart: usize, end: usize, final: bool): usize {
  let p = recStart;
  let newlines: i32 = 0;
  let nf: i32 = 0;
  problem = 0;
  problemField = -1;
  const Q = quote;
  const E = esc;
  const D = delim;

  if (preambleLeft > 0 || <i32>load<u8>(p) == comment) {
    p = nextLineBreak(p, end);
    if (p == end && !final) return 0;
    if (p < end) {
      if (load<u8>(p) == CR && p + 1 == end && !final) return 0;
      p += load<u8>(p) == CR && p + 1 < end && load<u8>(p + 1) == LF ? 2 : 1;
    }
    if (preambleLeft > 0) {
      preambleLeft--;
      preambleLines += 1;
    } else {
      commentLines += 1;
    }
    line += 1;
    return p;
  }

  for (;;) {
    if (nf == fCap) growFields(fCap * 2);
    const fs = p;
    if (p < end && load<u8>(p) == Q) {
      p++;
      const s = p;
      let escaped = false;
      let inner: i32 = 0;
      for (;;) {
        p = nextQuotedStop(p, end);
        if (p >= end) {
          if (!final) return 0;
          // What is left is longer than a record may be: over the limit, as it would be found while streaming.
          if (<i64>(end - recStart) > <i64>maxRecordBytes) return 2;
          brokenField = nf;
          return 1;
        }
        const c = load<u8>(p);
        if (c == Q) {
          if (E == Q) {
            if (p + 1 >= end && !final) return 0;
            if (p + 1 < end && load<u8>(p + 1) == Q) {
              escaped = true;
              p += 2;
              continue;
            }
          }
          break;
        }
        if (c == E) {
          if (p + 1 >= end && !final) return 0;
          escaped = true;
          p += 2;
          continue;
        }
        if (c == LF || (c == CR && (p + 1 >= end || load<u8>(p + 1) != LF))) inner++;
        p++;
      }
      newlines += inner;
      store<i32>(fStart + <usize>nf * 4, <i32>s);
      store<i32>(fEnd + <usize>nf * 4, <i32>p);
      store<u8>(fKind + <usize>nf, escaped ? K_ESCAPED : K_QUOTED);
      p++;
      if (p < end) {
        const c = load<u8>(p);
        if (c != D && c != LF && c != CR) {
          if (problem == 0) {
            problem = 1;
            problemField = nf;
          }
          while (p < end) {
            const d = load<u8>(p);
            if (d == D || d == LF || d == CR) break;
            p++;
          }
          store<i32>(fStart + <usize>nf * 4, <i32>fs);
          store<i32>(fEnd + <usize>nf * 4, <i32>p);
          store<u8>(fKind + <usize>nf, K_PLAIN);
        }
      }
    } else {
      p = nextPlainStop(p, end);
      if (strict) {
        while (p < end && load<u8>(p) == Q) {
          if (problem == 0) {
            problem = 1;
            problemField = nf;
          }
          p = nextPlainStop(p + 1, end);
        }
      }
      store<i32>(fStart + <usize>nf * 4, <i32>fs);
      store<i32>(fEnd + <usize>nf * 4, <i32>p);
      store<u8>(fKind + <usize>nf, K_PLAIN);
    }
    nf++;
    if (p >= end) {
      if (!final) return 0;
      if (<i64>(p - recStart) > <i64>maxRecordBytes) return 2;
      record(nf, recStart, p);
      line += <f64>newlines;
      return p;
    }
    const c = load<u8>(p);
    if (c == D) {
      p++;
      if (skipSpace) while (p < end && load<u8>(p) == 32) p++;
      continue;
    }
    const recEnd = p;
    if (c == LF) {
      p++;
    } else {
      if (p + 1 >= end && !final) return 0;
      p += p + 1 < end && load<u8>(p + 1) == LF ? 2 : 1;
    }
    if (<i64>(recEnd - recStart) > <i64>maxRecordBytes) return 2;
    record(nf, recStart, recEnd);
    line += <f64>(newlines + 1);
    return p;
  }
}

// ---- The fast path: a record of plain fields, tokenized and converted in one pass -------------------------------

// Per field of a record (8 bytes each): the column's index, and how the fast path reads it.
let fastPlan: usize = 0;
let fastPlanCap: i32 = 0;
const FK_VALUE: i32 = 0; // found by the SIMD search, then appendValue as record() does
const FK_INT32: i32 = 1; // digits read while the field's end is found
const FK_INT64: i32 = 2;

/**
 * Whether records may take the fast path with this configuration, and each field's plan. The fast path reads only
 * what record() would read the same way (no null tokens, no trimming, no number formats, no skipped spaces, no
 * trailing delimiter); anything else it meets in a record (a quoted number, a line break in quotes, an empty record, a
 * field count other than the header's, a value refused) sends that record to parseRecord() from its start.
 */
function planFast(): bool {
  if (!onlyEmptyIsNull || skipSpace || trailingDelim || nfields < 2) return false;
  if (nfields > fastPlanCap) {
    fastPlan = fastPlan ? heap.realloc(fastPlan, <usize>nfields * 8) : heap.alloc(<usize>nfields * 8);
    fastPlanCap = nfields;
  }
  for (let f = 0; f < nfields; f++) {
    const c = load<i32>(fieldMap + <usize>f * 4);
    const cp = cols + <usize>c * COL;
    if (load<i32>(cp + C_TRIM) || load<i32>(cp + C_NUM_FMT)) return false;
    const type = load<i32>(cp + C_TYPE);
    let kind = FK_VALUE;
    if (!hasChecks(cp)) {
      if (type == T_INT32) kind = FK_INT32;
      else if (type == T_INT64) kind = FK_INT64;
    }
    store<i32>(fastPlan + <usize>f * 8, c);
    store<i32>(fastPlan + <usize>f * 8 + 4, kind);
  }
  return true;
}

/** A record the fast path gave up on at field `f`: what it wrote is taken back, as record() does for a refused row. */
function fastGiveUp(row: i32, f: i32): usize {
  rollback(row);
  undoFormats(f);
  return 0;
}

/**
 * One record from `recStart` whose fields are plain or simply quoted: the address after it, or 0 when it is anything
 * else (then parseRecord() reads it from its start, and rejects or waits for more input as it always did).
 */
function fastRecord(recStart: usize, end: usize): usize {
  const first = load<u8>(recStart);
  if (first == LF || first == CR || <i32>first == comment) return 0;
  if (rows == rowCap) ensureRows(rows + 1);
  const row = rows;
  const D = delim;
  const last = nfields - 1;
  let p = recStart;
  for (let f = 0; f <= last; f++) {
    const c = load<i32>(fastPlan + <usize>f * 8);
    const kind = load<i32>(fastPlan + <usize>f * 8 + 4);
    const cp = cols + <usize>c * COL;
    let q = p;
    if (kind != FK_VALUE) {
      let v: i64 = 0;
      for (; q < end; q++) {
        const d = <u32>load<u8>(q) - 48;
        if (d > 9) break;
        v = v * 10 + <i64>d;
      }
      const n = q - p;
      if (q >= end || n > (kind == FK_INT32 ? 9 : 18)) return fastGiveUp(row, f);
      const b = load<u8>(q);
      if (b != D && b != LF && b != CR) return fastGiveUp(row, f);
      if (n == 0) {
        if (!load<i32>(cp + C_NULLABLE)) return fastGiveUp(row, f);
        appendNull(cp, load<i32>(cp + C_TYPE), row);
      } else if (kind == FK_INT32) {
        store<i32>(load<usize>(cp + C_VALUES) + <usize>row * 4, <i32>v);
      } else {
        store<i64>(load<usize>(cp + C_VALUES) + <usize>row * 8, v);
      }
    } else {
      let s = p;
      let e: usize = 0;
      let quoted = false;
      if (load<u8>(p) == quote) {
        // Quoted: the value between the quotes, doubled or escaped quotes taken out. A line break inside, or
        // anything but a delimiter or a line break after the closing quote, is for the general path.
        quoted = true;
        let escaped = false;
        q = p + 1;
        for (;;) {
          q = nextQuotedStop(q, end);
          if (q + 1 >= end) return fastGiveUp(row, f);
          const ch = load<u8>(q);
          if (ch == quote) {
            if (esc != quote || load<u8>(q + 1) != quote) break;
          } else if (ch != esc) {
            return fastGiveUp(row, f);
          }
          escaped = true;
          q += 2;
        }
        const after = load<u8>(q + 1);
        if (after != D && after != LF && after != CR) return fastGiveUp(row, f);
        s = p + 1;
        e = q;
        if (escaped) {
          ensureScratch(<i32>(e - s));
          s = scratch;
          e = scratch + <usize>unescape(p + 1, q, scratch);
        }
      } else {
        q = nextPlainStop(p, end);
        if (q >= end || load<u8>(q) == quote) return fastGiveUp(row, f);
        e = q;
      }
      const type = load<i32>(cp + C_TYPE);
      // An empty plain field is null; an empty quoted one is null but for strings (where it is "").
      const isNull = e == s && (!quoted || type != T_STRING);
      if (isNull) {
        if (!load<i32>(cp + C_NULLABLE)) return fastGiveUp(row, f);
        appendNull(cp, type, row);
      } else if (appendValue(c, cp, type, row, s, e, q > validEnd)) {
        return fastGiveUp(row, f);
      }
      if (load<i32>(cp + C_ALT_N)) countFormat(cp, isNull);
      if (isNull && type == T_FLOAT64) store<i32>(cp + C_LAST_ROUNDED, 0);
      if (quoted) q++;
    }
    const b = load<u8>(q);
    if (f < last) {
      if (b != D) return fastGiveUp(row, f + 1);
      p = q + 1;
      continue;
    }
    // The record's end: a line break (a delimiter here is a field more than the header's).
    if (b == D) return fastGiveUp(row, f + 1);
    const recEnd = q;
    if (b == LF) {
      p = q + 1;
    } else {
      if (q + 1 >= end) return fastGiveUp(row, f + 1);
      p = q + (load<u8>(q + 1) == LF ? 2 : 1);
    }
    // Every field empty is a blank row, not a row of nulls; an overlong record is refused by parseRecord().
    if (recEnd - recStart == <usize>last || <i64>(recEnd - recStart) > <i64>maxRecordBytes) return fastGiveUp(row, f + 1);
    nfLast = nfields;
    rowsRead += 1;
    fastRows += 1;
    finishRow(row, recStart, recEnd);
    line += 1;
  }
  return p;
}

// ---- Records to columns -------------------------------------------------------------------------------------

function addReject(recStart: usize, recEnd: usize, field: i32, reason: i32, aux: i32): void {
  if (rejectCount == rejectCap) {
    rejectCap *= 2;
    rejects = heap.realloc(rejects, <usize>rejectCap * REJECT_SIZE);
  }
  const r = rejects + <usize>rejectCount * REJECT_SIZE;
  store<f64>(r + RJ_LINE, line);
  store<i32>(r + RJ_START, <i32>(recStart - inPtr));
  store<i32>(r + RJ_END, <i32>(recEnd - inPtr));
  store<i32>(r + RJ_FIELD, field);
  store<i32>(r + RJ_REASON, reason);
  store<i32>(r + RJ_AUX, aux);
  rejectCount++;
  rowsRejected += 1;
}

function record(nf: i32, recStart: usize, recEnd: usize): void {
  nfLast = nf;
  if (nf == 1 && recEnd == recStart && ncols > 1) {
    blankLines += 1;
    return;
  }
  const blank = nf > 1 && recEnd - recStart == <usize>(nf - 1);
  // A delimiter after every record: the empty field after the last one is not a field.
  if (
    trailingDelim &&
    nf > 1 &&
    load<u8>(fKind + <usize>(nf - 1)) == K_PLAIN &&
    load<i32>(fStart + <usize>(nf - 1) * 4) == load<i32>(fEnd + <usize>(nf - 1) * 4)
  ) {
    nf--;
    nfLast = nf;
  }
  if (awaitingHeader) {
    recordStatus = S_HEADER;
    return;
  }
  rowsRead += 1;
  // Every field empty (only delimiters: a spreadsheet's trailing ,,,,, lines): counted, not a row of nulls.
  if (blank) {
    rowsBlank += 1;
    return;
  }
  if (problem) {
    addReject(recStart, recEnd, problemField, R_STRAY_QUOTE, 0);
    return;
  }
  if (nf != nfields) {
    addReject(recStart, recEnd, -1, R_RAGGED_ROW, nf);
    return;
  }
  if (rows == rowCap) ensureRows(rows + 1);
  const row = rows;
  for (let f = 0; f < nf; f++) {
    const c = load<i32>(fieldMap + <usize>f * 4);
    const cp = cols + <usize>c * COL;
    let s = <usize>load<i32>(fStart + <usize>f * 4);
    let e = <usize>load<i32>(fEnd + <usize>f * 4);
    const rawEnd = e;
    const kind = load<u8>(fKind + <usize>f);
    if (kind == K_ESCAPED) {
      ensureScratch(<i32>(e - s));
      const n = unescape(s, e, scratch);
      s = scratch;
      e = scratch + <usize>n;
    }
    if (load<i32>(cp + C_TRIM)) {
      while (s < e && (load<u8>(s) == 32 || load<u8>(s) == 9)) s++;
      while (e > s && (load<u8>(e - 1) == 32 || load<u8>(e - 1) == 9)) e--;
    }
    const type = load<i32>(cp + C_TYPE);
    const isNull = kind == K_PLAIN ? (onlyEmptyIsNull ? e == s : isNullToken(s, e)) : e == s && type != T_STRING;
    let code: i32 = 0;
    if (isNull) {
      if (!load<i32>(cp + C_NULLABLE)) code = R_NULL_NOT_ALLOWED;
      else appendNull(cp, type, row);
    } else if (load<i32>(cp + C_NUM_FMT)) {
      const n = normalizeNumber(cp, s, e);
      code = n < 0 ? R_INVALID_VALUE : appendValue(c, cp, type, row, numScratch, numScratch + <usize>n, false);
    } else {
      code = appendValue(c, cp, type, row, s, e, rawEnd > validEnd);
    }
    if (code) {
      rollback(row);
      undoFormats(f);
      addReject(recStart, recEnd, f, code, 0);
      return;
    }
    if (load<i32>(cp + C_ALT_N)) countFormat(cp, isNull);
    if (isNull && type == T_FLOAT64) store<i32>(cp + C_LAST_ROUNDED, 0);
  }
  finishRow(row, recStart, recEnd);
}

/**
 * A row whose fields are all in (record() and the fast path): the columns the file lacks get nulls, the row its line
 * number, and the batch is full at its row count (or, for the first batch, at its size in bytes).
 */
@inline function finishRow(row: i32, recStart: usize, recEnd: usize): void {
  for (let m = 0; m < nmissing; m++) {
    const c = load<i32>(missing + <usize>m * 4);
    const cp = cols + <usize>c * COL;
    appendNull(cp, load<i32>(cp + C_TYPE), row);
  }
  store<i64>(lines + <usize>row * 8, <i64>line);
  rows = row + 1;
  rowsWritten += 1;
  if (batchRows ? rows == batchRows : base + <f64>(recStart - inPtr) + <f64>(recEnd - recStart) >= batchBytes || rows >= maxBatchRows) {
    if (!batchRows) batchRows = rows;
    recordStatus = S_BATCH_FULL;
  }
}

/** Number columns with a format: where the wrapper writes the currency symbol's bytes. */
export function setNumberFormat(c: i32, percent: bool, currencyLen: i32): usize {
  const cp = cols + <usize>c * COL;
  store<i32>(cp + C_NUM_FMT, 1);
  store<i32>(cp + C_PERCENT, percent ? 1 : 0);
  store<i32>(cp + C_CURRENCY_N, currencyLen);
  const ptr = currencyLen > 0 ? heap.alloc(<usize>currencyLen) : 0;
  store<usize>(cp + C_CURRENCY_PTR, ptr);
  return ptr;
}

@inline function isSpaceByte(c: u8): bool {
  return c == 32 || c == 9;
}

/**
 * A number in the column's format rewritten as plain text into numScratch (src/csv/numbers.ts: normalizeNumber,
 * the same rules): its length, or -1 when the text does not follow the format.
 */
function normalizeNumber(cp: usize, s: usize, e: usize): i32 {
  const need = <i32>(e - s) + 8;
  // Twice the need: a percentage gathers its digits at the far end while writing from the start.
  if (numScratchCap < need * 2) {
    numScratchCap = need * 2;
    numScratch = numScratch ? heap.realloc(numScratch, <usize>numScratchCap) : heap.alloc(<usize>numScratchCap);
  }
  while (s < e && isSpaceByte(load<u8>(s))) s++;
  while (e > s && isSpaceByte(load<u8>(e - 1))) e--;
  let neg = false;
  let signed = false;
  if (s < e && (load<u8>(s) == 45 || load<u8>(s) == 43)) {
    neg = load<u8>(s) == 45;
    signed = true;
    s++;
    while (s < e && isSpaceByte(load<u8>(s))) s++;
  }
  const curN = <usize>load<i32>(cp + C_CURRENCY_N);
  if (curN > 0) {
    const cur = load<usize>(cp + C_CURRENCY_PTR);
    if (e - s >= curN && memory.compare(s, cur, curN) == 0) {
      s += curN;
      while (s < e && isSpaceByte(load<u8>(s))) s++;
    } else if (e - s >= curN && memory.compare(e - curN, cur, curN) == 0) {
      e -= curN;
      while (e > s && isSpaceByte(load<u8>(e - 1))) e--;
    }
    if (!signed && s < e && (load<u8>(s) == 45 || load<u8>(s) == 43)) {
      neg = load<u8>(s) == 45;
      signed = true;
      s++;
      while (s < e && isSpaceByte(load<u8>(s))) s++;
    }
  }
  const percent = load<i32>(cp + C_PERCENT) != 0;
  if (percent && e > s && load<u8>(e - 1) == 37) {
    e--;
    while (e > s && isSpaceByte(load<u8>(e - 1))) e--;
  }
  const out = numScratch;
  let o: i32 = 0;
  if (neg) {
    store<u8>(out, 45);
    o = 1;
  }
  const start = o;
  let point: i32 = -1;
  let group: i32 = -1;
  let intDigits: i32 = 0;
  for (let p = s; p < e; p++) {
    const c = <i32>load<u8>(p);
    if (c == thousandsSep && point < 0) {
      if (intDigits == 0 || (group >= 0 ? group != 3 : intDigits > 3)) return -1;
      group = 0;
      continue;
    }
    if (c == decimalSep && point < 0) {
      if (group >= 0 && group != 3) return -1;
      point = o;
      store<u8>(out + <usize>o, 46);
      o++;
      continue;
    }
    if (c >= 48 && c <= 57) {
      if (point < 0) {
        intDigits++;
        if (group >= 0) group++;
      }
      store<u8>(out + <usize>o, <u8>c);
      o++;
      continue;
    }
    if (c == 46 || c == 44) return -1;
    store<u8>(out + <usize>o, <u8>c);
    o++;
  }
  if (point < 0 && group >= 0 && group != 3) return -1;
  if (!percent) return o;
  // A percentage: the decimal point two places to the left, on plain digits only.
  let digits: i32 = 0;
  for (let p = start; p < o; p++) {
    const c = load<u8>(out + <usize>p);
    if (c >= 48 && c <= 57) digits++;
    else if (p != point) return -1;
  }
  if (digits == 0) return -1;
  // The digits gathered at the far end of the scratch (twice the need), then the result written from the start.
  const tmp = out + <usize>(numScratchCap - digits);
  let n: i32 = 0;
  for (let p = start; p < o; p++) {
    if (p == point) continue;
    store<u8>(tmp + <usize>n, load<u8>(out + <usize>p));
    n++;
  }
  const k = (point < 0 ? o : point) - start - 2;
  o = start;
  if (k <= 0) {
    store<u8>(out + <usize>o, 48);
    o++;
    store<u8>(out + <usize>o, 46);
    o++;
    for (let z = 0; z < -k; z++) {
      store<u8>(out + <usize>o, 48);
      o++;
    }
    for (let i = 0; i < digits; i++) {
      store<u8>(out + <usize>o, load<u8>(tmp + <usize>i));
      o++;
    }
  } else {
    for (let i = 0; i < digits; i++) {
      if (i == k) {
        store<u8>(out + <usize>o, 46);
        o++;
      }
      store<u8>(out + <usize>o, load<u8>(tmp + <usize>i));
      o++;
    }
  }
  return o;
}

function unescape(s: usize, e: usize, out: usize): i32 {
  let o: usize = out;
  const Q = quote;
  const E = esc;
  for (let p = s; p < e; p++) {
    const c = load<u8>(p);
    if ((c == E || c == Q) && p + 1 < e) {
      p++;
      store<u8>(o++, load<u8>(p));
    } else {
      store<u8>(o++, c);
    }
  }
  return <i32>(o - out);
}

function isNullToken(s: usize, e: usize): bool {
  const n = <i32>(e - s);
  let t = nullTokens;
  for (let i = 0; i < nullTokenCount; i++) {
    const len = load<i32>(t);
    if (len == n && memory.compare(t + 4, s, <usize>n) == 0) return true;
    t += 4 + ((<usize>len + 3) & ~3);
  }
  return false;
}

/**
 * A null: its validity bit cleared. Bits start set (allocColumn, resetBatch) and a value leaves its own alone: a row
 * of values touches no bitmap (setting a bit per value was ~5% of the core's time on the click log).
 */
function appendNull(cp: usize, type: i32, row: i32): void {
  const v = load<usize>(cp + C_VALIDITY) + <usize>(row >> 3);
  store<u8>(v, load<u8>(v) & ~<u8>(1 << <u8>(row & 7)));
  if (type == T_STRING) store<i32>(load<usize>(cp + C_OFFSETS) + <usize>(row + 1) * 4, load<i32>(cp + C_USED));
}

/** Columns with several formats: which one read the value (undone if a later field refuses the row). */
function countFormat(cp: usize, isNull: bool): void {
  if (isNull) {
    store<i32>(cp + C_LAST_FMT, -1);
  } else {
    store<i32>(cp + C_LAST_FMT, matchedFmt);
    const at = load<usize>(cp + C_FMT_COUNTS) + <usize>matchedFmt * 8;
    store<f64>(at, load<f64>(at) + 1);
  }
}

/** A row refused at field `upTo`: the format and rounded-value counts its earlier fields added are taken back. */
function undoFormats(upTo: i32): void {
  for (let g = 0; g < upTo; g++) {
    const cp = cols + <usize>load<i32>(fieldMap + <usize>g * 4) * COL;
    if (load<i32>(cp + C_TYPE) == T_FLOAT64 && load<i32>(cp + C_LAST_ROUNDED)) {
      store<f64>(cp + C_ROUNDED, load<f64>(cp + C_ROUNDED) - 1);
      store<i32>(cp + C_LAST_ROUNDED, 0);
    }
    if (!load<i32>(cp + C_ALT_N)) continue;
    const k = load<i32>(cp + C_LAST_FMT);
    if (k < 0) continue;
    const at = load<usize>(cp + C_FMT_COUNTS) + <usize>k * 8;
    store<f64>(at, load<f64>(at) - 1);
  }
}

/** How many written values of float64 column `c` the double does not hold as the file wrote them. */
export function roundedCount(c: i32): f64 {
  return load<f64>(cols + <usize>c * COL + C_ROUNDED);
}

function rollback(row: i32): void {
  for (let c = 0; c < ncols; c++) {
    const cp = cols + <usize>c * COL;
    // The row's bits back to set, as a row not yet written has them.
    const v = load<usize>(cp + C_VALIDITY) + <usize>(row >> 3);
    store<u8>(v, load<u8>(v) | <u8>(1 << <u8>(row & 7)));
    if (load<i32>(cp + C_TYPE) == T_STRING) store<i32>(cp + C_USED, load<i32>(load<usize>(cp + C_OFFSETS) + <usize>row * 4));
  }
}

/** Whether a number column has a range or a list of allowed values (checkNumber reads them). */
@inline function hasChecks(cp: usize): bool {
  return (load<u16>(cp + C_HAS_MIN) | load<u8>(cp + C_HAS_ALLOWED)) != 0;
}

/** A number column's range and allowed values: 0, or the reason `v` fails them (columns without checks: 0 at once). */
@inline function checkNumber(cp: usize, v: f64): i32 {
  return hasChecks(cp) ? failedCheck(cp, v) : 0;
}

function failedCheck(cp: usize, v: f64): i32 {
  if (load<u8>(cp + C_HAS_ALLOWED)) {
    const a = load<usize>(cp + C_ALLOWED_PTR);
    const n = load<i32>(cp + C_ALLOWED_N);
    let found = false;
    for (let i = 0; i < n; i++) {
      const x = load<f64>(a + <usize>i * 8);
      if (x == v || (isNaN(x) && isNaN(v))) {
        found = true;
        break;
      }
    }
    if (!found) return R_CHECK_ALLOWED;
  }
  if ((load<u8>(cp + C_HAS_MIN) && v < load<f64>(cp + C_MIN)) || (load<u8>(cp + C_HAS_MAX) && v > load<f64>(cp + C_MAX))) return R_CHECK_RANGE;
  return 0;
}

/** At most `most` ASCII digits and nothing else (so no sign, no overflow below 19): their value; else -1. */
@inline function plainDigits(s: usize, e: usize, most: usize): i64 {
  if (s >= e || e - s > most) return -1;
  let v: i64 = 0;
  for (let p = s; p < e; p++) {
    const d = <u32>load<u8>(p) - 48;
    if (d > 9) return -1;
    v = v * 10 + <i64>d;
  }
  return v;
}

function appendValue(c: i32, cp: usize, type: i32, row: i32, s: usize, e: usize, checkUtf8: bool): i32 {
  switch (type) {
    case T_STRING: return appendString(c, cp, row, s, e, checkUtf8);
    case T_INT32: {
      // Ids, codes and counts first: up to nine digits, no sign.
      const u = plainDigits(s, e, 9);
      if (u >= 0) {
        const code = checkNumber(cp, <f64>u);
        if (code) return code;
        store<i32>(load<usize>(cp + C_VALUES) + <usize>row * 4, <i32>u);
        break;
      }
      if (!parseInt(s, e, false)) return R_INVALID_VALUE;
      if (intNeg ? intMag > 2147483648 : intMag > 2147483647) return R_INVALID_VALUE;
      const v: i32 = intNeg ? -<i32>intMag : <i32>intMag;
      const code = checkNumber(cp, intNeg && intMag == 0 ? -0.0 : <f64>v);
      if (code) return code;
      store<i32>(load<usize>(cp + C_VALUES) + <usize>row * 4, v);
      break;
    }
    case T_INT64: {
      const u = plainDigits(s, e, 18);
      if (u >= 0) {
        const code = checkNumber(cp, <f64>u);
        if (code) return code;
        store<i64>(load<usize>(cp + C_VALUES) + <usize>row * 8, u);
        break;
      }
      if (!parseInt(s, e, true)) return R_INVALID_VALUE;
      const v: i64 = intNeg ? -<i64>intMag : <i64>intMag;
      const code = checkNumber(cp, intNeg && intMag == 0 ? -0.0 : <f64>v);
      if (code) return code;
      store<i64>(load<usize>(cp + C_VALUES) + <usize>row * 8, v);
      break;
    }
    case T_FLOAT64: {
      slowFloat = false;
      const v = parseFloat64(s, e);
      if (isNaN(v) && !isNaNLiteral(s, e)) return R_INVALID_VALUE;
      const code = checkNumber(cp, v);
      if (code) return code;
      store<f64>(load<usize>(cp + C_VALUES) + <usize>row * 8, v);
      // A value the double does not hold as written lands (the contract asked for a float) and is counted.
      const rounded = slowFloat && floatHoldsText(s, <i32>(e - s), v) == 0;
      store<i32>(cp + C_LAST_ROUNDED, rounded ? 1 : 0);
      if (rounded) store<f64>(cp + C_ROUNDED, load<f64>(cp + C_ROUNDED) + 1);
      break;
    }
    case T_DECIMAL: {
      if (!parseDecimal(s, e, load<i32>(cp + C_PRECISION), load<i32>(cp + C_SCALE))) return R_INVALID_VALUE;
      // Tested here: the value checked costs a division.
      if (hasChecks(cp)) {
        const code = checkNumber(cp, decimalToF64() / load<f64>(cp + C_POW10));
        if (code) return code;
      }
      const p = load<usize>(cp + C_VALUES) + <usize>row * 16;
      store<u64>(p, decLo);
      store<u64>(p + 8, decHi);
      break;
    }
    case T_BOOLEAN: {
      const v = parseBoolean(s, e);
      if (v < 0) return R_INVALID_VALUE;
      if (load<u8>(cp + C_HAS_ALLOWED) && !load<u8>(cp + (v ? C_ALLOW_TRUE : C_ALLOW_FALSE))) return R_CHECK_ALLOWED;
      if (v) {
        const b = load<usize>(cp + C_VALUES) + <usize>(row >> 3);
        store<u8>(b, load<u8>(b) | <u8>(1 << <u8>(row & 7)));
      } else {
        const b = load<usize>(cp + C_VALUES) + <usize>(row >> 3);
        store<u8>(b, load<u8>(b) & ~<u8>(1 << <u8>(row & 7)));
      }
      break;
    }
    case T_DATE: {
      const v = parseDate(cp, s, e);
      if (isNaN(v)) return R_INVALID_VALUE;
      const code = checkNumber(cp, v);
      if (code) return code;
      store<i32>(load<usize>(cp + C_VALUES) + <usize>row * 4, <i32>v);
      break;
    }
    case T_TIMESTAMP: {
      const v = parseTimestamp(cp, s, e);
      if (isNaN(v)) return R_INVALID_VALUE;
      if (!(Math.abs(v) <= 9007199254740991.0) || Math.floor(v) != v) return R_INVALID_VALUE;
      const code = checkNumber(cp, v);
      if (code) return code;
      store<i64>(load<usize>(cp + C_VALUES) + <usize>row * 8, <i64>v);
      break;
    }
    default:
      return R_INVALID_VALUE;
  }
  return 0;
}

function appendString(c: i32, cp: usize, row: i32, s: usize, e: usize, checkUtf8: bool): i32 {
  const n = <i32>(e - s);
  let used = load<i32>(cp + C_USED);
  const need = used + (latin1 ? n * 2 : n);
  let cap = load<i32>(cp + C_DATA_CAP);
  if (need > cap) {
    while (cap < need) cap *= 2;
    store<usize>(cp + C_DATA, heap.realloc(load<usize>(cp + C_DATA), <usize>cap + 16));
    store<i32>(cp + C_DATA_CAP, cap);
  }
  const dst = load<usize>(cp + C_DATA) + <usize>used;
  let len = n;
  if (latin1) {
    let o = dst;
    for (let p = s; p < e; p++) {
      const b = load<u8>(p);
      if (b < 0x80) {
        store<u8>(o++, b);
      } else {
        store<u8>(o++, 0xc0 | (b >> 6));
        store<u8>(o++, 0x80 | (b & 0x3f));
      }
    }
    len = <i32>(o - dst);
  } else {
    if (checkUtf8 && !validUtf8(s, e)) return R_INVALID_UTF8;
    memory.copy(dst, s, <usize>n);
  }
  if (load<u8>(cp + C_JS_CHECK)) {
    const code = checkString(c, dst, len);
    if (code) return code;
  }
  used += len;
  store<i32>(cp + C_USED, used);
  store<i32>(load<usize>(cp + C_OFFSETS) + <usize>(row + 1) * 4, used);
  return 0;
}

/** Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF), as Node's buffer.isUtf8. */
function validUtf8(p: usize, e: usize): bool {
  while (p < e) {
    if (p + 8 <= e && (load<u64>(p) & 0x8080808080808080) == 0) {
      p += 8;
      continue;
    }
    const c = <u32>load<u8>(p);
    if (c < 0x80) {
      p++;
      continue;
    }
    if (c < 0xc2) return false;
    if (c < 0xe0) {
      if (p + 2 > e || (load<u8>(p + 1) & 0xc0) != 0x80) return false;
      p += 2;
      continue;
    }
    if (c < 0xf0) {
      if (p + 3 > e) return false;
      const c1 = <u32>load<u8>(p + 1);
      if ((c1 & 0xc0) != 0x80 || (load<u8>(p + 2) & 0xc0) != 0x80) return false;
      if (c == 0xe0 && c1 < 0xa0) return false;
      if (c == 0xed && c1 > 0x9f) return false;
      p += 3;
      continue;
    }
    if (c < 0xf5) {
      if (p + 4 > e) return false;
      const c1 = <u32>load<u8>(p + 1);
      if ((c1 & 0xc0) != 0x80 || (load<u8>(p + 2) & 0xc0) != 0x80 || (load<u8>(p + 3) & 0xc0) != 0x80) return false;
      if (c == 0xf0 && c1 < 0x90) return false;
      if (c == 0xf4 && c1 > 0x8f) return false;
      p += 4;
      continue;
    }
    return false;
  }
  return true;
}

// ---- Numbers ------------------------------------------------------------------------------------------------

let intNeg = false;
let intMag: u64 = 0;

/**
 * Integer text as sign and magnitude. Accepted as the reference does: up to 15 digits always; more digits
 * when the value is a safe integer (|v| < 2^53) or, for int64, fits 19 digits and the int64 range.
 */
function parseInt(s: usize, e: usize, int64: bool): bool {
  let p = s;
  intNeg = false;
  if (p < e && (load<u8>(p) == 45 || load<u8>(p) == 43)) {
    intNeg = load<u8>(p) == 45;
    p++;
  }
  const nd = <i32>(e - p);
  if (nd == 0) return false;
  let v: u64 = 0;
  let overflow = false;
  for (; p < e; p++) {
    const d = <u32>load<u8>(p) - 48;
    if (d > 9) return false;
    if (v > 1844674407370955161) overflow = true;
    const next = v * 10 + <u64>d;
    if (next < v * 10) overflow = true;
    v = next;
  }
  intMag = v;
  if (nd <= 15) return true;
  if (overflow) return false;
  if (v <= 9007199254740991) return true;
  if (!int64 || nd > 19) return false;
  return intNeg ? v <= 9223372036854775808 : v <= 9223372036854775807;
}

// Exact powers of ten for the fast float path (Clinger: exact while mantissa < 2^53 and |exp| <= 22).
const POW10: StaticArray<f64> = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

function parseFloat64(s: usize, e: usize): f64 {
  let p = s;
  let neg = false;
  if (p < e && (load<u8>(p) == 45 || load<u8>(p) == 43)) {
    neg = load<u8>(p) == 45;
    p++;
  }
  let mant: f64 = 0;
  let nd: i32 = 0;
  let scale: i32 = 0;
  let any = false;
  for (; p < e; p++) {
    const d = <u32>load<u8>(p) - 48;
    if (d > 9) break;
    mant = mant * 10 + <f64>d;
    if (mant != 0) nd++;
    any = true;
  }
  if (p < e && load<u8>(p) == 46) {
    p++;
    for (; p < e; p++) {
      const d = <u32>load<u8>(p) - 48;
      if (d > 9) break;
      mant = mant * 10 + <f64>d;
      if (mant != 0) nd++;
      scale++;
      any = true;
    }
  }
  if (p == e && any && nd <= 15 && scale <= 22) {
    const v = mant / unchecked(POW10[scale]);
    return neg ? -v : v;
  }
  slowFloat = true;
  return parseFloatSlow(s, <i32>(e - s));
}

function isNaNLiteral(s: usize, e: usize): bool {
  let p = s;
  if (p < e && (load<u8>(p) == 45 || load<u8>(p) == 43)) p++;
  return e - p == 3 && (load<u8>(p) | 32) == 110 && (load<u8>(p + 1) | 32) == 97 && (load<u8>(p + 2) | 32) == 110;
}

let decLo: u64 = 0;
let decHi: u64 = 0;

@inline function decMulAdd(d: u64): void {
  // (hi, lo) = (hi, lo) * 10 + d, modulo 2^128
  const lo = decLo;
  const a = (lo & 0xffffffff) * 10 + d;
  const b = (lo >> 32) * 10 + (a >> 32);
  decLo = (a & 0xffffffff) | (b << 32);
  decHi = decHi * 10 + (b >> 32);
}

/** Decimal as an unscaled 128-bit integer of `scale` fraction digits, rounded half away from zero. */
function parseDecimal(s: usize, e: usize, precision: i32, scale: i32): bool {
  let p = s;
  let neg = false;
  if (p < e && (load<u8>(p) == 45 || load<u8>(p) == 43)) {
    neg = load<u8>(p) == 45;
    p++;
  }
  const intStart = p;
  while (p < e && load<u8>(p) >= 48 && load<u8>(p) <= 57) p++;
  const intEnd = p;
  let fracStart = p;
  let fracEnd = p;
  if (p < e && load<u8>(p) == 46) {
    fracStart = ++p;
    while (p < e && load<u8>(p) >= 48 && load<u8>(p) <= 57) p++;
    fracEnd = p;
  }
  if (p != e || (intEnd == intStart && fracEnd == fracStart)) return false;
  let lead = intStart;
  while (lead < intEnd && load<u8>(lead) == 48) lead++;
  if (<i32>(intEnd - lead) > precision - scale) return false;
  const fracLen = <i32>(fracEnd - fracStart);
  const kept = min(fracLen, scale);
  const roundUp = fracLen > scale && load<u8>(fracStart + <usize>scale) >= 53;
  if (<i32>(intEnd - lead) + scale <= 18) {
    // Fits 64 bits: no 128-bit steps (prices, amounts).
    let v: u64 = 0;
    for (let k = lead; k < intEnd; k++) v = v * 10 + <u64>(load<u8>(k) - 48);
    for (let k = 0; k < kept; k++) v = v * 10 + <u64>(load<u8>(fracStart + <usize>k) - 48);
    for (let k = kept; k < scale; k++) v *= 10;
    if (roundUp) v += 1;
    decLo = neg ? ~v + 1 : v;
    decHi = neg && v != 0 ? <u64>-1 : 0;
    return true;
  }
  decLo = 0;
  decHi = 0;
  for (let k = lead; k < intEnd; k++) decMulAdd(<u64>(load<u8>(k) - 48));
  for (let k = 0; k < kept; k++) decMulAdd(<u64>(load<u8>(fracStart + <usize>k) - 48));
  for (let k = kept; k < scale; k++) decMulAdd(0);
  if (roundUp) {
    decLo += 1;
    if (decLo == 0) decHi += 1;
  }
  if (neg) {
    decLo = ~decLo + 1;
    decHi = ~decHi + (decLo == 0 ? 1 : 0);
  }
  return true;
}

function decimalToF64(): f64 {
  const hi = <i64>decHi;
  if ((hi == 0 && <i64>decLo >= 0) || (hi == -1 && <i64>decLo < 0)) return <f64><i64>decLo;
  return <f64>hi * 18446744073709551616.0 + <f64>decLo;
}

function parseBoolean(s: usize, e: usize): i32 {
  const n = <i32>(e - s);
  if (n == 0) return -1;
  const c = load<u8>(s) | 32;
  if (n == 1) {
    if (c == 49 || c == 116 || c == 121) return 1;
    if (c == 48 || c == 102 || c == 110) return 0;
    return -1;
  }
  if (n == 4 && c == 116 && (load<u8>(s + 1) | 32) == 114 && (load<u8>(s + 2) | 32) == 117 && (load<u8>(s + 3) | 32) == 101) return 1;
  if (n == 5 && c == 102 && (load<u8>(s + 1) | 32) == 97 && (load<u8>(s + 2) | 32) == 108 && (load<u8>(s + 3) | 32) == 115 && (load<u8>(s + 4) | 32) == 101) return 0;
  if (n == 3 && c == 121 && (load<u8>(s + 1) | 32) == 101 && (load<u8>(s + 2) | 32) == 115) return 1;
  if (n == 2 && c == 110 && (load<u8>(s + 1) | 32) == 111) return 0;
  return -1;
}

// ---- Dates and timestamps -----------------------------------------------------------------------------------

let tYear: f64 = 0;
let tMeridiem: i32 = -1; // -1: no AM/PM in the value; 0: AM; 1: PM

// English month names, nine bytes each (zero-padded): matched in full, by their first three letters, or "sept".
const MONTH_NAMES = memory.data<u8>([
  106, 97, 110, 117, 97, 114, 121, 0, 0, // january
  102, 101, 98, 114, 117, 97, 114, 121, 0, // february
  109, 97, 114, 99, 104, 0, 0, 0, 0, // march
  97, 112, 114, 105, 108, 0, 0, 0, 0, // april
  109, 97, 121, 0, 0, 0, 0, 0, 0, // may
  106, 117, 110, 101, 0, 0, 0, 0, 0, // june
  106, 117, 108, 121, 0, 0, 0, 0, 0, // july
  97, 117, 103, 117, 115, 116, 0, 0, 0, // august
  115, 101, 112, 116, 101, 109, 98, 101, 114, // september
  111, 99, 116, 111, 98, 101, 114, 0, 0, // october
  110, 111, 118, 101, 109, 98, 101, 114, 0, // november
  100, 101, 99, 101, 109, 98, 101, 114, 0, // december
]);

/** A month name at `p` (sets tMonth): the address after it, or 0. */
function parseMonthName(p: usize, e: usize): usize {
  let n: i32 = 0;
  while (p + <usize>n < e && n < 9) {
    const c = load<u8>(p + <usize>n) | 32;
    if (c < 97 || c > 122) break;
    n++;
  }
  if (n < 3) return 0;
  for (let m = 0; m < 12; m++) {
    const name = MONTH_NAMES + <usize>m * 9;
    let k: i32 = 0;
    while (k < n && (load<u8>(p + <usize>k) | 32) == load<u8>(name + <usize>k)) k++;
    if (k < n) continue;
    // All n letters agree: the whole name, or its first three letters.
    if (n == 3 || n == 9 || load<u8>(name + <usize>n) == 0) {
      tMonth = m + 1;
      return p + <usize>n;
    }
  }
  if (n == 4 && (load<u8>(p) | 32) == 115 && (load<u8>(p + 1) | 32) == 101 && (load<u8>(p + 2) | 32) == 112 && (load<u8>(p + 3) | 32) == 116) {
    tMonth = 9;
    return p + 4;
  }
  return 0;
}
let tMonth: i32 = 0;
let tDay: i32 = 0;
let tHour: i32 = 0;
let tMinute: i32 = 0;
let tSecond: i32 = 0;
let tMicros: i32 = 0;
let tOffset: i32 = 0;

function tReset(): void {
  tMeridiem = -1;
  tYear = 0;
  tMonth = 0;
  tDay = 0;
  tHour = 0;
  tMinute = 0;
  tSecond = 0;
  tMicros = 0;
  tOffset = 0;
}

function daysFromCivil(year: f64, m: i32, d: i32): f64 {
  const y = year - (m <= 2 ? 1 : 0);
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor(<f64>(153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + <f64>d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: f64, m: i32): i32 {
  if (m == 2) return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28;
  return m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31;
}

function digits(p: usize, e: usize, n: i32): i32 {
  if (p + <usize>n > e) return -1;
  let v: i32 = 0;
  for (let k = 0; k < n; k++) {
    const d = <u32>load<u8>(p + <usize>k) - 48;
    if (d > 9) return -1;
    v = v * 10 + <i32>d;
  }
  return v;
}

@inline function at(p: usize, e: usize): i32 {
  return p < e ? <i32>load<u8>(p) : -1;
}

function validDate(): bool {
  return tMonth >= 1 && tMonth <= 12 && tDay >= 1 && tDay <= daysInMonth(tYear, tMonth);
}

function validTime(): bool {
  return tHour < 24 && tMinute < 60 && tSecond < 60;
}

function parseFraction(p: usize, e: usize): usize {
  let n: i32 = 0;
  let micros: i32 = 0;
  while (p < e) {
    const d = <u32>load<u8>(p) - 48;
    if (d > 9) break;
    if (n < 6) micros = micros * 10 + <i32>d;
    n++;
    p++;
  }
  if (n == 0 || n > 9) return 0;
  for (let k = n; k < 6; k++) micros *= 10;
  tMicros = micros;
  return p;
}

function parseIso(s: usize, e: usize): bool {
  tReset();
  let p = s;
  let sign: f64 = 1;
  if (at(p, e) == 45) {
    sign = -1;
    p++;
  }
  const y = digits(p, e, 4);
  if (y < 0 || at(p + 4, e) != 45) return false;
  const mo = digits(p + 5, e, 2);
  if (mo < 0 || at(p + 7, e) != 45) return false;
  const d = digits(p + 8, e, 2);
  if (d < 0) return false;
  tYear = sign * <f64>y;
  tMonth = mo;
  tDay = d;
  p += 10;
  if (p == e) return validDate();
  const t = at(p, e);
  if (t != 84 && t != 32) return false;
  p++;
  const h = digits(p, e, 2);
  if (h < 0 || at(p + 2, e) != 58) return false;
  const mi = digits(p + 3, e, 2);
  if (mi < 0) return false;
  tHour = h;
  tMinute = mi;
  p += 5;
  if (p < e && load<u8>(p) == 58) {
    const sec = digits(p + 1, e, 2);
    if (sec < 0) return false;
    tSecond = sec;
    p += 3;
    if (p < e && (load<u8>(p) == 46 || load<u8>(p) == 44)) {
      p = parseFraction(p + 1, e);
      if (p == 0) return false;
    }
  }
  if (p < e) {
    const c = load<u8>(p);
    if (c == 90 && p + 1 == e) return validDate() && validTime();
    if (c != 43 && c != 45) return false;
    const oh = digits(p + 1, e, 2);
    if (oh < 0) return false;
    let q = p + 3;
    let om: i32 = 0;
    if (q < e && load<u8>(q) == 58) q++;
    if (q < e) {
      om = digits(q, e, 2);
      if (om < 0) return false;
      q += 2;
    }
    if (q != e || oh > 23 || om > 59) return false;
    tOffset = (c == 45 ? -1 : 1) * (oh * 60 + om);
  }
  return validDate() && validTime();
}

// Pattern parts (16 bytes each): kind, then a literal byte or the field's min and max digits
function parsePattern(parts: usize, n: i32, s: usize, e: usize): bool {
  tReset();
  let p = s;
  for (let i = 0; i < n; i++) {
    const part = parts + <usize>i * 16;
    const kind = load<i32>(part);
    if (kind == P_LITERAL) {
      if (at(p, e) != load<i32>(part + 4)) return false;
      p++;
      continue;
    }
    if (kind == P_FRACTION) {
      p = parseFraction(p, e);
      if (p == 0) return false;
      continue;
    }
    if (kind == P_MONTH_NAME) {
      p = parseMonthName(p, e);
      if (p == 0) return false;
      continue;
    }
    if (kind == P_MERIDIEM) {
      const a = at(p, e) | 32;
      if (p + 2 > e || (a != 97 && a != 112) || (at(p + 1, e) | 32) != 109) return false;
      tMeridiem = a == 112 ? 1 : 0;
      p += 2;
      continue;
    }
    const lo = load<i32>(part + 8);
    const hi = load<i32>(part + 12);
    let v: i32 = 0;
    let k: i32 = 0;
    while (k < hi && p < e) {
      const d = <u32>load<u8>(p) - 48;
      if (d > 9) break;
      v = v * 10 + <i32>d;
      k++;
      p++;
    }
    if (k < lo) return false;
    if (kind == P_YEAR) tYear = <f64>v;
    else if (kind == P_YEAR2) tYear = <f64>(v < 69 ? 2000 + v : 1900 + v);
    else if (kind == P_MONTH) tMonth = v;
    else if (kind == P_DAY) tDay = v;
    else if (kind == P_HOUR) tHour = v;
    else if (kind == P_MINUTE) tMinute = v;
    else tSecond = v;
  }
  if (tMeridiem >= 0) {
    if (tHour < 1 || tHour > 12) return false;
    tHour = (tHour % 12) + 12 * tMeridiem;
  }
  return p == e && validDate() && validTime();
}

function parseEpoch(s: usize, e: usize): f64 {
  let p = s;
  let neg = false;
  if (at(p, e) == 45) {
    neg = true;
    p++;
  }
  if (p == e || e - p > 16) return NaN;
  let v: f64 = 0;
  for (; p < e; p++) {
    const d = <u32>load<u8>(p) - 48;
    if (d > 9) return NaN;
    v = v * 10 + <f64>d;
  }
  return neg ? -v : v;
}

/** The format that read the last date or timestamp (0: the column's first). */
let matchedFmt: i32 = 0;

/**
 * Days since the epoch by the column's formats, tried in order until one gives a date in Arrow's int32 range (as the
 * reference DateBuilder); NaN when none does.
 */
function parseDate(cp: usize, s: usize, e: usize): f64 {
  let v = dateWith(load<i32>(cp + C_FMT), load<usize>(cp + C_FMT_PTR), load<i32>(cp + C_FMT_N), s, e);
  matchedFmt = 0;
  const n = load<i32>(cp + C_ALT_N);
  const alts = load<usize>(cp + C_ALT_PTR);
  for (let k = 0; k < n && !(v >= -2147483648.0 && v <= 2147483647.0); k++) {
    const r = alts + <usize>k * 16;
    v = dateWith(load<i32>(r), load<usize>(r + 4), load<i32>(r + 8), s, e);
    matchedFmt = k + 1;
  }
  return v >= -2147483648.0 && v <= 2147483647.0 ? v : NaN;
}

/** Microseconds since the epoch by the column's formats, the first that reads the text. */
function parseTimestamp(cp: usize, s: usize, e: usize): f64 {
  let v = timestampWith(load<i32>(cp + C_FMT), load<usize>(cp + C_FMT_PTR), load<i32>(cp + C_FMT_N), s, e);
  matchedFmt = 0;
  const n = load<i32>(cp + C_ALT_N);
  const alts = load<usize>(cp + C_ALT_PTR);
  for (let k = 0; k < n && isNaN(v); k++) {
    const r = alts + <usize>k * 16;
    v = timestampWith(load<i32>(r), load<usize>(r + 4), load<i32>(r + 8), s, e);
    matchedFmt = k + 1;
  }
  return v;
}

function dateWith(f: i32, parts: usize, nparts: i32, s: usize, e: usize): f64 {
  if (f == F_ISO) {
    if (!parseIso(s, e)) return NaN;
    if (tHour || tMinute || tSecond || tMicros || tOffset) return NaN;
    return daysFromCivil(tYear, tMonth, tDay);
  }
  if (f == F_PATTERN) {
    if (!parsePattern(parts, nparts, s, e)) return NaN;
    return daysFromCivil(tYear, tMonth, tDay);
  }
  if (f == F_EPOCH_S) return Math.floor(parseEpoch(s, e) / 86400);
  return Math.floor(parseEpoch(s, e) / 86400000);
}

/** Two ASCII digits at `p` as a number, or -1. */
@inline function twoDigits(p: usize): i32 {
  const a = <u32>load<u8>(p) - 48;
  const b = <u32>load<u8>(p + 1) - 48;
  return a > 9 || b > 9 ? -1 : <i32>(a * 10 + b);
}

/**
 * The common ISO form `YYYY-MM-DD HH:MM:SS` (or `T`; a fraction of a second, a trailing `Z`) in integer arithmetic:
 * microseconds, or -1 when the text is not exactly that or not a valid instant of years 1-9999 (parseIso then reads
 * or refuses it; both give the same value wherever this one gives one). A log's timestamps took ~35 ns each through
 * parseIso; with milliseconds (the events file) they all went there until the fraction was read here too.
 */
function simpleIsoMicros(s: usize, e: usize): f64 {
  if (e - s < 19) return -1;
  // After the seconds: nothing, a `Z`, or a fraction of 1-9 digits (microseconds: the first six) and maybe a `Z`.
  let micros: i64 = 0;
  let f = s + 19;
  const fe = f < e && load<u8>(e - 1) == 90 ? e - 1 : e;
  if (f < fe) {
    const dot = load<u8>(f);
    if ((dot != 46 && dot != 44) || fe - f < 2 || fe - f > 10) return -1;
    let k: i32 = 0;
    for (f++; f < fe; f++) {
      const d = <u32>load<u8>(f) - 48;
      if (d > 9) return -1;
      if (k < 6) micros = micros * 10 + <i64>d;
      k++;
    }
    for (; k < 6; k++) micros *= 10;
  }
  const t = load<u8>(s + 10);
  if (load<u8>(s + 4) != 45 || load<u8>(s + 7) != 45 || (t != 32 && t != 84) || load<u8>(s + 13) != 58 || load<u8>(s + 16) != 58) return -1;
  const y1 = twoDigits(s);
  const y2 = twoDigits(s + 2);
  const mo = twoDigits(s + 5);
  const d = twoDigits(s + 8);
  const h = twoDigits(s + 11);
  const mi = twoDigits(s + 14);
  const sec = twoDigits(s + 17);
  if ((y1 | y2 | mo | d | h | mi | sec) < 0) return -1;
  const y = y1 * 100 + y2;
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return -1;
  const leap = (y & 3) == 0 && (y % 100 != 0 || y % 400 == 0);
  if (d > (mo == 2 ? (leap ? 29 : 28) : mo == 4 || mo == 6 || mo == 9 || mo == 11 ? 30 : 31)) return -1;
  // daysFromCivil for years >= 1 (March-based years, so leap days fall at a year's end).
  const ya = mo <= 2 ? y - 1 : y;
  const era = ya / 400;
  const yoe = ya - era * 400;
  const doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const days = <i64>(era * 146097 + doe - 719468);
  return <f64>((days * 86400 + <i64>(h * 3600 + mi * 60 + sec)) * 1000000 + micros);
}

function timestampWith(f: i32, parts: usize, nparts: i32, s: usize, e: usize): f64 {
  if (f == F_ISO) {
    const fast = simpleIsoMicros(s, e);
    if (fast != -1) return fast;
    if (!parseIso(s, e)) return NaN;
  } else if (f == F_PATTERN) {
    if (!parsePattern(parts, nparts, s, e)) return NaN;
  } else if (f == F_EPOCH_S) {
    return parseEpoch(s, e) * 1000000;
  } else {
    return parseEpoch(s, e) * 1000;
  }
  const days = daysFromCivil(tYear, tMonth, tDay);
  const seconds = days * 86400 + <f64>(tHour * 3600 + tMinute * 60 + tSecond) - <f64>tOffset * 60;
  return seconds * 1000000 + <f64>tMicros;
}
