/** Number parsing straight from CSV bytes. Every parser returns NaN for anything that is not a clean value. */

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const latin1 = new TextDecoder('latin1');

/** Integer in [-2^53, 2^53]; larger magnitudes go through `parseBigInt`. */
export function parseInteger(buf: Uint8Array, s: number, e: number): number {
  let p = s;
  let neg = false;
  if (p < e && (buf[p] === 45 || buf[p] === 43)) { neg = buf[p] === 45; p++; }
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
  if (p < e && (buf[p] === 45 || buf[p] === 43)) { neg = buf[p] === 45; p++; }
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
export function parseDecimal(buf: Uint8Array, s: number, e: number, precision: number, scale: number): number | bigint | null {
  let p = s;
  let neg = false;
  if (p < e && (buf[p] === 45 || buf[p] === 43)) { neg = buf[p] === 45; p++; }
  let intDigits = 0;
  let v = 0;
  let big: bigint | null = null;
  let frac = 0;
  let roundUp = false;
  let any = false;
  const push = (d: number) => {
    if (big !== null) big = big * 10n + BigInt(d);
    else if (v > 9e14) big = BigInt(v) * 10n + BigInt(d);
    else v = v * 10 + d;
  };
  for (; p < e; p++) {
    const c = buf[p] - 48;
    if (c < 0 || c > 9) break;
    push(c);
    if (v !== 0 || big !== null) intDigits++;
    any = true;
  }
  if (p < e && buf[p] === 46) {
    p++;
    for (; p < e; p++) {
      const c = buf[p] - 48;
      if (c < 0 || c > 9) break;
      any = true;
      if (frac < scale) { push(c); frac++; }
      else if (frac === scale) { roundUp = c >= 5; frac++; }
    }
  }
  if (p !== e || !any) return null;
  for (let k = Math.min(frac, scale); k < scale; k++) push(0);
  if (roundUp) {
    if (big !== null) big = big + 1n;
    else v += 1;
  }
  if (intDigits > precision - scale) return null;
  if (big !== null) return neg ? -big : big;
  return neg ? -v : v;
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
  const word = latin1.decode(buf.subarray(s, e)).toLowerCase();
  if (word === 'true' || word === 'yes') return 1;
  if (word === 'false' || word === 'no') return 0;
  return -1;
}
