import { createHash } from 'node:crypto';
import type { Contract } from '../contracts/contract.ts';
import { readManifest, type Manifest } from '../ingest/manifest.ts';
import type { ObjectStore, PipelineStarter } from '../ports.ts';
import { columnRanges, prunableColumns, scopeColumns, timePartition, type ColumnRange } from './columnRanges.ts';
import { readJson, type MergeQueue, type TakenBatch } from './mergeQueue.ts';
import { discoveryTargets, maintenanceSteps, planMerge, type MaintenanceStep, type MergePlan } from './planMerge.ts';
import type { CatalogNames, SqlDialect } from './sqlDialect.ts';

export interface PlanContext {
  lake: ObjectStore;
  contracts: Contract[];
  dialect: SqlDialect;
  names: CatalogNames;
  queue: MergeQueue;
  /** Starts merge runs (the daily maintenance request kicks every group's run); absent locally. */
  starter?: PipelineStarter;
  /**
   * Remember DDL that ran (`pipeline/_ddl/<hash>`) and plan it only once per distinct statement (on AWS, where the
   * Glue catalog keeps the tables). Locally the warehouse file can be deleted on its own, so DDL always runs.
   */
  rememberDdl?: boolean;
  /** The lake as Glue crawls it (`s3://bucket`); absent locally, where no crawler runs. */
  lakeUri?: string;
}

/** The plan function's tasks in the state machine; `holder` is the execution's name (`$$.Execution.Name`). */
export type PipelineTask =
  /**
   * A batch the state machine published (handed off by the ingest function), or one to merge again (`again`:
   * landfall replay): queue it, and lead its dataset's merge if free. `batch` is the execution's input.
   */
  | {
      action: 'enqueue';
      batch: { dataset: string; batchId: string; manifestKey: string; again?: boolean };
      holder: string;
    }
  /** The next round of a merge run: every pending batch of the dataset's group (up to the cap), planned as one merge per dataset. */
  | { action: 'take'; dataset: string; holder: string }
  /** The round's batches are merged (and its DDL ran): record it, give the lease up, and say whether more batches wait. */
  | {
      action: 'finish';
      dataset: string;
      holder: string;
      taken: TakenBatch[];
      ddl?: string[];
      maintained?: boolean;
      rounds?: number;
      /** When the execution started ($$.Execution.StartTime). */
      startedAt?: string;
    }
  /** The run failed: give the lease up so that the next batch starts a new run (its batches stay pending). */
  | { action: 'release'; dataset: string; holder: string }
  /** The daily schedule: every merge group's next round maintains its tables; a run is started for each group. */
  | { action: 'schedule-maintenance' };

