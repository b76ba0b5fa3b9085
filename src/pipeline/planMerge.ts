import type { Contract, Summary } from '../contracts/contract.ts';
import type { Manifest } from '../convert/manifest.ts';
import { describeDrift } from './alarms.ts';
import type { MetricDatum } from './metrics.ts';
import { datasetDdl, mergeSql, summaryDdl, summaryMergeSql, viewSql, type BatchRef } from './pipelineSql.ts';
import type { CatalogNames, SqlDialect } from './sqlDialect.ts';

export interface SqlStep {
  name: string;
  sql: string;
}

/** One batch a merge run took, and what the run's metrics and alarms say of it. */
export interface BatchOutcome {
  batchId: string;
  status: Manifest['status'];
  ingestDate: string;
  rowsWritten: number;
  rowsRejected: number;
  rejectRatio: number;
  maxRejectRatio: number;
  thresholdExceeded: boolean;
  /** How the file's header drifted (manifest.drift), in one line. */
  drift?: string;
}

/**
 * Everything one merge run does for a dataset's pending batches, decided up front so that the ASL only executes
 * it: ONE MERGE for all of them, each affected summary recomputed once for the union of their keys, the views,
 * and the metrics of every batch in one PutMetricData.
 */
export interface MergePlan {
  dataset: string;
  /** The batches taken (published ones are merged; ones rejected whole only count in the metrics). */
  batches: BatchOutcome[];
  batchIds: string[];
  /** false when no taken batch was converted: nothing to merge. */
  run: boolean;
  ddl: SqlStep[];
  merge: SqlStep;
  summaries: SqlStep[];
  views: SqlStep[];
  /** CloudWatch MetricData for the run (empty when it took no batch). */
  metricData: MetricDatum[];
}

export interface PlanOptions {
  contracts: Contract[];
  dialect: SqlDialect;
  names: CatalogNames;
}

/** Summaries (from any contract) that a batch of `dataset` changes. */
export function summariesFedBy(contracts: Contract[], dataset: string): { owner: Contract; summary: Summary }[] {
  return contracts.flatMap((owner) => owner.summaries.filter((s) => dataset in s.affected).map((summary) => ({ owner, summary })));
}

const refs = (sql: string, zone: 'curated' | 'summary') =>
  [...sql.matchAll(new RegExp(`\\$\\{${zone}\\}\\.([a-z_][a-z0-9_]*)`, 'g'))].map((m) => m[1]);

export function planMerge(o: PlanOptions, dataset: string, manifests: Manifest[]): MergePlan {
  const contract = o.contracts.find((c) => c.dataset === dataset);
  if (!contract) throw new Error(`no contract for dataset ${dataset}`);
  for (const m of manifests) if (m.dataset !== dataset) throw new Error(`batch ${m.batchId} is of ${m.dataset}, not ${dataset}`);
  const batches = manifests.map(outcome);
  const published = manifests.filter((m) => m.status === 'published');
  const base = { dataset, batches, batchIds: batches.map((b) => b.batchId), metricData: metricData(dataset, batches) };
  if (!published.length) {
    return { ...base, run: false, ddl: [], merge: { name: 'merge:none', sql: '' }, summaries: [], views: [] };
  }
  const refsOf: BatchRef[] = published.map((m) => ({ batchId: m.batchId, ingestDate: m.ingestDate }));
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
    merge: { name: `merge:curated.${contract.dataset}`, sql: mergeSql(o.names, contract, refsOf) },
    summaries: fed.map(({ summary }) => ({ name: `summary:summary.${summary.name}`, sql: summaryMergeSql(o.names, summary, contract, refsOf) })),
    views: views.map((v) => ({ name: `view:analytics.${v.name}`, sql: viewSql(o.names, v) })),
  };
}

function outcome(m: Manifest): BatchOutcome {
  return {
    batchId: m.batchId, status: m.status, ingestDate: m.ingestDate, rowsWritten: m.rowsWritten, rowsRejected: m.rowsRejected,
    rejectRatio: m.rejectRatio, maxRejectRatio: m.maxRejectRatio, thresholdExceeded: m.rejectThresholdExceeded,
    ...(m.drift ? { drift: describeDrift(m.drift) } : {}),
  };
}

/**
 * The run's metrics, as the alarms in template.yaml read them: sums per dataset, the worst batch's reject ratio,
 * and counts of batches over the reject threshold and with a drifted header (also without dimensions, which the
 * alarms watch across datasets).
 */
export function metricData(dataset: string, batches: BatchOutcome[]): MetricDatum[] {
  if (!batches.length) return [];
  const ds = [{ Name: 'Dataset', Value: dataset }];
  const sum = (f: (b: BatchOutcome) => number) => batches.reduce((n, b) => n + f(b), 0);
  const over = sum((b) => (b.thresholdExceeded ? 1 : 0));
  const drifted = sum((b) => (b.drift ? 1 : 0));
  return [
    { MetricName: 'RowsIngested', Unit: 'Count', Value: sum((b) => b.rowsWritten), Dimensions: ds },
    { MetricName: 'RowsRejected', Unit: 'Count', Value: sum((b) => b.rowsRejected), Dimensions: ds },
    { MetricName: 'RejectRatio', Unit: 'None', Value: Math.max(...batches.map((b) => b.rejectRatio)), Dimensions: ds },
    { MetricName: 'RejectThresholdExceeded', Unit: 'Count', Value: over },
    { MetricName: 'SchemaDrift', Unit: 'Count', Value: drifted },
    { MetricName: 'SchemaDrift', Unit: 'Count', Value: drifted, Dimensions: ds },
    { MetricName: 'BatchesMerged', Unit: 'Count', Value: sum((b) => (b.status === 'published' ? 1 : 0)), Dimensions: ds },
  ];
}
