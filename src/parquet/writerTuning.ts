import type { Data } from 'apache-arrow';
import { BytesDictionary } from './write/dictionaries.ts';

/**
 * Columns to write without a Parquet dictionary, decided from a batch of the data: dictionary encoding pays
 * for repeated values (categories, flags, codes) and costs time and space for nearly unique ones (ids,
 * timestamps, amounts). Measured on the benchmark's events table: dictionaries off for its five nearly
 * unique columns made encoding 30% faster and the files 11% smaller. `rows`: the rows a column chunk will hold (a row
 * group's; default: the batch's): a batch of fewer rows than that and than `sample` (a wide table's) has its count
 * of distinct values extrapolated to them (see distinctRatio).
 */
export function plainColumns(
  names: string[],
  batch: { columns: Data[] },
  {
    sample = 20_000,
    maxDistinctRatio = 0.25,
    rows = 0,
  }: { sample?: number; maxDistinctRatio?: number; rows?: number } = {},
): string[] {
  return names.filter(
    (_, i) => distinctRatio(batch.columns[i], sample, maxDistinctRatio, Math.min(rows, sample)) > maxDistinctRatio,
  );
}

/**
 * Distinct values / non-null values among the first `sample` rows (1 = all different), counted on the column's own
 * buffers: each value's bytes (a string's, or a fixed-width value's) in a hash set. Reading the values as
 * JavaScript objects instead (decimals as BigNums turned into strings) cost 170 ms per file of 300 columns.
 * `stopAbove`: once the distinct values alone are more than that share of the sample, the ratio is above it whatever
 * the rest holds, and that count's ratio is returned (nearly unique columns stop after a quarter of their sample:
 * the 300-column file's choices 44 -> ~15 ms).
 *
 * `target`: the rows the answer is for, when the data holds fewer. The share of distinct values falls as rows are
 * added (500 codes are a third of 1,500 rows and 5% of 10,000), so the count is extrapolated: the number of distinct
 * values estimated from those seen once and twice (Chao1, bias-corrected), and the number expected among `target`
 * rows drawn from them. The 300-column file's batches hold ~1,560 rows: its integer codes (0-500) were written plain.
 */
export function distinctRatio(data: Data, sample: number, stopAbove = Infinity, target = 0): number {
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
  const extrapolate = target > n;
  // How often each distinct value was met (extrapolating only).
  const counts = extrapolate ? new Int32Array(n) : null;
  let valid = 0;
  // Beyond this many distinct values the ratio is above stopAbove (extrapolated, at least that many among `target`).
  const enough = stopAbove * (extrapolate ? target : n);
  for (let i = 0; i < n; i++) {
    if (v && !((v[i >> 3] >> (i & 7)) & 1)) continue;
    valid++;
    const k = offsets
      ? seen.indexHashed(bytes, offsets[i], offsets[i + 1], view)
      : seen.indexHashed(bytes, i * width, (i + 1) * width, view);
    if (counts) counts[k]++;
    // More distinct values than that share of every row: above it for any number of valid rows.
    if (seen.count > enough) return seen.count / valid;
  }
  if (!valid) return 0;
  if (!counts) return seen.count / valid;
  let once = 0;
  let twice = 0;
  for (let k = 0; k < seen.count; k++) {
    if (counts[k] === 1) once++;
    else if (counts[k] === 2) twice++;
  }
  const estimated = seen.count + (once * (once - 1)) / (2 * (twice + 1));
  // The valid rows among `target` at the sample's share of nulls, and the distinct values expected among them.
  const rows = (target * valid) / n;
  const expected = estimated * -Math.expm1(rows * Math.log1p(-1 / estimated));
  return Math.max(seen.count, Math.min(rows, expected)) / rows;
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
