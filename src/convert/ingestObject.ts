import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type { Contract } from '../contracts/contract.ts';
import { UnknownDatasetError } from '../contracts/errors.ts';
import { matchContract } from '../contracts/matchContract.ts';
import type { ObjectInfo, ObjectStore } from '../ports.ts';
import { rawSchema, toRecordBatch } from './arrowSchema.ts';
import type { DecodeOutput } from './csvDecoder.ts';
import { BrokenHeaderError, HeaderMismatchError, NotCsvError, SourceReadError } from './errors.ts';
import { assertReconciled, manifestKey, readManifest, schemaOf, type Manifest } from './manifest.ts';
import { QuarantineWriter } from './QuarantineWriter.ts';
import { RollingParquetWriter } from './RollingParquetWriter.ts';
import { openSource } from './sourceStream.ts';
import { WasmCsvDecoder } from './wasmDecoder.ts';
import { plainColumns, rowGroupBatchesFor } from './writerTuning.ts';

export interface IngestSettings {
  /** Target Parquet file size; files land near it, the last of a batch may be smaller. */
  targetFileBytes: number;
  /** Input bytes per record batch: the unit handed to parquet-wasm, which bounds conversion memory. */
  batchBytes: number;
  /** Record batches per Parquet row group: bigger row groups compress better and suit Athena (fewer for wide tables: writerTuning.ts). */
  rowGroupBatches: number;
  /**
   * 1: decode and encode on one thread; N >= 2: this thread decodes while N encoder threads each encode whole
   * row groups (Lambda: the vCPUs its memory size gives). The files are byte-identical at any setting.
   */
  threads: number;
}

export const DEFAULT_SETTINGS: IngestSettings = {
  targetFileBytes: 200 * 1024 * 1024, batchBytes: 4 * 1024 * 1024, rowGroupBatches: 16, threads: availableParallelism(),
};

