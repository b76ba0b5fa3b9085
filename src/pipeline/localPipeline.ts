import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { DuckDbEngine } from '../adapters/local/DuckDbEngine.ts';
import type { Contract } from '../contracts/contract.ts';
import { handleConvertTask, type ConvertTask } from '../convert/convertTask.ts';
import type { ConvertInput, IngestContext } from '../convert/ingestObject.ts';
import type { FolderStore } from '../adapters/local/FolderStore.ts';
import { readManifest } from '../convert/manifest.ts';
import { describeDrift, metricAlarms, type Alarm } from './alarms.ts';
import { CrawlerRunningError, PipelineFailedError, QueryFailedError } from './errors.ts';
import { toEmf, type MetricDatum } from './metrics.ts';
import type { PipelinePlan } from './planBatch.ts';
import { planFromManifest } from './planFromManifest.ts';
import { duckdbDialect, LOCAL_CATALOG } from './sqlDialect.ts';

export const ASL_FILE = fileURLToPath(new URL('../../statemachines/pipeline.asl.json', import.meta.url));

/** Values for the ASL's ${Placeholders} when it runs locally (DefinitionSubstitutions fill them on AWS). */
export const LOCAL_SUBSTITUTIONS: Record<string, string> = {
  PlanFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:landfall-local-plan',
  ConvertFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:landfall-local-convert',
  AthenaWorkGroup: 'landfall-local',
  CuratedDatabase: 'curated',
};

export function substituteDefinition(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z0-9]+)\}/g, (whole, name: string) => {
    if (!(name in values)) throw new Error(`no substitution for \${${name}} in the state machine definition`);
    return values[name];
  });
}

export interface PipelineInput {
  dataset: string;
  batchId: string;
  manifestKey: string;
  /** A batch handed off by the ingest function: its segments are converted and published first. */
  convert?: ConvertInput;
}

export interface LocalPipelineDeps {
  lake: FolderStore;
  contracts: Contract[];
  engine: DuckDbEngine;
  now: () => Date;
  /** EMF lines, as the metric tasks would publish them. */
  emit: (line: string) => void;
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
  plan: PipelinePlan | null;
  alarms: Alarm[];
  steps: string[];
}

// aws-local-stepfunctions 3 wants Node 22's Promise.withResolvers (docs/libraries.md); Lambda has it, Node 20 not.
const P = Promise as PromiseConstructor & { withResolvers?: unknown };
P.withResolvers ??= function withResolvers<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
};

let definition: StateMachineDefinition | null = null;

async function loadDefinition(): Promise<StateMachineDefinition> {
  definition ??= JSON.parse(substituteDefinition(await readFile(ASL_FILE, 'utf8'), LOCAL_SUBSTITUTIONS)) as StateMachineDefinition;
  return definition;
}

const SQL_STATES = ['RunDdl', 'Merge', 'RunSummary', 'RunView'] as const;
const RETRYING_STATES = ['ConvertSegment', 'PublishBatch', 'PlanBatch', 'RunDdl', 'StartCrawler', 'GetCrawler', 'Merge', 'RunSummary', 'RunView', 'PublishMetrics'];

/**
 * Runs statemachines/pipeline.asl.json, unchanged, through aws-local-stepfunctions, with each Task bound to a
 * local adapter: the plan function itself, DuckDB for Athena, a raw-view refresh for the Glue crawler, EMF lines
 * and alarm evaluation for CloudWatch. Throws PipelineFailedError when the execution ends in Failed.
 */
