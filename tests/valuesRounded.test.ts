/**
 * Issue 38: under an explicit float64 contract, a value whose digits a double cannot hold is landed (the contract
 * asked for a float) and counted per column in the manifest (`valuesRounded`), so the loss is visible. Counted
 * only for written rows (a row refused at a later field takes its count back), alike by the WASM core and the
 * reference decoder. Expected counts written by hand from the values.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contractSchema } from '#src/contracts/contractSchema.ts';
import { JsCsvDecoder, type CsvDecoder } from '#src/decode/csvDecoder.ts';
import { WasmCsvDecoder } from '#src/decode/wasmDecoder.ts';
import { ingestFile, SHARED_DATA, tempDir, tempLake } from './helpers.ts';

const CONTRACT = contractSchema.parse({
  dataset: 'm',
  columns: [
    { name: 'x', type: 'float64' },
    { name: 'n', type: 'int32', nullable: false },
  ],
});

// Rounded: 17+ significant digits the double cannot give back, a 19-digit id, an overflow to infinity.
// Held: up to 15 digits, 17 that the double keeps, exponents it keeps, NaN spelt out, an empty (null) value.
const LINES = [
  'x,n',
  '0.1,1',
  '1.2345678901234567,2', // 17 digits, the double keeps them: held
  '1.23456789012345678,3', // 18: rounded
  '1000009418151094273,4', // an Avazu id: rounded
  '6675773829018706461,oops', // rounded, but the row is refused at n: not counted
  '1e400,5', // overflows to infinity: rounded
  '2.5e-3,6',
  'NaN,7',
  ',8',
  '123456789012345.6,9', // 16 digits, held
];

describe('valuesRounded: float64 values the double does not hold, counted', () => {
  for (const [name, make] of [
    ['WASM core', (c: typeof CONTRACT) => new WasmCsvDecoder(c, {})],
    ['reference', (c: typeof CONTRACT) => new JsCsvDecoder(c, {})],
  ] as [string, (c: typeof CONTRACT) => CsvDecoder][]) {
    it(`${name}: 3 of the written values, in chunks of any size`, () => {
      const bytes = new TextEncoder().encode(`${LINES.join('\n')}\n`);
      for (const chunk of [1 << 20, 1, 7, 31]) {
        const d = make(CONTRACT);
        for (let p = 0; p < bytes.length; p += chunk) d.push(bytes.subarray(p, p + chunk));
        d.end();
        expect(d.stats.rowsWritten, `chunk ${chunk}`).toBe(9);
        expect(d.stats.valuesRounded, `chunk ${chunk}`).toEqual({ x: 3 });
      }
    });
  }

  it('the real Avazu ids under a float64 contract: landed, and the rounded ones counted in the manifest', async () => {
    const dir = await tempDir();
    const contracts = join(dir, 'contracts');
    await mkdir(contracts);
    const header = (await readFile(join(SHARED_DATA, 'adtech/deepctr/avazu_sample.txt'), 'utf8')).split('\n')[0];
    const columns = header
      .split(',')
      .map((h) => `  - { name: ${h.toLowerCase()}, header: ${h}, type: ${h === 'id' ? 'float64' : 'string'} }`);
    await writeFile(join(contracts, 'avazu.yaml'), `dataset: avazu\ncolumns:\n${columns.join('\n')}\n`);
    const lake = await tempLake({}, contracts);
    const r = await ingestFile(lake, join(SHARED_DATA, 'adtech/deepctr/avazu_sample.txt'), 'avazu');
    // 99 of the 100 ids: 10010452321736390000 reads back as written (the double's shortest form is
    // 1.001045232173639e19, counted by Python's repr too); every other id comes back with other digits.
    expect(r.manifest).toMatchObject({ status: 'published', rowsWritten: 100, valuesRounded: { id: 99 } });
  });
});
