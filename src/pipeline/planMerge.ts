import type { Contract, Summary } from '../contracts/contract.ts';
import type { Manifest } from '../ingest/manifest.ts';
import { describeDrift } from './alarms.ts';
import { partitionParts, prunableColumns, timePartition, type ColumnRange } from './columnRanges.ts';
import type { TakenBatch } from './mergeQueue.ts';
import type { MetricDatum } from '../ports.ts';
import {
  affectedTable,
  affectedTableDdl,
  captureAffectedSql,
  datasetDdl,
  forgetAffectedSql,
  mergeSql,
  summaryDdl,
  summaryMergeSql,
  viewSql,
  type BatchRef,
} from './pipelineSql.ts';
import type { CatalogNames, SqlDialect } from './sqlDialect.ts';
import { quarantinePrefix, rawPrefix, UNMATCHED } from '../lake/layout.ts';

export interface SqlStep {
  name: string;
  sql: string;
  /** The dataset (a MERGE) or merge group (a summary) the BytesScanned metric of the statement is counted for. */
  dataset?: string;
}

/**
 * A dataset's MERGE of the round: one statement, or several run one after another when its rows span more
 * partitions than one statement may write (partitionParts), each over its share of the partition column's range.
 */
export interface MergeStep {
  name: string;
  dataset: string;
  statements: SqlStep[];
}

/** Every MERGE statement of a round, in the order they run. */
export function mergeStatements(plan: Pick<MergePlan, 'merges'>): SqlStep[] {
  return plan.merges.flatMap((m) => m.statements);
}

/** One batch a merge run took, and what the run's metrics and alarms say of it. */
export interface BatchOutcome {
  dataset: string;
  batchId: string;
  status: Manifest['status'];
  ingestDate: string;
  rowsWritten: number;
  rowsRejected: number;
  /** Records of only delimiters, counted and skipped (0 for manifests written before they were counted). */
  rowsBlank: number;
  rejectRatio: number;
  maxRejectRatio: number;
  thresholdExceeded: boolean;
  /** How the file's header drifted (manifest.drift), in one line. */
  drift?: string;
}

/**
 * Everything one round of a merge run does for the pending batches of a merge group, decided up front so that
 * the ASL only executes it: ONE MERGE per dataset for all of its batches, each affected summary recomputed once
 * for the union of their keys, the views, and the metrics of every batch in one PutMetricData.
 */
export interface MergePlan {
  /** The merge group (its first dataset). */
  dataset: string;
  /** The batches taken (published ones are merged; ones rejected whole only count in the metrics). */
  batches: BatchOutcome[];
  taken: TakenBatch[];
  /** false when no taken batch was converted: nothing to merge. */
  run: boolean;
  ddl: SqlStep[];
  /** The DDL statements' records, written when the round finished (empty where DDL is not remembered). */
  ddlKeys: string[];
  /** Before the MERGEs: the summary keys of the stored rows they will replace (keyed datasets only). */
  captures: SqlStep[];
  merges: MergeStep[];
  summaries: SqlStep[];
  /** After the summaries: the captured keys of this round, no longer needed. */
  forgets: SqlStep[];
  views: SqlStep[];
  /** Whether the round maintains the group's tables (the daily schedule asked for it). */
  maintain: boolean;
  /** OPTIMIZE and VACUUM of the group's curated and summary tables (each with the DDL that created its table). */
  maintenance: MaintenanceStep[];
  /** CloudWatch MetricData for the round (empty when it took no batch and maintains nothing). */
  metricData: MetricDatum[];
  /**
   * Whether the round starts the discovery crawler (never waiting for it), and the S3 targets it crawls, from the
   * contracts: the raw files of datasets whose contract lets drifted files in (schemaDrift: evolve), and files no
   * contract claims.
   */
  crawl: { start: boolean; targets: { Path: string }[] };
}

export interface MaintenanceStep extends SqlStep {
  /** The statement that creates the table maintained ('' for the whole database). */
  ddl: string;
}

export interface PlanOptions {
  contracts: Contract[];
  dialect: SqlDialect;
  names: CatalogNames;
}

