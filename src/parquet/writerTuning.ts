import type { Data } from 'apache-arrow';
import { BytesDictionary } from './write/dictionaries.ts';

/**
 * Columns to write without a Parquet dictionary, decided from a batch of the data: dictionary encoding pays
 * for repeated values (categories, flags, codes) and costs time and space for nearly unique ones (ids,
 * timestamps, amounts). Measured on the benchmark's events table: dictionaries off for its five nearly
 * unique columns made encoding 30% faster and the files 11% smaller.
 */
export function plainColumns(
  names: string[],
  batch: { columns: Data[] },
  sample = 20_000,
  maxDistinctRatio = 0.25,
): string[] {
  return names.filter((_, i) => distinctRatio(batch.columns[i], sample, maxDistinctRatio) > maxDistinctRatio);
}

/**
 * Distinct values / non-null values among the first `sample` rows (1 = all different), counted on the column's own
 * buffers: each value's bytes (a string's, or a fixed-width value's) in a hash set. Reading the values as
 * JavaScript objects instead (decimals as BigNums turned into strings) cost 170 ms per file of 300 columns.
 * `stopAbove`: once the distinct values alone are more than that share of the sample, the ratio is above it whatever
 * the rest holds, and that count's ratio is returned (nearly unique columns stop after a quarter of their sample:
 * the 300-column file's choices 44 -> ~15 ms).
 */
export function distinctRatio(data: Data, sample: number, stopAbove = Infinity): number {
  const n = Math.min(data.length, sample);
  const v = data.nullBitmap && data.nullCount > 0 ? data.nullBitmap : null;
  const seen = new BytesDictionary();
  const offsets = data.valueOffsets as Int32Array | undefined;
  const values = data.values as ArrayBufferView | undefined;
  if (!values || data.offset !== 0) return 0;
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  // Booleans (bit-packed) are never worth a dictionary question: two values.
  if (!offsets && bytes.length < n) return 0;
  const width = offsets ? 0 : data.stride * (values as Uint8Array).BYTES_PER_ELEMENT;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let valid = 0;
  const enough = stopAbove * n;
  for (let i = 0; i < n; i++) {
    if (v && !((v[i >> 3] >> (i & 7)) & 1)) continue;
    valid++;
    if (offsets) seen.indexHashed(bytes, offsets[i], offsets[i + 1], view);
    else seen.indexHashed(bytes, i * width, (i + 1) * width, view);
    // More distinct values than that share of every row: above it for any number of valid rows.
    if (seen.count > enough) return seen.count / valid;
  }
  return valid ? seen.count / valid : 0;
}

/**
 * Decoder batches per row group for a table of `columns` columns. An encoder holds a row group until it closes:
 * parquet-wasm several times its encoded size (the benchmark's 300-column table: 64 MB of CSV per row group -> 234
 * MB of encoder memory, 16 MB -> 65 MB); Landfall's writer its compressed pages and the decoded batches its pending
 * pages span, many for a wide table (20,000 rows of 300 columns: the 300-column file unscaled was 7% faster at 1
 * thread and 1.5% smaller, but 376 MB of peak RSS at 2 threads instead of 316). Up to 96 columns a row group is the
 * configured number of batches; wider tables get proportionally fewer, at least one.
 */
export function rowGroupBatchesFor(columns: number, configured: number): number {
  return Math.max(1, Math.min(configured, Math.round((configured * 96) / columns)));
}
