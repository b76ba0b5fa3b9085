import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingestObject } from '#src/ingest/ingestObject.ts';
import { encoderThreadsStarted, stopIdleEncoderThreads } from '#src/parquet/RollingParquetWriter.ts';
import { ingestContext } from '#src/wiring/local.ts';
import { duck, expectReconciled, ingestFile, rows, SHARED_DATA, sqlList, tempDir, tempLake } from './helpers.ts';

const CLICKS_HEADER = 'ip,app,device,os,channel,click_time,attributed_time,is_attributed';

async function writeTemp(name: string, content: string | Uint8Array): Promise<string> {
  const file = join(await tempDir(), name);
  await writeFile(file, content);
  return file;
}

async function quarantineRows(lakeRoot: string, key: string): Promise<Record<string, unknown>[]> {
  const conn = await duck();
  return rows(
    conn,
    `SELECT * FROM read_csv('${join(lakeRoot, 'lake', key)}', header = true, all_varchar = true, quote = '"', escape = '"') ORDER BY line::INT`,
  );
}

describe('ingesting dirty files: every row is written or quarantined with its reason', () => {
  it('quarantines ragged rows, unparseable values, rule violations and broken quotes, keeping the good rows', async () => {
    const lake = await tempLake();
    const csv = [
      CLICKS_HEADER,
      '1,2,3,4,5,2017-11-07 09:30:38,,0', // good (line 2)
      '1,2,3,4,2017-11-07 09:30:38,,0', // ragged (line 3)
      '1,x,3,4,5,2017-11-07 09:30:38,,0', // app not an int (line 4)
      '1,2,3,4,5,2017-13-07 09:30:38,,0', // month 13 (line 5)
      '1,2,3,4,5,,,0', // click_time is not nullable (line 6)
      '1,2,3,4,5,2017-11-07 09:30:38,,7', // is_attributed not in [0, 1] (line 7)
      '1,2,3,4,5,2017-11-07 10:00:00,2017-11-07 10:05:00,1', // good (line 8)
      '"1,2,3,4,5,2017-11-07 09:30:38,,0', // unterminated quote at end of file (line 9)
    ].join('\n');
    const r = await ingestFile(lake, await writeTemp('clicks_dirty.csv', csv), 'ad_clicks');
    await expectReconciled(lake.lake, r);
    expect(r.manifest).toMatchObject({ status: 'published', rowsRead: 8, rowsWritten: 2, rowsRejected: 6 });
    expect(r.manifest.rejectsByReason).toEqual({
      'ragged-row': 1,
      'invalid-value': 2,
      'null-not-allowed': 1,
      'check-allowed': 1,
      'unterminated-quote': 1,
    });
    expect(r.manifest.rejectThresholdExceeded).toBe(true);
    const q = await quarantineRows(lake.root, r.manifest.quarantine!.key);
    expect(q.map((x) => [x.line, x.column, x.reason])).toEqual([
      ['3', null, 'ragged-row'],
      ['4', 'app', 'invalid-value'],
      ['5', 'click_time', 'invalid-value'],
      ['6', 'click_time', 'null-not-allowed'],
      ['7', 'is_attributed', 'check-allowed'],
      ['9', null, 'unterminated-quote'],
    ]);
    // The record column holds the original bytes of each rejected line.
    const lines = csv.split('\n');
    expect(q.map((x) => x.record)).toEqual([3, 4, 5, 6, 7, 9].map((l) => lines[l - 1]));
    expect(String(q[1].message)).toContain('"x" is not an int32');
  });

  it('recovers the rows after an unterminated quote instead of swallowing the rest of the file', async () => {
    const lake = await tempLake();
    const csv = `${CLICKS_HEADER}\n1,2,3,4,5,"2017-11-07 09:30:38,,0\n2,2,3,4,5,2017-11-07 09:30:39,,0\n3,2,3,4,5,2017-11-07 09:30:40,,0\n`;
    const r = await ingestFile(lake, await writeTemp('clicks_quote.csv', csv), 'ad_clicks');
    await expectReconciled(lake.lake, r);
    expect(r.manifest).toMatchObject({
      rowsRead: 3,
      rowsWritten: 2,
      rowsRejected: 1,
      rejectsByReason: { 'unterminated-quote': 1 },
    });
  });

  it('quarantines a file that matches no contract whole, with reason no-contract', async () => {
    const lake = await tempLake();
    const file = await writeTemp('mystery.csv', 'x,y\n1,2\n');
    const key = 'somewhere/mystery.csv';
    await mkdir(join(lake.landing.root, 'somewhere'), { recursive: true });
    await writeFile(lake.landing.path(key), await readFile(file));
    const r = await ingestObject(ingestContext(lake), key);
    expect(r.manifest).toMatchObject({
      status: 'unmatched',
      dataset: '_unmatched',
      problem: { code: 'no-contract' },
      rowsRead: 0,
    });
    expect(r.manifest.problem!.message).toContain('landfall infer');
    expect(await readFile(lake.lake.path(r.manifest.quarantine!.key), 'utf8')).toBe('x,y\n1,2\n');
  });

  it('quarantines a file whose header does not fit the contract whole, naming the columns', async () => {
    const lake = await tempLake();
    const r = await ingestFile(lake, await writeTemp('c.csv', 'ip,app,device\n1,2,3\n'), 'ad_clicks');
    expect(r.manifest).toMatchObject({ status: 'rejected', problem: { code: 'header-mismatch' } });
    expect(r.manifest.problem!.message).toMatch(
      /missing column\(s\) os, channel, click_time, attributed_time, is_attributed/,
    );
    expect(r.manifest.files).toEqual([]);
  });

  it('accepts reordered columns by header name', async () => {
    const lake = await tempLake();
    const csv = 'is_attributed,ip,app,device,os,channel,click_time,attributed_time\n0,1,2,3,4,5,2017-11-07 09:30:38,\n';
    const r = await ingestFile(lake, await writeTemp('c.csv', csv), 'ad_clicks');
    expect(r.manifest).toMatchObject({ rowsWritten: 1, header: { reordered: true } });
    const conn = await duck();
    const [row] = await rows(
      conn,
      `SELECT ip, channel, is_attributed FROM read_parquet(${sqlList([lake.lake.path(r.manifest.files[0].key)])})`,
    );
    expect(row).toEqual({ ip: '1', channel: 5, is_attributed: 0 });
  });

  it.each([
    ['an empty file', ''],
    ['a header-only file', `${CLICKS_HEADER}\n`],
    ['a header without a line break', CLICKS_HEADER],
  ])('publishes a manifest with zero rows for %s', async (_what, content) => {
    const lake = await tempLake();
    const r = await ingestFile(lake, await writeTemp('clicks_empty.csv', content), 'ad_clicks');
    await expectReconciled(lake.lake, r);
    expect(r.manifest).toMatchObject({
      status: 'published',
      rowsRead: 0,
      rowsWritten: 0,
      rowsRejected: 0,
      files: [],
      quarantine: null,
    });
  });

  it('recognises gzip by its magic number, whatever the name', async () => {
    const lake = await tempLake();
    const csv = await readFile(join(SHARED_DATA, 'retailrocket/category_tree.csv'));
    const r = await ingestFile(lake, await writeTemp('category_tree.csv', gzipSync(csv)), 'retailrocket_category_tree');
    expect(r.manifest).toMatchObject({ rowsWritten: 1669, source: { compression: 'gzip' } });
  });

  it('rejects a truncated gzip file whole and publishes nothing of it', async () => {
    const lake = await tempLake();
    const gz = await readFile(join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv.gz'));
    const r = await ingestFile(
      lake,
      await writeTemp('train_sample.csv.gz', gz.subarray(0, gz.length >> 1)),
      'ad_clicks',
    );
    expect(r.manifest).toMatchObject({ status: 'rejected', problem: { code: 'unreadable' }, files: [] });
    expect(r.manifest.problem!.message).toMatch(/gzip stream is corrupt or truncated/);
    const raw = [];
    for await (const o of lake.lake.list('raw/')) raw.push(o.key);
    expect(raw).toEqual([]);
  });

  it('strips a UTF-8 byte-order mark before the header', async () => {
    const lake = await tempLake();
    const r = await ingestFile(
      lake,
      join(SHARED_DATA, 'olist/product_category_name_translation.csv'),
      'olist_category_translation',
    );
    expect(r.manifest).toMatchObject({
      rowsWritten: 71,
      rowsRejected: 0,
      header: { found: ['product_category_name', 'product_category_name_english'] },
    });
  });

  it('handles CR-only line endings', async () => {
    const lake = await tempLake();
    const csv = (await readFile(join(SHARED_DATA, 'retailrocket/category_tree.csv'), 'utf8')).replace(/\r?\n/g, '\r');
    const r = await ingestFile(lake, await writeTemp('category_tree.csv', csv), 'retailrocket_category_tree');
    expect(r.manifest).toMatchObject({ rowsRead: 1669, rowsWritten: 1669 });
  });
});

describe('exactly-once effect and file sizing', () => {
  it('ingesting the same object again writes nothing and returns the same manifest', async () => {
    const lake = await tempLake();
    const file = join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv');
    const first = await ingestFile(lake, file, 'olist_orders');
    const second = await ingestFile(lake, file, 'olist_orders');
    expect(first.alreadyIngested).toBe(false);
    expect(second.alreadyIngested).toBe(true);
    expect(second.manifest).toEqual(first.manifest);
    const manifests = [];
    for await (const o of lake.lake.list('manifests/olist_orders/')) manifests.push(o.key);
    expect(manifests).toHaveLength(1);
  });

  it('writes byte-identical Parquet files at 1, 2 and 3 threads (row groups encoded in parallel, joined in order)', async () => {
    const file = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
    const conn = await duck();
    for (const layout of [
      // Small row groups (~4,900 rows: smaller than a page, all of it written when the row group closes, and sent to
      // the encoder whole, six batches ahead) rolled into several files.
      { targetFileBytes: 512 * 1024, batchBytes: 32 * 1024, rowGroupBatches: 6, files: 2 },
      // Row groups of ~21,000 rows (26 batches of ~820): pages written while the row group fills.
      { targetFileBytes: 64 * 1024 * 1024, batchBytes: 32 * 1024, rowGroupBatches: 26, files: 1 },
    ]) {
      const digests = [];
      let first = '';
      for (const threads of [1, 2, 3]) {
        const { files: wanted, ...settings } = layout;
        const lake = await tempLake({ ...settings, threads });
        await mkdir(join(lake.landing.path('ad_clicks')), { recursive: true });
        await writeFile(lake.landing.path('ad_clicks/train_sample.csv'), await readFile(file));
        // Threads kept from earlier runs ended, so that the count below says whether this run started its own.
        await stopIdleEncoderThreads();
        const started = encoderThreadsStarted();
        // A fixed clock: the lineage column _ingested_at is the only thing that may differ between runs.
        const r = await ingestObject(
          { ...ingestContext(lake), now: () => new Date('2026-11-22T06:00:00Z') },
          'ad_clicks/train_sample.csv',
        );
        // Encoder threads wrote the row groups at 2 and 3 threads (its runs may take turns with a thread: at least one).
        if (threads === 1) expect(encoderThreadsStarted() - started).toBe(0);
        else expect(encoderThreadsStarted() - started).toBeGreaterThan(0);
        await expectReconciled(lake.lake, r);
        expect(r.manifest.files.length).toBeGreaterThanOrEqual(wanted);
        const files = await Promise.all(
          r.manifest.files.map(async (f) =>
            createHash('sha256')
              .update(await readFile(lake.lake.path(f.key)))
              .digest('hex'),
          ),
        );
        digests.push(files);
        first = lake.lake.path(r.manifest.files[0].key);
      }
      expect(digests[1]).toEqual(digests[0]);
      expect(digests[2]).toEqual(digests[0]);
      // Several row groups in the first file: the threads had row groups to share.
      const [g] = await rows(
        conn,
        `SELECT count(DISTINCT row_group_id) AS groups FROM parquet_metadata(${sqlList([first])})`,
      );
      expect(Number(g.groups)).toBeGreaterThan(2);
    }
  });

  it('rolls to a new Parquet file near the target size; all rows survive, in order', async () => {
    const lake = await tempLake({ targetFileBytes: 256 * 1024, batchBytes: 32 * 1024, rowGroupBatches: 2 });
    const r = await ingestFile(lake, join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'), 'ad_clicks');
    await expectReconciled(lake.lake, r);
    const files = r.manifest.files;
    expect(files.length).toBeGreaterThan(3);
    expect(files.map((f) => f.key.split('/').pop())).toEqual(
      files.map((_, i) => `${r.manifest.batchId}-${String(i).padStart(4, '0')}.parquet`),
    );
    const conn = await duck();
    // The README's promise: every file but the last lands within half a row group of the target (a row group's
    // bytes as the file's own metadata gives them; the footer and page indexes on top are small).
    const groupBytes = await rows(
      conn,
      `SELECT file_name, row_group_id, sum(total_compressed_size)::BIGINT AS b
      FROM parquet_metadata(${sqlList(files.map((f) => lake.lake.path(f.key)))}) GROUP BY ALL`,
    );
    for (const f of files.slice(0, -1)) {
      const largest = Math.max(
        ...groupBytes.filter((g) => g.file_name === lake.lake.path(f.key)).map((g) => Number(g.b)),
      );
      expect(largest).toBeGreaterThan(0);
      expect(
        Math.abs(f.bytes - 256 * 1024),
        `${f.key}: ${f.bytes} bytes, row groups up to ${largest}`,
      ).toBeLessThanOrEqual(largest / 2 + 8 * 1024);
    }
    const [check] = await rows(
      conn,
      `SELECT count(*) AS n, bool_and(_source_line = prev + 1) AS ordered FROM (
      SELECT _source_line, lag(_source_line, 1, 1) OVER (ORDER BY filename, file_row_number) AS prev
      FROM read_parquet(${sqlList(files.map((f) => lake.lake.path(f.key)))}, filename = true, file_row_number = true))`,
    );
    expect(check).toEqual({ n: '100000', ordered: true });
    // Row groups are whole multiples of the decoder's batch: every file but the last has only full ones.
    const groups = await rows(
      conn,
      `SELECT file_name, row_group_num_rows AS n FROM parquet_metadata(${sqlList(files.map((f) => lake.lake.path(f.key)))}) GROUP BY ALL ORDER BY ALL`,
    );
    const full = Math.max(...groups.map((g) => Number(g.n)));
    expect(
      groups
        .filter((g) => !String(g.file_name).endsWith(files[files.length - 1].key.split('/').pop()!))
        .every((g) => Number(g.n) === full),
    ).toBe(true);
  });
});

describe('encodings chosen from the data', () => {
  it('stores timestamps too varied for a dictionary as deltas, and DuckDB reads the same instants back', async () => {
    const lake = await tempLake();
    const source = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
    const r = await ingestFile(lake, source, 'ad_clicks');
    const conn = await duck();
    const files = sqlList(r.manifest.files.map((f) => lake.lake.path(f.key)));
    const encodings = await rows(
      conn,
      `SELECT path_in_schema AS col, string_agg(DISTINCT encodings, '; ') AS enc FROM parquet_metadata(${files}) GROUP BY 1`,
    );
    const of = (c: string) => encodings.find((e) => e.col === c)?.enc;
    expect(of('click_time')).toContain('DELTA_BINARY_PACKED');
    // Few distinct values: a dictionary still pays.
    expect(of('is_attributed')).toContain('RLE_DICTIONARY');
    const [landed] = await rows(
      conn,
      `SELECT sum(epoch_us(click_time))::HUGEINT::VARCHAR AS c, sum(epoch_us(attributed_time))::HUGEINT::VARCHAR AS a FROM read_parquet(${files})`,
    );
    const [golden] = await rows(
      conn,
      `SELECT sum(epoch_us(click_time))::HUGEINT::VARCHAR AS c, sum(epoch_us(attributed_time))::HUGEINT::VARCHAR AS a FROM read_csv('${source}', header = true)`,
    );
    expect(landed).toEqual(golden);
  });
});
