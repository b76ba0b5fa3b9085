/**
 * The Trino lane (npm run test:trino): the pipeline's Athena SQL on a real Trino server (Athena engine v3 is Trino),
 * run by the real ASL through the local interpreter, over the raw Parquet files Landfall's own writer made, read
 * through the symlink tables with partition projection. Golden answers: DuckDB over the CSV files.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duck, olistDeliveryDailyCte, reviewsToRevise, rows, SHARED_DATA, tempDir } from '../helpers.ts';
import { expectSameRows, runFiles, trinoLake, type TrinoLake } from './lane.ts';
import { ATHENA_SYNC, LOG_DELIVERY } from '../aws/stepFunctionsIam.ts';
import { evaluateStateMachineRole, stateMachineRequests } from './stateMachineRole.ts';

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

/** Every curated and summary table on Trino as an order-independent fingerprint: rows and a checksum of each row. */
async function fingerprint(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [schema, table] of await t.rows(
    "SELECT table_schema, table_name FROM awsdatacatalog.information_schema.tables WHERE table_schema IN ('landfall_dev_curated', 'landfall_dev_summary') AND table_type = 'BASE TABLE' ORDER BY 1, 2",
  )) {
    const cols = await t.rows(
      `SELECT column_name FROM awsdatacatalog.information_schema.columns WHERE table_schema = '${schema}' AND table_name = '${table}' ORDER BY ordinal_position`,
    );
    // Trino's checksum(): an order-independent checksum of the rows' values.
    const [[n, sum]] = await t.rows(
      `SELECT count(*), to_hex(checksum(ROW(${cols.map(([c]) => `"${c}"`).join(', ')}))) FROM ${schema}.${table}`,
    );
    out[`${schema}.${table}`] = `${n}:${sum}`;
  }
  const withRows = Object.entries(out).filter(([k, v]) => !k.endsWith('__affected') && !String(v).startsWith('0:'));
  expect(withRows.length).toBeGreaterThanOrEqual(8);
  return out;
}

describe('on Trino: re-runs, upserts and moved keys', () => {
  it('running the same files again leaves every curated and summary table unchanged', async () => {
    const before = await fingerprint();
    const lines = await runFiles(t, [join(OLIST, 'olist_orders_dataset.csv'), CLICKS]);
    expect(lines.filter((l) => l.includes('already ingested'))).toHaveLength(2);
    expect(await fingerprint()).toEqual(before);
  });

  it('a moved order counts on its new day only, and as before once it moves back (DuckDB over the CSV files)', async () => {
    const conn = await duck();
    const dir = await tempDir();
    const orders = join(OLIST, 'olist_orders_dataset.csv');
    const all = `read_csv('${orders}', header = true, all_varchar = true)`;
    const cols =
      'order_id, customer_id, order_status, order_purchase_timestamp, order_approved_at, order_delivered_carrier_date, order_delivered_customer_date, order_estimated_delivery_date';
    const moved = join(dir, 'olist_orders_dataset_update.csv');
    const back = join(dir, 'olist_orders_dataset_back.csv');
    await conn.run(`COPY (SELECT * REPLACE (strftime(order_purchase_timestamp::TIMESTAMP + INTERVAL 40 DAY, '%Y-%m-%d %H:%M:%S') AS order_purchase_timestamp)
      FROM (SELECT ${cols} FROM ${all} LIMIT 200 OFFSET 1000)) TO '${moved}' (HEADER, DELIMITER ',')`);
    await conn.run(`COPY (SELECT ${cols} FROM ${all} LIMIT 200 OFFSET 1000) TO '${back}' (HEADER, DELIMITER ',')`);
    const expectedDaily = (files: string[]) =>
      golden(`WITH o AS (SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY f DESC) AS rn
                 FROM (${files.map((f, i) => `SELECT *, ${i} AS f FROM read_csv('${f}', header = true, all_varchar = true)`).join(' UNION ALL ')})) WHERE rn = 1)
               SELECT CAST(o.order_purchase_timestamp::TIMESTAMP AS DATE)::VARCHAR, count(*) FROM o GROUP BY 1 ORDER BY 1`);
    const daily = () =>
      t.rows(`SELECT CAST(purchase_date AS varchar), orders FROM ${DB.summary}.olist_delivery_daily ORDER BY 1`);
    const before = await daily();
    expectSameRows(before, await expectedDaily([orders]), 'before');
    await runFiles(t, [moved], 'olist_orders');
    const after = await daily();
    expectSameRows(after, await expectedDaily([orders, moved]), 'moved');
    expect(after).not.toEqual(before);
    await runFiles(t, [back], 'olist_orders');
    expect(await daily()).toEqual(before);
    expect(await t.rows(`SELECT count(*) FROM ${DB.summary}.olist_delivery_daily__affected`)).toEqual([[0]]);
  });

  it('upserts: a newer review updates exactly its row; an older one changes nothing', async () => {
    const { picked, write } = await reviewsToRevise(OLIST);
    const dir = await tempDir();
    const [[count]] = await t.rows(`SELECT count(*) FROM ${DB.curated}.olist_order_reviews`);
    const newer = join(dir, 'olist_order_reviews_dataset_newer.csv');
    await write(newer, 1, '2030-01-01 00:00:00');
    await runFiles(t, [newer]);
    expect(
      await t.rows(
        `SELECT review_id, review_score FROM ${DB.curated}.olist_order_reviews WHERE review_comment_message LIKE 'revised %' ORDER BY 1`,
      ),
    ).toEqual(picked.map((r) => [r.review_id, 1]));
    expect(await t.rows(`SELECT count(*) FROM ${DB.curated}.olist_order_reviews`)).toEqual([[count]]);
    const older = join(dir, 'olist_order_reviews_dataset_older.csv');
    await write(older, 5, '2000-01-01 00:00:00');
    const snapshot = await fingerprint();
    await runFiles(t, [older]);
    expect(await fingerprint()).toEqual(snapshot);
  });

  it("landfall maintain: Athena's OPTIMIZE and VACUUM run in their Trino forms, and change no table's rows", async () => {
    const before = await fingerprint();
    const { failed, lines } = await t.runner.maintain();
    expect(failed, lines.join('\n')).toBe(false);
    const ran = t.warehouse.log.map((s) => s.sql);
    expect(ran.filter((s) => /^ALTER TABLE \S+ EXECUTE optimize$/.test(s)).length).toBeGreaterThanOrEqual(4);
    expect(
      ran.filter((s) => /EXECUTE expire_snapshots\(retention_threshold => '7d'\)$/.test(s)).length,
    ).toBeGreaterThanOrEqual(4);
    expect(await fingerprint()).toEqual(before);
  });
});

