import { type ChildProcess, spawn } from 'node:child_process';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '#src/ingest/manifest.ts';
import { duck, lakeAt, listKeys, rows, SHARED_DATA, tempDir, until } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/landfall.mjs', import.meta.url));
const CLICKS = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
const ORDERS = join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv');

/** `landfall watch` in a process of its own, its output collected. */
function startWatch(lake: string, folder: string, settleMs: number, extra: string[] = []) {
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'watch', '--lake', lake, '--settle', String(settleMs), '--interval', '100', ...extra, folder],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

async function manifests(lake: string): Promise<Manifest[]> {
  const store = lakeAt(lake);
  const keys = (await listKeys(store, 'manifests/')).filter((k) => k.endsWith('.json'));
  return Promise.all(keys.map(async (k) => JSON.parse(await readFile(join(lake, 'lake', k), 'utf8')) as Manifest));
}

describe('landfall watch: a drop folder that lands files like the bucket', () => {
  it('takes a file only once it stops growing, each file once (across restarts too), and goes on after a bad one', async () => {
    const lake = await tempDir();
    const drop = join(await tempDir(), 'drop');
    await mkdir(drop);
    const w = startWatch(lake, drop, 1500);
    await until(async () => w.output().includes('watching'), 60_000);

    // A copy in two writes: the half file is never taken (it changes before it has settled).
    const clicks = await readFile(CLICKS);
    const half = Math.floor(clicks.length / 2);
    await writeFile(join(drop, 'train_sample.csv'), clicks.subarray(0, half));
    await new Promise((r) => setTimeout(r, 300));
    expect(await manifests(lake)).toEqual([]);
    await appendFile(join(drop, 'train_sample.csv'), clicks.subarray(half));
    await until(async () => (await manifests(lake)).length === 1, 60_000);
    const [m] = await manifests(lake);
    const [{ n }] = await rows(await duck(), `SELECT count(*) AS n FROM read_csv('${CLICKS}', header = true)`);
    expect(m).toMatchObject({ dataset: 'ad_clicks', status: 'published', rowsWritten: Number(n), rowsRejected: 0 });

    // A bad file (binary) is reported and kept whole; a good file after it still lands.
    await writeFile(join(drop, 'olist_orders_dataset_bad.csv'), Buffer.from([0x00, 0x01, 0x02, 0x0a]));
    await until(async () => w.output().includes('NOT CONVERTED (not-csv)'), 60_000);
    await writeFile(join(drop, 'olist_orders_dataset.csv'), await readFile(ORDERS));
    await until(
      async () => (await manifests(lake)).some((x) => x.dataset === 'olist_orders' && x.status === 'published'),
      60_000,
    );
    // The manifest is written before the watch prints what it did: wait for the line, not the file.
    await until(async () => w.output().includes('rows read 8135, written 8135, rejected 0'), 60_000);

    // Ctrl-C: a clean stop.
    w.child.kill('SIGINT');
    expect(await w.exited).toBe(0);
    expect(w.output()).toContain('stopped');
    const before = (await manifests(lake)).length;

    // Restarted on the same folder: nothing is taken again.
    const again = startWatch(lake, drop, 200);
    await until(async () => again.output().includes('3 taken before'), 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect((await manifests(lake)).length).toBe(before);
    expect(again.output()).not.toContain('rows read');
  }, 180_000);

  it('--report writes the report page at the start and again after each file', async () => {
    const lake = await tempDir();
    const drop = join(await tempDir(), 'drop');
    await mkdir(drop);
    const page = join(lake, 'pages', 'lake.html');
    const w = startWatch(lake, drop, 300, ['--report', '--out', page]);
    await until(async () => w.output().includes('watching'), 60_000);
    expect(w.output()).toContain(`report: ${page} (refreshed after each file; reload the page)`);
    expect(await readFile(page, 'utf8')).toContain('0 batches; rows written <b id="total-written">0</b>');

    await writeFile(join(drop, 'train_sample.csv'), await readFile(CLICKS));
    await until(async () => w.output().includes('report:     refreshed'), 60_000);
    const [m] = await manifests(lake);
    const [{ n }] = await rows(await duck(), `SELECT count(*)::INTEGER AS n FROM read_csv('${CLICKS}', header = true)`);
    const html = await readFile(page, 'utf8');
    expect(html).toContain(`1 batch; rows written <b id="total-written">${Number(n).toLocaleString('en-US')}</b>`);
    expect(html).toContain(`data-batch="${m.batchId}"`);
    w.child.kill('SIGINT');
    expect(await w.exited).toBe(0);
  }, 120_000);
});
