import { makeVector, type Data } from 'apache-arrow';

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
  return names.filter((_, i) => distinctRatio(batch.columns[i], sample) > maxDistinctRatio);
}

/** Distinct values / non-null values among the first `sample` rows (1 = all different). */
export function distinctRatio(data: Data, sample: number): number {
  const v = makeVector(data);
  const n = Math.min(v.length, sample);
  const seen = new Set<unknown>();
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const x = v.get(i);
    if (x === null) continue;
    valid++;
    seen.add(typeof x === 'object' ? String(x) : x);
  }
  return valid ? seen.size / valid : 0;
}

/**
 * Decoder batches per row group for a table of `columns` columns. parquet-wasm holds a whole row group in
 * its memory until the row group closes, several times its encoded size, and wide tables need more per CSV
 * byte (measured on the benchmark's 300-column table: 64 MB of CSV per row group -> 234 MB of encoder
 * memory, 16 MB -> 65 MB). Up to 96 columns a row group is the configured number of batches; wider tables
 * get proportionally fewer, at least one.
 */
export function rowGroupBatchesFor(columns: number, configured: number): number {
  return Math.max(1, Math.min(configured, Math.round((configured * 96) / columns)));
}
