import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Contract } from '#src/contracts/contract.ts';
import type { FolderStore } from '#src/adapters/local/FolderStore.ts';
import { athenaDialect, type CatalogNames } from '#src/pipeline/sqlDialect.ts';
import type { QueryTables, TrinoResult, TrinoServer } from './trinoServer.ts';

/**
 * Where Athena and Trino differ, in one place (docs/athena-and-trino.md says the same in prose). Athena engine v3
 * runs DML on Trino, so the pipeline's MERGE, INSERT, DELETE, summaries and views go to Trino verbatim. What Athena
 * does not run on Trino, and this file stands in for:
 *
 * 1. Hive DDL (`CREATE EXTERNAL TABLE ... STORED AS INPUTFORMAT ... TBLPROPERTIES`): Athena runs it on its own DDL
 *    service, which writes the table into Glue. Here it is parsed (strictly: anything unknown fails) and written
 *    into Trino's file metastore as Glue would hold it: the same columns, SerDe, input/output formats, location and
 *    parameters (`projection.*`, `storage.location.template`), which Trino's Hive connector reads as Athena does.
 * 2. Iceberg DDL (`CREATE TABLE ... PARTITIONED BY (day(ts)) LOCATION ... TBLPROPERTIES ('table_type' =
 *    'ICEBERG', ...)`): Trino's form is `CREATE TABLE ... WITH (partitioning = ARRAY['day(ts)'], location = ...)`,
 *    with `bucket(n, c)` / `truncate(w, c)` written `bucket(c, n)` / `truncate(c, w)`, Hive type names in Trino's
 *    (string -> varchar, int -> integer, timestamp -> timestamp(6)); `write_compression` is the catalog's
 *    `iceberg.compression-codec` (ZSTD, as the DDL asks).
 * 3. `OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE ...]` is `ALTER TABLE t EXECUTE optimize [WHERE ...]`.
 * 4. `VACUUM t` (expire snapshots older than the table's `vacuum_max_snapshot_age_seconds`, 5 days by default, and
 *    remove orphan files) is `ALTER TABLE t EXECUTE expire_snapshots(...)` then `remove_orphan_files(...)`; Trino
 *    refuses a retention under its catalog minimum (7 days by default), so the Trino form keeps 7 days.
 */
export type TrinoStatement =
  | { kind: 'sql'; sql: string }
  /** A table Athena's DDL service writes into Glue: here the file metastore's `.trinoSchema` of `schema.table`. */
  | { kind: 'catalog'; schema: string; table: string; metadata: HiveTableMetadata; ifNotExists: boolean };

export interface HiveTableMetadata {
  writerVersion: string;
  owner: string;
  tableType: 'EXTERNAL_TABLE';
  dataColumns: { name: string; type: string; properties: Record<string, never> }[];
  partitionColumns: { name: string; type: string; properties: Record<string, never> }[];
  parameters: Record<string, string>;
  originalStorageFormat: { serde: string; inputFormat: string; outputFormat: string };
  serdeParameters: Record<string, never>;
  externalLocation: string;
  columnStatistics: Record<string, never>;
}

/** Trino's spelling of a Hive/Athena column type. */
export function trinoType(hive: string): string {
  const t = hive.trim().toLowerCase();
  const simple: Record<string, string> = {
    string: 'varchar',
    int: 'integer',
    bigint: 'bigint',
    double: 'double',
    boolean: 'boolean',
    date: 'date',
    timestamp: 'timestamp(6)',
  };
  if (t in simple) return simple[t];
  if (/^decimal\(\d+,\d+\)$/.test(t)) return t;
  throw new Error(`no Trino type for the Athena column type ${hive}`);
}

const name = (n: string) => n.replace(/^`|`$/g, '');

