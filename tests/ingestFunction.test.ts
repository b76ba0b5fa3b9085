import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { S3Event } from 'aws-lambda';
import type { IngestSummary } from '#src/flow/objectCreated.ts';
// @ts-expect-error plain JS build script, no type declarations
import { buildFunctions, buildLayer } from '../scripts/build.mjs';
import { localEnvironment } from '#src/cli/invoke.ts';
import { readTemplate } from '#src/cli/samTemplate.ts';
import { lakeAt, SHARED_DATA, tempDir } from './helpers.ts';

/** Real files behind the keys of the sample events in events/ (the keys are what S3 would send, URL-encoded). */
const FILES: Record<string, string> = {
  'olist_orders/olist_orders_dataset.csv': 'olist/sample_bravida/olist_orders_dataset.csv',
  'ad_clicks/train_sample.csv.gz': 'adtech/talkingdata/train_sample.csv.gz',
  'olist_geolocation/olist_geolocation_dataset.csv.gz': 'olist/sample_bravida/olist_geolocation_dataset.csv.gz',
  'olist_order_reviews/2018 09/avaliações de setembro (v2).csv': 'olist/sample_bravida/olist_order_reviews_dataset.csv',
  'uploads/mystery export.csv': 'retailrocket/category_tree.csv',
};

const event = async (name: string) =>
  JSON.parse(await readFile(new URL(`../events/${name}`, import.meta.url), 'utf8')) as S3Event;

describe('the ingest function, bundled by esbuild as template.yaml says, run on the sample events', () => {
  let handler: (e: S3Event) => Promise<IngestSummary[]>;
  let lakeRoot: string;

  beforeAll(async () => {
    const dir = await tempDir();
    const layer = await buildLayer(join(dir, 'opt'));
    const [fn] = await buildFunctions(join(dir, 'dist'));
    lakeRoot = join(dir, 'lake');
    lakeAt(lakeRoot); // its manifests are reconciled against their files after each test
    for (const [key, file] of Object.entries(FILES)) {
      const dest = join(lakeRoot, 'landing', key);
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(join(SHARED_DATA, file), dest);
    }
    // The function's environment as template.yaml (and events/env.json) give it, the layer's files under `layer`.
    Object.assign(process.env, {
      ...(await localEnvironment(await readTemplate(), 'IngestFunction', lakeRoot, { layerDir: layer })),
      POWERTOOLS_DEV: 'true',
    });
    ({ handler } = await import(pathToFileURL(fn.outfile).href));
  });

  it('converts a plain CSV put', async () => {
    const [r] = await handler(await event('s3-put-csv.json'));
    expect(r).toMatchObject({
      dataset: 'olist_orders',
      status: 'published',
      rowsRead: 8135,
      rowsWritten: 8135,
      rowsRejected: 0,
      files: 1,
    });
  });

  it('converts a gzip put', async () => {
    const [r] = await handler(await event('s3-put-gzip.json'));
    expect(r).toMatchObject({ dataset: 'ad_clicks', rowsWritten: 100000 });
  });

  it('converts an object completed by multipart upload', async () => {
    const [r] = await handler(await event('s3-complete-multipart.json'));
    expect(r).toMatchObject({ dataset: 'olist_geolocation', rowsWritten: 45928 });
  });

  it('decodes URL-encoded keys with spaces and unicode', async () => {
    const [r] = await handler(await event('s3-put-encoded-key.json'));
    expect(r).toMatchObject({
      key: 'olist_order_reviews/2018 09/avaliações de setembro (v2).csv',
      dataset: 'olist_order_reviews',
      rowsWritten: 8225,
    });
  });

  it('quarantines an object no contract claims', async () => {
    const [r] = await handler(await event('s3-put-no-contract.json'));
    expect(r).toMatchObject({ dataset: '_unmatched', status: 'unmatched', files: 0 });
  });

  it('does nothing twice when S3 delivers the same event again', async () => {
    const [r] = await handler(await event('s3-put-csv.json'));
    expect(r).toMatchObject({ alreadyIngested: true, rowsWritten: 8135 });
  });

  it('ingests the object of a landing queue message (an S3 event in an SQS message)', async () => {
    const response = (await (handler as unknown as (e: unknown) => Promise<unknown>)(
      await event('sqs-landing.json'),
    )) as { batchItemFailures: unknown[] };
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it("acknowledges S3's test event, sent when the bucket notification is set up", async () => {
    const response = await (handler as unknown as (e: unknown) => Promise<unknown>)(
      await event('sqs-s3-test-event.json'),
    );
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('reports a message it cannot ingest back to SQS, which delivers it again and then moves it to the dead-letter queue', async () => {
    const e = JSON.parse(JSON.stringify(await event('sqs-landing.json')));
    e.Records[0].body = '{"not":"an S3 event"}';
    const gone = JSON.parse(JSON.stringify(await event('sqs-landing.json')));
    gone.Records[0].messageId = 'b2';
    gone.Records[0].body = gone.Records[0].body.replace('olist_orders_dataset.csv', 'deleted-before-it-was-read.csv');
    const response = await (handler as unknown as (e: unknown) => Promise<unknown>)({
      Records: [...e.Records, ...gone.Records],
    });
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: '059f36b4-87a3-44ab-83d2-661975830a7d' }, { itemIdentifier: 'b2' }],
    });
  });

  it('refuses an event from another bucket', async () => {
    const e = await event('s3-put-csv.json');
    e.Records[0].s3.bucket.name = 'someone-elses-bucket';
    await expect(handler(e)).rejects.toThrow(/this function ingests landfall-landing-local/);
  });
});
