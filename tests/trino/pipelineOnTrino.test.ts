/**
 * The Trino lane (npm run test:trino): the pipeline's Athena SQL on a real Trino server (Athena engine v3 is Trino),
 * run by the real ASL through the local interpreter, over the raw Parquet files Landfall's own writer made, read
 * through the symlink tables with partition projection. Golden answers: DuckDB over the CSV files.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duck, olistDeliveryDailyCte, rows, SHARED_DATA } from '../helpers.ts';
import { expectSameRows, runFiles, trinoLake, type TrinoLake } from './lane.ts';

const OLIST = join(SHARED_DATA, 'olist/sample_bravida');
const CLICKS = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
const csv = (name: string) => `read_csv('${join(OLIST, name)}', header = true)`;
const DB = { raw: 'landfall_dev_raw', curated: 'landfall_dev_curated', summary: 'landfall_dev_summary' };

async function golden(sql: string): Promise<unknown[][]> {
  return (await rows(await duck(), sql)).map((r) =>
    Object.values(r).map((v) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v)),
  );
}

let t: TrinoLake;

beforeAll(async () => {
  t = await trinoLake();
  const files = [
    'olist_customers',
    'olist_order_items',
    'olist_order_payments',
    'olist_order_reviews',
    'olist_orders',
    'olist_sellers',
  ]
    .map((n) => join(OLIST, `${n}_dataset.csv`))
    .concat(CLICKS);
  await runFiles(t, files);
}, 900_000);

afterAll(() => t?.close());

describe('the pipeline on Trino (Olist and the TalkingData clicks)', () => {
  it('ran every statement on Trino: DDL (Hive symlink tables, Iceberg tables), captures, MERGEs, summaries, views', () => {
    const kinds = t.warehouse.log.map((s) => s.sql.split(/\s+/).slice(0, 3).join(' '));
    expect(kinds.filter((k) => k.startsWith('MERGE INTO')).length).toBeGreaterThanOrEqual(7 + 3);
    expect(kinds.filter((k) => k.startsWith('CREATE EXTERNAL TABLE')).length).toBe(7);
    expect(kinds.some((k) => k.startsWith('CREATE OR REPLACE'))).toBe(true);
  });

  it('Trino reads the raw Parquet files through the symlink tables: every written row, per ingest date', async () => {
    for (const [table, file] of [
      ['olist_orders', 'olist_orders_dataset.csv'],
      ['olist_order_items', 'olist_order_items_dataset.csv'],
      ['olist_order_reviews', 'olist_order_reviews_dataset.csv'],
    ]) {
      const [[n]] = await golden(`SELECT count(*) FROM ${csv(file)}`);
      const [[raw]] = await t.rows(`SELECT count(*) FROM ${DB.raw}.${table}`);
      expect(raw, table).toBe(n);
    }
    const [[clicks]] = await golden(`SELECT count(*) FROM read_csv('${CLICKS}', header = true)`);
    expect(await t.rows(`SELECT count(*) FROM ${DB.raw}.ad_clicks`)).toEqual([[clicks]]);
  });

  it('summary.olist_delivery_daily equals the figures DuckDB computes from the CSV files', async () => {
    const expected = await golden(`WITH ${olistDeliveryDailyCte(OLIST)}
      SELECT day::VARCHAR, orders, delivered_orders, late_orders, round(days, 9), revenue::DECIMAL(18,2)::VARCHAR
      FROM delivery_daily ORDER BY 1`);
    const actual = await t.rows(`SELECT CAST(purchase_date AS varchar), orders, delivered_orders, late_orders,
      round(avg_delivery_days, 9), CAST(revenue AS varchar) FROM ${DB.summary}.olist_delivery_daily ORDER BY 1`);
    expect(actual.length).toBeGreaterThan(500);
    expectSameRows(actual, expected, 'olist_delivery_daily');
  });

  it('summary.ad_clicks_daily equals the figures DuckDB computes from train_sample.csv', async () => {
    const expected =
      await golden(`SELECT CAST(click_time AS DATE)::VARCHAR, channel::INTEGER, count(*), count(*) FILTER (WHERE is_attributed = 1)
      FROM read_csv('${CLICKS}', header = true) GROUP BY ALL ORDER BY 1, 2`);
    const actual = await t.rows(
      `SELECT CAST(click_date AS varchar), channel, clicks, installs FROM ${DB.summary}.ad_clicks_daily ORDER BY 1, 2`,
    );
    expectSameRows(actual, expected, 'ad_clicks_daily');
  });

  it('the analytics views Athena and QuickSight users read answer on Trino', async () => {
    const views = await t.rows(
      "SELECT table_name FROM awsdatacatalog.information_schema.views WHERE table_schema = 'landfall_dev_analytics' ORDER BY 1",
    );
    expect(views.flat()).toEqual(
      expect.arrayContaining(['ad_clicks_daily', 'olist_delivery_daily', 'olist_delivery_features']),
    );
    const [[n, d]] = await t.rows(
      'SELECT count(*), count(DISTINCT order_id) FROM landfall_dev_analytics.olist_delivery_features',
    );
    expect(n).toBeGreaterThan(5000);
    expect(d).toBe(n);
  });
});
