import { DuckDBInstance } from '@duckdb/node-api';
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bytes } from '../cli/format.ts';
import { localEnvironment } from '../cli/invoke.ts';
import { readTemplate } from '../cli/samTemplate.ts';
import { CLICKS, EVENTS, WIDE, type BenchDataset } from './benchData.ts';

export interface RunResult {
  engine: 'landfall' | 'duckdb';
  threads: number;
  seconds: number;
  /** CPU time of the conversion on every thread of its process (user + system): JIT, GC and I/O threads included. */
  cpuSeconds: number;
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

/** One input converted by both engines at the same thread count. */
export interface PairResult {
  input: string;
  inputBytes: number;
  threads: number;
  landfall: RunResult;
  duckdb: RunResult;
  sameRows: boolean;
  sameValues: boolean;
  /**
   * Landfall / DuckDB: throughput (above 1 = Landfall faster; the median of the rounds' ratios), output size and peak
   * RSS (below 1 = Landfall smaller).
   */
  ratios: { throughput: number; size: number; peakRss: number };
  /** Each round's seconds per engine and throughput ratio (the engines run back to back, in turn first). */
  rounds: { landfall: number; duckdb: number; throughput: number }[];
}

const COLD_START = fileURLToPath(new URL('./coldStart.ts', import.meta.url));

let converter: Promise<string> | undefined;

/**
 * convertOnce.ts as users run Landfall: built by esbuild with the CLI (scripts/build-cli.mjs), run by plain Node.
 * Through tsx, each process also held tsx's loader and its hooks thread (80 MB of RSS at start against 43, ~10 MB
 * more at the 300-column file's peak, in both engines' processes) and compiled TypeScript as modules loaded; neither
 * is in the CLI users run nor in a Lambda bundle.
 */
function converterScript(): Promise<string> {
  converter ??= (async () => {
    // Loaded from the checkout at run time, not bundled: the build script builds the CLI this module is part of.
    const script = new URL('../../scripts/build-cli.mjs', import.meta.url).href;
    const { builtCliFile } = (await import(script)) as { builtCliFile: (name: string) => Promise<string> };
    return builtCliFile('convert-once.mjs');
  })();
  return converter;
}

async function convert(
  engine: 'landfall' | 'duckdb',
  file: string,
  work: string,
  threads: number,
  dataset: BenchDataset,
  files = 1,
): Promise<RunResult & { each: number[] }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [await converterScript(), engine, file, work, String(threads), dataset.name, String(files)],
    { maxBuffer: 1 << 24 },
  );
  return { ...JSON.parse(stdout.trim().split('\n').pop()!), threads } as RunResult & { each: number[] };
}

/** Files converted one after another in one process, per engine: the first (cold) and the median of the rest. */
export interface WarmResult {
  input: string;
  inputBytes: number;
  files: number;
  threads: number;
  landfall: { firstMs: number; medianMs: number; rows: number };
  duckdb: { firstMs: number; medianMs: number; rows: number };
  /** DuckDB's median / Landfall's (above 1 = Landfall faster per file once warm). */
  ratio: number;
}

/**
 * A warm container's work: `files` copies of the first `mb` MB of the click log converted one after another by one
 * process (one DuckDB instance), at each thread count. Per-file costs (thread starts, JIT warm-up, the batch's records)
 * show here, not in the one-file rows.
 */
