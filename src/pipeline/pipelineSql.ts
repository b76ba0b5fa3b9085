import type { Contract, Summary, View } from '../contracts/contract.ts';
import { BATCH_ID, INGESTED_AT, LINEAGE, SOURCE_KEY, SOURCE_LINE } from '../lake/layout.ts';
import { wholeDays, type ColumnRange, type PartitionPart } from './columnRanges.ts';
import type { CatalogNames, ColumnDef, SqlDialect } from './sqlDialect.ts';

/** Lineage columns of every raw row, carried into the curated tables. */
export const CURATED_LINEAGE: ColumnDef[] = LINEAGE.map((c) => ({ name: c.name, type: c.type }));

/** Identifiers in generated SQL come from validated contracts; this guards the few that come from manifests. */
export function safeLiteral(value: string, what: string): string {
  if (!/^[A-Za-z0-9_\-./ =:]+$/.test(value)) throw new Error(`refusing to put ${what} "${value}" into SQL`);
  return `'${value}'`;
}

function q(name: string): string {
  return `"${name}"`;
}

export function substitute(sql: string, names: CatalogNames, batch?: string): string {
  return sql.replace(/\$\{(curated|summary|batch|raw)\}/g, (_, k: string) => {
    if (k === 'batch') {
      if (!batch) throw new Error('${batch} is only available in the affected queries of a summary');
      return batch;
    }
    return names[k as keyof CatalogNames];
  });
}

export function contractColumns(c: Contract): ColumnDef[] {
  return c.columns.map((col) => ({ name: col.name, type: col.type }));
}

/** DDL for the dataset's raw and curated tables (idempotent). */
export function datasetDdl(d: SqlDialect, names: CatalogNames, c: Contract): string[] {
  const columns = contractColumns(c);
  const raw = d.createRawTable(names, c.dataset, [...columns, ...CURATED_LINEAGE]);
  return [
    ...(raw ? [raw] : []),
    d.createManagedTable(names.curated, c.dataset, [...columns, ...CURATED_LINEAGE], 'curated', c.partitionBy),
  ];
}

export function summaryDdl(d: SqlDialect, names: CatalogNames, s: Summary): string {
  return d.createManagedTable(
    names.summary,
    s.name,
    s.columns.map((c) => ({ name: c.name, type: c.type })),
    'summary',
    [],
  );
}

/** A published batch, as the SQL of a merge names it. */
export interface BatchRef {
  batchId: string;
  ingestDate: string;
}

/** The raw rows of some batches; the partition predicate lets Athena read only their ingest_date folders. */
export function batchRows(names: CatalogNames, c: Contract, batches: BatchRef[]): string {
  if (!batches.length) throw new Error(`no batches of ${c.dataset} to read`);
  const dates = [...new Set(batches.map((b) => b.ingestDate))]
    .sort()
    .map((d) => `DATE ${safeLiteral(d, 'ingest date')}`);
  const ids = batches.map((b) => safeLiteral(b.batchId, 'batch id'));
  const date = dates.length === 1 ? `ingest_date = ${dates[0]}` : `ingest_date IN (${dates.join(', ')})`;
  const id = ids.length === 1 ? `${BATCH_ID} = ${ids[0]}` : `${BATCH_ID} IN (${ids.join(', ')})`;
  return `(SELECT * FROM ${names.raw}.${c.dataset} WHERE ${date} AND ${id})`;
}

/** The lineage that names a row of the lake: its batch and the line its record starts on. */
const ROW_IDENTITY = [BATCH_ID, SOURCE_LINE];

/**
 * ONE MERGE of a dataset's pending batches into the curated table.
 * - With a key (upsert): the source is deduplicated across the batches first (Athena refuses a MERGE in which two
 *   source rows match one target row): one row per key, the highest version winning, then the newest batch (the
 *   latest ingest), then the last line of its file. A matched row is updated only when the incoming version is at
 *   least the stored one, so a late, older record never overwrites a newer one; re-running rewrites identical values.
 * - Without a key (append): every row is inserted once, identified by its batch and line, so identical rows (one
 *   click repeated within a second) all count and a batch merged again adds nothing.
 * - Without a key and `dedupe: exact`: identical rows are collapsed into one; only rows not yet stored are inserted.
 */
