/**
 * The lake's layout, in one place: where each zone's objects live in the lake bucket (or folder), and the lineage
 * columns every raw row carries. Everything that reads or writes these keys and columns takes them from here.
 *
 *   staging/<dataset>/<batch>/                                 a batch being converted (no table reads it)
 *   raw/<dataset>/ingest_date=<d>/<batch>-NNNN.parquet         published rows
 *   symlinks/<dataset>/ingest_date=<d>/<batch>.txt             the batch's raw files, for Athena (written after them)
 *   quarantine/<dataset>/ingest_date=<d>/<batch>.csv           rejected rows with their reasons
 *   quarantine/<dataset>/ingest_date=<d>/<batch>/<file name>   a file kept whole (not CSV, header mismatch, ...)
 *   manifests/<dataset>/<batch>.json                           the batch's counts, files and problems (written last)
 */

/** The lineage columns, in the order they follow a dataset's own columns, with their contract types. */
export const LINEAGE = [
  { name: '_batch_id', type: 'string' },
  { name: '_source_key', type: 'string' },
  /** The line of the record's first byte in the source file. */
  { name: '_source_line', type: 'int64' },
  { name: '_ingested_at', type: 'timestamp' },
] as const;

export const BATCH_ID = LINEAGE[0].name;
export const SOURCE_KEY = LINEAGE[1].name;
export const SOURCE_LINE = LINEAGE[2].name;
export const INGESTED_AT = LINEAGE[3].name;

/** The partition column of the raw tables (the day a batch was ingested). */
export const INGEST_DATE = 'ingest_date';

/** Names a contract's columns cannot take: the lineage columns and the raw partition column. */
export const RESERVED_COLUMNS: ReadonlySet<string> = new Set([...LINEAGE.map((c) => c.name), INGEST_DATE]);

/** The dataset that files no contract claims are filed under. */
export const UNMATCHED = '_unmatched';

export const MANIFESTS = 'manifests/';

/** Where the raw files of a dataset are (every dataset's without one). */
export function rawPrefix(dataset?: string): string {
  return dataset === undefined ? 'raw/' : `raw/${dataset}/`;
}

/** Where a dataset's quarantined files and rows are. */
export function quarantinePrefix(dataset: string): string {
  return `quarantine/${dataset}/`;
}

export function stagingPrefix(dataset: string, batchId: string): string {
  return `staging/${dataset}/${batchId}/`;
}

/** The raw partition of a day: `<dataset>/ingest_date=<day>`, the same under raw/, symlinks/ and quarantine/. */
export function partitionPath(dataset: string, ingestDate: string): string {
  return `${dataset}/${INGEST_DATE}=${ingestDate}`;
}

/** The n-th raw Parquet file of a batch (numbered in order over all its runs). */
export function rawFileKey(dataset: string, ingestDate: string, batchId: string, n: number): string {
  return `raw/${partitionPath(dataset, ingestDate)}/${batchId}-${String(n).padStart(4, '0')}.parquet`;
}

/** The batch's symlink file: the S3 URIs of its raw Parquet files, one per line. */
export function rawSymlinkKey(dataset: string, ingestDate: string, batchId: string): string {
  return `symlinks/${partitionPath(dataset, ingestDate)}/${batchId}.txt`;
}

/** The batch's rejected rows. */
export function quarantineKey(dataset: string, ingestDate: string, batchId: string): string {
  return `quarantine/${partitionPath(dataset, ingestDate)}/${batchId}.csv`;
}

/** A file kept whole in quarantine, under its own name. */
export function quarantineWholeKey(dataset: string, ingestDate: string, batchId: string, fileName: string): string {
  return `quarantine/${partitionPath(dataset, ingestDate)}/${batchId}/${fileName}`;
}

export function manifestKey(dataset: string, batchId: string): string {
  return `${MANIFESTS}${dataset}/${batchId}.json`;
}

/** Where a dataset's manifests are (every manifest with no dataset). */
export function manifestPrefix(dataset?: string): string {
  return dataset === undefined ? MANIFESTS : `${MANIFESTS}${dataset}/`;
}
