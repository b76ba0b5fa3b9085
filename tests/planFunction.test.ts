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
      LAKE_BUCKET: 'lake',
      CONTRACTS_DIR: join(layer, 'contracts'),
      LANDFALL_LOCAL_LAKE: lake.root,
      RAW_DATABASE: 'landfall_dev_raw',
      CURATED_DATABASE: 'landfall_dev_curated',
      SUMMARY_DATABASE: 'landfall_dev_summary',
      ANALYTICS_DATABASE: 'landfall_dev_analytics',
    });
    const { handler } = await import(pathToFileURL(fn.outfile).href);
    const enqueue = (r: typeof first, holder: string) =>
      handler({
        action: 'enqueue',
        batch: { dataset: 'olist_order_payments', batchId: r.manifest.batchId, manifestKey: r.manifestKey },
        holder,
      });

    expect(await enqueue(first, 'run-1')).toEqual({ lead: true });
    // The second batch's execution finds the lease taken: it ends, and run-1 takes its batch.
    expect(await enqueue(second, 'run-2')).toEqual({ lead: false });
    await expect(handler({ action: 'take', dataset: 'olist_order_payments', holder: 'run-2' })).rejects.toThrow(
      /held by run-1, not run-2/,
    );

    const plan = (await handler({ action: 'take', dataset: 'olist_order_payments', holder: 'run-1' })) as MergePlan;
    // olist_order_payments merges with the other Olist datasets that feed its summaries: the group olist_customers.
    expect(plan).toMatchObject({ dataset: 'olist_customers', run: true });
    const ids = plan.batches.map((b) => b.batchId);
    expect(plan.taken.sort()).toEqual(
      [first.manifest.batchId, second.manifest.batchId].map((id) => `olist_order_payments/${id}`).sort(),
    );
    expect(plan.merges.map((m) => m.name)).toEqual(['merge:curated.olist_order_payments']);
    expect(plan.merges[0].statements[0].sql).toMatch(/^MERGE INTO landfall_dev_curated\.olist_order_payments AS t/);
    expect(plan.merges[0].statements[0].sql).toContain(`_batch_id IN ('${ids[0]}', '${ids[1]}')`);
    expect(plan.summaries.map((s) => s.name)).toEqual(['summary:summary.olist_delivery_daily']);
    expect(plan.ddl.map((s) => s.name)).toContain('ddl:raw.olist_order_payments');
    expect(plan.ddl.every((s) => !s.sql.startsWith('CREATE SCHEMA'))).toBe(true);
    expect(plan.metricData).toContainEqual({
      MetricName: 'RowsIngested',
      Unit: 'Count',
      Value: 2 * 8924,
      Dimensions: [{ Name: 'Dataset', Value: 'olist_order_payments' }],
    });
    expect(plan.metricData).toContainEqual({
      MetricName: 'RowsBlank',
      Unit: 'Count',
      Value: 0,
      Dimensions: [{ Name: 'Dataset', Value: 'olist_order_payments' }],
    });
    expect(plan.metricData).toContainEqual({
      MetricName: 'BatchesMerged',
      Unit: 'Count',
      Value: 2,
      Dimensions: [{ Name: 'Dataset', Value: 'olist_order_payments' }],
    });

    expect(plan.ddlKeys).toHaveLength(plan.ddl.length);
    expect(
      await handler({
        action: 'finish',
        dataset: 'olist_order_payments',
        holder: 'run-1',
        taken: plan.taken,
        ddl: plan.ddlKeys,
      }),
    ).toEqual({ more: false });
    // Merged batches are not queued again by a replayed execution, and the lease is free for the next run.
    expect(await enqueue(first, 'run-3')).toEqual({ lead: false });
    const empty = (await handler({ action: 'take', dataset: 'olist_order_payments', holder: 'run-3' })) as MergePlan;
    expect(empty).toMatchObject({ run: false, taken: [], metricData: [] });
    // The tables exist now: the next batch's round runs no DDL (each statement runs once, on AWS).
    await handler({ action: 'finish', dataset: 'olist_order_payments', holder: 'run-3', taken: [] });
    const third = await ingestFile(lake, payments, 'olist_order_payments', 'c.csv');
    expect(await enqueue(third, 'run-5')).toEqual({ lead: true });
    const next = (await handler({ action: 'take', dataset: 'olist_order_payments', holder: 'run-5' })) as MergePlan;
    expect(next).toMatchObject({ run: true, ddl: [], ddlKeys: [] });
    await expect(
      handler({
        action: 'finish',
        dataset: 'olist_order_payments',
        holder: 'run-5',
        taken: [],
        ddl: ['manifests/x.json'],
      }),
    ).rejects.toThrow(/not a DDL record/);
    expect(
      await handler({ action: 'finish', dataset: 'olist_order_payments', holder: 'run-5', taken: next.taken }),
    ).toEqual({ more: false });

    // The daily schedule: every group's next round maintains the tables that exist, then the request is done.
    const scheduled = await handler({ action: 'schedule-maintenance' });
    expect(scheduled.groups).toContain('olist_customers');
    expect(scheduled.started).toEqual([]); // no state machine to start runs of under LANDFALL_LOCAL_LAKE
    const maintain = (await handler({ action: 'take', dataset: 'olist_order_payments', holder: 'run-6' })) as MergePlan;
    expect(maintain).toMatchObject({ run: false, maintain: true, taken: [] });
    // The payments round created curated.olist_orders and both summaries too (its summaries and views read them);
    // olist_customers, olist_order_items, ... never had a table: nothing to maintain there.
    const tables = [
      'curated.olist_order_payments',
      'curated.olist_orders',
      'summary.olist_delivery_daily',
      'summary.olist_delivery_features',
    ];
    expect(maintain.maintenance.map((m) => m.sql)).toEqual(
      tables.flatMap((t) => [`OPTIMIZE landfall_dev_${t} REWRITE DATA USING BIN_PACK`, `VACUUM landfall_dev_${t}`]),
    );
    expect(maintain.metricData).toEqual([
      {
        MetricName: 'TablesMaintained',
        Unit: 'Count',
        Value: 4,
        Dimensions: [{ Name: 'Dataset', Value: 'olist_customers' }],
      },
    ]);
    expect(
      await handler({
        action: 'finish',
        dataset: 'olist_order_payments',
        holder: 'run-6',
        taken: [],
        maintained: true,
      }),
    ).toEqual({ more: false });
    expect(
      (await handler({ action: 'take', dataset: 'olist_order_payments', holder: 'run-7' })) as MergePlan,
    ).toMatchObject({ maintain: false, maintenance: [] });
    await expect(enqueue({ ...first, manifestKey: second.manifestKey }, 'run-4')).rejects.toThrow(
      /is for olist_order_payments batch/,
    );
  });
});
