import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDbEngine } from '../adapters/local/DuckDbEngine.ts';
import type { Chart, Contract, View } from '../contracts/contract.ts';
import { listManifests, type Manifest } from '../ingest/manifest.ts';
import { describeDrift, durationMs, staleDatasets, type Alarm } from '../pipeline/alarms.ts';
import type { LocalLake } from '../wiring/local.ts';

/** Everything `landfall report` shows, read from the lake: manifests, alarms and the analytics views. */
export interface ReportData {
  root: string;
  generatedAt: string;
  /** The Parquet size band the writer aims at (bytes): 0.75 and 1.25 times the target file size. */
  targetBand: [number, number];
  datasets: DatasetHealth[];
  /** Objects no contract claimed, kept whole in quarantine. */
  unmatched: BatchRow[];
  alarms: AlarmRow[];
  views: ViewData[];
}

export interface BatchRow {
  batchId: string;
  dataset: string;
  status: Manifest['status'];
  source: string;
  sourceBytes: number;
  finishedAt: string;
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
  rowsBlank: number;
  rejectsByReason: Record<string, number>;
  rejectRatio: number;
  maxRejectRatio: number;
  rejectThresholdExceeded: boolean;
  files: { key: string; path: string; rows: number; bytes: number }[];
  /** Paths on disk: the report links them. */
  manifestPath: string;
  quarantinePath: string | null;
  problem: string | null;
  drift: string | null;
}

export interface DatasetHealth {
  dataset: string;
  description: string | undefined;
  maxRejectRatio: number;
  /** Batches oldest first. */
  batches: BatchRow[];
  freshness: { expectedEvery: string; lastAt: string | null; ageMs: number | null; stale: boolean } | null;
}

export interface AlarmRow {
  at: string;
  name: Alarm['name'];
  dataset: string;
  detail: string;
  /** From alarms.log (raised by a run), or evaluated now (a dataset stale at the time of the report). */
  origin: 'raised' | 'now';
}

export interface ViewData {
  dataset: string;
  view: View;
  /** The view's rows, numbers as numbers, ordered by the first chart's x; at most MAX_TABLE_ROWS. */
  table: { columns: string[]; rows: Row[]; totalRows: number };
  /** Each chart's rows: its columns only, the top series only. */
  charts: { chart: Chart; rows: Row[] }[];
  /** Why the view could not be read: not created yet (the dataset was never merged), or a chart the view cannot draw. */
  error: string | null;
  /** The error is a mistake to mend (a chart naming a column the view lacks), not a view still to come. */
  broken: boolean;
}

export type Row = Record<string, string | number | null>;

/** The most rows of a view the page shows as a table, and the most points a chart draws. */
const MAX_TABLE_ROWS = 2000;
const MAX_CHART_ROWS = 20000;

/** Reads the lake's manifests and alarms and the analytics views of every contract. */
export async function collectReport(
  lake: LocalLake,
  engine: DuckDbEngine,
  options: { now?: Date; targetFileBytes: number },
): Promise<ReportData> {
  const now = options.now ?? new Date();
  const listed: { key: string; manifest: Manifest }[] = [];
  for await (const l of listManifests(lake.lake)) listed.push(l);
  const manifests = listed.map((l) => l.manifest);
  const rows = listed.map((l) => batchRow(lake, l));
  const datasets = lake.contracts.map((c) => datasetHealth(c, rows, now));
  return {
    root: lake.root,
    generatedAt: now.toISOString(),
    targetBand: [options.targetFileBytes * 0.75, options.targetFileBytes * 1.25],
    datasets,
    unmatched: rows.filter((r) => r.status === 'unmatched').sort(byTime),
    alarms: [
      ...(await readAlarmLog(lake.root)),
      ...staleDatasets(lake.contracts, manifests, now).map((a) => ({
        ...a,
        at: now.toISOString(),
        origin: 'now' as const,
      })),
    ].sort((a, b) => b.at.localeCompare(a.at)),
    views: await readViews(lake.contracts, engine),
  };
}

const byTime = (a: BatchRow, b: BatchRow) =>
  a.finishedAt.localeCompare(b.finishedAt) || a.batchId.localeCompare(b.batchId);

function batchRow(lake: LocalLake, { key, manifest: m }: { key: string; manifest: Manifest }): BatchRow {
  return {
    batchId: m.batchId,
    dataset: m.dataset,
    status: m.status,
    source: m.source.key,
    sourceBytes: m.source.size,
    finishedAt: m.finishedAt,
    rowsRead: m.rowsRead,
    rowsWritten: m.rowsWritten,
    rowsRejected: m.rowsRejected,
    rowsBlank: m.rowsBlank ?? 0,
    rejectsByReason: m.rejectsByReason,
    rejectRatio: m.rejectRatio,
    maxRejectRatio: m.maxRejectRatio,
    rejectThresholdExceeded: m.rejectThresholdExceeded,
    files: m.files.map((f) => ({ ...f, path: lake.lake.path(f.key) })),
    manifestPath: lake.lake.path(key),
    quarantinePath: m.quarantine ? lake.lake.path(m.quarantine.key) : null,
    problem: m.problem ? `${m.problem.code}: ${m.problem.message}` : null,
    drift: m.drift ? describeDrift(m.drift) : null,
  };
}

