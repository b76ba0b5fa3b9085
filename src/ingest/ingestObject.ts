import { createHash } from 'node:crypto';
import type { Contract } from '../contracts/contract.ts';
import { UnknownDatasetError } from '../contracts/errors.ts';
import { matchContract } from '../contracts/matchContract.ts';
import type { ObjectInfo } from '../ports.ts';
import { openBatch, publishBatch, readBatch, runSegment, wholeFileProblem, type BatchRecord } from './batch.ts';
import type { IngestContext, IngestResult } from './context.ts';
import { ObjectTooLargeError, SourceReadError } from './errors.ts';
import { readManifest } from './manifest.ts';
import { manifestKey, UNMATCHED } from '../lake/layout.ts';
import { quarantineWhole } from './quarantineWhole.ts';

/** Batch ids are derived from the object's identity, so a redelivered event names the same outputs. */
export function batchIdFor(bucket: string, info: ObjectInfo): string {
  const h = createHash('sha256')
    .update(`${bucket}\n${info.key}\n${info.etag}\n${info.versionId ?? ''}`)
    .digest('hex');
  return `b${h.slice(0, 20)}`;
}

/**
 * Converts one landing object into raw Parquet + quarantine + manifest (published last), running every
 * segment of its batch here, one after another (the CLI, tests; on AWS the state machine's Map runs them).
 */
export async function ingestObject(ctx: IngestContext, key: string, dataset?: string): Promise<IngestResult> {
  const begun = await beginIngest(ctx, key, dataset);
  if ('manifest' in begun) return begun;
  const { contract } = begun;
  let { batch } = begun;
  for (;;) {
    for (const s of batch.segments) {
      while (!(await runSegment(ctx, contract, batch, s.index)).done);
    }
    const out = await publishBatch(ctx, contract, batch);
    if (out.status !== 'replanned')
      return { manifest: out.manifest, manifestKey: out.manifestKey, alreadyIngested: false };
    batch = (await readBatch(ctx.lake, contract.dataset, batch.batchId))!;
  }
}

/** What the state machine needs to finish a batch that one invocation does not: the segments to convert. */
export interface ConvertInput {
  segments: number[];
}

/** A batch the ingest function does not finish: the state machine converts `convert.segments`, then publishes. */
export interface HandedOff {
  kind: 'handedOff';
  dataset: string;
  batchId: string;
  manifestKey: string;
  convert: ConvertInput;
}

/** An object whose ingest is over: its manifest is published. */
export type Settled = IngestResult & {
  /** published: converted now; duplicate: ingested before, nothing written; rejectedWhole: kept whole in quarantine. */
  kind: 'published' | 'duplicate' | 'rejectedWhole';
};

/** What starting an object's ingest came to. */
export type StartedIngest = Settled | HandedOff;

/** The kind of a finished ingest, from its result. */
export function settled(r: IngestResult): Settled {
  const kind = r.alreadyIngested ? 'duplicate' : r.manifest.status === 'published' ? 'published' : 'rejectedWhole';
  return { kind, ...r };
}

/**
 * The ingest function's part: a small object is converted and published here; a batch of several ranges, or
 * one whose conversion reaches `deadline` (ms since the epoch), is handed to the state machine (`convert`),
 * whose Map runs the segments and loops each until it is done, then publishes.
 */
export async function startIngest(
  ctx: IngestContext,
  key: string,
  deadline?: number,
  dataset?: string,
): Promise<StartedIngest> {
  const begun = await beginIngest(ctx, key, dataset);
  if ('manifest' in begun) return settled(begun);
  const { contract, batch } = begun;
  const handOff = (segments: number[]): HandedOff => ({
    kind: 'handedOff',
    dataset: contract.dataset,
    batchId: batch.batchId,
    manifestKey: manifestKey(contract.dataset, batch.batchId),
    convert: { segments },
  });
  if (batch.segments.length > 1) return handOff(batch.segments.map((s) => s.index));
  const progress = await runSegment(ctx, contract, batch, 0, deadline);
  if (!progress.done) return handOff([0]);
  const out = await publishBatch(ctx, contract, batch);
  if (out.status === 'replanned') return handOff(out.segments);
  return settled({ manifest: out.manifest, manifestKey: out.manifestKey, alreadyIngested: false });
}

/** Looks the object up, finds its contract, and returns its published manifest or its (new or earlier) batch. */
async function beginIngest(
  ctx: IngestContext,
  key: string,
  dataset?: string,
): Promise<IngestResult | { contract: Contract; batch: BatchRecord }> {
  const info = await ctx.landing.head(key);
  if (!info) throw new SourceReadError(key, `no such object in ${ctx.landing.name}`);
  const batchId = batchIdFor(ctx.landing.name, info);
  let contract: Contract | undefined;
  if (dataset !== undefined) {
    contract = ctx.contracts.find((c) => c.dataset === dataset);
    if (!contract)
      throw new UnknownDatasetError(
        dataset,
        ctx.contracts.map((c) => c.dataset),
      );
  } else {
    const m = matchContract(ctx.contracts, key);
    if (!m.contract)
      return quarantineWhole(ctx, {
        info,
        batchId,
        started: ctx.now(),
        dataset: UNMATCHED,
        status: 'unmatched',
        problem: { code: m.reason, message: m.detail },
      });
    contract = m.contract;
  }
  const mKey = manifestKey(contract.dataset, batchId);
  const previous = await readManifest(ctx.lake, mKey);
  if (previous) return { manifest: previous, manifestKey: mKey, alreadyIngested: true };
  const maxBytes = Math.round(contract.limits.maxObjectMB * 1024 * 1024);
  if (info.size > maxBytes) {
    const problem = wholeFileProblem(new ObjectTooLargeError(key, info.size, maxBytes), contract)!;
    return quarantineWhole(ctx, {
      info,
      batchId,
      started: ctx.now(),
      dataset: contract.dataset,
      status: 'rejected',
      problem,
      contract,
    });
  }
  return { contract, batch: await openBatch(ctx, contract, info, batchId) };
}

/** Finds the contract and batch record of a batch being converted (the convert function's steps). */
export async function openedBatch(
  ctx: IngestContext,
  dataset: string,
  batchId: string,
): Promise<{ contract: Contract; batch: BatchRecord }> {
  const contract = ctx.contracts.find((c) => c.dataset === dataset);
  if (!contract)
    throw new UnknownDatasetError(
      dataset,
      ctx.contracts.map((c) => c.dataset),
    );
  const batch = await readBatch(ctx.lake, dataset, batchId);
  if (!batch)
    throw new Error(
      `batch ${batchId} of ${dataset} has no record under staging/: was it published already, or never started?`,
    );
  return { contract, batch };
}
