import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { MergePlan } from '#src/pipeline/planMerge.ts';
// @ts-expect-error plain JS build script, no type declarations
import { buildFunctions, buildLayer } from '../scripts/build.mjs';
import { ingestFile, SHARED_DATA, tempDir, tempLake } from './helpers.ts';

describe('the plan function, bundled as template.yaml says', () => {
  it('queues batches, lets one execution lead the merge, and plans ONE merge of every pending batch for the stage databases', async () => {
    const lake = await tempLake();
    const payments = join(SHARED_DATA, 'olist/sample_bravida/olist_order_payments_dataset.csv');
    const first = await ingestFile(lake, payments, 'olist_order_payments', 'a.csv');
    const second = await ingestFile(lake, payments, 'olist_order_payments', 'b.csv');
    const dir = await tempDir();
    const layer = await buildLayer(join(dir, 'opt'));
    const fn = (await buildFunctions(join(dir, 'dist'))).find((f: { id: string }) => f.id === 'PlanFunction');
    Object.assign(process.env, {
      LAKE_BUCKET: 'lake', CONTRACTS_DIR: join(layer, 'contracts'), LANDFALL_LOCAL_LAKE: lake.root,
      RAW_DATABASE: 'landfall_dev_raw', CURATED_DATABASE: 'landfall_dev_curated', SUMMARY_DATABASE: 'landfall_dev_summary',
      ANALYTICS_DATABASE: 'landfall_dev_analytics',
    });
    const { handler } = await import(pathToFileURL(fn.outfile).href);
    const enqueue = (r: typeof first, holder: string) =>
      handler({ action: 'enqueue', batch: { dataset: 'olist_order_payments', batchId: r.manifest.batchId, manifestKey: r.manifestKey }, holder });

    expect(await enqueue(first, 'run-1')).toEqual({ lead: true });
    // The second batch's execution finds the lease taken: it ends, and run-1 takes its batch.
    expect(await enqueue(second, 'run-2')).toEqual({ lead: false });
    await expect(handler({ action: 'take', dataset: 'olist_order_payments', holder: 'run-2' })).rejects.toThrow(/held by run-1, not run-2/);

    const plan = (await handler({ action: 'take', dataset: 'olist_order_payments', holder: 'run-1' })) as MergePlan;
    expect(plan).toMatchObject({ dataset: 'olist_order_payments', run: true });
    const ids = plan.batches.map((b) => b.batchId);
    expect(plan.taken.sort()).toEqual([first.manifest.batchId, second.manifest.batchId].map((id) => `olist_order_payments/${id}`).sort());
    expect(plan.merges.map((m) => m.name)).toEqual(['merge:curated.olist_order_payments']);
    expect(plan.merges[0].sql).toMatch(/^MERGE INTO landfall_dev_curated\.olist_order_payments AS t/);
    expect(plan.merges[0].sql).toContain(`_batch_id IN ('${ids[0]}', '${ids[1]}')`);
    expect(plan.summaries.map((s) => s.name)).toEqual(['summary:summary.olist_delivery_daily']);
    expect(plan.ddl.map((s) => s.name)).toContain('ddl:raw.olist_order_payments');
    expect(plan.ddl.every((s) => !s.sql.startsWith('CREATE SCHEMA'))).toBe(true);
    expect(plan.metricData).toContainEqual({ MetricName: 'RowsIngested', Unit: 'Count', Value: 2 * 8924, Dimensions: [{ Name: 'Dataset', Value: 'olist_order_payments' }] });
    expect(plan.metricData).toContainEqual({ MetricName: 'BatchesMerged', Unit: 'Count', Value: 2, Dimensions: [{ Name: 'Dataset', Value: 'olist_order_payments' }] });

    expect(await handler({ action: 'finish', dataset: 'olist_order_payments', holder: 'run-1', taken: plan.taken })).toEqual({ more: false });
    // Merged batches are not queued again by a replayed execution, and the lease is free for the next run.
    expect(await enqueue(first, 'run-3')).toEqual({ lead: false });
    const empty = (await handler({ action: 'take', dataset: 'olist_order_payments', holder: 'run-3' })) as MergePlan;
    expect(empty).toMatchObject({ run: false, taken: [], metricData: [] });
    await expect(enqueue({ ...first, manifestKey: second.manifestKey }, 'run-4')).rejects.toThrow(/is for olist_order_payments batch/);
  });
});
