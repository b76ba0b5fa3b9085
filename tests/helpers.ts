import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { ingestObject, type IngestResult } from '#src/convert/ingestObject.ts';
import type { IngestSettings } from '#src/convert/ingestObject.ts';
import { ingestContext, openLocalLake, type LocalLake } from '#src/wiring/local.ts';

/** ../shared/data beside the checkout: tests read the real files there and never copy them into the project. */
export const SHARED_DATA = resolve(fileURLToPath(new URL('../../shared/data', import.meta.url)));

const cleanups: string[] = [];
afterAll(async () => {
  await Promise.all(cleanups.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

export async function tempDir(prefix = 'landfall-test-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(d);
  return d;
}

export async function tempLake(settings: Partial<IngestSettings> = {}, contractsDir?: string): Promise<LocalLake> {
  return openLocalLake({ root: await tempDir(), settings, contractsDir });
}

/** Drops a file into the lake's landing zone under `<dataset>/` and ingests it, as `landfall run` does. */
export async function ingestFile(lake: LocalLake, file: string, dataset: string, keyName = basename(file)): Promise<IngestResult> {
  const key = `${dataset}/${keyName}`;
  await mkdir(dirname(lake.landing.path(key)), { recursive: true });
  await copyFile(file, lake.landing.path(key));
  return ingestObject(ingestContext(lake), key);
}

export async function duck(): Promise<DuckDBConnection> {
  const dir = await tempDir('landfall-duck-');
  const db = await DuckDBInstance.create(':memory:', {
    extension_directory: dir,
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  return db.connect();
}

export async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

export function sqlList(paths: string[]): string {
  return `[${paths.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ')}]`;
}

/** Checks the promise of every ingest: rows read = written + rejected, and the files hold exactly those rows. */
export function expectReconciled(r: IngestResult): void {
  const m = r.manifest;
  if (m.rowsRead !== m.rowsWritten + m.rowsRejected) throw new Error(`read ${m.rowsRead} != ${m.rowsWritten} + ${m.rowsRejected}`);
  const inFiles = m.files.reduce((n, f) => n + f.rows, 0);
  if (inFiles !== m.rowsWritten) throw new Error(`files hold ${inFiles} rows, manifest says ${m.rowsWritten}`);
  if ((m.quarantine?.rows ?? 0) !== m.rowsRejected) throw new Error(`quarantine holds ${m.quarantine?.rows} rows, manifest says ${m.rowsRejected}`);
}
