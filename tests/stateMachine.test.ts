import { readFile } from 'node:fs/promises';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import * as athena from '@aws-sdk/client-athena';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as glue from '@aws-sdk/client-glue';
import * as lambda from '@aws-sdk/client-lambda';
import { PipelineFailedError, QueryFailedError } from '#src/pipeline/errors.ts';
import { ASL_FILE, LOCAL_SUBSTITUTIONS, substituteDefinition } from '#src/adapters/local/localPipeline.ts';
import { readTemplate } from '#src/cli/samTemplate.ts';

const text = await readFile(ASL_FILE, 'utf8');
const definition = JSON.parse(text);

function walk(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) for (const n of node) walk(n, visit);
  else if (node && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    for (const n of Object.values(node)) walk(n, visit);
  }
}

describe('statemachines/pipeline.asl.json', () => {
  it('is valid Amazon States Language (asl-validator)', () => {
    const r = aslValidator(definition);
    expect(r.errorsText?.('\n') ?? '').toBe('');
    expect(r.isValid).toBe(true);
  });

  it('is JSONPath only: the local interpreter silently ignores JSONata', () => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(text).not.toMatch(/\{%/);
    expect(text).not.toMatch(/"(Assign|Output|Arguments)"\s*:/);
  });

  it('has a DefinitionSubstitution in template.yaml for every placeholder, and no substitution without a placeholder', async () => {
    const placeholders = new Set([...text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]));
    const t = await readTemplate();
    const sm = Object.values(t.Resources).find((r) => r.Type === 'AWS::Serverless::StateMachine')!;
    expect(sm.Properties!.DefinitionUri).toBe('statemachines/pipeline.asl.json');
    expect(new Set(Object.keys(sm.Properties!.DefinitionSubstitutions))).toEqual(placeholders);
    expect(new Set(Object.keys(LOCAL_SUBSTITUTIONS))).toEqual(placeholders);
  });

  it('names in ErrorEquals are errors the code or the AWS service integrations can throw', () => {
    const ours = new Set([new QueryFailedError('s', 'm').name]);
    const sdk: Record<string, Record<string, unknown>> = {
      Athena: athena,
      CloudWatch: cloudwatch,
      Glue: glue,
      Lambda: lambda,
    };
    const names: string[] = [];
    walk(definition, (o) => {
      if (Array.isArray(o.ErrorEquals)) names.push(...(o.ErrorEquals as string[]));
    });
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      if (name.startsWith('States.') || ours.has(name)) continue;
      const [service, exception] = name.split('.');
      expect(
        sdk[service]?.[exception],
        `${name} is neither ours nor an exception of @aws-sdk/client-${service.toLowerCase()}`,
      ).toBeTypeOf('function');
    }
    // The catch-all gives the lease up first, then reports every failure.
    expect(definition.States.Pipeline.Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'ReleaseLease' });
    expect(definition.States.ReleaseLease).toMatchObject({
      Next: 'PublishFailure',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'PublishFailure' }],
    });
    expect(new PipelineFailedError('d', 'b', 'e', 'c').name).toBe('PipelineFailedError');
  });

  it('bounds every task: Athena statements by 2 hours, the functions by their own timeout (the local interpreter would stop a task after 60 s)', async () => {
    const t = await readTemplate();
    const timeout = (id: string) =>
      (t.Resources[id].Properties!.Timeout ??
        (t.Globals as { Function: { Timeout: number } }).Function.Timeout) as number;
    walk(definition, (o) => {
      if (o.Type !== 'Task') return;
      const resource = String(o.Resource);
      expect(o.TimeoutSeconds, resource).toBeTypeOf('number');
      if (resource.includes(':athena:')) expect(o.TimeoutSeconds).toBe(7200);
      if (resource === '${PlanFunctionArn}') expect(o.TimeoutSeconds).toBeGreaterThan(timeout('PlanFunction'));
      if (resource === '${ConvertFunctionArn}') expect(o.TimeoutSeconds).toBeGreaterThan(timeout('ConvertFunction'));
    });
  });

  it('retries a failed MERGE with full jitter (a commit conflict with an outside writer), and waits only for the merge window, never for a crawler', () => {
    const states = definition.States.Pipeline.Branches[0].States;
    const merge = states.Merges.ItemProcessor.States.MergeStatements.ItemProcessor.States.RunMerge;
    expect(merge.Retry).toContainEqual(
      expect.objectContaining({ ErrorEquals: ['States.TaskFailed'], JitterStrategy: 'FULL', MaxAttempts: 4 }),
    );
    expect(text).not.toMatch(/glue:getCrawler/);
    const waits = Object.entries(states).filter(([, st]) => (st as { Type: string }).Type === 'Wait');
    expect(waits.map(([name]) => name)).toEqual(['Coalesce']);
    expect(states.Coalesce).toMatchObject({ SecondsPath: '$.window.seconds', Next: 'TakePending' });
    expect(states.MergeWindow.Parameters).toEqual({
      'seconds.$': "States.StringToJson('${MergeWindowSeconds}')",
      rounds: 0,
    });
  });
});

