/**
 * B3: Athena writes at most 100 partitions per statement. curated.retailrocket_events is partitioned by
 * day(event_time) and the public events file spans 139 days: its MERGE must be split so that no statement writes
 * more than 100 partitions. Run on Trino with its own limit (100 per writer, one writer per statement here).
 * Golden answer: the funnel DuckDB computes from the CSV files.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duck, rows, tempDir } from '../helpers.ts';
import { expectSameRows, runFiles, trinoLake, type TrinoLake } from './lane.ts';

const DAY = 86_400_000;
const START = Date.UTC(2015, 4, 3); // the public file's first day

/** Deterministic RetailRocket-shaped events over days [from, to] (the shape of events.csv: epoch milliseconds). */
async function eventsFile(dir: string, name: string, from: number, to: number, seed: number, n: number) {
  const lines = ['timestamp,visitorid,event,itemid,transactionid'];
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x;
  };
  let txn = seed * 100_000;
  for (let i = 0; i < n; i++) {
    // A day, then a time in it: one draw (below 2^31 ms, under 25 days) would not reach every day.
    const t = START + (from + (next() % (to - from + 1))) * DAY + (next() % DAY);
    const roll = next() % 1000;
    const event = roll < 900 ? 'view' : roll < 975 ? 'addtocart' : 'transaction';
    lines.push(`${t},${next() % 5000},${event},${next() % 3000},${event === 'transaction' ? ++txn : ''}`);
  }
  await writeFile(join(dir, name), `${lines.join('\n')}\n`);
  return join(dir, name);
}

let t: TrinoLake;
let files: string[];

beforeAll(async () => {
  t = await trinoLake();
  const dir = await tempDir();
  // Like the public file: 139 days in one file; then a later file that shares its last weeks.
  files = [
    await eventsFile(dir, 'events.csv', 0, 138, 7, 30_000),
    await eventsFile(dir, 'events_2.csv', 120, 150, 11, 5_000),
  ];
}, 900_000);

afterAll(() => t?.close());

describe('a MERGE never writes more than 100 partitions (Athena, and Trino here)', () => {
  it('a 139-day events file merges into the day-partitioned table; the funnel equals DuckDB over the CSV files', async () => {
    await runFiles(t, [files[0]]);
    await runFiles(t, [files[1]]);
    const merges = t.warehouse.log.filter((s) =>
      s.sql.startsWith('MERGE INTO landfall_dev_curated.retailrocket_events'),
    );
    expect(merges.length).toBeGreaterThanOrEqual(3); // 139 days: at least two statements; the second file one more

    const days = await t.rows(
      'SELECT count(DISTINCT CAST(event_time AS date)) FROM landfall_dev_curated.retailrocket_events',
    );
    expect(days).toEqual([[151]]);
    const expected = (
      await rows(
        await duck(),
        `SELECT CAST(make_timestamp(timestamp * 1000) AS DATE)::VARCHAR AS d, count(DISTINCT visitorid), count(*) FILTER (WHERE event = 'view'),
                count(*) FILTER (WHERE event = 'addtocart'), count(*) FILTER (WHERE event = 'transaction'),
                round(count(*) FILTER (WHERE event = 'transaction') / count(*) FILTER (WHERE event = 'view'), 9)
         FROM read_csv([${files.map((f) => `'${f}'`).join(', ')}], header = true, columns = {'timestamp': 'BIGINT', 'visitorid': 'BIGINT', 'event': 'VARCHAR', 'itemid': 'BIGINT', 'transactionid': 'BIGINT'})
         GROUP BY 1 ORDER BY 1`,
      )
    ).map((r) => Object.values(r).map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)));
    const actual =
      await t.rows(`SELECT CAST(event_date AS varchar), visitors, views, add_to_carts, transactions, round(view_to_transaction_rate, 9)
      FROM landfall_dev_summary.retailrocket_funnel_daily ORDER BY 1`);
    expect(expected).toHaveLength(151);
    expectSameRows(actual, expected, 'retailrocket_funnel_daily');
  });

  it('the raw table holds every event once; the curated one too (no row merged twice across the split statements)', async () => {
    const [[raw]] = await t.rows('SELECT count(*) FROM landfall_dev_raw.retailrocket_events');
    const [[curated, distinct]] = await t.rows(
      'SELECT count(*), count(DISTINCT (_batch_id, _source_line)) FROM landfall_dev_curated.retailrocket_events',
    );
    expect(raw).toBe(35_000);
    expect([curated, distinct]).toEqual([35_000, 35_000]);
  });
});
