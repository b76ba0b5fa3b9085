import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBigInt, parseDecimal, parseFloat64, parseInteger } from './numbers.ts';
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
});