/** What Athena's .sync integration returns: the query, with the bytes it scanned. */
const scanned = () => ({
  QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 1024 } },
});

/** The ASL run by the local interpreter with the plan tasks stubbed: which states an execution goes through. */
async function route(input: object, plan: Record<string, (task: Record<string, unknown>) => unknown>) {
  await import('#src/adapters/local/localPipeline.ts'); // installs the Promise.withResolvers polyfill the interpreter needs on Node 20
  const { StateMachine } = await import('aws-local-stepfunctions');
  const machine = new StateMachine(JSON.parse(substituteDefinition(text, LOCAL_SUBSTITUTIONS)));
  const calls: string[] = [];
  const stub =
    (state: string, f: (task: Record<string, unknown>) => unknown = () => ({})) =>
    (task: Record<string, unknown>) => {
      calls.push(task.action ? `${state}(${String(task.holder)})` : state);
      return f(task);
    };
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: {
        RunDdl: stub('RunDdl'),
        RunMerge: stub('RunMerge', scanned),
        RunSummary: stub('RunSummary', scanned),
        RunView: stub('RunView'),
        RecordMergeScan: stub('RecordMergeScan'),
        RecordSummaryScan: stub('RecordSummaryScan'),
        PublishMetrics: stub('PublishMetrics'),
        PublishFailure: stub('PublishFailure'),
        ...Object.fromEntries(Object.entries(plan).map(([state, f]) => [state, stub(state, f)])),
      } as never,
      retryIntervalOverrides: { RunMerge: 0 },
    },
    context: { Execution: { Name: 'exec-1' } },
  });
  const error = await execution.result.then(
    () => null,
    (e: Error & { cause?: { name?: string } }) => e.cause?.name ?? e.name,
  );
  return { calls, error };
}

/** A dataset's MERGE in the plan: its statements (one, or parts by partition range). */
const mergeStep = (dataset: string, ...sql: string[]) => ({
  name: `merge:curated.${dataset}`,
  dataset,
  statements: sql.map((q) => ({ sql: q, dataset })),
});

const round = (ids: string[], run = true, maintenance: { sql: string }[] = [], crawl = false) => ({
  dataset: 'd',
  run,
  crawl: { start: crawl, targets: [{ Path: 's3://lake/quarantine/_unmatched/' }] },
  taken: ids,
  maintain: maintenance.length > 0,
  maintenance,
  ddl: [{ sql: 'ddl' }],
  ddlKeys: [],
  captures: [],
  forgets: [],
  merges: run ? [mergeStep('a', 'm1'), mergeStep('b', 'm2')] : [],
  summaries: [{ sql: 's', dataset: 'd' }],
  views: [{ sql: 'v' }],
  metricData: [],
});

