import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach } from 'vitest';
import { ingestObject } from '#src/ingest/ingestObject.ts';
import type { IngestResult } from '#src/ingest/context.ts';
import type { IngestSettings } from '#src/ingest/context.ts';
import { readManifest, type Manifest } from '#src/ingest/manifest.ts';
import { manifestPrefix } from '#src/lake/layout.ts';
import { FolderStore } from '#src/adapters/local/FolderStore.ts';
import type { ObjectStore } from '#src/ports.ts';
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

/**
 * A lake in a temporary folder. After each test, every manifest that appeared in any lake the test file opened is
 * reconciled against its files (expectReconciled), so no test that ingests into one can skip the check.
 */
export async function tempLake(settings: Partial<IngestSettings> = {}, contractsDir?: string): Promise<LocalLake> {
  const lake = await openLocalLake({ root: await tempDir(), settings, contractsDir });
  openedLakes.set(lake.lake, new Set());
  return lake;
}

/** Has every manifest that appears in `store` reconciled after each test, as for a lake from tempLake. */
export function reconcileAfterEach(store: ObjectStore): ObjectStore {
  if (!openedLakes.has(store)) openedLakes.set(store, new Set());
  return store;
}

/** The lake folder of a `--lake DIR` (the CLI) or LANDFALL_LOCAL_LAKE (a function run locally), checked after each test. */
export function lakeAt(root: string): ObjectStore {
  return reconcileAfterEach(new FolderStore(join(root, 'lake'), 'lake'));
}

/** The lakes opened in this file, with the manifests already reconciled (manifests never change once written). */
const openedLakes = new Map<ObjectStore, Set<string>>();
afterEach(async () => {
  for (const [store, checked] of openedLakes) {
    for await (const o of store.list(manifestPrefix())) {
      if (checked.has(o.key) || !o.key.endsWith('.json')) continue;
      const m = await readManifest(store, o.key);
      if (m) await expectReconciled(store, m);
      checked.add(o.key);
    }
  }
});

