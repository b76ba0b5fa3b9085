/**
 * Issue 14 item 3: two commands on one lake. DuckDB lets one process open the warehouse at a time: every command
 * waits for it (saying who holds it), `landfall run` holds it only for its pipeline steps, never while converting.
 */
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { duck, lakeAt, rows, SHARED_DATA, tempDir } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/landfall.mjs', import.meta.url));
const CLICKS = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');

async function landfall(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; endedAt: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr, endedAt: Date.now() };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, endedAt: Date.now() };
  }
}

describe('two landfall commands on one lake', () => {
  it('a run waits for the warehouse another process holds, says which, and finishes', async () => {
    const lake = await tempDir();
    lakeAt(lake); // its manifests are reconciled against their files after the test
    expect((await landfall('run', '--lake', lake, join(SHARED_DATA, 'retailrocket/category_tree.csv'))).code).toBe(0);
    // Another process holds the warehouse for 3 s.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
      import { DuckDBInstance } from '@duckdb/node-api';
      const db = await DuckDBInstance.create(${JSON.stringify(join(lake, 'warehouse.duckdb'))});
      const c = await db.connect();
      process.stdout.write('holding\\n');
      setTimeout(() => { c.closeSync(); db.closeSync(); }, 3000);
    `,
      ],
      { cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const run = await landfall(
      'run',
      '--lake',
      lake,
      join(SHARED_DATA, 'olist/sample_bravida/olist_sellers_dataset.csv'),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(`waiting for the warehouse .*warehouse\\.duckdb: process ${holder.pid} holds it`),
    );
    const q = await landfall(
      'query',
      '--lake',
      lake,
      '--format',
      'csv',
      'SELECT count(*) AS n FROM curated.olist_sellers',
    );
    expect(q.stdout.trim().split('\n')[1]).toMatch(/^\d+$/);
  });

  it('a query runs while another run converts, and three runs of one file started together all finish with one copy of its rows', async () => {
    const lake = await tempDir();
    lakeAt(lake); // its manifests are reconciled against their files after the test
    // 60 copies of the clicks (about 240 MB): a conversion of seconds, reporting progress after the first.
    const body = (await readFile(CLICKS, 'utf8')).trimEnd().split('\n');
    const big = join(await tempDir(), 'train_sample.csv');
    await writeFile(big, `${body[0]}\n${Array.from({ length: 60 }, () => body.slice(1).join('\n')).join('\n')}\n`);
    // Progress from the first chunk: on a quiet machine the conversion may take little more than a second, and the
    // query must start while it runs, whatever the speed.
    const child = spawn(process.execPath, [BIN, 'run', '--lake', lake, '--dataset', 'ad_clicks', big], {
      env: { ...process.env, LANDFALL_PROGRESS_AFTER_MS: '0' },
    });
    let stderr = '';
    const converting = new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/\d+% \(/.test(stderr)) resolve();
      }),
    );
    const running = new Promise<{ code: number; endedAt: number }>((resolve) =>
      child.on('close', (code) => resolve({ code: code ?? -1, endedAt: Date.now() })),
    );
    // The query starts once the run reports its conversion under way, and must not wait for it.
    await Promise.race([converting, running]);
    const query = await landfall('query', '--lake', lake, '--format', 'csv', 'SELECT 1 AS one');
    const run = await running;
    expect(stderr, 'the run reported no progress before it ended').toMatch(/\d+% \(/);
    expect(query.code).toBe(0);
    expect(query.endedAt).toBeLessThan(run.endedAt);
    expect(run.code).toBe(0);

    const small = join(SHARED_DATA, 'olist/sample_bravida/olist_order_payments_dataset.csv');
    const three = await Promise.all([1, 2, 3].map(() => landfall('run', '--lake', lake, small)));
    expect(
      three.map((r) => r.code),
      three.map((r) => `${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`).join('\n---\n'),
    ).toEqual([0, 0, 0]);
    const conn = await duck();
    const [golden] = await rows(conn, `SELECT count(*)::VARCHAR AS n FROM read_csv('${small}', header = true)`);
    const q = await landfall(
      'query',
      '--lake',
      lake,
      '--format',
      'csv',
      'SELECT count(*) AS n FROM curated.olist_order_payments',
    );
    expect(q.stdout.trim().split('\n')[1]).toBe(golden.n);
  });
});
