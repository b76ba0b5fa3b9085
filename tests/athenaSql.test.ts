import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import pkg from 'node-sql-parser';
import { describe, expect, it } from 'vitest';
import { loadContracts } from '#src/contracts/loadContracts.ts';
import type { Manifest } from '#src/ingest/manifest.ts';
import { mergeStatements, planMerge } from '#src/pipeline/planMerge.ts';
import { athenaDialect } from '#src/pipeline/sqlDialect.ts';
import { BUILTIN_CONTRACTS } from '#src/wiring/local.ts';

const { Parser } = pkg as unknown as { Parser: new () => { astify(sql: string, o: { database: string }): unknown } };
const contracts = await loadContracts(BUILTIN_CONTRACTS);
const names = {
  raw: 'landfall_dev_raw',
  curated: 'landfall_dev_curated',
  summary: 'landfall_dev_summary',
  analytics: 'landfall_dev_analytics',
};
const dialect = athenaDialect('s3://landfall-lake-123456789012-eu-west-1-dev');

function manifest(dataset: string, batchId = 'b0123456789abcdef0123', ingestDate = '2026-11-22') {
  return {
    dataset,
    batchId,
    ingestDate,
    status: 'published',
    rowsRead: 10,
    rowsWritten: 9,
    rowsRejected: 1,
    rejectRatio: 0.1,
    maxRejectRatio: 0.01,
    rejectThresholdExceeded: true,
  } as Manifest;
}

function plan(dataset: string) {
  return planMerge({ contracts, dialect, names }, dataset, [manifest(dataset)], {
    round: 'olist_customers-merge-20261122T060000Z-abc123-r1',
  });
}

/** The SELECT inside `USING ( ... ) AS s`: the part of a MERGE that the trino grammar can check. */
function usingSource(merge: string): string {
  const start = merge.indexOf('USING (') + 'USING ('.length;
  const end = merge.lastIndexOf(') AS s\nON ');
  return merge.slice(start, end);
}

