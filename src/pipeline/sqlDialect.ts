import type { ColumnTypeName } from '../contracts/contract.ts';

/** Where the pipeline's tables live: Glue databases on AWS (one set per stage), DuckDB schemas locally. */
export interface CatalogNames {
  raw: string;
  curated: string;
  summary: string;
  analytics: string;
}

export const LOCAL_CATALOG: CatalogNames = {
  raw: 'raw',
  curated: 'curated',
  summary: 'summary',
  analytics: 'analytics',
};

export interface ColumnDef {
  name: string;
  type: ColumnTypeName;
}

/**
 * Everything that differs between Athena (Trino + Hive DDL + Iceberg) and DuckDB lives here. The DML the
 * pipeline generates (MERGE, window functions, CAST, DATE literals, date_diff) is written once in the subset
 * both engines accept; only table definitions and type names differ.
 */
export interface SqlDialect {
  readonly name: 'athena' | 'duckdb';
  type(t: ColumnTypeName): string;
  /** The raw zone's table over Parquet files, or null where the catalog maintains it (DuckDB views). */
  createRawTable(names: CatalogNames, table: string, columns: ColumnDef[]): string | null;
  /** A managed table that supports MERGE: Iceberg on Athena, a DuckDB table locally. */
  createManagedTable(
    schema: string,
    table: string,
    columns: ColumnDef[],
    zone: 'curated' | 'summary',
    partitionBy: string[],
  ): string;
  createSchema(schema: string): string | null;
  /**
   * Table maintenance for a managed table: Athena compacts small files and delete files (OPTIMIZE ... BIN_PACK,
   * which rewrites only the files that need it; its WHERE may name only identity partition columns, so hidden
   * partitions such as month(ts) cannot be singled out) and expires snapshots (VACUUM). DuckDB has none per table.
   */
  maintainTable(schema: string, table: string): string[];
  /** Maintenance of the whole database: DuckDB's CHECKPOINT writes the WAL into the database file. */
  maintainDatabase(): string[];
}

const ATHENA_TYPES: Record<string, string> = {
  string: 'string',
  int32: 'int',
  int64: 'bigint',
  float64: 'double',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
};
const DUCK_TYPES: Record<string, string> = {
  string: 'VARCHAR',
  int32: 'INTEGER',
  int64: 'BIGINT',
  float64: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

/** The first ingest date the raw tables' partition projection knows; a query without a date predicate lists each day since. */
export const RAW_PROJECTION_START = '2025-01-01';

/** Hive DDL wants backticks around names such as `_batch_id`; Trino DML takes double quotes. */
const hiveName = (n: string) => (/^[a-z][a-z0-9_]*$/.test(n) ? n : `\`${n}\``);

export function athenaDialect(lakeLocation: string): SqlDialect {
  const base = lakeLocation.replace(/\/+$/, '');
  const type = (t: ColumnTypeName) => ATHENA_TYPES[t] ?? t.replace(/\s+/g, '');
  return {
    name: 'athena',
    type,
    createSchema: () => null, // Glue databases come from template.yaml
    maintainTable: (schema, table) => [
      `OPTIMIZE ${schema}.${table} REWRITE DATA USING BIN_PACK`,
      `VACUUM ${schema}.${table}`,
    ],
    maintainDatabase: () => [],
    // Symlink table with partition projection: Athena computes the ingest_date partitions from the query's
    // predicate (no crawl, no ADD PARTITION before a MERGE), and in each it reads the Parquet files that the
    // batches' symlink files list. A batch's symlink file is written after all its files are in raw/: a reader
    // sees a batch whole or not at all.
    createRawTable(names, table, columns) {
      return [
        `CREATE EXTERNAL TABLE IF NOT EXISTS ${names.raw}.${table} (`,
        columns.map((c) => `  ${hiveName(c.name)} ${type(c.type)}`).join(',\n'),
        ')',
        'PARTITIONED BY (ingest_date date)',
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'",
        "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'",
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
        `LOCATION '${base}/symlinks/${table}/'`,
        'TBLPROPERTIES (',
        "  'projection.enabled' = 'true',",
        "  'projection.ingest_date.type' = 'date',",
        "  'projection.ingest_date.format' = 'yyyy-MM-dd',",
        `  'projection.ingest_date.range' = '${RAW_PROJECTION_START},NOW',`,
        "  'projection.ingest_date.interval' = '1',",
        "  'projection.ingest_date.interval.unit' = 'DAYS',",
        `  'storage.location.template' = '${base}/symlinks/${table}/ingest_date=\${ingest_date}/'`,
        ')',
      ].join('\n');
    },
    createManagedTable(schema, table, columns, zone, partitionBy) {
      return [
        `CREATE TABLE IF NOT EXISTS ${schema}.${table} (`,
        columns.map((c) => `  ${hiveName(c.name)} ${type(c.type)}`).join(',\n'),
        ')',
        ...(partitionBy.length ? [`PARTITIONED BY (${partitionBy.join(', ')})`] : []),
        `LOCATION '${base}/${zone}/${table}/'`,
        "TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd')",
      ].join('\n');
    },
  };
}

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  type: (t) => DUCK_TYPES[t] ?? t.toUpperCase().replace(/\s+/g, ''),
  createSchema: (schema) => `CREATE SCHEMA IF NOT EXISTS ${schema}`,
  createRawTable: () => null,
  maintainTable: () => [],
  maintainDatabase: () => ['CHECKPOINT'],
  createManagedTable(schema, table, columns) {
    return [
      `CREATE TABLE IF NOT EXISTS ${schema}.${table} (`,
      columns.map((c) => `  "${c.name}" ${duckdbDialect.type(c.type)}`).join(',\n'),
      ')',
    ].join('\n');
  },
};
