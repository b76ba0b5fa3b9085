/**
 * Every reject reason against answers written by hand (not by the reference decoder, which the WASM core shares
 * its messages and string checks with): its line, column, message and the record's original bytes, through both
 * decoders and through a real ingest's quarantine file read back by csv-parse. Float parsing and the string
 * checks are compared with independent oracles: V8's Number() and predicates written here.
 */
import { makeVector } from 'apache-arrow';
import fc from 'fast-check';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Contract } from '#src/contracts/contract.ts';
import { contractSchema } from '#src/contracts/contractSchema.ts';
import { JsCsvDecoder, type CsvDecoder } from '#src/decode/csvDecoder.ts';
import { ingestObject } from '#src/ingest/ingestObject.ts';
import { WasmCsvDecoder } from '#src/decode/wasmDecoder.ts';
import { ingestContext } from '#src/wiring/local.ts';
import { duck, quarantineRows, rows, tempDir, tempLake, landedParquet } from './helpers.ts';

const DECODERS: [string, (c: Contract) => CsvDecoder][] = [
  ['WASM core', (c) => new WasmCsvDecoder(c, {})],
  ['reference', (c) => new JsCsvDecoder(c, {})],
];

const ORDERS = {
  dataset: 'orders',
  dialect: { maxRecordBytes: 200, strictQuotes: true },
  columns: [
    { name: 'id', type: 'int32', nullable: false },
    { name: 'amount', type: 'decimal(10,2)', checks: { min: 0 } },
    { name: 'status', type: 'string', checks: { allowed: ['open', 'shipped'] } },
    { name: 'code', type: 'string', checks: { pattern: '^[A-Z]{3}$' } },
    { name: 'name', type: 'string', checks: { min: 'b', max: 'x' } },
    { name: 'day', type: 'date', checks: { min: '2000-01-01' } },
    { name: 'ratio', type: 'float64' },
    { name: 'flag', type: 'boolean' },
  ],
};
const ORDERS_YAML = `dataset: orders
dialect: { maxRecordBytes: 200, strictQuotes: true }
columns:
  - { name: id, type: int32, nullable: false }
  - { name: amount, type: "decimal(10,2)", checks: { min: 0 } }
  - { name: status, type: string, checks: { allowed: [open, shipped] } }
  - { name: code, type: string, checks: { pattern: "^[A-Z]{3}$" } }
  - { name: name, type: string, checks: { min: b, max: x } }
  - { name: day, type: date, checks: { min: "2000-01-01" } }
  - { name: ratio, type: float64 }
  - { name: flag, type: boolean }
`;

const GOOD = '1,1.50,open,ABC,bob,2020-01-01,0.5,true';
const LONG = `14,1.50,open,ABC,${'b'.repeat(300)},2020-01-01,0.5,true`;
const NOT_UTF8 = Buffer.concat([
  Buffer.from('15,1.50,open,ABC,b'),
  Buffer.from([0xff, 0xfe]),
  Buffer.from(',2020-01-01,0.5,true'),
]);

