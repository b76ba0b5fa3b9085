import type { Contract } from '../contracts/contract.ts';
import { field, ThriftReader, type ThriftList, type ThriftStruct } from '../parquet/thriftCompact.ts';
import type { ObjectStore } from '../ports.ts';

/** The range of a column's values over some Parquet files: as SQL literals, and raw (microseconds, or days for a date). */
export interface ColumnRange {
  column: string;
  type: 'timestamp' | 'date';
  min: string;
  max: string;
  minValue: bigint;
  maxValue: bigint;
  /** The column may be null: statistics leave nulls out, so stored rows with a null must stay in reach. */
  nullable: boolean;
}

const DAY_MICROS = 86_400_000_000n;

/** `col >= <day of min> AND col < <day after max>`: every row of the days the range touches. */
export function wholeDays(r: ColumnRange, column: string): string {
  if (r.type === 'date') return `${column} BETWEEN ${r.min} AND ${r.max}`;
  const floor = (v: bigint) => unitStart('day', v);
  return `${column} >= ${literal('timestamp', floor(r.minValue))} AND ${column} < ${literal('timestamp', floor(r.maxValue) + DAY_MICROS)}`;
}

/**
 * Athena writes at most this many partitions in one statement (HIVE_TOO_MANY_OPEN_PARTITIONS; Trino's Iceberg
 * connector has the same limit per writer, iceberg.max-partitions-per-writer).
 */
export const MAX_PARTITIONS_PER_STATEMENT = 100;

export type TimeUnit = 'hour' | 'day' | 'month' | 'year';

/** A time-partitioned table's one partition field: its source column and unit (`day(ts)`, or a date column itself). */
export function timePartition(c: Contract): { column: string; unit: TimeUnit } | null {
  if (c.partitionBy.length !== 1) return null;
  const entry = c.partitionBy[0];
  const column = partitionSource(entry);
  const type = c.columns.find((col) => col.name === column)?.type;
  const unit = /^(hour|day|month|year)\(/.exec(entry)?.[1] as TimeUnit | undefined;
  if (type === 'timestamp' && unit) return { column, unit };
  if (type === 'date' && (unit ?? 'day') !== 'hour') return { column, unit: unit ?? 'day' };
  return null;
}

/** One MERGE's share of a range too wide for one statement: rows with `lo <= column < hi`, and the nulls in the first. */
export interface PartitionPart {
  column: string;
  lo: string;
  hi: string;
  nulls: boolean;
}

const HOUR_MICROS = 3_600_000_000n;

/** The start (microseconds) of the unit `v` lies in, and of the unit after it. */
function unitStart(unit: TimeUnit, v: bigint, next = 0): bigint {
  if (unit === 'hour' || unit === 'day') {
    const size = unit === 'hour' ? HOUR_MICROS : DAY_MICROS;
    const floor = v >= 0n ? v / size : -((-v + size - 1n) / size);
    return (floor + BigInt(next)) * size;
  }
  const d = new Date(Number((v >= 0n ? v : v - 999n) / 1000n));
  const ms =
    unit === 'month'
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + next, 1)
      : Date.UTC(d.getUTCFullYear() + next, 0, 1);
  return BigInt(ms) * 1000n;
}

/**
 * The range of a round's rows in a time-partitioned table's source column, cut into parts that each write at most
 * MAX_PARTITIONS_PER_STATEMENT partitions (one of them for nulls, in the first part), or null when one statement
 * writes few enough. Athena's own partitioning is by these units, so a part of N units writes N partitions at most.
 */
export function partitionParts(r: ColumnRange, unit: TimeUnit): PartitionPart[] | null {
  const micros = (v: bigint) => (r.type === 'date' ? v * DAY_MICROS : v);
  const [min, max] = [micros(r.minValue), micros(r.maxValue)];
  const starts: bigint[] = [];
  for (let u = unitStart(unit, min); u <= max; u = unitStart(unit, u, 1)) starts.push(u);
  const per = MAX_PARTITIONS_PER_STATEMENT - 1; // one left for the null partition
  if (starts.length <= per) return null;
  const bound = (v: bigint) => (r.type === 'date' ? literal('date', v / DAY_MICROS) : literal('timestamp', v));
  const parts: PartitionPart[] = [];
  for (let i = 0; i < starts.length; i += per) {
    const end = i + per < starts.length ? starts[i + per] : unitStart(unit, starts[starts.length - 1], 1);
    parts.push({ column: r.column, lo: bound(starts[i]), hi: bound(end), nulls: i === 0 && r.nullable });
  }
  return parts;
}

// parquet.thrift field ids.
const FILE_ROW_GROUPS = 4;
const ROW_GROUP_COLUMNS = 1;
const CHUNK_META = 3;
const META = { type: 1, path: 3, statistics: 12 } as const;
const STATS = { maxValue: 5, minValue: 6 } as const;
const PHYSICAL = { INT32: 1, INT64: 2 } as const;

/** The source column of a partitionBy entry: `month(ts)` -> ts, `country` -> country. */
export function partitionSource(entry: string): string {
  return /^(?:(?:year|month|day)\(\s*)?([a-z_][a-z0-9_]*)\s*\)?$/.exec(entry)?.[1] ?? entry;
}