export async function runWarm(o: {
  dir: string;
  mb: number;
  files: number;
  threads: number[];
  log: (s: string) => void;
}) {
  const dir = resolve(o.dir);
  await mkdir(dir, { recursive: true });
  // Named as runBenchmark names its inputs: the same size is the same file, generated once.
  const full = join(dir, `${CLICKS.name}-${o.mb}mb.csv`);
  const inputBytes = await CLICKS.generate(full, o.mb * 1024 * 1024);
  const results: WarmResult[] = [];
  for (const threads of o.threads) {
    const work = (engine: string) => join(dir, `work-warm-${engine}-${threads}`);
    o.log(`  ${o.files} click logs of ${o.mb} MB in one process, ${threads} thread${threads > 1 ? 's' : ''}...`);
    const landfall = await convert('landfall', full, work('landfall'), threads, CLICKS, o.files);
    const duckdb = await convert('duckdb', full, work('duckdb'), threads, CLICKS, o.files);
    const summary = (r: typeof landfall) => {
      const rest = r.each.slice(1).sort((a, b) => a - b);
      const median = rest.length ? rest[Math.floor(rest.length / 2)] : r.each[0];
      return { firstMs: r.each[0] * 1000, medianMs: median * 1000, rows: r.rows };
    };
    const l = summary(landfall);
    const d = summary(duckdb);
    results.push({
      input: 'clicks',
      inputBytes,
      files: o.files,
      threads,
      landfall: l,
      duckdb: d,
      ratio: d.medianMs / l.medianMs,
    });
    await rm(work('landfall'), { recursive: true, force: true });
    await rm(work('duckdb'), { recursive: true, force: true });
  }
  return results;
}

export function formatWarm(results: WarmResult[]): string {
  if (!results.length) return '';
  return [
    '',
    'files converted one after another in one process (a warm container): ms per file, the first and the median of the rest',
    ...textTable(
      ['input', 'files', 'threads', 'landfall first / median', 'duckdb first / median', 'ratio (median)'],
      results.map((r) => [
        `${r.input} ${bytes(r.inputBytes)}`,
        String(r.files),
        String(r.threads),
        `${r.landfall.firstMs.toFixed(0)} / ${r.landfall.medianMs.toFixed(0)}`,
        `${r.duckdb.firstMs.toFixed(0)} / ${r.duckdb.medianMs.toFixed(0)}`,
        r.ratio.toFixed(2),
      ]),
    ),
  ].join('\n');
}

/**
 * A text table, each column as wide as its widest cell or title: the first column padded on the right, the others
 * but the last on the left (a longer input name, "wide-300 257.0 MB", had pushed its row out of line).
 */
function textTable(titles: string[], rows: string[][]): string[] {
  const last = titles.length - 1;
  const widths = titles.map((t, i) => Math.max(t.length, ...rows.map((r) => (i === last ? 0 : r[i].length))));
  const cell = (c: string, i: number) => (i === 0 ? c.padEnd(widths[0]) : i === last ? c : c.padStart(widths[i]));
  return [
    titles.map(cell).join(' | '),
    titles.map((t, i) => '-'.repeat(i === last ? t.length : widths[i])).join('-+-'),
    ...rows.map((r) => r.map(cell).join(' | ')),
  ];
}

/** Both outputs must hold the same rows: count, and per column count, min, max and a value checksum. */
async function compareOutputs(
  landfallGlob: string,
  duckFile: string,
  cols: string[],
): Promise<{ sameRows: boolean; sameValues: boolean }> {
  const db = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const conn = await db.connect();
  const agg = (from: string) =>
    `SELECT count(*)::VARCHAR AS n, ${cols.map((c) => `count(${c})::VARCHAR || min(${c})::VARCHAR || max(${c})::VARCHAR || sum(hash(${c})::HUGEINT)::VARCHAR AS ${c}`).join(', ')} FROM ${from}`;
  const a = (await conn.runAndReadAll(agg(`read_parquet('${landfallGlob}')`))).getRowObjectsJson()[0];
  const b = (await conn.runAndReadAll(agg(`read_parquet('${duckFile}')`))).getRowObjectsJson()[0];
  conn.closeSync();
  return { sameRows: a.n === b.n, sameValues: JSON.stringify(a) === JSON.stringify(b) };
}

/** How long the command takes to answer, from a fresh process (the built CLI, as `npx landfall` runs it). */
export interface CliStart {
  /** `landfall help`, median of five starts. */
  helpMs: number;
  /** `landfall query "SELECT 1"` on an empty lake, median of five (DuckDB opening the warehouse included). */
  queryMs: number;
}

