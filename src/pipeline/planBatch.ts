import type { Contract, Summary } from '../contracts/contract.ts';
import type { Manifest } from '../convert/manifest.ts';
import { datasetDdl, mergeSql, summaryDdl, summaryMergeSql, viewSql } from './pipelineSql.ts';
import type { CatalogNames, SqlDialect } from './sqlDialect.ts';

export interface SqlStep {
  name: string;
  sql: string;
}

/** Everything the state machine does for one batch, decided up front so the ASL only executes it. */
export interface PipelinePlan {
  dataset: string;
  batchId: string;
  ingestDate: string;
  /** false for a batch that was not converted (rejected or unmatched): nothing to merge. */
  run: boolean;
  crawler: string;
  ddl: SqlStep[];
  merge: SqlStep;
  summaries: SqlStep[];
  views: SqlStep[];
  metrics: {
    rowsRead: number; rowsWritten: number; rowsRejected: number; rejectRatio: number; maxRejectRatio: number;
    /** 1 when the batch's reject ratio is over the contract's threshold (the alarm counts these). */
    thresholdExceeded: 0 | 1;
    /** 1 when the batch is merged (0 for a batch that was not converted). */
    merged: 0 | 1;
    /** 1 when the file's header differed from the contract (manifest.drift), evolved or rejected. */
    schemaDrift: 0 | 1;
  };
}

export interface PlanOptions {
  contracts: Contract[];
  dialect: SqlDialect;
  names: CatalogNames;
  crawler: string;
}

/** Summaries (from any contract) that a batch of `dataset` changes. */
export function summariesFedBy(contracts: Contract[], dataset: string): { owner: Contract; summary: Summary }[] {
  return contracts.flatMap((owner) => owner.summaries.filter((s) => dataset in s.affected).map((summary) => ({ owner, summary })));
}

const refs = (sql: string, zone: 'curated' | 'summary') =>
  [...sql.matchAll(new RegExp(`\\$\\{${zone}\\}\\.([a-z_][a-z0-9_]*)`, 'g'))].map((m) => m[1]);

export function planBatch(o: PlanOptions, manifest: Manifest): PipelinePlan {
  const contract = o.contracts.find((c) => c.dataset === manifest.dataset);
  const run = Boolean(contract) && manifest.status === 'published';
  const metrics = {
    rowsRead: manifest.rowsRead, rowsWritten: manifest.rowsWritten, rowsRejected: manifest.rowsRejected,
    rejectRatio: manifest.rejectRatio, maxRejectRatio: manifest.maxRejectRatio,
    thresholdExceeded: (manifest.rejectThresholdExceeded ? 1 : 0) as 0 | 1,
    merged: (run ? 1 : 0) as 0 | 1,
    schemaDrift: (manifest.drift ? 1 : 0) as 0 | 1,
  };
  const base = { dataset: manifest.dataset, batchId: manifest.batchId, ingestDate: manifest.ingestDate, crawler: o.crawler, metrics };
  if (!contract || !run) {
    return { ...base, run: false, ddl: [], merge: { name: 'merge:none', sql: '' }, summaries: [], views: [] };
  }
  const fed = summariesFedBy(o.contracts, contract.dataset);
  const owners = [contract, ...fed.map((f) => f.owner).filter((c) => c !== contract)];
  const views = [...new Map(owners.flatMap((c) => c.views).map((v) => [v.name, v])).values()];

  // Tables this batch's statements read or write, so each exists before it is used (all DDL is idempotent).
  const datasets = new Set<string>([contract.dataset]);
  const summaries = new Map<string, Summary>();
  const allSummaries = new Map(o.contracts.flatMap((c) => c.summaries).map((s) => [s.name, s]));
  for (const { summary } of fed) {
    summaries.set(summary.name, summary);
    for (const src of Object.keys(summary.affected)) datasets.add(src);
    for (const t of refs(summary.sql, 'curated')) datasets.add(t);
  }
  for (const v of views) {
    for (const t of refs(v.sql, 'curated')) datasets.add(t);
    for (const t of refs(v.sql, 'summary')) if (allSummaries.has(t)) summaries.set(t, allSummaries.get(t)!);
  }
  const byName = new Map(o.contracts.map((c) => [c.dataset, c]));
  const schemas = [o.names.raw, o.names.curated, o.names.summary, o.names.analytics]
    .map((s) => o.dialect.createSchema(s))
    .filter((s): s is string => s !== null)
    .map((sql, i) => ({ name: `ddl:schema:${['raw', 'curated', 'summary', 'analytics'][i]}`, sql }));
  const ddl = [
    ...schemas,
    ...[...datasets].sort().flatMap((ds) => {
      const c = byName.get(ds);
      if (!c) throw new Error(`a summary or view refers to dataset "${ds}", which has no contract`);
      const zones = o.dialect.createRawTable(o.names, ds, []) === null ? ['curated'] : ['raw', 'curated'];
      return datasetDdl(o.dialect, o.names, c).map((sql, i) => ({ name: `ddl:${zones[i]}.${ds}`, sql }));
    }),
    ...[...summaries.values()].map((s) => ({ name: `ddl:summary.${s.name}`, sql: summaryDdl(o.dialect, o.names, s) })),
  ];
  return {
    ...base,
    run: true,
    ddl,
    merge: { name: `merge:curated.${contract.dataset}`, sql: mergeSql(o.names, contract, manifest.batchId, manifest.ingestDate) },
    summaries: fed.map(({ summary }) => ({ name: `summary:summary.${summary.name}`, sql: summaryMergeSql(o.names, summary, contract, manifest.batchId, manifest.ingestDate) })),
    views: views.map((v) => ({ name: `view:analytics.${v.name}`, sql: viewSql(o.names, v) })),
  };
}
