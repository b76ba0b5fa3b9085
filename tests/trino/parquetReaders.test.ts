/**
 * Independent Parquet readers on the Trino lane (issue 32 item 5): Trino reads the raw tables (Landfall's Parquet
 * through the symlink tables) and the curated Iceberg tables of the real files; pyarrow and pandas read the
 * curated tables' Parquet data files. Row counts and per-column checksums equal DuckDB's reading of the CSV files
 * (tests/parquetChecks.ts); the raw files' pyarrow and pandas reading is in npm test (tests/parquetReaders.test.ts).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '#src/contracts/contract.ts';
import {
  csvChecks,
  expectPythonReading,
  ingestReaderFiles,
  pythonChecks,
  READER_FILES,
  readerContracts,
  trinoChecks,
  trinoChecksSql,
} from '../parquetChecks.ts';
import { trinoLake, type TrinoLake } from './lane.ts';

let t: TrinoLake;

beforeAll(async () => {
  t = await trinoLake(await readerContracts());
  await ingestReaderFiles(t.runner);
}, 900_000);

afterAll(() => t?.close());

const contractOf = (dataset: string) => t.lake.contracts.find((c) => c.dataset === dataset) as Contract;

describe('Trino, pyarrow and pandas read the raw and curated tables as DuckDB reads the CSV files', () => {
  it.each(READER_FILES.map(([file, dataset]) => [dataset, file]))('%s', async (dataset, file) => {
    const c = contractOf(dataset);
    const golden = await csvChecks(file, c);
    for (const zone of ['raw', 'curated'] as const) {
      const [row] = (await t.trino.query(trinoChecksSql(`landfall_dev_${zone}.${dataset}`, c))).rows;
      const read = trinoChecks(row, c);
      expect(read.rows, `Trino, ${zone}.${dataset}: rows`).toBe(golden.rows);
      for (const col of c.columns)
        expect(read.columns[col.name], `Trino, ${zone}.${dataset}.${col.name} (${col.type})`).toEqual(
          golden.columns[col.name],
        );
    }
    // The curated table's data files, as a pandas user reads an Iceberg table's Parquet (one MERGE: all live).
    const data = join(t.lake.root, 'lake/curated', dataset, 'data');
    const files = (await readdir(data, { recursive: true }))
      .filter((f) => String(f).endsWith('.parquet'))
      .map((f) => join(data, String(f)));
    expect(files.length).toBeGreaterThan(0);
    const read = await pythonChecks(files, c);
    expectPythonReading(read, golden, c, `curated ${dataset}`);
  });
});
