import { makeVector } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Contract } from '#src/contracts/contract.ts';
import { contractSchema } from '#src/contracts/contractSchema.ts';
import { JsCsvDecoder, type CsvDecoder, type DecodeOutput } from '#src/decode/csvDecoder.ts';
import { WasmCsvDecoder } from '#src/decode/wasmDecoder.ts';
import { keepCoreMemory, takeCoreMemory } from '#src/decode/wasmCore.ts';

/**
 * The WASM core against the JavaScript reference decoder: for random contracts (every type, checks, null
 * tokens, trim), random dialects and random dirty CSV split into random chunks, both must produce the same
 * batches (row counts, every value and null, source lines), the same rejects (line, column, reason, message,
 * original bytes) and the same counts.
 */

/** Checks on one column in four: enough to compare their rejects, few enough to leave rows. */
const rarely = <T>(a: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });

type ColSpec = {
  type: string;
  nullable: boolean;
  trim: boolean;
  format?: string | string[];
  checks?: Record<string, unknown>;
  currency?: string;
  percent?: boolean;
};

const columnSpec: fc.Arbitrary<ColSpec> = fc.oneof(
  fc.record({
    type: fc.constant('string'),
    nullable: fc.boolean(),
    trim: fc.boolean(),
    checks: rarely(fc.constantFrom({ allowed: ['a', 'b', 'é'] }, { pattern: '^[a-z]{1,3}$' }, { min: 'b', max: 'x' })),
  }),
  fc.record(
    {
      type: fc.constantFrom('int32', 'int64', 'float64'),
      nullable: fc.boolean(),
      trim: fc.boolean(),
      checks: rarely(fc.constantFrom({ min: 0 }, { min: -5, max: 1000 }, { allowed: [0, 1, -1, 2147483647] })),
      currency: rarely(fc.constantFrom('R$', '€', '$')),
    },
    { requiredKeys: ['type', 'nullable', 'trim'] },
  ),
  fc.record(
    {
      type: fc.constantFrom('decimal(12,2)', 'decimal(38,10)', 'decimal(5,0)', 'decimal(18,4)', 'float64'),
      nullable: fc.boolean(),
      trim: fc.boolean(),
      checks: rarely(fc.constant({ min: 0 })),
      percent: rarely(fc.constant(true)),
    },
    { requiredKeys: ['type', 'nullable', 'trim'] },
  ),
  fc.record({
    type: fc.constant('boolean'),
    nullable: fc.boolean(),
    trim: fc.boolean(),
    checks: rarely(fc.constant({ allowed: [true] })),
  }),
  fc.record({
    type: fc.constant('date'),
    nullable: fc.boolean(),
    trim: fc.boolean(),
    format: fc.constantFrom<string | string[]>(
      'iso',
      'M/D/YYYY',
      'epoch_s',
      'DD.MM.YYYY',
      'D-MMM-YY',
      'MMMM D, YYYY',
      ['iso', 'M/D/YYYY'],
      ['D-MMM-YY', 'epoch_s', 'iso'],
    ),
    checks: rarely(fc.constant({ min: '2000-01-01' })),
  }),
  fc.record({
    type: fc.constant('timestamp'),
    nullable: fc.boolean(),
    trim: fc.boolean(),
    format: fc.constantFrom(
      'iso',
      'M/D/YYYY H:mm',
      'epoch_s',
      'epoch_ms',
      'YYYY-MM-DD HH:mm:ss.SSS',
      'M/D/YYYY h:mm:ss A',
      'DD MMM YYYY hh:mm A',
      ['iso', 'M/D/YYYY h:mm:ss A'],
      ['M/D/YYYY H:mm', 'epoch_ms'],
    ),
    checks: rarely(fc.constant({ max: '2030-01-01T00:00:00Z' })),
  }),
);

