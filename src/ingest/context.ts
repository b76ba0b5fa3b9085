import { availableParallelism } from 'node:os';
import type { Contract } from '../contracts/contract.ts';
import type { ObjectStore } from '../ports.ts';
import type { Manifest } from './manifest.ts';
import type { ParquetWriterKind } from '../parquet/RollingParquetWriter.ts';

export interface IngestSettings {
  /** Target Parquet file size; files land near it, the last of a batch may be smaller. */
  targetFileBytes: number;
  /** Input bytes per record batch: the unit handed to the Parquet writer, which bounds conversion memory. */
  batchBytes: number;
  /** Record batches per Parquet row group: bigger row groups compress better and suit Athena (fewer for wide tables: writerTuning.ts). */
  rowGroupBatches: number;
  /**
   * Threads a conversion uses (Lambda: the vCPUs its memory size gives). 1: decode and encode on one thread;
   * N >= 2: this thread decodes while N - 1 encoder threads each encode whole row groups. The files are
   * byte-identical at any setting.
   */
  threads: number;
  /** Plain files larger than 1.5 x this are converted as byte ranges of about this size (0: never). */
  rangeBytes: number;
  /**
   * Which Parquet writer encodes: Landfall's own (src/parquet/write/, the default: 2-3x less CPU) or parquet-wasm.
   * Both write the same schema, values, statistics and page indexes.
   */
  parquetWriter: ParquetWriterKind;
}

export const DEFAULT_SETTINGS: IngestSettings = {
  targetFileBytes: 200 * 1024 * 1024,
  batchBytes: 4 * 1024 * 1024,
  rowGroupBatches: 16,
  threads: availableParallelism(),
  rangeBytes: 1024 * 1024 * 1024,
  parquetWriter: 'landfall',
};

/** A small target file size needs small row groups, or a file could never be rolled below one row group. */
export function resolveSettings(s: Partial<IngestSettings> = {}): IngestSettings {
  const targetFileBytes = s.targetFileBytes ?? DEFAULT_SETTINGS.targetFileBytes;
  const rowGroupBatches = s.rowGroupBatches ?? DEFAULT_SETTINGS.rowGroupBatches;
  const batchBytes =
    s.batchBytes ??
    Math.min(DEFAULT_SETTINGS.batchBytes, Math.max(64 * 1024, Math.floor(targetFileBytes / 2 / rowGroupBatches)));
  return {
    targetFileBytes,
    batchBytes,
    rowGroupBatches,
    threads: s.threads ?? DEFAULT_SETTINGS.threads,
    rangeBytes: s.rangeBytes ?? DEFAULT_SETTINGS.rangeBytes,
    parquetWriter: s.parquetWriter ?? DEFAULT_SETTINGS.parquetWriter,
  };
}

export interface IngestContext {
  landing: ObjectStore;
  lake: ObjectStore;
  contracts: Contract[];
  settings: IngestSettings;
  now: () => Date;
  /** Where the Parquet encoder threads' scripts and .wasm files are (Lambda: the layer); default: beside the source. */
  encoder?: { workerPath?: string; wasmPath?: string; landfallWorkerPath?: string; zstdWasmPath?: string };
  /** The compiled CSV core (Lambda: the layer's /opt/wasm/csv.wasm); default: wasm/build beside the source. */
  csvWasmPath?: string;
  onProgress?: (p: { key: string; storedBytes: number; size: number }) => void;
}

export interface IngestResult {
  manifest: Manifest;
  manifestKey: string;
  /** The same object (key, etag, version) had been ingested before: nothing was written this time. */
  alreadyIngested: boolean;
}