export function mergeSql(
  names: CatalogNames,
  c: Contract,
  batches: BatchRef[],
  ranges: ColumnRange[] = [],
  part?: PartitionPart,
): string {
  const cols = c.columns.map((x) => x.name);
  const all = [...cols, ...CURATED_LINEAGE.map((x) => x.name)];
  const append = !c.key.length && c.dedupe !== 'exact';
  const key = c.key.length ? c.key : append ? ROW_IDENTITY : cols;
  const order = [
    ...(c.version ? [`${q(c.version)} DESC NULLS LAST`] : []),
    `${INGESTED_AT} DESC`,
    `${BATCH_ID} DESC`,
    `${SOURCE_LINE} DESC`,
  ].join(', ');
  const select = `SELECT ${cols.map(q).join(', ')}, ${BATCH_ID}, ${SOURCE_KEY}, ${SOURCE_LINE}, CAST(${INGESTED_AT} AS TIMESTAMP) AS ${INGESTED_AT}`;
  // A part of a MERGE too wide for one statement (partitionParts): the rows of its share of the partitions, taken
  // after the newest row of each key is chosen, so each key is merged by exactly one part.
  const within = part
    ? `${q(part.column)} >= ${part.lo} AND ${q(part.column)} < ${part.hi}${part.nulls ? ` OR ${q(part.column)} IS NULL` : ''}`
    : '';
  const source = append
    ? [select, `FROM ${batchRows(names, c, batches)} AS b`, ...(part ? [`WHERE (${within})`] : [])]
    : [
        select,
        'FROM (',
        `  SELECT *, row_number() OVER (PARTITION BY ${key.map(q).join(', ')} ORDER BY ${order}) AS _rn`,
        `  FROM ${batchRows(names, c, batches)} AS b`,
        ') AS d',
        part ? `WHERE _rn = 1 AND (${within})` : 'WHERE _rn = 1',
      ];
  // With stable partition sources, a stored row of an incoming key lies within the range the incoming rows span:
  // a predicate on the target alone, which Athena pushes into the Iceberg scan (partitions and files pruned).
  const prune = ranges.map((r) =>
    r.nullable
      ? `(t.${q(r.column)} BETWEEN ${r.min} AND ${r.max} OR t.${q(r.column)} IS NULL)`
      : `t.${q(r.column)} BETWEEN ${r.min} AND ${r.max}`,
  );
  const on = [
    ...(c.key.length || append
      ? key.map((k) => `t.${q(k)} = s.${q(k)}`)
      : key.map((k) => `t.${q(k)} IS NOT DISTINCT FROM s.${q(k)}`)),
    ...prune,
  ].join(' AND ');
  const lines = [
    `MERGE INTO ${names.curated}.${c.dataset} AS t`,
    'USING (',
    ...source.map((l) => `  ${l}`),
    ') AS s',
    `ON ${on}`,
  ];
  if (c.key.length) {
    const cond = c.version ? ` AND (s.${q(c.version)} >= t.${q(c.version)} OR t.${q(c.version)} IS NULL)` : '';
    lines.push(
      `WHEN MATCHED${cond} THEN UPDATE SET ${all
        .filter((x) => !c.key.includes(x))
        .map((x) => `${q(x)} = s.${q(x)}`)
        .join(', ')}`,
    );
  }
  lines.push(
    `WHEN NOT MATCHED THEN INSERT (${all.map(q).join(', ')}) VALUES (${all.map((x) => `s.${q(x)}`).join(', ')})`,
  );
  return lines.join('\n');
}

/**
 * Recomputes the summary rows whose keys some batches touch (of one or more source datasets: the union of their
 * affected keys), in one MERGE (one atomic commit on Iceberg): keys that still have rows are updated or
 * inserted, keys that no longer have any are deleted.
 */