/** The columns a MERGE of this contract may prune by: the sources of its partitions, when they never change for a key. */
export function prunableColumns(c: Contract): string[] {
  if (!c.partitionBy.length || !(c.partitionsStable || !c.key.length)) return [];
  const types = new Map(c.columns.map((col) => [col.name, col.type]));
  return [...new Set(c.partitionBy.map(partitionSource))].filter(
    (col) => types.get(col) === 'timestamp' || types.get(col) === 'date',
  );
}

/** The columns of `dataset` that summaries scope their reads by (summaries[].scope). */
export function scopeColumns(contracts: Contract[], dataset: string): string[] {
  return [
    ...new Set(
      contracts
        .flatMap((c) => c.summaries)
        .filter((s) => s.scope?.dataset === dataset)
        .map((s) => s.scope!.column),
    ),
  ];
}

async function bytesOf(store: ObjectStore, key: string, start: number, end: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of store.read(key, { start, end })) parts.push(p);
  return Buffer.concat(parts);
}

/** A Parquet file's footer (`end` exclusive, as ObjectStore ranges are), read with two ranged GETs (its length, then the footer), never the whole file. */
export async function readParquetFooter(store: ObjectStore, key: string, size: number): Promise<ThriftStruct> {
  const tail = await bytesOf(store, key, size - 8, size);
  if (new TextDecoder().decode(tail.subarray(4)) !== 'PAR1')
    throw new Error(`${key} is not a Parquet file (no PAR1 at its end)`);
  const length = new DataView(tail.buffer, tail.byteOffset, 4).getUint32(0, true);
  return new ThriftReader(await bytesOf(store, key, size - 8 - length, size - 8)).readStruct();
}

/** min and max of a column in one file, from its column chunk statistics; null when a chunk has none. */
function fileRange(footer: ThriftStruct, column: string): { min: bigint; max: bigint } | null {
  let min: bigint | null = null;
  let max: bigint | null = null;
  for (const rg of ((field(footer, FILE_ROW_GROUPS)?.value as ThriftList | undefined)?.items ?? []) as ThriftStruct[]) {
    for (const chunk of (field(rg, ROW_GROUP_COLUMNS)!.value as ThriftList).items as ThriftStruct[]) {
      const meta = field(chunk, CHUNK_META)?.value as ThriftStruct | undefined;
      if (!meta) return null;
      const path = (field(meta, META.path)!.value as ThriftList).items.map((p) =>
        new TextDecoder().decode(p as Uint8Array),
      );
      if (path.length !== 1 || path[0] !== column) continue;
      const stats = field(meta, META.statistics)?.value as ThriftStruct | undefined;
      const lo = stats && field(stats, STATS.minValue)?.value;
      const hi = stats && field(stats, STATS.maxValue)?.value;
      if (!(lo instanceof Uint8Array) || !(hi instanceof Uint8Array)) return null;
      const physical = field(meta, META.type)!.value as number;
      const decode = (b: Uint8Array) => {
        const v = new DataView(b.buffer, b.byteOffset, b.length);
        if (physical === PHYSICAL.INT64 && b.length === 8) return v.getBigInt64(0, true);
        if (physical === PHYSICAL.INT32 && b.length === 4) return BigInt(v.getInt32(0, true));
        return null;
      };
      const [a, z] = [decode(lo), decode(hi)];
      if (a === null || z === null) return null;
      min = min === null || a < min ? a : min;
      max = max === null || z > max ? z : max;
    }
  }
  return min === null || max === null ? null : { min, max };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A literal of the column's type: timestamps are microseconds since the epoch (UTC), dates days. */
function literal(type: 'timestamp' | 'date', v: bigint): string {
  if (type === 'date') return `DATE '${new Date(Number(v) * 86_400_000).toISOString().slice(0, 10)}'`;
  const ms = Number(v / 1000n);
  const micros = Number(((v % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const d = new Date(ms);
  const day = d.toISOString().slice(0, 10);
  return `TIMESTAMP '${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(micros, 6)}'`;
}

/**
 * The range of each of `columns` (date or timestamp) over a round's raw files of one dataset, from their footers'
 * statistics; a column any file lacks statistics for is left out (then nothing is pruned by it).
 */
export async function columnRanges(
  store: ObjectStore,
  c: Contract,
  files: { key: string; bytes: number }[],
  columns: string[],
): Promise<ColumnRange[]> {
  const types = new Map(c.columns.map((col) => [col.name, col.type]));
  columns = columns.filter((col) => types.get(col) === 'timestamp' || types.get(col) === 'date');
  if (!columns.length || !files.length) return [];
  const footers = await Promise.all(files.map((f) => readParquetFooter(store, f.key, f.bytes)));
  const out: ColumnRange[] = [];
  for (const column of columns) {
    const ranges = footers.map((ft) => fileRange(ft, column));
    if (ranges.some((r) => r === null)) continue;
    // biome-ignore lint/complexity/useMathMinMax: bigints (Parquet statistics), which Math.min refuses
    const min = ranges.reduce((m, r) => (r!.min < m ? r!.min : m), ranges[0]!.min);
    // biome-ignore lint/complexity/useMathMinMax: bigints, as above
    const max = ranges.reduce((m, r) => (r!.max > m ? r!.max : m), ranges[0]!.max);
    const nullable = c.columns.find((col) => col.name === column)!.nullable !== false;
    const type = types.get(column) as 'timestamp' | 'date';
    out.push({
      column,
      type,
      min: literal(type, min),
      max: literal(type, max),
      minValue: min,
      maxValue: max,
      nullable,
    });
  }
  return out;
}
