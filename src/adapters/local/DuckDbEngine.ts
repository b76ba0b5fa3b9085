import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Contract } from '../../contracts/contract.ts';
import { readManifest } from '../../convert/manifest.ts';
import type { FolderStore } from './FolderStore.ts';
import { duckdbDialect } from '../../pipeline/sqlDialect.ts';

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/**
 * The local query engine and catalog: a DuckDB database file in the lake folder (`warehouse.duckdb`) holding the
 * curated and summary tables and the analytics views, with `raw.<dataset>` views over the Parquet files of
 * published batches only. Locally it plays Athena, and refreshing the raw views plays the Glue crawler.
 */
export class DuckDbEngine {
  private constructor(private readonly instance: DuckDBInstance, private readonly conn: DuckDBConnection) {}

  static async open(root: string): Promise<DuckDbEngine> {
    const extensionDir = join(root, '.duckdb', 'extensions');
    await mkdir(extensionDir, { recursive: true });
    // Offline by design: no extension may be downloaded (docs/libraries.md).
    const instance = await DuckDBInstance.create(join(root, 'warehouse.duckdb'), {
      extension_directory: extensionDir,
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const conn = await instance.connect();
    // Timestamps are UTC wall-clock everywhere; a session time zone must not shift them.
    await conn.run("SET TimeZone = 'UTC'");
    return new DuckDbEngine(instance, conn);
  }

  /** (Re)creates `raw.<dataset>` for every contract from the manifests in the lake. */
  async attachRaw(lake: FolderStore, contracts: Contract[]): Promise<void> {
    for (const c of contracts) await this.refreshRaw(lake, c);
  }

  /** The local crawler: `raw.<dataset>` over the Parquet files of the dataset's published batches. */
  async refreshRaw(lake: FolderStore, c: Contract): Promise<{ files: number; partitions: string[] }> {
    await this.conn.run('CREATE SCHEMA IF NOT EXISTS raw');
    const files: string[] = [];
    const partitions = new Set<string>();
    for await (const o of lake.list(`manifests/${c.dataset}/`)) {
      if (!o.key.endsWith('.json')) continue;
      const m = await readManifest(lake, o.key);
      if (m?.status !== 'published' || !m.files.length) continue;
      files.push(...m.files.map((f) => lake.path(f.key)));
      partitions.add(m.ingestDate);
    }
    const view = `raw.${c.dataset}`;
    if (files.length) {
      const list = files.map(sqlString).join(', ');
      // The contract's columns, as Athena's raw table (DDL from the contract) shows them: columns a drifted file
      // brought along (schemaDrift: evolve) stay in its Parquet file until the contract adds them.
      const cols = [...c.columns.map((col) => `"${col.name}"`), '_batch_id', '_source_key', '_source_line', '_ingested_at', 'ingest_date'];
      await this.conn.run(
        `CREATE OR REPLACE VIEW ${view} AS SELECT ${cols.join(', ')} FROM read_parquet([${list}], hive_partitioning = true, hive_types = {'ingest_date': DATE}, union_by_name = true)`,
      );
    } else {
      const cols = [
        ...c.columns.map((col) => `CAST(NULL AS ${duckdbDialect.type(col.type)}) AS ${col.name}`),
        'CAST(NULL AS VARCHAR) AS _batch_id', 'CAST(NULL AS VARCHAR) AS _source_key',
        'CAST(NULL AS BIGINT) AS _source_line', 'CAST(NULL AS TIMESTAMPTZ) AS _ingested_at', 'CAST(NULL AS DATE) AS ingest_date',
      ];
      await this.conn.run(`CREATE OR REPLACE VIEW ${view} AS SELECT ${cols.join(', ')} WHERE false`);
    }
    return { files: files.length, partitions: [...partitions].sort() };
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  async query(sql: string): Promise<QueryResult> {
    const reader = await this.conn.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