describe("the state machine's role, evaluated by a real IAM engine against every call of this file's runs", () => {
  it('allows every Task call, every Glue request of each statement and every S3 request Trino made; lists the grants nothing used, each with its reason', async () => {
    const requests = stateMachineRequests({ tasks: t.tasks, statements: t.warehouse.log, s3: t.trino.s3Requests });
    const kinds = new Set(requests.map((r) => r.action));
    for (const a of [
      'lambda:InvokeFunction',
      'athena:StartQueryExecution',
      'cloudwatch:PutMetricData',
      'glue:UpdateTable',
      's3:PutObject',
      's3:ListBucket',
    ])
      expect(kinds, a).toContain(a);
    const { checked, denied, unused } = await evaluateStateMachineRole(requests);
    console.log(`state machine role: ${requests.length} requests, ${checked} distinct, ${denied.length} denied`);
    expect(denied).toEqual([]);
    expect([...unused].sort()).toEqual(UNUSED_WITH_REASON.map((u) => u.grant).sort());
  }, 300_000);
});

/** Grants of the state machine's role that these runs do not use, and why each stays. */
const UNUSED_WITH_REASON: { grant: string; why: string }[] = [
  {
    grant: 'PipelineStateMachineRolePolicy1 #0 lambda:InvokeFunction',
    why: "the convert function: invoked for a batch the ingest function hands off (a large file's byte ranges); these files are small (tests/iamPolicies.test.ts and tests/largeFiles.test.ts run hand-offs)",
  },
  {
    grant: 'PipelineStateMachineRolePolicy2 RunAthenaQueries athena:StopQueryExecution',
    why: 'the .sync integration stops the query when the execution is stopped or the task times out (AWS docs); no run here is stopped',
  },
  ...['glue:GetDatabases', 'glue:GetTables'].map((a) => ({
    grant: `PipelineStateMachineRolePolicy2 CatalogForAthena ${a}`,
    why: 'in the policy AWS documents for athena:startQueryExecution.sync; no statement of the pipeline lists databases or tables: a candidate to remove once CloudTrail on AWS confirms it',
  })),
  ...ATHENA_SYNC.glue
    .filter((a) => a.includes('Partition'))
    .map((a) => ({
      grant: `PipelineStateMachineRolePolicy2 CatalogForAthena ${a}`,
      why: 'in the documented .sync policy; raw tables use partition projection and curated ones are Iceberg, so Athena needs no partition API: a candidate to remove once CloudTrail on AWS confirms it',
    })),
  {
    grant: 'PipelineStateMachineRolePolicy2 LakeFormationDataAccess lakeformation:GetDataAccess',
    why: "Athena asks Lake Formation for credentials only where Lake Formation governs the lake's locations (a user's choice, docs/deploy.md)",
  },
  ...[
    'WriteIcebergTablesAndResults s3:AbortMultipartUpload',
    'WriteIcebergTablesAndResults s3:ListMultipartUploadParts',
    'ListLake s3:ListBucketMultipartUploads',
  ].map((g) => ({
    grant: `PipelineStateMachineRolePolicy2 ${g}`,
    why: 'multipart uploads: Athena writes a large data file in parts (Trino here wrote every file whole, under its 16 MB part size); an upload that fails is aborted',
  })),
  {
    grant: 'PipelineStateMachineRolePolicy2 VacuumIcebergTables s3:DeleteObject',
    why: "VACUUM deletes the files of snapshots older than the table's retention (5 days) and orphans older than 3 days: none exist in a run of minutes",
  },
  ...['glue:UpdateCrawler', 'glue:StartCrawler'].map((a) => ({
    grant: `PipelineStateMachineRolePolicy2 StartDiscoveryCrawls ${a}`,
    why: 'the discovery crawl runs on AWS for a file no contract claims or a drifted one; a local plan never asks for it (tests/stateMachine.test.ts routes it)',
  })),
  ...LOG_DELIVERY.map((a) => ({
    grant: `PipelineStateMachineRolePolicy2 DeliverExecutionLogs ${a}`,
    why: 'vended-log delivery: Step Functions uses these when the state machine with Logging is created or updated, not in an execution (AWS docs)',
  })),
];
