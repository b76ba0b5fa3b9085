import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type NumberFormat,
  normalizeNumber,
  parseBigInt,
  parseDecimal,
  parseFloat64,
  parseInteger,
} from './numbers.ts';
import { compileTemporalFormat, parseDate, parseTimestampMicros } from './temporal.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const f64 = (s: string) => {
  const b = bytes(s);
  return parseFloat64(b, 0, b.length);
};

describe('number parsing from bytes (oracle: the JavaScript engine and BigInt)', () => {
  it('parses every double exactly as Number() does, in plain, fixed and exponent notation', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 17 }), (d, digits) => {
        for (const s of [String(d), d.toExponential(), d.toFixed(Math.min(digits, 17))]) {
          if (/e\+?\d{3,}/.test(s) && !Number.isFinite(Number(s))) continue;
          expect(Object.is(f64(s), Number(s)) || (f64(s) === 0 && Number(s) === 0)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses text that is not a number', () => {
    for (const s of ['', '-', '1.2.3', 'abc', '1e', '0x10', '1,5', ' 1', '1 ', '++1']) expect(f64(s)).toBeNaN();
  });

  it('parses int64 across the whole range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const b = bytes(v.toString());
        const n = parseInteger(b, 0, b.length);
        if (Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v) expect(n).toBe(Number(v));
        else expect(parseBigInt(b, 0, b.length)).toBe(v);
      }),
      { numRuns: 2000 },
    );
    const over = bytes('9223372036854775808');
    expect(parseBigInt(over, 0, over.length)).toBeNull();
  });

  it('parses decimals to the unscaled integer, rounding half away from zero past the scale', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.integer({ min: 0, max: 6 }),
        (unscaled, scale) => {
          const neg = unscaled < 0n;
          const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
          const s = `${neg ? '-' : ''}${digits.slice(0, digits.length - scale)}${scale ? `.${digits.slice(-scale)}` : ''}`;
          const b = bytes(s);
          const v = parseDecimal(b, 0, b.length, 38, scale);
          expect(BigInt(v as number | bigint)).toBe(unscaled);
        },
      ),
      { numRuns: 2000 },
    );
    const r = (s: string, p: number, sc: number) => {
      const b = bytes(s);
      return parseDecimal(b, 0, b.length, p, sc);
    };
    expect(r('1.005', 10, 2)).toBe(101);
    expect(r('-1.005', 10, 2)).toBe(-101);
    expect(r('1.004', 10, 2)).toBe(100);
    expect(r('12345.6', 5, 2)).toBeNull();
    expect(r('R$ 49,90', 10, 2)).toBeNull();
  });
});

