import { readFile } from 'node:fs/promises';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import * as athena from '@aws-sdk/client-athena';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as glue from '@aws-sdk/client-glue';
import * as lambda from '@aws-sdk/client-lambda';
import { CrawlerRunningError, PipelineFailedError, QueryFailedError } from '#src/pipeline/errors.ts';
import { ASL_FILE, LOCAL_SUBSTITUTIONS, substituteDefinition } from '#src/pipeline/localPipeline.ts';
import { readTemplate } from '#src/cli/samTemplate.ts';

const text = await readFile(ASL_FILE, 'utf8');
const definition = JSON.parse(text);

function walk(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    Object.values(node).forEach((n) => walk(n, visit));
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
    const ours = new Set([new QueryFailedError('s', 'm').name, new CrawlerRunningError('c').name, 'Landfall.CrawlFailed']);
    const sdk: Record<string, Record<string, unknown>> = { Athena: athena, CloudWatch: cloudwatch, Glue: glue, Lambda: lambda };
    const names: string[] = [];
    walk(definition, (o) => {
      if (Array.isArray(o.ErrorEquals)) names.push(...(o.ErrorEquals as string[]));
    });
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      if (name.startsWith('States.') || ours.has(name)) continue;
      const [service, exception] = name.split('.');
      expect(sdk[service]?.[exception], `${name} is neither ours nor an exception of @aws-sdk/client-${service.toLowerCase()}`).toBeTypeOf('function');
    }
    // The Fail state's error name that the crawl check raises is one of ours, and the catch-all reports every failure.
    expect(ours.has(definition.States.Pipeline.Branches[0].States.CrawlFailed.Error)).toBe(true);
    expect(definition.States.Pipeline.Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'PublishFailure' });
    expect(new PipelineFailedError('d', 'b', 'e', 'c').name).toBe('PipelineFailedError');
  });

  it('retries the crawler start on Glue.CrawlerRunningException', () => {
    const start = definition.States.Pipeline.Branches[0].States.StartCrawler;
    expect(start.Retry.some((r: { ErrorEquals: string[] }) => r.ErrorEquals.includes('Glue.CrawlerRunningException'))).toBe(true);
  });
});

describe('statemachines/pipeline.asl.json, run by the local interpreter with a crawler that never finishes', () => {
  it('gives up after 90 waits of 20 s with Landfall.CrawlTimedOut, and still publishes PipelineFailed', async () => {
    await import('#src/pipeline/localPipeline.ts'); // installs the Promise.withResolvers polyfill the interpreter needs on Node 20
    const { StateMachine } = await import('aws-local-stepfunctions');
    const machine = new StateMachine(JSON.parse(substituteDefinition(text, LOCAL_SUBSTITUTIONS)));
    let polls = 0;
    const published: unknown[] = [];
    const plan = { run: true, dataset: 'd', crawler: 'c', ddl: [], merge: { sql: 'x' }, summaries: [], views: [], metrics: {} };
    const execution = machine.run({ dataset: 'd', batchId: 'b', manifestKey: 'manifests/d/b.json' } as never, {
      overrides: {
        taskResourceLocalHandlers: {
          PlanBatch: () => plan,
          StartCrawler: () => ({}),
          GetCrawler: () => { polls += 1; return { Crawler: { State: 'RUNNING' } }; },
          PublishFailure: (task: unknown) => { published.push(task); return {}; },
        } as never,
        waitTimeOverrides: { WaitForCrawler: 0 },
      },
    });
    const failure = await execution.result.then(() => null, (e: Error & { cause?: { name?: string } }) => e);
    expect(failure?.cause?.name ?? failure?.name).toBe('Landfall.CrawlTimedOut');
    expect(polls).toBe(91);
    expect(JSON.stringify(published)).toContain('PipelineFailed');
  });
});