/** `a type,\n  b type` inside the column list: each column's name (backticks off) and type. */
function parseColumns(body: string): { name: string; type: string }[] {
  return body
    .split(/,\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(`[^`]+`|[a-z_][a-z0-9_]*)\s+([a-z]+(?:\(\d+,\s*\d+\))?)$/i.exec(l);
      if (!m) throw new Error(`cannot read the column definition "${l}"`);
      return { name: name(m[1]), type: m[2].replace(/\s+/g, '') };
    });
}

function parseProperties(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  const text = body.replace(/\n\s*/g, ' ').trim();
  const re = /\s*'([^']+)'\s*=\s*'([^']*)'\s*(,|$)/y;
  while (re.lastIndex < text.length) {
    const m = re.exec(text);
    if (!m) throw new Error(`cannot read the table properties at "${text.slice(re.lastIndex, re.lastIndex + 60)}"`);
    out[m[1]] = m[2];
  }
  return out;
}

/** Athena's Iceberg partition transform in Trino's `partitioning` spelling. */
function trinoPartition(p: string): string {
  const t = p.trim();
  let m = /^bucket\((\d+),\s*([a-z_][a-z0-9_]*)\)$/i.exec(t);
  if (m) return `bucket(${m[2]}, ${m[1]})`;
  m = /^truncate\((\d+),\s*([a-z_][a-z0-9_]*)\)$/i.exec(t);
  if (m) return `truncate(${m[2]}, ${m[1]})`;
  if (/^(year|month|day|hour)\([a-z_][a-z0-9_]*\)$/i.test(t) || /^[a-z_][a-z0-9_]*$/i.test(t)) return t;
  throw new Error(`no Trino form for the partition transform ${p}`);
}

const EXTERNAL =
  /^CREATE EXTERNAL TABLE (IF NOT EXISTS )?([a-z0-9_]+)\.([a-z0-9_]+) \(\n([\s\S]*?)\n\)\nPARTITIONED BY \(([\s\S]*?)\)\nROW FORMAT SERDE '([^']+)'\nSTORED AS INPUTFORMAT '([^']+)'\nOUTPUTFORMAT '([^']+)'\nLOCATION '([^']+)'\nTBLPROPERTIES \(\n([\s\S]*)\n\)$/;
const ICEBERG =
  /^CREATE TABLE (IF NOT EXISTS )?([a-z0-9_]+)\.([a-z0-9_]+) \(\n([\s\S]*?)\n\)\n(?:PARTITIONED BY \(([^\n]*)\)\n)?LOCATION '([^']+)'\nTBLPROPERTIES \(([^\n]*)\)$/;

/** One statement the state machine sends Athena, as Trino runs it (see the list above). */
export function athenaStatementOnTrino(sql: string): TrinoStatement[] {
  const text = sql.trim();
  let m = EXTERNAL.exec(text);
  if (m) {
    const [, ifNotExists, schema, table, cols, parts, serde, inputFormat, outputFormat, location, props] = m;
    const column = (c: { name: string; type: string }) => ({ ...c, properties: {} as Record<string, never> });
    return [
      {
        kind: 'catalog',
        schema,
        table,
        ifNotExists: Boolean(ifNotExists),
        metadata: {
          writerVersion: '476',
          owner: 'landfall',
          tableType: 'EXTERNAL_TABLE',
          dataColumns: parseColumns(cols).map(column),
          partitionColumns: parseColumns(parts).map(column),
          parameters: { EXTERNAL: 'TRUE', ...parseProperties(props) },
          originalStorageFormat: { serde, inputFormat, outputFormat },
          serdeParameters: {},
          externalLocation: location,
          columnStatistics: {},
        },
      },
    ];
  }
  m = ICEBERG.exec(text);
  if (m) {
    const [, ifNotExists, schema, table, cols, parts, location, props] = m;
    const p = parseProperties(props);
    if (p.table_type?.toUpperCase() !== 'ICEBERG')
      throw new Error(`${schema}.${table}: not an Iceberg table (${props})`);
    if ((p.format ?? 'parquet').toLowerCase() !== 'parquet') throw new Error(`${schema}.${table}: format ${p.format}`);
    if (p.write_compression && p.write_compression.toLowerCase() !== 'zstd')
      throw new Error(`${schema}.${table}: the lane's Iceberg catalog writes ZSTD, not ${p.write_compression}`);
    const unknown = Object.keys(p).filter((k) => !['table_type', 'format', 'write_compression'].includes(k));
    if (unknown.length) throw new Error(`${schema}.${table}: no Trino form for the table properties ${unknown}`);
    const columns = parseColumns(cols).map((c) => `  "${c.name}" ${trinoType(c.type)}`);
    const withs = [`location = '${location}'`, "format = 'PARQUET'"];
    // The transforms, split at the commas between them (bucket(16, a) has one of its own).
    const transforms = parts?.match(/[a-z_]+\([^)]*\)|[a-z_][a-z0-9_]*/gi) ?? [];
    if (transforms.length)
      withs.push(`partitioning = ARRAY[${transforms.map((x) => `'${trinoPartition(x)}'`).join(', ')}]`);
    return [
      {
        kind: 'sql',
        sql: `CREATE TABLE ${ifNotExists ?? ''}iceberg.${schema}.${table} (\n${columns.join(',\n')}\n)\nWITH (${withs.join(', ')})`,
      },
    ];
  }
  m = /^OPTIMIZE ([a-z0-9_.]+) REWRITE DATA USING BIN_PACK( WHERE [\s\S]+)?$/.exec(text);
  if (m) return [{ kind: 'sql', sql: `ALTER TABLE ${m[1]} EXECUTE optimize${m[2] ?? ''}` }];
  m = /^VACUUM ([a-z0-9_.]+)$/.exec(text);
  if (m)
    return [
      { kind: 'sql', sql: `ALTER TABLE ${m[1]} EXECUTE expire_snapshots(retention_threshold => '7d')` },
      { kind: 'sql', sql: `ALTER TABLE ${m[1]} EXECUTE remove_orphan_files(retention_threshold => '7d')` },
    ];
  if (/^(CREATE (EXTERNAL )?TABLE|ALTER TABLE|MSCK|OPTIMIZE|VACUUM|SHOW|DESCRIBE)\b/i.test(text))
    throw new Error(`no Trino form for the Athena statement: ${text.slice(0, 200)}`);
  return [{ kind: 'sql', sql: text }];
}

