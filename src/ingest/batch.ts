// A batch: one landing object's conversion into raw Parquet, as the ingest and convert functions run it. In order:
// - the records kept in staging (BatchRecord, SegmentRecord, RunRecord) and openBatch, which probes the header
//   (drift), and for a large plain file plans byte ranges (planRanges, nextLineStart);
// - runSegment -> convertRun: one segment's runs within a time budget (decodedStream: bytes -> decoded batches,
//   gzip resumed where a run stopped), wholeFileProblem mapping errors to a manifest's problem;
// - publishBatch -> publishStaged: every run's files moved to raw/ and quarantine/, the symlink file, the
//   reconciled manifest (counts summed across runs), staging dropped.
// The rewrite of this file into smaller rooms is issue 34; docs/large-files.md tells the flow.
import type { Contract, Dialect } from '../contracts/contract.ts';
import type { ObjectInfo, ObjectStore } from '../ports.ts';
import { rawSchema, toRecordBatch } from '../decode/arrowSchema.ts';
import type { DecodeOutput } from '../decode/csvDecoder.ts';
import { BrokenHeaderError, HeaderMismatchError } from '../decode/errors.ts';
import { bounded, MAX_COLUMN_NAME } from '../csv/rejectMessages.ts';
import {
  InflationLimitError,
  NotCsvError,
  ObjectTooLargeError,
  ResumeTooSlowError,
  SourceReadError,
} from './errors.ts';
import { quarantineWhole } from './quarantineWhole.ts';
import type { IngestContext } from './context.ts';
import { assertReconciled, rawSymlinkBody, readJson, readManifest, schemaOf, type Manifest } from './manifest.ts';
import {
  BATCH_ID,
  INGESTED_AT,
  manifestKey,
  quarantineKey,
  rawFileKey,
  rawSymlinkKey,
  SOURCE_KEY,
  SOURCE_LINE,
  stagingPrefix,
} from '../lake/layout.ts';
import { QuarantineWriter } from './QuarantineWriter.ts';
import { RollingParquetWriter, type OutputFile } from '../parquet/RollingParquetWriter.ts';
import { isGzip, openSource } from './sourceStream.ts';
import { batchContract, driftReport, evolveContract, headerDrift, type BatchDrift } from '../contracts/drift.ts';
import { WasmCsvDecoder } from '../decode/wasmDecoder.ts';
import { FooterHold } from '../csv/footerHold.ts';
import type { RowCounts } from '../lake/rowCounts.ts';
import { isTranscoded, TranscodeError, transcode } from '../csv/transcode.ts';
import { plainColumns, rowGroupBatchesFor } from '../parquet/writerTuning.ts';

/**
 * A batch (one landing object) is converted in segments, each in one or more runs, and published once:
 *
 * - A segment is a part of the object's bytes: the whole object, or for a large plain file a byte range that
 *   starts at a line start (planned by `planBatch`). Segments can run at the same time (the state machine's Map).
 * - A run is one invocation's work on a segment. A run that reaches its deadline stops at a record boundary,
 *   closes its files and records where the next run continues (the stream offset and line of the next record).
 *   A gzip file cannot be entered in the middle: the next run inflates it again from the start and skips there.
 * - Everything a run writes goes under `staging/`, which no table reads. `publishBatch` moves the files into
 *   `raw/` and `quarantine/` under their final, deterministic names and writes the manifest last.
 *
 * Records under `staging/<dataset>/<batch>/` say what is done, so any step can be retried: a finished segment
 * is not run again, an unfinished run is run again from the same place and writes the same keys.
 */

export interface SegmentSpec {
  index: number;
  /** Stream offset of the segment's first record (0: the start of the object, header included). */
  start: number;
  /** Stream offset where the next segment begins; null: to the end of the object. */
  end: number | null;
  /** Physical line number at `start`. */
  line: number;
}

export interface BatchRecord {
  batchId: string;
  dataset: string;
  source: ObjectInfo & { bucket: string; compression: 'gzip' | 'none' };
  /** When ingest began: the ingest date and every row's `_ingested_at`, the same in every run and retry. */
  startedAt: string;
  /** Stream offset just after the header (ranges push the header's bytes before their own). */
  headerEnd: number | null;
  segments: SegmentSpec[];
  /** Set when byte ranges were given up for one sequential pass, and why. */
  replanned?: string;
  /** How the file's header differs from the contract (read once, before any run). */
  drift?: BatchDrift;
}

