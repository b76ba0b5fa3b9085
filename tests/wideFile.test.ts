import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Random } from '#src/demo/random.ts';
import { duck, expectReconciled, ingestFile, rows, sqlList, tempDir, tempLake, landedParquet } from './helpers.ts';

const TYPES = ['int64', 'float64', 'string', 'timestamp', 'decimal(12,2)', 'boolean', 'date', 'int32'] as const;
const DUCK: Record<string, string> = {
  int64: 'BIGINT',
  float64: 'DOUBLE',
  string: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  'decimal(12,2)': 'DECIMAL(12,2)',
  boolean: 'BOOLEAN',
  date: 'DATE',
  int32: 'INTEGER',
};

describe('a wide file (320 columns, gzip)', () => {
  it('lands with the same per-column aggregates DuckDB computes from the CSV', async () => {
    const r = new Random(7);
    const cols = Array.from({ length: 320 }, (_, i) => ({
      name: `c${String(i).padStart(3, '0')}`,
      type: TYPES[i % TYPES.length],
    }));
    const value = (t: string): string => {
      if (r.chance(0.05)) return '';
      switch (t) {
        case 'int64':
          return String(r.int(-1e12, 1e12));
        case 'float64':
          return (r.next() * 1e6 - 5e5).toFixed(r.int(0, 6));
        case 'string':
          return r.chance(0.1) ? `"quoted, ""text"" ${r.int(0, 99)}"` : `s${r.int(0, 1e6)}`;
        case 'timestamp':
          return new Date(Date.UTC(2020, 0, 1) + r.int(0, 1e11)).toISOString().replace('T', ' ').slice(0, 19);
        case 'decimal(12,2)':
          return (r.int(-1e7, 1e7) / 100).toFixed(2);
        case 'boolean':
          return r.chance(0.5) ? 'true' : 'false';
        case 'date':
          return new Date(Date.UTC(2020, 0, 1) + r.int(0, 1e11)).toISOString().slice(0, 10);
        default:
          return String(r.int(-1e9, 1e9));
      }
    };
    const lines = [cols.map((c) => c.name).join(',')];
    for (let i = 0; i < 3000; i++) lines.push(cols.map((c) => value(c.type)).join(','));
    const dir = await tempDir();
    const csv = join(dir, 'wide.csv');
    await writeFile(csv, `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'wide.csv.gz'), gzipSync(`${lines.join('\n')}\n`));
    const contracts = join(dir, 'contracts');
    await mkdir(contracts);
    await writeFile(
      join(contracts, 'wide.yaml'),
      `dataset: wide\ncolumns:\n${cols.map((c) => `  - { name: ${c.name}, type: "${c.type}" }`).join('\n')}\n`,
    );
    const lake = await tempLake({ batchBytes: 64 * 1024, rowGroupBatches: 16 }, contracts);
    const res = await ingestFile(lake, join(dir, 'wide.csv.gz'), 'wide');
    await expectReconciled(lake.lake, res);
    expect(res.manifest).toMatchObject({ rowsWritten: 3000, rowsRejected: 0, source: { compression: 'gzip' } });
    const conn = await duck();
    const agg = (from: string) =>
      `SELECT ${cols.map((c) => `count(${c.name})::VARCHAR || '|' || coalesce(min(${c.name})::VARCHAR, '') || '|' || coalesce(max(${c.name})::VARCHAR, '') || '|' || coalesce(sum(hash(${c.name}))::VARCHAR, '') AS ${c.name}`).join(', ')} FROM ${from}`;
    const columns = cols.map((c) => `'${c.name}': '${DUCK[c.type]}'`).join(', ');
    const [expected] = await rows(
      conn,
      agg(`read_csv('${csv}', header = true, auto_detect = false, columns = {${columns}})`),
    );
    const [actual] = await rows(conn, agg(`${landedParquet(lake.lake, res.manifest)}`));
    expect(actual).toEqual(expected);
    // Wide tables get row groups of fewer batches (the encoder holds a whole row group in memory).
    const csvBytes = Buffer.byteLength(`${lines.join('\n')}\n`);
    const [{ n }] = await rows(
      conn,
      `SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${sqlList(res.manifest.files.map((f) => lake.lake.path(f.key)))})`,
    );
    expect(Number(n)).toBeGreaterThanOrEqual(2 * Math.ceil(csvBytes / (16 * 64 * 1024)));
  });
});
