import { DuckDBInstance } from '@duckdb/node-api';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bytes } from '../cli/format.ts';
import { generateBenchCsv } from './benchData.ts';

export interface RunResult {
  engine: 'landfall' | 'duckdb';
  threads: number;
  seconds: number;
  rows: number;
  outBytes: number;
  files: number;
  peakRssBytes: number;
}

export interface ColdStart {
  /** Importing the bundled handler: module load, configuration, contracts. */
  importMs: number;
  /** From the import to a converted one-row file: encoder thread start and parquet-wasm compile included. */
  firstRowMs: number;
}

export interface SizeResult {
  inputBytes: number;
  landfall: RunResult;
  duckdb: RunResult[];
  sameRows: boolean;
  sameValues: boolean;
}

const CONVERT = fileURLToPath(new URL('./convertOnce.ts', import.meta.url));
const COLD_START = fileURLToPath(new URL('./coldStart.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));

async function convert(engine: 'landfall' | 'duckdb', file: string, work: string, threads: number): Promise<RunResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', TSX, CONVERT, engine, file, work, String(threads)], { maxBuffer: 1 << 24 });
  return { ...JSON.parse(stdout.trim().split('\n').pop()!), threads } as RunResult;
}

/** Both outputs must hold the same rows: count, and per column count, min, max and a value checksum. */
async function compareOutputs(landfallGlob: string, duckFile: string): Promise<{ sameRows: boolean; sameValues: boolean }> {
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const conn = await db.connect();
  const cols = ['event_id', 'event_time', 'user_id', 'event_type', 'item_id', 'price', 'quantity', 'country', 'is_mobile', 'referrer'];
  const agg = (from: string) =>
    `SELECT count(*)::VARCHAR AS n, ${cols.map((c) => `count(${c})::VARCHAR || min(${c})::VARCHAR || max(${c})::VARCHAR || sum(hash(${c})::HUGEINT)::VARCHAR AS ${c}`).join(', ')} FROM ${from}`;
  const a = (await conn.runAndReadAll(agg(`read_parquet('${landfallGlob}')`))).getRowObjectsJson()[0];
  const b = (await conn.runAndReadAll(agg(`read_parquet('${duckFile}')`))).getRowObjectsJson()[0];
  conn.closeSync();
  return { sameRows: a.n === b.n, sameValues: JSON.stringify(a) === JSON.stringify(b) };
}

/** Builds the ingest function as SAM would, then runs its cold start in a fresh Node process (plain Node, no tsx). */
export async function measureColdStart(dir: string): Promise<ColdStart> {
  // @ts-expect-error plain JS build script, no type declarations
  const { buildFunctions, buildLayer } = await import('../../scripts/build.mjs');
  const layer = await buildLayer(join(dir, 'cold', 'opt'));
  const [fn] = await buildFunctions(join(dir, 'cold', 'dist'), ['IngestFunction']);
  const script = join(dir, 'cold', 'coldStart.mjs');
  const { build } = await import('esbuild');
  await build({ entryPoints: [COLD_START], outfile: script, bundle: false, platform: 'node', format: 'esm', logLevel: 'warning' });
  const { stdout } = await promisify(execFile)(process.execPath, [script, fn.outfile, layer, join(dir, 'cold', 'lake', String(Date.now()))]);
  return JSON.parse(stdout.trim().split('\n').pop()!) as ColdStart;
}

export async function runBenchmark(o: { dir: string; sizesMb: number[]; threads: number[]; log: (s: string) => void }): Promise<SizeResult[]> {
  const dir = resolve(o.dir);
  await mkdir(dir, { recursive: true });
  const results: SizeResult[] = [];
  for (const mb of o.sizesMb) {
    const file = join(dir, `events-${mb}mb.csv`);
    o.log(`generating ${file} (${mb} MB, reused when present)`);
    const inputBytes = await generateBenchCsv(file, mb * 1024 * 1024);
    // Landfall runs two threads: CSV decoding, and parquet-wasm encoding on its own thread.
    o.log(`  landfall (2 threads: decode + encode)...`);
    const landfall = await convert('landfall', file, join(dir, 'work-landfall'), 2);
    const duckdb: RunResult[] = [];
    for (const t of o.threads) {
      o.log(`  duckdb (${t} thread${t > 1 ? 's' : ''})...`);
      duckdb.push(await convert('duckdb', file, join(dir, `work-duckdb-${t}`), t));
    }
    const check = await compareOutputs(join(dir, 'work-landfall', 'lake', 'lake', 'raw', 'bench_events', '*', '*.parquet'), join(dir, `work-duckdb-${o.threads[0]}`, 'duckdb.parquet'));
    results.push({ inputBytes, landfall, duckdb, ...check });
  }
  return results;
}

export function formatBenchmark(results: SizeResult[], cold?: ColdStart): string {
  const lines = [
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${bytes(totalmem())} memory, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
    ...(cold ? [`cold start of the bundled ingest function: import ${cold.importMs.toFixed(0)} ms, first converted row ${cold.firstRowMs.toFixed(0)} ms after the import began`] : []),
    '',
    'input      | engine          | seconds | MB/s   | output    | files | peak RSS  | Landfall/DuckDB: speed | size | RSS',
    '-----------+-----------------+---------+--------+-----------+-------+-----------+------------------------+------+------',
  ];
  for (const r of results) {
    const mbps = (x: RunResult) => r.inputBytes / 1024 / 1024 / x.seconds;
    const row = (name: string, x: RunResult, ratios = '') =>
      `${bytes(r.inputBytes).padEnd(10)} | ${name.padEnd(15)} | ${x.seconds.toFixed(1).padStart(7)} | ${mbps(x).toFixed(1).padStart(6)} | ${bytes(x.outBytes).padStart(9)} | ${String(x.files).padStart(5)} | ${bytes(x.peakRssBytes).padStart(9)} | ${ratios}`;
    lines.push(row('landfall (2 th)', r.landfall));
    for (const d of r.duckdb) {
      const ratios = `${(mbps(r.landfall) / mbps(d)).toFixed(2).padStart(22)} | ${(r.landfall.outBytes / d.outBytes).toFixed(2).padStart(4)} | ${(r.landfall.peakRssBytes / d.peakRssBytes).toFixed(2)}`;
      lines.push(row(`duckdb (${d.threads} th)`, d, ratios));
    }
    lines.push(`${''.padEnd(10)} | same rows: ${r.sameRows ? 'yes' : 'NO'}, same values: ${r.sameValues ? 'yes' : 'NO'}`);
  }
  return lines.join('\n');
}
