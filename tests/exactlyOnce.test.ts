/**
 * Issue 6 item 3: the same object ingested once however its events arrive, and a run that dies midway,
 * retried, leaves exactly what an uninterrupted run leaves. Golden figures come from DuckDB on the raw CSV.
 */
import type { S3Event } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbEngine } from '#src/adapters/local/DuckDbEngine.ts';
import { FolderIdempotencyStore } from '#src/adapters/local/FolderIdempotencyStore.ts';
import type { IngestContext } from '#src/ingest/context.ts';
import { ingestS3Event } from '#src/wiring/events.ts';
import { ingestObject } from '#src/ingest/ingestObject.ts';
import { readManifest, type Manifest } from '#src/ingest/manifest.ts';
import { runPipelineLocally } from '#src/adapters/local/localPipeline.ts';
import type { ObjectStore, ObjectWriter } from '#src/ports.ts';
import { ingestContext, type LocalLake } from '#src/wiring/local.ts';
import { duck, listKeys, rows, SHARED_DATA, tempLake, landedParquet } from './helpers.ts';

const NOW = new Date('2026-11-21T08:00:00Z');
const CLICKS = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
const KEY = 'ad_clicks/train_sample.csv';

function s3Event(bucket: string, key: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: NOW.toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'landing',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}`, ownerIdentity: { principalId: 'x' } },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size: 1, eTag: 'e', sequencer: '1' },
        },
      },
    ],
  } as unknown as S3Event;
}

async function landedLake(): Promise<{ lake: LocalLake; ctx: IngestContext }> {
  // Small files, so that the object gives several and a crash can fall between them.
  const lake = await tempLake({ threads: 1, targetFileBytes: 256 * 1024, rowGroupBatches: 2 });
  await mkdir(dirname(lake.landing.path(KEY)), { recursive: true });
  await copyFile(CLICKS, lake.landing.path(KEY));
  return { lake, ctx: { ...ingestContext(lake), now: () => NOW } };
}

async function fileHashes(lake: LocalLake, m: Manifest): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of m.files)
    out[f.key] = createHash('sha256')
      .update(await readFile(lake.lake.path(f.key)))
      .digest('hex');
  return out;
}

/** The curated table after the pipeline ran for the batch: row count and an order-free checksum. */
async function curated(lake: LocalLake, m: Manifest): Promise<unknown> {
  const engine = await DuckDbEngine.open(lake.root);
  try {
    await runPipelineLocally(
      { lake: lake.lake, contracts: lake.contracts, engine, now: () => NOW, emit: () => undefined },
      { dataset: m.dataset, batchId: m.batchId, manifestKey: `manifests/${m.dataset}/${m.batchId}.json` },
    );
    return (
      await engine.query(
        'SELECT count(*) AS n, sum(hash(ip, app, device, os, channel, click_time, is_attributed)) AS h FROM curated.ad_clicks',
      )
    ).rows;
  } finally {
    await engine.close();
  }
}

class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

/**
 * The lake as seen by a process that dies: after `afterCompletes` objects have been completed (or, for
 * `moves`, after that many moves), every further write or move throws, as if the invocation had been killed.
 * A test device, not a production code path: the code under test gets an ObjectStore like any other.
 */
function dyingStore(store: ObjectStore, when: { completes?: number; moves?: number }): ObjectStore {
  let completes = 0;
  let moves = 0;
  let dead = false;
  const check = () => {
    if (dead) throw new SimulatedCrash('the invocation died');
  };
  return {
    name: store.name,
    head: (k) => store.head(k),
    read: (k, r) => store.read(k, r),
    list: (p) => store.list(p),
    delete: async (k) => {
      check();
      return store.delete(k);
    },
    put: async (k, b) => {
      check();
      return store.put(k, b);
    },
    move: async (a, b) => {
      check();
      if (when.moves !== undefined && moves++ >= when.moves) {
        dead = true;
        check();
      }
      return store.move(a, b);
    },
    write: (k): ObjectWriter => {
      const w = store.write(k);
      return {
        write: async (c) => {
          check();
          return w.write(c);
        },
        abort: () => w.abort(),
        complete: async () => {
          check();
          if (when.completes !== undefined && k.endsWith('.parquet') && completes++ >= when.completes) {
            dead = true;
            await w.abort();
            check();
          }
          return w.complete();
        },
      };
    },
  };
}

describe('exactly-once effect', () => {
  it('converts an object once when the same ObjectCreated event arrives three times at once', async () => {
    const { lake, ctx } = await landedLake();
    const idempotency = new FolderIdempotencyStore(join(lake.root, 'idempotency'));
    const event = s3Event(lake.landing.name, KEY);
    const results = (await Promise.all([1, 2, 3].map(() => ingestS3Event(ctx, event, { idempotency })))).flat();
    const converted = results.filter((r) => r.status === 'published' && !r.alreadyIngested);
    expect(converted).toHaveLength(1);
    expect(
      results.filter((r) => r !== converted[0]).every((r) => r.status === 'in-progress-elsewhere' || r.alreadyIngested),
    ).toBe(true);

    expect(await listKeys(lake.lake, 'manifests/')).toEqual([converted[0].manifest]);
    const m = (await readManifest(lake.lake, converted[0].manifest))!;
    expect((await listKeys(lake.lake, 'raw/')).sort()).toEqual(m.files.map((f) => f.key).sort());
    expect(m.files.length).toBeGreaterThan(2);
    const conn = await duck();
    const [golden] = await rows(conn, `SELECT count(*)::INT AS n FROM read_csv('${CLICKS}')`);
    const [landed] = await rows(conn, `SELECT count(*)::INT AS n FROM ${landedParquet(lake.lake, m)}`);
    expect(landed.n).toBe(golden.n);
    expect(m.rowsWritten).toBe(golden.n);

    // A fourth delivery, after the first finished: the first summary back, nothing written.
    const [again] = await ingestS3Event(ctx, event, { idempotency });
    expect(again).toMatchObject({ batchId: m.batchId, alreadyIngested: true });
    expect(await listKeys(lake.lake, 'manifests/')).toEqual([converted[0].manifest]);
    expect(await listKeys(lake.lake, 'staging/')).toEqual([]);
  }, 60_000);

  it('a manifest another run publishes between this run failing to read it and asking after it is read, not an error', async () => {
    // Seen with three `landfall run` of one file at once: "FAILED: ENOENT ... open manifests/<ds>/<batch>.json": the
    // read found no file, the other run's rename landed, and the HEAD that followed found it.
    const { lake, ctx } = await landedLake();
    const published = await ingestObject(ctx, KEY);
    const mKey = published.manifestKey;
    let missedOnce = false;
    const racing: ObjectStore = {
      name: lake.lake.name,
      head: (k) => lake.lake.head(k),
      list: (p) => lake.lake.list(p),
      read: (k, range) => {
        if (k === mKey && !missedOnce) {
          missedOnce = true;
          const missing = Object.assign(new Error(`ENOENT: no such file or directory, open '${k}'`), {
            code: 'ENOENT',
          });
          return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(missing) }) };
        }
        return lake.lake.read(k, range);
      },
      write: (k) => lake.lake.write(k),
      put: (k, b) => lake.lake.put(k, b),
      delete: (k) => lake.lake.delete(k),
      move: (a, b) => lake.lake.move(a, b),
    };
    const again = await ingestObject({ ...ctx, lake: racing }, KEY);
    expect(missedOnce).toBe(true);
    expect(again.alreadyIngested).toBe(true);
    expect(again.manifest).toEqual(published.manifest);
    expect(await readManifest(racing, mKey)).toEqual(published.manifest);
  });

  it('two local runs of one object: when the other publishes while this one reads its staged records, its manifest stands', async () => {
    // No idempotency store (as `landfall run`): B converts, then, as B's publish reads the segment record, A runs
    // the whole ingest (it finds B's staged work, publishes it and drops the staging folder) and B's read finds
    // nothing. Seen with three `landfall run` of one file at once on a loaded machine: "ENOENT ... segment-0000.json".
    const { lake, ctx } = await landedLake();
    const SEGMENT = '/segment-0000.json';
    let written = false;
    let fired = false;
    let first: Awaited<ReturnType<typeof ingestObject>> | undefined;
    const racing: ObjectStore = {
      name: lake.lake.name,
      head: (k) => lake.lake.head(k),
      list: (p) => lake.lake.list(p),
      delete: (k) => lake.lake.delete(k),
      put: async (k, b) => {
        await lake.lake.put(k, b);
        if (k.endsWith(SEGMENT)) written = true;
      },
      move: (a, b) => lake.lake.move(a, b),
      write: (k) => lake.lake.write(k),
      read: (k, r) => {
        if (!k.endsWith(SEGMENT) || !written || fired) return lake.lake.read(k, r);
        fired = true; // B's publish reads the segment record B wrote: A runs first
        return (async function* () {
          first = await ingestObject(ctx, KEY);
          yield* lake.lake.read(k, r);
        })();
      },
    };
    const second = await ingestObject({ ...ctx, lake: racing }, KEY);
    expect(fired).toBe(true);
    expect(first?.manifest.status).toBe('published');
    expect(second.manifest).toEqual(first?.manifest);
    expect(await listKeys(lake.lake, 'manifests/')).toEqual([first?.manifestKey]);
    expect((await listKeys(lake.lake, 'raw/')).filter((k) => k.endsWith('.parquet')).sort()).toEqual(
      first?.manifest.files.map((f) => f.key).sort(),
    );
    expect(await listKeys(lake.lake, 'staging/')).toEqual([]);
    const [golden] = await rows(await duck(), `SELECT count(*)::INT AS n FROM read_csv('${CLICKS}')`);
    expect(second.manifest.rowsWritten).toBe(golden.n);
  }, 60_000);

  it('a run killed after some output files, then retried, publishes byte-identical files and the same curated rows', async () => {
    const reference = await landedLake();
    const [clean] = await ingestS3Event(reference.ctx, s3Event('landing', KEY));
    const cleanManifest = (await readManifest(reference.lake.lake, clean.manifest))!;

    const { lake, ctx } = await landedLake();
    const idempotency = new FolderIdempotencyStore(join(lake.root, 'idempotency'));
    const event = s3Event(lake.landing.name, KEY);
    const crash = await ingestS3Event({ ...ctx, lake: dyingStore(lake.lake, { completes: 2 }) }, event, {
      idempotency,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(crash).toBeInstanceOf(SimulatedCrash);
    // What the dead run left: staged files only. Nothing under raw/, quarantine/ or manifests/ (what queries read).
    expect((await listKeys(lake.lake, 'staging/')).filter((k) => k.endsWith('.parquet')).length).toBe(2);
    expect(await listKeys(lake.lake, 'raw/')).toEqual([]);
    expect(await listKeys(lake.lake, 'manifests/')).toEqual([]);

    // Lambda retries the event, a minute later: the retry converts again from the batch record (the first
    // attempt's start time, so the same ingest date and _ingested_at; the same keys).
    const later = { ...ctx, now: () => new Date(NOW.getTime() + 60_000) };
    const [retried] = await ingestS3Event(later, event, { idempotency });
    expect(retried).toMatchObject({ status: 'published', alreadyIngested: false, batchId: clean.batchId });
    const m = (await readManifest(lake.lake, retried.manifest))!;
    expect(await fileHashes(lake, m)).toEqual(await fileHashes(reference.lake, cleanManifest));
    expect(await listKeys(lake.lake, 'staging/')).toEqual([]);
    expect(await curated(lake, m)).toEqual(await curated(reference.lake, cleanManifest));
  }, 120_000);

  it('a publish killed between moving files, then retried, completes the same batch', async () => {
    const reference = await landedLake();
    const [clean] = await ingestS3Event(reference.ctx, s3Event('landing', KEY));
    const cleanManifest = (await readManifest(reference.lake.lake, clean.manifest))!;

    const { lake, ctx } = await landedLake();
    const event = s3Event(lake.landing.name, KEY);
    const crash = await ingestS3Event({ ...ctx, lake: dyingStore(lake.lake, { moves: 1 }) }, event).then(
      () => null,
      (e: unknown) => e,
    );
    expect(crash).toBeInstanceOf(SimulatedCrash);
    expect(await listKeys(lake.lake, 'manifests/')).toEqual([]);
    expect((await listKeys(lake.lake, 'raw/')).length).toBe(1);

    const [retried] = await ingestS3Event(ctx, event);
    const m = (await readManifest(lake.lake, retried.manifest))!;
    expect(await fileHashes(lake, m)).toEqual(await fileHashes(reference.lake, cleanManifest));
    expect((await listKeys(lake.lake, 'raw/')).sort()).toEqual(m.files.map((f) => f.key).sort());
    expect(await curated(lake, m)).toEqual(await curated(reference.lake, cleanManifest));
  }, 120_000);
});
