import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { measureColdStart } from '#src/bench/runBenchmark.ts';
import { tempDir } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/landfall.mjs', import.meta.url));

/** Behaviour of the benchmark only (timings are machine-dependent and never asserted). */
describe('landfall bench', () => {
  it('converts the three inputs with Landfall and DuckDB at each thread count and reports matching outputs and ratios as JSON', async () => {
    const dir = await tempDir();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        BIN,
        'bench',
        '--events-mb',
        '3',
        '--wide-mb',
        '2',
        '--clicks-mb',
        '2',
        '--threads',
        '1,2',
        '--no-cold-start',
        '--warm-mb',
        '2',
        '--warm-files',
        '3',
        '--json',
        '--dir',
        dir,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout) as {
      machine: { cores: number };
      results: {
        input: string;
        threads: number;
        sameRows: boolean;
        sameValues: boolean;
        landfall: { rows: number; threads: number; cpuSeconds: number; seconds: number };
        duckdb: { rows: number; cpuSeconds: number };
        ratios: Record<string, number>;
      }[];
      warm: {
        files: number;
        threads: number;
        landfall: { firstMs: number; medianMs: number; rows: number };
        duckdb: { firstMs: number; medianMs: number; rows: number };
        ratio: number;
      }[];
    };
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.results.map((r) => `${r.input}/${r.threads}`)).toEqual([
      'events/1',
      'events/2',
      'wide-300/1',
      'wide-300/2',
      'clicks/1',
      'clicks/2',
    ]);
    for (const r of report.results) {
      expect(r.landfall.rows).toBeGreaterThanOrEqual(1000);
      expect(r.landfall.rows).toBe(r.duckdb.rows);
      // CPU time of each conversion's process is reported beside its wall time.
      expect(r.landfall.cpuSeconds).toBeGreaterThan(0);
      expect(r.duckdb.cpuSeconds).toBeGreaterThan(0);
      expect(r.sameRows && r.sameValues).toBe(true);
      for (const v of Object.values(r.ratios)) expect(Number.isFinite(v) && v > 0).toBe(true);
    }
    // Three files in a row per engine and thread count: the same rows, each file timed.
    expect(report.warm.map((w) => `${w.files}/${w.threads}`)).toEqual(['3/1', '3/2']);
    for (const w of report.warm) {
      expect(w.landfall.rows).toBeGreaterThanOrEqual(1000);
      expect(w.landfall.rows).toBe(w.duckdb.rows);
      for (const ms of [w.landfall.firstMs, w.landfall.medianMs, w.duckdb.firstMs, w.duckdb.medianMs])
        expect(ms).toBeGreaterThan(0);
      expect(Number.isFinite(w.ratio) && w.ratio > 0).toBe(true);
    }
  }, 240_000);

  it('measures the cold start of the bundled ingest function with the layer as template.yaml names its files', async () => {
    // The bundle cannot find the layer's files beside its sources: without the environment template.yaml sets, its
    // first conversion fails (the harness throws unless the one-row file is written).
    const cold = await measureColdStart(await tempDir());
    expect(cold.importMs).toBeGreaterThan(0);
    expect(cold.firstRowMs).toBeGreaterThan(cold.importMs);
  }, 120_000);
});
