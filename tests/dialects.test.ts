import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferContract } from '#src/contracts/inferContract.ts';
import { parseContract } from '#src/contracts/loadContracts.ts';
import {
  duck,
  expectReconciled,
  ingestFile,
  rows,
  SHARED_DATA,
  sqlList,
  tempDir,
  tempLake,
  landedParquet,
} from './helpers.ts';

const USPOP_LATIN1 = join(SHARED_DATA, 'csv-conformance/rust-csv/examples/data/uspop-latin1.csv');

async function contractsDir(files: Record<string, string>): Promise<string> {
  const dir = join(await tempDir(), 'contracts');
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, `${name}.yaml`), text);
  return dir;
}

const uspop = (encoding: string) => `dataset: uspop
dialect: { encoding: ${encoding} }
columns:
  - { name: city, header: City, type: string, nullable: false }
  - { name: state, header: State, type: string }
  - { name: population, header: Population, type: int64 }
  - { name: latitude, header: Latitude, type: float64 }
  - { name: longitude, header: Longitude, type: float64 }
`;

describe('dialect options on real and written files', () => {
  it('quarantines Latin-1 text under a UTF-8 contract, saying which encoding to declare', async () => {
    const lake = await tempLake({}, await contractsDir({ uspop: uspop('utf-8') }));
    const r = await ingestFile(lake, USPOP_LATIN1, 'uspop');
    await expectReconciled(lake.lake, r);
    expect(r.manifest).toMatchObject({
      rowsRead: 100,
      rowsWritten: 99,
      rowsRejected: 1,
      rejectsByReason: { 'invalid-utf8': 1 },
    });
  });

  it('reads Latin-1 text as UTF-8 under encoding: latin1, as DuckDB does with encoding latin-1', async () => {
    const lake = await tempLake({}, await contractsDir({ uspop: uspop('latin1') }));
    const r = await ingestFile(lake, USPOP_LATIN1, 'uspop');
    await expectReconciled(lake.lake, r);
    expect(r.manifest).toMatchObject({ rowsWritten: 100, rowsRejected: 0 });
    const conn = await duck();
    const expected = await rows(
      conn,
      `SELECT City AS city, Population AS population FROM read_csv('${USPOP_LATIN1}', encoding = 'latin-1', header = true) ORDER BY ALL`,
    );
    const actual = await rows(
      conn,
      `SELECT city, population FROM ${landedParquet(lake.lake, r.manifest)} ORDER BY ALL`,
    );
    expect(actual).toEqual(expected);
    expect(actual.some((x) => x.city === 'Õakman')).toBe(true);
  });

  it('applies null tokens, trim, comments, a delimiter, a date pattern and epoch seconds', async () => {
    const contract = `dataset: shipments
dialect: { delimiter: ";", nullTokens: ["", "NA", "\\\\N"], comment: "#" }
columns:
  - { name: id, type: int32, nullable: false }
  - { name: carrier, type: string, trim: true }
  - { name: shipped, type: date, format: M/D/YYYY }
  - { name: scanned_at, type: timestamp, format: epoch_s }
  - { name: weight_kg, type: "decimal(8,3)" }
  - { name: fragile, type: boolean }
`;
    const lake = await tempLake({}, await contractsDir({ shipments: contract }));
    const file = join(await tempDir(), 'shipments.csv');
    await writeFile(
      file,
      [
        '# exported by the warehouse system',
        'id;carrier;shipped;scanned_at;weight_kg;fragile',
        '1;  DHL  ;7/4/2017;1499169600;1.5;yes',
        '2;NA;12/31/2017;\\N;;N',
        '3;"UPS";2/30/2017;1499169600;0.25;true', // no February 30th
      ].join('\n'),
    );
    const r = await ingestFile(lake, file, 'shipments');
    await expectReconciled(lake.lake, r);
    expect(r.manifest).toMatchObject({
      rowsRead: 3,
      rowsWritten: 2,
      rowsRejected: 1,
      commentLines: 1,
      rejectsByReason: { 'invalid-value': 1 },
    });
    const conn = await duck();
    const got = await rows(
      conn,
      `SELECT id, carrier, shipped::VARCHAR AS shipped, scanned_at::VARCHAR AS scanned_at, weight_kg::VARCHAR AS weight_kg, fragile
      FROM ${landedParquet(lake.lake, r.manifest)} ORDER BY id`,
    );
    expect(got).toEqual([
      {
        id: 1,
        carrier: 'DHL',
        shipped: '2017-07-04',
        scanned_at: '2017-07-04 12:00:00',
        weight_kg: '1.500',
        fragile: true,
      },
      { id: 2, carrier: null, shipped: '2017-12-31', scanned_at: null, weight_kg: null, fragile: false },
    ]);
  });
});