export interface IngestContext {
  landing: ObjectStore;
  lake: ObjectStore;
  contracts: Contract[];
  settings: IngestSettings;
  now: () => Date;
  /** Where the Parquet encoder thread's script and parquet-wasm's .wasm are (Lambda: the layer); default: beside the source. */
  encoder?: { workerPath?: string; wasmPath?: string };
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

/** Batch ids are derived from the object's identity, so a redelivered event names the same outputs. */
export function batchIdFor(bucket: string, info: ObjectInfo): string {
  const h = createHash('sha256').update(`${bucket}\n${info.key}\n${info.etag}\n${info.versionId ?? ''}`).digest('hex');
  return `b${h.slice(0, 20)}`;
}

/** Converts one landing object into raw Parquet + quarantine + manifest (published last). */
export async function ingestObject(ctx: IngestContext, key: string, dataset?: string): Promise<IngestResult> {
  const info = await ctx.landing.head(key);
  if (!info) throw new SourceReadError(key, `no such object in ${ctx.landing.name}`);
  const started = ctx.now();
  const batchId = batchIdFor(ctx.landing.name, info);
  let contract: Contract | undefined;
  if (dataset !== undefined) {
    contract = ctx.contracts.find((c) => c.dataset === dataset);
    if (!contract) throw new UnknownDatasetError(dataset, ctx.contracts.map((c) => c.dataset));
  } else {
    const m = matchContract(ctx.contracts, key);
    if (!m.contract) return quarantineWhole(ctx, info, batchId, started, '_unmatched', 'unmatched', { code: m.reason, message: m.detail });
    contract = m.contract;
  }
  const mKey = manifestKey(contract.dataset, batchId);
  const previous = await readManifest(ctx.lake, mKey);
  if (previous) return { manifest: previous, manifestKey: mKey, alreadyIngested: true };
  return convert(ctx, contract, info, batchId, started);
}

async function convert(ctx: IngestContext, contract: Contract, info: ObjectInfo, batchId: string, started: Date): Promise<IngestResult> {
  const ingestDate = started.toISOString().slice(0, 10);
  const partition = `${contract.dataset}/ingest_date=${ingestDate}`;
  const decoder = new WasmCsvDecoder(contract, { batchBytes: ctx.settings.batchBytes, wasmPath: ctx.csvWasmPath });
  const schema = rawSchema(contract);
  const lineage = { batchId, sourceKey: info.key, ingestedAtMicros: started.getTime() * 1000 };
  let rowGroupRows = 0;
  let plain: string[] | undefined;
  const rowGroupBatches = rowGroupBatchesFor(schema.fields.length, ctx.settings.rowGroupBatches);
  const writer = new RollingParquetWriter(
    ctx.lake,
    (n) => `raw/${partition}/${batchId}-${String(n).padStart(4, '0')}.parquet`,
    ctx.settings.targetFileBytes,
    rowGroupBatches,
    () => ({ rowGroupRows: rowGroupRows * rowGroupBatches, plainColumns: plain, metadata: { 'landfall.batch_id': batchId, 'landfall.source_key': info.key, 'landfall.dataset': contract.dataset } }),
    { ...ctx.encoder, threads: ctx.settings.threads },
  );
  const quarantine = new QuarantineWriter(ctx.lake, `quarantine/${partition}/${batchId}.csv`);
  const source = { compression: 'none' as 'gzip' | 'none', storedBytes: 0 };
  const rejectsByReason: Record<string, number> = {};
  const handle = async (out: DecodeOutput) => {
    for (const r of out.rejects) rejectsByReason[r.reason] = (rejectsByReason[r.reason] ?? 0) + 1;
    await quarantine.write(out.rejects);
    for (const b of out.batches) {
      rowGroupRows = decoder.rowsPerBatch || b.rowCount;
      plain ??= plainColumns(contract.columns.map((c) => c.name), b);
      await writer.write(toRecordBatch(schema, b, lineage));
    }
  };
  let files;
  let quarantined;
  try {
    try {
      let sniffed = false;
      for await (const chunk of openSource(ctx.landing.read(info.key), source)) {
        if (!sniffed) {
          // CSV text never holds NUL bytes: a binary file would otherwise fail as a header of garbage.
          const nul = chunk.subarray(0, 4096).indexOf(0);
          if (nul >= 0) throw new NotCsvError(info.key, nul);
          sniffed = true;
        }
        await handle(decoder.push(chunk));
        ctx.onProgress?.({ key: info.key, storedBytes: source.storedBytes, size: info.size });
      }
    } catch (err) {
      if (err instanceof HeaderMismatchError || err instanceof BrokenHeaderError || err instanceof NotCsvError) throw err;
      if ((err as NodeJS.ErrnoException).code?.startsWith('Z_') || /unexpected end of file|incorrect header check/i.test(String(err))) {
        throw new SourceReadError(info.key, `the gzip stream is corrupt or truncated (${(err as Error).message}); upload the complete file again`, { cause: err });
      }
      throw err;
    }
    await handle(decoder.end());
    files = await writer.close();
    quarantined = await quarantine.close();
  } catch (err) {
    await writer.abort();
    await quarantine.abort();
    if (err instanceof HeaderMismatchError || err instanceof BrokenHeaderError || err instanceof SourceReadError || err instanceof NotCsvError) {
      const code = err instanceof SourceReadError ? 'unreadable' : err instanceof NotCsvError ? 'not-csv' : 'header-mismatch';
      const next = code === 'header-mismatch'
        ? ' Fix the file, or update contracts/' + contract.dataset + '.yaml if the columns really changed.'
        : '';
      return quarantineWhole(ctx, info, batchId, started, contract.dataset, 'rejected', { code, message: err.message + next }, contract);
    }
    throw err;
  }
  const s = decoder.stats;
  const rejectRatio = s.rowsRead ? s.rowsRejected / s.rowsRead : 0;
  const manifest: Manifest = {
    manifestVersion: 1,
    batchId,
    dataset: contract.dataset,
    status: 'published',
    source: { ...info, bucket: ctx.landing.name, compression: source.compression },
    ingestDate,
    startedAt: started.toISOString(),
    finishedAt: ctx.now().toISOString(),
    rowsRead: s.rowsRead,
    rowsWritten: s.rowsWritten,
    rowsRejected: s.rowsRejected,
    blankLines: s.blankLines,
    commentLines: s.commentLines,
    rejectsByReason,
    rejectRatio,
    maxRejectRatio: contract.quality.maxRejectRatio,
    rejectThresholdExceeded: rejectRatio > contract.quality.maxRejectRatio,
    files,
    quarantine: quarantined,
    header: { found: s.header, reordered: s.reordered },
    schema: schemaOf(contract),
  };
  try {
    assertReconciled(manifest);
  } catch (err) {
    await writer.abort();
    if (quarantined) await ctx.lake.delete(quarantined.key);
    throw err;
  }
  const mKey = manifestKey(contract.dataset, batchId);
  await ctx.lake.put(mKey, JSON.stringify(manifest, null, 2));
  return { manifest, manifestKey: mKey, alreadyIngested: false };
}

/** Keeps the whole object, byte for byte, under quarantine/ and publishes a manifest that says why. */
async function quarantineWhole(
  ctx: IngestContext, info: ObjectInfo, batchId: string, started: Date, dataset: string,
  status: 'rejected' | 'unmatched', problem: { code: string; message: string }, contract?: Contract,
): Promise<IngestResult> {
  const ingestDate = started.toISOString().slice(0, 10);
  const mKey = manifestKey(dataset, batchId);
  const previous = await readManifest(ctx.lake, mKey);
  if (previous) return { manifest: previous, manifestKey: mKey, alreadyIngested: true };
  const qKey = `quarantine/${dataset}/ingest_date=${ingestDate}/${batchId}/${basename(info.key)}`;
  const out = ctx.lake.write(qKey);
  try {
    for await (const chunk of ctx.landing.read(info.key)) await out.write(chunk);
  } catch (err) {
    await out.abort();
    throw err;
  }
  const { bytes } = await out.complete();
  const manifest: Manifest = {
    manifestVersion: 1,
    batchId,
    dataset,
    status,
    problem,
    source: { ...info, bucket: ctx.landing.name, compression: 'none' },
    ingestDate,
    startedAt: started.toISOString(),
    finishedAt: ctx.now().toISOString(),
    rowsRead: 0,
    rowsWritten: 0,
    rowsRejected: 0,
    blankLines: 0,
    commentLines: 0,
    rejectsByReason: {},
    rejectRatio: 0,
    maxRejectRatio: contract?.quality.maxRejectRatio ?? 0,
    rejectThresholdExceeded: false,
    files: [],
    quarantine: { key: qKey, rows: 0, bytes },
    header: { found: null, reordered: false },
    schema: contract ? schemaOf(contract) : [],
  };
  await ctx.lake.put(mKey, JSON.stringify(manifest, null, 2));
  return { manifest, manifestKey: mKey, alreadyIngested: false };
}
