import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { duckdbDialect } from '#src/pipeline/sqlDialect.ts';
import type { Contract } from '#src/contracts/contract.ts';
import { duck, expectReconciled, ingestFile, rows, SHARED_DATA, tempLake, landedParquet } from './helpers.ts';

/**
 * Golden answers come from DuckDB reading the original CSV with the contract's types: the same row count
 * and, per column, the same count of non-nulls, min, max and an order-independent checksum of the values.
 */
const CASES: [string, string][] = [
  ['olist/olist_products_dataset.csv', 'olist_products'],
  ['olist/olist_products_dataset.csv.gz', 'olist_products'],
  ['olist/olist_sellers_dataset.csv', 'olist_sellers'],
  ['olist/product_category_name_translation.csv', 'olist_category_translation'],
  ['olist/sample_bravida/olist_customers_dataset.csv', 'olist_customers'],
  ['olist/sample_bravida/olist_geolocation_dataset.csv', 'olist_geolocation'],
  ['olist/sample_bravida/olist_order_items_dataset.csv', 'olist_order_items'],
  ['olist/sample_bravida/olist_order_payments_dataset.csv', 'olist_order_payments'],
  ['olist/sample_bravida/olist_order_reviews_dataset.csv', 'olist_order_reviews'],
  ['olist/sample_bravida/olist_orders_dataset.csv', 'olist_orders'],
  ['olist/sample_bravida/olist_products_dataset.csv', 'olist_products'],
  ['olist/sample_bravida/olist_sellers_dataset.csv', 'olist_sellers'],
  ['olist/sample_bravida/product_category_name_translation.csv', 'olist_category_translation'],
  ['adtech/talkingdata/train_sample.csv', 'ad_clicks'],
  ['adtech/talkingdata/train_sample.csv.gz', 'ad_clicks'],
  ['retailrocket/category_tree.csv', 'retailrocket_category_tree'],
];

function aggregates(c: Contract, from: string): string {
  const parts = c.columns.flatMap((col) => {
    const n = col.name;
    const checksum = `sum(hash(${n})::HUGEINT)`;
    return [
      `count(${n}) AS "${n}:count"`,
      `min(${n})::VARCHAR AS "${n}:min"`,
      `max(${n})::VARCHAR AS "${n}:max"`,
      `${checksum}::VARCHAR AS "${n}:hash"`,
    ];
  });
  return `SELECT count(*) AS rows, ${parts.join(', ')} FROM ${from}`;
}

describe('real files round-trip through Landfall into Parquet that DuckDB reads back identically', async () => {
  const lake = await tempLake();
  const conn = await duck();

  it.each(CASES)('%s', async (file, dataset) => {
    const path = join(SHARED_DATA, file);
    const result = await ingestFile(lake, path, dataset);
    await expectReconciled(lake.lake, result);
    const m = result.manifest;
    expect(m.status).toBe('published');
    expect(m.rowsRejected).toBe(0);
    const contract = lake.contracts.find((c) => c.dataset === dataset)!;
    const columns = contract.columns.map((c) => `'${c.name}': '${duckdbDialect.type(c.type)}'`).join(', ');
    const csv = `read_csv('${path}', header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {${columns}})`;
    const parquet = `${landedParquet(lake.lake, m)}`;
    const [expected] = await rows(conn, aggregates(contract, csv));
    const [actual] = await rows(conn, aggregates(contract, parquet));
    expect(actual).toEqual(expected);
    expect(Number(expected.rows)).toBe(m.rowsRead);
  });
});