/** Each bad record, the line it is on, and what a person reading the contract expects to be told. */
const CASES: { record: Buffer; line: number; column: string | null; reason: string; message: string }[] = [
  {
    line: 3,
    record: Buffer.from('x1,1.50,open,ABC,bob,2020-01-01,0.5,true'),
    column: 'id',
    reason: 'invalid-value',
    message: '"x1" is not an int32',
  },
  {
    line: 4,
    record: Buffer.from('2147483648,1.50,open,ABC,bob,2020-01-01,0.5,true'),
    column: 'id',
    reason: 'invalid-value',
    message: '"2147483648" is not an int32',
  },
  {
    line: 5,
    record: Buffer.from(',1.50,open,ABC,bob,2020-01-01,0.5,true'),
    column: 'id',
    reason: 'null-not-allowed',
    message: 'is empty but the column is not nullable',
  },
  {
    line: 6,
    record: Buffer.from('3,-1.00,open,ABC,bob,2020-01-01,0.5,true'),
    column: 'amount',
    reason: 'check-range',
    message: '-1.00 is outside [0, ]',
  },
  {
    line: 7,
    record: Buffer.from('5,1.50,closed,ABC,bob,2020-01-01,0.5,true'),
    column: 'status',
    reason: 'check-allowed',
    message: '"closed" is not one of the allowed values',
  },
  {
    line: 8,
    record: Buffer.from('6,1.50,open,AB1,bob,2020-01-01,0.5,true'),
    column: 'code',
    reason: 'check-pattern',
    message: '"AB1" does not match /^[A-Z]{3}$/',
  },
  {
    line: 9,
    record: Buffer.from('7,1.50,open,ABC,zed,2020-01-01,0.5,true'),
    column: 'name',
    reason: 'check-range',
    message: '"zed" is outside [b, x]',
  },
  {
    line: 10,
    record: Buffer.from('8,1.50,open,ABC,bob,1999-12-31,0.5,true'),
    column: 'day',
    reason: 'check-range',
    message: '1999-12-31 is outside [2000-01-01, ]',
  },
  {
    line: 11,
    record: Buffer.from('9,1.50,open,ABC,bob,2020-02-30,0.5,true'),
    column: 'day',
    reason: 'invalid-value',
    message: '"2020-02-30" is not a date in format iso',
  },
  {
    line: 12,
    record: Buffer.from('10,1.50,open,ABC,bob,2020-01-01,1e5x,true'),
    column: 'ratio',
    reason: 'invalid-value',
    message: '"1e5x" is not a float64',
  },
  {
    line: 13,
    record: Buffer.from('11,1.50,open,ABC,bob,2020-01-01,0.5,maybe'),
    column: 'flag',
    reason: 'invalid-value',
    message: '"maybe" is not a boolean (true/false, 1/0, yes/no)',
  },
  {
    line: 14,
    record: Buffer.from('12,1.50,open,ABC,bob'),
    column: null,
    reason: 'ragged-row',
    message: 'has 5 fields, the contract has 8 columns',
  },
  {
    line: 15,
    record: Buffer.from('13,1.50,open,A"BC,bob,2020-01-01,0.5,true'),
    column: 'code',
    reason: 'stray-quote',
    message: 'field 4 has a quote inside an unquoted field or text after a closing quote',
  },
  // A line over the limit: its first 200 bytes are kept, whatever the chunking.
  {
    line: 16,
    record: Buffer.from(LONG.slice(0, 200)),
    column: null,
    reason: 'record-too-large',
    message: `line of ${LONG.length + 1} bytes is larger than dialect.maxRecordBytes (200); its first 200 bytes are kept here`,
  },
  {
    line: 17,
    record: NOT_UTF8,
    column: 'name',
    reason: 'invalid-utf8',
    message:
      'is not valid UTF-8 (declare dialect.encoding: windows-1252, latin1 or utf-16le if the file is written so)',
  },
  // A quote never closed: its first line is quarantined and reading goes on at the next line (LAST, a good row).
  {
    line: 18,
    record: Buffer.from('16,1.50,open,"ABC,bob,2020-01-01,0.5,true'),
    column: null,
    reason: 'unterminated-quote',
    message: 'quoted field 4 is never closed',
  },
];
const LAST = '17,2.00,shipped,XYZ,wes,2021-06-30,-1e-3,no';

function ordersFile(): Buffer {
  const head = Buffer.from(`id,amount,status,code,name,day,ratio,flag\n${GOOD}\n`);
  const line = (c: (typeof CASES)[number]) => (c.reason === 'record-too-large' ? Buffer.from(LONG) : c.record);
  return Buffer.concat([head, ...CASES.flatMap((c) => [line(c), Buffer.from('\n')]), Buffer.from(`${LAST}\n`)]);
}

function decodeAll(decoder: CsvDecoder, bytes: Uint8Array, chunk: number) {
  const outs = [];
  for (let p = 0; p < bytes.length; p += chunk) outs.push(decoder.push(bytes.subarray(p, p + chunk)));
  outs.push(decoder.end());
  return { rejects: outs.flatMap((o) => o.rejects), batches: outs.flatMap((o) => o.batches) };
}

