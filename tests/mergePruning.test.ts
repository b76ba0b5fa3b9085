/**
 * Issue 13 item 5: a MERGE reads only what it touches. The range of the partition source column comes from the raw
 * files' footer statistics (two ranged reads per file), checked against DuckDB on the CSV; the MERGE's ON clause
 * carries it; upserts stay right.
 */
import { readFileSync } from 'node:fs';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalPipelineRunner } from '#src/cli/pipelineRunner.ts';
import { columnRanges, prunableColumns } from '#src/pipeline/columnRanges.ts';
import { BUILTIN_CONTRACTS } from '#src/wiring/local.ts';
import { duck, ingestFile, rows, SHARED_DATA, tempDir, tempLake } from './helpers.ts';

const CLICKS = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
const ORDERS = join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv');

/** A pipeline runner on a new lake, keeping the statements it runs that start with `prefix`. */
async function runnerSeeing(
  prefix: string,
  contractsDir?: string,
): Promise<{ runner: LocalPipelineRunner; seen: string[] }> {
  const runner = await LocalPipelineRunner.open(await tempLake({ threads: 1 }, contractsDir));
  const seen: string[] = [];
  const run = runner.engine.run.bind(runner.engine);
  runner.engine.run = async (sql: string) => {
    if (sql.startsWith(prefix)) seen.push(sql);
    return run(sql);
  };
  return { runner, seen };
}

