import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lakeAt, SHARED_DATA, tempDir } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/landfall.mjs', import.meta.url));

async function landfall(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the landfall command', () => {
  it('runs a folder of real files, then answers SQL over raw.<dataset> in table, csv and json', async () => {
    const lake = await tempDir();
    lakeAt(lake); // its manifests are reconciled against their files after the test
    const run = await landfall('run', '--lake', lake, join(SHARED_DATA, 'olist/sample_bravida'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('olist_orders_dataset.csv -> olist_orders');
    expect(run.stdout).toMatch(/rows read 8135, written 8135, rejected 0/);

    const json = await landfall(
      'query',
      '--lake',
      lake,
      '--format',
      'json',
      'SELECT order_status, count(*) AS n FROM raw.olist_orders GROUP BY 1 ORDER BY n DESC LIMIT 1',
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([{ order_status: 'delivered', n: expect.any(String) }]);

    const csv = await landfall(
      'query',
      '--lake',
      lake,
      '--format',
      'csv',
      'SELECT count(*) AS n FROM raw.olist_customers',
    );
    expect(csv.stdout.trim()).toBe('n\n8135');

    const table = await landfall('query', '--lake', lake, 'SELECT count(*) AS n FROM raw.ad_clicks');
    expect(table.stdout).toContain('(1 row)');
  });

  it("run --range-mb converts a file as byte ranges through the state machine's Map, then merges it", async () => {
    const lake = await tempDir();
    lakeAt(lake); // its manifests are reconciled against their files after the test
    const run = await landfall(
      'run',
      '--lake',
      lake,
      '--range-mb',
      '1',
      join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'),
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/rows read 100000, written 100000, rejected 0/);
    expect(run.stdout).toMatch(/converted: +4 byte range\(s\) in 4 run\(s\) by the state machine's Map/);
    expect(run.stdout).toMatch(/pipeline: +curated\.ad_clicks/);
    const csv = await landfall('query', '--lake', lake, '--format', 'csv', 'SELECT count(*) AS n FROM raw.ad_clicks');
    expect(csv.stdout.trim()).toBe('n\n100000');
  });

  it('exits non-zero and says why when a file matches no contract', async () => {
    const lake = await tempDir();
    lakeAt(lake); // its manifests are reconciled against their files after the test
    const file = join(await tempDir(), 'unknown_export.csv');
    await writeFile(file, 'a,b\n1,2\n');
    const r = await landfall('run', '--lake', lake, file, join(SHARED_DATA, 'retailrocket/category_tree.csv'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/NOT CONVERTED \(no-contract\)/);
    expect(r.stdout).toMatch(/rows read 1669, written 1669/);
    expect(r.stderr).toContain('1 of 2 file(s) could not be converted');
  });

  it('a folder run again beside its own lake ingests the files, never the lake; a FIFO is refused; infer --out makes its folder', async () => {
    const dir = await tempDir();
    const lake = join(dir, 'lake');
    lakeAt(lake);
    await writeFile(
      join(dir, 'category_tree.csv'),
      await readFile(join(SHARED_DATA, 'retailrocket/category_tree.csv')),
    );
    const first = await landfall('run', '--lake', lake, dir);
    expect(first.code, first.stderr).toBe(0);
    const again = await landfall('run', '--lake', lake, dir);
    expect(again.code, again.stderr).toBe(0);
    // One file each time: the lake's own Parquet, manifests and landing copies are not taken as input.
    expect(again.stdout.match(/-> retailrocket_category_tree/g)).toHaveLength(1);
    expect(again.stdout).toContain('already ingested');

    const fifo = join(dir, 'export.csv');
    await promisify(execFile)('mkfifo', [fifo]);
    const refused = await landfall('run', '--lake', lake, fifo);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`${fifo}: not a regular file or a folder (a FIFO, socket or device)`);

    const out = join(dir, 'drafts', 'new');
    const drafted = await landfall('infer', '--out', out, join(SHARED_DATA, 'retailrocket/category_tree.csv'));
    expect(drafted.code, drafted.stderr).toBe(0);
    expect(await readFile(join(out, 'category_tree.yaml'), 'utf8')).toMatch(/^dataset: category_tree/m);
  });

  it('a closed stdout (| head -1) stops the output quietly; the run still finishes its work', async () => {
    const lake = await tempDir();
    lakeAt(lake);
    const file = join(SHARED_DATA, 'retailrocket/category_tree.csv');
    const { stdout, stderr } = await promisify(execFile)(
      'bash',
      [
        '-c',
        'set -o pipefail; "$0" "$1" run --lake "$2" "$3" | head -1; echo "exit $?" >&2',
        process.execPath,
        BIN,
        lake,
        file,
      ],
      { maxBuffer: 1 << 24 },
    );
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(stderr).toContain('exit 0');
    const again = await landfall('run', '--lake', lake, file);
    expect(again.stdout).toContain('already ingested'); // the first run published its batch
  });

  it('--dataset names the contract for a file whose name says nothing', async () => {
    const lake = await tempDir();
    lakeAt(lake); // its manifests are reconciled against their files after the test
    const r = await landfall(
      'run',
      '--lake',
      lake,
      '--dataset',
      'retailrocket_category_tree',
      join(SHARED_DATA, 'retailrocket/category_tree.csv'),
    );
    expect(r.code).toBe(0);
    const unknown = await landfall(
      'run',
      '--lake',
      lake,
      '--dataset',
      'nope',
      join(SHARED_DATA, 'retailrocket/category_tree.csv'),
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('no contract named "nope"');
  });

  it('query --format csv writes NULL as an empty field and an empty string as "", json as null', async () => {
    const lake = await tempDir();
    const sql = "SELECT 1 AS id, NULL AS missing, '' AS blank, 'a,\"b' AS text";
    const csv = await landfall('query', '--lake', lake, '--format', 'csv', sql);
    expect(csv.code).toBe(0);
    expect(csv.stdout.trim()).toBe('id,missing,blank,text\n1,,"","a,""b"');
    const json = await landfall('query', '--lake', lake, '--format', 'json', sql);
    expect(JSON.parse(json.stdout)).toEqual([{ id: 1, missing: null, blank: '', text: 'a,"b' }]);
    const table = await landfall('query', '--lake', lake, sql);
    expect(table.stdout).toMatch(/1\s+\| NULL\s+\|\s+\| a,"b/);
  });

  it('reports SQL errors and usage errors clearly', async () => {
    const lake = await tempDir();
    lakeAt(lake); // its manifests are reconciled against their files after the test
    const bad = await landfall('query', '--lake', lake, 'SELECT * FROM raw.no_such_table');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/landfall query: .*no_such_table/);
    const usage = await landfall('frobnicate');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown command "frobnicate"');
  });

  it('demo --small generates, ingests and queries every dataset, and a second run changes nothing', async () => {
    const lake = await tempDir();
    lakeAt(lake); // its manifests are reconciled against their files after the test
    const first = await landfall('demo', '--small', '--lake', lake);
    expect(first.code).toBe(0);
    for (const ds of ['olist_orders', 'olist_order_reviews', 'olist_geolocation', 'retailrocket_events', 'ad_clicks'])
      expect(first.stdout).toContain(`-> ${ds}`);
    expect(first.stdout).toContain('What was quarantined, and why');
    expect(first.stdout).toMatch(/olist_orders\s+\| ragged-row\s+\| 1/);
    // It ends with the report page (tests/report.test.ts reads one in a browser).
    expect(first.stdout).toContain(
      `The report page (charts of the summaries, batches, rejects, alarms; works offline): file://${lake}/report.html`,
    );
    expect(await readFile(join(lake, 'report.html'), 'utf8')).toMatch(
      /15 batches; rows written <b id="total-written">[\d,]+<\/b>,\s+rejected <b id="total-rejected">[1-9]/,
    );
    const second = await landfall('demo', '--small', '--lake', lake);
    expect(second.code).toBe(0);
    expect(second.stdout.match(/already ingested on/g)).toHaveLength(15);
  });
});