describe('reject reasons, against answers written by hand', () => {
  for (const [name, make] of DECODERS) {
    it(`${name}: each reason at its line and column, with its message and original bytes, in chunks of any size`, () => {
      for (const chunk of [1 << 20, 1, 7, 64, 199, 200, 201, 337, 338]) {
        const decoder = make(contractSchema.parse(ORDERS));
        const { rejects, batches } = decodeAll(decoder, ordersFile(), chunk);
        expect(
          rejects.map((r) => ({
            line: r.line,
            column: r.column,
            reason: r.reason,
            message: r.message,
            record: Buffer.from(r.raw),
          })),
        ).toEqual(
          CASES.map((c) => ({
            line: c.line,
            column: c.column,
            reason: c.reason,
            message: c.message,
            record: c.record,
          })),
        );
        expect(decoder.stats).toMatchObject({ rowsRead: 2 + CASES.length, rowsWritten: 2, rowsRejected: CASES.length });
        expect(batches.reduce((n, b) => n + b.rowCount, 0)).toBe(2);
      }
    });
  }

  it('a quoted record over the limit: its first line is quarantined and reading goes on at the next line, in any chunking', () => {
    const x = 'x'.repeat(60);
    const text = `id,amount,status,code,name,day,ratio,flag\n${GOOD}\n18,1.50,open,ABC,"${x}\n${x}\n${x}\n${x}",2020-01-01,0.5,true\n${LAST}\n`;
    const want = [
      {
        line: 3,
        column: null,
        reason: 'record-too-large',
        message: 'record is larger than dialect.maxRecordBytes (200 bytes)',
        record: `18,1.50,open,ABC,"${x}`,
      },
      { line: 4, column: null, reason: 'ragged-row', message: 'has 1 field, the contract has 8 columns', record: x },
      { line: 5, column: null, reason: 'ragged-row', message: 'has 1 field, the contract has 8 columns', record: x },
      {
        line: 6,
        column: 'id',
        reason: 'stray-quote',
        message: 'field 1 has a quote inside an unquoted field or text after a closing quote',
        record: `${x}",2020-01-01,0.5,true`,
      },
    ];
    for (const [name, make] of DECODERS) {
      for (const chunk of [1 << 20, 1, 5, 61, 62, 200, 201, 255, 256]) {
        const decoder = make(contractSchema.parse(ORDERS));
        const { rejects } = decodeAll(decoder, Buffer.from(text), chunk);
        expect(
          rejects.map((r) => ({
            line: r.line,
            column: r.column,
            reason: r.reason,
            message: r.message,
            record: Buffer.from(r.raw).toString(),
          })),
          `${name}, chunks of ${chunk}`,
        ).toEqual(want);
        expect(decoder.stats, `${name}, chunks of ${chunk}`).toMatchObject({
          rowsRead: 6,
          rowsWritten: 2,
          rowsRejected: 4,
        });
      }
    }
  });

  it('a real ingest quarantines each record with the same line, column, reason and bytes (read back by csv-parse)', async () => {
    const contracts = await tempDir('landfall-contracts-');
    await writeFile(join(contracts, 'orders.yaml'), ORDERS_YAML);
    const lake = await tempLake({ threads: 1 }, contracts);
    await mkdir(join(lake.landing.root, 'orders'), { recursive: true });
    await writeFile(lake.landing.path('orders/o.csv'), ordersFile());
    const r = await ingestObject(ingestContext(lake), 'orders/o.csv');
    const q = await quarantineRows(lake.lake, r.manifest.quarantine!.key);
    expect(
      q.map((x) => ({ line: x.line, column: x.column || null, reason: x.reason, message: x.message, record: x.bytes })),
    ).toEqual(
      CASES.map((c) => ({ line: c.line, column: c.column, reason: c.reason, message: c.message, record: c.record })),
    );
    const conn = await duck();
    const written = `SELECT id, amount::VARCHAR AS amount, status, code, name, day::VARCHAR AS day, ratio, flag, _source_line AS line FROM ${landedParquet(lake.lake, r.manifest)} ORDER BY id`;
    expect(await rows(conn, written)).toEqual([
      {
        id: 1,
        amount: '1.50',
        status: 'open',
        code: 'ABC',
        name: 'bob',
        day: '2020-01-01',
        ratio: 0.5,
        flag: true,
        line: '2',
      },
      {
        id: 17,
        amount: '2.00',
        status: 'shipped',
        code: 'XYZ',
        name: 'wes',
        day: '2021-06-30',
        ratio: -0.001,
        flag: false,
        line: '19',
      },
    ]);
  });
});