export function summaryMergeSql(
  names: CatalogNames,
  s: Summary,
  sources: { contract: Contract; batches: BatchRef[] }[],
  scoped?: { dataset: string; range: ColumnRange },
  captured?: string,
): string {
  const parts = sources.map(({ contract, batches }) => {
    const affectedSql = s.affected[contract.dataset];
    if (!affectedSql)
      throw new Error(`summary ${s.name} does not declare how a batch of ${contract.dataset} affects it`);
    return substitute(affectedSql.trim(), names, batchRows(names, contract, batches));
  });
  // The keys of the rows the round's MERGEs replaced, captured before them (an order moved to another day).
  if (captured)
    parts.push(
      `SELECT ${s.key.map(q).join(', ')} FROM ${names.summary}.${affectedTable(s)} WHERE _round = ${safeLiteral(captured, 'round id')}`,
    );
  const affected = parts.length === 1 ? parts[0] : parts.map((p) => `(\n${indent(p, 2)}\n)`).join('\nUNION ALL\n');
  // A scoped summary reads its scope's table only within the whole days the round's rows span.
  const scopedBody = scoped
    ? s.sql
        .trim()
        .replace(
          new RegExp(`\\$\\{curated\\}\\.${scoped.dataset}(?![a-z0-9_])`, 'g'),
          `(SELECT * FROM ${names.curated}.${scoped.dataset} WHERE ${wholeDays(scoped.range, q(scoped.range.column))})`,
        )
    : s.sql.trim();
  const body = substitute(scopedBody, names);
  const cols = s.columns.map((c) => c.name);
  const values = cols.filter((c) => !s.key.includes(c));
  const join = s.key.map((k) => `r.${q(k)} = a.${q(k)}`).join(' AND ');
  const keyIn =
    s.key.length === 1
      ? `${q(s.key[0])} IN (SELECT ${q(s.key[0])} FROM affected)`
      : `(${s.key.map(q).join(', ')}) IN (SELECT ${s.key.map(q).join(', ')} FROM affected)`;
  return [
    `MERGE INTO ${names.summary}.${s.name} AS t`,
    'USING (',
    '  WITH affected AS (',
    `    SELECT DISTINCT ${s.key.map(q).join(', ')} FROM (`,
    indent(affected, 6),
    '    ) AS x',
    '  ),',
    '  recomputed AS (',
    `    SELECT * FROM (`,
    indent(body, 6),
    `    ) AS y WHERE ${keyIn}`,
    '  )',
    `  SELECT ${s.key.map((k) => `a.${q(k)}`).join(', ')}, ${values.map((v) => `r.${q(v)}`).join(', ')}, r.${q(s.key[0])} IS NOT NULL AS _present`,
    `  FROM affected AS a LEFT JOIN recomputed AS r ON ${join}`,
    ') AS s',
    `ON ${s.key.map((k) => `t.${q(k)} = s.${q(k)}`).join(' AND ')}`,
    'WHEN MATCHED AND NOT s._present THEN DELETE',
    `WHEN MATCHED THEN UPDATE SET ${values.map((v) => `${q(v)} = s.${q(v)}`).join(', ')}`,
    `WHEN NOT MATCHED AND s._present THEN INSERT (${cols.map(q).join(', ')}) VALUES (${cols.map((c) => `s.${q(c)}`).join(', ')})`,
  ].join('\n');
}

/** Where a summary's keys touched by the rows a round replaces wait for its recompute. */
export function affectedTable(s: Summary): string {
  return `${s.name}__affected`;
}

/** The affected-keys table of a summary: its key columns and the round that captured them. */
export function affectedTableDdl(d: SqlDialect, names: CatalogNames, s: Summary): string {
  return d.createManagedTable(
    names.summary,
    affectedTable(s),
    [
      ...s.columns.filter((c) => s.key.includes(c.name)).map((c) => ({ name: c.name, type: c.type })),
      { name: '_round', type: 'string' },
    ],
    'summary',
    [],
  );
}

/**
 * Before a round's MERGE replaces rows of `source`: the summary keys of the stored rows its batches will replace,
 * found by the summary's own `affected` query run over those stored rows (their values before the MERGE).
 */
export function captureAffectedSql(
  names: CatalogNames,
  s: Summary,
  source: Contract,
  batches: BatchRef[],
  round: string,
): string {
  const key = source.key.map(q);
  const tuple = key.length === 1 ? key[0] : `(${key.join(', ')})`;
  const stored = `(SELECT * FROM ${names.curated}.${source.dataset} WHERE ${tuple} IN (SELECT ${key.join(', ')} FROM ${batchRows(names, source, batches)} AS n))`;
  const affected = substitute(s.affected[source.dataset].trim(), names, stored);
  return [
    `INSERT INTO ${names.summary}.${affectedTable(s)}`,
    `SELECT DISTINCT ${s.key.map(q).join(', ')}, ${safeLiteral(round, 'round id')} AS _round FROM (`,
    indent(affected, 2),
    ') AS x',
  ].join('\n');
}

export function forgetAffectedSql(names: CatalogNames, s: Summary, round: string): string {
  return `DELETE FROM ${names.summary}.${affectedTable(s)} WHERE _round = ${safeLiteral(round, 'round id')}`;
}

export function viewSql(names: CatalogNames, v: View): string {
  return `CREATE OR REPLACE VIEW ${names.analytics}.${v.name} AS\n${substitute(v.sql.trim(), names)}`;
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}
