import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { Contract } from '../../contracts/contract.ts';
import { handleConvertTask, type ConvertTask } from '../../ingest/convertTask.ts';
import type { ConvertInput } from '../../ingest/ingestObject.ts';
import type { IngestContext } from '../../ingest/context.ts';
import type { FolderStore } from './FolderStore.ts';
import { executionName } from '../../pipeline/executionName.ts';
import { MemoryMergeLease } from './MemoryMergeLease.ts';
import { metricAlarms, type Alarm } from '../../pipeline/alarms.ts';
import { PipelineFailedError, QueryFailedError } from '../../pipeline/errors.ts';
import { mergeGroups } from '../../pipeline/mergeGroups.ts';
import { MergeQueue, mergeExecutionName } from '../../pipeline/mergeQueue.ts';
import type { MetricDatum } from '../../ports.ts';
import { toEmf } from './EmfMetrics.ts';
import { handlePipelineTask, type PipelineTask } from '../../pipeline/pipelineTask.ts';
import { mergeStatements, type MergePlan } from '../../pipeline/planMerge.ts';
import type { CatalogNames, SqlDialect } from '../../pipeline/sqlDialect.ts';

export const ASL_FILE = fileURLToPath(new URL('../../../statemachines/pipeline.asl.json', import.meta.url));

/** Values for the ASL's ${Placeholders} when it runs locally (DefinitionSubstitutions fill them on AWS). */
export const LOCAL_SUBSTITUTIONS: Record<string, string> = {
  PlanFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:landfall-local-plan',
  ConvertFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:landfall-local-convert',
  AthenaWorkGroup: 'landfall-local',
  CuratedDatabase: 'curated',
  // A local run merges once its files are converted: no window to wait for more.
  MergeWindowSeconds: '0',
  DiscoveryCrawler: 'landfall-local-discovery',
};

export function substituteDefinition(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z0-9]+)\}/g, (_whole, name: string) => {
    if (!(name in values)) throw new Error(`no substitution for \${${name}} in the state machine definition`);
    return values[name];
  });
}

/** A batch's execution: a published batch to queue, or (with `convert`) one handed off to convert first. */
export interface PipelineInput {
  dataset: string;
  batchId: string;
  manifestKey: string;
  /** A batch handed off by the ingest function: its segments are converted and published first. */
  convert?: ConvertInput;
  /** Queue the batch again although it was merged (landfall replay). */
  again?: boolean;
}

/** A merge run of a dataset, started under the name that holds the dataset's lease. */
export interface MergeRunInput {
  dataset: string;
  merge: true;
}

/**
 * What plays Athena and the Glue catalog for a local run: DuckDB's warehouse file (DuckDbEngine), or a Trino server
 * running the Athena dialect itself (the Trino lane, tests/trino/). The plan is made in its dialect and names.
 */
export interface LocalWarehouse {
  readonly dialect: SqlDialect;
  readonly names: CatalogNames;
  /** Plan DDL only once per statement, as on AWS (where the catalog outlives a run). */
  readonly rememberDdl?: boolean;
  /** Before a round: the raw zone made to show the dataset's published batches (DuckDB's raw views; nothing where partition projection does it). */
  refreshRaw(lake: FolderStore, contract: Contract): Promise<unknown>;
  /** One statement, as the Athena task sends it: its text and the database of its QueryExecutionContext. */
  run(sql: string, database: string): Promise<void>;
}

export interface LocalPipelineDeps {
  lake: FolderStore;
  contracts: Contract[];
  engine: LocalWarehouse;
  now: () => Date;
  /** EMF lines, as the metric tasks would publish them. */
  emit: (line: string) => void;
  /** Pending batches and merge leases (default: a queue in the lake with a lease of this call's own). */
  queue?: MergeQueue;
  /** Test hook: each Task state as it runs, with its input (the Trino lane evaluates them against the role). */
  observe?: (state: string, input: unknown) => void;
  /** Test hook: replaces a step's SQL before it runs (to make a step fail on purpose). */
  rewriteSql?: (step: string, sql: string) => string;
  /** The convert function's context (landing and lake), for batches handed off with `convert`. */
  ingest?: IngestContext;
  /**
   * Time each convert run may take, as Lambda's remaining time would say (default: unlimited). Segments run one
   * at a time here (one process, one CPU budget), up to MaxConcurrency at once on AWS.
   */
  runBudgetMs?: number;
}

