import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, stringContract } from '../../tests/decodeStrings.ts';

/** RFC 4180 writer used as the oracle: whatever it writes, the decoder must read back exactly. */
function writeCsv(rows: string[][], eol: string, quoteAll: boolean): string {
  const field = (s: string) => (quoteAll || /[",\r\n]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s);
  return rows.map((r) => r.map(field).join(',')).join(eol) + eol;
}

const text = fc.oneof(
  fc.string({
    unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', '\r\n', 'é', '日', '😀', '\t', ';'),
    maxLength: 12,
  }),
  fc.string({ maxLength: 8 }),
  fc.constant(''),
);

describe('the CSV decoder, property-tested', () => {
  it('reads back exactly what an RFC 4180 writer wrote, however the bytes are split into chunks', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((width) =>
            fc.tuple(
              fc.constant(width),
              fc.array(fc.array(text, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 25 }),
              fc.constantFrom('\n', '\r\n', '\r'),
              fc.boolean(),
              fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
            ),
          ),
        ([width, rows, eol, quoteAll, chunks]) => {
          const names = Array.from({ length: width }, (_, i) => `h${i}`);
          // Every field quoted: a lone empty field stays a row of one empty string, not a blank line.
          const bytes = new TextEncoder().encode(writeCsv([names, ...rows], eol, quoteAll || width === 1));
          const got = decode(stringContract(names), bytes, chunks, 64);
          expect(got.rejects).toEqual([]);
          expect(got.rows).toEqual(rows);
          expect(got.stats.rowsRead).toBe(rows.length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gives the same rows, rejects and line numbers for any chunking of dirty input', () => {
    const dirtyLine = fc.oneof(
      fc.constant('1,2,3'),
      fc.constant('1,"a""b",3'),
      fc.constant('1,2'),
      fc.constant('1,2,3,4'),
      fc.constant('"x"y,2,3'),
      fc.constant('1,"multi\nline",3'),
      fc.constant(''),
      fc.constant('1,"unterminated,3'),
      fc.constant('é,ü,日'),
    );
    fc.assert(
      fc.property(
        fc.array(dirtyLine, { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 5 }),
        (lines, chunks) => {
          const bytes = new TextEncoder().encode(['a,b,c', ...lines].join('\n'));
          const c = stringContract(['a', 'b', 'c']);
          const whole = decode(c, bytes);
          const split = decode(c, bytes, chunks, 32);
          expect(split.rows).toEqual(whole.rows);
          expect(split.rejects.map((r) => [r.line, r.reason, Buffer.from(r.raw).toString()])).toEqual(
            whole.rejects.map((r) => [r.line, r.reason, Buffer.from(r.raw).toString()]),
          );
          expect(whole.stats.rowsRead).toBe(whole.stats.rowsWritten + whole.stats.rowsRejected);
        },
      ),
      { numRuns: 400 },
    );
  });
});