describe('statemachines/pipeline.asl.json, routed by the local interpreter (plan tasks stubbed)', () => {
  it('a batch whose dataset already has a merge run only queues itself', async () => {
    const r = await route({ dataset: 'd', batchId: 'b', manifestKey: 'm' }, { Enqueue: () => ({ lead: false }) });
    expect(r).toEqual({ calls: ['Enqueue(exec-1)'], error: null });
  });

  it('hands the plan function the whole batch input, so that a replay (again: true) queues a merged batch again and leads', async () => {
    const seen: unknown[] = [];
    const r = await route(
      { dataset: 'd', batchId: 'b', manifestKey: 'm', again: true },
      {
        Enqueue: (task) => {
          seen.push(task.batch);
          return { lead: true };
        },
        TakePending: () => round(['b']),
        FinishRound: () => ({ more: false }),
      },
    );
    expect(seen).toEqual([{ dataset: 'd', batchId: 'b', manifestKey: 'm', again: true }]);
    expect(r.calls.slice(0, 3)).toEqual(['Enqueue(exec-1)', 'TakePending(exec-1)', 'RunDdl']);
  });

  it('publishes what each MERGE and summary scanned, per dataset and overall (the scan-near-cutoff alarm watches the latter)', async () => {
    const published: unknown[] = [];
    await route(
      { dataset: 'd', merge: true },
      {
        TakePending: () => ({ ...round(['b1']), merges: [mergeStep('orders', 'm1')], summaries: [] }),
        RecordMergeScan: (task) => {
          published.push(task);
          return {};
        },
        FinishRound: () => ({ more: false }),
      },
    );
    expect(published).toEqual([
      {
        Namespace: 'Landfall',
        MetricData: [
          {
            MetricName: 'BytesScanned',
            Unit: 'Bytes',
            Value: 1024,
            Dimensions: [{ Name: 'Dataset', Value: 'orders' }],
          },
          { MetricName: 'BytesScanned', Unit: 'Bytes', Value: 1024 },
        ],
      },
    ]);
  });

  it('a merge run takes rounds until FinishRound finds nothing more, with one MERGE per dataset of the round', async () => {
    const rounds = [round(['b1', 'b2']), round(['b3'])];
    const counted: unknown[] = [];
    const r = await route(
      { dataset: 'd', merge: true },
      {
        TakePending: () => rounds.shift(),
        FinishRound: (task) => {
          counted.push(task.rounds);
          return { more: counted.length < 2 };
        },
      },
    );
    expect(r.error).toBeNull();
    // FinishRound is told how many rounds came before (it hands over to a new execution after 100).
    expect(counted).toEqual([0, 1]);
    // The two MERGEs of a round run side by side (different tables): their order varies.
    const round1 = [
      'TakePending(exec-1)',
      'RunDdl',
      'MERGE',
      'MERGE',
      'RunSummary',
      'RecordSummaryScan',
      'RunView',
      'PublishMetrics',
      'FinishRound(exec-1)',
    ];
    expect(r.calls.filter((c) => c !== 'RecordMergeScan').map((c) => (c === 'RunMerge' ? 'MERGE' : c))).toEqual([
      ...round1,
      ...round1,
    ]);
    expect(r.calls.filter((c) => c === 'RecordMergeScan')).toHaveLength(4);
  });

  it("runs a dataset's MERGE parts one after another, in order, while other datasets' MERGEs may run beside them", async () => {
    const ran: string[] = [];
    let open = 0;
    let overlapped = false;
    const r = await route(
      { dataset: 'd', merge: true },
      {
        TakePending: () => ({ ...round(['b1']), merges: [mergeStep('events', 'p1', 'p2', 'p3')], summaries: [] }),
        RunMerge: async (task) => {
          open++;
          overlapped ||= open > 1;
          await new Promise((res) => setTimeout(res, 20));
          ran.push(String(task.QueryString));
          open--;
          return scanned();
        },
        FinishRound: () => ({ more: false }),
      },
    );
    expect(r.error).toBeNull();
    expect(ran).toEqual(['p1', 'p2', 'p3']);
    expect(overlapped).toBe(false);
    expect(r.calls.filter((c) => c === 'RecordMergeScan')).toHaveLength(3);
  });

  it('a round of batches rejected whole publishes their metrics and merges nothing; an empty round ends the run', async () => {
    const rejected = await route(
      { dataset: 'd', merge: true },
      { TakePending: () => round(['b1'], false), FinishRound: () => ({ more: false }) },
    );
    expect(rejected.calls).toEqual(['TakePending(exec-1)', 'PublishMetrics', 'FinishRound(exec-1)']);
    const empty = await route(
      { dataset: 'd', merge: true },
      { TakePending: () => round([], false), FinishRound: () => ({ more: false }) },
    );
    expect(empty.calls).toEqual(['TakePending(exec-1)', 'FinishRound(exec-1)']);
  });

  it('a round with maintenance only publishes its metrics, runs OPTIMIZE and VACUUM one at a time, and says it maintained', async () => {
    const finished: unknown[] = [];
    const r = await route(
      { dataset: 'd', merge: true },
      {
        TakePending: () => round([], false, [{ sql: 'OPTIMIZE t' }, { sql: 'VACUUM t' }]),
        RunMaintenance: () => ({}),
        FinishRound: (task) => {
          finished.push(task.maintained);
          return { more: false };
        },
      },
    );
    expect(r).toEqual({
      calls: ['TakePending(exec-1)', 'PublishMetrics', 'RunMaintenance', 'RunMaintenance', 'FinishRound(exec-1)'],
      error: null,
    });
    expect(finished).toEqual([true]);
  });

  it("starts the discovery crawler with the plan's targets without waiting for it, and goes on when it is already running", async () => {
    const updates: unknown[] = [];
    const started = await route(
      { dataset: 'd', merge: true },
      {
        TakePending: () => round(['b1'], true, [], true),
        UpdateDiscoveryTargets: (task) => {
          updates.push(task);
          return {};
        },
        StartDiscoveryCrawl: () => ({}),
        FinishRound: () => ({ more: false }),
      },
    );
    expect(started.error).toBeNull();
    expect(started.calls.slice(-3)).toEqual(['UpdateDiscoveryTargets', 'StartDiscoveryCrawl', 'FinishRound(exec-1)']);
    expect(updates).toEqual([
      { Name: 'landfall-local-discovery', Targets: { S3Targets: [{ Path: 's3://lake/quarantine/_unmatched/' }] } },
    ]);
    const busy = () => {
      throw Object.assign(new Error('Crawler with name landfall-local-discovery has already started'), {
        name: 'Glue.CrawlerRunningException',
      });
    };
    const running = await route(
      { dataset: 'd', merge: true },
      {
        TakePending: () => round(['b1'], true, [], true),
        UpdateDiscoveryTargets: busy,
        FinishRound: () => ({ more: false }),
      },
    );
    expect(running.error).toBeNull();
    expect(running.calls.slice(-2)).toEqual(['UpdateDiscoveryTargets', 'FinishRound(exec-1)']);
  });

  it('a MERGE that keeps failing is retried, then the lease is released and PipelineFailed published', async () => {
    const r = await route(
      { dataset: 'd', merge: true },
      {
        TakePending: () => round(['b1']),
        RunMerge: () => {
          throw Object.assign(new Error('ICEBERG_COMMIT_ERROR'), { name: 'States.TaskFailed' });
        },
        ReleaseLease: () => ({}),
      },
    );
    expect(r.error).toBe('States.TaskFailed');
    expect(r.calls.filter((c) => c === 'RunMerge').length).toBeGreaterThanOrEqual(5);
    expect(r.calls.slice(-2)).toEqual(['ReleaseLease(exec-1)', 'PublishFailure']);
  });
});