/** Until `ready()` says yes (polled every 20 ms), or fails after `timeoutMs`. */
export async function until(ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The keys under `prefix`, in order. */
export async function listKeys(store: Pick<ObjectStore, 'list'>, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

/** Drops a file into the lake's landing zone under `<dataset>/` and ingests it, as `landfall run` does. */
export async function ingestFile(
  lake: LocalLake,
  file: string,
  dataset: string,
  keyName = basename(file),
): Promise<IngestResult> {
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

/** `read_parquet([...])` over a batch's Parquet files in a folder lake, for DuckDB. */
export function landedParquet(store: { path(key: string): string }, m: Pick<Manifest, 'files'>): string {
  return `read_parquet(${sqlList(m.files.map((f) => store.path(f.key)))})`;
}

/**
 * Checks the promise of every ingest against the files themselves, not the manifest's own sums: DuckDB counts the
 * rows of each Parquet file, csv-parse reads the quarantine file (one row per reject, its reason and line), and a
 * file kept whole in quarantine has the source's bytes. rows read = written + rejected + blank must hold for what is
 * there.
 */
export async function expectReconciled(store: ObjectStore, r: IngestResult | Manifest): Promise<void> {
  const m = 'manifest' in r ? r.manifest : r;
  const where = `batch ${m.batchId} of ${m.dataset}`;
  if (m.rowsRead !== m.rowsWritten + m.rowsRejected + m.rowsBlank)
    throw new Error(`${where}: read ${m.rowsRead} != ${m.rowsWritten} + ${m.rowsRejected} + blank ${m.rowsBlank}`);
  if (m.status !== 'published') {
    if (m.files.length || m.rowsRead)
      throw new Error(`${where}: ${m.status} but lists ${m.files.length} files and ${m.rowsRead} rows`);
    const kept = m.quarantine && (await store.head(m.quarantine.key));
    if (!kept || kept.size !== m.source.size)
      throw new Error(
        `${where}: the file kept whole in quarantine has ${kept ? kept.size : 'no'} bytes, the source ${m.source.size}`,
      );
    return;
  }
  const conn = await sharedDuck();
  let written = 0;
  for (const f of m.files) {
    const path = await localPath(store, f.key);
    const [row] = await rows(conn, `SELECT count(*)::BIGINT AS n FROM read_parquet('${path.replace(/'/g, "''")}')`);
    const n = Number(row.n);
    if (n !== f.rows) throw new Error(`${where}: ${f.key} holds ${n} rows, the manifest says ${f.rows}`);
    written += n;
  }
  if (written !== m.rowsWritten)
    throw new Error(`${where}: the Parquet files hold ${written} rows, the manifest says ${m.rowsWritten}`);
  const rejects = m.quarantine ? await quarantineRows(store, m.quarantine.key) : [];
  if (rejects.length !== m.rowsRejected)
    throw new Error(`${where}: the quarantine file holds ${rejects.length} rows, the manifest says ${m.rowsRejected}`);
  if (m.quarantine && m.quarantine.rows !== rejects.length)
    throw new Error(`${where}: the quarantine entry says ${m.quarantine.rows} rows, the file holds ${rejects.length}`);
  const byReason: Record<string, number> = {};
  for (const q of rejects) byReason[q.reason] = (byReason[q.reason] ?? 0) + 1;
  const sorted = (o: Record<string, number>) =>
    JSON.stringify(
      Object.entries(o)
        .filter(([, v]) => v > 0)
        .sort(),
    );
  if (sorted(byReason) !== sorted(m.rejectsByReason))
    throw new Error(`${where}: quarantine reasons ${sorted(byReason)} != manifest ${sorted(m.rejectsByReason)}`);
}

export interface QuarantineRow {
  line: number;
  column: string;
  reason: string;
  message: string;
  record: string;
  bytes: Buffer;
}

/** The quarantine CSV as rows, read by csv-parse (not by our own tokenizer); `bytes` is the record as it came in. */
export async function quarantineRows(store: ObjectStore, key: string): Promise<QuarantineRow[]> {
  const parts: Uint8Array[] = [];
  for await (const c of store.read(key)) parts.push(c);
  const [header, ...records] = parse(Buffer.concat(parts), { encoding: null }) as unknown as Buffer[][];
  if (header?.map(String).join(',') !== 'line,column,reason,message,record')
    throw new Error(`${key}: not a quarantine file (header ${header?.map(String)})`);
  return records.map((r, i) => {
    const [line, column, reason, message] = r.slice(0, 4).map((b) => b.toString('utf8'));
    if (r.length !== 5 || !/^[1-9]\d*$/.test(line) || !reason || !message)
      throw new Error(`${key}: row ${i + 1} is not a reject (${r.map(String).join(',').slice(0, 200)})`);
    return { line: Number(line), column, reason, message, record: r[4].toString('utf8'), bytes: r[4] };
  });
}

let shared: Promise<DuckDBConnection> | null = null;
function sharedDuck(): Promise<DuckDBConnection> {
  shared ??= duck();
  return shared;
}

/** A file path for the object: the folder store's own, or a copy for other stores. */
async function localPath(store: ObjectStore, key: string): Promise<string> {
  if (store instanceof FolderStore) return store.path(key);
  const parts: Uint8Array[] = [];
  for await (const c of store.read(key)) parts.push(c);
  const file = join(await tempDir('landfall-reconcile-'), basename(key));
  await writeFile(file, Buffer.concat(parts));
  return file;
}

/**
 * A DuckDB CTE `delivery_daily(day, orders, delivered_orders, late_orders, days, revenue)` computed from the Olist
 * orders and payments CSV files in `dir`: the golden figures of summary.olist_delivery_daily, written here once.
 */
export function olistDeliveryDailyCte(dir: string): string {
  const csv = (name: string) => `read_csv('${join(dir, name)}', header = true)`;
  return `delivery_daily AS (
    WITH paid AS (SELECT order_id, sum(CAST(payment_value AS DECIMAL(12,2))) AS v FROM ${csv('olist_order_payments_dataset.csv')} GROUP BY order_id),
         d AS (SELECT o.*, order_status = 'delivered' AND order_delivered_customer_date IS NOT NULL AS delivered
               FROM ${csv('olist_orders_dataset.csv')} AS o)
    SELECT CAST(order_purchase_timestamp AS DATE) AS day,
           count(*) AS orders,
           count(*) FILTER (WHERE delivered) AS delivered_orders,
           count(*) FILTER (WHERE delivered AND order_delivered_customer_date::DATE > order_estimated_delivery_date::DATE) AS late_orders,
           avg(epoch(order_delivered_customer_date - order_purchase_timestamp) / 86400.0) FILTER (WHERE delivered) AS days,
           coalesce(sum(paid.v), 0) AS revenue
    FROM d LEFT JOIN paid USING (order_id)
    GROUP BY 1)`;
}

/**
 * Three real Olist reviews without a comment (in review_id order), and a writer of them again with another score,
 * a `revised ...` comment and another answer time: the input of an upsert test (newer wins, older loses).
 */
export async function reviewsToRevise(olistDir: string): Promise<{
  picked: Record<string, unknown>[];
  write: (file: string, score: number, answered: string) => Promise<void>;
}> {
  const picked = await rows(
    await duck(),
    `SELECT * FROM read_csv('${join(olistDir, 'olist_order_reviews_dataset.csv')}', header = true) WHERE review_comment_message IS NULL ORDER BY review_id LIMIT 3`,
  );
  const header =
    'review_id,order_id,review_score,review_comment_title,review_comment_message,review_creation_date,review_answer_timestamp';
  const line = (r: Record<string, unknown>, score: number, answered: string) =>
    [r.review_id, r.order_id, score, '', `revised ${answered}`, String(r.review_creation_date), answered].join(',');
  return {
    picked,
    write: (file, score, answered) =>
      writeFile(file, [header, ...picked.map((r) => line(r, score, answered))].join('\n')),
  };
}
