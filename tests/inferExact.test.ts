/**
 * Issue 38: infer never drafts a type that changes a value. Integers are typed by their digits (int32, int64),
 * integers past int64 stay text, and a float64 is drafted only when it gives back every sampled value's digits.
 * Boundaries: 2^31, 2^53, 2^63, 2^64, 18 and 21 significant digits, exponents, leading zeros.
 */
import { describe, expect, it } from 'vitest';
import { guessColumn } from '#src/contracts/inferContract.ts';
import { floatHoldsText, sameDigits } from '#src/csv/numbers.ts';

const type = (values: string[]) => guessColumn(values).type;

describe('infer drafts no type that changes a value', () => {
  it('integers by their digits: int32 to 2^31-1, int64 to 2^63-1, text past it', () => {
    expect(type(['2147483647', '-2147483647'])).toBe('int32');
    expect(type(['2147483648'])).toBe('int64');
    expect(type(['9007199254740993'])).toBe('int64'); // 2^53 + 1: a float64 would say ...992
    expect(type(['9223372036854775807', '-9223372036854775808'])).toBe('int64');
    expect(type(['9223372036854775808'])).toBe('string'); // 2^63
    expect(type(['18446744073709551615', '1000009418151094273'])).toBe('string'); // 2^64-1, Avazu's ids
    expect(guessColumn(['10000169349117863715']).why).toMatch(/past int64 .*kept as text/);
  });

  it('floats only when the double gives back the digits: 17 significant digits at most, exponents too', () => {
    expect(type(['0.1', '2.5', '260.0'])).toBe('float64');
    expect(type(['1e5', '2.5E-3', '-7.25e+10'])).toBe('float64');
    expect(type(['123456789012345.6'])).toBe('float64'); // 16 digits
    expect(type(['1.23456789012345678'])).toBe('string'); // 18 digits: the double keeps 17
    expect(type(['123456789012345678901.5'])).toBe('string'); // 22 digits
    expect(type(['1.5', '1000009418151094273.0'])).toBe('string');
    expect(guessColumn(['1.23456789012345678']).why).toMatch(
      /^1\.23456789012345678 has more digits than a float64 holds/,
    );
  });

  it('leading zeros stay text (codes, not numbers)', () => {
    expect(type(['007', '12'])).toBe('string');
    expect(type(['0.5', '00.5'])).toBe('string');
  });

  it('sameDigits: the round trip itself', () => {
    expect(sameDigits('260.0', 260)).toBe(true);
    expect(sameDigits('0.00120', 0.0012)).toBe(true);
    expect(sameDigits('1000009418151094273', Number('1000009418151094273'))).toBe(false); // read as a double
    expect(sameDigits('6675773829018706461', Number('6675773829018706461'))).toBe(false);
    expect(sameDigits('1e400', Number.POSITIVE_INFINITY)).toBe(false);
    expect(floatHoldsText('1e400', Number.POSITIVE_INFINITY)).toBe(false);
    expect(floatHoldsText('-Infinity', Number.NEGATIVE_INFINITY)).toBe(true);
    expect(floatHoldsText('NaN', Number.NaN)).toBe(true);
    expect(floatHoldsText('1e-400', 0)).toBe(false);
    expect(floatHoldsText('0.000', 0)).toBe(true);
  });
});
