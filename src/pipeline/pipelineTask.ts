import type { Contract } from '../contracts/contract.ts';
import { readManifest, type Manifest } from '../convert/manifest.ts';
import type { ObjectStore } from '../ports.ts';
import type { MergeQueue, TakenBatch } from './mergeQueue.ts';
import { planMerge, type MergePlan } from './planMerge.ts';
import type { CatalogNames, SqlDialect } from './sqlDialect.ts';

export interface PlanContext {
  lake: ObjectStore;
  contracts: Contract[];
  dialect: SqlDialect;
  names: CatalogNames;
  queue: MergeQueue;
}

/** The plan function's tasks in the state machine; `holder` is the execution's name (`$$.Execution.Name`). */
export type PipelineTask =
  /**
   * A batch the state machine published (handed off by the ingest function), or one to merge again (`again`:
   * landfall replay): queue it, and lead its dataset's merge if free. `batch` is the execution's input.
   */
  | { action: 'enqueue'; batch: { dataset: string; batchId: string; manifestKey: string; again?: boolean }; holder: string }
  /** The next round of a merge run: every pending batch of the dataset's group (up to the cap), planned as one merge per dataset. */
  | { action: 'take'; dataset: string; holder: string }
  /** The round's batches are merged: record it, give the lease up, and say whether more batches wait. */
  | { action: 'finish'; dataset: string; holder: string; taken: TakenBatch[] }
  /** The run failed: give the lease up so that the next batch starts a new run (its batches stay pending). */
  | { action: 'release'; dataset: string; holder: string };

export async function handlePipelineTask(ctx: PlanContext, task: PipelineTask): Promise<{ lead: boolean } | MergePlan | { more: boolean } | object> {
  switch (task.action) {
    case 'enqueue': {
      const { dataset, batchId, manifestKey, again } = task.batch;
      const m = await manifestOf(ctx.lake, manifestKey, dataset, batchId);
      if (m.status === 'unmatched') return { lead: false };
      const b = { dataset, batchId, manifestKey };
      const queued = again ? (await ctx.queue.requeue(b), 'pending') : await ctx.queue.enqueue(b);
      return { lead: queued === 'pending' && (await ctx.queue.lead(dataset, task.holder)) };
    }
    case 'take': {
      const pending = await ctx.queue.take(task.dataset, task.holder);
      const manifests = await Promise.all(pending.map((p) => manifestOf(ctx.lake, p.manifestKey, p.dataset, p.batchId)));
      return planMerge({ contracts: ctx.contracts, dialect: ctx.dialect, names: ctx.names }, task.dataset, manifests);
    }
    case 'finish':
      return ctx.queue.finish(task.dataset, task.holder, task.taken);
    case 'release':
      await ctx.queue.release(task.dataset, task.holder);
      return {};
    default:
      throw new Error(`unknown pipeline task ${JSON.stringify((task as { action?: unknown }).action)}`);
  }
}

async function manifestOf(lake: ObjectStore, key: string, dataset: string, batchId: string): Promise<Manifest> {
  const m = await readManifest(lake, key);
  if (!m) throw new Error(`no manifest at ${key} in ${lake.name}`);
  if (m.batchId !== batchId || m.dataset !== dataset) throw new Error(`manifest ${key} is for ${m.dataset} batch ${m.batchId}, not ${dataset} batch ${batchId}`);
  return m;
}
