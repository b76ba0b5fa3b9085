import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { matchesFileName } from '../contracts/matchContract.ts';
import { arrive } from '../flow/arrive.ts';
import { ingestObject, type StartedIngest } from '../ingest/ingestObject.ts';
import type { IngestContext, IngestResult } from '../ingest/context.ts';
import { UNMATCHED } from '../lake/layout.ts';
import { describeDrift } from '../pipeline/alarms.ts';
import { ingestContext, type LocalLake } from '../wiring/local.ts';
import { bytes } from './format.ts';
import { Progress } from './progress.ts';

export interface FileOutcome {
  file: string;
  result?: IngestResult;
  error?: Error;
  pipelineFailed?: boolean;
}

/**
 * What runs after each ingest (the local pipeline); returns lines to print. Given a batch the ingest handed off
 * (byte ranges), it converts it first, as the state machine does on AWS, and returns the published result.
 */
export type AfterIngest = (
  r: StartedIngest,
  ctx: IngestContext,
) => Promise<{ lines: string[]; failed: boolean; result?: IngestResult }>;

/**
 * Every file under the given paths (folders recursively, hidden files skipped), in a stable order, less what lies
 * in the lake folder `skip` (a folder run again must not ingest the lake it wrote). A named path that is not a
 * regular file or a folder (a FIFO, a socket, a device) is refused: reading one could block forever.
 */
export async function expandPaths(paths: string[], skip?: string): Promise<string[]> {
  const out: string[] = [];
  const lake = skip ? `${resolve(skip)}${sep}` : null;
  const outside = (f: string) => !lake || !`${resolve(f)}${sep}`.startsWith(lake);
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
    if (!s) throw new Error(`${p}: no such file or folder`);
    if (s.isDirectory()) {
      const entries = await readdir(p, { recursive: true, withFileTypes: true });
      out.push(
        ...entries
          .filter((e) => e.isFile() && !e.name.startsWith('.'))
          .map((e) => join(e.parentPath, e.name))
          .filter(outside)
          .sort(),
      );
    } else if (s.isFile()) {
      if (outside(p)) out.push(p);
    } else {
      throw new Error(
        `${p}: not a regular file or a folder (a FIFO, socket or device): name files or folders to ingest`,
      );
    }
  }
  return out;
}

/** The landing key a file is dropped under: `<dataset>/<name>`, or `_unmatched/<name>` when no contract claims it. */
export function landingKeyFor(lake: LocalLake, file: string, dataset?: string): string {
  const name = basename(file);
  const ds = dataset ?? lake.contracts.find((c) => matchesFileName(c, name))?.dataset ?? UNMATCHED;
  return `${ds}/${name}`;
}

/** Drops each file into the local landing zone and ingests it, printing what happened to every row. */
export async function runFiles(
  lake: LocalLake,
  files: string[],
  dataset: string | undefined,
  log: (s: string) => void,
  afterIngest?: AfterIngest,
): Promise<FileOutcome[]> {
  const outcomes: FileOutcome[] = [];
  for (const file of files) {
    const key = landingKeyFor(lake, file, dataset);
    const { size } = await lake.landing.importFile(file, key);
    const progress = new Progress(basename(file), size);
    const started = Date.now();
    try {
      const ctx = ingestContext(lake, (p) => progress.update(p.storedBytes));
      const after = (r: StartedIngest) =>
        afterIngest ? afterIngest(r, ctx) : Promise.resolve({ lines: [], failed: false });
      const { started: begun, pipeline } = await arrive(ctx, key, { handedOff: after, settled: after }, { dataset });
      let result: IngestResult;
      if (begun.kind !== 'handedOff') result = begun;
      else if (afterIngest) {
        if (!pipeline.result)
          throw new Error(
            `batch ${begun.batchId} was handed to the state machine but not published:\n${pipeline.lines.join('\n')}`,
          );
        result = pipeline.result;
      } else result = await ingestObject(ctx, key, dataset);
      progress.stop();
      log(describe(lake, file, result, (Date.now() - started) / 1000));
      for (const l of pipeline.lines) log(l);
      outcomes.push({ file, result, pipelineFailed: pipeline.failed });
    } catch (err) {
      progress.stop();
      log(`${file}\n  FAILED: ${(err as Error).message}`);
      outcomes.push({ file, error: err as Error });
    }
  }
  return outcomes;
}

function describe(lake: LocalLake, file: string, r: IngestResult, secs: number): string {
  const m = r.manifest;
  const rel = (k: string) => relative(process.cwd(), lake.lake.path(k));
  const lines = [`${file} -> ${m.dataset} (batch ${m.batchId})`];
  if (r.alreadyIngested) {
    lines.push(`  already ingested on ${m.ingestDate}: same object (etag ${m.source.etag}); nothing written again`);
  }
  if (m.status !== 'published') {
    lines.push(`  NOT CONVERTED (${m.problem?.code}): ${m.problem?.message}`);
    lines.push(`  file kept whole in ${rel(m.quarantine!.key)}`);
  } else {
    const written = m.files.reduce((n, f) => n + f.bytes, 0);
    lines.push(
      `  rows read ${m.rowsRead}, written ${m.rowsWritten}, rejected ${m.rowsRejected}` +
        (m.rowsBlank ? `, blank ${m.rowsBlank}` : '') +
        (r.alreadyIngested
          ? ''
          : `  (${bytes(m.source.size)}${m.source.compression === 'gzip' ? ' gzip' : ''} in ${secs.toFixed(1)} s)`),
    );
    const skipped = [
      m.preambleLines ? `${m.preambleLines} preamble` : '',
      m.footerLines ? `${m.footerLines} footer` : '',
      m.commentLines ? `${m.commentLines} comment` : '',
    ].filter(Boolean);
    if (skipped.length) lines.push(`  skipped:    ${skipped.join(', ')} line(s)`);
    if (m.conversion) {
      const c = m.conversion;
      lines.push(
        `  converted:  ${c.segments} byte range(s) in ${c.runs} run(s) by the state machine's Map${c.replanned ? `; ${c.replanned}` : ''}`,
      );
    }
    if (m.drift) lines.push(`  drift:      ${describeDrift(m.drift)}`);
    if (m.files.length)
      lines.push(
        `  raw:        ${m.files.length} Parquet file(s), ${bytes(written)} in ${rel(dirname(m.files[0].key))}/`,
      );
    if (m.quarantine) {
      const reasons = Object.entries(m.rejectsByReason)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      lines.push(`  quarantine: ${rel(m.quarantine.key)} (${reasons})`);
    }
    if (m.rejectThresholdExceeded) {
      lines.push(
        `  WARNING: ${(m.rejectRatio * 100).toFixed(2)}% of rows rejected, over the contract's ${(m.maxRejectRatio * 100).toFixed(2)}%: look at the quarantine file`,
      );
    }
  }
  lines.push(`  manifest:   ${rel(r.manifestKey)}`);
  return lines.join('\n');
}
