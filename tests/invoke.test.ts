import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA, tempDir } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/landfall.mjs', import.meta.url));
const EVENTS = fileURLToPath(new URL('../events', import.meta.url));

/** Which function (or the state machine) each sample event is for; every file in events/ must be listed. */
const TARGET: Record<string, string> = {
  's3-put-csv.json': 'IngestFunction',
  's3-put-gzip.json': 'IngestFunction',
  's3-complete-multipart.json': 'IngestFunction',
  's3-put-encoded-key.json': 'IngestFunction',
  's3-put-no-contract.json': 'IngestFunction',
  'sqs-landing.json': 'IngestFunction',
  'sqs-s3-test-event.json': 'IngestFunction',
  'convert-publish.json': 'ConvertFunction',
  'plan-enqueue.json': 'PlanFunction',
  'plan-take.json': 'PlanFunction',
  'freshness-schedule.json': 'FreshnessFunction',
  'pipeline-input.json': 'PipelineStateMachine',
  'pipeline-merge-run.json': 'PipelineStateMachine',
};

const LANDING: Record<string, string> = {
  'olist_orders/olist_orders_dataset.csv': 'olist/sample_bravida/olist_orders_dataset.csv',
  'ad_clicks/train_sample.csv.gz': 'adtech/talkingdata/train_sample.csv.gz',
  'olist_geolocation/olist_geolocation_dataset.csv.gz': 'olist/sample_bravida/olist_geolocation_dataset.csv.gz',
  'olist_order_reviews/2018 09/avaliações de setembro (v2).csv': 'olist/sample_bravida/olist_order_reviews_dataset.csv',
  'uploads/mystery export.csv': 'retailrocket/category_tree.csv',
};

async function landfall(...args: string[]) {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { maxBuffer: 1 << 26 });
  return { stdout, stderr };
}

describe('landfall invoke: every sample event in events/ is accepted by its handler, run natively as Lambda would', () => {
  let lake: string;
  beforeAll(async () => {
    lake = await tempDir();
    for (const [key, file] of Object.entries(LANDING)) {
      await mkdir(dirname(join(lake, 'landing', key)), { recursive: true });
      await copyFile(join(SHARED_DATA, file), join(lake, 'landing', key));
    }
  });

  it('lists a target for every event file', async () => {
    const files = (await readdir(EVENTS)).filter((f) => f.endsWith('.json') && f !== 'env.json');
    expect(files.sort()).toEqual(Object.keys(TARGET).sort());
  });

  // In order: the plan and the state machine read the manifest the first ingest publishes.
  it.each(Object.entries(TARGET))('%s -> %s', async (event, target) => {
    const { stdout, stderr } = await landfall('invoke', target, '--event', join(EVENTS, event), '--lake', lake);
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    if (target === 'IngestFunction' && event.startsWith('s3-'))
      expect(result[0]).toMatchObject({ status: event.includes('no-contract') ? 'unmatched' : 'published' });
    if (event.startsWith('sqs-')) expect(result).toEqual({ batchItemFailures: [] });
    if (target === 'ConvertFunction')
      expect(result).toMatchObject({
        status: 'published',
        manifestKey: 'manifests/olist_orders/b114aa6e6951410800c29.json',
      });
    // Each invoke is a process of its own (a lease of its own): the queued batch is planned by the next one.
    if (event === 'plan-enqueue.json') expect(result).toEqual({ lead: true });
    if (event === 'plan-take.json')
      expect(result).toMatchObject({
        dataset: 'olist_customers',
        run: true,
        taken: ['olist_orders/b114aa6e6951410800c29'],
      });
    if (target === 'FreshnessFunction') expect(result).toEqual([]);
    // The batch's execution queues it and leads the merge; the merge run after it finds nothing left to take.
    if (event === 'pipeline-input.json') expect(result.steps).toContain('merge:curated.olist_orders');
    if (event === 'pipeline-merge-run.json') expect(result.steps).toEqual(['TakePending', 'FinishRound']);
    if (target !== 'PipelineStateMachine') expect(stderr).toContain(`invoking ${target}`);
  });
});