export async function handlePipelineTask(
  ctx: PlanContext,
  task: PipelineTask,
): Promise<{ lead: boolean } | MergePlan | { more: boolean } | object> {
  switch (task.action) {
    case 'enqueue': {
      const { dataset, batchId, manifestKey, again } = task.batch;
      const m = await manifestOf(ctx.lake, manifestKey, dataset, batchId);
      if (m.status === 'unmatched') return { lead: false };
      const b = { dataset, batchId, manifestKey };
      let queued: 'pending' | 'already-merged' = 'pending';
      if (again) await ctx.queue.requeue(b);
      else queued = await ctx.queue.enqueue(b);
      return { lead: queued === 'pending' && (await ctx.queue.lead(dataset, task.holder)) };
    }
    case 'take': {
      const pending = await ctx.queue.take(task.dataset, task.holder);
      const manifests = await Promise.all(
        pending.map((p) => manifestOf(ctx.lake, p.manifestKey, p.dataset, p.batchId)),
      );
      const group = ctx.queue.groups(task.dataset);
      const options = { contracts: ctx.contracts, dialect: ctx.dialect, names: ctx.names };
      let maintenance: MaintenanceStep[] | undefined;
      if (await ctx.queue.maintenanceDue(task.dataset)) {
        // Only tables that exist can be maintained: on AWS those whose DDL ran (a dataset that never had a batch has none).
        maintenance = [];
        for (const m of maintenanceSteps(options, group.datasets))
          if (!ctx.rememberDdl || !m.ddl || (await ctx.lake.head(ddlKey(m.ddl)))) maintenance.push(m);
      }
      const ranges = await roundRanges(ctx, manifests);
      // A round that failed half-way captured old summary keys under its id: the next attempt keeps using it.
      const open = await readJson<{ round: string }>(ctx.lake, roundKey(group.name));
      const round = open?.round ?? `${task.holder}-${Date.now().toString(36)}`;
      if (!open) await ctx.lake.put(roundKey(group.name), JSON.stringify({ round }));
      let plan = planMerge(options, group.name, manifests, { maintenance, ranges, round });
      if (ctx.lakeUri && (await ctx.queue.takeDiscovery(plan.batches.some((b) => b.drift)))) {
        plan = { ...plan, crawl: { start: true, targets: discoveryTargets(ctx.contracts, ctx.lakeUri) } };
      }
      if (!ctx.rememberDdl) return plan;
      const ddl = [];
      for (const s of plan.ddl) if (!(await ctx.lake.head(ddlKey(s.sql)))) ddl.push(s);
      return { ...plan, ddl, ddlKeys: ddl.map((s) => ddlKey(s.sql)) };
    }
    case 'schedule-maintenance': {
      const groups = [...new Set(ctx.contracts.map((c) => ctx.queue.groups(c.dataset).name))].sort();
      const started: string[] = [];
      for (const g of groups) {
        await ctx.queue.requestMaintenance(g);
        if (ctx.starter && (await ctx.queue.kick(g, ctx.starter)) === 'merge-started') started.push(g);
      }
      return { groups, started };
    }
    case 'finish':
      await ctx.lake.delete(roundKey(ctx.queue.groups(task.dataset).name));
      for (const key of task.ddl ?? []) {
        if (!/^pipeline\/_ddl\/[0-9a-f]{32}$/.test(key)) throw new Error(`not a DDL record: ${key}`);
        await ctx.lake.put(key, '');
      }
      {
        const r = await ctx.queue.finish(task.dataset, task.holder, task.taken, task.maintained === true);
        const old = task.startedAt !== undefined && Date.now() - Date.parse(task.startedAt) > MAX_RUN_MS;
        if (!r.more || ((task.rounds ?? 0) + 1 < MAX_ROUNDS_PER_RUN && !old) || !ctx.starter) return r;
        // Many rounds or hours in: a new execution goes on with the batches still waiting (this one's history would
        // fill up, or it would time out).
        await ctx.queue.release(task.dataset, task.holder);
        return { more: false, handedOver: await ctx.queue.kick(task.dataset, ctx.starter) };
      }
    case 'release':
      await ctx.queue.release(task.dataset, task.holder);
      return {};
    default:
      throw new Error(`unknown pipeline task ${JSON.stringify((task as { action?: unknown }).action)}`);
  }
}

/**
 * Rounds one merge run takes before it hands over to a new execution: a round of a group of six datasets writes
 * about 170 history events, and an execution holds 25,000 (Step Functions quotas).
 */
export const MAX_ROUNDS_PER_RUN = 100;

/** How long a merge run keeps taking rounds before it hands over: half the state machine's 4-hour timeout. */
export const MAX_RUN_MS = 2 * 3_600_000;

/**
 * The range each published dataset's batches span in the columns a MERGE prunes by, splits by (a time partition's
 * source: no statement may write more than 100 partitions) or a summary is scoped by, from the raw files' footers
 * (no read at all for a dataset with none of them).
 */
async function roundRanges(ctx: PlanContext, manifests: Manifest[]): Promise<Map<string, ColumnRange[]>> {
  const ranges = new Map<string, ColumnRange[]>();
  const published = manifests.filter((m) => m.status === 'published');
  for (const contract of ctx.contracts.filter((c) => published.some((m) => m.dataset === c.dataset))) {
    const files = published.filter((m) => m.dataset === contract.dataset).flatMap((m) => m.files);
    const split = timePartition(contract)?.column;
    const columns = [
      ...new Set([
        ...prunableColumns(contract),
        ...scopeColumns(ctx.contracts, contract.dataset),
        ...(split ? [split] : []),
      ]),
    ];
    ranges.set(contract.dataset, await columnRanges(ctx.lake, contract, files, columns));
  }
  return ranges;
}

/** The round a group's run is in, until it finishes: its id tags the summary keys captured before its MERGEs. */
const roundKey = (group: string) => `pipeline/_rounds/${group}.json`;

/** Where the plan function records that a DDL statement ran: its text's hash. */
function ddlKey(sql: string): string {
  return `pipeline/_ddl/${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
}

async function manifestOf(lake: ObjectStore, key: string, dataset: string, batchId: string): Promise<Manifest> {
  const m = await readManifest(lake, key);
  if (!m) throw new Error(`no manifest at ${key} in ${lake.name}`);
  if (m.batchId !== batchId || m.dataset !== dataset)
    throw new Error(`manifest ${key} is for ${m.dataset} batch ${m.batchId}, not ${dataset} batch ${batchId}`);
  return m;
}
