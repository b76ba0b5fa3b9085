import { RESERVED_COLUMNS } from '../lake/layout.ts';
import { QUOTED_NAMES } from '../csv/rejectMessages.ts';
import type { Contract } from './contract.ts';

/**
 * Schema drift: how a file's header differs from its contract, and the contract a drifted file is converted with
 * under `schemaDrift: evolve`.
 */

export interface HeaderDrift {
  /** Contract columns (names) the header lacks. */
  missing: string[];
  /** Header names the contract lacks. */
  extra: string[];
  duplicates: string[];
  /** Columns found under an alias: the column's name and the header text. */
  renamed: { column: string; header: string }[];
  fieldToColumn: number[];
}

export function headerDrift(contract: Contract, names: string[]): HeaderDrift {
  const wanted = contract.columns.map((c) => [c.header ?? c.name, ...c.aliases].map(normalize));
  const found = names.map(normalize);
  // Each name seen before it (a Set: a header of 100,000 names must not cost 10^10 comparisons).
  const seen = new Set<string>();
  const duplicates = found.filter((n) => seen.has(n) || !seen.add(n));
  const fieldToColumn = found.map((n) => wanted.findIndex((w) => w.includes(n)));
  const missing = contract.columns.filter((_, c) => !fieldToColumn.includes(c)).map((c) => c.header ?? c.name);
  const extra = names.filter((_, f) => fieldToColumn[f] < 0);
  const renamed = names
    .map((h, f) => ({ column: contract.columns[fieldToColumn[f]]?.name, header: h, f }))
    .filter((r) => r.column !== undefined && wanted[fieldToColumn[r.f]][0] !== found[r.f])
    .map(({ column, header }) => ({ column: column!, header }));
  return { missing, extra, duplicates, renamed, fieldToColumn };
}

/**
 * The contract a drifted file is converted with: its columns, then one nullable string column per extra
 * header name (named as an identifier; the header text kept as `header`).
 */
export function evolveContract(contract: Contract, extra: string[]): Contract {
  if (!extra.length) return contract;
  const taken = new Set(contract.columns.map((c) => c.name));
  const added = extra.map((h) => {
    let base =
      h
        .normalize('NFKD')
        // biome-ignore lint/suspicious/noControlCharactersInRegex: every character outside ASCII, control characters included
        .replace(/[^\x00-\x7f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9_]+/g, '_')
        .replace(/^_+|_+$/g, '') || 'column';
    if (!/^[a-z_]/.test(base)) base = `c_${base}`;
    let name = base;
    for (let i = 2; taken.has(name) || RESERVED_COLUMNS.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return { name, header: h, aliases: [], type: 'string', nullable: true, trim: false } as Contract['columns'][number];
  });
  return { ...contract, columns: [...contract.columns, ...added] };
}

export interface BatchDrift {
  /** Contract columns the file lacks (null in every row under schemaDrift: evolve). */
  missing: string[];
  /** Header names the contract lacks, and the column each is kept in (under evolve). */
  extra: { header: string; column: string }[];
  /** Columns found under one of their aliases. */
  renamed: { column: string; header: string }[];
  policy: 'reject' | 'evolve';
  /** Entries left out of the lists above in a rejected file's report (driftReport), when there were many. */
  omitted?: number;
}

/** A rejected file's drift as its manifest reports it: each list cut to its first entries, the rest counted. */
export function driftReport(d: BatchDrift): BatchDrift {
  const omitted = [d.missing, d.extra, d.renamed].reduce((n, l) => n + Math.max(0, l.length - QUOTED_NAMES), 0);
  if (!omitted) return d;
  return {
    ...d,
    missing: d.missing.slice(0, QUOTED_NAMES),
    extra: d.extra.slice(0, QUOTED_NAMES),
    renamed: d.renamed.slice(0, QUOTED_NAMES),
    omitted,
  };
}

/** The contract a batch's runs convert with: under evolve, with a nullable string column per extra header name. */
export function batchContract(contract: Contract, batch: { drift?: BatchDrift }): Contract {
  return contract.schemaDrift === 'evolve' && batch.drift?.extra.length
    ? evolveContract(
        contract,
        batch.drift.extra.map((e) => e.header),
      )
    : contract;
}

function normalize(name: string): string {
  return name.trim().toLowerCase();
}
