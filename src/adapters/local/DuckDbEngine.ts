import { createHash } from 'node:crypto';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Contract } from '../../contracts/contract.ts';
import { listManifests } from '../../ingest/manifest.ts';
import type { FolderStore } from './FolderStore.ts';
import { duckdbDialect, LOCAL_CATALOG } from '../../pipeline/sqlDialect.ts';
import { INGEST_DATE, LINEAGE } from '../../lake/layout.ts';

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** How long a command waits for the warehouse another landfall process holds, and what it says meanwhile. */
export interface WarehouseWait {
  timeoutMs?: number;
  /** Told once, when the warehouse turns out to be held: by which process, if DuckDB says. */
  onWait?: (holder: string) => void;
  /** DuckDB's memory limit (MB); beyond it, MERGEs and summaries spill to `.duckdb/tmp/` (default: DuckDB's, 80% of RAM). */
  memoryMb?: number;
}

/**
 * The local query engine and catalog: a DuckDB database file in the lake folder (`warehouse.duckdb`) holding the
 * curated and summary tables and the analytics views, with `raw.<dataset>` views over the Parquet files of
 * published batches only. Locally it plays Athena, and refreshing the raw views plays the Glue crawler.
 *
 * DuckDB lets one process at a time open the file. The engine opens it when a statement first needs it, waits
 * (saying who holds it) while another landfall command does, and `release()` closes it again: `landfall run`
 * holds the warehouse only for its pipeline steps, never while it converts, so a `landfall query` gets in between.
 */
export class DuckDbEngine {
  readonly dialect = duckdbDialect;
  readonly names = LOCAL_CATALOG;
  private open_: Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> | null = null;

  private constructor(
    private readonly root: string,
    private readonly wait: WarehouseWait,
  ) {}

  static async open(root: string, wait: WarehouseWait = {}): Promise<DuckDbEngine> {
    await mkdir(join(root, '.duckdb', 'extensions'), { recursive: true });
    return new DuckDbEngine(root, wait);
  }

  private connection(): Promise<DuckDBConnection> {
    this.open_ ??= this.connect().catch((err) => {
      this.open_ = null;
      throw err;
    });
    return this.open_.then((o) => o.conn);
  }