export async function runPipelineLocally(deps: LocalPipelineDeps, input: PipelineInput): Promise<PipelineOutcome> {
  const machine = new StateMachine(await loadDefinition());
  let plan: PipelinePlan | null = null;
  const steps: string[] = [];
  const alarms: Alarm[] = [];
  const crawling = new Set<string>();
  const stepOfSql = new Map<string, string>();

  const runSql = (state: string) => async (task: { QueryString: string }) => {
    const step = stepOfSql.get(task.QueryString) ?? state;
    const sql = deps.rewriteSql ? deps.rewriteSql(step, task.QueryString) : task.QueryString;
    try {
      await deps.engine.run(sql);
    } catch (err) {
      const e = new QueryFailedError(step, (err as Error).message, { cause: err });
      lastError = e.message;
      throw e;
    }
    steps.push(step);
    return { QueryExecution: { Status: { State: 'SUCCEEDED' } } };
  };

  const publish = (context: { cause?: string }) => (task: { Namespace: string; MetricData: MetricDatum[] }) => {
    for (const line of toEmf(task.Namespace, task.MetricData, deps.now())) deps.emit(line);
    alarms.push(...metricAlarms(task.MetricData, {
      dataset: input.dataset, rejectRatio: plan?.metrics.rejectRatio, maxRejectRatio: plan?.metrics.maxRejectRatio, drift: driftText, ...context,
    }));
    return {};
  };

  let driftText: string | undefined;
  // The error a task handler threw last: the text of the pipeline-failed alarm.
  let lastError = '';
  let converting: Promise<unknown> = Promise.resolve();
  const convertStep = (task: ConvertTask) => {
    if (!deps.ingest) throw new Error(`batch ${input.batchId} needs converting, but the local pipeline was given no landing zone (deps.ingest)`);
    const ctx = deps.ingest;
    const run = converting.then(() => handleConvertTask(ctx, task, deps.runBudgetMs));
    converting = run.catch(() => undefined);
    steps.push(task.action === 'segment' ? `ConvertSegment:${task.segment}` : 'PublishBatch');
    return run;
  };
  const handlers: Record<string, (input: never) => unknown> = {
    ConvertSegment: (t: Omit<ConvertTask & { action: 'segment' }, 'action'>) => convertStep({ ...t, action: 'segment' }),
    PublishBatch: (t: { dataset: string; batchId: string }) => convertStep({ ...t, action: 'publish' }),
    PlanBatch: async (i: PipelineInput) => {
      const m = await readManifest(deps.lake, i.manifestKey);
      driftText = m?.drift ? describeDrift(m.drift) : undefined;
      plan = await planFromManifest(
        { lake: deps.lake, contracts: deps.contracts, dialect: duckdbDialect, names: LOCAL_CATALOG, crawler: (ds) => `landfall-local-raw-${ds}` },
        i,
      );
      for (const s of [...plan.ddl, plan.merge, ...plan.summaries, ...plan.views]) stepOfSql.set(s.sql, s.name);
      steps.push('PlanBatch');
      return plan as unknown as object;
    },
    StartCrawler: async ({ Name }: { Name: string }) => {
      if (crawling.has(Name)) throw new CrawlerRunningError(Name);
      crawling.add(Name);
      try {
        const contract = deps.contracts.find((c) => c.dataset === input.dataset)!;
        await deps.engine.refreshRaw(deps.lake, contract);
      } catch (err) {
        lastError = `StartCrawler: ${(err as Error).message}`;
        throw err;
      } finally {
        crawling.delete(Name);
      }
      steps.push('StartCrawler');
      return {};
    },
    GetCrawler: ({ Name }: { Name: string }) => ({ Crawler: { Name, State: 'READY', LastCrawl: { Status: 'SUCCEEDED' } } }),
    PublishMetrics: publish({}),
    PublishFailure: (task: { Namespace: string; MetricData: MetricDatum[] }) => publish({ cause: lastError })(task),
    ...Object.fromEntries(SQL_STATES.map((s) => [s, runSql(s)])),
  };

  const execution = machine.run(input as unknown as Record<string, string>, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      waitTimeOverrides: { WaitForCrawler: 0 },
      retryIntervalOverrides: Object.fromEntries(RETRYING_STATES.map((s) => [s, 0])),
    },
  });
  try {
    await execution.result;
  } catch (err) {
    if (err instanceof ExecutionError) {
      // The Fail state's ErrorPath/CausePath carry the failed step's error name and message.
      const e = err as ExecutionError & { cause?: { name?: string; message?: string } };
      throw new PipelineFailedError(input.dataset, input.batchId, e.cause?.name ?? 'Error', e.cause?.message ?? e.message, alarms);
    }
    throw err;
  }
  return { plan, alarms, steps };
}