describe('encodings infer detects and ingest transcodes', () => {
  const SELLERS = join(SHARED_DATA, 'olist/olist_sellers_dataset.csv');

  /** The sellers as DuckDB reads them: count, and a hash over every city (accents included). */
  async function golden() {
    const [g] = await rows(
      await duck(),
      `SELECT count(*) AS n, sum(hash(seller_city)) AS h FROM read_csv('${SELLERS}', header = true, all_varchar = true)`,
    );
    return g;
  }

  async function landed(lake: Awaited<ReturnType<typeof tempLake>>, files: { key: string }[]) {
    const [l] = await rows(
      await duck(),
      `SELECT count(*) AS n, sum(hash(seller_city)) AS h FROM read_parquet(${sqlList(files.map((f) => lake.lake.path(f.key)))})`,
    );
    return l;
  }

  /** The sellers in another encoding, written by this test: `encode` maps the text to bytes. */
  async function draftAndIngest(name: string, bytes: Uint8Array, rangeBytes = 0) {
    const dir = await tempDir();
    const file = join(dir, 'olist_sellers_dataset.csv');
    await writeFile(file, bytes);
    const { yaml } = inferContract(bytes, { dataset: 'sellers', fileName: 'olist_sellers_dataset.csv' });
    const contract = parseContract(yaml, 'sellers.yaml');
    await writeFile(join(dir, 'sellers.yaml'), yaml);
    const lake = await tempLake({ rangeBytes }, dir);
    const r = await ingestFile(lake, file, 'sellers');
    await expectReconciled(lake.lake, r);
    return { contract, yaml, lake, r, name };
  }

  it('UTF-16 as a spreadsheet saves "Unicode text" (tab-separated, with a byte-order mark), and without one', async () => {
    const tsv = join(await tempDir(), 'sellers.tsv');
    await (await duck()).run(
      `COPY (SELECT * FROM read_csv('${SELLERS}', header = true, all_varchar = true)) TO '${tsv}' (HEADER, DELIMITER '\t')`,
    );
    const text = await readFile(tsv, 'utf8');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const a = await draftAndIngest('le', le, 64 * 1024);
    expect(a.contract.dialect).toMatchObject({ encoding: 'utf-16le', delimiter: '\t' });
    expect(a.yaml).toContain('encoding utf-16le: its byte-order mark');
    expect(a.r.manifest).toMatchObject({ status: 'published', rowsRejected: 0 });
    // Transcoded before the core: one sequential pass, no byte ranges (their offsets would not be the file's).
    expect(a.r.manifest.conversion).toBeUndefined();
    expect(await landed(a.lake, a.r.manifest.files)).toEqual(await golden());

    const be = Buffer.from(Buffer.from(text, 'utf16le')).swap16();
    const b = await draftAndIngest('be', be);
    expect(b.contract.dialect).toMatchObject({ encoding: 'utf-16be', delimiter: '\t' });
    expect(b.yaml).toContain('encoding utf-16be: a zero byte on every other position');
    expect(await landed(b.lake, b.r.manifest.files)).toEqual(await golden());
  });

  it('Windows-1252 (€ and curly quotes in 0x80-0x9F) and Latin-1 are told apart, and land as UTF-8', async () => {
    const text = `${(await readFile(SELLERS, 'utf8')).trimEnd()}\nx1,01000,são paulo “centro” €,SP\n`;
    const cp1252: Record<string, number> = { '€': 0x80, '“': 0x93, '”': 0x94 };
    const bytes = Uint8Array.from(text, (ch) => cp1252[ch] ?? ch.charCodeAt(0));
    const w = await draftAndIngest('cp1252', bytes);
    expect(w.contract.dialect.encoding).toBe('windows-1252');
    const [{ city }] = await rows(
      await duck(),
      `SELECT seller_city AS city FROM ${landedParquet(w.lake.lake, w.r.manifest)} WHERE seller_id = 'x1'`,
    );
    expect(city).toBe('são paulo “centro” €');
    // Real Latin-1 (no byte in 0x80-0x9F): drafted as latin1, read by the core itself.
    const uspop = inferContract(new Uint8Array(await readFile(USPOP_LATIN1)), { dataset: 'uspop', fileName: 'x.csv' });
    expect(parseContract(uspop.yaml, 'uspop.yaml').dialect.encoding).toBe('latin1');
  });

  it('a UTF-16 file under a UTF-8 contract says what to declare; broken UTF-16 is kept whole as invalid-encoding', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,city\n1,a\n', 'utf16le')]);
    const dir = await contractsDir({
      cities: 'dataset: cities\ncolumns:\n  - { name: id, type: int32 }\n  - { name: city, type: string }\n',
      cities16:
        'dataset: cities16\ndialect: { encoding: utf-16le }\ncolumns:\n  - { name: id, type: int32 }\n  - { name: city, type: string }\n',
    });
    const lake = await tempLake({}, dir);
    const file = join(await tempDir(), 'c.csv');
    await writeFile(file, utf16);
    const r = await ingestFile(lake, file, 'cities');
    expect(r.manifest).toMatchObject({ status: 'rejected', problem: { code: 'not-csv' } });
    expect(r.manifest.problem?.message).toContain('declare dialect.encoding: utf-16le');
    // A lone high surrogate (0xD800) in the middle of the text.
    const broken = Buffer.concat([utf16, Buffer.from([0x00, 0xd8]), Buffer.from('2,b\n', 'utf16le')]);
    await writeFile(file, broken);
    const bad = await ingestFile(lake, file, 'cities16');
    expect(bad.manifest).toMatchObject({ status: 'rejected', problem: { code: 'invalid-encoding' } });
    expect(bad.manifest.problem?.message).toMatch(/not valid utf-16le text near byte \d+: declare the file's encoding/);
  });
});
