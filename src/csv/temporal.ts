/**
 * Date and timestamp parsing straight from CSV bytes (no strings). Results are days since the epoch
 * for dates and microseconds since the epoch for timestamps; NaN means "not a valid value".
 * Timestamps without an offset are taken as UTC wall-clock time.
 */

export type TemporalFormat =
  | { kind: 'iso' }
  | { kind: 'epoch_s' }
  | { kind: 'epoch_ms' }
  | { kind: 'pattern'; source: string; parts: PatternPart[] };

type Field =
  | 'year'
  | 'month'
  | 'day'
  | 'hour'
  | 'minute'
  | 'second'
  | 'fraction'
  /** AM or PM (any case): the hour is then 1-12 on a 12-hour clock. */
  | 'meridiem'
  /** A month's English name or its first three letters (any case; Sept too). */
  | 'monthName'
  /** Two-digit year: 69-99 are 1969-1999, 00-68 are 2000-2068 (as POSIX strptime %y). */
  | 'year2';
type PatternPart = { field: Field; min: number; max: number } | { literal: number };

const TOKENS: [string, Field, number, number][] = [
  ['YYYY', 'year', 4, 4],
  ['YY', 'year2', 2, 2],
  ['MMMM', 'monthName', 3, 9],
  ['MMM', 'monthName', 3, 9],
  ['MM', 'month', 2, 2],
  ['M', 'month', 1, 2],
  ['DD', 'day', 2, 2],
  ['D', 'day', 1, 2],
  ['HH', 'hour', 2, 2],
  ['H', 'hour', 1, 2],
  ['hh', 'hour', 2, 2],
  ['h', 'hour', 1, 2],
  ['A', 'meridiem', 2, 2],
  ['mm', 'minute', 2, 2],
  ['m', 'minute', 1, 2],
  ['ss', 'second', 2, 2],
  ['s', 'second', 1, 2],
  ['S', 'fraction', 1, 9],
];

/**
 * iso | epoch_s | epoch_ms | a pattern of YYYY YY MMMM MMM MM M DD D HH H hh h mm m ss s S (fraction) A (AM/PM) and
 * literals.
 */
export function compileTemporalFormat(format: string | undefined): TemporalFormat {
  if (format === undefined || format === 'iso') return { kind: 'iso' };
  if (format === 'epoch_s' || format === 'epoch_ms') return { kind: format };
  const parts: PatternPart[] = [];
  let i = 0;
  while (i < format.length) {
    const tok = TOKENS.find(([t]) => format.startsWith(t, i));
    if (tok) {
      if (tok[1] === 'fraction') {
        while (format[i] === 'S') i++;
      } else {
        i += tok[0].length;
      }
      parts.push({ field: tok[1], min: tok[2], max: tok[3] });
    } else {
      const code = format.charCodeAt(i);
      if (/[A-Za-z]/.test(format[i])) {
        throw new Error(
          `unknown format letter "${format[i]}" in "${format}" (use YYYY YY MMMM MMM MM M DD D HH H hh h mm m ss s S A, iso, epoch_s or epoch_ms)`,
        );
      }
      parts.push({ literal: code });
      i++;
    }
  }
  const fields = new Set(parts.flatMap((p) => ('field' in p ? [p.field] : [])));
  if (!fields.has('year') && !fields.has('year2')) throw new Error(`format "${format}" has no year`);
  if (!fields.has('month') && !fields.has('monthName')) throw new Error(`format "${format}" has no month`);
  if (!fields.has('day')) throw new Error(`format "${format}" has no day`);
  if (fields.has('meridiem') && !fields.has('hour')) throw new Error(`format "${format}" has A (AM/PM) but no hour`);
  return { kind: 'pattern', source: format, parts };
}

/** Days from 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

// Scratch result of the last parse, reused to avoid allocating per value.
const out = {
  year: 0,
  month: 0,
  day: 0,
  hour: 0,
  minute: 0,
  second: 0,
  micros: 0,
  offsetMinutes: 0,
  hasTime: false,
  /** -1: no AM/PM in the value; 0: AM; 1: PM. */
  meridiem: -1,
};

function reset(): void {
  out.year = 0;
  out.month = 0;
  out.day = 0;
  out.hour = 0;
  out.minute = 0;
  out.second = 0;
  out.micros = 0;
  out.offsetMinutes = 0;
  out.hasTime = false;
  out.meridiem = -1;
}

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** The month named at `p` (English, any case: the full name, its first three letters, or Sept); 0 when none. */
function monthName(buf: Uint8Array, p: number, e: number): { month: number; end: number } {
  let q = p;
  let word = '';
  while (q < e && q - p < 9 && (buf[q] | 32) >= 97 && (buf[q] | 32) <= 122) word += String.fromCharCode(buf[q++] | 32);
  const month =
    word.length === 3
      ? MONTH_NAMES.findIndex((m) => m.startsWith(word)) + 1
      : word === 'sept'
        ? 9
        : MONTH_NAMES.indexOf(word) + 1;
  return { month, end: q };
}

