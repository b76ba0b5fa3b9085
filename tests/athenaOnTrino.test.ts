/**
 * Where Athena and Trino differ (tests/trino/athenaOnTrino.ts, docs/athena-and-trino.md): both forms' text for
 * every built-in contract. The Trino lane (npm run test:trino) runs the Trino forms on a real server.
 */
import { describe, expect, it } from 'vitest';
import { loadContracts } from '#src/contracts/loadContracts.ts';
import type { Manifest } from '#src/ingest/manifest.ts';
import { maintenanceSteps, mergeStatements, planMerge } from '#src/pipeline/planMerge.ts';
import { athenaDialect } from '#src/pipeline/sqlDialect.ts';
import { BUILTIN_CONTRACTS } from '#src/wiring/local.ts';
import { athenaStatementOnTrino, TRINO_LANE_NAMES, trinoType } from './trino/athenaOnTrino.ts';

const contracts = await loadContracts(BUILTIN_CONTRACTS);
const dialect = athenaDialect('s3://landfall-lake-123456789012-eu-west-1-dev');

function plan(dataset: string) {
  const m = {
    dataset,
    batchId: 'b0123456789abcdef0123',
    ingestDate: '2026-11-22',
    status: 'published',
    rowsRead: 1,
    rowsWritten: 1,
    rowsRejected: 0,
    rejectRatio: 0,
    maxRejectRatio: 0.01,
    rejectThresholdExceeded: false,
  } as Manifest;
  const o = { contracts, dialect, names: TRINO_LANE_NAMES };
  return planMerge(o, dataset, [m], {
    round: 'r1',
    maintenance: maintenanceSteps(o, [dataset]),
  });
}

