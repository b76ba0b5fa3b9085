/**
 * Issue 14 item 1: summaries follow moved keys. 200 orders come again with purchase timestamps 40 days later:
 * the daily summary must count them on their new days AND no longer on their old ones; moved back, it must be as
 * before; a late review that loses on its version changes nothing. Golden answers: DuckDB over the CSV files.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalPipelineRunner } from '#src/cli/pipelineRunner.ts';
import { duck, rows, SHARED_DATA, tempDir, tempLake } from './helpers.ts';

const OLIST = join(SHARED_DATA, 'olist/sample_bravida');
const ORDERS = join(OLIST, 'olist_orders_dataset.csv');
const PAYMENTS = join(OLIST, 'olist_order_payments_dataset.csv');
const REVIEWS = join(OLIST, 'olist_order_reviews_dataset.csv');

const csv = (f: string) => `read_csv('${f}', header = true, all_varchar = true)`;

/** The daily summary's counts and revenue, computed by DuckDB from orders files (the later file's row winning) and payments. */
async function goldenDaily(orderFiles: string[]): Promise<Record<string, unknown>[]> {
  const conn = await duck();
  const all = orderFiles.map((f, i) => `SELECT *, ${i} AS f FROM ${csv(f)}`).join(' UNION ALL ');
  return rows(
    conn,
    `
    WITH o AS (SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY f DESC) AS rn FROM (${all})) WHERE rn = 1),
         p AS (SELECT order_id, sum(payment_value::DECIMAL(18,2)) AS paid FROM ${csv(PAYMENTS)} GROUP BY order_id)
    SELECT strftime(CAST(o.order_purchase_timestamp::TIMESTAMP AS DATE), '%Y-%m-%d') AS d, count(*)::INT AS orders,
           CAST(coalesce(sum(p.paid), 0) AS DECIMAL(18,2))::VARCHAR AS revenue
    FROM o LEFT JOIN p ON p.order_id = o.order_id GROUP BY 1 ORDER BY 1`,
  );
}

async function daily(runner: LocalPipelineRunner) {
  return (
    await runner.engine.query(
      "SELECT strftime(purchase_date, '%Y-%m-%d') AS d, orders::INT AS orders, revenue::VARCHAR AS revenue FROM summary.olist_delivery_daily ORDER BY 1",
    )
  ).rows;
}

describe('summaries when an update moves a key', () => {
  it('count moved orders on their new days only, and as before once they move back; a late review that loses changes nothing', async () => {
    const dir = await tempDir();
    const conn = await duck();
    // 200 orders again, purchased 40 days later (olist_orders_dataset_update.csv), then back as they were.
    const moved = join(dir, 'olist_orders_dataset_update.csv');
    const back = join(dir, 'olist_orders_dataset_back.csv');
    const cols =
      'order_id, customer_id, order_status, order_purchase_timestamp, order_approved_at, order_delivered_carrier_date, order_delivered_customer_date, order_estimated_delivery_date';
    await conn.run(`COPY (SELECT * REPLACE (strftime(order_purchase_timestamp::TIMESTAMP + INTERVAL 40 DAY, '%Y-%m-%d %H:%M:%S') AS order_purchase_timestamp)
      FROM (SELECT ${cols} FROM ${csv(ORDERS)} LIMIT 200 OFFSET 1000)) TO '${moved}' (HEADER, DELIMITER ',')`);
    await conn.run(
      `COPY (SELECT ${cols} FROM ${csv(ORDERS)} LIMIT 200 OFFSET 1000) TO '${back}' (HEADER, DELIMITER ',')`,
    );

    const lake = await tempLake({ threads: 1 });
    const runner = await LocalPipelineRunner.open(lake);
    try {
      await runner.run([ORDERS, PAYMENTS, REVIEWS], undefined, () => undefined);
      const before = await daily(runner);
      expect(before).toEqual(await goldenDaily([ORDERS]));

      await runner.run([moved], 'olist_orders', () => undefined);
      const after = await daily(runner);
      expect(after).toEqual(await goldenDaily([ORDERS, moved]));
      expect(after).not.toEqual(before);

      await runner.run([back], 'olist_orders', () => undefined);
      expect(await daily(runner)).toEqual(before);

      // A review of the same (review_id, order_id), answered before the stored one, with another score: it loses.
      const late = join(dir, 'olist_order_reviews_dataset_late.csv');
      await conn.run(`COPY (SELECT * REPLACE ('1' AS review_score, strftime(review_answer_timestamp::TIMESTAMP - INTERVAL 30 DAY, '%Y-%m-%d %H:%M:%S') AS review_answer_timestamp)
        FROM ${csv(REVIEWS)} WHERE review_score <> '1' AND review_answer_timestamp IS NOT NULL LIMIT 100) TO '${late}' (HEADER, DELIMITER ',')`);
      const features = async () =>
        (
          await runner.engine.query(
            'SELECT order_id, review_score FROM summary.olist_delivery_features ORDER BY order_id',
          )
        ).rows;
      const scores = await features();
      await runner.run([late], 'olist_order_reviews', () => undefined);
      expect(await features()).toEqual(scores);
      // Nothing captured is left behind once rounds finished.
      expect(
        (await runner.engine.query('SELECT count(*)::INT AS n FROM summary.olist_delivery_daily__affected')).rows,
      ).toEqual([{ n: 0 }]);
    } finally {
      await runner.close();
    }
  });
});
