import * as pw from 'parquet-wasm';
import { tableToIPC, Table, type RecordBatch } from 'apache-arrow';

export { pw };

/** Hands an Arrow JS batch to parquet-wasm. The wasm table is freed at once (LIBRARIES.md: it leaks otherwise). */
export function toWasmBatches(batch: RecordBatch): pw.RecordBatch[] {
  const table = pw.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'));
  try {
    return table.recordBatches();
  } finally {
    table.free();
  }
}

export interface ParquetTuning {
  /** Rows per row group: the decoder's batch size, so that every batch becomes one row group. */
  rowGroupRows: number;
  metadata: Record<string, string>;
}

/** Writer properties are consumed by each write, so every file gets a fresh set. */
export function writerProperties(t: ParquetTuning): pw.WriterProperties {
  return new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setDictionaryEnabled(true)
    .setStatisticsEnabled(pw.EnabledStatistics.Page)
    .setMaxRowGroupSize(Math.max(1, t.rowGroupRows))
    .setCreatedBy('landfall')
    .setKeyValueMetadata(new Map(Object.entries(t.metadata)))
    .build();
}
