/**
 * Issue 13 locally: `landfall run` of a folder of many small files merges once per merge group, not once per file,
 * and `landfall maintain` runs the daily maintenance (DuckDB: CHECKPOINT) inside each group's run.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalPipelineRunner } from '#src/cli/pipelineRunner.ts';
import { duck, rows, SHARED_DATA, tempDir, tempLake } from './helpers.ts';

const OLIST = join(SHARED_DATA, 'olist/sample_bravida');

/** `file` cut into `parts` files of consecutive lines, each with the header. */
async function cut(file: string, parts: number, dir: string, name: string): Promise<string[]> {
  const [header, ...lines] = (await readFile(file, 'utf8')).trimEnd().split('\n');
  const per = Math.ceil(lines.length / parts);
  const out: string[] = [];
  for (let i = 0; i < parts; i++) {
    const f = join(dir, `${name}-${String(i).padStart(2, '0')}.csv`);
    await writeFile(f, `${header}\n${lines.slice(i * per, (i + 1) * per).join('\n')}\n`);
    out.push(f);
  }
  return out;
}

describe('local merge runs', () => {
  it("landfall run of 40 files of 3 datasets runs one merge run per group, every batch merged by it, with DuckDB's answers", async () => {
    const lake = await tempLake({ threads: 1 });
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    const files = [
      ...(await cut(join(OLIST, 'olist_orders_dataset.csv'), 20, dir, 'olist_orders_dataset')),
      ...(await cut(join(OLIST, 'olist_order_payments_dataset.csv'), 10, dir, 'olist_order_payments_dataset')),
      ...(await cut(join(OLIST, 'olist_products_dataset.csv'), 10, dir, 'olist_products_dataset')),
    ];
    const runner = await LocalPipelineRunner.open(lake);
    try {
      const lines: string[] = [];
      const { outcomes, mergeFailed } = await runner.run(files, undefined, (l) => lines.push(l));
      expect(mergeFailed).toBe(false);
      expect(outcomes.filter((o) => o.error)).toEqual([]);
      // Two groups: olist_customers (orders and payments share summaries) and olist_products.
      const merged = lines.filter((l) => /batch\(es\) merged/.test(l));
      expect(merged.map((l) => l.split('\n')[0])).toEqual([
        'olist_order_payments, olist_orders: 30 batch(es) merged, one MERGE per dataset (merge group olist_customers)',
        'olist_products: 10 batch(es) merged, one MERGE per dataset',
      ]);
      // Every batch was merged by one of exactly two runs.
      const holders = new Set<string>();
      for (const ds of ['olist_orders', 'olist_order_payments', 'olist_products']) {
        for await (const o of lake.lake.list(`pipeline/${ds}/merged/`))
          holders.add(JSON.parse(await readFile(lake.lake.path(o.key), 'utf8')).mergedBy);
      }
      expect(holders.size).toBe(2);
      const conn = await duck();
      const [golden] = await rows(
        conn,
        `SELECT count(DISTINCT order_id)::INT AS n FROM read_csv('${join(OLIST, 'olist_orders_dataset.csv')}', header = true, all_varchar = true)`,
      );
      expect((await runner.engine.query('SELECT count(*)::INT AS n FROM curated.olist_orders')).rows).toEqual([golden]);

      const maintained = await runner.maintain();
      expect(maintained.failed).toBe(false);
      expect(maintained.lines.filter((l) => l.includes('maintained (CHECKPOINT)')).length).toBeGreaterThanOrEqual(2);
      // Done: a second request is needed before the next maintenance.
      expect(await runner.queue.maintenanceDue('olist_orders')).toBe(false);
    } finally {
      await runner.close();
    }
  });
});