/** Values close to each type's edges, plus junk that must be refused the same way. */
const valueText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '0',
      '-0',
      '1',
      '-1',
      '+7',
      '42',
      '2147483647',
      '2147483648',
      '-2147483648',
      '-2147483649',
      '9007199254740991',
      '9007199254740993',
      '9223372036854775807',
      '9223372036854775808',
      '-9223372036854775808',
      '00000000000000000000012',
      '123456789012345678901',
      '1.5',
      '-0.25',
      '.5',
      '5.',
      '1e3',
      '1E-7',
      '3.141592653589793238',
      'NaN',
      'nan',
      '-inf',
      'Infinity',
      '1.005',
      '999.995',
      '0.00000001',
      '12345678901234567890.1234567890',
      '-99999.99',
      'true',
      'FALSE',
      'yes',
      'n',
      'T',
      '2',
      '2020-02-29',
      '2019-02-29',
      '2021-12-31T23:59:59Z',
      '2021-12-31 23:59:59.123456',
      '2021-06-01T12:00:00+02:00',
      'Sept 5, 2017',
      'Feb 30, 2017',
      'Marc 1, 2017',
      'september 30, 1999',
      '1-jan-70',
      '31-DEC-68',
      '1/1/2017 12:00:00 AM',
      '1/1/2017 13:00:00 PM',
      '1/1/2017 0:00:00 am',
      '01 DEC 2017 12:59 pm',
      '01 Dec 2017 12:59 p',
      '1.234,56',
      '1,234.56',
      '1.234.567',
      '12.34,5',
      '1 234',
      "1'234.5",
      'R$ 1.234,56',
      '-R$ 3,5',
      'R$ -3,5',
      '12,5%',
      '12.5 %',
      '1e3%',
      '%',
      '2021-06-01T12:00:00.5-0330',
      '0001-01-01',
      '-0044-03-15',
      '9999-12-31',
      '2021-13-01',
      '3/7/2021',
      '12/31/1999 23:59',
      '31.12.1999',
      '2021-06-01 07:08:09.123',
      '1609459200',
      '-86400',
      '1609459200123',
      '99999999999999999',
      '',
      ' ',
      ' 12 ',
      '\t3\t',
      'NULL',
      'NA',
      'a',
      'b',
      'é',
      'x',
      'abcd',
      'zz',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom(
        'a',
        '1',
        '-',
        '.',
        ',',
        ';',
        '"',
        '\\',
        '\n',
        '\r',
        ' ',
        'é',
        '日',
        '😀',
        '#',
        'e',
        '\t',
        '|',
      ),
      maxLength: 10,
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

const dialect = fc.record({
  delimiter: fc.constantFrom(',', ';', '\t', '|'),
  escape: fc.constantFrom(undefined, '\\'),
  nullTokens: fc.constantFrom([''], ['', 'NULL'], ['NA'], []),
  comment: fc.constantFrom(undefined, '#'),
  strictQuotes: fc.boolean(),
  header: fc.boolean(),
  headerRows: fc.constantFrom(1, 1, 2),
  skipLines: fc.constantFrom(0, 0, 0, 1, 2),
  skipInitialSpace: fc.boolean(),
  trailingDelimiter: fc.constantFrom(false, false, false, true),
  rowNames: fc.constantFrom(false, false, false, true),
  decimalSeparator: fc.constantFrom('.', '.', '.', '.', ','),
  thousandsSeparator: fc.constantFrom(undefined, undefined, undefined, '.', ',', ' ', "'"),
  encoding: fc.constantFrom('utf-8', 'utf-8', 'latin1'),
  maxRecordBytes: fc.constantFrom(...Array(9).fill(1 << 20), 40),
});

