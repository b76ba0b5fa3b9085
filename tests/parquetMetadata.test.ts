/**
 * Issue 37 items 3 and 4: the metadata other engines read. created_by in parquet-mr's form (`<name> version
 * <semver>`), which Spark, Hive, Glue and Trino parse to decide which statistics to trust; the constant lineage
 * strings with min/max/null_count, so that a query for one batch's rows skips every other file. Read by DuckDB
 * and pyarrow, not by the writer's own reader.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CREATED_BY } from '#src/parquet/write/fromArrow.ts';
import { duck, ingestFile, rows, SHARED_DATA, tempLake } from './helpers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** parquet-mr's VersionParser pattern (org.apache.parquet.VersionParser), which Trino's Parquet reader copies. */
const PARQUET_MR_VERSION = /^(.*?)\s+version\s*(?:([^(]*?)\s*(?:\(\s*build\s*([^)]*?)\s*\))?)?$/;

describe('Parquet metadata for other engines', () => {
  it("created_by says landfall and package.json's version in parquet-mr's form; the lineage columns have statistics", async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(CREATED_BY).toBe(`landfall version ${pkg.version}`);
    expect(PARQUET_MR_VERSION.exec(CREATED_BY)?.slice(1, 3)).toEqual(['landfall', pkg.version]);

    const lake = await tempLake();
    const r = await ingestFile(
      lake,
      join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv'),
      'olist_orders',
    );
    const file = lake.lake.path(r.manifest.files[0].key);
    const conn = await duck();
    expect(await rows(conn, `SELECT created_by FROM parquet_file_metadata('${file}')`)).toEqual([
      { created_by: CREATED_BY },
    ]);
    const stats = await rows(
      conn,
      `SELECT path_in_schema AS c, stats_min_value AS lo, stats_max_value AS hi, stats_null_count::INT AS nulls
       FROM parquet_metadata('${file}') WHERE path_in_schema IN ('_batch_id', '_source_key') ORDER BY 1`,
    );
    expect(stats).toEqual([
      { c: '_batch_id', lo: r.manifest.batchId, hi: r.manifest.batchId, nulls: 0 },
      { c: '_source_key', lo: r.manifest.source.key, hi: r.manifest.source.key, nulls: 0 },
    ]);
    // pyarrow (the .venv of .ci/requirements.txt) reads the same: created_by, and min/max on every row group.
    const script = [
      'import json, sys, pyarrow.parquet as pq',
      'm = pq.ParquetFile(sys.argv[1]).metadata',
      'names = [m.schema.column(i).name for i in range(m.num_columns)]',
      'out = {"created_by": m.created_by, "stats": []}',
      'for g in range(m.num_row_groups):',
      '    for c in ("_batch_id", "_source_key"):',
      '        s = m.row_group(g).column(names.index(c)).statistics',
      '        out["stats"].append([c, s.has_min_max, s.min, s.max, s.null_count])',
      'print(json.dumps(out))',
    ].join('\n');
    const { stdout } = await promisify(execFile)(join(ROOT, '.venv/bin/python'), ['-c', script, file]);
    const py = JSON.parse(stdout) as { created_by: string; stats: unknown[][] };
    expect(py.created_by).toBe(CREATED_BY);
    expect(py.stats.length).toBeGreaterThanOrEqual(2);
    for (const [c, has, lo, hi, nulls] of py.stats) {
      const want = c === '_batch_id' ? r.manifest.batchId : r.manifest.source.key;
      expect([c, has, lo, hi, nulls]).toEqual([c, true, want, want, 0]);
    }
  });
});
