import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { duck, expectReconciled, ingestFile, rows, SHARED_DATA, sqlList, tempDir, tempLake } from './helpers.ts';

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
      `SELECT city, population FROM read_parquet(${sqlList(r.manifest.files.map((f) => lake.lake.path(f.key)))}) ORDER BY ALL`,
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
      FROM read_parquet(${sqlList(r.manifest.files.map((f) => lake.lake.path(f.key)))}) ORDER BY id`,
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
