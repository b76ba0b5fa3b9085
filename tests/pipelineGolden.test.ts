import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalPipelineRunner } from '#src/cli/pipelineRunner.ts';
import type { LocalLake } from '#src/wiring/local.ts';
import { duck, olistDeliveryDailyCte, reviewsToRevise, rows, SHARED_DATA, tempDir, tempLake } from './helpers.ts';

const OLIST = join(SHARED_DATA, 'olist/sample_bravida');
const CLICKS = join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv');
const csv = (name: string) => `read_csv('${join(OLIST, name)}', header = true)`;

async function ingestAll(_lake: LocalLake, runner: LocalPipelineRunner, files: string[]): Promise<string[]> {
  const lines: string[] = [];
  const { outcomes, mergeFailed } = await runner.run(files, undefined, (l) => lines.push(l));
  expect(outcomes.filter((o) => o.error || o.pipelineFailed)).toEqual([]);
  expect(mergeFailed).toBe(false);
  return lines;
}

/** Every table of the warehouse as an order-independent fingerprint. */
async function fingerprint(runner: LocalPipelineRunner): Promise<Record<string, string>> {
  const tables = await runner.engine.query(
    "SELECT schema_name || '.' || table_name AS t FROM duckdb_tables() WHERE schema_name IN ('curated', 'summary') ORDER BY 1",
  );
  const out: Record<string, string> = {};
  for (const { t } of tables.rows as { t: string }[]) {
    const [r] = (
      await runner.engine.query(
        `SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(x))::VARCHAR, '') AS f FROM ${t} AS x`,
      )
    ).rows;
    out[t] = String((r as { f: string }).f);
  }
  // Equal fingerprints prove nothing about empty tables: every curated and summary table here has rows (the
  // rounds' scratch tables of affected keys, `__affected`, are emptied after each round).
  const tablesWithData = Object.entries(out).filter(([t]) => !t.endsWith('__affected'));
  expect(tablesWithData.length).toBeGreaterThanOrEqual(12);
  expect(tablesWithData.filter(([, f]) => f.startsWith('0:'))).toEqual([]);
  return out;
}