describe('Athena statements in their Trino forms', () => {
  it.each(contracts.map((c) => c.dataset))('%s: every statement has one, DML verbatim', (dataset) => {
    const p = plan(dataset);
    const dml = [...p.captures, ...mergeStatements(p), ...p.summaries, ...p.forgets, ...p.views];
    for (const s of dml) expect(athenaStatementOnTrino(s.sql), s.name).toEqual([{ kind: 'sql', sql: s.sql }]);
    for (const s of p.ddl) {
      const [form] = athenaStatementOnTrino(s.sql);
      if (s.sql.startsWith('CREATE EXTERNAL TABLE')) expect(form.kind, s.name).toBe('catalog');
      else
        expect(form, s.name).toMatchObject({
          kind: 'sql',
          sql: expect.stringMatching(/^CREATE TABLE IF NOT EXISTS iceberg\./),
        });
    }
    expect(p.maintenance.length).toBeGreaterThan(0);
    for (const s of p.maintenance) expect(athenaStatementOnTrino(s.sql).length, s.name).toBeGreaterThan(0);
  });

  it('a symlink table as Glue holds it: SerDe, input format, location, the projection parameters', () => {
    const ddl = plan('retailrocket_events').ddl.find((s) => s.name === 'ddl:raw.retailrocket_events')!;
    const [form] = athenaStatementOnTrino(ddl.sql);
    expect(form).toMatchObject({
      kind: 'catalog',
      schema: 'landfall_dev_raw',
      table: 'retailrocket_events',
      ifNotExists: true,
    });
    if (form.kind !== 'catalog') throw new Error('not a catalog table');
    expect(form.metadata.originalStorageFormat).toEqual({
      serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      inputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    });
    expect(form.metadata.dataColumns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'event_time timestamp',
      'visitor_id bigint',
      'event string',
      'item_id bigint',
      'transaction_id bigint',
      '_batch_id string',
      '_source_key string',
      '_source_line bigint',
      '_ingested_at timestamp',
    ]);
    expect(form.metadata.partitionColumns).toEqual([{ name: 'ingest_date', type: 'date', properties: {} }]);
    expect(form.metadata.externalLocation).toBe(
      's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/retailrocket_events/',
    );
    expect(form.metadata.parameters).toEqual({
      EXTERNAL: 'TRUE',
      'projection.enabled': 'true',
      'projection.ingest_date.type': 'date',
      'projection.ingest_date.format': 'yyyy-MM-dd',
      'projection.ingest_date.range': '2025-01-01,NOW',
      'projection.ingest_date.interval': '1',
      'projection.ingest_date.interval.unit': 'DAYS',
      'storage.location.template':
        's3://landfall-lake-123456789012-eu-west-1-dev/symlinks/retailrocket_events/ingest_date=${ingest_date}/',
    });
  });

  it('an Iceberg table in the WITH form, its partition transform and types in Trino spelling', () => {
    const ddl = plan('retailrocket_events').ddl.find((s) => s.name === 'ddl:curated.retailrocket_events')!;
    expect(athenaStatementOnTrino(ddl.sql)).toEqual([
      {
        kind: 'sql',
        sql: [
          'CREATE TABLE IF NOT EXISTS iceberg.landfall_dev_curated.retailrocket_events (',
          '  "event_time" timestamp(6),',
          '  "visitor_id" bigint,',
          '  "event" varchar,',
          '  "item_id" bigint,',
          '  "transaction_id" bigint,',
          '  "_batch_id" varchar,',
          '  "_source_key" varchar,',
          '  "_source_line" bigint,',
          '  "_ingested_at" timestamp(6)',
          ')',
          "WITH (location = 's3://landfall-lake-123456789012-eu-west-1-dev/curated/retailrocket_events/', format = 'PARQUET', partitioning = ARRAY['day(event_time)'])",
        ].join('\n'),
      },
    ]);
    const bucketed = athenaStatementOnTrino(
      "CREATE TABLE s.t (\n  a bigint\n)\nPARTITIONED BY (bucket(16, a), truncate(4, b))\nLOCATION 's3://x/t/'\nTBLPROPERTIES ('table_type' = 'ICEBERG')",
    );
    expect(bucketed[0]).toMatchObject({
      sql: expect.stringContaining("partitioning = ARRAY['bucket(a, 16)', 'truncate(b, 4)']"),
    });
    expect(trinoType('decimal(18,2)')).toBe('decimal(18,2)');
    expect(() => trinoType('map<string,int>')).toThrow(/no Trino type/);
  });

  it('OPTIMIZE and VACUUM as ALTER TABLE EXECUTE; unknown DDL refused rather than skipped', () => {
    const maint = plan('olist_orders').maintenance.map((s) => s.sql);
    expect(maint).toContain('OPTIMIZE landfall_dev_curated.olist_orders REWRITE DATA USING BIN_PACK');
    expect(maint).toContain('VACUUM landfall_dev_curated.olist_orders');
    expect(athenaStatementOnTrino('OPTIMIZE landfall_dev_curated.olist_orders REWRITE DATA USING BIN_PACK')).toEqual([
      { kind: 'sql', sql: 'ALTER TABLE landfall_dev_curated.olist_orders EXECUTE optimize' },
    ]);
    expect(athenaStatementOnTrino("OPTIMIZE c.t REWRITE DATA USING BIN_PACK WHERE d = DATE '2026-01-01'")).toEqual([
      { kind: 'sql', sql: "ALTER TABLE c.t EXECUTE optimize WHERE d = DATE '2026-01-01'" },
    ]);
    expect(athenaStatementOnTrino('VACUUM landfall_dev_curated.olist_orders')).toEqual([
      {
        kind: 'sql',
        sql: "ALTER TABLE landfall_dev_curated.olist_orders EXECUTE expire_snapshots(retention_threshold => '7d')",
      },
      {
        kind: 'sql',
        sql: "ALTER TABLE landfall_dev_curated.olist_orders EXECUTE remove_orphan_files(retention_threshold => '7d')",
      },
    ]);
    expect(() => athenaStatementOnTrino('ALTER TABLE c.t ADD COLUMNS (x string)')).toThrow(/no Trino form/);
    expect(() => athenaStatementOnTrino('MSCK REPAIR TABLE c.t')).toThrow(/no Trino form/);
  });
});
