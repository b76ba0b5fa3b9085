/**
 * B3: Athena writes at most 100 partitions per statement. A MERGE whose rows span more is cut into parts by the
 * partition column's range (src/pipeline/columnRanges.ts partitionParts). The Trino lane runs the parts against
 * Trino's own limit (tests/trino/partitionLimit.test.ts); here: the cutting, and the parts' SQL on DuckDB.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalPipelineRunner } from '#src/cli/pipelineRunner.ts';
import { loadContracts } from '#src/contracts/loadContracts.ts';
import {
  MAX_PARTITIONS_PER_STATEMENT,
  partitionParts,
  timePartition,
  type ColumnRange,
} from '#src/pipeline/columnRanges.ts';
import { BUILTIN_CONTRACTS } from '#src/wiring/local.ts';
import { duck, rows, tempDir, tempLake } from './helpers.ts';

const at = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
const range = (min: bigint, max: bigint, nullable = false, type: 'timestamp' | 'date' = 'timestamp'): ColumnRange => ({
  column: 'ts',
  type,
  min: '',
  max: '',
  minValue: min,
  maxValue: max,
  nullable,
});

describe('partitionParts: no statement writes more than 100 partitions', () => {
  it('leaves a range of up to 99 units (one left for nulls) to one statement', () => {
    expect(partitionParts(range(at('2015-05-03T00:00:00Z'), at('2015-08-09T23:59:59Z')), 'day')).toBeNull(); // 99 days
    expect(partitionParts(range(at('2015-05-03T10:00:00Z'), at('2015-08-10T00:00:00Z')), 'day')).toHaveLength(2); // 100
  });

  it('cuts 139 days into 99 + 40, at midnight UTC, the nulls in the first part', () => {
    const parts = partitionParts(range(at('2015-05-03T03:04:05Z'), at('2015-09-18T21:00:00Z'), true), 'day')!;
    expect(parts).toEqual([
      {
        column: 'ts',
        lo: "TIMESTAMP '2015-05-03 00:00:00.000000'",
        hi: "TIMESTAMP '2015-08-10 00:00:00.000000'",
        nulls: true,
      },
      {
        column: 'ts',
        lo: "TIMESTAMP '2015-08-10 00:00:00.000000'",
        hi: "TIMESTAMP '2015-09-19 00:00:00.000000'",
        nulls: false,
      },
    ]);
  });

  it('counts months and years by the calendar, and dates in days', () => {
    const months = partitionParts(range(at('2010-01-15T00:00:00Z'), at('2019-12-31T00:00:00Z')), 'month')!;
    expect(months.map((p) => [p.lo, p.hi])).toEqual([
      ["TIMESTAMP '2010-01-01 00:00:00.000000'", "TIMESTAMP '2018-04-01 00:00:00.000000'"], // 99 months
      ["TIMESTAMP '2018-04-01 00:00:00.000000'", "TIMESTAMP '2020-01-01 00:00:00.000000'"],
    ]);
    expect(partitionParts(range(at('1900-01-01T00:00:00Z'), at('2030-01-01T00:00:00Z')), 'year')).toHaveLength(2);
    const dates = partitionParts(range(16_000n, 16_200n, false, 'date'), 'day')!;
    expect(dates.map((p) => [p.lo, p.hi])).toEqual([
      ["DATE '2013-10-22'", "DATE '2014-01-29'"],
      ["DATE '2014-01-29'", "DATE '2014-05-08'"],
      ["DATE '2014-05-08'", "DATE '2014-05-11'"],
    ]);
    // Every part within the limit, the parts covering the range end to end.
    for (const parts of [months, dates])
      for (let i = 1; i < parts.length; i++) expect(parts[i].lo).toBe(parts[i - 1].hi);
    expect(MAX_PARTITIONS_PER_STATEMENT).toBe(100);
  });

  it('splits only a table with one time partition field', async () => {
    const contracts = await loadContracts(BUILTIN_CONTRACTS);
    const of = (ds: string) => timePartition(contracts.find((c) => c.dataset === ds)!);
    expect(of('retailrocket_events')).toEqual({ column: 'event_time', unit: 'day' });
    expect(of('olist_orders')).toEqual({ column: 'order_purchase_timestamp', unit: 'month' });
    expect(of('olist_customers')).toBeNull();
  });
});

describe('a 139-day events file on the local pipeline (DuckDB): the MERGE parts together equal one MERGE', () => {
  it('merges every event once, and the funnel equals DuckDB over the CSV file', async () => {
    const dir = await tempDir();
    const lines = ['timestamp,visitorid,event,itemid,transactionid'];
    let x = 3;
    const next = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x;
    };
    const start = Date.UTC(2015, 4, 3);
    for (let i = 0; i < 4_000; i++) {
      const t = start + (next() % 139) * 86_400_000 + (next() % 86_400_000);
      const event = ['view', 'view', 'view', 'addtocart', 'transaction'][next() % 5];
      lines.push(`${t},${next() % 900},${event},${next() % 500},${event === 'transaction' ? i : ''}`);
    }
    const file = join(dir, 'events.csv');
    await writeFile(file, `${lines.join('\n')}\n`);
    const lake = await tempLake();
    const runner = await LocalPipelineRunner.open(lake);
    const steps: string[] = [];
    try {
      const { mergeFailed } = await runner.run([file], undefined, (l) => steps.push(l));
      expect(mergeFailed, steps.join('\n')).toBe(false);
      const [counts] = (
        await runner.engine.query(
          'SELECT count(*)::INT AS n, count(DISTINCT (_batch_id, _source_line))::INT AS d, count(DISTINCT CAST(event_time AS DATE))::INT AS days FROM curated.retailrocket_events',
        )
      ).rows;
      expect(counts).toEqual({ n: 4_000, d: 4_000, days: 139 });
      const expected = await rows(
        await duck(),
        `SELECT CAST(make_timestamp(timestamp * 1000) AS DATE)::VARCHAR AS d, count(DISTINCT visitorid)::INT AS v,
                count(*) FILTER (WHERE event = 'transaction')::INT AS t
         FROM read_csv('${file}', header = true, columns = {'timestamp': 'BIGINT', 'visitorid': 'BIGINT', 'event': 'VARCHAR', 'itemid': 'BIGINT', 'transactionid': 'BIGINT'})
         GROUP BY 1 ORDER BY 1`,
      );
      const actual = (
        await runner.engine.query(
          'SELECT event_date::VARCHAR AS d, visitors::INT AS v, transactions::INT AS t FROM summary.retailrocket_funnel_daily ORDER BY 1',
        )
      ).rows;
      expect(actual).toEqual(expected);
    } finally {
      await runner.close();
    }
  });
});
