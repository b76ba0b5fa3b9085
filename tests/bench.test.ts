import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { measureColdStart, median, medianRun, type RunResult } from '#src/bench/runBenchmark.ts';
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
        '--rounds',
        '2',
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
        duckdb: { rows: number; cpuSeconds: number; seconds: number };
        ratios: Record<string, number>;
        rounds: { landfall: number; duckdb: number; throughput: number }[];
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
      // Two rounds: each round's seconds and ratio, and the medians of them reported.
      expect(r.rounds).toHaveLength(2);
      const [a, b] = r.rounds;
      for (const x of r.rounds) expect(x.throughput).toBeCloseTo(x.duckdb / x.landfall, 9);
      expect(r.landfall.seconds).toBeCloseTo((a.landfall + b.landfall) / 2, 9);
      expect(r.duckdb.seconds).toBeCloseTo((a.duckdb + b.duckdb) / 2, 9);
      expect(r.ratios.throughput).toBeCloseTo((a.throughput + b.throughput) / 2, 9);
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

  it("sums up an engine's rounds: the median seconds, the highest peak RSS", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const run = (seconds: number, peakRssBytes: number, cpuSeconds = seconds): RunResult => ({
      engine: 'landfall',
      threads: 1,
      seconds,
      cpuSeconds,
      rows: 10,
      outBytes: 100 + seconds,
      files: 1,
      peakRssBytes,
    });
    const m = medianRun([run(5, 100), run(1, 300, 2), run(3, 200)]);
    expect(m).toEqual({ ...run(3, 300), cpuSeconds: 3 });
    // An even count: the mean of the middle two; the rest from the faster of them.
    expect(medianRun([run(4, 1), run(2, 2)])).toEqual({ ...run(2, 2), seconds: 3, cpuSeconds: 3 });
  });

  it('measures the cold start of the bundled ingest function with the layer as template.yaml names its files', async () => {
    // The bundle cannot find the layer's files beside its sources: without the environment template.yaml sets, its
    // first conversion fails (the harness throws unless the one-row file is written).
    const cold = await measureColdStart(await tempDir());
    expect(cold.importMs).toBeGreaterThan(0);
    expect(cold.firstRowMs).toBeGreaterThan(cold.importMs);
  }, 120_000);
});
