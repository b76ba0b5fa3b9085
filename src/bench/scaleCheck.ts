/**
 * `landfall scale`: the large-file checks of issue 6 at full size, each conversion step in its own process (as
 * separate Lambda invocations): a plain CSV converted by byte ranges vs one uninterrupted pass, a gzip CSV
 * converted over time-limited invocations vs one uninterrupted pass, and peak RSS from a small to the large
 * input. Rows are compared by DuckDB: row count and, per column, count and sum of hashes over the Parquet files.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGzip, gzipSync } from 'node:zlib';
import type { Manifest } from '../ingest/manifest.ts';
import { SOURCE_LINE } from '../lake/layout.ts';
import { EVENTS } from './benchData.ts';

const STEP = fileURLToPath(new URL('./scaleStep.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));

interface StepOut {
  step: string;
  result: Record<string, unknown>;
  seconds: number;
  peakRssBytes: number;
}

export interface ScaleOptions {
  dir: string;
  plainMb: number;
  /** Size of the gzip file (compressed) in MB. */
  gzipMb: number;
  smallMb: number;
  threads: number;
  /** Time budget of each continued gzip invocation (ms); 0: a quarter of the uninterrupted run's time. */
  budgetMs: number;
  rangeMb: number;
  /** Sizes (MB) of the inputs `landfall run` converts and merges end to end, for its peak RSS. */
  runMbs: number[];
  /** The warehouse's memory limit for those runs (MB). */
  warehouseMb: number;
  log: (line: string) => void;
}

async function step(work: string, args: string[], env: Record<string, string> = {}): Promise<StepOut> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', TSX, STEP, args[0], work, ...args.slice(1)],
    {
      maxBuffer: 1 << 24,
      env: { ...process.env, ...env },
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as StepOut;
}

/** The CSV size whose gzip (level 6) is about `gzMb`: the generator's compression ratio, measured on a sample. */
async function csvMbForGzip(dir: string, gzMb: number): Promise<number> {
  const sample = join(dir, 'ratio-sample.csv');
  await EVENTS.generate(sample, 16 * 1024 * 1024);
  const raw = await readFile(sample);
  await rm(sample);
  return Math.round((gzMb * raw.length) / gzipSync(raw, { level: 6 }).length);
}

async function input(dir: string, name: string, mb: number, gzip = false): Promise<string> {
  const csv = join(dir, `${name}.csv`);
  const want = mb * 1024 * 1024;
  const have = await stat(csv).catch(() => null);
  if (!have || Math.abs(have.size - want) > 1024 * 1024) await EVENTS.generate(csv, want);
  if (!gzip) return csv;
  const gz = `${csv}.gz`;
  if (!(await stat(gz).catch(() => null)))
    await pipeline(createReadStream(csv), createGzip({ level: 6 }), createWriteStream(gz));
  return gz;
}

/** Drops `file` into a fresh local lake (a hard link), returns the landing key. */
async function land(work: string, file: string): Promise<string> {
  await rm(work, { recursive: true, force: true });
  const key = `${EVENTS.dataset}/${file.split('/').pop()}`;
  const dest = join(work, 'lake', 'landing', key);
  await mkdir(join(dest, '..'), { recursive: true });
  await link(file, dest);
  return key;
}