describe('date and timestamp parsing from bytes (oracle: Date.prototype.toISOString)', () => {
  const iso = compileTemporalFormat('iso');
  // Timestamps are exact microseconds below 2^53: the years 1685 to 2255 (see TimestampBuilder).
  const minDate = new Date('1686-01-01T00:00:00Z');
  const maxDate = new Date('2254-12-31T23:59:59Z');
  const dates = fc.date({ min: minDate, max: maxDate, noInvalidDate: true });
  it('round-trips ISO timestamps with a space or T, with and without fractions and offsets', () => {
    fc.assert(
      fc.property(dates, fc.integer({ min: 0, max: 999 }), (d, micro) => {
        const s = d.toISOString();
        const micros = d.getTime() * 1000 + micro;
        const variants = [
          [s.replace('T', ' ').slice(0, 19), Math.floor(d.getTime() / 1000) * 1_000_000],
          [s, d.getTime() * 1000],
          [`${s.slice(0, 23)}${String(micro).padStart(3, '0')}`, micros],
          [`${s.slice(0, 19)}+02:00`, (Math.floor(d.getTime() / 1000) - 7200) * 1_000_000],
        ] as const;
        for (const [text, expected] of variants) {
          const b = bytes(text);
          expect(parseTimestampMicros(b, 0, b.length, iso)).toBe(expected);
        }
        const day = bytes(s.slice(0, 10));
        expect(parseDate(day, 0, day.length, iso)).toBe(Math.floor(d.getTime() / 86_400_000));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads pattern formats and epoch numbers, and refuses impossible dates', () => {
    const us = compileTemporalFormat('M/D/YYYY H:mm');
    const p = (s: string, f = us) => {
      const b = bytes(s);
      return parseTimestampMicros(b, 0, b.length, f);
    };
    expect(p('7/4/2017 9:05')).toBe(Date.UTC(2017, 6, 4, 9, 5) * 1000);
    expect(p('12/31/2017 23:59')).toBe(Date.UTC(2017, 11, 31, 23, 59) * 1000);
    expect(p('1433221332117', compileTemporalFormat('epoch_ms'))).toBe(1433221332117000);
    expect(p('1433221332', compileTemporalFormat('epoch_s'))).toBe(1433221332000000);
    for (const bad of ['2/30/2017 10:00', '13/1/2017 10:00', '1/1/2017 24:00', '1/1/17 10:00', '1/1/2017'])
      expect(p(bad)).toBeNaN();
    for (const bad of ['2017-02-29 00:00:00', '2017-11-07 25:61:00', '2017-1-07', '2017-11-07T10:00:00+25:00'])
      expect(p(bad, iso)).toBeNaN();
    expect(p('2016-02-29 00:00:00', iso)).toBe(Date.UTC(2016, 1, 29) * 1000);
  });

  it('reads 12-hour clocks, month names and two-digit years', () => {
    const p = (s: string, f: string) => {
      const b = bytes(s);
      return parseTimestampMicros(b, 0, b.length, compileTemporalFormat(f));
    };
    expect(p('7/4/2017 12:05:09 AM', 'M/D/YYYY h:mm:ss A')).toBe(Date.UTC(2017, 6, 4, 0, 5, 9) * 1000);
    expect(p('7/4/2017 12:05:09 pm', 'M/D/YYYY h:mm:ss A')).toBe(Date.UTC(2017, 6, 4, 12, 5, 9) * 1000);
    expect(p('7/4/2017 1:05:09 PM', 'M/D/YYYY h:mm:ss A')).toBe(Date.UTC(2017, 6, 4, 13, 5, 9) * 1000);
    expect(p('7/4/2017 13:05:09 PM', 'M/D/YYYY h:mm:ss A')).toBeNaN();
    expect(p('7/4/2017 0:05:09 AM', 'M/D/YYYY h:mm:ss A')).toBeNaN();
    expect(p('Sept 5, 2017 9:00 am', 'MMM D, YYYY h:mm A')).toBe(Date.UTC(2017, 8, 5, 9) * 1000);
    expect(p('SEPTEMBER 5, 2017 9:00 am', 'MMM D, YYYY h:mm A')).toBe(Date.UTC(2017, 8, 5, 9) * 1000);
    expect(p('Septem 5, 2017 9:00 am', 'MMM D, YYYY h:mm A')).toBeNaN();
    expect(p('5-may-69 00:00', 'D-MMM-YY HH:mm')).toBe(Date.UTC(1969, 4, 5) * 1000);
    expect(p('5-MAY-68 00:00', 'D-MMM-YY HH:mm')).toBe(Date.UTC(2068, 4, 5) * 1000);
    expect(() => compileTemporalFormat('D-MMM h:mm A')).toThrow(/has no year/);
    expect(() => compileTemporalFormat('YYYY-MM-DD A')).toThrow(/A \(AM\/PM\) but no hour/);
  });

  it('rewrites numbers in a number format as plain text, refusing separators out of place', () => {
    const f = (decimal: string, thousands?: string, currency?: string, percent = false): NumberFormat => ({
      decimal: decimal.charCodeAt(0),
      thousands: thousands ? thousands.charCodeAt(0) : -1,
      currency: currency ? bytes(currency) : null,
      percent,
    });
    const n = (s: string, fmt: NumberFormat) => {
      const out = new Uint8Array(s.length * 2 + 8);
      const len = normalizeNumber(bytes(s), 0, bytes(s).length, fmt, out);
      return len < 0 ? null : new TextDecoder().decode(out.subarray(0, len));
    };
    const br = f(',', '.', 'R$');
    expect(n('R$ 1.234,56', br)).toBe('1234.56');
    expect(n('-R$ 1.234.567,5', br)).toBe('-1234567.5');
    expect(n('R$ -3,50', br)).toBe('-3.50');
    expect(n(' 12,5 R$ ', br)).toBe('12.5');
    expect(n('1234,56', br)).toBe('1234.56');
    for (const bad of ['1.5', '12.34,5', '1.2345', '.123', '1,2,3', '1.234.56']) expect(n(bad, br), bad).toBeNull();
    const us = f('.', ',');
    expect(n('1,234,567.89', us)).toBe('1234567.89');
    expect(n('1,23', us)).toBeNull();
    expect(n("1'234.5", f('.', "'"))).toBe('1234.5');
    expect(n('1 234,5', f(',', ' '))).toBe('1234.5');
    const pct = f('.', undefined, undefined, true);
    expect(n('12.5%', pct)).toBe('0.125');
    expect(n('5 %', pct)).toBe('0.05');
    expect(n('150%', pct)).toBe('1.50');
    expect(n('-0.5%', pct)).toBe('-0.005');
    expect(n('50', pct)).toBe('0.50');
    expect(n('1e3%', pct)).toBeNull();
    expect(n('12,5%', f(',', undefined, undefined, true))).toBe('0.125');
  });
});
