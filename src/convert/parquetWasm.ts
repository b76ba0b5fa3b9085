import * as pw from 'parquet-wasm/esm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tableToIPC, Table, type RecordBatch } from 'apache-arrow';

export { pw };

let ready = false;

/**
 * Compiles parquet-wasm once per process (per Lambda container). The esm build takes the .wasm bytes
 * explicitly, so bundles stay free of path tricks: Lambda passes the copy shipped in the layer, a checkout
 * finds it in node_modules.
 */
export function initParquetWasm(wasmPath?: string): void {
  if (ready) return;
  const path = wasmPath ?? createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm');
  pw.initSync({ module: readFileSync(path) });
  ready = true;
}

/** Hands an Arrow JS batch to parquet-wasm. The wasm table is freed at once (LIBRARIES.md: it leaks otherwise). */
export function toWasmBatches(batch: RecordBatch): pw.RecordBatch[] {
  initParquetWasm();
  const table = pw.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'));
  try {
    return table.recordBatches();
  } finally {
    table.free();
  }
}

export interface ParquetTuning {
  /** Rows per row group: a whole number of decoder batches, so that row groups close on batch boundaries. */
  rowGroupRows: number;
  metadata: Record<string, string>;
}

/** Writer properties are consumed by each write, so every file gets a fresh set. */
export function writerProperties(t: ParquetTuning): pw.WriterProperties {
  initParquetWasm();
  return new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setDictionaryEnabled(true)
    .setStatisticsEnabled(pw.EnabledStatistics.Page)
    .setMaxRowGroupSize(Math.max(1, t.rowGroupRows))
    // Source line numbers rise by one per row: delta encoding stores them in almost nothing.
    .setColumnDictionaryEnabled('_source_line', false)
    .setColumnEncoding('_source_line', pw.Encoding.DELTA_BINARY_PACKED)
    .setCreatedBy('landfall')
    .setKeyValueMetadata(new Map(Object.entries(t.metadata)))
    .build();
}
