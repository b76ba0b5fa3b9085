import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '#src/adapters/aws/S3Store.ts';
import { loadContracts } from '#src/contracts/loadContracts.ts';
import { ingestS3Event } from '#src/wiring/events.ts';
import { resolveSettings } from '#src/ingest/context.ts';
import { BUILTIN_CONTRACTS } from '#src/wiring/local.ts';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { S3Event } from 'aws-lambda';
import { duck, rows, SHARED_DATA, tempDir, until } from './helpers.ts';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

/**
 * The S3 adapter against an S3-compatible server on 127.0.0.1 that this test starts and stops itself
 * (s3rver, with the client settings docs/libraries.md records).
 */
describe('S3Store on a real S3 protocol (s3rver on 127.0.0.1)', () => {
  let server: S3rver;
  let s3: S3Client;
  const events: S3Event[] = [];

  /** The SDK commands the client sent, with their input (the S3 protocol as S3Store speaks it). */
  const sent: { command: string; input: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: await tempDir('landfall-s3rver-'),
      configureBuckets: [
        { name: 'landing', configs: [] },
        { name: 'lake', configs: [] },
      ],
    });
    (server as unknown as { middleware: unknown[] }).middleware.unshift(abortMultipartUpload(server));
    const { port } = await server.run();
    server.on('event', (e: S3Event) => events.push(e));
    s3 = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push({ command: context.commandName as string, input: args.input as Record<string, unknown> });
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.close();
  });

  it('streams a 320 MB object in through multipart upload and reads it back, whole and by ranges', async () => {
    sent.length = 0;
    const store = new S3Store(s3, 'landing', 16 * 1024 * 1024);
    const w = store.write('big/events.csv');
    const hash = createHash('sha256');
    const block = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < 80; i++) {
      block.fill(`line ${i},${'x'.repeat(40)}\n`);
      hash.update(block);
      await w.write(block);
    }
    expect(await w.complete()).toEqual({ bytes: 320 * 1024 * 1024 });
    // One multipart upload of twenty 16 MB parts, numbered in order; never a single PUT.
    const commands = sent.map((c) => c.command);
    expect(commands[0]).toBe('CreateMultipartUploadCommand');
    expect(commands.at(-1)).toBe('CompleteMultipartUploadCommand');
    expect(commands).not.toContain('PutObjectCommand');
    const parts = sent
      .filter((c) => c.command === 'UploadPartCommand')
      .map((c) => c.input as { PartNumber: number; Body: Uint8Array; UploadId: string });
    expect(parts.map((p) => p.PartNumber).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(parts.map((p) => p.Body.byteLength)).toEqual(Array(20).fill(16 * 1024 * 1024));
    const completed = sent.at(-1)!.input as { UploadId: string; MultipartUpload: { Parts: { PartNumber: number }[] } };
    expect(completed.MultipartUpload.Parts.map((p) => p.PartNumber)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(new Set(parts.map((p) => p.UploadId))).toEqual(new Set([completed.UploadId]));
    const info = await store.head('big/events.csv');
    expect(info).toMatchObject({ key: 'big/events.csv', size: 320 * 1024 * 1024 });
    expect(info!.etag).toMatch(/^[0-9a-f]{32}(-\d+)?$/);
    const back = createHash('sha256');
    let chunks = 0;
    for await (const c of store.read('big/events.csv')) {
      back.update(c);
      chunks++;
    }
    expect(back.digest('hex')).toBe(hash.digest('hex'));
    expect(chunks).toBeGreaterThan(10); // streamed, not buffered whole
    const range = Buffer.concat(
      await collect(store.read('big/events.csv', { start: 4 * 1024 * 1024, end: 4 * 1024 * 1024 + 11 })),
    );
    expect(range.toString()).toBe('line 1,xxxx'); // [start, end): 11 bytes
    expect(await store.head('big/missing.csv')).toBeNull();
  });

  it('writes a Parquet file of over 150 MB through multipart upload that DuckDB reads back', async () => {
    const dir = await tempDir();
    const local = join(dir, 'big.parquet');
    const conn = await duck();
    await conn.run(
      `COPY (SELECT i, md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS s FROM range(2600000) t(i)) TO '${local}' (FORMAT parquet, COMPRESSION uncompressed)`,
    );
    const bytes = await readFile(local);
    expect(bytes.length).toBeGreaterThan(150 * 1024 * 1024);
    const lake = new S3Store(s3, 'lake', 8 * 1024 * 1024);
    const w = lake.write('raw/big/file.parquet');
    for (let o = 0; o < bytes.length; o += 5_000_000) await w.write(bytes.subarray(o, o + 5_000_000));
    await w.complete();
    const copy = join(dir, 'copy.parquet');
    await writeFile(copy, Buffer.concat(await collect(lake.read('raw/big/file.parquet'))));
    expect(await rows(conn, `SELECT count(*) AS n, sum(i) AS s FROM read_parquet('${copy}')`)).toEqual([
      { n: '2600000', s: String((2600000n * 2599999n) / 2n) },
    ]);
  });

  it('an aborted upload leaves no object and no parts behind', async () => {
    sent.length = 0;
    const lake = new S3Store(s3, 'lake', 5 * 1024 * 1024);
    const w = lake.write('raw/aborted.parquet');
    await w.write(Buffer.alloc(12 * 1024 * 1024, 1));
    // Two 5 MB parts reach the server before the abort.
    const uploads = uploadsDir(server, 'lake');
    await until(async () => (await partFiles(uploads)).length === 2);
    await w.abort();
    expect(await lake.head('raw/aborted.parquet')).toBeNull();
    expect(await partFiles(uploads)).toEqual([]);
    const created = sent.find((c) => c.command === 'CreateMultipartUploadCommand')!;
    const aborted = sent.filter((c) => c.command === 'AbortMultipartUploadCommand');
    expect(aborted).toHaveLength(1);
    expect(aborted[0].input).toMatchObject({ Bucket: 'lake', Key: 'raw/aborted.parquet' });
    expect(aborted[0].input.UploadId).toEqual(expect.any(String));
    expect(
      sent
        .filter((c) => c.command === 'UploadPartCommand')
        .every((c) => c.input.UploadId === aborted[0].input.UploadId),
    ).toBe(true);
    expect(created.input).toMatchObject({ Bucket: 'lake', Key: 'raw/aborted.parquet' });
    expect(sent.map((c) => c.command)).not.toContain('CompleteMultipartUploadCommand');
  });

  it('moves an object by server-side copy and delete (keys with spaces and unicode), and a repeated move does nothing', async () => {
    const store = new S3Store(s3, 'lake');
    const from = 'staging/ds/b1/s0000-r0000-0000 é.parquet';
    const to = 'raw/ds/ingest_date=2026-11-22/b1-0000 é.parquet';
    await store.put(from, 'PAR1 body');
    await store.move(from, to);
    expect(await store.head(from)).toBeNull();
    expect(await store.head(to)).toMatchObject({ size: 9 });
    expect(Buffer.concat(await collect(store.read(to))).toString()).toBe('PAR1 body');
    await store.move(from, to);
    expect(await store.head(to)).toMatchObject({ size: 9 });
    await expect(store.move('staging/nothing', 'raw/nothing')).rejects.toThrow();
  });

  it('lists more than one page of keys', async () => {
    const lake = new S3Store(s3, 'lake');
    await Promise.all(
      Array.from({ length: 1105 }, (_, i) => lake.put(`manifests/many/${String(i).padStart(5, '0')}.json`, '{}')),
    );
    const keys = (await collect(lake.list('manifests/many/'))).map((o) => o.key);
    expect(keys).toHaveLength(1105);
    expect(keys[1104]).toBe('manifests/many/01104.json');
  });

  it('an ObjectCreated event from the server drives the ingest handler end to end through the SDK', async () => {
    const landing = new S3Store(s3, 'landing');
    const lake = new S3Store(s3, 'lake');
    events.length = 0;
    await landing.put(
      'olist_orders/olist_orders_dataset.csv',
      await readFile(join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv')),
    );
    await expect.poll(() => events.length).toBeGreaterThan(0);
    const event = events[events.length - 1];
    expect(event.Records[0]).toMatchObject({
      eventName: expect.stringMatching(/^ObjectCreated:/),
      s3: { bucket: { name: 'landing' } },
    });
    const ctx = {
      landing,
      lake,
      contracts: await loadContracts(BUILTIN_CONTRACTS),
      settings: resolveSettings(),
      now: () => new Date(),
    };
    const [summary] = await ingestS3Event(ctx, event);
    expect(summary).toMatchObject({ dataset: 'olist_orders', status: 'published', rowsWritten: 8135, files: 1 });
    const manifest = JSON.parse(Buffer.concat(await collect(lake.read(summary.manifest))).toString('utf8'));
    const dir = await tempDir();
    const file = join(dir, 'orders.parquet');
    await writeFile(file, Buffer.concat(await collect(lake.read(manifest.files[0].key))));
    expect(await rows(await duck(), `SELECT count(DISTINCT order_id) AS n FROM read_parquet('${file}')`)).toEqual([
      { n: '8135' },
    ]);
    // Delivered again (S3 delivers at least once): the same batch, nothing written twice.
    const [again] = await ingestS3Event(ctx, event);
    expect(again).toMatchObject({ batchId: summary.batchId, alreadyIngested: true });
  });
});

/**
 * AbortMultipartUpload, which s3rver 3.7 lacks (it answers 405), added in front of its routes as AWS documents it:
 * DELETE /{bucket}/{key}?uploadId=ID removes the upload's parts and answers 204, or NoSuchUpload (404).
 */
function abortMultipartUpload(server: S3rver) {
  return async (
    ctx: { method: string; path: string; query: Record<string, unknown>; status: number; body: unknown; type: string },
    next: () => Promise<void>,
  ) => {
    if (ctx.method !== 'DELETE' || typeof ctx.query.uploadId !== 'string') return next();
    const dir = join(uploadsDir(server, ctx.path.split('/')[1]), ctx.query.uploadId);
    if (!(await stat(dir).catch(() => null))) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
      return;
    }
    await rm(dir, { recursive: true });
    ctx.status = 204;
  };
}

/** Where s3rver's filesystem store keeps a bucket's multipart uploads (one folder per upload id, a file per part). */
function uploadsDir(server: S3rver, bucket: string): string {
  return (
    server as unknown as { store: { getResourcePath(b: string, k: undefined, r: string): string } }
  ).store.getResourcePath(bucket, undefined, 'uploads');
}

async function partFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && /^\d+$/.test(e.name)).map((e) => e.name);
}