export interface RunRecord extends RowCounts {
  /** Columns with several formats: the written values each format read. */
  formatsMatched?: Record<string, Record<string, number>>;
  valuesRounded?: Record<string, number>;
  /** Staged keys, in order. */
  files: OutputFile[];
  quarantine: OutputFile | null;
  rejectsByReason: Record<string, number>;
  header: string[] | null;
  reordered: boolean;
  headerEnd: number | null;
  /** Where the run stopped before the segment's end (deadline): the next run starts there. */
  suspendedAt: { offset: number; line: number } | null;
  /** For a range with a successor: whether the last record ended exactly at `end`, and the line there. */
  rangeEnd: { clean: boolean; line: number } | null;
}

export interface SegmentRecord {
  index: number;
  done: boolean;
  runs: RunRecord[];
  /** The object cannot be converted at all (header mismatch, not CSV, unreadable): it is quarantined whole. */
  problem?: { code: string; message: string };
}

const batchKey = (b: { dataset: string; batchId: string }) => `${stagingPrefix(b.dataset, b.batchId)}batch.json`;
const segmentKey = (b: BatchRecord, i: number) => `${stagingPrefix(b.dataset, b.batchId)}segment-${pad(i, 4)}.json`;
const pad = (n: number, w: number) => String(n).padStart(w, '0');

export function readBatch(lake: ObjectStore, dataset: string, batchId: string): Promise<BatchRecord | null> {
  return readJson<BatchRecord>(lake, batchKey({ dataset, batchId }));
}

async function readSegment(lake: ObjectStore, batch: BatchRecord, index: number): Promise<SegmentRecord> {
  return (await readJson<SegmentRecord>(lake, segmentKey(batch, index))) ?? { index, done: false, runs: [] };
}

/**
 * The batch's record: read back when an earlier attempt wrote it (so a retry uses the same start time and
 * plan), written otherwise. A plain object larger than 1.5 ranges is planned as byte ranges.
 */
export async function openBatch(
  ctx: IngestContext,
  contract: Contract,
  info: ObjectInfo,
  batchId: string,
): Promise<BatchRecord> {
  const previous = await readBatch(ctx.lake, contract.dataset, batchId);
  if (previous) return previous;
  const head = info.size ? await firstBytes(ctx.landing, info.key, 2) : new Uint8Array();
  const compression = isGzip(head) ? 'gzip' : 'none';
  const batch: BatchRecord = {
    batchId,
    dataset: contract.dataset,
    source: { ...info, bucket: ctx.landing.name, compression },
    startedAt: ctx.now().toISOString(),
    headerEnd: null,
    segments: [{ index: 0, start: 0, end: null, line: 1 }],
  };
  if (contract.dialect.header) {
    const names = await probeHeader(ctx, info, contract);
    if (names) {
      const d = headerDrift(contract, names);
      if (d.missing.length || d.extra.length || d.renamed.length) {
        const evolved = evolveContract(contract, d.extra);
        // Names are quoted back cut to a column name's longest (a longer one makes the file refused, never a column).
        const cut = (n: string) => bounded(n, MAX_COLUMN_NAME);
        batch.drift = {
          missing: d.missing,
          extra: d.extra.map((header, i) => ({
            header: cut(header),
            column: cut(evolved.columns[contract.columns.length + i]?.name ?? header),
          })),
          renamed: d.renamed.map((r) => ({ ...r, header: cut(r.header) })),
          policy: contract.schemaDrift,
        };
      }
    }
  }
  const rangeBytes = ctx.settings.rangeBytes;
  // Byte ranges need offsets in the stored bytes: not for gzip, nor for an encoding transcoded before the core.
  if (
    compression === 'none' &&
    !isTranscoded(contract.dialect.encoding) &&
    rangeBytes > 0 &&
    info.size > rangeBytes * 1.5
  ) {
    const plan = await planRanges(ctx, batchContract(contract, batch), info, rangeBytes);
    if ('segments' in plan) Object.assign(batch, plan);
    else batch.replanned = plan.reason;
  }
  await ctx.lake.put(batchKey(batch), JSON.stringify(batch, null, 2));
  return batch;
}

/** The header's names, read from the first bytes (inflated); null when there is none to read (the run says why). */
async function probeHeader(ctx: IngestContext, info: ObjectInfo, contract: Contract): Promise<string[] | null> {
  const probe = new WasmCsvDecoder(contract, { batchBytes: 1 << 20, wasmPath: ctx.csvWasmPath, headerOnly: true });
  let read = 0;
  try {
    const source = openSource(ctx.landing.read(info.key), { compression: 'none', storedBytes: 0 });
    const encoding = contract.dialect.encoding;
    for await (const chunk of isTranscoded(encoding) ? transcode(source, encoding) : source) {
      if (read === 0 && chunk.subarray(0, 4096).includes(0)) return null;
      // In small pieces: the core goes on reading records after the header, and a whole 1 MB chunk of them cost
      // ~5 ms a file (a tenth of converting a 1 MB file).
      for (let at = 0; at < chunk.length; at += PROBE_PIECE) {
        const piece = chunk.subarray(at, at + PROBE_PIECE);
        probe.push(piece);
        read += piece.length;
        if (probe.headerEnd !== null) return probe.stats.header;
        if (read > contract.dialect.maxRecordBytes) return null;
      }
    }
    probe.end();
    return probe.stats.header;
  } catch {
    return null;
  } finally {
    probe.dispose();
  }
}