/** A statement the lane ran: its Trino form, the Athena statement it came from, and the tables it touched. */
export interface RanStatement {
  sql: string;
  athena: string;
  database: string;
  ms: number;
  /** The table a Hive DDL statement wrote into the catalog. */
  created?: { schema: string; table: string };
  /** What Trino read and wrote (its QueryInfo). */
  tables?: QueryTables;
}

/** The names the lane's stage uses (as template.yaml names the Glue databases for Stage=dev). */
export const TRINO_LANE_NAMES: CatalogNames = {
  raw: 'landfall_dev_raw',
  curated: 'landfall_dev_curated',
  summary: 'landfall_dev_summary',
  analytics: 'landfall_dev_analytics',
};

/**
 * Trino as the pipeline's warehouse (LocalWarehouse): the plan is Athena's (athenaDialect over `s3://<bucket>`, DDL
 * remembered once as on AWS), each statement goes through athenaStatementOnTrino, and every statement that ran is
 * kept in `log` (the lane's tests read it: MERGEs per round, partitions written).
 */
export class AthenaOnTrino {
  readonly dialect;
  readonly names = TRINO_LANE_NAMES;
  readonly rememberDdl = true;
  readonly log: RanStatement[] = [];

  constructor(
    readonly trino: TrinoServer,
    bucket: string,
  ) {
    this.dialect = athenaDialect(`s3://${bucket}`);
  }

  /** The stage's Glue databases, as template.yaml creates them before any statement runs. */
  async createDatabases(): Promise<void> {
    for (const db of Object.values(this.names))
      await this.trino.query(`CREATE SCHEMA IF NOT EXISTS awsdatacatalog.${db}`);
  }

  /** Partition projection lists every day's symlink folder: nothing to refresh before a round. */
  async refreshRaw(_lake: FolderStore, _c: Contract): Promise<void> {}

  async run(sql: string, database: string): Promise<void> {
    for (const s of athenaStatementOnTrino(sql)) {
      const t0 = Date.now();
      if (s.kind === 'catalog') {
        await this.writeCatalogTable(s);
        this.log.push({
          sql,
          athena: sql,
          database,
          ms: Date.now() - t0,
          created: { schema: s.schema, table: s.table },
        });
      } else {
        const { id } = await this.trino.query(s.sql, database);
        const ms = Date.now() - t0;
        this.log.push({ sql: s.sql, athena: sql, database, ms, tables: await this.trino.queryTables(id) });
      }
    }
  }

  query(sql: string): Promise<TrinoResult> {
    return this.trino.query(sql);
  }

  /** What Glue holds after Athena's DDL: the table in the file metastore (Trino reads it on the next statement). */
  private async writeCatalogTable(s: Extract<TrinoStatement, { kind: 'catalog' }>): Promise<void> {
    const dir = join(this.trino.metastore, s.schema, s.table);
    const file = join(dir, '.trinoSchema');
    if (existsSync(file)) {
      if (s.ifNotExists) return;
      throw new Error(`AlreadyExistsException: Table ${s.schema}.${s.table} already exists`);
    }
    if (!existsSync(join(this.trino.metastore, `.${s.schema}.trinoSchema`)))
      throw new Error(`SCHEMA_NOT_FOUND: Database ${s.schema} does not exist (template.yaml creates the databases)`);
    await mkdir(dir, { recursive: true });
    await writeFile(file, JSON.stringify(s.metadata, null, 2));
  }

  async release(): Promise<void> {}
  async close(): Promise<void> {}
}