export interface PipelineOutcome {
  /** Every round of the merge run, in order (none when the execution only queued its batch). */
  rounds: MergePlan[];
  alarms: Alarm[];
  steps: string[];
}

// aws-local-stepfunctions 3 wants Node 22's Promise.withResolvers (docs/libraries.md); Lambda has it, Node 20 not.
const P = Promise as PromiseConstructor & { withResolvers?: unknown };
P.withResolvers ??= function withResolvers<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

const definitions = new Map<string, StateMachineDefinition>();

/** The ASL with the local substitutions, its Athena tasks' database being the warehouse's curated one. */
async function loadDefinition(curatedDatabase: string): Promise<StateMachineDefinition> {
  let definition = definitions.get(curatedDatabase);
  if (!definition) {
    const values = { ...LOCAL_SUBSTITUTIONS, CuratedDatabase: curatedDatabase };
    definition = JSON.parse(substituteDefinition(await readFile(ASL_FILE, 'utf8'), values)) as StateMachineDefinition;
    definitions.set(curatedDatabase, definition);
  }
  return definition;
}

const SQL_STATES = [
  'RunDdl',
  'RunCapture',
  'RunMerge',
  'RunSummary',
  'RunForget',
  'RunView',
  'RunMaintenance',
] as const;
const PLAN_STATES = ['Enqueue', 'TakePending', 'FinishRound', 'ReleaseLease'] as const;
const RETRYING_STATES = ['ConvertSegment', 'PublishBatch', ...PLAN_STATES, ...SQL_STATES, 'PublishMetrics'];

/** The execution name Step Functions would have: the batch's (`<dataset>-<batch>`) or the merge run's. */
function defaultName(input: PipelineInput | MergeRunInput, now: Date): string {
  return 'merge' in input ? mergeExecutionName(input.dataset, now) : executionName(input.dataset, input.batchId);
}

/**
 * Runs statemachines/pipeline.asl.json, unchanged, through aws-local-stepfunctions, with each Task bound to a
 * local adapter: the plan function itself (queue, lease, plan), DuckDB for Athena, EMF lines and alarm evaluation
 * for CloudWatch. Raw views are refreshed from the manifests before each round is planned, as Athena's partition
 * projection sees every published batch. Throws PipelineFailedError when the execution ends in Failed.
 */