/** Bytes pushed to the header probe at a time. */
const PROBE_PIECE = 16 * 1024;

async function firstBytes(store: ObjectStore, key: string, n: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of store.read(key, { start: 0, end: n })) parts.push(c);
  return Buffer.concat(parts);
}

/**
 * Where the header of a plain object ends, read from its first bytes by a probe freed at once; or why byte ranges
 * cannot be planned.
 */
async function rangeHeaderEnd(
  ctx: IngestContext,
  contract: Contract,
  info: ObjectInfo,
): Promise<number | { reason: string }> {
  const probe = new WasmCsvDecoder(contract, { batchBytes: 1 << 20, wasmPath: ctx.csvWasmPath, headerOnly: true });
  try {
    let read = 0;
    for await (const chunk of ctx.landing.read(info.key, {
      start: 0,
      end: Math.min(info.size, contract.dialect.maxRecordBytes + 1),
    })) {
      if (read === 0) {
        const cr = chunk.indexOf(13);
        if (cr >= 0 && cr + 1 < chunk.length && chunk[cr + 1] !== 10) return { reason: 'CR-only line endings' };
      }
      read += chunk.length;
      if (probe.headerEnd !== null) break;
      try {
        probe.push(chunk);
      } catch {
        return { reason: 'the header could not be read; one sequential pass reports why' };
      }
    }
    return probe.headerEnd ?? { reason: 'no header found' };
  } finally {
    probe.dispose();
  }
}

/**
 * Cuts a plain file into ranges of about `rangeBytes`, each starting just after a line feed, with the line
 * number there: the first line feed after each mark is found by a small read there, and the line feeds before
 * it are counted (no parsing) over the ranges at once, so planning a 50 GB object reads it at the speed of
 * several S3 streams. A line feed inside a quoted field can make a cut point a false record start;
 * `publishBatch` detects that (the previous range's last record must end exactly there, on the same line) and
 * falls back to one sequential pass.
 */
async function planRanges(
  ctx: IngestContext,
  contract: Contract,
  info: ObjectInfo,
  rangeBytes: number,
): Promise<{ segments: SegmentSpec[]; headerEnd: number } | { reason: string }> {
  const headerEnd = await rangeHeaderEnd(ctx, contract, info);
  if (typeof headerEnd !== 'number') return headerEnd;
  const starts: number[] = [];
  for (let c = rangeBytes; c < info.size - rangeBytes / 2; c += rangeBytes) {
    const start = await nextLineStart(ctx.landing, info, c);
    if (start !== null && start > (starts.at(-1) ?? headerEnd) && start < info.size) starts.push(start);
  }
  if (!starts.length) return { reason: 'no line breaks to cut at' };
  const bounds = [0, ...starts];
  const counts = await mapLimit(bounds, 4, (from, i) =>
    countLineFeedsIn(ctx.landing, info.key, from, bounds[i + 1] ?? from),
  );
  const segments: SegmentSpec[] = [];
  let lines = 1;
  bounds.forEach((start, i) => {
    segments.push({ index: i, start, end: bounds[i + 1] ?? null, line: lines });
    lines += counts[i];
  });
  return { segments, headerEnd };
}

/** The offset just after the first line feed at or after `at - 1` (null: none before the end). */
async function nextLineStart(store: ObjectStore, info: ObjectInfo, at: number): Promise<number | null> {
  let pos = at - 1;
  for await (const chunk of store.read(info.key, { start: pos, end: info.size })) {
    const lf = chunk.indexOf(10);
    if (lf >= 0) return pos + lf + 1;
    pos += chunk.length;
  }
  return null;
}