function datasetHealth(c: Contract, all: BatchRow[], now: Date): DatasetHealth {
  const batches = all.filter((b) => b.dataset === c.dataset && b.status !== 'unmatched').sort(byTime);
  const published = batches.filter((b) => b.status === 'published');
  const lastAt = published.at(-1)?.finishedAt ?? null;
  const ageMs = lastAt ? now.getTime() - Date.parse(lastAt) : null;
  return {
    dataset: c.dataset,
    description: c.description,
    maxRejectRatio: c.quality.maxRejectRatio,
    batches,
    freshness: c.refresh
      ? {
          expectedEvery: c.refresh.expectedEvery,
          lastAt,
          ageMs,
          stale: ageMs !== null && ageMs > durationMs(c.refresh.expectedEvery),
        }
      : null,
  };
}

/** `<lake>/alarms.log`: one `ISO-TIME ALARM name dataset detail` line per alarm a run raised. */
async function readAlarmLog(root: string): Promise<AlarmRow[]> {
  const text = await readFile(join(root, 'alarms.log'), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return text
    .split('\n')
    .map((l) => /^(\S+) ALARM (\S+) (\S+) ?(.*)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ at: m[1], name: m[2] as Alarm['name'], dataset: m[3], detail: m[4], origin: 'raised' as const }));
}

/** Every contract view: for those with charts, its rows and each chart's rows (numbers as numbers); else its row count. */
async function readViews(contracts: Contract[], engine: DuckDbEngine): Promise<ViewData[]> {
  const out: ViewData[] = [];
  for (const c of contracts) {
    for (const view of c.views) {
      const from = `analytics.${view.name}`;
      try {
        const columns = (await engine.query(`SELECT * FROM ${from} LIMIT 0`)).columns;
        for (const chart of view.charts) {
          const missing = chartColumns(chart).filter((col) => !columns.includes(col));
          if (missing.length)
            throw new Error(
              `chart "${chart.title}" names ${missing.join(', ')}, which analytics.${view.name} does not have (it has ${columns.join(', ')}): mend the chart in the contract of ${c.dataset}`,
            );
        }
        const [{ n }] = (await engine.query(`SELECT count(*)::DOUBLE AS n FROM ${from}`)).rows as { n: number }[];
        const base = { dataset: c.dataset, view, error: null, broken: false };
        if (!view.charts.length) {
          // Not drawn: named with its row count and columns, so the page lists every view there is.
          out.push({ ...base, table: { columns, rows: [], totalRows: n }, charts: [] });
          continue;
        }
        const table = await engine.query(
          `SELECT * FROM ${from} ORDER BY ${tableOrder(view.charts[0])} LIMIT ${MAX_TABLE_ROWS}`,
        );
        const charts = [];
        for (const chart of view.charts)
          charts.push({ chart, rows: (await engine.query(chartSql(from, chart))).rows.map(numbersAsNumbers) });
        out.push({ ...base, table: { columns, rows: table.rows.map(numbersAsNumbers), totalRows: n }, charts });
      } catch (err) {
        const message = (err as Error).message;
        const notYet = /^Catalog Error: (Table|Schema) with name \S+ does not exist/.test(message);
        out.push({
          dataset: c.dataset,
          view,
          table: { columns: [], rows: [], totalRows: 0 },
          charts: [],
          error: notYet
            ? `analytics.${view.name} does not exist yet: the first merge of ${c.dataset} creates it`
            : message,
          broken: !notYet,
        });
      }
    }
  }
  return out;
}

const quote = (name: string) => `"${name}"`;

/** By the first chart's x, then (series charts) the biggest series first. */
function tableOrder(c: Chart): string {
  return [quote(c.x), c.color ? `${quote(c.rankBy ?? c.y[0])} DESC NULLS LAST` : '', c.color ? quote(c.color) : '']
    .filter(Boolean)
    .join(', ');
}

/** The columns a chart reads. */
function chartColumns(c: Chart): string[] {
  return [c.x, ...c.y, c.y2, c.color, c.rankBy].filter((x): x is string => x !== undefined);
}

/** A chart's rows: its columns, for the `top` series of `color` by the total of `rankBy` (or its measure). */
function chartSql(from: string, c: Chart): string {
  const cols = [...new Set(chartColumns(c))].map(quote).join(', ');
  const top =
    c.color && c.top
      ? ` WHERE ${quote(c.color)} IN (SELECT ${quote(c.color)} FROM ${from} GROUP BY 1 ORDER BY sum(${quote(c.rankBy ?? c.y[0])}) DESC NULLS LAST, 1 LIMIT ${c.top})`
      : '';
  return `SELECT ${cols} FROM ${from}${top} ORDER BY ${quote(c.x)}${c.color ? `, ${quote(c.color)}` : ''} LIMIT ${MAX_CHART_ROWS}`;
}

/** DuckDB's JSON rows give BIGINT and DECIMAL as strings: the charts need numbers. Dates stay strings. */
function numbersAsNumbers(row: Record<string, unknown>): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : (v as string | number | null);
  }
  return out;
}