/** Quotes a value when it needs it (and at random); one time in ten a needy value goes out raw, as dirty files do. */
function field(v: string, delim: string, q: number, esc: string | undefined): string {
  const needs = v.includes(delim) || /["\r\n#]/.test(v) || (esc !== undefined && v.includes(esc));
  if (q === 0 || (!needs && q > 3)) return v;
  const escaped = esc ? v.replace(/["\\]/g, (c) => `\\${c}`) : v.replace(/"/g, '""');
  return `"${escaped}"`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Valid text for a column of the given spec, in its format, meeting its checks (so that most rows are written). */
function validValue(c: ColSpec): fc.Arbitrary<string> {
  const t = c.type;
  const k = c.checks ?? {};
  if (t === 'string' && k.allowed) return fc.constantFrom(...(k.allowed as string[]));
  if (t === 'string' && k.pattern) return fc.stringMatching(new RegExp(k.pattern as string));
  if (t === 'string' && k.min !== undefined)
    return fc
      .tuple(
        fc.constantFrom('b', 'c', 'm', 'w'),
        fc.string({ unit: fc.constantFrom('a', 'z', 'é', ' '), maxLength: 5 }),
      )
      .map(([a, b]) => a + b);
  if (k.allowed) return fc.constantFrom(...(k.allowed as unknown[]).map((v) => (v === true ? 'true' : String(v))));
  if ((t === 'int32' || t === 'int64') && k.min !== undefined)
    return fc.integer({ min: k.min as number, max: (k.max as number | undefined) ?? 2147483647 }).map(String);
  if (t === 'float64' && k.min !== undefined)
    return fc.double({ min: k.min as number, max: (k.max as number | undefined) ?? 1e300, noNaN: true }).map(String);
  if (t.startsWith('decimal') && k.min !== undefined)
    return fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.nat(99))
      .map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`);
  if (t === 'string')
    return fc.string({
      unit: fc.constantFrom('a', 'b', 'x', ' ', ',', ';', '"', '\\', '\n', '\r\n', 'é', '日', '😀', '\t', '|', '#'),
      maxLength: 12,
    });
  // Unsigned ones as often (ids and counts): the core's fast path reads those, signed ones go the general way.
  if (t === 'int32') return fc.oneof(fc.integer(), fc.nat()).map(String);
  if (t === 'int64')
    return fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
      fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
      fc.integer({ min: -1000, max: 1000 }).map(String),
      fc.nat(99999).map(String),
    );
  if (t === 'float64')
    return fc.oneof(
      fc.double().map(String),
      fc.integer().map((i) => (i / 100).toFixed(2)),
      fc.integer().map((i) => `${i}e-3`),
    );
  if (t.startsWith('decimal')) {
    // Up to the column's precision, with up to its scale of fraction digits (fewer too), near its edges as well.
    const [p, scale] = t.slice(8, -1).split(',').map(Number);
    const top = 10n ** BigInt(p) - 1n;
    return fc
      .tuple(fc.oneof(fc.bigInt({ min: -top, max: top }), fc.bigInt({ min: -1000n, max: 1000n })), fc.nat(scale))
      .map(([v, drop]) => {
        const sc = scale - drop;
        const digits = (v < 0n ? -v : v) / 10n ** BigInt(drop);
        const str = digits.toString().padStart(sc + 1, '0');
        return `${v < 0n ? '-' : ''}${sc ? `${str.slice(0, str.length - sc)}.${str.slice(str.length - sc)}` : str}`;
      });
  }
  if (t === 'boolean') return fc.constantFrom('true', 'false', 'TRUE', '0', '1', 'y', 'No');
  const lo =
    k.min !== undefined ? `${k.min}T00:00:00Z` : t === 'date' ? '1000-01-01T00:00:00Z' : '1700-01-01T00:00:00Z';
  const hi =
    k.max !== undefined ? '2029-12-31T23:59:59Z' : t === 'date' ? '9999-12-31T23:59:59Z' : '2200-01-01T00:00:00Z';
  const date = fc.date({ min: new Date(lo), max: new Date(hi), noInvalidDate: true });
  // A list of formats: each value written in one of them, at random.
  const formats = Array.isArray(c.format) ? c.format : [c.format];
  return fc.tuple(date, fc.nat(formats.length - 1)).map(([d, pick]) => {
    const format = formats[pick];
    const [Y, M, D, h, m, s, ms] = [
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ];
    switch (format) {
      case 'M/D/YYYY':
        return `${M}/${D}/${Y}`;
      case 'DD.MM.YYYY':
        return `${pad(D)}.${pad(M)}.${Y}`;
      case 'epoch_s':
        return String(Math.floor(d.getTime() / 1000));
      case 'epoch_ms':
        return String(d.getTime());
      case 'M/D/YYYY H:mm':
        return `${M}/${D}/${Y} ${h}:${pad(m)}`;
      case 'YYYY-MM-DD HH:mm:ss.SSS':
        return `${Y}-${pad(M)}-${pad(D)} ${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms, 3)}`;
      case 'D-MMM-YY':
        return `${D}-${MONTHS[M - 1].slice(0, 3)}-${pad(Y % 100)}`;
      case 'MMMM D, YYYY':
        return `${MONTHS[M - 1]} ${D}, ${Y}`;
      case 'M/D/YYYY h:mm:ss A':
        return `${M}/${D}/${Y} ${h % 12 || 12}:${pad(m)}:${pad(s)} ${h < 12 ? 'AM' : 'pm'}`;
      case 'DD MMM YYYY hh:mm A':
        return `${pad(D)} ${MONTHS[M - 1].slice(0, 3).toUpperCase()} ${Y} ${pad(h % 12 || 12)}:${pad(m)} ${h < 12 ? 'am' : 'PM'}`;
      default:
        return t === 'date' ? d.toISOString().slice(0, 10) : d.toISOString();
    }
  });
}

type Dialect = typeof dialect extends fc.Arbitrary<infer T> ? T : never;

/** A random file: its columns, dialect, rows (valid, junk, ragged), line ends, stray lines, chunking and batching. */
const caseOf = (columns: fc.Arbitrary<ColSpec[]>, dialects: fc.Arbitrary<Dialect>, plain = false) =>
  fc.tuple(columns, dialects).chain(([cols, d]) =>
    fc.record({
      cols: fc.constant(cols),
      d: fc.constant(d),
      rows: fc.array(
        fc
          .tuple(
            fc.tuple(
              ...cols.map((c) =>
                fc.tuple(
                  plain
                    ? fc.oneof(
                        { weight: 15, arbitrary: validValue(c) },
                        { weight: 15, arbitrary: plainValue(c) },
                        { weight: 1, arbitrary: valueText },
                      )
                    : fc.oneof({ weight: 15, arbitrary: validValue(c) }, { weight: 1, arbitrary: valueText }),
                  // How the value is quoted (see field()): one time in ten, or in forty for plainer files.
                  fc.nat(plain ? 39 : 9),
                ),
              ),
            ),
            fc.nat(19),
          )
          .map(([fields, ragged]) => (ragged === 0 ? fields.slice(1) : ragged === 1 ? [...fields, fields[0]] : fields)),
        { minLength: 1, maxLength: 30 },
      ),
      eol: fc.constantFrom('\n', '\r\n', '\r'),
      // Stray lines: blank, comments, broken quotes (text after a closing quote, at a record's end or not).
      extras: fc.array(
        fc.constantFrom('', '\n', '#comment\n', '"unterminated', 'a"b', '"a"b', 'STRAY', '\xff\xfe', '\n\n', 'BLANK'),
        { maxLength: 3 },
      ),
      preamble: fc.array(fc.constantFrom('Report "q1', 'x,y;z', '', '#', '"a\tb"'), { minLength: 2, maxLength: 2 }),
      bom: fc.boolean(),
      chunks: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }),
      batchBytes: fc.integer({ min: 1, max: 400 }),
    }),
  );

/** Valid text that needs no quotes: what most fields of a machine-written file are. */
function plainValue(c: ColSpec): fc.Arbitrary<string> {
  if (c.type === 'string' && !c.checks)
    return fc.string({ unit: fc.constantFrom('a', 'b', 'z', '0', '9', ' ', '.', '_', '-'), maxLength: 12 });
  // Digits at the edges of the fast path's reach (9 for int32, 18 for int64) and of each type's range.
  if (c.type === 'int32' && !c.checks)
    return fc.oneof(
      fc.nat().map(String),
      fc.constantFrom('999999999', '1000000000', '2147483647', '2147483648', '9999999999', '0000000000007'),
    );
  if (c.type === 'int64' && !c.checks)
    return fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
      fc.constantFrom('999999999999999999', '1000000000000000000', '9223372036854775808', '99999999999999999999'),
    );
  return validValue(c);
}

const csvCase = caseOf(fc.array(columnSpec, { minLength: 1, maxLength: 6 }), dialect);

/**
 * Files the core's fast path reads (records of plain fields tokenized and converted in one pass): none of what
 * turns it off (trimmed columns, number formats, null tokens, skipped spaces, trailing delimiters, one column), and
 * everything it must hand to the general path (quotes, signs, junk, ragged and blank rows, comments, line ends
 * split across chunks) in the rows.
 */
const fastCase = caseOf(
  fc.array(
    columnSpec.map(({ currency: _c, percent: _p, ...c }) => ({ ...c, trim: false })),
    { minLength: 2, maxLength: 8 },
  ),
  dialect.map((d) => ({
    ...d,
    nullTokens: [''],
    skipInitialSpace: false,
    trailingDelimiter: false,
    decimalSeparator: '.',
    thousandsSeparator: undefined,
  })),
  true,
);

function contractOf(cols: ColSpec[], d: Dialect): Contract {
  return contractSchema.parse({
    dataset: 'prop',
    dialect: {
      ...d,
      escape: d.escape,
      comment: d.comment,
      headerRows: d.header ? d.headerRows : 1,
      rowNames: d.rowNames && cols.length > 1,
      // A contract may not use one separator for both (loadContracts refuses it).
      thousandsSeparator: d.thousandsSeparator === d.decimalSeparator ? undefined : d.thousandsSeparator,
    },
    columns: cols.map((c, i) => ({
      name: `c${i}`,
      ...c,
      ...(c.format ? { format: c.format } : {}),
      // R's row names: the first column has no name in the header.
      ...(d.rowNames && i === 0 && cols.length > 1 ? { header: '' } : {}),
    })),
  });
}

function encode(text: string, latin1: boolean): Uint8Array {
  if (!latin1) {
    // '\xff\xfe' stands for raw invalid bytes in UTF-8 input.
    const parts = text.split('\xff\xfe');
    const enc = parts.map((p) => new TextEncoder().encode(p));
    const out: number[] = [];
    enc.forEach((b, i) => {
      if (i) out.push(0xff, 0xfe);
      out.push(...b);
    });
    return new Uint8Array(out);
  }
  return Uint8Array.from(text, (ch) => (ch.charCodeAt(0) < 256 ? ch.charCodeAt(0) : 63));
}

function show(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v;
  if (ArrayBuffer.isView(v)) return Array.from(v as Uint32Array);
  return v;
}

function run(decoder: CsvDecoder, bytes: Uint8Array, chunks: number[]) {
  const batches: unknown[] = [];
  const rejects: unknown[] = [];
  const collect = (out: DecodeOutput) => {
    for (const r of out.rejects) rejects.push({ ...r, raw: Array.from(r.raw) });
    for (const b of out.batches) {
      const cols = b.columns.map((d) => {
        const v = makeVector(d);
        return {
          type: String(d.type),
          nullCount: d.nullCount,
          values: Array.from({ length: b.rowCount }, (_, i) => show(v.get(i))),
        };
      });
      batches.push({ rowCount: b.rowCount, cols, lines: Array.from(makeVector(b.sourceLines)).map(show) });
    }
  };
  let p = 0;
  let k = 0;
  while (p < bytes.length) {
    const n = chunks[k++ % chunks.length];
    collect(decoder.push(bytes.subarray(p, p + n)));
    p += n;
  }
  collect(decoder.end());
  return { batches, rejects, stats: { ...decoder.stats } };
}

/**
 * A decoder's outcome on `bytes`. WASM decoders are disposed after, so the next case's core runs in this one's memory
 * (wasmCore.ts keeps it): every case then also checks that a core inherits nothing from the one before it.
 */
function outcome(make: () => CsvDecoder, bytes: Uint8Array, chunks: number[], after?: (decoder: CsvDecoder) => void) {
  let decoder: CsvDecoder | null = null;
  try {
    decoder = make();
    const out = run(decoder, bytes, chunks);
    after?.(decoder);
    return out;
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  } finally {
    if (decoder instanceof WasmCsvDecoder) decoder.dispose();
  }
}

/** An outcome with its batches joined: each column's values and the source lines, in order. */
function unbatched(o: ReturnType<typeof outcome>) {
  if ('error' in o) return o;
  type B = { cols: { values: unknown[] }[]; lines: unknown[] };
  const batches = o.batches as B[];
  const columns = batches[0]?.cols.map((_, c) => batches.flatMap((b) => b.cols[c].values)) ?? [];
  return { columns, lines: batches.flatMap((b) => b.lines), rejects: o.rejects, stats: o.stats };
}

type CsvCase = typeof csvCase extends fc.Arbitrary<infer T> ? T : never;

/**
 * Writes the case's file and decodes it with both decoders: the WASM core must give what the reference gives, and
 * the same in one chunk as in the case's chunks. Returns the rows written and how many the core's fast path read.
 */
function compareCase({ cols, d, rows, eol, extras, preamble, bom, chunks, batchBytes }: CsvCase) {
  const contract = contractOf(cols, d);
  const lines: string[] = preamble.slice(0, d.skipLines);
  // A group row above the names (empty cells, or one group over all: "g c0", ... would not match).
  const named = cols.slice(d.rowNames && cols.length > 1 ? 1 : 0);
  if (d.header && d.headerRows === 2) lines.push(named.map(() => '').join(d.delimiter));
  if (d.header)
    lines.push(
      cols
        .map((_, i) => `c${i}`)
        .slice(d.rowNames && cols.length > 1 ? 1 : 0)
        .join(d.delimiter),
    );
  // Numbers as the column's format writes them: decimal comma, currency before or after, a percent sign.
  const written = (v: string, c: ColSpec | undefined, q: number) => {
    if (!c || !/^(int|float|decimal)/.test(c.type)) return v;
    let t = d.decimalSeparator === ',' ? v.replace('.', ',') : v;
    if (c.currency) t = q % 2 ? `${c.currency} ${t}` : `${t}${c.currency}`;
    if (c.percent && q % 3) t = `${t}%`;
    return t;
  };
  rows.forEach((r, i) => {
    lines.push(r.map(([v, q], f) => field(written(v, cols[f], q), d.delimiter, q, d.escape)).join(d.delimiter));
    const extra = extras[i % Math.max(1, extras.length)];
    if (extras.length && i % 7 === 3)
      lines.push(
        extra === 'BLANK'
          ? d.delimiter.repeat(cols.length - 1)
          : extra === 'STRAY'
            ? [...cols.map(() => '1').slice(1), '"1"2'].join(d.delimiter)
            : extra,
      );
  });
  const ended = d.trailingDelimiter ? lines.map((l) => l + d.delimiter) : lines;
  const text = (bom ? '\ufeff' : '') + ended.join(eol) + (rows.length % 2 ? eol : '');
  const bytes = encode(text, d.encoding === 'latin1' && !bom);
  const js = outcome(() => new JsCsvDecoder(contract, { batchBytes }), bytes, chunks);
  let fastRows = 0;
  const wasm = outcome(
    () => new WasmCsvDecoder(contract, { batchBytes }),
    bytes,
    chunks,
    (decoder) => {
      fastRows = (decoder as unknown as { core: { statFastRows(): number } }).core.statFastRows();
    },
  );
  expect(wasm).toEqual(js);
  // However the bytes arrive, the same rows, values, rejects and counts (batch boundaries aside).
  const whole = outcome(() => new WasmCsvDecoder(contract, { batchBytes }), bytes, [Math.max(1, bytes.length)]);
  expect(unbatched(wasm)).toEqual(unbatched(whole));
  return { rowsWritten: 'stats' in js ? js.stats.rowsWritten : 0, fastRows };
}

describe('the WASM CSV core, against the JavaScript reference decoder', () => {
  it("gives a disposed decoder's memory, zeroed, to the next decoder, and refuses to decode after dispose()", () => {
    const contract = contractSchema.parse({
      dataset: 'reuse',
      columns: [
        { name: 'a', type: 'int32' },
        { name: 'b', type: 'string' },
      ],
    }) as Contract;
    const memoryOf = (d: WasmCsvDecoder) => (d as unknown as { core: { memory: { buffer: ArrayBuffer } } }).core.memory;
    const first = new WasmCsvDecoder(contract);
    first.push(new TextEncoder().encode(`b,a\n${'x,1\n'.repeat(5000)}`));
    const used = memoryOf(first);
    expect(new Uint8Array(used.buffer).some((b) => b !== 0)).toBe(true);
    first.dispose();
    expect(() => first.push(new Uint8Array([49]))).toThrow(/after dispose/);
    const kept = takeCoreMemory();
    expect(kept).toBe(used);
    expect(new Uint8Array(kept.buffer).every((b) => b === 0)).toBe(true);
    keepCoreMemory(kept);
    const second = new WasmCsvDecoder(contract);
    expect(memoryOf(second)).toBe(used);
    // The header read by the first (its columns swapped) is not the second's: it reads its own.
    const out = run(second, new TextEncoder().encode('a,b\n7,y\n'), [1000]);
    expect(out.rejects).toEqual([]);
    expect(out.batches).toMatchObject([{ rowCount: 1, cols: [{ values: [7] }, { values: ['y'] }] }]);
    second.dispose();
  });

  it('exports null bitmaps with the bits past the last row clear (the core keeps unwritten rows set)', () => {
    const contract = contractSchema.parse({ dataset: 'pad', columns: [{ name: 'a', type: 'int32' }] }) as Contract;
    const d = new WasmCsvDecoder(contract);
    // 13 rows, nulls at rows 2 and 12, and a refused row between (its bit must come back set for the next row).
    const rows = ['1', '2', '', '4', '5', 'x', '6', '7', '8', '9', '10', '11', '12', ''];
    const out = d.push(new TextEncoder().encode(`a\n${rows.join('\n')}\n`));
    const end = d.end();
    const batches = [...out.batches, ...end.batches];
    expect(batches).toHaveLength(1);
    const col = batches[0].columns[0];
    expect(batches[0].rowCount).toBe(13);
    expect(col.nullCount).toBe(2);
    expect(Array.from(col.nullBitmap!)).toEqual([0b11111011, 0b00001111]);
    d.dispose();
  });

  it('gives the same batches, rejects and counts for random contracts, dialects, dirty CSV and chunkings, and any chunking the same as one chunk', () => {
    const runs = Number(process.env.LANDFALL_PROPERTY_RUNS ?? 1500);
    let withRows = 0;
    fc.assert(
      fc.property(csvCase, (c) => {
        if (compareCase(c).rowsWritten > 0) withRows++;
      }),
      { numRuns: runs },
    );
    // Most cases must write rows, or the comparison would mostly be of rejects and empty batches.
    expect(withRows / runs).toBeGreaterThan(0.85);
  });

  it('gives the same on files the fast path reads (plain records in one pass), handing the rest to the general path', () => {
    const runs = Math.ceil(Number(process.env.LANDFALL_PROPERTY_RUNS ?? 1500) / 2);
    let fast = 0;
    let general = 0;
    fc.assert(
      fc.property(fastCase, (c) => {
        const r = compareCase(c);
        if (r.fastRows > 0) fast++;
        if (r.fastRows < r.rowsWritten) general++;
      }),
      { numRuns: runs },
    );
    // Both paths must be taken often: about half the files have rows the fast path read (~0.59 here), most have
    // rows it handed over.
    expect(fast / runs).toBeGreaterThan(0.45);
    expect(general / runs).toBeGreaterThan(0.3);
  });

  it('maps drifted headers the same (schemaDrift: evolve, a permuted subset of the columns, ragged rows among them)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.shuffledSubarray([...Array(n).keys()], { minLength: 1 }),
            fc.array(fc.array(fc.integer({ min: -999, max: 999 }), { minLength: 0, maxLength: 9 }), {
              maxLength: 60,
            }),
          ),
        ),
        fc.integer({ min: 1, max: 64 }),
        ([n, fields, rows], chunk) => {
          const contract = contractSchema.parse({
            dataset: 'drift',
            schemaDrift: 'evolve',
            columns: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, type: i % 2 ? 'string' : 'int32' })),
          });
          const text = `${[fields.map((i) => `c${i}`).join(','), ...rows.map((r) => r.map(String).join(','))].join('\n')}\n`;
          const bytes = new TextEncoder().encode(text);
          const js = outcome(() => new JsCsvDecoder(contract, { batchBytes: 256 }), bytes, [chunk]);
          const wasm = outcome(() => new WasmCsvDecoder(contract, { batchBytes: 256 }), bytes, [chunk]);
          expect(wasm).toEqual(js);
          expect('error' in js).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads long files the same in big chunks (batches cut by bytes, then by the first batch row count)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer(),
            fc.double({ noNaN: false }),
            fc.string({ maxLength: 20 }),
            fc.date({ noInvalidDate: true }),
          ),
          { minLength: 200, maxLength: 2000 },
        ),
        fc.integer({ min: 100, max: 5000 }),
        (rows, batchBytes) => {
          const contract = contractSchema.parse({
            dataset: 'long',
            columns: [
              { name: 'i', type: 'int64' },
              { name: 'f', type: 'float64' },
              { name: 's', type: 'string' },
              { name: 't', type: 'timestamp' },
            ],
          });
          const text =
            'i,f,s,t\n' +
            rows.map(([i, f, s, t]) => `${i},${f},"${s.replace(/"/g, '""')}",${t.toISOString()}`).join('\n') +
            '\n';
          const bytes = new TextEncoder().encode(text);
          const js = outcome(() => new JsCsvDecoder(contract, { batchBytes }), bytes, [65536]);
          const wasm = outcome(() => new WasmCsvDecoder(contract, { batchBytes }), bytes, [65536]);
          expect(wasm).toEqual(js);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('reads YYYY-MM-DD HH:MM:SS[.fraction][Z] timestamps (its fast path) as the reference does, edges and junk included', () => {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    const text = fc
      .record({
        y: fc.oneof(fc.constantFrom(0, 1, 4, 100, 400, 1899, 1900, 1970, 2000, 2024, 2100, 9999), fc.nat(9999)),
        mo: fc.nat(13),
        d: fc.nat(32),
        h: fc.nat(25),
        mi: fc.nat(61),
        s: fc.nat(61),
        sep: fc.constantFrom(' ', 'T', ' ', 'x'),
        zone: fc.constantFrom(
          '',
          '',
          'Z',
          'z',
          '+01:00',
          '.5',
          '.123',
          ',25',
          '.541Z',
          '.123456',
          '.1234567',
          '.123456789',
          '.1234567890',
          '.',
          '.Z',
          '.12a',
          '.5+01:00',
          '.999999999Z',
        ),
        junk: fc.option(fc.tuple(fc.nat(19), fc.constantFrom('a', '-', ' ', '/', ':')), { freq: 8 }),
      })
      .map(({ y, mo, d, h, mi, s, sep, zone, junk }) => {
        let t = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}${sep}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${zone}`;
        if (junk) t = t.slice(0, junk[0]) + junk[1] + t.slice(junk[0] + 1);
        return t;
      });
    const contract = contractSchema.parse({
      dataset: 'times',
      columns: [{ name: 't', type: 'timestamp', nullable: true }],
    });
    // Alone (the general path), and beside a number column (the fast path: a record of plain fields in one pass).
    const paired = contractSchema.parse({
      dataset: 'times',
      columns: [
        { name: 't', type: 'timestamp', nullable: true },
        { name: 'n', type: 'int32' },
      ],
    });
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 50 }), (values) => {
        const bytes = new TextEncoder().encode(`t\n${values.join('\n')}\n`);
        const js = outcome(() => new JsCsvDecoder(contract), bytes, [bytes.length]);
        const wasm = outcome(() => new WasmCsvDecoder(contract), bytes, [bytes.length]);
        expect(wasm).toEqual(js);
        const two = new TextEncoder().encode(`t,n\n${values.map((v, i) => `${v},${i}`).join('\n')}\n`);
        const js2 = outcome(() => new JsCsvDecoder(paired), two, [two.length]);
        const wasm2 = outcome(() => new WasmCsvDecoder(paired), two, [two.length]);
        expect(wasm2).toEqual(js2);
      }),
      { numRuns: 300 },
    );
    // And the instants themselves, from Date.UTC (leap days of 2000 and 2024; 1900 has none; year 1 is out of range).
    const decoder = new WasmCsvDecoder(contract);
    const lines = ['2000-02-29 23:59:59', '2024-02-29T00:00:01Z', '1685-01-01 00:00:00', '0001-01-01 00:00:00'];
    const outs = [
      decoder.push(new TextEncoder().encode(`t\n${lines.join('\n')}\n1900-02-29 00:00:00\n`)),
      decoder.end(),
    ];
    const got = outs.flatMap((o) => o.batches.flatMap((b) => Array.from(b.columns[0].values as BigInt64Array)));
    expect(got).toEqual(
      [Date.UTC(2000, 1, 29, 23, 59, 59), Date.UTC(2024, 1, 29, 0, 0, 1), Date.UTC(1685, 0, 1)].map(
        (ms) => BigInt(ms) * 1000n,
      ),
    );
    expect(outs.flatMap((o) => o.rejects.map((r) => r.line))).toEqual([5, 6]);
  });
});
