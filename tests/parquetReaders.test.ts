/**
 * Independent Parquet readers (issue 32 item 5): the raw Parquet files Landfall's own writer makes from real files
 * (Olist, TalkingData, the Criteo and Avazu samples under the contracts infer drafts for them), read by pyarrow and
 * by pandas as awswrangler users read a lake: row counts, Arrow types (timestamp units, decimals, strings) and a
 * per-column checksum equal to DuckDB's reading of the source CSV file. Trino reads the raw and curated tables of
 * the same files in the Trino lane (tests/trino/parquetReaders.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalPipelineRunner } from '#src/cli/pipelineRunner.ts';
import type { Contract } from '#src/contracts/contract.ts';
import type { Manifest } from '#src/ingest/manifest.ts';
import type { LocalLake } from '#src/wiring/local.ts';
import { tempLake } from './helpers.ts';
import {
  csvChecks,
  expectPythonReading,
  ingestReaderFiles,
  pythonChecks,
  READER_FILES,
  readerContracts,
} from './parquetChecks.ts';

let lake: LocalLake;
let manifests: Map<string, Manifest>;

beforeAll(async () => {
  lake = await tempLake({}, await readerContracts());
  const runner = await LocalPipelineRunner.open(lake);
  try {
    manifests = await ingestReaderFiles(runner);
  } finally {
    await runner.close();
  }
}, 300_000);

describe('pyarrow and pandas read the raw Parquet files as DuckDB reads the CSV files', () => {
  it.each(READER_FILES.map(([file, dataset]) => [dataset, file]))('%s', async (dataset, file) => {
    const contract = lake.contracts.find((c) => c.dataset === dataset) as Contract;
    const m = manifests.get(dataset)!;
    const files = m.files.map((f) => lake.lake.path(f.key));
    const [golden, read] = await Promise.all([csvChecks(file, contract), pythonChecks(files, contract)]);
    expectPythonReading(read, golden, contract, `raw ${dataset}`);
    // The checks are not empty: every file has values in most columns.
    expect(Object.values(golden.columns).filter(([n]) => n > 0).length).toBeGreaterThan(contract.columns.length / 2);
  });
});
