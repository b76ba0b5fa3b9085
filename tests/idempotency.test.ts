/**
 * The idempotency records behind exactly-once ingest: the folder store (local) keeps Powertools' conditions
 * across processes, and on AWS the ingest function sends exactly these DynamoDB requests (DynamoDB itself
 * cannot run here, so its client is the one mock, and its requests are asserted).
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { S3Event } from 'aws-lambda';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ingestS3Event } from '#src/convert/objectCreated.ts';
import { idempotencyFromConfig } from '#src/wiring/aws.ts';
import { ingestContext } from '#src/wiring/local.ts';
import { SHARED_DATA, tempDir, tempLake } from './helpers.ts';

const TSX = fileURLToPath(new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url));
const WORKER = fileURLToPath(new URL('./fixtures/idempotencyWorker.ts', import.meta.url));

describe('idempotency records', () => {
  it('the folder store lets one of three processes run a key; the others see it in progress, then its result', async () => {
    const dir = await tempDir();
    const run = (who: string) => promisify(execFile)(process.execPath, ['--import', TSX, WORKER, dir, who])
      .then((r) => JSON.parse(r.stdout.trim().split('\n').pop()!));
    const outs = await Promise.all(['a', 'b', 'c'].map(run));
    const ran = (await readFile(join(dir, 'ran'), 'utf8')).trim().split('\n');
    expect(ran).toHaveLength(1);
    expect(outs.filter((o) => o.by === ran[0])).toHaveLength(1);
    expect(outs.filter((o) => o.error === 'IdempotencyAlreadyInProgressError')).toHaveLength(2);
    // Afterwards, the stored result.
    expect(await run('d')).toEqual({ by: ran[0] });
  }, 60_000);

  it('on AWS: one conditional PutItem (in progress, lapsing with the invocation), then the summary saved', async () => {
    expect(idempotencyFromConfig({ landingBucket: 'l', lakeBucket: 'k', contractsDir: '.', idempotencyTable: 'landfall-dev-idempotency' })).toBeInstanceOf(DynamoDBPersistenceLayer);
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
    const event = { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'landing' }, object: { key } } }] } as unknown as S3Event;
    const before = Date.now();
    const [summary] = await ingestS3Event(ingestContext(lake), event, { idempotency: layer, remainingMs: () => 600_000 });
    expect(summary.status).toBe('published');

    expect(sent.map((s) => s.command)).toEqual(['PutItemCommand', 'UpdateItemCommand']);
    const info = (await lake.landing.head(key))!;
    const id = `landfall-ingest#${createHash('md5').update(JSON.stringify(['landing', key, info.etag, null])).digest('base64')}`;
    const put = sent[0].input as { TableName: string; Item: Record<string, never>; ConditionExpression: string };
    expect(put.TableName).toBe('landfall-dev-idempotency');
    const item = unmarshall(put.Item);
    expect(item).toMatchObject({ id, status: 'INPROGRESS' });
    expect(item.in_progress_expiration).toBeGreaterThanOrEqual(before + 600_000);
    expect(item.in_progress_expiration).toBeLessThan(before + 600_000 + 60_000);
    expect(item.expiration).toBeGreaterThan(before / 1000 + 23 * 3600);
    expect(put.ConditionExpression).toBe('attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)');
    const update = sent[1].input as { Key: Record<string, never>; ExpressionAttributeValues: Record<string, never> };
    expect(unmarshall(update.Key)).toEqual({ id });
    const values = unmarshall(update.ExpressionAttributeValues);
    expect(values[':status']).toBe('COMPLETED');
    expect(values[':response_data']).toMatchObject({ key, status: 'published', rowsWritten: summary.rowsWritten });
  }, 60_000);
});