/** Numeric text as exports write it: integers, decimals, exponents, up to 40 significant digits. */
const floatText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc
    .tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 21 }))
    .map(([x, k]) => x.toPrecision(k)),
  fc
    .tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 20 }))
    .map(([x, k]) => x.toExponential(k)),
  fc
    .tuple(
      fc.constantFrom('', '-', '+'),
      fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 25 }),
      fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 25 })),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), fc.integer({ min: 0, max: 330 }))),
    )
    .map(
      ([sign, int, frac, exp]) =>
        `${sign}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : `${exp[0]}${exp[1]}${exp[2]}`}`,
    ),
);

describe('values against independent oracles', () => {
  it("float64 text parses to exactly what V8's Number() gives, in both decoders", () => {
    const contract = contractSchema.parse({ dataset: 'f', columns: [{ name: 'x', type: 'float64' }] });
    fc.assert(
      fc.property(fc.array(floatText, { minLength: 1, maxLength: 40 }), (texts) => {
        const bytes = new TextEncoder().encode(`x\n${texts.join('\n')}\n`);
        for (const [name, make] of DECODERS) {
          const { rejects, batches } = decodeAll(make(contract), bytes, 1 << 20);
          expect(rejects, name).toEqual([]);
          const got = batches.flatMap((b) => Array.from(makeVector(b.columns[0]) as Iterable<number>));
          expect(
            got.map(
              (v, i) => Object.is(v, Number(texts[i])) || `${texts[i]} -> ${v}, Number() says ${Number(texts[i])}`,
            ),
            name,
          ).toEqual(texts.map(() => true));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('string checks accept and refuse exactly what predicates written here say (allowed, pattern, and range in code-point order as Athena compares)', () => {
    const unit = fc.constantFrom('a', 'b', 'm', 'x', 'z', 'A', 'é', 'ÿ', '日', 'ｚ', '😀', '0');
    const value = fc.string({ unit, minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 30 }),
        fc.array(value, { minLength: 1, maxLength: 4 }),
        value,
        value,
        (values, allowed, lo, hi) => {
          const [min, max] = codePointOrder(lo, hi) <= 0 ? [lo, hi] : [hi, lo];
          const pattern = '^[a-zé日]{1,3}$';
          const cases: [Record<string, unknown>, (v: string) => boolean, string][] = [
            [{ allowed }, (v) => allowed.includes(v), 'check-allowed'],
            [{ pattern }, (v) => new RegExp(pattern, 'u').test(v), 'check-pattern'],
            [{ min, max }, (v) => codePointOrder(v, min) >= 0 && codePointOrder(v, max) <= 0, 'check-range'],
          ];
          for (const [checks, ok, reason] of cases) {
            const contract = contractSchema.parse({ dataset: 's', columns: [{ name: 'v', type: 'string', checks }] });
            const bytes = new TextEncoder().encode(`v\n${values.join('\n')}\n`);
            const want = values.flatMap((v, i) => (ok(v) ? [] : [{ line: i + 2, reason }]));
            for (const [name, make] of DECODERS) {
              const { rejects } = decodeAll(make(contract), bytes, 1 << 20);
              expect(
                rejects.map((r) => ({ line: r.line, reason: r.reason })),
                `${name}, ${JSON.stringify(checks)}`,
              ).toEqual(want);
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

/** Code-point order (= UTF-8 byte order, how Athena and DuckDB compare varchar), not JavaScript's UTF-16 order. */
function codePointOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
