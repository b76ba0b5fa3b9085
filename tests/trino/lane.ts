import { expect } from 'vitest';
import { LocalPipelineRunner } from '#src/cli/pipelineRunner.ts';
import type { LocalLake } from '#src/wiring/local.ts';
import { tempDir, tempLake } from '../helpers.ts';
import { AthenaOnTrino } from './athenaOnTrino.ts';
import { startTrino, type TrinoServer } from './trinoServer.ts';

/** A lake whose pipeline runs on Trino: the real ASL, the Athena dialect, Trino over the lake folder as s3://lake. */
export interface TrinoLake {
  lake: LocalLake;
  trino: TrinoServer;
  warehouse: AthenaOnTrino;
  runner: LocalPipelineRunner<AthenaOnTrino>;
  /** Every Task state the executions ran, with its input. */
  tasks: { state: string; input: unknown }[];
  /** Rows of a Trino query, each value made comparable (see comparable). */
  rows(sql: string): Promise<unknown[][]>;
  close(): Promise<void>;
}

export async function trinoLake(contractsDir?: string): Promise<TrinoLake> {
  const lake = await tempLake({ threads: 1 }, contractsDir);
  const started = Date.now();
  const trino = await startTrino({ root: lake.root, work: await tempDir('landfall-trino-') });
  console.log(`Trino started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const warehouse = new AthenaOnTrino(trino, lake.lake.name);
  await warehouse.createDatabases();
  const tasks: { state: string; input: unknown }[] = [];
  const runner = new LocalPipelineRunner(lake, warehouse, (state, input) => tasks.push({ state, input }));
  return {
    tasks,
    lake,
    trino,
    warehouse,
    runner,
    rows: async (sql) => (await trino.query(sql)).rows.map((r) => r.map(comparable)),
    async close() {
      console.log(`Trino peak RSS ${await trino.peakRssMb()} MB`);
      await trino.close();
    },
  };
}

/**
 * One value of either engine's answer, comparable across them: numbers (Trino's JSON numbers, DuckDB's BIGINT and
 * DECIMAL strings) as numbers, the rest as text. Types are checked apart (tests/parquetReaders.test.ts).
 */
export function comparable(v: unknown): unknown {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return Number(v);
  return v;
}

/** Rows equal, numbers within 1e-9 relative (the two engines sum doubles in different orders). */
export function expectSameRows(actual: unknown[][], expected: unknown[][], what: string): void {
  expect(actual.length, `${what}: rows`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    const same =
      a.length === e.length &&
      a.every((x, j) => {
        const y = e[j];
        if (typeof x === 'number' && typeof y === 'number') return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
        return x === y;
      });
    if (!same) expect(a, `${what}: row ${i}`).toEqual(e);
  }
}

/** Every round ran, nothing failed: the lines `landfall run` prints. */
export async function runFiles(t: TrinoLake, files: string[], dataset?: string): Promise<string[]> {
  const lines: string[] = [];
  const { outcomes, mergeFailed } = await t.runner.run(files, dataset, (l) => lines.push(l));
  expect(
    outcomes.filter((o) => o.error || o.pipelineFailed),
    lines.join('\n'),
  ).toEqual([]);
  expect(mergeFailed, lines.join('\n')).toBe(false);
  return lines;
}
