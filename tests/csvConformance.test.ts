import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeaderMismatchError } from '#src/decode/errors.ts';
import { readAvaSnapshots } from './avaSnapshot.ts';
import { decode, stringContract } from './decodeStrings.ts';
import { SHARED_DATA } from './helpers.ts';

const SUITES = join(SHARED_DATA, 'csv-conformance');
const read = (p: string) => new Uint8Array(readFileSync(join(SUITES, p)));
/** Every case also runs split into awkward chunks: a record cut anywhere must come out the same. */
const CHUNKINGS = [[1 << 20], [1], [2, 3, 5], [7]];

/**
 * Fields where a suite's expected output contradicts its own input: location_coordinates.csv has the phone
 * number 2095257564, its JSON says 1234567890. Everything else of those cases is compared.
 */
const SUITE_ERRATA: Record<string, string[]> = { location_coordinates: ['Contact Phone Number'] };

describe('csv-spectrum', () => {
  const dir = 'csv-spectrum';
  const cases = readdirSync(join(SUITES, dir, 'csvs'))
    .filter((f) => f.endsWith('.csv'))
    .map((f) => f.replace(/\.csv$/, ''));
  /** location_coordinates.json holds one object, not an array of one. */
  const expectedRows = (name: string) =>
    [JSON.parse(readFileSync(join(SUITES, dir, 'json', `${name}.json`), 'utf8'))].flat() as Record<string, string>[];

  it.each(cases.flatMap((c) => CHUNKINGS.map((ch) => [c, ch] as const)))('%s (chunks %j)', (name, chunks) => {
    let expected = expectedRows(name);
    const bytes = read(`${dir}/csvs/${name}.csv`);
    // The *_crlf files only get CR LF from git's eol attribute at checkout; the stored bytes are LF.
    if (name.endsWith('_crlf') && !bytes.includes(13))
      expected = JSON.parse(JSON.stringify(expected).replace(/\\r\\n/g, '\\n'));
    const names = Object.keys(expected[0]);
    const got = decode(stringContract(names), bytes, chunks);
    expect(got.rejects).toEqual([]);
    const drop = (o: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(o).filter(([k]) => !SUITE_ERRATA[name]?.includes(k)));
    expect(got.rows.map((r) => drop(Object.fromEntries(names.map((n, i) => [n, r[i]]))))).toEqual(expected.map(drop));
  });

  it.each(cases.filter((c) => c.endsWith('_crlf')))('%s with the CR LF line endings the suite intends', (name) => {
    const text = new TextDecoder().decode(read(`${dir}/csvs/${name}.csv`)).replace(/\r?\n/g, '\r\n');
    const expected = expectedRows(name);
    const names = Object.keys(expected[0]);
    const got = decode(stringContract(names), new TextEncoder().encode(text), [3]);
    expect(got.rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])))).toEqual(expected);
  });
});

