/** Number parsing straight from CSV bytes. Every parser returns NaN for anything that is not a clean value. */

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];
const latin1 = new TextDecoder('latin1');

/** Integer in [-2^53, 2^53]; larger magnitudes go through `parseBigInt`. */
export function parseInteger(buf: Uint8Array, s: number, e: number): number {
  let p = s;
  let neg = false;
  if (p < e && (buf[p] === 45 || buf[p] === 43)) {
    neg = buf[p] === 45;
    p++;
  }
  if (p === e || e - p > 15) return e - p > 15 ? parseLongInteger(buf, s, e) : NaN;
  let v = 0;
  for (; p < e; p++) {
    const c = buf[p] - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

function parseLongInteger(buf: Uint8Array, s: number, e: number): number {
  const text = latin1.decode(buf.subarray(s, e));
  if (!/^[+-]?\d+$/.test(text)) return NaN;
  const v = Number(text);
  return Number.isSafeInteger(v) ? v : Number.NaN;
}

/** A 64-bit integer as BigInt, for values beyond 2^53; null when not an integer or out of range. */
export function parseBigInt(buf: Uint8Array, s: number, e: number): bigint | null {
  const text = latin1.decode(buf.subarray(s, e));
  if (!/^[+-]?\d{1,19}$/.test(text)) return null;
  const v = BigInt(text);
  return v >= -(2n ** 63n) && v < 2n ** 63n ? v : null;
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i;

/**
 * Float64, correctly rounded: a fast path for up to 15 significant digits and |exponent| <= 22
 * (exact by Clinger's argument), the engine's own parser otherwise.
 */
export function parseFloat64(buf: Uint8Array, s: number, e: number): number {
  let p = s;
  let neg = false;
  if (p < e && (buf[p] === 45 || buf[p] === 43)) {
    neg = buf[p] === 45;
    p++;
  }
  let mant = 0;
  let nd = 0;
  let scale = 0;
  let any = false;
  for (; p < e; p++) {
    const c = buf[p] - 48;
    if (c < 0 || c > 9) break;
    mant = mant * 10 + c;
    if (mant !== 0) nd++;
    any = true;
  }
  if (p < e && buf[p] === 46) {
    p++;
    for (; p < e; p++) {
      const c = buf[p] - 48;
      if (c < 0 || c > 9) break;
      mant = mant * 10 + c;
      if (mant !== 0) nd++;
      scale++;
      any = true;
    }
  }
  if (p === e && any && nd <= 15 && scale <= 22) {
    const v = mant / POW10[scale];
    return neg ? -v : v;
  }
  const text = latin1.decode(buf.subarray(s, e));
  if (!FLOAT_RE.test(text)) return NaN;
  const lower = text.toLowerCase().replace(/^[+-]/, '');
  if (lower.startsWith('inf')) return text.startsWith('-') ? -Infinity : Infinity;
  if (lower === 'nan') return Number.NaN;
  return Number(text);
}

/** A float that is NaN because the text said so, not because parsing failed. */
export function isNaNLiteral(buf: Uint8Array, s: number, e: number): boolean {
  let p = s;
  if (p < e && (buf[p] === 45 || buf[p] === 43)) p++;
  return e - p === 3 && (buf[p] | 32) === 110 && (buf[p + 1] | 32) === 97 && (buf[p + 2] | 32) === 110;
}

/**
 * Decimal as an unscaled integer of `scale` fractional digits, rounded half away from zero.
 * Returns a number while exact (|v| < 2^53), a bigint beyond, null when malformed or over `precision`.
 */
export function parseDecimal(
  buf: Uint8Array,
  s: number,
  e: number,
  precision: number,
  scale: number,
): number | bigint | null {
  let p = s;
  let neg = false;
  if (p < e && (buf[p] === 45 || buf[p] === 43)) {
    neg = buf[p] === 45;
    p++;
  }
  const intStart = p;
  while (p < e && buf[p] >= 48 && buf[p] <= 57) p++;
  const intEnd = p;
  let fracStart = p;
  let fracEnd = p;
  if (p < e && buf[p] === 46) {
    fracStart = ++p;
    while (p < e && buf[p] >= 48 && buf[p] <= 57) p++;
    fracEnd = p;
  }
  if (p !== e || (intEnd === intStart && fracEnd === fracStart)) return null;
  let lead = intStart;
  while (lead < intEnd && buf[lead] === 48) lead++;
  if (intEnd - lead > precision - scale) return null;
  const kept = Math.min(fracEnd - fracStart, scale);
  const roundUp = fracEnd - fracStart > scale && buf[fracStart + scale] >= 53;
  if (intEnd - lead + scale <= 15) {
    let v = 0;
    for (let k = lead; k < intEnd; k++) v = v * 10 + (buf[k] - 48);
    for (let k = 0; k < kept; k++) v = v * 10 + (buf[fracStart + k] - 48);
    for (let k = kept; k < scale; k++) v *= 10;
    if (roundUp) v += 1;
    return neg ? -v : v;
  }
  let big = 0n;
  for (let k = lead; k < intEnd; k++) big = big * 10n + BigInt(buf[k] - 48);
  for (let k = 0; k < kept; k++) big = big * 10n + BigInt(buf[fracStart + k] - 48);
  for (let k = kept; k < scale; k++) big *= 10n;
  if (roundUp) big += 1n;
  return neg ? -big : big;
}

/** true, false, 1, 0, t, f, yes, no, y, n (any case); -1 when none of them. */
export function parseBoolean(buf: Uint8Array, s: number, e: number): 0 | 1 | -1 {
  const n = e - s;
  const c = buf[s] | 32;
  if (n === 1) {
    if (c === 49 || c === 116 || c === 121) return 1;
    if (c === 48 || c === 102 || c === 110) return 0;
    return -1;
  }
  if (n === 4 && c === 116 && (buf[s + 1] | 32) === 114 && (buf[s + 2] | 32) === 117 && (buf[s + 3] | 32) === 101)
    return 1;
  if (
    n === 5 &&
    c === 102 &&
    (buf[s + 1] | 32) === 97 &&
    (buf[s + 2] | 32) === 108 &&
    (buf[s + 3] | 32) === 115 &&
    (buf[s + 4] | 32) === 101
  )
    return 0;
  if (n === 3 && c === 121 && (buf[s + 1] | 32) === 101 && (buf[s + 2] | 32) === 115) return 1;
  if (n === 2 && c === 110 && (buf[s + 1] | 32) === 111) return 0;
  return -1;
}

/**
 * How a column writes numbers when not as plain `1234.56`: the decimal separator, a thousands separator (dropped,
 * only between groups of three digits of the integer part), a currency symbol before or after the number, and
 * percentages (the value divided by 100).
 */
export interface NumberFormat {
  /** 46 (.) or 44 (,). */
  decimal: number;
  /** The byte of the thousands separator, or -1. */
  thousands: number;
  currency: Uint8Array | null;
  percent: boolean;
}

const isSpace = (c: number) => c === 32 || c === 9;

/**
 * Rewrites a number in format `f` as plain text into `out` (`-1234.56`, `0.125` for `12.5%`); returns its length,
 * or -1 when the text does not follow the format (a separator out of place, a `.` where `,` is the decimal
 * separator). The WASM core does the same (wasm/assembly/csv.ts: normalizeNumber); a property test compares them.
 */
export function normalizeNumber(buf: Uint8Array, s: number, e: number, f: NumberFormat, out: Uint8Array): number {
  while (s < e && isSpace(buf[s])) s++;
  while (e > s && isSpace(buf[e - 1])) e--;
  let neg = false;
  let signed = false;
  const sign = () => {
    if (signed || s >= e || (buf[s] !== 45 && buf[s] !== 43)) return;
    neg = buf[s] === 45;
    signed = true;
    s++;
    while (s < e && isSpace(buf[s])) s++;
  };
  sign();
  const cur = f.currency;
  if (cur) {
    const at = (p: number) => {
      for (let k = 0; k < cur.length; k++) if (buf[p + k] !== cur[k]) return false;
      return true;
    };
    if (e - s >= cur.length && at(s)) {
      s += cur.length;
      while (s < e && isSpace(buf[s])) s++;
    } else if (e - s >= cur.length && at(e - cur.length)) {
      e -= cur.length;
      while (e > s && isSpace(buf[e - 1])) e--;
    }
    sign();
  }
  if (f.percent && e > s && buf[e - 1] === 37) {
    e--;
    while (e > s && isSpace(buf[e - 1])) e--;
  }
  let o = 0;
  if (neg) out[o++] = 45;
  const start = o;
  let point = -1;
  let group = -1;
  let intDigits = 0;
  for (let p = s; p < e; p++) {
    const c = buf[p];
    if (c === f.thousands && point < 0) {
      if (intDigits === 0 || (group >= 0 ? group !== 3 : intDigits > 3)) return -1;
      group = 0;
      continue;
    }
    if (c === f.decimal && point < 0) {
      if (group >= 0 && group !== 3) return -1;
      point = o;
      out[o++] = 46;
      continue;
    }
    if (c >= 48 && c <= 57) {
      if (point < 0) {
        intDigits++;
        if (group >= 0) group++;
      }
      out[o++] = c;
      continue;
    }
    if (c === 46 || c === 44) return -1;
    out[o++] = c;
  }
  if (point < 0 && group >= 0 && group !== 3) return -1;
  if (!f.percent) return o;
  // A percentage: the decimal point two places to the left, on plain digits only.
  let digits = 0;
  for (let p = start; p < o; p++) {
    if (out[p] >= 48 && out[p] <= 57) digits++;
    else if (p !== point) return -1;
  }
  if (digits === 0) return -1;
  const d = new Uint8Array(digits);
  let n = 0;
  for (let p = start; p < o; p++) if (p !== point) d[n++] = out[p];
  const k = (point < 0 ? o : point) - start - 2;
  o = start;
  if (k <= 0) {
    out[o++] = 48;
    out[o++] = 46;
    for (let z = 0; z < -k; z++) out[o++] = 48;
    for (let i = 0; i < digits; i++) out[o++] = d[i];
  } else {
    for (let i = 0; i < digits; i++) {
      if (i === k) out[o++] = 46;
      out[o++] = d[i];
    }
  }
  return o;
}

/** A number's significant digits, leading and trailing zeros dropped: of its text (before any exponent) or of a double. */
function digitsOf(text: string): string {
  return text
    .split(/[eE]/)[0]
    .replace(/[^0-9]/g, '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
}

/** Whether the double `x` read from `text` gives back the text's digits (its shortest form has the same ones). */
export function sameDigits(text: string, x: number): boolean {
  return Number.isFinite(x) && digitsOf(text) === digitsOf(Math.abs(x).toExponential());
}

/**
 * Whether a float64 holds the value its text wrote: the same significant digits, or a NaN or infinity that the
 * text spelled out. Digits that overflow to infinity or vanish to zero (1e400, 1e-400) changed the value.
 */
export function floatHoldsText(text: string, x: number): boolean {
  if (Number.isNaN(x)) return true;
  if (!Number.isFinite(x)) return /inf/i.test(text);
  return sameDigits(text, x);
}
