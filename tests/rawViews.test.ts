import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbEngine } from '#src/adapters/local/DuckDbEngine.ts';
import { ingestFile, SHARED_DATA, tempLake } from './helpers.ts';

const ORDERS = join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv');

/** The local catalog's raw views, as `landfall query` attaches them at each start. */
describe('raw views in the local warehouse', () => {
  it('are made again only when their definition changes (a new batch, or a view replaced by other means)', async () => {
    const lake = await tempLake();
    const contracts = lake.contracts.filter((c) => c.dataset === 'olist_orders');
    // What the views should show: the rows each batch wrote (their counts are tested elsewhere; here, the views).
    const rows = (await ingestFile(lake, ORDERS, 'olist_orders', 'a.csv')).manifest.rowsWritten;
    expect(rows).toBeGreaterThan(1000);
    const engine = await DuckDbEngine.open(lake.root);
    try {
      const count = async () => Number((await engine.query('SELECT count(*) AS n FROM raw.olist_orders')).rows[0].n);
      const definition = async () =>
        (await engine.query("SELECT sql FROM duckdb_views() WHERE schema_name = 'raw'")).rows[0].sql as string;
      await engine.attachRaw(lake.lake, contracts);
      expect(await count()).toBe(rows);
      const made = await definition();

      // Unchanged: left as it is. Shown by a view changed behind Landfall's back but keeping its comment (the hash
      // of the statement that made it): attaching again does not put it back.
      const comment = (await engine.query("SELECT comment FROM duckdb_views() WHERE schema_name = 'raw'")).rows[0]
        .comment as string;
      expect(comment).toMatch(/^landfall:[0-9a-f]{32}$/);
      await engine.run('CREATE OR REPLACE VIEW raw.olist_orders AS SELECT 1 AS only_one');
      await engine.run(`COMMENT ON VIEW raw.olist_orders IS '${comment}'`);
      await engine.attachRaw(lake.lake, contracts);
      expect(await count()).toBe(1);

      // Replaced without the comment: made again.
      await engine.run('CREATE OR REPLACE VIEW raw.olist_orders AS SELECT 1 AS only_one');
      await engine.attachRaw(lake.lake, contracts);
      expect(await count()).toBe(rows);
      expect(await definition()).toBe(made);

      // A second batch: a new file list, a new view.
      await ingestFile(lake, ORDERS, 'olist_orders', 'b.csv');
      await engine.attachRaw(lake.lake, contracts);
      expect(await count()).toBe(2 * rows);
    } finally {
      await engine.close();
    }
  });
});
