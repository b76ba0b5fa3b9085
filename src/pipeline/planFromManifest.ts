import type { Contract } from '../contracts/contract.ts';
import { readManifest } from '../convert/manifest.ts';
import type { ObjectStore } from '../ports.ts';
import { planBatch, type PipelinePlan } from './planBatch.ts';
import type { CatalogNames, SqlDialect } from './sqlDialect.ts';

export interface PlanContext {
  lake: ObjectStore;
  contracts: Contract[];
  dialect: SqlDialect;
  names: CatalogNames;
  /** Crawler name for a dataset (one crawler for all raw tables on AWS). */
  crawler: (dataset: string) => string;
}

/** The PlanBatch task: the state machine's input names a manifest; the plan says what to run for it. */
export async function planFromManifest(ctx: PlanContext, input: { dataset: string; batchId: string; manifestKey: string }): Promise<PipelinePlan> {
  const manifest = await readManifest(ctx.lake, input.manifestKey);
  if (!manifest) throw new Error(`no manifest at ${input.manifestKey} in ${ctx.lake.name}`);
  if (manifest.batchId !== input.batchId || manifest.dataset !== input.dataset) {
    throw new Error(`manifest ${input.manifestKey} is for ${manifest.dataset} batch ${manifest.batchId}, not ${input.dataset} batch ${input.batchId}`);
  }
  return planBatch({ contracts: ctx.contracts, dialect: ctx.dialect, names: ctx.names, crawler: ctx.crawler(manifest.dataset) }, manifest);
}