  private async connect(): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
    const file = join(this.root, 'warehouse.duckdb');
    const deadline = Date.now() + (this.wait.timeoutMs ?? 30 * 60_000);
    let told = false;
    for (;;) {
      try {
        // Offline by design: no extension may be downloaded (docs/libraries.md).
        const instance = await DuckDBInstance.create(file, {
          extension_directory: join(this.root, '.duckdb', 'extensions'),
          autoinstall_known_extensions: 'false',
          autoload_known_extensions: 'false',
        });
        const conn = await instance.connect();
        // Timestamps are UTC wall-clock everywhere; a session time zone must not shift them.
        await conn.run("SET TimeZone = 'UTC'");
        if (this.wait.memoryMb) {
          // Bounded memory: what does not fit spills to the lake folder. Insertion order is not needed for MERGEs.
          await conn.run(`SET memory_limit = '${Math.floor(this.wait.memoryMb)}MB'`);
          await conn.run(`SET temp_directory = '${join(this.root, '.duckdb', 'tmp').replace(/'/g, "''")}'`);
          await conn.run('SET preserve_insertion_order = false');
        }
        return { instance, conn };
      } catch (err) {
        const message = (err as Error).message;
        if (!/Conflicting lock is held|Could not set lock on file/i.test(message)) throw err;
        if (Date.now() > deadline)
          throw new Error(
            `the warehouse ${file} is still held by another process (${holderOf(message)}); stop it or try again`,
            { cause: err },
          );
        if (!told) this.wait.onWait?.(holderOf(message));
        told = true;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** Closes the warehouse file, so that another process may open it; the next statement opens it again. */
  async release(): Promise<void> {
    const open = this.open_;
    this.open_ = null;
    if (!open) return;
    const { instance, conn } = await open;
    conn.closeSync();
    instance.closeSync();
  }

  /** (Re)creates `raw.<dataset>` for every contract from the manifests in the lake. */
  async attachRaw(lake: FolderStore, contracts: Contract[]): Promise<void> {
    const made = await this.rawViewMarks();
    for (const c of contracts) await this.refreshRaw(lake, c, made);
  }

  /**
   * The local crawler: `raw.<dataset>` over the Parquet files of the dataset's published batches. A view whose
   * definition is unchanged is left as it is: each view carries a hash of the statement that made it as its comment
   * (`landfall query` made every view again at each start, ~35 ms and a write to the warehouse for the demo's
   * thirteen datasets; a view replaced by other means loses its comment, and is made again).
   */
  async refreshRaw(
    lake: FolderStore,
    c: Contract,
    made?: Map<string, string>,
  ): Promise<{ files: number; partitions: string[] }> {
    const conn = await this.connection();
    const files: string[] = [];
    const partitions = new Set<string>();
    for await (const { manifest: m } of listManifests(lake, c.dataset)) {
      if (m.status !== 'published' || !m.files.length) continue;
      files.push(...m.files.map((f) => lake.path(f.key)));
      partitions.add(m.ingestDate);
    }
    const view = `raw.${c.dataset}`;
    let sql: string;
    if (files.length) {
      const list = files.map(sqlString).join(', ');
      // The contract's columns, as Athena's raw table (DDL from the contract) shows them: columns a drifted file
      // brought along (schemaDrift: evolve) stay in its Parquet file until the contract adds them.
      const cols = [...c.columns.map((col) => `"${col.name}"`), ...LINEAGE.map((l) => l.name), INGEST_DATE];
      sql = `CREATE OR REPLACE VIEW ${view} AS SELECT ${cols.join(', ')} FROM read_parquet([${list}], hive_partitioning = true, hive_types = {'${INGEST_DATE}': DATE}, union_by_name = true)`;
    } else {
      const cols = [
        ...c.columns.map((col) => `CAST(NULL AS ${duckdbDialect.type(col.type)}) AS ${col.name}`),
        ...LINEAGE.map(
          (l) => `CAST(NULL AS ${l.type === 'timestamp' ? 'TIMESTAMPTZ' : duckdbDialect.type(l.type)}) AS ${l.name}`,
        ),
        `CAST(NULL AS DATE) AS ${INGEST_DATE}`,
      ];
      sql = `CREATE OR REPLACE VIEW ${view} AS SELECT ${cols.join(', ')} WHERE false`;
    }
    const mark = `landfall:${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
    if ((made ?? (await this.rawViewMarks())).get(c.dataset) !== mark) {
      await conn.run('CREATE SCHEMA IF NOT EXISTS raw');
      await conn.run(sql);
      await conn.run(`COMMENT ON VIEW ${view} IS ${sqlString(mark)}`);
    }
    return { files: files.length, partitions: [...partitions].sort() };
  }

  /** The comment of each view in `raw`, by name. */
  private async rawViewMarks(): Promise<Map<string, string>> {
    const reader = await (await this.connection()).runAndReadAll(
      "SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'raw' AND NOT internal",
    );
    const marks = new Map<string, string>();
    for (const r of reader.getRowObjectsJson()) if (r.comment) marks.set(String(r.view_name), String(r.comment));
    return marks;
  }

  /** A statement of the pipeline's (its database is the session's: DuckDB's names are schema-qualified). */
  async run(sql: string, _database?: string): Promise<void> {
    await (await this.connection()).run(sql);
  }

  async query(sql: string): Promise<QueryResult> {
    const reader = await (await this.connection()).runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
  }

  close(): Promise<void> {
    return this.release();
  }
}

/** "PID 1234" from DuckDB's lock error, or that it did not say. */
function holderOf(message: string): string {
  const pid = /PID (\d+)/.exec(message)?.[1];
  return pid ? `process ${pid}` : 'another process';
}

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
