/**
 * Issue 13 item 4: Athena's raw tables read each batch through its symlink file, written after every Parquet file
 * of the batch is in raw/ and before the manifest: a raw reader sees a batch whole or not at all.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { copyFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ingestObject } from '#src/ingest/ingestObject.ts';
import { rawSymlinkKey } from '#src/lake/layout.ts';
import type { ObjectStore } from '#src/ports.ts';
import { ingestContext } from '#src/wiring/local.ts';
import { duck, rows, SHARED_DATA, sqlList, tempLake } from './helpers.ts';

const CLICKS = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
const KEY = 'ad_clicks/train_sample.csv';

/** The lake, recording the order in which objects become visible (puts and moves into place). */
function recording(store: ObjectStore, log: string[]): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'put')
        return async (key: string, body: Uint8Array | string) => {
          await target.put(key, body);
          log.push(key);
        };
      if (prop === 'move')
        return async (from: string, to: string) => {
          await target.move(from, to);
          log.push(to);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describe('raw tables read batches through symlink files', () => {
  it("lists exactly the batch's Parquet files, after all of them are in raw/ and before the manifest", async () => {
    const lake = await tempLake({ threads: 1, targetFileBytes: 256 * 1024, rowGroupBatches: 2 });
    await mkdir(dirname(lake.landing.path(KEY)), { recursive: true });
    await copyFile(CLICKS, lake.landing.path(KEY));
    const log: string[] = [];
    const ctx = { ...ingestContext(lake), lake: recording(lake.lake, log) };
    const r = await ingestObject(ctx, KEY);
    const m = r.manifest;
    expect(m.files.length).toBeGreaterThan(2);

    const link = rawSymlinkKey('ad_clicks', m.ingestDate, m.batchId);
    const listed = (await readFile(lake.lake.path(link), 'utf8')).trimEnd().split('\n');
    expect(listed).toEqual(m.files.map((f) => `s3://${lake.lake.name}/${f.key}`));
    const at = (k: string) => log.indexOf(k);
    for (const f of m.files) expect(at(f.key)).toBeLessThan(at(link));
    expect(at(link)).toBeLessThan(at(r.manifestKey));

    // What Athena reads through the symlink file is every row of the file (DuckDB on the CSV says how many).
    const conn = await duck();
    const paths = listed.map((u) => lake.lake.path(u.replace(`s3://${lake.lake.name}/`, '')));
    const [viaLinks] = await rows(conn, `SELECT count(*)::INT AS n FROM read_parquet(${sqlList(paths)})`);
    const [csv] = await rows(conn, `SELECT count(*)::INT AS n FROM read_csv('${CLICKS}', header = true)`);
    expect(viaLinks).toEqual(csv);
  });

  it('writes none for a batch without rows in raw/ (rejected whole)', async () => {
    const lake = await tempLake();
    await mkdir(join(lake.landing.root, 'ad_clicks'), { recursive: true });
    await copyFile(join(SHARED_DATA, 'retailrocket/category_tree.csv'), lake.landing.path('ad_clicks/wrong.csv'));
    const r = await ingestObject(ingestContext(lake), 'ad_clicks/wrong.csv');
    expect(r.manifest.status).toBe('rejected');
    const links: string[] = [];
    for await (const o of lake.lake.list('symlinks/')) links.push(o.key);
    expect(links).toEqual([]);
  });
});