describe('sineemore csv-test-data', () => {
  const dir = 'sineemore-csv-test-data';
  const files = readdirSync(join(SUITES, dir, 'csv')).map((f) => f.replace(/\.csv$/, ''));
  const valid = files.filter((f) => !f.startsWith('bad-'));

  it.each(valid.flatMap((c) => CHUNKINGS.map((ch) => [c, ch] as const)))('%s (chunks %j)', (name, chunks) => {
    const expected = JSON.parse(readFileSync(join(SUITES, dir, 'json', `${name}.json`), 'utf8')) as unknown;
    const bytes = read(`${dir}/csv/${name}.csv`);
    if (name.startsWith('header-')) {
      const got = decode(stringContract(['foo', 'bar', 'baz']), bytes, chunks);
      expect(got.rejects).toEqual([]);
      expect(got.rows.map((r) => ({ foo: r[0], bar: r[1], baz: r[2] }))).toEqual(expected);
    } else {
      const rowsExpected = expected as string[][];
      const width = Math.max(...rowsExpected.map((r) => r.length));
      const got = decode(
        stringContract(
          Array.from({ length: width }, (_, i) => `c${i}`),
          { header: false },
        ),
        bytes,
        chunks,
      );
      expect(got.rejects).toEqual([]);
      expect(got.rows).toEqual(rowsExpected);
    }
  });

  const header = stringContract(['foo', 'bar', 'baz']);
  it.each([
    ['bad-header-less-fields', 'ragged-row'],
    ['bad-header-more-fields', 'ragged-row'],
    ['bad-missing-quote', 'unterminated-quote'],
    ['bad-quotes-with-unescaped-quote', 'stray-quote'],
    ['bad-unescaped-quote', 'stray-quote'],
  ])('%s is quarantined as %s, with its line and original bytes (strictQuotes), in every chunking', (name, reason) => {
    const bytes = read(`${dir}/csv/${name}.csv`);
    for (const chunks of CHUNKINGS) {
      const got = decode(stringContract(['foo', 'bar', 'baz'], { strictQuotes: true }), bytes, chunks);
      expect(got.rows).toEqual([]);
      expect(got.rejects.map((r) => [r.line, r.reason])).toEqual([[2, reason]]);
      const text = new TextDecoder().decode(bytes);
      expect(new TextDecoder().decode(got.rejects[0].raw)).toBe(text.slice(text.indexOf('\n') + 1));
      expect(got.stats.rowsRead).toBe(got.stats.rowsRejected + got.stats.rowsWritten + got.stats.rowsBlank);
    }
  });

  it('bad-unescaped-quote is accepted with the quotes as text by default (deliberate, as DuckDB and csv-spectrum: see README)', () => {
    for (const chunks of CHUNKINGS) {
      const got = decode(header, read(`${dir}/csv/bad-unescaped-quote.csv`), chunks);
      expect(got.rows).toEqual([['1', 'This "quotes" must be escaped', '3']]);
    }
  });

  it('bad-header-wrong-header fails the whole file with the missing and unexpected columns named', () => {
    for (const chunks of CHUNKINGS) {
      expect(() => decode(header, read(`${dir}/csv/bad-header-wrong-header.csv`), chunks)).toThrow(HeaderMismatchError);
      expect(() => decode(header, read(`${dir}/csv/bad-header-wrong-header.csv`), chunks)).toThrow(
        /missing column\(s\) foo, bar, baz; unexpected column\(s\) qux, quux, quuz/,
      );
    }
  });

  it('bad-header-no-header (an empty file) yields zero rows rather than an error (deliberate: see README)', () => {
    const bytes = read(`${dir}/csv/bad-header-no-header.csv`);
    for (const chunks of CHUNKINGS) {
      const got = decode(header, bytes, chunks);
      expect(got.rows).toEqual([]);
      expect(got.stats).toMatchObject({ rowsRead: 0, header: null });
    }
  });

  it('every file of the suite is one of the cases above', () => {
    const bad = [
      'bad-header-less-fields',
      'bad-header-more-fields',
      'bad-missing-quote',
      'bad-quotes-with-unescaped-quote',
      'bad-unescaped-quote',
      'bad-header-wrong-header',
      'bad-header-no-header',
    ];
    expect(files.filter((f) => f.startsWith('bad-')).sort()).toEqual(bad.sort());
    expect(valid.length).toBeGreaterThanOrEqual(10);
  });
});

