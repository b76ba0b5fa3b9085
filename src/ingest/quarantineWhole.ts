import { basename } from 'node:path';
import type { Contract } from '../contracts/contract.ts';
import { manifestKey, quarantineWholeKey } from '../lake/layout.ts';
import { NO_ROWS } from '../lake/rowCounts.ts';
import type { ObjectInfo } from '../ports.ts';
import type { IngestContext, IngestResult } from './context.ts';
import { readManifest, schemaOf, type Manifest } from './manifest.ts';

/** An object kept whole: what it is, where it belongs, and why. */
export interface WholeObject {
  info: ObjectInfo;
  batchId: string;
  /** When its batch started (the ingest date and the manifest's startedAt). */
  started: Date;
  dataset: string;
  status: 'rejected' | 'unmatched';
  problem: { code: string; message: string };
  /** The dataset's contract, when one claims the object (its schema and reject threshold go into the manifest). */
  contract?: Contract;
  drift?: Manifest['drift'];
}

/** Keeps the whole object, byte for byte, under quarantine/ and publishes a manifest that says why. */
export async function quarantineWhole(ctx: IngestContext, whole: WholeObject): Promise<IngestResult> {
  const { info, batchId, started, dataset, status, problem, contract, drift } = whole;
  const ingestDate = started.toISOString().slice(0, 10);
  const mKey = manifestKey(dataset, batchId);
  const previous = await readManifest(ctx.lake, mKey);
  if (previous) return { manifest: previous, manifestKey: mKey, alreadyIngested: true };
  const qKey = quarantineWholeKey(dataset, ingestDate, batchId, basename(info.key));
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
    ...NO_ROWS,
    rejectsByReason: {},
    rejectRatio: 0,
    maxRejectRatio: contract?.quality.maxRejectRatio ?? 0,
    rejectThresholdExceeded: false,
    files: [],
    quarantine: { key: qKey, rows: 0, bytes },
    header: { found: null, reordered: false },
    schema: contract ? schemaOf(contract) : [],
    ...(drift ? { drift } : {}),
  };
  await ctx.lake.put(mKey, JSON.stringify(manifest, null, 2));
  return { manifest, manifestKey: mKey, alreadyIngested: false };
}