/** Summaries (from any contract) that a batch of `dataset` changes. */
export function summariesFedBy(contracts: Contract[], dataset: string): { owner: Contract; summary: Summary }[] {
  return contracts.flatMap((owner) =>
    owner.summaries.filter((s) => dataset in s.affected).map((summary) => ({ owner, summary })),
  );
}

const refs = (sql: string, zone: 'curated' | 'summary') =>
  [...sql.matchAll(new RegExp(`\\$\\{${zone}\\}\\.([a-z_][a-z0-9_]*)`, 'g'))].map((m) => m[1]);

/**
 * The round's plan for `group` from the manifests of the batches it took (of any dataset of the group), and the
 * maintenance of the group's tables when given (`maintenanceSteps`, less the tables that do not exist).
 */
export function planMerge(
  o: PlanOptions,
  group: string,
  manifests: Manifest[],
  {
    maintenance,
    ranges = new Map(),
    round,
  }: { maintenance?: MaintenanceStep[]; ranges?: Map<string, ColumnRange[]>; round?: string } = {},
): MergePlan {
  const byName = new Map(o.contracts.map((c) => [c.dataset, c]));
  const contractOf = (ds: string) => {
    const c = byName.get(ds);
    if (!c) throw new Error(`no contract for dataset ${ds}`);
    return c;
  };
  const batches = manifests.map(outcome);
  const maintained = new Set((maintenance ?? []).filter((m) => m.ddl).map((m) => m.name)).size;
  const base = {
    crawl: { start: false, targets: [] as { Path: string }[] },
    dataset: group,
    batches,
    taken: batches.map((b) => `${b.dataset}/${b.batchId}` as TakenBatch),
    maintain: Boolean(maintenance),
    maintenance: maintenance ?? [],
    metricData: [
      ...metricData(batches),
      ...(maintenance
        ? [
            {
              MetricName: 'TablesMaintained',
              Unit: 'Count',
              Value: maintained,
              Dimensions: [{ Name: 'Dataset', Value: group }],
            },
          ]
        : []),
    ],
  };
  // Each dataset with converted batches, in name order: one MERGE each.
  const sources = [...new Set(manifests.filter((m) => m.status === 'published').map((m) => m.dataset))]
    .sort()
    .map((ds) => ({
      contract: contractOf(ds),
      batches: manifests
        .filter((m) => m.dataset === ds && m.status === 'published')
        .map((m): BatchRef => ({ batchId: m.batchId, ingestDate: m.ingestDate })),
    }));
  if (!sources.length) {
    return {
      ...base,
      run: false,
      ddl: [],
      ddlKeys: [],
      captures: [],
      merges: [],
      summaries: [],
      forgets: [],
      views: [],
    };
  }
  const fed = new Map<string, { owner: Contract; summary: Summary }>();
  for (const { contract } of sources)
    for (const f of summariesFedBy(o.contracts, contract.dataset)) fed.set(f.summary.name, f);
  const owners = new Set<Contract>([...sources.map((s) => s.contract), ...[...fed.values()].map((f) => f.owner)]);
  const views = [...new Map([...owners].flatMap((c) => c.views).map((v) => [v.name, v])).values()];

  // Tables the round's statements read or write, so each exists before it is used (all DDL is idempotent).
  const datasets = new Set<string>(sources.map((s) => s.contract.dataset));
  const summaries = new Map<string, Summary>();
  const allSummaries = new Map(o.contracts.flatMap((c) => c.summaries).map((s) => [s.name, s]));
  for (const { summary } of fed.values()) {
    summaries.set(summary.name, summary);
    for (const src of Object.keys(summary.affected)) datasets.add(src);
    for (const t of refs(summary.sql, 'curated')) datasets.add(t);
  }
  for (const v of views) {
    for (const t of refs(v.sql, 'curated')) datasets.add(t);
    for (const t of refs(v.sql, 'summary')) if (allSummaries.has(t)) summaries.set(t, allSummaries.get(t)!);
  }
  const schemas = [o.names.raw, o.names.curated, o.names.summary, o.names.analytics]
    .map((s) => o.dialect.createSchema(s))
    .filter((s): s is string => s !== null)
    .map((sql, i) => ({ name: `ddl:schema:${['raw', 'curated', 'summary', 'analytics'][i]}`, sql }));
  const ddl = [
    ...schemas,
    ...[...datasets].sort().flatMap((ds) => {
      if (!byName.has(ds)) throw new Error(`a summary or view refers to dataset "${ds}", which has no contract`);
      const zones = o.dialect.createRawTable(o.names, ds, []) === null ? ['curated'] : ['raw', 'curated'];
      return datasetDdl(o.dialect, o.names, contractOf(ds)).map((sql, i) => ({ name: `ddl:${zones[i]}.${ds}`, sql }));
    }),
    ...[...summaries.values()].map((s) => ({ name: `ddl:summary.${s.name}`, sql: summaryDdl(o.dialect, o.names, s) })),
  ];
  // Summaries fed by keyed datasets: a MERGE may move a row to another summary key (an order to another day), so
  // the keys of the stored rows are captured before the MERGEs and recomputed with the new ones.
  const capturing = round
    ? [...fed.values()]
        .map(({ summary }) => ({
          summary,
          keyed: sources.filter((s) => s.contract.dataset in summary.affected && s.contract.key.length),
        }))
        .filter((x) => x.keyed.length)
    : [];
  for (const { summary } of capturing)
    ddl.push({ name: `ddl:summary.${affectedTable(summary)}`, sql: affectedTableDdl(o.dialect, o.names, summary) });
  const captured = new Set(capturing.map((x) => x.summary.name));
  return {
    ...base,
    run: true,
    ddl,
    ddlKeys: [],
    captures: capturing.flatMap(({ summary, keyed }) =>
      keyed.map(({ contract, batches: refsOf }) => ({
        name: `capture:summary.${summary.name}:${contract.dataset}`,
        sql: captureAffectedSql(o.names, summary, contract, refsOf, round!),
        dataset: group,
      })),
    ),
    forgets: capturing.map(({ summary }) => ({
      name: `forget:summary.${affectedTable(summary)}`,
      sql: forgetAffectedSql(o.names, summary, round!),
      dataset: group,
    })),
    merges: sources.map(({ contract, batches: refsOf }) => {
      const prunable = new Set(prunableColumns(contract));
      const own = ranges.get(contract.dataset) ?? [];
      const prune = own.filter((r) => prunable.has(r.column));
      const split = timePartition(contract);
      const range = split && own.find((r) => r.column === split.column);
      const parts = split && range ? partitionParts(range, split.unit) : null;
      const name = `merge:curated.${contract.dataset}`;
      const dataset = contract.dataset;
      return {
        name,
        dataset,
        statements: parts
          ? parts.map((part, i) => ({
              name: `${name}:part-${i + 1}-of-${parts.length}`,
              sql: mergeSql(o.names, contract, refsOf, prune, part),
              dataset,
            }))
          : [{ name, sql: mergeSql(o.names, contract, refsOf, prune), dataset }],
      };
    }),
    summaries: [...fed.values()].map(({ summary }) => {
      const feeding = sources.filter((s) => s.contract.dataset in summary.affected);
      // Keys recomputed from batches of the scope's dataset alone lie within the days those batches span, as long as
      // its rows never move to another day (appended, or a partition source that never changes for a key).
      const scope = summary.scope;
      const scopeContract = scope && byName.get(scope.dataset);
      const still =
        scopeContract &&
        (!scopeContract.key.length ||
          (scopeContract.partitionsStable && prunableColumns(scopeContract).includes(scope.column)));
      const range =
        still && feeding.length === 1 && feeding[0].contract.dataset === scope.dataset
          ? ranges.get(scope.dataset)?.find((r) => r.column === scope.column)
          : undefined;
      return {
        name: `summary:summary.${summary.name}`,
        dataset: group,
        sql: summaryMergeSql(
          o.names,
          summary,
          feeding,
          range ? { dataset: scope!.dataset, range } : undefined,
          captured.has(summary.name) ? round : undefined,
        ),
      };
    }),
    views: views.map((v) => ({ name: `view:analytics.${v.name}`, sql: viewSql(o.names, v) })),
  };
}

