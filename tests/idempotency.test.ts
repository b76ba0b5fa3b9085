/**
 * The idempotency records behind exactly-once ingest: the folder store (local) keeps Powertools' conditions
 * across processes, and on AWS the ingest function sends exactly these DynamoDB requests (DynamoDB itself
 * cannot run here, so its client is the one mock, and its requests are asserted).
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { S3Event } from 'aws-lambda';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ingestS3Event } from '#src/wiring/events.ts';
import { idempotencyFromConfig } from '#src/wiring/aws.ts';
import { ingestContext } from '#src/wiring/local.ts';
import { readManifest } from '#src/ingest/manifest.ts';
import { duck, listKeys, rows, SHARED_DATA, tempDir, tempLake, until, landedParquet } from './helpers.ts';

const TSX = fileURLToPath(new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url));
const WORKER = fileURLToPath(new URL('./fixtures/idempotencyWorker.ts', import.meta.url));
const INGEST_WORKER = fileURLToPath(new URL('./fixtures/ingestWorker.ts', import.meta.url));

describe('idempotency records', () => {
  it('the folder store lets one of three processes run a key; the others see it in progress, then its result', async () => {
    const dir = await tempDir();
    const run = (who: string) =>
      promisify(execFile)(process.execPath, ['--import', TSX, WORKER, dir, who]).then(
        (r) => JSON.parse(r.stdout.trim().split('\n').pop()!) as { by?: string; error?: string },
      );
    // All three wait at a barrier, then try at once; the one that runs holds the key until the other two answered.
    const workers = ['a', 'b', 'c'].map(run);
    await until(async () => (await readdir(dir)).filter((f) => f.startsWith('ready-')).length === 3);
    await writeFile(join(dir, 'go'), '');
    const answered: { by?: string; error?: string }[] = [];
    for (const w of workers) void w.then((o) => answered.push(o));
    await until(async () => answered.length === 2);
    expect(answered).toEqual([
      { error: 'IdempotencyAlreadyInProgressError' },
      { error: 'IdempotencyAlreadyInProgressError' },
    ]);
    await writeFile(join(dir, 'release'), '');
    const outs = await Promise.all(workers);
    const ran = (await readFile(join(dir, 'ran'), 'utf8')).trim().split('\n');
    expect(ran).toHaveLength(1);
    expect(outs.filter((o) => o.by === ran[0])).toHaveLength(1);
    // Afterwards, the stored result, without running again.
    expect(await run('d')).toEqual({ by: ran[0] });
    expect((await readFile(join(dir, 'ran'), 'utf8')).trim().split('\n')).toEqual(ran);
  }, 60_000);

  it('a process killed mid-conversion leaves its record in progress; a retry waits, and one after it lapsed takes over', async () => {
    const lake = await tempLake();
    const key = 'ad_clicks/train_sample.csv';
    await mkdir(join(lake.landing.root, 'ad_clicks'), { recursive: true });
    await copyFile(join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'), lake.landing.path(key));
    const invoke = (offsetMs: number, ...mode: string[]) =>
      spawn(process.execPath, ['--import', TSX, INGEST_WORKER, lake.root, key, String(offsetMs), ...mode]);
    const answer = async (child: ChildProcess) => {
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      return JSON.parse(out.trim().split('\n').pop()!) as {
        status: string;
        alreadyIngested?: boolean;
        rowsWritten: number;
        manifest: string;
      };
    };

    // The first invocation dies half-way through the object: SIGKILL, as when Lambda's sandbox is torn down.
    const first = invoke(0, 'freeze');
    await until(async () => existsSync(join(lake.root, 'frozen')));
    first.kill('SIGKILL');
    await once(first, 'exit');
    expect(await readdir(lake.lake.path('staging/ad_clicks'))).toHaveLength(1);
    expect(existsSync(lake.lake.path('manifests'))).toBe(false);

    // A retry while the record is still in progress (its 10 minutes have not passed) does nothing.
    expect(await answer(invoke(0))).toMatchObject({ status: 'in-progress-elsewhere', rowsWritten: 0 });
    expect(existsSync(lake.lake.path('manifests'))).toBe(false);

    // Lambda's retry after the invocation's time: the stale record is taken over and the object converted once.
    const retried = await answer(invoke(601_000));
    expect(retried).toMatchObject({ status: 'published', rowsWritten: 100_000 });
    expect(retried.alreadyIngested).toBeFalsy();
    const conn = await duck();
    const [golden] = await rows(
      conn,
      `SELECT count(*)::INT AS n, sum(ip)::BIGINT AS s FROM read_csv('${join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv')}')`,
    );
    const m = (await readManifest(lake.lake, retried.manifest))!;
    const [landed] = await rows(
      conn,
      `SELECT count(*)::INT AS n, sum(ip)::BIGINT AS s FROM ${landedParquet(lake.lake, m)}`,
    );
    expect(landed).toEqual(golden);
    expect(await listKeys(lake.lake, 'staging/')).toEqual([]);

    // And later deliveries get that result back.
    expect(await answer(invoke(0))).toMatchObject({ status: 'published', alreadyIngested: true, rowsWritten: 100_000 });
  }, 90_000);

  it('on AWS: one conditional PutItem (in progress, lapsing with the invocation), then the summary saved', async () => {
    expect(
      idempotencyFromConfig({
        landingBucket: 'l',
        lakeBucket: 'k',
        contractsDir: '.',
        idempotencyTable: 'landfall-dev-idempotency',
      }),
    ).toBeInstanceOf(DynamoDBPersistenceLayer);
    const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const sent: { command: string; input: Record<string, unknown> }[] = [];
    client.send = (async (c: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ command: c.constructor.name, input: c.input });
      return {};
    }) as never;
    const layer = new DynamoDBPersistenceLayer({ tableName: 'landfall-dev-idempotency', awsSdkV3Client: client });

    const lake = await tempLake({ threads: 1 });
    const key = 'olist_orders/olist_orders_dataset.csv';
    await mkdir(join(lake.landing.root, 'olist_orders'), { recursive: true });
    await copyFile(join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv'), lake.landing.path(key));
    const event = {
      Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'landing' }, object: { key } } }],
    } as unknown as S3Event;
    const before = Date.now();
    const [summary] = await ingestS3Event(ingestContext(lake), event, {
      idempotency: layer,
      remainingMs: () => 600_000,
    });
    expect(summary.status).toBe('published');

    expect(sent.map((s) => s.command)).toEqual(['PutItemCommand', 'UpdateItemCommand']);
    const info = (await lake.landing.head(key))!;
    const id = `landfall-ingest#${createHash('md5')
      .update(JSON.stringify(['landing', key, info.etag, null]))
      .digest('base64')}`;
    const put = sent[0].input as { TableName: string; Item: Record<string, never>; ConditionExpression: string };
    expect(put.TableName).toBe('landfall-dev-idempotency');
    const item = unmarshall(put.Item);
    expect(item).toMatchObject({ id, status: 'INPROGRESS' });
    expect(item.in_progress_expiration).toBeGreaterThanOrEqual(before + 600_000);
    expect(item.in_progress_expiration).toBeLessThan(before + 600_000 + 60_000);
    expect(item.expiration).toBeGreaterThan(before / 1000 + 23 * 3600);
    expect(put.ConditionExpression).toBe(
      'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)',
    );
    const update = sent[1].input as { Key: Record<string, never>; ExpressionAttributeValues: Record<string, never> };
    expect(unmarshall(update.Key)).toEqual({ id });
    const values = unmarshall(update.ExpressionAttributeValues);
    expect(values[':status']).toBe('COMPLETED');
    expect(values[':response_data']).toMatchObject({ key, status: 'published', rowsWritten: summary.rowsWritten });
  }, 60_000);
});
