import {
  Bool,
  DateDay,
  Decimal,
  Float64,
  Int32,
  Int64,
  TimestampMicrosecond,
  Utf8,
  makeData,
  type Data,
  type DataType,
} from 'apache-arrow';
import { compilePattern, type Pattern } from '../contracts/pattern.ts';
import { isUtf8 } from 'node:buffer';
import {
  columnFormats,
  describeFormats,
  parseColumnType,
  type Column,
  type ColumnType,
  type Dialect,
} from '../contracts/contract.ts';
import {
  isNaNLiteral,
  type NumberFormat,
  normalizeNumber,
  parseBigInt,
  parseBoolean,
  parseDecimal,
  floatHoldsText,
  parseFloat64,
  parseInteger,
} from '../csv/numbers.ts';
import { compileTemporalFormat, parseDate, parseTimestampMicros, type TemporalFormat } from '../csv/temporal.ts';
import { bounded } from '../csv/rejectMessages.ts';

/** Why one value was refused; the decoder turns it into a quarantine reason naming line and column. */
export type ValueProblem = { reason: ValueRejectReason; message: string };
/** Why a value is refused (record-level reasons: csvDecoder.ts RejectReason). */
export type ValueRejectReason =
  | 'invalid-value'
  | 'null-not-allowed'
  | 'check-allowed'
  | 'check-range'
  | 'check-pattern'
  | 'invalid-utf8';

const TWO32 = 4294967296;
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder();

/**
 * Appends parsed values of one column into growable typed buffers that become Arrow `Data` without copies
 * (see docs/libraries.md: builders from apache-arrow are ten times slower).
 */
export abstract class ColumnBuilder {
  length = 0;
  nullCount = 0;
  protected validity = new Uint8Array(64);
  protected capacity = 512;

  constructor(readonly column: Column) {}

  abstract readonly arrowType: DataType;
  /** Parses bytes [s, e) and appends; returns the problem when the value is refused (nothing appended). */
  abstract append(buf: Uint8Array, s: number, e: number): ValueProblem | null;
  /** The value's text as written, while append parses a rewritten copy of it (a number format): for messages. */
  protected shown: Uint8Array | null = null;
  private formatted = new Uint8Array(64);

  /**
   * Appends a number written in the column's format (decimal comma, thousands, currency, percent): rewritten as plain
   * text, then parsed as any value; messages show the value as written.
   */
  appendNumber(buf: Uint8Array, s: number, e: number, f: NumberFormat): ValueProblem | null {
    if (this.formatted.length < e - s + 8) this.formatted = new Uint8Array((e - s + 8) * 2);
    const n = normalizeNumber(buf, s, e, f, this.formatted);
    if (n < 0) return this.invalid(buf, s, e, `a number as the contract writes it (${describeNumberFormat(f)})`);
    this.shown = buf.subarray(s, e);
    try {
      return this.append(this.formatted, 0, n);
    } finally {
      this.shown = null;
    }
  }
  protected abstract growValues(capacity: number): void;
  protected abstract data(): Data;

  appendNull(): void {
    this.reserve();
    this.nullCount++;
    this.length++;
  }

  /** Drops values appended after row `n` (a row refused by a later column). */
  truncate(n: number): void {
    for (let i = n; i < this.length; i++) if (!this.isValid(i)) this.nullCount--;
    for (let i = n; i < this.length; i++) this.validity[i >> 3] &= ~(1 << (i & 7));
    this.length = n;
  }

  finish(): Data {
    const d = this.data();
    this.reset();
    return d;
  }

  protected reset(): void {
    this.validity.fill(0, 0, (this.length >> 3) + 1);
    this.length = 0;
    this.nullCount = 0;
  }

  protected nullBitmap(): Uint8Array | undefined {
    return this.nullCount ? this.validity.slice(0, (this.length + 7) >> 3) : undefined;
  }

  protected markValid(): void {
    const i = this.length;
    this.validity[i >> 3] |= 1 << (i & 7);
  }

