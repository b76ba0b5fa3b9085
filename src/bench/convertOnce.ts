/**
 * One conversion in its own process, so that its peak RSS is its own: `landfall` (the ingest path) or
 * `duckdb` (COPY ... TO parquet). Prints one JSON line: seconds, rows, output bytes, peak RSS. With a sixth
 * argument N, the same file N times in a row in this process (as a warm Lambda container converts file after file):
 * `each` holds every conversion's seconds, the rest describes the last.
 */
import { copyFile, link, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ingestObject } from '../ingest/ingestObject.ts';
import { openLocalLake, ingestContext } from '../wiring/local.ts';
import { CLICKS, EVENTS, WIDE } from './benchData.ts';
import { peakRssBytes } from './peakRss.ts';

const [engine, file, workDir, threads, name, filesArg] = process.argv.slice(2);
/** Conversions in a row in this process (a warm container converting file after file): each one timed. */
const files = Math.max(1, Number(filesArg ?? 1));
const found = [EVENTS, WIDE, CLICKS].find((d) => d.name === name);
if (!found) throw new Error(`no benchmark input named "${name}"`);
const spec = found;

/** CPU seconds of the conversion, every thread of the process (user + system). */
let cpu: number | undefined;
/** Seconds of each conversion, in order (several when `files` > 1). */
const each: number[] = [];

/** Runs the conversion itself, timing it (wall and CPU); setup and checks around it stay out. */
async function measure<T>(conversion: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const result = await conversion();
  each.push(Number(process.hrtime.bigint() - started) / 1e9);
  const used = process.cpuUsage(cpuBefore);
  cpu = (used.user + used.system) / 1e6;
  return result;
}

async function landfall(): Promise<{ rows: number; outBytes: number; files: number }> {
  const contracts = join(workDir, 'contracts');
  await mkdir(contracts, { recursive: true });
  await writeFile(join(contracts, `${spec.dataset}.yaml`), spec.contract);
  const lake = await openLocalLake({
    root: join(workDir, 'lake'),
    contractsDir: contracts,
    settings: { threads: Number(threads ?? 2) },
  });
  await mkdir(join(lake.landing.root, spec.dataset), { recursive: true });
  let r: Awaited<ReturnType<typeof ingestObject>> | undefined;
  for (let i = 0; i < files; i++) {
    // Each file its own object (an object ingested once is not ingested again).
    const key = `${spec.dataset}/input-${i}.csv`;
    // A hard link: the landing copy of a multi-GB file costs nothing.
    await rm(lake.landing.path(key), { force: true });
    await link(file, lake.landing.path(key)).catch(() => copyFile(file, lake.landing.path(key)));
    await lake.landing.head(key); // the local store's MD5 ETag is computed once, outside the timing
    r = await measure(() => ingestObject(ingestContext(lake), key));
  }
  if (!r) throw new Error('no conversion ran');
  return {
    rows: r.manifest.rowsWritten,
    outBytes: r.manifest.files.reduce((n, f) => n + f.bytes, 0),
    files: r.manifest.files.length,
  };
}

async function duckdb(): Promise<{ rows: number; outBytes: number; files: number }> {
  // Loaded only here: the Landfall run's peak RSS must not include DuckDB's native library.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const ext = join(workDir, 'duckdb-ext');
  await mkdir(ext, { recursive: true });
  const db = await DuckDBInstance.create(':memory:', {
    threads: threads ?? '1',
    extension_directory: ext,
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const conn = await db.connect();
  const out = join(workDir, 'duckdb.parquet');
  for (let i = 0; i < files; i++) {
    await measure(() =>
      conn.run(
        `COPY (SELECT * FROM read_csv('${file}', header = true, auto_detect = false, columns = ${spec.duckColumns})) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`,
      ),
    );
  }
  const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${out}')`)).getRows()[0][0]);
  return { rows, outBytes: (await stat(out)).size, files: 1 };
}

await rm(workDir, { recursive: true, force: true });
await mkdir(workDir, { recursive: true });
const r = engine === 'duckdb' ? await duckdb() : await landfall();
process.stdout.write(
  `${JSON.stringify({ engine, seconds: each.at(-1), cpuSeconds: cpu, ...r, peakRssBytes: peakRssBytes(), each })}\n`,
);