export async function runPipelineLocally(
  deps: LocalPipelineDeps,
  input: PipelineInput | MergeRunInput,
  name = defaultName(input, deps.now()),
): Promise<PipelineOutcome> {
  const machine = new StateMachine(await loadDefinition(deps.engine.names.curated));
  const rounds: MergePlan[] = [];
  const steps: string[] = [];
  const alarms: Alarm[] = [];
  const stepOfSql = new Map<string, string>();
  const queue = deps.queue ?? new MergeQueue(deps.lake, new MemoryMergeLease(), deps.now, mergeGroups(deps.contracts));
  const { dialect, names, rememberDdl } = deps.engine;
  const planCtx = { lake: deps.lake, contracts: deps.contracts, dialect, names, rememberDdl, queue };
  const batchId = 'batchId' in input ? input.batchId : '';

  const runSql =
    (state: string) => async (task: { QueryString: string; QueryExecutionContext: { Database: string } }) => {
      const step = stepOfSql.get(task.QueryString) ?? state;
      const sql = deps.rewriteSql ? deps.rewriteSql(step, task.QueryString) : task.QueryString;
      try {
        await deps.engine.run(sql, task.QueryExecutionContext.Database);
      } catch (err) {
        const e = new QueryFailedError(step, (err as Error).message, { cause: err });
        lastError = e.message;
        throw e;
      }
      steps.push(step);
      // DuckDB reads its own warehouse file: there is no scan to report (the BytesScanned metric is not published locally).
      return { QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 0 } } };
    };

  const publish = (context: { cause?: string }) => (task: { Namespace: string; MetricData: MetricDatum[] }) => {
    for (const line of toEmf(task.Namespace, task.MetricData, deps.now())) deps.emit(line);
    const batches = rounds.at(-1)?.batches ?? [];
    alarms.push(...metricAlarms(task.MetricData, { dataset: input.dataset, batches, ...context }));
    return {};
  };

  // The error a task handler threw last: the text of the pipeline-failed alarm.
  let lastError = '';
  let converting: Promise<unknown> = Promise.resolve();
  const convertStep = (task: ConvertTask) => {
    if (!deps.ingest)
      throw new Error(
        `batch ${batchId} needs converting, but the local pipeline was given no landing zone (deps.ingest)`,
      );
    const ctx = deps.ingest;
    const run = converting.then(() => handleConvertTask(ctx, task, deps.runBudgetMs));
    converting = run.catch(() => undefined);
    steps.push(task.action === 'segment' ? `ConvertSegment:${task.segment}` : 'PublishBatch');
    return run;
  };
  const planStep = (state: string) => async (task: PipelineTask) => {
    try {
      if (task.action === 'take') {
        const group = new Set(queue.groups(task.dataset).datasets);
        for (const c of deps.contracts.filter((x) => group.has(x.dataset))) await deps.engine.refreshRaw(deps.lake, c);
      }
      const out = await handlePipelineTask(planCtx, task);
      if (task.action === 'take') {
        const plan = out as MergePlan;
        rounds.push(plan);
        for (const s of [
          ...plan.ddl,
          ...plan.captures,
          ...mergeStatements(plan),
          ...plan.summaries,
          ...plan.forgets,
          ...plan.views,
          ...plan.maintenance,
        ])
          stepOfSql.set(s.sql, s.name);
      }
      steps.push(state);
      return out;
    } catch (err) {
      lastError = `${state}: ${(err as Error).message}`;
      throw err;
    }
  };
  const handlers: Record<string, (input: never) => unknown> = {
    ConvertSegment: (t: Omit<ConvertTask & { action: 'segment' }, 'action'>) =>
      convertStep({ ...t, action: 'segment' }),
    PublishBatch: (t: { dataset: string; batchId: string }) => convertStep({ ...t, action: 'publish' }),
    PublishMetrics: publish({}),
    // No Glue locally (a local plan never asks for a crawl): `landfall infer FILE` drafts a contract from a file instead.
    UpdateDiscoveryTargets: () => ({}),
    StartDiscoveryCrawl: () => ({}),
    RecordMergeScan: () => ({}),
    RecordSummaryScan: () => ({}),
    PublishFailure: (task: { Namespace: string; MetricData: MetricDatum[] }) => publish({ cause: lastError })(task),
    ...Object.fromEntries(PLAN_STATES.map((s) => [s, planStep(s)])),
    ...Object.fromEntries(SQL_STATES.map((s) => [s, runSql(s)])),
  };

  const observed = deps.observe
    ? Object.fromEntries(
        Object.entries(handlers).map(([state, f]) => [
          state,
          (task: never) => {
            deps.observe!(state, task);
            return f(task);
          },
        ]),
      )
    : handlers;
  const execution = machine.run(input as unknown as Record<string, string>, {
    overrides: {
      taskResourceLocalHandlers: observed as never,
      retryIntervalOverrides: Object.fromEntries(RETRYING_STATES.map((s) => [s, 0])),
    },
    context: { Execution: { Name: name, Input: input as never, StartTime: deps.now().toISOString() } },
  });
  try {
    await execution.result;
  } catch (err) {
    if (err instanceof ExecutionError) {
      // The Fail state's ErrorPath/CausePath carry the failed step's error name and message.
      const e = err as ExecutionError & { cause?: { name?: string; message?: string } };
      throw new PipelineFailedError(
        input.dataset,
        batchId || name,
        e.cause?.name ?? 'Error',
        e.cause?.message ?? e.message,
        alarms,
      );
    }
    throw err;
  }
  return { rounds, alarms, steps };
}
