import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbEngine } from '#src/adapters/local/DuckDbEngine.ts';
import { settled } from '#src/ingest/ingestObject.ts';
import { PipelineFailedError } from '#src/pipeline/errors.ts';
import { runPipelineLocally } from '#src/adapters/local/localPipeline.ts';
import { ingestFile, SHARED_DATA, tempLake } from './helpers.ts';

describe('a failing pipeline step', () => {
  it('ends the run with the step named, publishes PipelineFailed, raises the alarm, and keeps what was merged', async () => {
    const lake = await tempLake();
    const engine = await DuckDbEngine.open(lake.root);
    try {
      const r = await ingestFile(
        lake,
        join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv'),
        'olist_orders',
      );
      const emf: string[] = [];
      const deps = {
        lake: lake.lake,
        contracts: lake.contracts,
        engine,
        now: () => new Date('2026-11-22T12:00:00Z'),
        emit: (l: string) => emf.push(l),
        // A summary whose SQL is broken: the step after the merge fails.
        rewriteSql: (step: string, sql: string) =>
          step === 'summary:summary.olist_delivery_daily'
            ? sql.replace('count(*) AS orders', 'count(no_such_column) AS orders')
            : sql,
      };
      const input = { dataset: 'olist_orders', batchId: r.manifest.batchId, manifestKey: r.manifestKey };
      const failure = await runPipelineLocally(deps, input).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(PipelineFailedError);
      const e = failure as PipelineFailedError;
      expect(e.error).toBe('States.TaskFailed');
      expect(e.causeText).toMatch(/^summary:summary\.olist_delivery_daily: .*no_such_column/);
      expect(e.alarms).toEqual([
        {
          name: 'pipeline-failed',
          dataset: 'olist_orders',
          detail: expect.stringContaining('summary:summary.olist_delivery_daily'),
        },
      ]);
      const failed = emf.map((l) => JSON.parse(l)).filter((m) => m.PipelineFailed === 1);
      expect(failed.map((m) => m.Dataset ?? null)).toEqual([null, 'olist_orders']);
      expect(failed[0]._aws.CloudWatchMetrics[0]).toEqual({
        Namespace: 'Landfall',
        Dimensions: [[]],
        Metrics: [{ Name: 'PipelineFailed', Unit: 'Count' }],
      });
      // The merge ran before the failing summary and is kept.
      expect((await engine.query('SELECT count(*) AS n FROM curated.olist_orders')).rows).toEqual([{ n: '8135' }]);

      // Fixed, the same batch runs through, and the merge changes nothing.
      const ok = await runPipelineLocally({ ...deps, rewriteSql: undefined }, input);
      expect(ok.steps).toContain('summary:summary.olist_delivery_daily');
      expect((await engine.query('SELECT count(*) AS n FROM curated.olist_orders')).rows).toEqual([{ n: '8135' }]);
    } finally {
      await engine.close();
    }
  });

  it('the CLI prints the failure, the alarm and what to do, and exits non-zero', async () => {
    const { LocalPipelineRunner } = await import('#src/cli/pipelineRunner.ts');
    const lake = await tempLake();
    const runner = await LocalPipelineRunner.open(lake);
    try {
      await runner.engine.run('CREATE SCHEMA IF NOT EXISTS curated');
      // A curated table whose shape no longer fits the contract: the DDL is skipped (IF NOT EXISTS), the MERGE fails.
      await runner.engine.run('CREATE TABLE curated.retailrocket_category_tree (category_id BIGINT)');
      const r = await ingestFile(
        lake,
        join(SHARED_DATA, 'retailrocket/category_tree.csv'),
        'retailrocket_category_tree',
      );
      expect((await runner.afterIngest(settled(r))).lines).toEqual([
        '  pipeline:   queued for the merge run of retailrocket_category_tree',
      ]);
      const report = await runner.mergeWaiting();
      expect(report.failed).toBe(true);
      expect(report.lines[0]).toMatch(
        /PIPELINE FAILED \(States\.TaskFailed\): merge:curated\.retailrocket_category_tree: /,
      );
      expect(report.lines.some((l) => /ALARM pipeline-failed retailrocket_category_tree/.test(l))).toBe(true);
      expect(await readFile(join(lake.root, 'alarms.log'), 'utf8')).toMatch(
        /ALARM pipeline-failed retailrocket_category_tree/,
      );
    } finally {
      await runner.close();
    }
  });

  it('a batch over its reject threshold is merged and raises the reject-ratio alarm', async () => {
    const { LocalPipelineRunner } = await import('#src/cli/pipelineRunner.ts');
    const { writeFile } = await import('node:fs/promises');
    const lake = await tempLake();
    const runner = await LocalPipelineRunner.open(lake);
    try {
      const file = join(lake.root, 'clicks.csv');
      await writeFile(
        file,
        'ip,app,device,os,channel,click_time,attributed_time,is_attributed\n1,2,3,4,5,2017-11-07 09:30:38,,0\n1,x,3,4,5,2017-11-07 09:30:38,,0\n',
      );
      const r = await ingestFile(lake, file, 'ad_clicks');
      await runner.afterIngest(settled(r));
      const report = await runner.mergeWaiting();
      expect(report.failed).toBe(false);
      expect(report.lines).toContain('  ALARM reject-ratio ad_clicks 50.0% > 0.10%');
      expect((await runner.engine.query('SELECT count(*) AS n FROM curated.ad_clicks')).rows).toEqual([{ n: '1' }]);
    } finally {
      await runner.close();
    }
  });
});