describe('MERGE partition pruning', () => {
  it("reads the range of click_time over a batch's Parquet files from their footers, equal to DuckDB's min and max of the CSV", async () => {
    const lake = await tempLake({ threads: 1, targetFileBytes: 256 * 1024, rowGroupBatches: 2 });
    const r = await ingestFile(lake, CLICKS, 'ad_clicks');
    expect(r.manifest.files.length).toBeGreaterThan(1);
    const clicks = lake.contracts.find((c) => c.dataset === 'ad_clicks')!;
    // ad_clicks has no key: a row is named by its batch and line, so pruning by its partition source always holds.
    expect(prunableColumns(clicks)).toEqual(['click_time']);
    const conn = await duck();
    const [golden] = await rows(
      conn,
      `SELECT strftime(min(click_time::TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f') AS lo, strftime(max(click_time::TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f') AS hi FROM read_csv('${CLICKS}', header = true, all_varchar = true)`,
    );
    expect(await columnRanges(lake.lake, clicks, r.manifest.files, ['click_time', 'ip'])).toEqual([
      expect.objectContaining({
        column: 'click_time',
        type: 'timestamp',
        min: `TIMESTAMP '${golden.lo}'`,
        max: `TIMESTAMP '${golden.hi}'`,
        nullable: false,
      }),
    ]);
  });

  it('only with a partition source that never changes for a key (the contract says so) or without a key', async () => {
    const lake = await tempLake();
    const orders = lake.contracts.find((c) => c.dataset === 'olist_orders')!;
    expect(prunableColumns({ ...orders, partitionsStable: false })).toEqual([]);
    expect(prunableColumns({ ...orders, partitionsStable: true })).toEqual(['order_purchase_timestamp']);
    expect(prunableColumns(lake.contracts.find((c) => c.dataset === 'olist_customers')!)).toEqual([]); // not partitioned
  });

  it('merges upserts correctly with the range in the ON clause: stored rows in reach are updated, none duplicated', async () => {
    // The built-in contracts, with olist_orders promising that an order's purchase time never changes.
    const contracts = await tempDir();
    await cp(BUILTIN_CONTRACTS, contracts, { recursive: true });
    const file = join(contracts, 'olist_orders.yaml');
    await writeFile(file, `${readFileSync(file, 'utf8').trimEnd()}\npartitionsStable: true\n`);
    const { runner, seen: merges } = await runnerSeeing('MERGE INTO curated.olist_orders', contracts);
    try {
      const dir = await tempDir();
      const [header, ...lines] = readFileSync(ORDERS, 'utf8').trimEnd().split('\n');
      // Day one: every order. Day two: 200 of them delivered late (status changed), and 5 new orders.
      const first = join(dir, 'olist_orders_dataset.csv');
      await writeFile(first, `${header}\n${lines.join('\n')}\n`);
      const changed = lines.slice(1000, 1200).map((l) => l.replace(/,"?delivered"?,/, ',"shipped",'));
      const fresh = lines.slice(0, 5).map((l, i) => l.replace(/^"?[0-9a-f]{32}"?/, `"${'f'.repeat(31)}${i}"`));
      const second = join(dir, 'olist_orders_dataset-2.csv');
      await writeFile(second, `${header}\n${[...changed, ...fresh].join('\n')}\n`);
      await runner.run([first], 'olist_orders', () => undefined);
      const lines2: string[] = [];
      const { mergeFailed } = await runner.run([second], 'olist_orders', (l) => lines2.push(l));
      expect(mergeFailed).toBe(false);
      const [got] = (
        await runner.engine.query(
          "SELECT count(*)::INT AS n, count(DISTINCT order_id)::INT AS keys, count(*) FILTER (WHERE order_status = 'shipped')::INT AS shipped FROM curated.olist_orders",
        )
      ).rows;
      // DuckDB on the two CSV files: one row per order, the second file's row winning.
      const conn = await duck();
      const csv = (f: string, n: number) =>
        `SELECT *, ${n} AS f FROM read_csv('${f}', header = true, all_varchar = true)`;
      const [golden] = await rows(
        conn,
        `SELECT count(*)::INT AS n, count(DISTINCT order_id)::INT AS keys, count(*) FILTER (WHERE order_status = 'shipped')::INT AS shipped
        FROM (SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY f DESC) AS rn FROM (${csv(first, 1)} UNION ALL ${csv(second, 2)})) WHERE rn = 1`,
      );
      expect(got).toEqual(golden);
      expect(golden.shipped).toBeGreaterThan(150);
      // The second MERGE looked only within the purchase times its rows span (partitionsStable).
      const [lo, hi] = (
        await rows(
          conn,
          `SELECT strftime(min(order_purchase_timestamp::TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f') AS lo, strftime(max(order_purchase_timestamp::TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f') AS hi FROM read_csv('${second}', header = true, all_varchar = true)`,
        )
      ).map((r) => [r.lo, r.hi])[0];
      expect(merges).toHaveLength(2);
      expect(merges[1]).toContain(`AND t."order_purchase_timestamp" BETWEEN TIMESTAMP '${lo}' AND TIMESTAMP '${hi}'\n`);
    } finally {
      await runner.close();
    }
  });

  it("a scoped summary reads its table only within the whole days a round's batches span, and equals DuckDB on the CSV", async () => {
    const { runner, seen: summaries } = await runnerSeeing('MERGE INTO summary.ad_clicks_daily');
    try {
      const dir = await tempDir();
      const [header, ...lines] = readFileSync(CLICKS, 'utf8').trimEnd().split('\n');
      const half = Math.floor(lines.length / 2);
      const parts = [0, 1].map((i) => join(dir, `train_sample-${i}.csv`));
      await writeFile(parts[0], `${header}\n${lines.slice(0, half).join('\n')}\n`);
      await writeFile(parts[1], `${header}\n${lines.slice(half).join('\n')}\n`);
      await runner.run([parts[0]], 'ad_clicks', () => undefined);
      await runner.run([parts[1]], 'ad_clicks', () => undefined);
      const conn = await duck();
      const [days] = await rows(
        conn,
        `SELECT strftime(min(click_time::TIMESTAMP)::DATE, '%Y-%m-%d') AS lo, strftime(max(click_time::TIMESTAMP)::DATE + 1, '%Y-%m-%d') AS hi FROM read_csv('${parts[1]}', header = true, all_varchar = true)`,
      );
      expect(summaries).toHaveLength(2);
      expect(summaries[1]).toContain(
        `(SELECT * FROM curated.ad_clicks WHERE "click_time" >= TIMESTAMP '${days.lo} 00:00:00.000000' AND "click_time" < TIMESTAMP '${days.hi} 00:00:00.000000')`,
      );
      const golden = await rows(
        conn,
        `SELECT strftime(CAST(click_time::TIMESTAMP AS DATE), '%Y-%m-%d') AS d, channel::INT AS channel, count(*)::INT AS clicks, sum(is_attributed::INT)::INT AS installs
        FROM read_csv('${CLICKS}', header = true, all_varchar = true) GROUP BY ALL ORDER BY d, channel`,
      );
      const got = (
        await runner.engine.query(
          "SELECT strftime(click_date, '%Y-%m-%d') AS d, channel::INT AS channel, clicks::INT AS clicks, installs::INT AS installs FROM summary.ad_clicks_daily ORDER BY d, channel",
        )
      ).rows;
      expect(got).toEqual(golden);
    } finally {
      await runner.close();
    }
  });
});