function digits(buf: Uint8Array, p: number, e: number, n: number): number {
  if (p + n > e) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = buf[p + k] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Parses ISO-8601 into `out`; returns false when malformed. */
function parseIso(buf: Uint8Array, s: number, e: number, allowTime: boolean): boolean {
  reset();
  let p = s;
  let sign = 1;
  if (buf[p] === 45 /* - */) {
    sign = -1;
    p++;
  }
  const y = digits(buf, p, e, 4);
  if (y < 0 || buf[p + 4] !== 45) return false;
  const mo = digits(buf, p + 5, e, 2);
  if (mo < 0 || buf[p + 7] !== 45) return false;
  const d = digits(buf, p + 8, e, 2);
  if (d < 0) return false;
  out.year = sign * y;
  out.month = mo;
  out.day = d;
  p += 10;
  if (p === e) return validDate();
  if (!allowTime || (buf[p] !== 84 /* T */ && buf[p] !== 32) /* space */) return false;
  p++;
  const h = digits(buf, p, e, 2);
  if (h < 0 || buf[p + 2] !== 58) return false;
  const mi = digits(buf, p + 3, e, 2);
  if (mi < 0) return false;
  out.hour = h;
  out.minute = mi;
  out.hasTime = true;
  p += 5;
  if (p < e && buf[p] === 58) {
    const sec = digits(buf, p + 1, e, 2);
    if (sec < 0) return false;
    out.second = sec;
    p += 3;
    if (p < e && (buf[p] === 46 || buf[p] === 44)) {
      p = parseFraction(buf, p + 1, e);
      if (p < 0) return false;
    }
  }
  if (p < e) {
    const c = buf[p];
    if (c === 90 /* Z */ && p + 1 === e) return validDate() && validTime();
    if (c !== 43 && c !== 45) return false;
    const oh = digits(buf, p + 1, e, 2);
    if (oh < 0) return false;
    let q = p + 3;
    let om = 0;
    if (q < e && buf[q] === 58) q++;
    if (q < e) {
      om = digits(buf, q, e, 2);
      if (om < 0) return false;
      q += 2;
    }
    if (q !== e || oh > 23 || om > 59) return false;
    out.offsetMinutes = (c === 45 ? -1 : 1) * (oh * 60 + om);
  }
  return validDate() && validTime();
}

function parseFraction(buf: Uint8Array, p: number, e: number): number {
  let n = 0;
  let micros = 0;
  while (p < e) {
    const c = buf[p] - 48;
    if (c < 0 || c > 9) break;
    if (n < 6) micros = micros * 10 + c;
    n++;
    p++;
  }
  if (n === 0 || n > 9) return -1;
  for (let k = n; k < 6; k++) micros *= 10;
  out.micros = micros;
  return p;
}

function parsePattern(buf: Uint8Array, s: number, e: number, parts: PatternPart[]): boolean {
  reset();
  let p = s;
  for (const part of parts) {
    if ('literal' in part) {
      if (buf[p] !== part.literal) return false;
      p++;
      continue;
    }
    if (part.field === 'fraction') {
      p = parseFraction(buf, p, e);
      if (p < 0) return false;
      continue;
    }
    if (part.field === 'monthName') {
      const m = monthName(buf, p, e);
      if (!m.month) return false;
      out.month = m.month;
      p = m.end;
      continue;
    }
    if (part.field === 'meridiem') {
      const a = buf[p] | 32;
      if (p + 2 > e || (a !== 97 && a !== 112) || (buf[p + 1] | 32) !== 109) return false;
      out.meridiem = a === 112 ? 1 : 0;
      p += 2;
      continue;
    }
    let v = 0;
    let n = 0;
    while (n < part.max && p < e) {
      const c = buf[p] - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      n++;
      p++;
    }
    if (n < part.min) return false;
    if (part.field === 'year2') {
      out.year = v < 69 ? 2000 + v : 1900 + v;
      continue;
    }
    if (part.field !== 'year' && part.field !== 'month' && part.field !== 'day') out.hasTime = true;
    out[part.field] = v;
  }
  if (out.meridiem >= 0) {
    if (out.hour < 1 || out.hour > 12) return false;
    out.hour = (out.hour % 12) + 12 * out.meridiem;
  }
  return p === e && validDate() && validTime();
}

function validDate(): boolean {
  return out.month >= 1 && out.month <= 12 && out.day >= 1 && out.day <= daysInMonth(out.year, out.month);
}

function validTime(): boolean {
  return out.hour < 24 && out.minute < 60 && out.second < 60;
}

function parseEpoch(buf: Uint8Array, s: number, e: number): number {
  let p = s;
  let neg = false;
  if (buf[p] === 45) {
    neg = true;
    p++;
  }
  if (p === e || e - p > 16) return NaN;
  let v = 0;
  for (; p < e; p++) {
    const c = buf[p] - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

/** Days since 1970-01-01, or NaN. A date-only column accepts an ISO timestamp at midnight. */
export function parseDate(buf: Uint8Array, s: number, e: number, f: TemporalFormat): number {
  switch (f.kind) {
    case 'iso':
      if (!parseIso(buf, s, e, true)) return NaN;
      if (out.hour || out.minute || out.second || out.micros || out.offsetMinutes) return NaN;
      return daysFromCivil(out.year, out.month, out.day);
    case 'pattern':
      if (!parsePattern(buf, s, e, f.parts)) return NaN;
      return daysFromCivil(out.year, out.month, out.day);
    case 'epoch_s':
      return Math.floor(parseEpoch(buf, s, e) / 86400);
    case 'epoch_ms':
      return Math.floor(parseEpoch(buf, s, e) / 86400000);
  }
}

/** Microseconds since the epoch (UTC), or NaN. */
export function parseTimestampMicros(buf: Uint8Array, s: number, e: number, f: TemporalFormat): number {
  switch (f.kind) {
    case 'iso':
      if (!parseIso(buf, s, e, true)) return NaN;
      break;
    case 'pattern':
      if (!parsePattern(buf, s, e, f.parts)) return NaN;
      break;
    case 'epoch_s':
      return parseEpoch(buf, s, e) * 1_000_000;
    case 'epoch_ms':
      return parseEpoch(buf, s, e) * 1_000;
  }
  const days = daysFromCivil(out.year, out.month, out.day);
  const seconds = days * 86400 + out.hour * 3600 + out.minute * 60 + out.second - out.offsetMinutes * 60;
  return seconds * 1_000_000 + out.micros;
}