async function checksums(
  work: string,
  manifestKey: string,
): Promise<{ rows: string; columns: Record<string, string> }> {
  const m = JSON.parse(await readFile(join(work, 'lake', 'lake', manifestKey), 'utf8')) as Manifest;
  const files = m.files.map((f) => `'${join(work, 'lake', 'lake', f.key)}'`).join(', ');
  const db = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const conn = await db.connect();
  const cols = [...EVENTS.columns, SOURCE_LINE];
  const sql = `SELECT count(*)::VARCHAR AS n, ${cols.map((c) => `count(${c})::VARCHAR || ':' || sum(hash(${c})::HUGEINT)::VARCHAR AS ${c}`).join(', ')} FROM read_parquet([${files}])`;
  const row = (await conn.runAndReadAll(sql)).getRowObjectsJson()[0] as Record<string, string>;
  conn.closeSync();
  const { n, ...columns } = row;
  return { rows: n, columns };
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const gb = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GB`;

export async function runScaleCheck(o: ScaleOptions): Promise<boolean> {
  await mkdir(o.dir, { recursive: true });
  const t = String(o.threads);
  const env = { LANDFALL_SCALE_RANGE_BYTES: String(o.rangeMb * 1024 * 1024) };
  let ok = true;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  o.log(`generating inputs in ${o.dir} (reused when present)...`);
  const small = await input(o.dir, `events-${o.smallMb}m`, o.smallMb);
  const plain = await input(o.dir, `events-${o.plainMb}m`, o.plainMb);
  const gzCsvMb = await csvMbForGzip(o.dir, o.gzipMb);
  const gz = await input(o.dir, `events-${gzCsvMb}m`, gzCsvMb, true);

  // Peak RSS, small and large, one uninterrupted pass each.
  const rss: [string, number, StepOut][] = [];
  for (const f of [small, plain]) {
    const work = join(o.dir, 'work-whole');
    const key = await land(work, f);
    const out = await step(work, ['whole', key, t]);
    rss.push([f, (await stat(f)).size, out]);
    o.log(
      `uninterrupted ${gb((await stat(f)).size)} plain: ${out.seconds.toFixed(0)} s, ${out.result.rows} rows, peak RSS ${mb(out.peakRssBytes)}`,
    );
  }
  const wholePlain = await checksums(join(o.dir, 'work-whole'), rss[1][2].result.manifestKey as string);

  // Plain by byte ranges: the ingest function plans, each range is one convert invocation, then publish.
  {
    const work = join(o.dir, 'work-ranges');
    const key = await land(work, plain);
    const start = await step(work, ['start', key, t, '0'], env);
    const handOff = start.result.handOff as { batchId: string; manifestKey: string; convert: { segments: number[] } };
    o.log(
      `  planning (the ingest function's part): ${start.seconds.toFixed(1)} s, ${handOff.convert.segments.length} ranges, peak RSS ${mb(start.peakRssBytes)}`,
    );
    const peaks = [start.peakRssBytes];
    let seconds = start.seconds;
    for (const s of handOff.convert.segments) {
      const out = await step(work, ['segment', handOff.batchId, String(s), t, '0'], env);
      peaks.push(out.peakRssBytes);
      seconds += out.seconds;
      o.log(`  range ${s}: ${out.seconds.toFixed(0)} s, ${out.result.rowsRead} rows, peak RSS ${mb(out.peakRssBytes)}`);
    }
    const pub = await step(work, ['publish', handOff.batchId, t], env);
    seconds += pub.seconds;
    const sums = await checksums(work, handOff.manifestKey);
    const equal = same(sums, wholePlain);
    ok &&= equal;
    o.log(
      `ranges: ${handOff.convert.segments.length} ranges, ${status(pub.result)}; ${seconds.toFixed(0)} s in total one after another (in parallel on AWS: the longest range), peak RSS per invocation <= ${mb(Math.max(...peaks))}; rows and column checksums ${equal ? 'EQUAL to' : 'DIFFERENT from'} one pass (${sums.rows} rows)`,
    );
  }

  // Gzip: uninterrupted, then continued over time-limited invocations.
  {
    const work = join(o.dir, 'work-gzip-whole');
    const key = await land(work, gz);
    const whole = await step(work, ['whole', key, t]);
    const wholeGz = await checksums(work, whole.result.manifestKey as string);
    o.log(
      `uninterrupted ${gb((await stat(gz)).size)} gzip (${gb((await stat(gz.slice(0, -3))).size)} inflated): ${whole.seconds.toFixed(0)} s, peak RSS ${mb(whole.peakRssBytes)}`,
    );
    const budget = o.budgetMs || Math.ceil((whole.seconds * 1000) / 4);
    const cwork = join(o.dir, 'work-gzip-runs');
    const ckey = await land(cwork, gz);
    const start = await step(cwork, ['start', ckey, t, String(budget)], env);
    const handOff = start.result.handOff as { batchId: string; manifestKey: string };
    let invocations = 1;
    let seconds = start.seconds;
    const peaks = [start.peakRssBytes];
    for (;;) {
      const out = await step(cwork, ['segment', handOff.batchId, '0', t, String(budget)], env);
      invocations++;
      seconds += out.seconds;
      peaks.push(out.peakRssBytes);
      o.log(
        `  invocation ${invocations}: ${out.seconds.toFixed(0)} s, ${out.result.rowsRead} rows so far, peak RSS ${mb(out.peakRssBytes)}`,
      );
      if (out.result.done) break;
    }
    const pub = await step(cwork, ['publish', handOff.batchId, t], env);
    const sums = await checksums(cwork, handOff.manifestKey);
    const equal = same(sums, wholeGz);
    ok &&= equal && invocations >= 3;
    o.log(
      `gzip continued: ${invocations} invocations of <= ${(budget / 1000).toFixed(0)} s each (+ publish ${pub.seconds.toFixed(1)} s), ${seconds.toFixed(0)} s in total vs ${whole.seconds.toFixed(0)} s uninterrupted; peak RSS <= ${mb(Math.max(...peaks))}; rows and column checksums ${equal ? 'EQUAL to' : 'DIFFERENT from'} one pass (${sums.rows} rows)`,
    );
  }
  // landfall run end to end (conversion, then the MERGE by key in DuckDB with its memory limit): one process.
  for (const runMb of o.runMbs) {
    const f = await input(o.dir, `events-${runMb}m`, runMb);
    const work = join(o.dir, 'work-run');
    await rm(work, { recursive: true, force: true });
    const out = await step(work, ['run', f, t, String(o.warehouseMb)]);
    const merged = out.result.curated === out.result.rows && !out.result.mergeFailed;
    const under = out.peakRssBytes < 1024 ** 3;
    ok &&= merged && under;
    o.log(
      `landfall run ${gb((await stat(f)).size)} (warehouse limit ${o.warehouseMb} MB): ${out.seconds.toFixed(0)} s, ${out.result.rows} rows converted, ${out.result.curated} merged by key; peak RSS ${mb(out.peakRssBytes)} (${under ? 'under' : 'OVER'} 1 GB)`,
    );
  }
  const [a, b] = rss;
  o.log(
    `peak RSS: ${mb(a[2].peakRssBytes)} at ${gb(a[1])}, ${mb(b[2].peakRssBytes)} at ${gb(b[1])} (${((b[2].peakRssBytes / a[2].peakRssBytes - 1) * 100).toFixed(0)}%)`,
  );
  o.log(ok ? 'scale check: OK' : 'scale check: FAILED');
  return ok;
}

function status(r: Record<string, unknown>): string {
  return `publish ${r.status}, ${r.rowsWritten} rows in ${r.files} files`;
}