async function countLineFeedsIn(store: ObjectStore, key: string, start: number, end: number): Promise<number> {
  let n = 0;
  if (end > start) for await (const c of store.read(key, { start, end })) n += countLineFeeds(c, 0, c.length);
  return n;
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function countLineFeeds(b: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = b.indexOf(10, from); i >= 0 && i < to; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/** What one invocation of the convert step reports back. */
export interface SegmentProgress {
  segment: number;
  done: boolean;
  runs: number;
  rowsRead: number;
}

/**
 * Runs segment `index` of the batch until its end or until `deadline` (ms since the epoch), whichever comes
 * first. A finished segment is not run again.
 */
export async function runSegment(
  ctx: IngestContext,
  contract: Contract,
  batch: BatchRecord,
  index: number,
  deadline?: number,
): Promise<SegmentProgress> {
  const seg = await readSegment(ctx.lake, batch, index);
  const report = (): SegmentProgress => ({
    segment: index,
    done: seg.done,
    runs: seg.runs.length,
    rowsRead: seg.runs.reduce((n, r) => n + r.rowsRead, 0),
  });
  if (seg.done) return report();
  const spec = batch.segments[index];
  if (!spec) throw new Error(`batch ${batch.batchId} has no segment ${index}`);
  const last = seg.runs.at(-1);
  const from = last?.suspendedAt ?? (spec.start > 0 ? { offset: spec.start, line: spec.line } : null);
  try {
    const run = await convertRun(ctx, batchContract(contract, batch), batch, {
      spec,
      part: seg.runs.length,
      from,
      deadline,
      knownHeaderEnd: batch.headerEnd ?? seg.runs[0]?.headerEnd ?? null,
    });
    seg.runs.push(run);
    seg.done = run.suspendedAt === null;
  } catch (err) {
    const problem = wholeFileProblem(err, contract);
    if (!problem) throw err;
    seg.problem = problem;
    seg.done = true;
  }
  await ctx.lake.put(segmentKey(batch, index), JSON.stringify(seg, null, 2));
  return report();
}

/** The errors that reject a file whole, with the manifest's `problem` for each (null: not such an error). */
export function wholeFileProblem(err: unknown, contract: Contract): { code: string; message: string } | null {
  if (err instanceof ObjectTooLargeError) return { code: 'too-large', message: err.message };
  if (err instanceof InflationLimitError) return { code: 'gzip-inflation', message: err.message };
  if (err instanceof ResumeTooSlowError) return { code: 'resume-too-slow', message: err.message };
  if (err instanceof TranscodeError) return { code: 'invalid-encoding', message: err.message };
  if (
    err instanceof HeaderMismatchError ||
    err instanceof BrokenHeaderError ||
    err instanceof SourceReadError ||
    err instanceof NotCsvError
  ) {
    const code =
      err instanceof SourceReadError ? 'unreadable' : err instanceof NotCsvError ? 'not-csv' : 'header-mismatch';
    const next =
      code === 'header-mismatch'
        ? ` Fix the file, or update contracts/${contract.dataset}.yaml if the columns really changed.`
        : '';
    return { code, message: err.message + next };
  }
  return null;
}

/**
 * The encoder threads a run starts: none (encode between decoding steps) when the run reads at most one decoded
 * batch of a plain object, since one row group leaves nothing to overlap and a thread costs its start and its own
 * Parquet writer (a cold Lambda's first small file: tens of ms); else the settings' count. Files are byte-identical
 * at any count.
 */
function encoderThreads(ctx: IngestContext, info: BatchRecord['source'], spec: SegmentSpec): number {
  const bytes = (spec.end ?? info.size) - spec.start;
  return info.compression === 'none' && bytes <= ctx.settings.batchBytes ? 1 : ctx.settings.threads;
}

/** How far past its deadline a run may still be skipping to its start: less than the 90 s an invocation keeps in reserve. */
export const RESUME_GRACE_MS = 60_000;

/** One run: decode from `from` (or the start) to the segment's end or the deadline, into staged files. */
/** Where a run starts and stops within its segment. */
interface RunSpec {
  spec: SegmentSpec;
  /** The run's number within the segment (its staged files are named by it). */
  part: number;
  /** Where the previous run stopped, or the range's start; null from the object's start. */
  from: { offset: number; line: number } | null;
  deadline: number | undefined;
  /** Where the header ends, when an earlier run read it. */
  knownHeaderEnd: number | null;
}

async function convertRun(
  ctx: IngestContext,
  contract: Contract,
  batch: BatchRecord,
  run: RunSpec,
): Promise<RunRecord> {
  const { spec, part, from, deadline, knownHeaderEnd } = run;
  const info = batch.source;
  const started = new Date(batch.startedAt);
  const stage = stagingPrefix(batch.dataset, batch.batchId);
  const runTag = `s${pad(spec.index, 4)}-r${pad(part, 4)}`;
  const decoder = new WasmCsvDecoder(contract, { batchBytes: ctx.settings.batchBytes, wasmPath: ctx.csvWasmPath });
  const schema = rawSchema(contract);
  const lineage = { batchId: batch.batchId, sourceKey: info.key, ingestedAtMicros: started.getTime() * 1000 };
  let rowGroupRows = 0;
  let plain: string[] | undefined;
  const deltaTypes = new Set(
    contract.columns.filter((c) => c.type === 'timestamp' || c.type === 'int64').map((c) => c.name),
  );
  const rowGroupBatches = rowGroupBatchesFor(schema.fields.length, ctx.settings.rowGroupBatches);
  const writer = new RollingParquetWriter(ctx.lake, {
    keyFor: (n) => `${stage}${runTag}-${pad(n, 4)}.parquet`,
    targetBytes: ctx.settings.targetFileBytes,
    rowGroupBatches,
    tuning: () => ({
      rowGroupRows: rowGroupRows * rowGroupBatches,
      plainColumns: plain,
      // Timestamps and 64-bit integers too varied for a dictionary are stored as deltas: 8 bytes packed to the bits
      // their differences need (the TalkingData sample's click_time: 587 KB -> 477 KB, DuckDB's plain zstd: 497 KB;
      // the bench events' ids: 795 KB -> 2 KB and 2.79 -> 2.34 MB per 64 MB, and 40% less encoding time than ZSTD
      // on their plain bytes). Values beyond 2^52 leave their page plain.
      deltaColumns: [SOURCE_LINE, ...(plain ?? []).filter((c) => deltaTypes.has(c))],
      // The lineage strings keep their statistics (min = max, the one value): a query for one batch's rows
      // (`WHERE _batch_id = ...`) skips every other file on them. They cost a few bytes a row group.
      constants: {
        [BATCH_ID]: lineage.batchId,
        [SOURCE_KEY]: lineage.sourceKey,
        [INGESTED_AT]: lineage.ingestedAtMicros,
      },
      metadata: {
        'landfall.batch_id': batch.batchId,
        'landfall.source_key': info.key,
        'landfall.dataset': contract.dataset,
      },
    }),
    encoder: {
      ...ctx.encoder,
      threads: encoderThreads(ctx, info, spec),
      writer: ctx.settings.parquetWriter,
      // Encoded batches' buffers come back to the decoder for later batches.
      release: (buffers) => decoder.pool.give(buffers),
    },
  });
  writer.prestart();
  const quarantine = new QuarantineWriter(ctx.lake, `${stage}${runTag}-quarantine.csv`);
  const rejectsByReason: Record<string, number> = {};
  const handle = async (out: DecodeOutput) => {
    for (const r of out.rejects) rejectsByReason[r.reason] = (rejectsByReason[r.reason] ?? 0) + 1;
    await quarantine.write(out.rejects);
    for (const b of out.batches) {
      rowGroupRows = decoder.rowsPerBatch || b.rowCount;
      // Decided on the first batch, for the rows of a row group (fewer than the batch's when the file ends in it).
      plain ??= plainColumns(
        contract.columns.map((c) => c.name),
        b,
        { rows: decoder.rowsPerBatch ? decoder.rowsPerBatch * rowGroupBatches : b.rowCount },
      );
      await writer.write(toRecordBatch(schema, b, lineage));
    }
  };
  const end = spec.end ?? Infinity;
  // A gzip bomb costs at most this many inflated bytes before the file is quarantined whole.
  const maxInflated = Math.max(info.size, 1) * contract.limits.maxInflation;
  // The footer is at the object's end: only a run that reads to it holds lines back (a suspended run releases
  // nothing it held: the next run reads those bytes again from where the decoder stopped).
  const footer =
    contract.dialect.footerLines > 0 && spec.end === null
      ? new FooterHold(contract.dialect.footerLines, contract.dialect.delimiter.charCodeAt(0))
      : null;
  let footerLines = 0;
  let suspendedAt: RunRecord['suspendedAt'] = null;
  let rangeEnd: RunRecord['rangeEnd'] = null;
  const progress = { compression: 'none' as 'gzip' | 'none', storedBytes: 0 };
  try {
    try {
      const stream = decodedStream(ctx, info, contract.dialect.encoding, from, spec.end, knownHeaderEnd, progress);
      let sniffed = from !== null;
      let offset = 0;
      let resumed = from === null;
      for await (let chunk of stream.chunks) {
        if (!sniffed) {
          // CSV text never holds NUL bytes: a binary file would otherwise fail as a header of garbage.
          const nul = chunk.subarray(0, 4096).indexOf(0);
          if (nul >= 0) throw new NotCsvError(info.key, nul);
          sniffed = true;
        }
        const at = stream.skipped() + offset;
        offset += chunk.length;
        if (progress.compression === 'gzip' && offset > maxInflated) {
          throw new InflationLimitError(info.key, info.size, offset, contract.limits.maxInflation);
        }
        if (!resumed) {
          // Skipping goes on past the deadline (a run must progress), but not into the time the invocation
          // keeps in reserve: a run that cannot even reach its start fails the batch clearly instead of being killed.
          if (deadline !== undefined && Date.now() >= deadline + RESUME_GRACE_MS)
            throw new ResumeTooSlowError(info.key, from!.offset);
          // Before `from`: the header's bytes are decoded (to map columns), the rest is skipped.
          const headerEnd = knownHeaderEnd ?? 0;
          if (at < headerEnd) {
            await handle(decoder.push(chunk.subarray(0, Math.min(chunk.length, headerEnd - at))));
            if (at + chunk.length < headerEnd) continue;
            const flushed = decoder.flush();
            if (!flushed || flushed.pending || decoder.headerEnd !== headerEnd) {
              throw new Error(
                `${info.key}: the header read again ends at ${decoder.headerEnd}, not ${headerEnd} as in the first run; the object changed`,
              );
            }
          }
          if (at + chunk.length <= from!.offset) continue;
          decoder.continueAt(from!.offset, from!.line);
          chunk = chunk.subarray(Math.max(0, from!.offset - at));
          resumed = true;
          if (!chunk.length) continue;
        }
        if (footer) for (const piece of footer.push(chunk)) await handle(decoder.push(piece));
        else await handle(decoder.push(chunk));
        ctx.onProgress?.({ key: info.key, storedBytes: progress.storedBytes, size: info.size });
        if (deadline !== undefined && Date.now() >= deadline && at + chunk.length < end) {
          const f = decoder.flush();
          // Only where the run has made progress: a record longer than what was read cannot be cut.
          if (f && f.offset > (from?.offset ?? 0)) {
            await handle(f.output);
            suspendedAt = { offset: f.offset, line: f.line };
            break;
          }
        }
      }
    } catch (err) {
      if (wholeFileProblem(err, contract)) throw err;
      if (
        (err as NodeJS.ErrnoException).code?.startsWith('Z_') ||
        /unexpected end of file|incorrect header check/i.test(String(err))
      ) {
        throw new SourceReadError(
          info.key,
          `the gzip stream is corrupt or truncated (${(err as Error).message}); upload the complete file again`,
          { cause: err },
        );
      }
      throw err;
    }
    if (!suspendedAt) {
      if (spec.end !== null) {
        const f = decoder.flush();
        if (f) await handle(f.output);
        rangeEnd = { clean: f !== null && f.pending === 0 && f.offset === spec.end, line: f?.line ?? -1 };
      } else {
        footerLines = footer?.end() ?? 0;
        await handle(decoder.end());
      }
    }
    const files = await writer.close();
    const quarantined = await quarantine.close();
    const s = decoder.stats;
    return {
      rowsRead: s.rowsRead,
      rowsWritten: s.rowsWritten,
      rowsRejected: s.rowsRejected,
      rowsBlank: s.rowsBlank,
      blankLines: s.blankLines,
      commentLines: s.commentLines,
      preambleLines: s.preambleLines,
      footerLines,
      ...(Object.keys(s.formatsMatched).length ? { formatsMatched: s.formatsMatched } : {}),
      ...(Object.keys(s.valuesRounded).length ? { valuesRounded: s.valuesRounded } : {}),
      files,
      quarantine: quarantined,
      rejectsByReason,
      header: s.header,
      reordered: s.reordered,
      headerEnd: decoder.headerEnd,
      suspendedAt,
      rangeEnd,
    };
  } catch (err) {
    await writer.abort();
    await quarantine.abort();
    throw err;
  } finally {
    decoder.dispose();
  }
}

/**
 * The object's decoded bytes for a run: everything (inflated, transcoded to UTF-8) for a fresh run, for gzip and
 * for a transcoded encoding, where the caller skips to `from`; for a plain object continued at `from`, only the
 * header's bytes and then `[from, end)`.
 */
function decodedStream(
  ctx: IngestContext,
  info: BatchRecord['source'],
  encoding: Dialect['encoding'],
  from: { offset: number } | null,
  end: number | null,
  headerEnd: number | null,
  progress: { compression: 'gzip' | 'none'; storedBytes: number },
): { chunks: AsyncIterable<Uint8Array>; skipped: () => number } {
  const landing = ctx.landing;
  if (isTranscoded(encoding)) {
    return { chunks: transcode(openSource(landing.read(info.key), progress), encoding), skipped: () => 0 };
  }
  // The loop in convertRun is done with a chunk (copied into the CSV core, or held as a copy) before it asks for the
  // next, so a plain read may reuse its buffers; gunzip reads ahead of what it yields.
  const reuse = { reuse: info.compression === 'none' };
  if (info.compression === 'gzip' || from === null) {
    if (end !== null && info.compression === 'none') {
      return { chunks: openSource(landing.read(info.key, { start: 0, end }, reuse), progress), skipped: () => 0 };
    }
    return { chunks: openSource(landing.read(info.key, undefined, reuse), progress), skipped: () => 0 };
  }
  // Plain and continued: header bytes, then a ranged read; offsets reported as if the gap had been read.
  let skipped = 0;
  const h = headerEnd ?? 0;
  const chunks = (async function* () {
    if (h > 0) for await (const c of landing.read(info.key, { start: 0, end: h })) yield c;
    skipped = from.offset - h;
    const stop = end ?? info.size;
    if (stop > from.offset) {
      progress.storedBytes = from.offset;
      for await (const c of landing.read(info.key, { start: from.offset, end: stop }, reuse)) {
        progress.storedBytes += c.length;
        yield c;
      }
    }
  })();
  return { chunks, skipped: () => skipped };
}

export type PublishOutcome =
  | { status: 'published' | 'rejected'; manifest: Manifest; manifestKey: string }
  /** Ranges did not meet at record boundaries: the batch is planned again as one sequential segment. */
  | { status: 'replanned'; segments: number[]; reason: string };

/**
 * Publishes a batch whose segments are all done: checks that ranges met exactly, moves the staged files to
 * their final names (`raw/<dataset>/ingest_date=<d>/<batch>-<n>.parquet`, numbered in order over all runs),
 * joins the quarantine parts, and writes the manifest last. Safe to repeat after a crash at any point.
 */
export async function publishBatch(
  ctx: IngestContext,
  contract: Contract,
  batch: BatchRecord,
): Promise<PublishOutcome> {
  const mKey = manifestKey(batch.dataset, batch.batchId);
  const published = async (): Promise<PublishOutcome | null> => {
    const existing = await readManifest(ctx.lake, mKey);
    if (!existing) return null;
    // Published by a concurrent run of the same object (three `landfall run` of one file at once: local runs have no
    // idempotency store): what this one staged meanwhile is not needed.
    await dropStaging(ctx.lake, batch);
    return {
      status: existing.status === 'published' ? 'published' : 'rejected',
      manifest: existing,
      manifestKey: mKey,
    };
  };
  const before = await published();
  if (before) return before;
  try {
    return await publishStaged(ctx, contract, batch, mKey);
  } catch (err) {
    // The concurrent run may publish while this one reads the staged records it then drops: its manifest stands.
    const meanwhile = await published();
    if (meanwhile) return meanwhile;
    throw err;
  }
}

async function publishStaged(
  ctx: IngestContext,
  contract: Contract,
  batch: BatchRecord,
  mKey: string,
): Promise<PublishOutcome> {
  const segments = await Promise.all(batch.segments.map((s) => readSegment(ctx.lake, batch, s.index)));
  const open = segments.filter((s) => !s.done).map((s) => s.index);
  if (open.length) throw new Error(`batch ${batch.batchId}: segments ${open.join(', ')} are not converted yet`);
  const problem = segments.find((s) => s.problem)?.problem;
  if (problem) {
    const r = await quarantineWhole(ctx, {
      info: batch.source,
      batchId: batch.batchId,
      started: new Date(batch.startedAt),
      dataset: contract.dataset,
      status: 'rejected',
      problem,
      contract,
      drift: batch.drift && driftReport(batch.drift),
    });
    await dropStaging(ctx.lake, batch);
    return { status: 'rejected', manifest: r.manifest, manifestKey: r.manifestKey };
  }
  for (let i = 0; i + 1 < segments.length; i++) {
    const end = segments[i].runs.at(-1)!.rangeEnd;
    const nextLine = batch.segments[i + 1].line;
    if (!end?.clean || end.line !== nextLine) {
      const reason = !end?.clean
        ? `a record runs across byte ${batch.segments[i + 1].start} (a quoted field with a line break): converted in one sequential pass instead`
        : `line numbers disagree at byte ${batch.segments[i + 1].start} (${end.line} vs ${nextLine}: line breaks inside quoted fields): converted in one sequential pass instead`;
      await dropStaging(ctx.lake, batch);
      const single: BatchRecord = {
        ...batch,
        headerEnd: null,
        segments: [{ index: 0, start: 0, end: null, line: 1 }],
        replanned: reason,
      };
      await ctx.lake.put(batchKey(single), JSON.stringify(single, null, 2));
      return { status: 'replanned', segments: [0], reason };
    }
  }
  const runs = segments.flatMap((s) => s.runs);
  const ingestDate = batch.startedAt.slice(0, 10);
  const files: OutputFile[] = [];
  for (const f of runs.flatMap((r) => r.files)) {
    const key = rawFileKey(batch.dataset, ingestDate, batch.batchId, files.length);
    await ctx.lake.move(f.key, key);
    files.push({ ...f, key });
  }
  const parts = runs.map((r) => r.quarantine).filter((q): q is OutputFile => q !== null);
  const quarantine = await joinQuarantine(ctx.lake, parts, quarantineKey(batch.dataset, ingestDate, batch.batchId));
  const sum = (k: keyof RowCounts) => runs.reduce((n, r) => n + r[k], 0);
  const rejectsByReason: Record<string, number> = {};
  for (const r of runs)
    for (const [k, v] of Object.entries(r.rejectsByReason)) rejectsByReason[k] = (rejectsByReason[k] ?? 0) + v;
  const formatsMatched: Record<string, Record<string, number>> = {};
  for (const r of runs)
    for (const [col, counts] of Object.entries(r.formatsMatched ?? {}))
      for (const [f, n] of Object.entries(counts)) {
        const into = formatsMatched[col] ?? {};
        into[f] = (into[f] ?? 0) + n;
        formatsMatched[col] = into;
      }
  const valuesRounded: Record<string, number> = {};
  for (const r of runs)
    for (const [col, n] of Object.entries(r.valuesRounded ?? {})) valuesRounded[col] = (valuesRounded[col] ?? 0) + n;
  const rowsRead = sum('rowsRead');
  const rowsRejected = sum('rowsRejected');
  const rowsBlank = sum('rowsBlank');
  // Blank records are neither good nor bad rows: the ratio is of the records that held data.
  const rejectRatio = rowsRead - rowsBlank ? rowsRejected / (rowsRead - rowsBlank) : 0;
  const manifest: Manifest = {
    manifestVersion: 1,
    batchId: batch.batchId,
    dataset: contract.dataset,
    status: 'published',
    source: batch.source,
    ingestDate,
    startedAt: batch.startedAt,
    finishedAt: ctx.now().toISOString(),
    rowsRead,
    rowsWritten: sum('rowsWritten'),
    rowsRejected,
    rowsBlank,
    blankLines: sum('blankLines'),
    commentLines: sum('commentLines'),
    preambleLines: sum('preambleLines'),
    footerLines: sum('footerLines'),
    rejectsByReason,
    ...(Object.keys(formatsMatched).length ? { formatsMatched } : {}),
    ...(Object.keys(valuesRounded).length ? { valuesRounded } : {}),
    rejectRatio,
    maxRejectRatio: contract.quality.maxRejectRatio,
    rejectThresholdExceeded: rejectAlarm(contract, rowsRead - rowsBlank, rowsRejected),
    files,
    quarantine,
    header: { found: runs[0]?.header ?? null, reordered: runs[0]?.reordered ?? false },
    schema: schemaOf(batchContract(contract, batch)),
    ...(batch.drift ? { drift: batch.drift } : {}),
    ...(segments.length > 1 || runs.length > 1 || batch.replanned
      ? {
          conversion: {
            segments: segments.length,
            runs: runs.length,
            ...(batch.replanned ? { replanned: batch.replanned } : {}),
          },
        }
      : {}),
  };
  assertReconciled(manifest);
  if (files.length)
    await ctx.lake.put(rawSymlinkKey(batch.dataset, ingestDate, batch.batchId), rawSymlinkBody(ctx.lake.name, files));
  await ctx.lake.put(mKey, JSON.stringify(manifest, null, 2));
  await dropStaging(ctx.lake, batch);
  return { status: 'published', manifest, manifestKey: mKey };
}

/**
 * Whether a batch's rejects raise the alarm: over the contract's ratio, in a batch of at least quality.minRows
 * records (a ratio of a few rows says little), or every record rejected.
 */
export function rejectAlarm(contract: Contract, records: number, rejected: number): boolean {
  if (!records) return false;
  const { maxRejectRatio, minRows } = contract.quality;
  return rejected / records > maxRejectRatio && (records >= minRows || rejected === records);
}

/** One quarantine CSV from the runs' parts (their header line once). A single part is moved, not copied. */
async function joinQuarantine(lake: ObjectStore, parts: OutputFile[], key: string): Promise<OutputFile | null> {
  if (!parts.length) return null;
  if (parts.length === 1) {
    await lake.move(parts[0].key, key);
    return { ...parts[0], key };
  }
  const out = lake.write(key);
  let rows = 0;
  try {
    for (const [i, p] of parts.entries()) {
      let first = true;
      for await (const c of lake.read(p.key)) {
        let chunk = c;
        if (first && i > 0) chunk = chunk.subarray(chunk.indexOf(10) + 1);
        first = false;
        await out.write(chunk);
      }
      rows += p.rows;
    }
  } catch (err) {
    await out.abort();
    throw err;
  }
  const { bytes } = await out.complete();
  // The parts stay until the manifest is written (dropStaging), so that an interrupted publish can join again.
  return { key, rows, bytes };
}

/** Removes the batch's records and any staged file left (by a run given up, or superseded). */
async function dropStaging(lake: ObjectStore, batch: BatchRecord): Promise<void> {
  const keys: string[] = [];
  for await (const o of lake.list(stagingPrefix(batch.dataset, batch.batchId))) keys.push(o.key);
  // The batch record last: while it exists, a retry finds the plan.
  for (const k of keys.filter((k) => k !== batchKey(batch))) await lake.delete(k);
  await lake.delete(batchKey(batch));
}