describe('csv-parser (mafintosh) fixtures against its AVA snapshots', () => {
  const dir = 'csv-parser/test';
  const snap = (file: string) => readAvaSnapshots(join(SUITES, dir, 'snapshots', file));
  const fixture = (name: string) => read(`${dir}/fixtures/${name}.csv`);
  const asObjects = (names: string[], rows: (string | null)[][]) =>
    rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));

  type Case = {
    fixture: string;
    dialect?: Record<string, unknown>;
    names: string[];
    headerless?: boolean;
    snapshot: [string, string];
    labels: string[];
  };
  const cases: Case[] = [
    { fixture: 'basic', names: ['a', 'b', 'c'], snapshot: ['test.js.md', 'simple csv'], labels: ['first row'] },
    {
      fixture: 'newlines',
      names: ['a', 'b', 'c'],
      snapshot: ['test.js.md', 'newlines in a cell'],
      labels: ['first row', 'second row', 'fourth row'],
    },
    {
      fixture: 'escape-quotes',
      names: ['a', 'b'],
      snapshot: ['test.js.md', 'raw escaped quotes'],
      labels: ['first row', 'second row', 'third row'],
    },
    {
      fixture: 'quotes+newlines',
      names: ['a', 'b'],
      snapshot: ['test.js.md', 'raw escaped quotes and newlines'],
      labels: ['first row', 'second row', 'third row'],
    },
    {
      fixture: 'option-quote',
      dialect: { quote: "'" },
      names: ['a', 'b', 'c'],
      snapshot: ['quote.test.js.md', 'custom quote character'],
      labels: ['first row', 'second row'],
    },
    {
      fixture: 'option-quote-escape',
      dialect: { quote: "'", escape: '\\' },
      names: ['a', 'b', 'c'],
      snapshot: ['quote.test.js.md', 'custom quote and escape character'],
      labels: ['first row', 'second row', 'third row'],
    },
    {
      fixture: 'option-quote-many',
      dialect: { quote: "'" },
      names: ['a', 'b', 'c'],
      snapshot: ['quote.test.js.md', 'quote many'],
      labels: ['first row', 'second row', 'third row'],
    },
    {
      fixture: 'option-escape',
      dialect: { escape: '\\' },
      names: ['a', 'b', 'c'],
      snapshot: ['headers.test.js.md', 'custom escape character'],
      labels: ['first row', 'second row', 'third row'],
    },
  ];

  it.each(cases.flatMap((c) => CHUNKINGS.map((ch) => [c.fixture, c, ch] as const)))(
    '%s (chunks %j)',
    (_name, c, chunks) => {
      const expected = snap(c.snapshot[0]).get(c.snapshot[1])!;
      const got = decode(stringContract(c.names, c.dialect as never), fixture(c.fixture), chunks);
      expect(got.rejects).toEqual([]);
      const objects = asObjects(c.names, got.rows);
      expect(objects).toHaveLength(c.labels.length);
      for (const [i, label] of c.labels.entries()) expect(objects[i]).toEqual(expected.get(label));
    },
  );

  it('csv-spectrum as piped through csv-parser (test.js snapshot), in every chunking', () => {
    const expected = snap('test.js.md').get('csv-spectrum')!;
    // The snapshot holds one entry per csv-spectrum file but location_coordinates (csv-parser's copy of the suite is
    // older): an empty or partial snapshot must not pass.
    const spectrum = readdirSync(join(SUITES, 'csv-spectrum/csvs'))
      .filter((f) => f.endsWith('.csv') && f !== 'location_coordinates.csv')
      .map((f) => f.replace(/\.csv$/, ''));
    expect([...expected.keys()].sort()).toEqual(spectrum.sort());
    for (const [name, objs] of expected) {
      const rowsExpected = objs as Record<string, string>[];
      const csv = new Uint8Array(readFileSync(join(SUITES, 'csv-spectrum/csvs', `${name}.csv`)));
      const header = new TextDecoder().decode(csv).split(/\r?\n/)[0].split(',');
      // Same CR LF caveat as above: the stored *_crlf files have LF line breaks.
      const want =
        name.endsWith('_crlf') && !csv.includes(13)
          ? JSON.parse(JSON.stringify(rowsExpected).replace(/\\r\\n/g, '\\n'))
          : rowsExpected;
      for (const chunks of CHUNKINGS)
        expect(asObjects(header, decode(stringContract(header), csv, chunks).rows), `${name} ${chunks}`).toEqual(want);
    }
  });

  it('headers given by the caller (headers option)', () => {
    for (const chunks of CHUNKINGS) {
      const got = decode(stringContract(['a', 'b', 'c'], { header: false }), fixture('headers'), chunks);
      expect(asObjects(['a', 'b', 'c'], got.rows)).toEqual(
        snap('headers.test.js.md').get('headers option')!.get('Snapshot 1'),
      );
    }
  });

  it('headers: false, with the ragged fourth row quarantined instead of passed through (deliberate: see README)', () => {
    const expected = snap('headers.test.js.md').get('headers: false')!.get('Snapshot 1') as Record<string, string>[];
    expect(expected).toHaveLength(4);
    for (const chunks of CHUNKINGS) {
      const got = decode(stringContract(['0', '1', '2'], { header: false }), fixture('no-headers'), chunks);
      expect(asObjects(['0', '1', '2'], got.rows)).toEqual(expected.slice(0, 3));
      expect(got.rejects.map((r) => [r.line, r.reason])).toEqual([[4, 'ragged-row']]);
    }
  });

  it('backtick separator (#105)', () => {
    const expected = snap('issues.test.js.md').get('backtick separator (#105)')!.get('lines') as unknown[];
    expect(expected.length).toBeGreaterThan(0);
    for (const chunks of CHUNKINGS) {
      const got = decode(stringContract(['pokemon_id', 'p_desc'], { delimiter: '`' }), fixture('backtick'), chunks);
      expect(asObjects(['pokemon_id', 'p_desc'], got.rows)).toEqual(expected);
    }
  });

  it.each([
    ['comment', '#', 'comment'],
    ['option-comment', '~', 'custom comment'],
  ])('skips comment lines: %s', (name, comment, title) => {
    const expected = snap('skipComments.test.js.md').get(title)!.get('Snapshot 1') as unknown[];
    expect(expected.length).toBeGreaterThan(0);
    for (const chunks of CHUNKINGS) {
      const got = decode(stringContract(['a', 'b', 'c'], { comment }), fixture(name), chunks);
      expect(asObjects(['a', 'b', 'c'], got.rows)).toEqual(expected);
      expect(got.stats.commentLines).toBe(1);
    }
  });

  it('strict: the row with too many columns is quarantined, the rows before it kept', () => {
    const s = snap('strict.test.js.md').get('strict')!;
    for (const chunks of CHUNKINGS) {
      const got = decode(stringContract(['a', 'b', 'c']), fixture('strict'), chunks);
      expect(asObjects(['a', 'b', 'c'], got.rows)).toEqual([s.get('first row'), s.get('second row')]);
      expect(got.rejects.map((r) => [r.line, r.reason, new TextDecoder().decode(r.raw)])).toEqual([
        [4, 'ragged-row', '7,8,9,10'],
      ]);
    }
  });

  it.each([
    ['strict-false-less-columns', 'strict: false - less columns', ['a', 'b']],
    ['strict-false-more-columns', 'strict: false - more columns', ['a', 'b', 'c', '_3']],
  ])(
    '%s: csv-parser passes the broken row on with missing or extra keys; it is quarantined whole, the others kept (deliberate: see README)',
    (name, title, brokenKeys) => {
      const s = snap('strictNo.test.js.md').get(title)!;
      const broken = s.get('broken row') as Record<string, string>;
      expect(Object.keys(broken).sort()).toEqual([...brokenKeys].sort());
      for (const chunks of CHUNKINGS) {
        const got = decode(stringContract(['a', 'b', 'c']), fixture(name), chunks);
        expect(asObjects(['a', 'b', 'c'], got.rows)).toEqual([s.get('first row'), s.get('last row')]);
        expect(got.rejects.map((r) => [r.line, r.reason])).toEqual([[3, 'ragged-row']]);
        // The quarantined bytes hold exactly the values csv-parser gave the broken row.
        expect(new TextDecoder().decode(got.rejects[0].raw).split(',')).toEqual(brokenKeys.map((k) => broken[k]));
      }
    },
  );

  it('empty columns (test.js assertions): three columns, a date, two empty strings', () => {
    for (const chunks of CHUNKINGS) {
      const got = decode(stringContract(['a', 'b', 'c'], { header: false }), fixture('empty-columns'), chunks);
      expect(got.rows.length).toBeGreaterThan(0);
      for (const r of got.rows) {
        expect(r).toHaveLength(3);
        expect(r[0]).toMatch(/^2007-01-0\d$/);
        expect([r[1], r[2]]).toEqual(['', '']);
      }
    }
  });

  it('geojson: quoted JSON with doubled quotes parses back (test.js assertion)', () => {
    const names = ['id', 'prop0', 'prop1', 'geojson'];
    for (const chunks of CHUNKINGS) {
      const got = decode(stringContract(names), fixture('geojson'), chunks);
      expect(JSON.parse(got.rows[1][3]!)).toEqual({
        type: 'LineString',
        coordinates: [
          [102.0, 0.0],
          [103.0, 1.0],
          [104.0, 0.0],
          [105.0, 1.0],
        ],
      });
    }
  });

  it('process all rows of large-dataset: 7268 (test.js assertion)', () => {
    const bytes = fixture('large-dataset');
    const header = new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(10))).split(',');
    const got = decode(stringContract(header), bytes, [4096, 333]);
    expect(got.rows).toHaveLength(7268);
    expect(got.rejects).toEqual([]);
  });

  it('maxRowBytes: 4576 good rows precede the broken one; it is quarantined and the rows after it kept (deliberate: no abort)', () => {
    const bytes = fixture('option-maxRowBytes');
    const header = new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(10))).split(',');
    const lines = bytes.reduce((n, b) => n + (b === 10 ? 1 : 0), 0);
    for (const chunks of CHUNKINGS) {
      const got = decode(stringContract(header, { maxRecordBytes: 200 }), bytes, chunks);
      expect(got.rejects.map((r) => [r.line, r.reason])).toEqual([[4576 + 2, 'stray-quote']]);
      expect(got.stats.rowsWritten).toBe(lines - 2);
    }
  });

  it('a record over maxRecordBytes is quarantined as record-too-large', () => {
    const got = decode(
      stringContract(['a', 'b']),
      new TextEncoder().encode(`a,b\n1,2\n3,${'x'.repeat(300)}\n5,6\n`),
      [64],
    );
    const small = decode(
      stringContract(['a', 'b'], { maxRecordBytes: 100 }),
      new TextEncoder().encode(`a,b\n1,2\n3,${'x'.repeat(300)}\n5,6\n`),
      [64],
    );
    expect(got.rows).toHaveLength(3);
    expect(small.rows).toEqual([
      ['1', '2'],
      ['5', '6'],
    ]);
    expect(small.rejects.map((r) => [r.line, r.reason])).toEqual([[3, 'record-too-large']]);
  });
});
