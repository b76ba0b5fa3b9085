import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PipelinePlan } from '#src/pipeline/planBatch.ts';
// @ts-expect-error plain JS build script, no type declarations
import { buildFunctions, buildLayer } from '../scripts/build.mjs';
import { ingestFile, SHARED_DATA, tempDir, tempLake } from './helpers.ts';

describe('the plan function, bundled as template.yaml says', () => {
  it('reads the batch manifest and returns the Athena SQL for the stage databases', async () => {
    const lake = await tempLake();
    const r = await ingestFile(lake, join(SHARED_DATA, 'olist/sample_bravida/olist_order_payments_dataset.csv'), 'olist_order_payments');
    const dir = await tempDir();
    const layer = await buildLayer(join(dir, 'opt'));
    const fn = (await buildFunctions(join(dir, 'dist'))).find((f: { id: string }) => f.id === 'PlanFunction');
    Object.assign(process.env, {
      LAKE_BUCKET: 'lake', CONTRACTS_DIR: join(layer, 'contracts'), LANDFALL_LOCAL_LAKE: lake.root,
      RAW_DATABASE: 'landfall_dev_raw', CURATED_DATABASE: 'landfall_dev_curated', SUMMARY_DATABASE: 'landfall_dev_summary',
      ANALYTICS_DATABASE: 'landfall_dev_analytics', RAW_CRAWLER: 'landfall-dev-raw',
    });
    const { handler } = await import(pathToFileURL(fn.outfile).href);
    const plan = (await handler({ dataset: 'olist_order_payments', batchId: r.manifest.batchId, manifestKey: r.manifestKey })) as PipelinePlan;
    expect(plan).toMatchObject({ dataset: 'olist_order_payments', run: true, crawler: 'landfall-dev-raw', metrics: { rowsWritten: 8924, merged: 1, thresholdExceeded: 0 } });
    expect(plan.merge.sql).toMatch(/^MERGE INTO landfall_dev_curated\.olist_order_payments AS t/);
    expect(plan.summaries.map((s) => s.name)).toEqual(['summary:summary.olist_delivery_daily']);
    expect(plan.ddl.map((s) => s.name)).toContain('ddl:raw.olist_order_payments');
    expect(plan.ddl.every((s) => !s.sql.startsWith('CREATE SCHEMA'))).toBe(true);
    await expect(handler({ dataset: 'olist_orders', batchId: r.manifest.batchId, manifestKey: r.manifestKey })).rejects.toThrow(/is for olist_order_payments/);
  });
});
