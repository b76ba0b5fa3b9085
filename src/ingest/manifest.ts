import type { Contract } from '../contracts/contract.ts';
import type { ObjectInfo, ObjectStore } from '../ports.ts';
import { ReconciliationError } from './errors.ts';
import type { BatchDrift } from '../contracts/drift.ts';
import type { OutputFile } from '../parquet/RollingParquetWriter.ts';
import { LINEAGE, manifestPrefix } from '../lake/layout.ts';
import type { RowCounts } from '../lake/rowCounts.ts';

export type BatchStatus =
  /** Converted: rows are in raw Parquet or in quarantine. */
  | 'published'
  /** The file could not be converted at all (header mismatch, unreadable bytes): quarantined whole. */
  | 'rejected'
  /** No contract claims the file: quarantined whole. */
  | 'unmatched';

export interface Manifest extends RowCounts {
  manifestVersion: 1;
  batchId: string;
  dataset: string;
  status: BatchStatus;
  /** For rejected and unmatched batches: why, and what to do next. */
  problem?: { code: string; message: string };
  source: ObjectInfo & { bucket: string; compression: 'gzip' | 'none' };
  ingestDate: string;
  startedAt: string;
  finishedAt: string;
  rejectsByReason: Record<string, number>;
  /** Date and timestamp columns with several formats: how many written values each format read. */
  formatsMatched?: Record<string, Record<string, number>>;
  /**
   * float64 columns: written values the double does not hold as the file wrote them (digits past 17, a 19-digit
   * id under a float64 contract): landed as the contract asked, counted here so the loss is visible.
   */
  valuesRounded?: Record<string, number>;
  rejectRatio: number;
  maxRejectRatio: number;
  rejectThresholdExceeded: boolean;
  files: OutputFile[];
  quarantine: OutputFile | null;
  header: { found: string[] | null; reordered: boolean };
  schema: { name: string; type: string; nullable: boolean }[];
  /**
   * Present when the object was converted in more than one piece: byte ranges (segments) and invocations
   * (runs, more than one per segment when a run reached its time budget), and why ranges were given up.
   */
  conversion?: { segments: number; runs: number; replanned?: string };
  /**
   * How the file's header differed from the contract (schema drift) and the contract's policy: under reject
   * the batch is rejected whole; under evolve missing columns are null and extra ones kept as string columns.
   */
  drift?: BatchDrift;
}

/**
 * The batch's symlink file (layout.ts: rawSymlinkKey): the S3 URIs of its raw Parquet files, one per line, written
 * after they are all in place. Athena's raw tables read these (SymlinkTextInputFormat), so a reader sees a batch
 * whole or not at all.
 */
export function rawSymlinkBody(bucket: string, files: { key: string }[]): string {
  return files.map((f) => `s3://${bucket}/${f.key}\n`).join('');
}

/** Refuses a manifest whose counts do not prove that every row was written or quarantined. */
export function assertReconciled(
  m: Pick<Manifest, 'rowsRead' | 'rowsWritten' | 'rowsRejected' | 'rowsBlank' | 'files' | 'quarantine'>,
): void {
  const inFiles = m.files.reduce((n, f) => n + f.rows, 0);
  const inQuarantine = m.quarantine?.rows ?? 0;
  if (
    m.rowsRead !== m.rowsWritten + m.rowsRejected + m.rowsBlank ||
    inFiles !== m.rowsWritten ||
    inQuarantine !== m.rowsRejected
  ) {
    throw new ReconciliationError(m.rowsRead, m.rowsWritten, m.rowsRejected, m.rowsBlank, inFiles, inQuarantine);
  }
}

export function schemaOf(contract: Contract): Manifest['schema'] {
  return [
    ...contract.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    ...LINEAGE.map((c) => ({ name: c.name, type: c.type, nullable: false })),
  ];
}

/** Every manifest in the lake, or of one dataset, with its key. */
export async function* listManifests(
  lake: ObjectStore,
  dataset?: string,
): AsyncIterable<{ key: string; manifest: Manifest }> {
  for await (const o of lake.list(manifestPrefix(dataset))) {
    if (!o.key.endsWith('.json')) continue;
    const manifest = await readManifest(lake, o.key);
    if (manifest) yield { key: o.key, manifest };
  }
}

/** The manifest at `key`, or null when there is none. */
export function readManifest(lake: ObjectStore, key: string): Promise<Manifest | null> {
  return readJson<Manifest>(lake, key);
}

/**
 * The JSON object at `key`, or null when there is none. Read directly, then asked after only on failure: a HEAD
 * first would cost the local store an MD5 of the file on every look-up, and an object can vanish between a
 * look-up and its read (a concurrent run that publishes a batch drops its staging records). It can also appear
 * between a failed read and the question (a concurrent run publishing the manifest this one looked for): then it
 * is read again.
 */
export async function readJson<T>(store: ObjectStore, key: string): Promise<T | null> {
  const read = async () => {
    const parts: Uint8Array[] = [];
    for await (const c of store.read(key)) parts.push(c);
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as T;
  };
  try {
    return await read();
  } catch (err) {
    if (!(await store.head(key))) return null;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return read();
  }
}