export async function measureCliStart(dir: string): Promise<CliStart> {
  const bin = fileURLToPath(new URL('../../bin/landfall.mjs', import.meta.url));
  const lake = join(resolve(dir), 'cli-start-lake');
  const median = async (args: string[]) => {
    await promisify(execFile)(process.execPath, [bin, ...args]); // a first start builds the CLI if a source changed
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await promisify(execFile)(process.execPath, [bin, ...args]);
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[2];
  };
  return { helpMs: await median(['help']), queryMs: await median(['query', '--lake', lake, 'SELECT 1']) };
}

/** Builds the ingest function as SAM would, then runs its cold start in a fresh Node process (plain Node, no tsx). */
export async function measureColdStart(dir: string): Promise<ColdStart> {
  // @ts-expect-error plain JS build script, no type declarations
  const { buildFunctions, buildLayer } = await import('../../scripts/build.mjs');
  const layer = await buildLayer(join(dir, 'cold', 'opt'));
  const [fn] = await buildFunctions(join(dir, 'cold', 'dist'), ['IngestFunction']);
  const script = join(dir, 'cold', 'coldStart.mjs');
  const { build } = await import('esbuild');
  await build({
    entryPoints: [COLD_START],
    outfile: script,
    bundle: false,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  const lake = join(dir, 'cold', 'lake', String(Date.now()));
  const env = await localEnvironment(await readTemplate(), 'IngestFunction', lake, { layerDir: layer });
  const { stdout } = await promisify(execFile)(process.execPath, [script, fn.outfile], {
    env: { PATH: process.env.PATH, ...env, POWERTOOLS_LOG_LEVEL: 'WARN' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ColdStart;
}

export interface BenchOptions {
  dir: string;
  /** Size of the events input in MB (the issue's reference: 1024). */
  eventsMb: number;
  /** Size of the 300-column input in MB (0: skip it). */
  wideMb: number;
  /** Size of the click-log input in MB (0: skip it). */
  clicksMb: number;
  threads: number[];
  /**
   * Conversions per engine, input and thread count (default 1; `landfall bench`'s default 3): the engines back to
   * back, in turn first.
   */
  rounds?: number;
  log: (s: string) => void;
}

/**
 * Every input at every thread count: Landfall and DuckDB, each in a fresh process, outputs compared. With several
 * rounds the engines run back to back each round, in turn first (the machine's speed drifts: run one engine's rounds
 * and then the other's, and the drift lands in the ratio); seconds and ratios are the rounds' medians, peak RSS their
 * highest.
 */
export async function runBenchmark(o: BenchOptions): Promise<PairResult[]> {
  const dir = resolve(o.dir);
  await mkdir(dir, { recursive: true });
  const results: PairResult[] = [];
  const inputs = [
    { spec: EVENTS, mb: o.eventsMb },
    { spec: WIDE, mb: o.wideMb },
    { spec: CLICKS, mb: o.clicksMb },
  ].filter((i) => i.mb > 0);
  for (const { spec, mb } of inputs) {
    const file = join(dir, `${spec.name}-${mb}mb.csv`);
    o.log(`generating ${file} (${mb} MB, reused when present)`);
    const inputBytes = await spec.generate(file, mb * 1024 * 1024);
    for (const threads of o.threads) {
      const work = (engine: string) => join(dir, `work-${spec.name}-${engine}-${threads}`);
      const rounds = Math.max(1, o.rounds ?? 1);
      const runs: Record<'landfall' | 'duckdb', RunResult[]> = { landfall: [], duckdb: [] };
      let check: { sameRows: boolean; sameValues: boolean } | undefined;
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 ? (['duckdb', 'landfall'] as const) : (['landfall', 'duckdb'] as const);
        for (const engine of order) {
          o.log(
            `  ${spec.name}, ${threads} thread${threads > 1 ? 's' : ''}: ${engine}${rounds > 1 ? ` (round ${round + 1} of ${rounds})` : ''}...`,
          );
          // Each run in a fresh folder (the lake remembers an object it ingested).
          await rm(work(engine), { recursive: true, force: true });
          runs[engine].push(await convert(engine, file, work(engine), threads, spec));
        }
        check ??= await compareOutputs(
          join(work('landfall'), 'lake', 'lake', 'raw', spec.dataset, '*', '*.parquet'),
          join(work('duckdb'), 'duckdb.parquet'),
          spec.columns,
        );
      }
      const landfall = medianRun(runs.landfall);
      const duckdb = medianRun(runs.duckdb);
      const perRound = runs.landfall.map((l, i) => ({
        landfall: l.seconds,
        duckdb: runs.duckdb[i].seconds,
        throughput: runs.duckdb[i].seconds / l.seconds,
      }));
      const ratios = {
        throughput: median(perRound.map((r) => r.throughput)),
        size: landfall.outBytes / duckdb.outBytes,
        peakRss: landfall.peakRssBytes / duckdb.peakRssBytes,
      };
      results.push({ input: spec.name, inputBytes, threads, landfall, duckdb, ...check!, ratios, rounds: perRound });
      await rm(work('landfall'), { recursive: true, force: true });
      await rm(work('duckdb'), { recursive: true, force: true });
    }
  }
  return results;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One engine's rounds as one run: the median seconds and CPU seconds, the highest peak RSS. */
export function medianRun(runs: RunResult[]): RunResult {
  const middle = [...runs].sort((a, b) => a.seconds - b.seconds)[(runs.length - 1) >> 1];
  return {
    ...middle,
    seconds: median(runs.map((r) => r.seconds)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
  };
}

export function machineInfo() {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  };
}

export function formatBenchmark(results: PairResult[], cold?: ColdStart, cli?: CliStart): string {
  const mbps = (r: PairResult, x: RunResult) => (r.inputBytes / 1024 / 1024 / x.seconds).toFixed(1);
  const lines = [
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${bytes(totalmem())} memory, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
    ...(cold
      ? [
          `cold start of the bundled ingest function: import ${cold.importMs.toFixed(0)} ms, first converted row ${cold.firstRowMs.toFixed(0)} ms after the import began`,
        ]
      : []),
    ...(cli
      ? [
          `command start (median of 5): landfall help ${cli.helpMs.toFixed(0)} ms, landfall query "SELECT 1" ${cli.queryMs.toFixed(0)} ms`,
        ]
      : []),
    ...(results.some((r) => r.rounds.length > 1)
      ? [
          `${results[0].rounds.length} rounds, the engines back to back and in turn first: MB/s, CPU s and the speed ratio are medians (the ratio's range in brackets), peak RSS the highest`,
        ]
      : []),
    '',
    ...textTable(
      [
        'input',
        'threads',
        'MB/s landfall / duckdb',
        'CPU s landfall / duckdb',
        'output landfall / duckdb',
        'peak RSS landfall / duckdb',
        'ratios: speed',
        'size',
        'RSS',
        'same rows',
      ],
      results.map((r) => [
        `${r.input} ${bytes(r.inputBytes)}`,
        String(r.threads),
        `${mbps(r, r.landfall)} / ${mbps(r, r.duckdb)}`,
        `${r.landfall.cpuSeconds.toFixed(2)} / ${r.duckdb.cpuSeconds.toFixed(2)}`,
        `${bytes(r.landfall.outBytes)} / ${bytes(r.duckdb.outBytes)}`,
        `${bytes(r.landfall.peakRssBytes)} / ${bytes(r.duckdb.peakRssBytes)}`,
        r.rounds.length > 1
          ? `${r.ratios.throughput.toFixed(2)} (${Math.min(...r.rounds.map((x) => x.throughput)).toFixed(2)}-${Math.max(...r.rounds.map((x) => x.throughput)).toFixed(2)})`
          : r.ratios.throughput.toFixed(2),
        r.ratios.size.toFixed(2),
        r.ratios.peakRss.toFixed(2),
        r.sameRows && r.sameValues ? 'yes' : r.sameRows ? 'rows only' : 'NO',
      ]),
    ),
  ];
  return lines.join('\n');
}
