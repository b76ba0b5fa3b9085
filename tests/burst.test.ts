/**
 * Issue 13: a day's export dropped at once. Every object's event arrives (some twice, concurrently); each converted
 * batch is queued; ONE merge run per dataset is started; it merges every batch in one MERGE. Golden figures come
 * from DuckDB on the raw CSV.
 */
import type { S3Event } from 'aws-lambda';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbEngine } from '#src/adapters/local/DuckDbEngine.ts';
import { FolderIdempotencyStore } from '#src/adapters/local/FolderIdempotencyStore.ts';
import { MemoryMergeLease } from '#src/adapters/local/MemoryMergeLease.ts';
import type { IngestSummary } from '#src/flow/objectCreated.ts';
import { ingestS3Event } from '#src/wiring/events.ts';
import { runPipelineLocally } from '#src/adapters/local/localPipeline.ts';
import { mergeGroups } from '#src/pipeline/mergeGroups.ts';
import { MergeQueue } from '#src/pipeline/mergeQueue.ts';
import type { PipelineStarter } from '#src/ports.ts';
import { ingestContext } from '#src/wiring/local.ts';
import { duck, rows, SHARED_DATA, tempLake } from './helpers.ts';

const ORDERS = join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv');
const FILES = 24;

function s3Event(bucket: string, keys: string[]): S3Event {
  return {
    Records: keys.map((key) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2026-11-29T08:00:00Z',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'landing',
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key, size: 1, eTag: 'e', sequencer: '1' },
      },
    })),
  } as unknown as S3Event;
}

describe('a burst of files of one dataset', () => {
  it('queues every batch, starts one merge run, and that run merges them all in ONE MERGE equal to DuckDB on the CSV', async () => {
    const lake = await tempLake({ threads: 1 });
    // The orders file cut into 24 files of consecutive lines, each with the header: one day's export.
    const [header, ...lines] = (await readFile(ORDERS, 'utf8')).trimEnd().split('\n');
    await mkdir(join(lake.landing.root, 'olist_orders'), { recursive: true });
    const keys: string[] = [];
    const per = Math.ceil(lines.length / FILES);
    for (let i = 0; i < FILES; i++) {
      const key = `olist_orders/orders-part-${String(i).padStart(2, '0')}.csv`;
      await writeFile(lake.landing.path(key), `${header}\n${lines.slice(i * per, (i + 1) * per).join('\n')}\n`);
      keys.push(key);
    }

    const started: { dataset: string; name: string }[] = [];
    const starter: PipelineStarter = {
      start: () => Promise.reject(new Error('no file here is handed off')),
      startMerge: async ({ dataset }, name) => {
        started.push({ dataset, name });
      },
      isRunning: async (name) => started.some((s) => s.name === name),
    };
    const queue = new MergeQueue(lake.lake, new MemoryMergeLease(), () => new Date(), mergeGroups(lake.contracts));
    const ctx = ingestContext(lake);
    const idempotency = new FolderIdempotencyStore(join(lake.root, 'idempotency'));
    // Events of 3 objects each, every event delivered twice at the same time (S3 delivers at least once).
    const events = Array.from({ length: FILES / 3 }, (_, i) =>
      s3Event(lake.landing.name, keys.slice(i * 3, i * 3 + 3)),
    );
    const summaries: IngestSummary[] = (
      await Promise.all(
        [...events, ...events].map((e) => ingestS3Event(ctx, e, { idempotency, queue, pipeline: starter })),
      )
    ).flat();

    const converted = summaries.filter((s) => s.status === 'published' && !s.alreadyIngested);
    expect(converted).toHaveLength(FILES);
    // olist_orders feeds summaries that other Olist datasets feed too: its merge group is named after olist_customers.
    expect(started).toEqual([{ dataset: 'olist_customers', name: expect.stringMatching(/^olist_customers-merge-/) }]);
    expect(converted.filter((s) => s.pipeline === 'merge-started')).toHaveLength(1);
    expect(converted.filter((s) => s.pipeline === 'merge-running')).toHaveLength(FILES - 1);
    expect(await queue.pending('olist_orders')).toHaveLength(FILES);

    const engine = await DuckDbEngine.open(lake.root);
    try {
      const out = await runPipelineLocally(
        { lake: lake.lake, contracts: lake.contracts, engine, now: () => new Date(), emit: () => undefined, queue },
        { dataset: 'olist_customers', merge: true },
        started[0].name,
      );
      expect(out.rounds.map((r) => r.taken.length)).toEqual([FILES]);
      expect(out.steps.filter((s) => s === 'merge:curated.olist_orders')).toHaveLength(1);
      expect(out.steps.filter((s) => s === 'summary:summary.olist_delivery_daily')).toHaveLength(1);
      expect(await queue.pending('olist_orders')).toEqual([]);

      const conn = await duck();
      const [golden] = await rows(
        conn,
        `SELECT count(*)::INT AS n, count(DISTINCT order_status)::INT AS statuses FROM read_csv('${ORDERS}', header = true, all_varchar = true)`,
      );
      const [got] = (
        await engine.query(
          'SELECT count(*)::INT AS n, count(DISTINCT order_status)::INT AS statuses, count(DISTINCT _batch_id)::INT AS batches FROM curated.olist_orders',
        )
      ).rows;
      expect(got).toEqual({ ...golden, batches: FILES });
    } finally {
      await engine.close();
    }
  });
});