/** Where the discovery crawler looks: files no contract claims, and the raw files of datasets that evolve. */
export function discoveryTargets(contracts: Contract[], lakeUri: string): { Path: string }[] {
  const base = lakeUri.replace(/\/+$/, '');
  return [
    { Path: `${base}/${quarantinePrefix(UNMATCHED)}` },
    ...contracts
      .filter((c) => c.schemaDrift === 'evolve')
      .map((c) => ({ Path: `${base}/${rawPrefix(c.dataset)}` }))
      .sort((a, b) => a.Path.localeCompare(b.Path)),
  ];
}

/** OPTIMIZE and VACUUM (as the dialect has them) of the datasets' curated tables and of the summaries they feed. */
export function maintenanceSteps(o: PlanOptions, datasets: string[]): MaintenanceStep[] {
  const byName = new Map(o.contracts.map((c) => [c.dataset, c]));
  const steps: MaintenanceStep[] = [];
  const summaries = new Map<string, Summary>();
  for (const ds of [...datasets].sort()) {
    const c = byName.get(ds);
    if (!c) continue;
    const ddl = datasetDdl(o.dialect, o.names, c).at(-1)!;
    for (const sql of o.dialect.maintainTable(o.names.curated, ds))
      steps.push({ name: `maintain:curated.${ds}`, sql, ddl });
    for (const { summary } of summariesFedBy(o.contracts, ds)) summaries.set(summary.name, summary);
  }
  for (const s of [...summaries.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const ddl = summaryDdl(o.dialect, o.names, s);
    for (const sql of o.dialect.maintainTable(o.names.summary, s.name))
      steps.push({ name: `maintain:summary.${s.name}`, sql, ddl });
  }
  for (const sql of o.dialect.maintainDatabase()) steps.push({ name: 'maintain:database', sql, ddl: '' });
  return steps;
}

/** What a merge run reports of a batch, from its manifest. */
export function outcome(m: Manifest): BatchOutcome {
  return {
    dataset: m.dataset,
    batchId: m.batchId,
    status: m.status,
    ingestDate: m.ingestDate,
    rowsWritten: m.rowsWritten,
    rowsRejected: m.rowsRejected,
    rowsBlank: m.rowsBlank ?? 0,
    rejectRatio: m.rejectRatio,
    maxRejectRatio: m.maxRejectRatio,
    thresholdExceeded: m.rejectThresholdExceeded,
    ...(m.drift ? { drift: describeDrift(m.drift) } : {}),
  };
}

/**
 * The round's metrics, as the alarms in template.yaml read them: sums per dataset, each dataset's worst batch's
 * reject ratio, and counts of batches over the reject threshold and with a drifted header (also without
 * dimensions, which the alarms watch across datasets).
 */
export function metricData(batches: BatchOutcome[]): MetricDatum[] {
  if (!batches.length) return [];
  const count = (bs: BatchOutcome[], f: (b: BatchOutcome) => number) => bs.reduce((n, b) => n + f(b), 0);
  const drifted = (b: BatchOutcome) => (b.drift ? 1 : 0);
  const perDataset = [...new Set(batches.map((b) => b.dataset))].sort().flatMap((dataset) => {
    const bs = batches.filter((b) => b.dataset === dataset);
    const ds = [{ Name: 'Dataset', Value: dataset }];
    return [
      { MetricName: 'RowsIngested', Unit: 'Count', Value: count(bs, (b) => b.rowsWritten), Dimensions: ds },
      { MetricName: 'RowsRejected', Unit: 'Count', Value: count(bs, (b) => b.rowsRejected), Dimensions: ds },
      { MetricName: 'RowsBlank', Unit: 'Count', Value: count(bs, (b) => b.rowsBlank), Dimensions: ds },
      { MetricName: 'RejectRatio', Unit: 'None', Value: Math.max(...bs.map((b) => b.rejectRatio)), Dimensions: ds },
      { MetricName: 'SchemaDrift', Unit: 'Count', Value: count(bs, drifted), Dimensions: ds },
      {
        MetricName: 'BatchesMerged',
        Unit: 'Count',
        Value: count(bs, (b) => (b.status === 'published' ? 1 : 0)),
        Dimensions: ds,
      },
    ];
  });
  return [
    ...perDataset,
    {
      MetricName: 'RejectThresholdExceeded',
      Unit: 'Count',
      Value: count(batches, (b) => (b.thresholdExceeded ? 1 : 0)),
    },
    { MetricName: 'SchemaDrift', Unit: 'Count', Value: count(batches, drifted) },
  ];
}
