import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { LocalPipelineRunner } from '#src/cli/pipelineRunner.ts';
import type { Contract } from '#src/contracts/contract.ts';
import { inferContract } from '#src/contracts/inferContract.ts';
import { duckdbDialect } from '#src/pipeline/sqlDialect.ts';
import type { Manifest } from '#src/ingest/manifest.ts';
import { BUILTIN_CONTRACTS } from '#src/wiring/local.ts';
import { duck, rows, SHARED_DATA, tempDir } from './helpers.ts';

/**
 * One checksum of a column's values that three independent readers compute alike: DuckDB over the source CSV
 * (typed as the contract says), pyarrow and pandas over Parquet (tests/python/parquet_checksums.py), and Trino
 * over the tables. Per column: the count of non-null values, and the sum mod 2^32 of the first 32 bits of the MD5
 * of each value's canonical text: strings as they are, integers in digits, float64 as %.6f, decimals at their
 * scale, booleans true/false, dates YYYY-MM-DD, timestamps as microseconds since the epoch.
 */
export type ColumnCheck = [count: number, sum: number];

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = join(ROOT, '.venv/bin/python');

function canonicalDuck(type: string, v: string): string {
  if (type === 'float64') return `printf('%.6f', ${v})`;
  if (type === 'date') return `strftime(${v}, '%Y-%m-%d')`;
  if (type === 'timestamp') return `epoch_us(${v})::VARCHAR`;
  return `${v}::VARCHAR`;
}

/** A table's row count and each column's checksum. */
export interface CsvChecks {
  rows: number;
  columns: Record<string, ColumnCheck>;
}

/** The checksum of every contract column, computed by DuckDB from the CSV file read with the contract's types. */
export async function csvChecks(file: string, c: Contract): Promise<CsvChecks> {
  const types = c.columns.map((col) => {
    if (col.format) throw new Error(`${c.dataset}.${col.name}: a format (${col.format}) the CSV side does not read`);
    return `'${(col.header ?? col.name).replace(/'/g, "''")}': '${duckdbDialect.type(col.type)}'`;
  });
  const src = `read_csv('${file}', header = true, columns = {${types.join(', ')}})`;
  const parts = c.columns.map((col) => {
    const v = `"${(col.header ?? col.name).replace(/"/g, '""')}"`;
    const text = canonicalDuck(col.type, v);
    return `count(${v}) AS "n:${col.name}", coalesce(sum(('0x' || left(md5(${text}), 8))::BIGINT) % 4294967296, 0) AS "s:${col.name}"`;
  });
  const [r] = await rows(await duck(), `SELECT count(*) AS rows, ${parts.join(', ')} FROM ${src}`);
  const columns: Record<string, ColumnCheck> = {};
  for (const col of c.columns) columns[col.name] = [Number(r[`n:${col.name}`]), Number(r[`s:${col.name}`])];
  return { rows: Number(r.rows), columns };
}

export interface PythonReading {
  rows: number;
  pandasRows: number;
  columns: Record<string, { arrow: string; pandas: string; pyarrow: ColumnCheck; pandasCheck: ColumnCheck }>;
}