describe('the pipeline on the nine Olist tables and the TalkingData clicks (golden answers from DuckDB on the CSV files)', () => {
  let lake: LocalLake;
  let runner: LocalPipelineRunner;

  beforeAll(async () => {
    lake = await tempLake();
    runner = await LocalPipelineRunner.open(lake);
    const files = [
      'olist_customers',
      'olist_geolocation',
      'olist_order_items',
      'olist_order_payments',
      'olist_order_reviews',
      'olist_orders',
      'olist_products',
      'olist_sellers',
    ]
      .map((n) => join(OLIST, `${n}_dataset.csv`))
      .concat(join(OLIST, 'product_category_name_translation.csv'), CLICKS);
    await ingestAll(lake, runner, files);
    return () => runner.close();
  });

  it('curated row counts equal the distinct keys of the raw CSVs', async () => {
    const conn = await duck();
    const keys: [string, string, string][] = [
      ['olist_orders', 'olist_orders_dataset.csv', 'order_id'],
      ['olist_order_items', 'olist_order_items_dataset.csv', 'order_id, order_item_id'],
      ['olist_order_payments', 'olist_order_payments_dataset.csv', 'order_id, payment_sequential'],
      ['olist_order_reviews', 'olist_order_reviews_dataset.csv', 'review_id, order_id'],
      ['olist_customers', 'olist_customers_dataset.csv', 'customer_id'],
      ['olist_products', 'olist_products_dataset.csv', 'product_id'],
      ['olist_sellers', 'olist_sellers_dataset.csv', 'seller_id'],
      ['olist_geolocation', 'olist_geolocation_dataset.csv', '*'],
      ['olist_category_translation', 'product_category_name_translation.csv', 'product_category_name'],
    ];
    for (const [table, file, key] of keys) {
      const [expected] = await rows(conn, `SELECT count(*) AS n FROM (SELECT DISTINCT ${key} FROM ${csv(file)})`);
      const [actual] = (await runner.engine.query(`SELECT count(*) AS n FROM curated.${table}`)).rows;
      expect(actual, table).toEqual(expected);
    }
  });

  it('summary.olist_delivery_daily equals the figures DuckDB computes from the CSV files', async () => {
    const conn = await duck();
    const expected = await rows(
      conn,
      `WITH ${olistDeliveryDailyCte(OLIST)}
      SELECT day::VARCHAR AS purchase_date, orders::BIGINT AS orders, delivered_orders::BIGINT AS delivered_orders,
             late_orders::BIGINT AS late_orders, round(days, 9) AS avg_delivery_days,
             revenue::DECIMAL(18,2)::VARCHAR AS revenue
      FROM delivery_daily ORDER BY 1`,
    );
    const actual = (
      await runner.engine.query(`
      SELECT purchase_date::VARCHAR AS purchase_date, orders, delivered_orders, late_orders, round(avg_delivery_days, 9) AS avg_delivery_days, revenue::VARCHAR AS revenue
      FROM summary.olist_delivery_daily ORDER BY 1`)
    ).rows;
    expect(actual.length).toBeGreaterThan(500);
    expect(actual).toEqual(expected);
  });

  it('summary.ad_clicks_daily equals the figures DuckDB computes from train_sample.csv (every row counts: the contract has no key, so clicks are appended)', async () => {
    const conn = await duck();
    const expected = await rows(
      conn,
      `
      SELECT CAST(click_time AS DATE)::VARCHAR AS click_date, channel::INTEGER AS channel, count(*)::BIGINT AS clicks,
             count(*) FILTER (WHERE is_attributed = 1)::BIGINT AS installs
      FROM read_csv('${CLICKS}', header = true) GROUP BY ALL ORDER BY 1, 2`,
    );
    const actual = (
      await runner.engine.query(
        'SELECT click_date::VARCHAR AS click_date, channel, clicks, installs FROM summary.ad_clicks_daily ORDER BY 1, 2',
      )
    ).rows;
    expect(actual).toEqual(expected);
    const rates = (
      await runner.engine.query(
        'SELECT bool_and(abs(install_rate - installs / clicks) < 1e-12) AS ok FROM summary.ad_clicks_daily',
      )
    ).rows;
    expect(rates).toEqual([{ ok: true }]);
  });

  it('summary.olist_delivery_features equals the figures DuckDB computes from the CSV files', async () => {
    const conn = await duck();
    // Reviews as curated keeps them: one per (review_id, order_id), the latest answer winning, then the last line.
    const expected = await rows(
      conn,
      `
      WITH o AS (SELECT * FROM ${csv('olist_orders_dataset.csv')} WHERE order_status = 'delivered' AND order_delivered_customer_date IS NOT NULL),
           items AS (SELECT order_id, count(*) AS n, sum(CAST(price AS DECIMAL(12,2))) AS price, sum(CAST(freight_value AS DECIMAL(12,2))) AS freight
                     FROM ${csv('olist_order_items_dataset.csv')} GROUP BY order_id),
           first_seller AS (SELECT i.order_id, min(s.seller_state) AS seller_state FROM ${csv('olist_order_items_dataset.csv')} AS i
                            JOIN ${csv('olist_sellers_dataset.csv')} AS s USING (seller_id) WHERE i.order_item_id = 1 GROUP BY i.order_id),
           r AS (SELECT *, row_number() OVER (PARTITION BY review_id, order_id ORDER BY review_answer_timestamp DESC NULLS LAST, line DESC) AS rn
                 FROM (SELECT *, row_number() OVER () AS line FROM ${csv('olist_order_reviews_dataset.csv')})),
           scores AS (SELECT order_id, avg(review_score::DOUBLE) AS score FROM r WHERE rn = 1 GROUP BY order_id)
      SELECT o.order_id, CAST(o.order_purchase_timestamp AS DATE)::VARCHAR AS purchase_date, c.customer_state, fs.seller_state,
             items.n::BIGINT AS item_count, CAST(items.price AS DECIMAL(18,2))::VARCHAR AS price_total, CAST(items.freight AS DECIMAL(18,2))::VARCHAR AS freight_total,
             round(CASE WHEN items.price > 0 THEN items.freight::DOUBLE / items.price::DOUBLE END, 9) AS freight_share,
             round(epoch(o.order_delivered_customer_date - o.order_purchase_timestamp) / 86400.0, 9) AS delivery_days,
             round(epoch(o.order_estimated_delivery_date - o.order_purchase_timestamp) / 86400.0, 9) AS estimated_days,
             o.order_delivered_customer_date::DATE > o.order_estimated_delivery_date::DATE AS is_late,
             round(scores.score, 9) AS review_score
      FROM o LEFT JOIN ${csv('olist_customers_dataset.csv')} AS c USING (customer_id)
        LEFT JOIN items USING (order_id) LEFT JOIN first_seller AS fs USING (order_id) LEFT JOIN scores USING (order_id)
      ORDER BY o.order_id`,
    );
    const actual = (
      await runner.engine.query(`
      SELECT order_id, purchase_date::VARCHAR AS purchase_date, customer_state, seller_state, item_count, price_total::VARCHAR AS price_total,
             freight_total::VARCHAR AS freight_total, round(freight_share, 9) AS freight_share, round(delivery_days, 9) AS delivery_days,
             round(estimated_days, 9) AS estimated_days, is_late, round(review_score, 9) AS review_score
      FROM summary.olist_delivery_features ORDER BY order_id`)
    ).rows;
    expect(actual.length).toBeGreaterThan(5000);
    expect(actual).toEqual(expected);
  });

  it('publishes QuickSight views over the summaries', async () => {
    const views = (
      await runner.engine.query("SELECT view_name FROM duckdb_views() WHERE schema_name = 'analytics' ORDER BY 1")
    ).rows;
    expect(views).toEqual(
      ['ad_clicks_daily', 'olist_delivery_daily', 'olist_delivery_features'].map((view_name) => ({ view_name })),
    );
    const [row] = (
      await runner.engine.query(
        'SELECT count(*) AS n, count(DISTINCT order_id) AS d FROM analytics.olist_delivery_features',
      )
    ).rows;
    expect(row).toEqual({ n: expect.any(String), d: (row as { n: string }).n });
    // The view shows the summary's rows (not an empty table equal to itself).
    const [summary] = (await runner.engine.query('SELECT count(*) AS n FROM summary.olist_delivery_features')).rows;
    expect(Number((row as { n: string }).n)).toBeGreaterThan(5000);
    expect(row).toMatchObject(summary as object);
  });

  it('running the same files again leaves every curated and summary table unchanged', async () => {
    const before = await fingerprint(runner);
    const files = ['olist_orders', 'olist_order_payments'].map((n) => join(OLIST, `${n}_dataset.csv`)).concat(CLICKS);
    const lines = await ingestAll(lake, runner, files);
    expect(lines.filter((l) => l.includes('already ingested'))).toHaveLength(3);
    expect(await fingerprint(runner)).toEqual(before);
  });

  it('upserts: newer versions of some keys update exactly those rows; older versions update none', async () => {
    const { picked, write } = await reviewsToRevise(OLIST);
    const dir = await tempDir();
    const before = (
      await runner.engine.query('SELECT count(*) AS n, sum(review_score) AS s FROM curated.olist_order_reviews')
    ).rows[0];

    const newer = join(dir, 'olist_order_reviews_dataset_newer.csv');
    await write(newer, 1, '2030-01-01 00:00:00');
    await ingestAll(lake, runner, [newer]);
    const updated = (
      await runner.engine.query(
        "SELECT review_id, review_score FROM curated.olist_order_reviews WHERE review_comment_message LIKE 'revised %' ORDER BY 1",
      )
    ).rows;
    expect(updated).toEqual(picked.map((r) => ({ review_id: r.review_id, review_score: 1 })));
    expect((await runner.engine.query('SELECT count(*) AS n FROM curated.olist_order_reviews')).rows[0]).toEqual({
      n: (before as { n: string }).n,
    });

    const older = join(dir, 'olist_order_reviews_dataset_older.csv');
    await write(older, 5, '2000-01-01 00:00:00');
    const snapshot = await fingerprint(runner);
    await ingestAll(lake, runner, [older]);
    expect(await fingerprint(runner)).toEqual(snapshot);
  });
});