describe('Athena SQL generated from every built-in contract', () => {
  it.each(contracts.map((c) => c.dataset))(
    '%s matches its snapshot (UPDATE_GOLDEN=1 rewrites them after review; a missing one fails)',
    (dataset) => {
      const p = plan(dataset);
      const text = [...p.ddl, ...p.captures, ...mergeStatements(p), ...p.summaries, ...p.forgets, ...p.views]
        .map((s) => `-- ${s.name}\n${s.sql};\n`)
        .join('\n');
      const file = new URL(`./golden/athena/${dataset}.sql`, import.meta.url);
      // Only a reviewed UPDATE_GOLDEN=1 run writes a snapshot: a deleted one must fail, not be written from this output.
      if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
      expect(existsSync(file), `no snapshot ${file.pathname}: review the SQL, then UPDATE_GOLDEN=1`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
    },
  );

  it.each(contracts.map((c) => c.dataset))(
    '%s: views, merge sources and summary sources parse with the trino grammar',
    (dataset) => {
      const parser = new Parser();
      const p = plan(dataset);
      for (const v of p.views) expect(() => parser.astify(v.sql, { database: 'trino' }), v.name).not.toThrow();
      for (const s of [...mergeStatements(p), ...p.summaries])
        expect(() => parser.astify(usingSource(s.sql), { database: 'trino' }), s.name).not.toThrow();
      for (const s of p.captures)
        expect(() => parser.astify(s.sql.slice(s.sql.indexOf('SELECT')), { database: 'trino' }), s.name).not.toThrow();
    },
  );

  it('creates raw tables as symlink tables over Parquet with partition projection, curated and summary tables as Iceberg, idempotently', () => {
    const p = plan('olist_orders');
    const ddl = p.ddl.map((s) => s.sql);
    const raw = ddl.find((s) => s.startsWith('CREATE EXTERNAL TABLE IF NOT EXISTS landfall_dev_raw.olist_orders'))!;
    expect(raw).toContain(
      "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'\nSTORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'",
    );
    expect(raw).toContain("LOCATION 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_orders/'");
    expect(raw).toContain(
      "'storage.location.template' = 's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/olist_orders/ingest_date=${ingest_date}/'",
    );
    expect(raw).toContain("'projection.ingest_date.format' = 'yyyy-MM-dd'");
    expect(ddl.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS landfall_dev_curated.olist_orders'))).toMatch(
      /PARTITIONED BY \(month\(order_purchase_timestamp\)\)[\s\S]*'table_type' = 'ICEBERG'/,
    );
    expect(ddl.every((s) => /IF NOT EXISTS/.test(s))).toBe(true);
    expect(p.merges[0].statements[0].sql).toMatch(
      /WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b0123456789abcdef0123'/,
    );
  });

  it('coalesces pending batches of several days into ONE MERGE whose source keeps the newest version, then the newest batch', () => {
    const m = (batchId: string, ingestDate: string) => manifest('olist_order_reviews', batchId, ingestDate);
    const p = planMerge({ contracts, dialect, names }, 'olist_order_reviews', [
      m('b1', '2026-11-21'),
      m('b2', '2026-11-22'),
      m('b3', '2026-11-22'),
    ]);
    expect(p.merges).toHaveLength(1);
    expect(p.merges[0].statements[0].sql).toContain(
      "WHERE ingest_date IN (DATE '2026-11-21', DATE '2026-11-22') AND _batch_id IN ('b1', 'b2', 'b3')",
    );
    expect(p.merges[0].statements[0].sql).toContain(
      'ORDER BY "review_answer_timestamp" DESC NULLS LAST, _ingested_at DESC, _batch_id DESC, _source_line DESC',
    );
    expect(p.summaries).toHaveLength(new Set(p.summaries.map((s) => s.name)).size);
    for (const s of p.summaries) expect(s.sql).toContain("_batch_id IN ('b1', 'b2', 'b3')");
    expect(p.taken).toEqual(['olist_order_reviews/b1', 'olist_order_reviews/b2', 'olist_order_reviews/b3']);
  });

  it('plans a round of a merge group as one MERGE per dataset and each shared summary once, over the union of their keys', () => {
    const p = planMerge({ contracts, dialect, names }, 'olist_customers', [
      manifest('olist_orders', 'b1'),
      manifest('olist_order_payments', 'b2'),
      manifest('olist_orders', 'b3'),
    ]);
    expect(p.merges.map((m) => m.name)).toEqual(['merge:curated.olist_order_payments', 'merge:curated.olist_orders']);
    expect(p.merges[1].statements[0].sql).toContain("_batch_id IN ('b1', 'b3')");
    expect(p.summaries.map((s) => s.name).sort()).toEqual([
      'summary:summary.olist_delivery_daily',
      'summary:summary.olist_delivery_features',
    ]);
    const daily = p.summaries.find((s) => s.name === 'summary:summary.olist_delivery_daily')!.sql;
    expect(daily.match(/MERGE INTO/g)).toHaveLength(1);
    expect(daily).toContain('UNION ALL');
    expect(daily).toContain(
      "landfall_dev_raw.olist_order_payments WHERE ingest_date = DATE '2026-11-22' AND _batch_id = 'b2'",
    );
    expect(daily).toContain(
      "landfall_dev_raw.olist_orders WHERE ingest_date = DATE '2026-11-22' AND _batch_id IN ('b1', 'b3')",
    );
    expect(new Parser().astify(usingSource(daily), { database: 'trino' })).toBeTruthy();
    expect(p.metricData.filter((d) => d.MetricName === 'BatchesMerged')).toEqual([
      {
        MetricName: 'BatchesMerged',
        Unit: 'Count',
        Value: 1,
        Dimensions: [{ Name: 'Dataset', Value: 'olist_order_payments' }],
      },
      {
        MetricName: 'BatchesMerged',
        Unit: 'Count',
        Value: 2,
        Dimensions: [{ Name: 'Dataset', Value: 'olist_orders' }],
      },
    ]);
  });

  it('refuses to put a batch id that is not an identifier into SQL', () => {
    const m = {
      dataset: 'olist_orders',
      batchId: "x'; DROP TABLE y; --",
      ingestDate: '2026-11-22',
      status: 'published',
    } as Manifest;
    expect(() => planMerge({ contracts, dialect, names }, 'olist_orders', [m])).toThrow(/refusing to put batch id/);
  });
});