/** pyarrow and pandas (the .venv that .ci/run installs) over Parquet files: types and checksums. */
export async function pythonChecks(files: string[], c: Contract): Promise<PythonReading> {
  if (!existsSync(PYTHON))
    throw new Error(
      `no ${PYTHON}: the readers' pyarrow and pandas live there (python3 -m venv .venv && .venv/bin/pip install -r .ci/requirements.txt; .ci/run does it)`,
    );
  const spec = join(await tempDir('landfall-py-'), 'spec.json');
  await writeFile(spec, JSON.stringify({ files, columns: c.columns.map((x) => ({ name: x.name, type: x.type })) }));
  const { stdout } = await promisify(execFile)(PYTHON, [join(ROOT, 'tests/python/parquet_checksums.py'), spec], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as PythonReading;
}

function canonicalTrino(type: string, v: string): string {
  if (type === 'float64') return `format('%.6f', ${v})`;
  if (type === 'date') return `CAST(${v} AS varchar)`;
  // Microseconds since the epoch: to_unixtime's seconds (a double, exact to the microsecond in this century).
  if (type === 'timestamp') return `CAST(CAST(round(to_unixtime(${v} AT TIME ZONE 'UTC') * 1e6) AS bigint) AS varchar)`;
  return `CAST(${v} AS varchar)`;
}

/** The Trino query whose one row is the table's row count, then each column's count and sum. */
export function trinoChecksSql(table: string, c: Contract): string {
  const parts = c.columns.map((col) => {
    // if(...): Trino's format() writes NULL as the text 'null'.
    const text = `if("${col.name}" IS NOT NULL, ${canonicalTrino(col.type, `"${col.name}"`)})`;
    return `count("${col.name}"), coalesce(sum(from_base(substr(lower(to_hex(md5(to_utf8(${text})))), 1, 8), 16)) % 4294967296, 0)`;
  });
  return `SELECT count(*), ${parts.join(', ')} FROM ${table}`;
}

/** The answer of trinoChecksSql as the other readers give theirs. */
export function trinoChecks(row: unknown[], c: Contract): { rows: number; columns: Record<string, ColumnCheck> } {
  const columns: Record<string, ColumnCheck> = {};
  c.columns.forEach((col, i) => {
    columns[col.name] = [Number(row[1 + 2 * i]), Number(row[2 + 2 * i])];
  });
  return { rows: Number(row[0]), columns };
}

/** pyarrow's and pandas' reading equal to the CSV's: rows, each column's Arrow type and checksum (`what`: which files). */
export function expectPythonReading(read: PythonReading, golden: CsvChecks, c: Contract, what: string): void {
  expect(read.rows, `${what}: pyarrow's rows`).toBe(golden.rows);
  expect(read.pandasRows, `${what}: pandas' rows`).toBe(golden.rows);
  for (const col of c.columns) {
    const r = read.columns[col.name];
    expect(r.arrow, `${what} ${col.name}: Arrow type`).toBe(arrowTypeOf(col.type));
    expect(r.pyarrow, `${what} ${col.name}: pyarrow's values`).toEqual(golden.columns[col.name]);
    expect(r.pandasCheck, `${what} ${col.name}: pandas' values (${r.pandas})`).toEqual(golden.columns[col.name]);
  }
}

/** The Arrow type a contract type is written as (what pyarrow must read). */
export function arrowTypeOf(type: string): string {
  const m = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (m) return `decimal128(${m[1]}, ${m[2]})`;
  return {
    string: 'string',
    int32: 'int32',
    int64: 'int64',
    float64: 'double',
    boolean: 'bool',
    date: 'date32[day]',
    timestamp: 'timestamp[us]',
  }[type]!;
}

const OLIST = join(SHARED_DATA, 'olist/sample_bravida');
/** The real files, and the dataset each lands as (the two samples under the contracts infer drafts for them). */
export const READER_FILES: [file: string, dataset: string][] = [
  [join(OLIST, 'olist_orders_dataset.csv'), 'olist_orders'],
  [join(OLIST, 'olist_order_items_dataset.csv'), 'olist_order_items'],
  [join(OLIST, 'olist_order_payments_dataset.csv'), 'olist_order_payments'],
  [join(OLIST, 'olist_order_reviews_dataset.csv'), 'olist_order_reviews'],
  [join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'), 'ad_clicks'],
  [join(SHARED_DATA, 'adtech/deepctr/criteo_sample.txt'), 'criteo_sample'],
  [join(SHARED_DATA, 'adtech/deepctr/avazu_sample.txt'), 'avazu_sample'],
];

/** The built-in contracts and infer's drafts for the two ad samples, in one folder. */
export async function readerContracts(): Promise<string> {
  const dir = await tempDir('landfall-contracts-');
  for (const f of await readdir(BUILTIN_CONTRACTS))
    if (f.endsWith('.yaml')) await copyFile(join(BUILTIN_CONTRACTS, f), join(dir, f));
  for (const [file, dataset] of READER_FILES.filter(([, d]) => d.endsWith('_sample'))) {
    const { yaml } = inferContract(new Uint8Array(await readFile(file)), { dataset, fileName: file.split('/').pop()! });
    await writeFile(join(dir, `${dataset}.yaml`), yaml);
  }
  return dir;
}

/** Each file through `landfall run` (under its dataset), and its published manifest. */
export async function ingestReaderFiles(runner: Pick<LocalPipelineRunner, 'run'>): Promise<Map<string, Manifest>> {
  const out = new Map<string, Manifest>();
  for (const [file, dataset] of READER_FILES) {
    const lines: string[] = [];
    const { outcomes, mergeFailed } = await runner.run([file], dataset, (l) => lines.push(l));
    expect(mergeFailed, lines.join('\n')).toBe(false);
    const m = outcomes[0].result?.manifest;
    expect(m?.status, `${file}: ${lines.join('\n')}`).toBe('published');
    expect(m!.rowsRejected, `${file}: nothing rejected, so every CSV row is in the Parquet files`).toBe(0);
    out.set(dataset, m!);
  }
  return out;
}