describe('summary.retailrocket_funnel_daily against DuckDB over the events CSVs (two files that share days, run one after the other)', () => {
  it('equals the funnel DuckDB computes from both files, the days they share included', async () => {
    const dir = await tempDir();
    const DAY = 86_400_000;
    const start = Date.UTC(2015, 5, 1);
    // Deterministic events: file 1 covers days 0-5, file 2 days 4-9, so the second round's days 4 and 5 must
    // also count the first file's rows. A visitor comes back on other days; one event type is not the contract's.
    const file = (name: string, from: number, to: number, seed: number) => {
      const lines = ['timestamp,visitorid,event,itemid,transactionid'];
      let x = seed;
      const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
      let txn = seed * 100_000;
      for (let i = 0; i < 6_000; i++) {
        const t = start + from * DAY + (next() % ((to - from + 1) * DAY));
        const roll = next() % 1000;
        const event = roll < 900 ? 'view' : roll < 975 ? 'addtocart' : roll < 999 ? 'transaction' : 'click';
        lines.push(`${t},${next() % 700},${event},${next() % 3000},${event === 'transaction' ? ++txn : ''}`);
      }
      return writeFile(join(dir, name), `${lines.join('\n')}\n`).then(() => join(dir, name));
    };
    const first = await file('events_1.csv', 0, 5, 7);
    const second = await file('events_2.csv', 4, 9, 11);
    const lake = await tempLake();
    const runner = await LocalPipelineRunner.open(lake);
    try {
      await ingestAll(lake, runner, [first]);
      await ingestAll(lake, runner, [second]);
      const conn = await duck();
      const expected = await rows(
        conn,
        `
        SELECT CAST(make_timestamp(timestamp * 1000) AS DATE)::VARCHAR AS event_date, count(DISTINCT visitorid) AS visitors,
               count(*) FILTER (WHERE event = 'view') AS views, count(*) FILTER (WHERE event = 'addtocart') AS add_to_carts,
               count(*) FILTER (WHERE event = 'transaction') AS transactions,
               round(count(*) FILTER (WHERE event = 'transaction') / count(*) FILTER (WHERE event = 'view'), 9) AS rate
        FROM read_csv([${[first, second].map((f) => `'${f}'`).join(', ')}], header = true, columns = {'timestamp': 'BIGINT', 'visitorid': 'BIGINT', 'event': 'VARCHAR', 'itemid': 'BIGINT', 'transactionid': 'BIGINT'})
        WHERE event IN ('view', 'addtocart', 'transaction')
        GROUP BY 1 ORDER BY 1`,
      );
      const actual = (
        await runner.engine.query(`
        SELECT event_date::VARCHAR AS event_date, visitors, views, add_to_carts, transactions, round(view_to_transaction_rate, 9) AS rate
        FROM summary.retailrocket_funnel_daily ORDER BY event_date`)
      ).rows;
      expect(expected).toHaveLength(10);
      expect(actual).toEqual(expected);
    } finally {
      await runner.close();
    }
  }, 120_000);
});