  private isValid(i: number): boolean {
    return (this.validity[i >> 3] & (1 << (i & 7))) !== 0;
  }

  protected reserve(): void {
    if (this.length < this.capacity) return;
    this.capacity *= 2;
    const v = new Uint8Array(this.capacity >> 3);
    v.set(this.validity);
    this.validity = v;
    this.growValues(this.capacity);
  }

  protected invalid(buf: Uint8Array, s: number, e: number, what: string): ValueProblem {
    const value = this.shown ?? buf.subarray(s, e);
    const text = latin1.decode(value.subarray(0, 60));
    return { reason: 'invalid-value', message: `"${text}${value.length > 60 ? '…' : ''}" is not ${what}` };
  }

  /** The value's text as written, for check messages. */
  protected textOf(buf: Uint8Array, s: number, e: number): string {
    return latin1.decode(this.shown ?? buf.subarray(s, e));
  }
}

function latin1ToUtf8(buf: Uint8Array, s: number, e: number): Uint8Array {
  const out = new Uint8Array((e - s) * 2);
  let o = 0;
  for (let p = s; p < e; p++) {
    const c = buf[p];
    if (c < 0x80) out[o++] = c;
    else {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return out.subarray(0, o);
}

function grow<T extends Int32Array | Float64Array | Uint32Array | Uint8Array>(old: T, size: number): T {
  const next = new (old.constructor as new (n: number) => T)(size);
  next.set(old);
  return next;
}

type Range = { min?: number; max?: number };

/** buf[s, e) against `ref`, byte by byte (for UTF-8, code-point order). */
function compareBytes(buf: Uint8Array, s: number, e: number, ref: Uint8Array): number {
  const n = Math.min(e - s, ref.length);
  for (let k = 0; k < n; k++) if (buf[s + k] !== ref[k]) return buf[s + k] - ref[k];
  return e - s - ref.length;
}

export class StringBuilder extends ColumnBuilder {
  readonly arrowType = new Utf8();
  private offsets = new Int32Array(513);
  private bytes = new Uint8Array(16384);
  private used = 0;
  /** Set by the decoder for input that is not valid UTF-8 as a whole: then each value is checked. */
  checkUtf8 = false;
  private readonly latin1Input: boolean;
  private readonly allowed?: Uint8Array[];
  private readonly pattern?: Pattern;
  private readonly range: { min?: string; max?: string };
  /** The range's bounds as UTF-8: values compare by bytes, which is code-point order, as Athena and DuckDB compare varchar. */
  private readonly rangeBytes: { min?: Uint8Array; max?: Uint8Array };

  /** Every encoding but latin1 reaches the decoder as UTF-8 (transcoded ones are converted before it). */
  constructor(column: Column, encoding: Dialect['encoding']) {
    super(column);
    this.latin1Input = encoding === 'latin1';
    const enc = new TextEncoder();
    this.allowed = column.checks?.allowed?.map((v) => enc.encode(String(v)));
    this.pattern = column.checks?.pattern !== undefined ? compilePattern(column.checks.pattern) : undefined;
    this.range = { min: column.checks?.min?.toString(), max: column.checks?.max?.toString() };
    this.rangeBytes = {
      min: this.range.min !== undefined ? enc.encode(this.range.min) : undefined,
      max: this.range.max !== undefined ? enc.encode(this.range.max) : undefined,
    };
  }

  append(buf: Uint8Array, s: number, e: number): ValueProblem | null {
    if (this.latin1Input) {
      const bytes = latin1ToUtf8(buf, s, e);
      return this.appendUtf8(bytes, 0, bytes.length);
    }
    if (this.checkUtf8 && !isUtf8(buf.subarray(s, e))) {
      return {
        reason: 'invalid-utf8',
        message:
          'is not valid UTF-8 (declare dialect.encoding: windows-1252, latin1 or utf-16le if the file is written so)',
      };
    }
    return this.appendUtf8(buf, s, e);
  }

  private appendUtf8(buf: Uint8Array, s: number, e: number): ValueProblem | null {
    const problem = this.check(buf, s, e);
    if (problem) return problem;
    this.reserve();
    const n = e - s;
    if (this.used + n > this.bytes.length)
      this.bytes = grow(this.bytes, Math.max(this.bytes.length * 2, this.used + n));
    if (n < 16) {
      for (let k = 0; k < n; k++) this.bytes[this.used + k] = buf[s + k];
    } else {
      this.bytes.set(buf.subarray(s, e), this.used);
    }
    this.used += n;
    this.markValid();
    this.offsets[++this.length] = this.used;
    return null;
  }

  /** The contract's checks (allowed, pattern, range) on UTF-8 bytes; the WASM core calls this for checked columns. */
  check(buf: Uint8Array, s: number, e: number): ValueProblem | null {
    if (this.allowed && !this.allowed.some((a) => a.length === e - s && a.every((b, k) => buf[s + k] === b))) {
      return {
        reason: 'check-allowed',
        message: `"${bounded(utf8.decode(buf.subarray(s, e)))}" is not one of the allowed values`,
      };
    }
    if (this.pattern || this.range.min !== undefined || this.range.max !== undefined) {
      const text = utf8.decode(buf.subarray(s, e));
      if (this.pattern && !this.pattern.test(text)) {
        return { reason: 'check-pattern', message: `"${bounded(text)}" does not match ${this.pattern}` };
      }
      const { min, max } = this.rangeBytes;
      if ((min && compareBytes(buf, s, e, min) < 0) || (max && compareBytes(buf, s, e, max) > 0)) {
        return {
          reason: 'check-range',
          message: `"${bounded(text)}" is outside [${this.range.min ?? ''}, ${this.range.max ?? ''}]`,
        };
      }
    }
    return null;
  }

  override appendNull(): void {
    super.appendNull();
    this.offsets[this.length] = this.used;
  }

  override truncate(n: number): void {
    super.truncate(n);
    this.used = this.offsets[n];
  }

  protected growValues(capacity: number): void {
    this.offsets = grow(this.offsets, capacity + 1);
  }

  protected data(): Data {
    return makeData({
      type: this.arrowType,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      valueOffsets: this.offsets.slice(0, this.length + 1),
      data: this.bytes.slice(0, this.used),
    });
  }

  protected override reset(): void {
    super.reset();
    this.used = 0;
  }
}

/** Fixed-width numeric columns share storage and checks; subclasses only parse and store. */
abstract class FixedBuilder<T extends Int32Array | Float64Array | Uint32Array> extends ColumnBuilder {
  protected abstract values: T;
  protected abstract readonly wordsPerValue: number;
  protected readonly range: Range;
  private readonly allowed?: Set<number>;

  constructor(column: Column, toNumber: (v: string | number) => number) {
    super(column);
    const c = column.checks;
    this.range = {
      min: c?.min !== undefined ? toNumber(c.min) : undefined,
      max: c?.max !== undefined ? toNumber(c.max) : undefined,
    };
    if (c?.allowed) this.allowed = new Set(c.allowed.map((v) => toNumber(v as string | number)));
  }

  protected checkNumber(v: number, buf: Uint8Array, s: number, e: number): ValueProblem | null {
    if (this.allowed && !this.allowed.has(v)) {
      return {
        reason: 'check-allowed',
        message: `${this.textOf(buf, s, e)} is not one of the allowed values`,
      };
    }
    if ((this.range.min !== undefined && v < this.range.min) || (this.range.max !== undefined && v > this.range.max)) {
      return {
        reason: 'check-range',
        message: `${this.textOf(buf, s, e)} is outside [${this.column.checks?.min ?? ''}, ${this.column.checks?.max ?? ''}]`,
      };
    }
    return null;
  }

  protected growValues(capacity: number): void {
    this.values = grow(this.values, capacity * this.wordsPerValue);
  }

  protected valuesSlice(): T {
    return this.values.slice(0, this.length * this.wordsPerValue) as T;
  }
}

export class Int32Builder extends FixedBuilder<Int32Array> {
  readonly arrowType = new Int32();
  protected values = new Int32Array(512);
  protected readonly wordsPerValue = 1;
  constructor(column: Column) {
    super(column, Number);
  }

  append(buf: Uint8Array, s: number, e: number): ValueProblem | null {
    const v = parseInteger(buf, s, e);
    if (!(v >= -2147483648 && v <= 2147483647)) return this.invalid(buf, s, e, 'an int32');
    const problem = this.checkNumber(v, buf, s, e);
    if (problem) return problem;
    this.reserve();
    this.values[this.length] = v;
    this.markValid();
    this.length++;
    return null;
  }

  protected data(): Data {
    return makeData({
      type: this.arrowType,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: this.valuesSlice(),
    });
  }
}

/** Int64 stored as (low, high) 32-bit words so that no BigInt is created per value. */
export class Int64Builder extends FixedBuilder<Uint32Array> {
  readonly arrowType: DataType = new Int64();
  protected values = new Uint32Array(1024);
  protected readonly wordsPerValue = 2;
  constructor(column: Column, toNumber: (v: string | number) => number = Number) {
    super(column, toNumber);
  }

  append(buf: Uint8Array, s: number, e: number): ValueProblem | null {
    const v = parseInteger(buf, s, e);
    if (Number.isNaN(v)) {
      const big = parseBigInt(buf, s, e);
      if (big === null) return this.invalid(buf, s, e, 'an int64');
      const problem = this.checkNumber(Number(big), buf, s, e);
      if (problem) return problem;
      this.reserve();
      this.values[this.length * 2] = Number(big & 0xffffffffn);
      this.values[this.length * 2 + 1] = Number((big >> 32n) & 0xffffffffn);
      this.markValid();
      this.length++;
      return null;
    }
    const problem = this.checkNumber(v, buf, s, e);
    if (problem) return problem;
    this.pushSafeInteger(v);
    return null;
  }

  protected pushSafeInteger(v: number): void {
    this.reserve();
    const hi = Math.floor(v / TWO32);
    this.values[this.length * 2] = v - hi * TWO32;
    this.values[this.length * 2 + 1] = hi >>> 0;
    this.markValid();
    this.length++;
  }

  protected data(): Data {
    const words = this.valuesSlice();
    return makeData({
      type: this.arrowType as Int64,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: new BigInt64Array(words.buffer, words.byteOffset, this.length),
    });
  }
}

export class Float64Builder extends FixedBuilder<Float64Array> {
  readonly arrowType = new Float64();
  protected values = new Float64Array(512);
  protected readonly wordsPerValue = 1;
  constructor(column: Column) {
    super(column, Number);
  }

  /** Whether the last value appended is one the double does not hold as written (counted as valuesRounded). */
  lastRounded = false;

  append(buf: Uint8Array, s: number, e: number): ValueProblem | null {
    const v = parseFloat64(buf, s, e);
    if (Number.isNaN(v) && !isNaNLiteral(buf, s, e)) return this.invalid(buf, s, e, 'a float64');
    const problem = this.checkNumber(v, buf, s, e);
    if (problem) return problem;
    // Up to 15 significant digits and no exponent, a double always holds the value (as the WASM core's fast path).
    this.lastRounded = (e - s > 15 || hasExponent(buf, s, e)) && !floatHoldsText(utf8.decode(buf.subarray(s, e)), v);
    this.reserve();
    this.values[this.length] = v;
    this.markValid();
    this.length++;
    return null;
  }

  protected data(): Data {
    return makeData({
      type: this.arrowType,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: this.valuesSlice(),
    });
  }
}

export class DecimalBuilder extends FixedBuilder<Uint32Array> {
  readonly arrowType: Decimal;
  protected values = new Uint32Array(2048);
  protected readonly wordsPerValue = 4;

  constructor(
    column: Column,
    private readonly precision: number,
    private readonly scale: number,
  ) {
    super(column, Number);
    this.arrowType = new Decimal(scale, precision, 128);
  }

  append(buf: Uint8Array, s: number, e: number): ValueProblem | null {
    const v = parseDecimal(buf, s, e, this.precision, this.scale);
    if (v === null) return this.invalid(buf, s, e, `a decimal(${this.precision},${this.scale})`);
    const problem = this.checkNumber(Number(v) / 10 ** this.scale, buf, s, e);
    if (problem) return problem;
    this.reserve();
    const o = this.length * 4;
    if (typeof v === 'number') {
      const hi = Math.floor(v / TWO32);
      this.values[o] = v - hi * TWO32;
      this.values[o + 1] = hi >>> 0;
      const ext = v < 0 ? 0xffffffff : 0;
      this.values[o + 2] = ext;
      this.values[o + 3] = ext;
    } else {
      const u = BigInt.asUintN(128, v);
      for (let k = 0; k < 4; k++) this.values[o + k] = Number((u >> BigInt(32 * k)) & 0xffffffffn);
    }
    this.markValid();
    this.length++;
    return null;
  }

  protected data(): Data {
    return makeData({
      type: this.arrowType,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: this.valuesSlice(),
    });
  }
}

export class BooleanBuilder extends ColumnBuilder {
  readonly arrowType = new Bool();
  private bits = new Uint8Array(64);

  append(buf: Uint8Array, s: number, e: number): ValueProblem | null {
    const v = parseBoolean(buf, s, e);
    if (v < 0) return this.invalid(buf, s, e, 'a boolean (true/false, 1/0, yes/no)');
    const allowed = this.column.checks?.allowed;
    if (allowed && !allowed.some((a) => a === (v === 1) || String(a) === String(v === 1))) {
      return { reason: 'check-allowed', message: `${v === 1} is not one of the allowed values` };
    }
    this.reserve();
    const i = this.length;
    if (v) this.bits[i >> 3] |= 1 << (i & 7);
    else this.bits[i >> 3] &= ~(1 << (i & 7));
    this.markValid();
    this.length++;
    return null;
  }

  protected growValues(capacity: number): void {
    this.bits = grow(this.bits, capacity >> 3);
  }

  protected data(): Data {
    return makeData({
      type: this.arrowType,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: this.bits.slice(0, (this.length + 7) >> 3),
    });
  }

  protected override reset(): void {
    this.bits.fill(0, 0, (this.length >> 3) + 1);
    super.reset();
  }
}

/** Dates and timestamps: the column's formats, tried in order; which one read the last value appended. */
export interface TemporalBuilder {
  readonly formats: TemporalFormat[];
  lastFormat: number;
}

export class DateBuilder extends FixedBuilder<Int32Array> implements TemporalBuilder {
  readonly arrowType = new DateDay();
  protected values = new Int32Array(512);
  protected readonly wordsPerValue = 1;
  readonly formats: TemporalFormat[];
  lastFormat = -1;

  constructor(column: Column) {
    super(column, isoToDays);
    this.formats = columnFormats(column).map(compileTemporalFormat);
  }

  append(buf: Uint8Array, s: number, e: number): ValueProblem | null {
    let v = Number.NaN;
    let k = 0;
    // Arrow date32 holds int32 days; a larger epoch value would wrap silently.
    for (; k < this.formats.length; k++) {
      v = parseDate(buf, s, e, this.formats[k]);
      if (v >= -2147483648 && v <= 2147483647) break;
    }
    if (k === this.formats.length) return this.invalid(buf, s, e, `a date in format ${describeFormats(this.column)}`);
    this.lastFormat = k;
    const problem = this.checkNumber(v, buf, s, e);
    if (problem) return problem;
    this.reserve();
    this.values[this.length] = v;
    this.markValid();
    this.length++;
    return null;
  }

  protected data(): Data {
    return makeData({
      type: this.arrowType,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: this.valuesSlice(),
    });
  }
}

export class TimestampBuilder extends Int64Builder implements TemporalBuilder {
  override readonly arrowType: DataType = new TimestampMicrosecond();
  readonly formats: TemporalFormat[];
  lastFormat = -1;

  constructor(column: Column) {
    super(column, isoToMicros);
    this.formats = columnFormats(column).map(compileTemporalFormat);
  }

  override append(buf: Uint8Array, s: number, e: number): ValueProblem | null {
    let v = Number.NaN;
    let k = 0;
    for (; k < this.formats.length && Number.isNaN(v); k++) v = parseTimestampMicros(buf, s, e, this.formats[k]);
    if (Number.isNaN(v)) return this.invalid(buf, s, e, `a timestamp in format ${describeFormats(this.column)}`);
    this.lastFormat = k - 1;
    // Microseconds are kept exact as JS numbers: |v| < 2^53 covers the years 1685 to 2255.
    if (!Number.isSafeInteger(v)) return this.invalid(buf, s, e, 'a timestamp between the years 1685 and 2255');
    const problem = this.checkNumber(v, buf, s, e);
    if (problem) return problem;
    this.pushSafeInteger(v);
    return null;
  }
}

/** Check bounds in contracts are written as ISO text. */
export function isoToDays(v: string | number): number {
  if (typeof v === 'number') return v;
  const b = new TextEncoder().encode(v);
  return parseDate(b, 0, b.length, compileTemporalFormat('iso'));
}

export function isoToMicros(v: string | number): number {
  if (typeof v === 'number') return v;
  const b = new TextEncoder().encode(v);
  return parseTimestampMicros(b, 0, b.length, compileTemporalFormat('iso'));
}

/**
 * The number format of a column, or null for plain numbers (and for other types): the dialect's separators, the
 * column's currency and percent.
 */
export function numberFormatOf(column: Column, dialect: Dialect): NumberFormat | null {
  const kind = parseColumnType(column.type).kind;
  if (kind !== 'int32' && kind !== 'int64' && kind !== 'float64' && kind !== 'decimal') return null;
  if (dialect.decimalSeparator === '.' && !dialect.thousandsSeparator && !column.currency && !column.percent)
    return null;
  return {
    decimal: dialect.decimalSeparator.charCodeAt(0),
    thousands: dialect.thousandsSeparator ? dialect.thousandsSeparator.charCodeAt(0) : -1,
    currency: column.currency ? new TextEncoder().encode(column.currency) : null,
    percent: column.percent ?? false,
  };
}

function describeNumberFormat(f: NumberFormat): string {
  return [
    `decimal "${String.fromCharCode(f.decimal)}"`,
    ...(f.thousands >= 0 ? [`thousands "${String.fromCharCode(f.thousands)}"`] : []),
    ...(f.currency ? [`currency "${new TextDecoder().decode(f.currency)}"`] : []),
    ...(f.percent ? ['percent'] : []),
  ].join(', ');
}

export function createColumnBuilder(column: Column, encoding: Dialect['encoding']): ColumnBuilder {
  const type: ColumnType = parseColumnType(column.type);
  switch (type.kind) {
    case 'string':
      return new StringBuilder(column, encoding);
    case 'int32':
      return new Int32Builder(column);
    case 'int64':
      return new Int64Builder(column);
    case 'float64':
      return new Float64Builder(column);
    case 'decimal':
      return new DecimalBuilder(column, type.precision, type.scale);
    case 'boolean':
      return new BooleanBuilder(column);
    case 'date':
      return new DateBuilder(column);
    case 'timestamp':
      return new TimestampBuilder(column);
  }
}

/** Whether the number text in buf[s, e) has an exponent (e or E), without a copy per value. */
function hasExponent(buf: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (buf[i] === 101 || buf[i] === 69) return true;
  return false;
}
