import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbEngine } from '#src/adapters/local/DuckDbEngine.ts';
import { replay } from '#src/cli/replay.ts';
import { duck, ingestFile, rows, SHARED_DATA, tempLake } from './helpers.ts';

const ORDERS = join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv');

describe('landfall replay: the recovery after a pipeline run that did not finish', () => {
  it('merges a published batch whose pipeline never ran, and a second replay changes nothing', async () => {
    const lake = await tempLake();
    // Converted and published, then the pipeline never ran (a failed or aborted execution on AWS).
    const { manifest } = await ingestFile(lake, ORDERS, 'olist_orders', 'olist_orders_dataset.csv');
    const lines: string[] = [];
    expect(await replay(['--lake', lake.root, 'olist_orders', manifest.batchId], (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toBe(
      `replayed olist_orders batch ${manifest.batchId} (with any other pending batch of olist_orders)`,
    );
    expect(lines.join('\n')).toContain('curated.olist_orders');

    const conn = await duck();
    const [{ n }] = await rows(
      conn,
      `SELECT count(DISTINCT order_id)::INT AS n FROM read_csv('${ORDERS}', all_varchar = true)`,
    );
    const count = async () => {
      const engine = await DuckDbEngine.open(lake.root);
      try {
        return (await engine.query('SELECT count(*)::INT AS n FROM curated.olist_orders')).rows[0];
      } finally {
        await engine.close();
      }
    };
    expect(await count()).toEqual({ n });
    expect(await replay(['--lake', lake.root, 'olist_orders', manifest.batchId], () => {})).toBe(0);
    expect(await count()).toEqual({ n });
  });

  it('names the missing manifest and what to do for a batch that was never published', async () => {
    const lake = await tempLake();
    await expect(replay(['--lake', lake.root, 'olist_orders', 'b0000000000000000000'], () => {})).rejects.toThrow(
      /no manifest manifests\/olist_orders\/b0000000000000000000\.json .*run its file again/,
    );
  });
});
