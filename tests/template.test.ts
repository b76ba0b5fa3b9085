import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04 from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { readTemplate, TEMPLATE_FILE } from '#src/cli/samTemplate.ts';
import { FUNCTION_ENV } from '#src/wiring/aws.ts';
import { actionsForTask, LOG_DELIVERY, taskResources } from './aws/stepFunctionsIam.ts';

const require = createRequire(import.meta.url);
const t = await readTemplate();
const text = await readFile(TEMPLATE_FILE, 'utf8');

type Spec = {
  resources: Map<string, { properties: Record<string, { type: SpecType }> }>;
  types: Map<string, { properties: Record<string, { type: SpecType }> }>;
};
type SpecType = { type: string; reference?: { $ref: string }; element?: SpecType; types?: SpecType[] };

function loadSpec(): Spec {
  const db = JSON.parse(
    gunzipSync(readFileSync(require.resolve('@aws-cdk/aws-service-spec/db.json.gz'))).toString('utf8'),
  );
  const list = (e: unknown) => (Array.isArray(e) ? e : Object.values(e as object)) as Record<string, any>[];
  return {
    resources: new Map(
      list(db.schema.resource.entities).map((r) => [
        String(r.cloudFormationType),
        r as { properties: Record<string, { type: SpecType }> },
      ]),
    ),
    types: new Map(
      list(db.schema.typeDefinition.entities).map((d) => [
        String(d.$id),
        d as { properties: Record<string, { type: SpecType }> },
      ]),
    ),
  };
}

const isIntrinsic = (v: unknown) =>
  !!v &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  Object.keys(v).length === 1 &&
  /^(Ref|Fn::|Condition)/.test(Object.keys(v)[0]);

/** Every property name used in `value` exists in the CloudFormation specification of that place. */
function unknownProperties(
  spec: Spec,
  props: Record<string, { type: SpecType }>,
  value: Record<string, unknown>,
  path: string,
): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const p = props[k];
    if (!p) {
      out.push(`${path}.${k}`);
      continue;
    }
    out.push(...unknownInType(spec, p.type, v, `${path}.${k}`));
  }
  return out;
}

function unknownInType(spec: Spec, type: SpecType, v: unknown, path: string): string[] {
  if (v === null || v === undefined || isIntrinsic(v)) return [];
  if (type.type === 'ref') {
    const def = spec.types.get(type.reference!.$ref);
    return def && v && typeof v === 'object' && !Array.isArray(v)
      ? unknownProperties(spec, def.properties, v as Record<string, unknown>, path)
      : [];
  }
  if (type.type === 'array' && Array.isArray(v))
    return v.flatMap((x, i) => unknownInType(spec, type.element!, x, `${path}[${i}]`));
  if (type.type === 'map' && v && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) => unknownInType(spec, type.element!, x, `${path}.${k}`));
  if (type.type === 'union') {
    const tries = type.types!.map((u) => unknownInType(spec, u, v, path));
    return tries.find((x) => x.length === 0) ?? tries[0];
  }
  return [];
}

/** Allow statements of every inline policy in the template (function policies, roles, state machine). */
function allowStatements(): { where: string; Sid?: string; Action: unknown; Resource: unknown }[] {
  const out: { where: string; Sid?: string; Action: unknown; Resource: unknown }[] = [];
  const visit = (node: unknown, where: string) => {
    if (Array.isArray(node)) for (const n of node) visit(n, where);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.Effect === 'Allow' && 'Action' in o)
        out.push({ where, Sid: o.Sid as string | undefined, Action: o.Action, Resource: o.Resource });
      for (const n of Object.values(o)) visit(n, where);
    }
  };
  for (const [id, r] of Object.entries(t.Resources)) visit(r.Properties, id);
  return out;
}

describe('template.yaml', () => {
  it('validates against the official SAM template JSON Schema', () => {
    const schema = JSON.parse(readFileSync(new URL('../../shared/schemas/sam.schema.json', import.meta.url), 'utf8'));
    // The schema is draft-04; ajv-draft-04 is ajv for that draft (its typings export the class as the module).
    const Ajv = AjvDraft04 as unknown as new (
      o: object,
    ) => {
      compile(s: object): ((d: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
    };
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    const ok = validate(JSON.parse(JSON.stringify(t)));
    expect(ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
  });

  it('uses only properties the current CloudFormation specification knows, for every plain resource', () => {
    const spec = loadSpec();
    const problems: string[] = [];
    for (const [id, r] of Object.entries(t.Resources)) {
      if (r.Type.startsWith('AWS::Serverless::')) continue;
      const def = spec.resources.get(r.Type);
      if (!def) {
        problems.push(`${id}: unknown resource type ${r.Type}`);
        continue;
      }
      problems.push(...unknownProperties(spec, def.properties, r.Properties ?? {}, id));
    }
    expect(problems).toEqual([]);
  });

  it('gives each function exactly the environment its code reads', () => {
    const functions = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(Object.keys(FUNCTION_ENV).sort());
    for (const [id, r] of functions) {
      expect(Object.keys(r.Properties?.Environment?.Variables ?? {}).sort(), id).toEqual(
        [...FUNCTION_ENV[id as keyof typeof FUNCTION_ENV]].sort(),
      );
    }
  });

  it('builds every function from an entry point that exists, as ESM with source maps and kept names', () => {
    for (const [id, r] of Object.entries(t.Resources).filter(([, x]) => x.Type === 'AWS::Serverless::Function')) {
      const p = r.Metadata?.BuildProperties;
      expect(r.Metadata?.BuildMethod, id).toBe('esbuild');
      expect(p).toMatchObject({ Format: 'esm', Sourcemap: true, KeepNames: true });
      for (const e of p.EntryPoints) expect(existsSync(new URL(`../${e}`, import.meta.url)), `${id}: ${e}`).toBe(true);
      expect(r.Properties?.Handler).toBe('handler.handler');
    }
  });

  it('grants no wildcard action, and "*" as a resource only with a comment beside it saying why', () => {
    const statements = allowStatements();
    expect(statements.length).toBeGreaterThan(8);
    const lines = text.split('\n');
    for (const s of statements) {
      // Any wildcard in an action ('*', 's3:*', also 's3:Get*' or 'dynamodb:*Item') only in a KMS key policy, where
      // AWS documents them in that form, with a comment above the Action saying so.
      const wild = [s.Action].flat().filter((a) => typeof a !== 'string' || a.includes('*'));
      if (!wild.length) continue;
      expect(t.Resources[s.where].Type, `${s.where}: ${JSON.stringify(wild)}`).toBe('AWS::KMS::Key');
      const sid = lines.findIndex((l) => l.trim() === `- Sid: ${s.Sid}`);
      const action = lines.findIndex((l, i) => i > sid && /^\s*Action:/.test(l));
      expect(
        sid >= 0 && lines[action - 1].trim().startsWith('#'),
        `${s.where} ${s.Sid}: a wildcard action needs a comment above it saying why`,
      ).toBe(true);
    }
    // A "*" resource, however written ('*', "*", - '*', [ '*' ]), only with a comment above saying why.
    let stars = 0;
    lines.forEach((line, i) => {
      if (/Resource:\s*(\[\s*)?['"]\*['"]|^\s*-\s*['"]\*['"]\s*$/.test(line) && !/Principal/.test(lines[i - 1] ?? '')) {
        stars++;
        const above = lines.slice(Math.max(0, i - 3), i).map((l) => l.trim());
        expect(
          above.some((l) => l.startsWith('#')),
          `template.yaml line ${i + 1} needs a comment saying why "*"`,
        ).toBe(true);
      }
    });
    expect(stars).toBeGreaterThan(0);
    // The parsed template agrees: every '*' resource is one of those lines.
    const parsedStars = statements.filter((s) => [s.Resource].flat().includes('*')).length;
    expect(parsedStars).toBe(stars);
  });

  it('denies non-TLS access to both buckets, encrypts and blocks public access, versions the lake', () => {
    for (const b of ['LandingBucket', 'LakeBucket']) {
      const p = t.Resources[b].Properties!;
      expect(p.BucketEncryption).toBeTruthy();
      expect(p.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const policy = Object.values(t.Resources).find(
        (r) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties!.Bucket.Ref === b,
      )!;
      expect(policy.Properties!.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
    expect(t.Resources.LakeBucket.Properties!.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('queues Put, Post, Copy and CompleteMultipartUpload of the landing bucket, and the ingest function reads the queue with bounded concurrency', () => {
    const landing = t.Resources.LandingBucket;
    const queued = landing.Properties!.NotificationConfiguration.QueueConfigurations as {
      Event: string;
      Queue: unknown;
    }[];
    expect(queued.map((q) => q.Event).sort()).toEqual([
      's3:ObjectCreated:CompleteMultipartUpload',
      's3:ObjectCreated:Copy',
      's3:ObjectCreated:Post',
      's3:ObjectCreated:Put',
    ]);
    expect(
      queued.every((q) => JSON.stringify(q.Queue) === JSON.stringify({ 'Fn::GetAtt': ['LandingQueue', 'Arn'] })),
    ).toBe(true);
    expect(landing.DependsOn).toBe('LandingQueuePolicy');
    const send = t.Resources.LandingQueuePolicy.Properties!.PolicyDocument.Statement.find(
      (x: { Sid: string }) => x.Sid === 'LandingBucketSendsObjectCreated',
    );
    expect(send).toMatchObject({
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    const fn = t.Resources.IngestFunction.Properties!;
    expect(Object.keys(fn.Events)).toEqual(['Landing']);
    expect(fn.Events.Landing.Properties).toMatchObject({
      Queue: { 'Fn::GetAtt': ['LandingQueue', 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: { Ref: 'IngestMaxConcurrency' } },
    });
    expect(fn.ReservedConcurrentExecutions).toEqual({
      'Fn::If': ['ReserveIngest', { Ref: 'IngestReservedConcurrency' }, { Ref: 'AWS::NoValue' }],
    });
    expect(fn.EventInvokeConfig).toBeUndefined();
    // AWS: the source queue's visibility timeout at least six times the function's timeout.
    expect(t.Resources.LandingQueue.Properties!.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * (fn.Timeout ?? t.Globals!.Function!.Timeout),
    );
  });

  it('has default, dev and prod environments in samconfig.toml', async () => {
    const cfg = await readFile(new URL('../samconfig.toml', import.meta.url), 'utf8');
    for (const env of ['default', 'dev', 'prod'])
      expect(cfg).toMatch(new RegExp(`^\\[${env}\\.deploy\\.parameters\\]`, 'm'));
    expect(cfg).toMatch(/cached = true/);
    expect(cfg).toMatch(/parallel = true/);
    expect(cfg.match(/resolve_s3 = true/g)).toHaveLength(3);
  });
});

describe('template.yaml: what the deployed stack tells its operators, and what it may do', () => {
  const resources = Object.entries(t.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const refTo = (v: unknown) => (v as { Ref?: string })?.Ref;

  it('sends every alarm to the topic when it fires and when it clears', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(20);
    for (const [id, a] of alarms) {
      expect(a.Properties!.AlarmActions.map(refTo), id).toEqual(['AlarmTopic']);
      expect(a.Properties!.OKActions?.map(refTo), id).toEqual(['AlarmTopic']);
    }
  });

  it('encrypts the topic with a key of its own whose policy lets CloudWatch publish (not alias/aws/sns)', () => {
    const topic = t.Resources.AlarmTopic.Properties!;
    expect(refTo(topic.KmsMasterKeyId)).toBe('AlarmTopicKey');
    const key = t.Resources.AlarmTopicKey;
    expect(key.Type).toBe('AWS::KMS::Key');
    const cw = key.Properties!.KeyPolicy.Statement.find(
      (s: { Principal?: { Service?: string } }) => s.Principal?.Service === 'cloudwatch.amazonaws.com',
    );
    expect(cw).toMatchObject({ Effect: 'Allow' });
    expect([cw.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
  });

  it('alarms on failed, timed-out, aborted and throttled executions of the state machine', () => {
    const sfn = ofType('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties!.Namespace === 'AWS/States');
    expect(sfn.map(([, a]) => a.Properties!.MetricName).sort()).toEqual([
      'ExecutionThrottled',
      'ExecutionsAborted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    for (const [, a] of sfn) expect(refTo(a.Properties!.Dimensions[0].Value)).toBe('PipelineStateMachine');
  });

  it('alarms on errors, throttles and a duration near the timeout for every function', () => {
    const lambda = ofType('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties!.Namespace === 'AWS/Lambda');
    for (const [id, fn] of ofType('AWS::Serverless::Function')) {
      const mine = lambda
        .filter(([, a]) => refTo(a.Properties!.Dimensions[0].Value) === id)
        .map(([, a]) => a.Properties!);
      expect(mine.map((a) => a.MetricName).sort(), id).toEqual(['Duration', 'Errors', 'Throttles']);
      const timeoutMs =
        1000 *
        Number(
          fn.Properties!.Timeout ??
            (t as unknown as { Globals: { Function: { Timeout: number } } }).Globals.Function.Timeout,
        );
      const duration = mine.find((a) => a.MetricName === 'Duration')!;
      expect(duration.Statistic).toBe('Maximum');
      expect(duration.Threshold, id).toBeLessThan(timeoutMs);
      expect(duration.Threshold, id).toBeGreaterThanOrEqual(0.9 * timeoutMs);
    }
  });

  it('moves a landing event to the dead-letter queue after LandingMaxReceiveCount failures, and alarms on dead letters, their age and a backlog', () => {
    expect(t.Resources.LandingQueue.Properties!.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] },
      maxReceiveCount: { Ref: 'LandingMaxReceiveCount' },
    });
    const dlq = t.Resources.IngestDeadLetterQueue.Properties!;
    const sqsAlarms = ofType('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties!)
      .filter((a) => a.Namespace === 'AWS/SQS');
    const on = (queue: string, metric: string) =>
      sqsAlarms.find((a) => a.Dimensions[0].Value['Fn::GetAtt']?.[0] === queue && a.MetricName === metric);
    expect(on('IngestDeadLetterQueue', 'ApproximateNumberOfMessagesVisible')).toBeTruthy();
    expect(on('IngestDeadLetterQueue', 'ApproximateAgeOfOldestMessage')!.Threshold).toBeLessThan(
      dlq.MessageRetentionPeriod,
    );
    expect(on('LandingQueue', 'ApproximateAgeOfOldestMessage')).toBeTruthy();
  });

  it('keeps the data when the stack is deleted or a resource replaced', () => {
    for (const id of [
      'LakeBucket',
      'IdempotencyTable',
      'RawDatabase',
      'CuratedDatabase',
      'SummaryDatabase',
      'AnalyticsDatabase',
    ]) {
      expect(t.Resources[id], id).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('expires what staging moves leave behind, expired delete markers, and quarantine after the chosen retention', () => {
    const rules = t.Resources.LakeBucket.Properties!.LifecycleConfiguration.Rules as Record<string, any>[];
    expect(rules.find((r) => r.Prefix === 'staging/' && r.NoncurrentVersionExpiration)).toBeTruthy();
    expect(rules.find((r) => r.ExpiredObjectDeleteMarker === true)).toBeTruthy();
    const q = rules.find((r) => r.Prefix === 'quarantine/')!;
    expect(q.ExpirationInDays['Fn::If'][1]).toEqual({ Ref: 'QuarantineRetentionDays' });
  });

  it("grants the state machine exactly the actions its tasks need (derived from the ASL's task resources)", () => {
    const asl = JSON.parse(readFileSync(new URL('../statemachines/pipeline.asl.json', import.meta.url), 'utf8'));
    const needed = new Set([...taskResources(asl.States).flatMap(actionsForTask), ...LOG_DELIVERY]);
    const granted = new Set<string>();
    for (const p of t.Resources.PipelineStateMachine.Properties!.Policies as Record<string, any>[]) {
      if (p.LambdaInvokePolicy) granted.add('lambda:InvokeFunction');
      for (const s of p.Statement ?? []) for (const a of [s.Action].flat()) granted.add(a);
    }
    expect([...granted].filter((a) => !needed.has(a)).sort(), 'granted but not needed').toEqual([]);
    expect([...needed].filter((a) => !granted.has(a)).sort(), 'needed but not granted').toEqual([]);
  });

  it('lets Athena only read the raw zone and its symlink files', () => {
    const statements = (t.Resources.PipelineStateMachine.Properties!.Policies as Record<string, any>[]).flatMap(
      (p) => p.Statement ?? [],
    );
    const reading = statements.filter((x) =>
      [x.Resource].flat().some((r: unknown) => /\/(raw|symlinks)\//.test(JSON.stringify(r))),
    );
    expect(reading.length).toBeGreaterThan(0);
    for (const s of reading) expect([s.Action].flat(), s.Sid).toEqual(['s3:GetObject']);
    expect(JSON.stringify(reading)).toContain('/symlinks/*');
  });

  it('sets the query context on every Athena task, and a timeout on the state machine', () => {
    const asl = JSON.parse(readFileSync(new URL('../statemachines/pipeline.asl.json', import.meta.url), 'utf8'));
    expect(asl.TimeoutSeconds).toBeGreaterThan(0);
    const athena: Record<string, any>[] = [];
    const visit = (states: Record<string, any>): void => {
      for (const s of Object.values(states)) {
        if (s.Resource === 'arn:aws:states:::athena:startQueryExecution.sync') athena.push(s);
        for (const b of (s.Branches ?? []) as { States: Record<string, any> }[]) visit(b.States);
        if (s.ItemProcessor) visit(s.ItemProcessor.States);
      }
    };
    visit(asl.States);
    expect(athena).toHaveLength(7);
    for (const s of athena)
      expect(s.Parameters.QueryExecutionContext).toEqual({ Catalog: 'AwsDataCatalog', Database: '${CuratedDatabase}' });
  });

  it('reads landing objects with s3:ListBucket, so that a deleted object reads as 404 and not 403', () => {
    for (const id of ['IngestFunction', 'ConvertFunction']) {
      const statements = (t.Resources[id].Properties!.Policies as Record<string, any>[]).flatMap(
        (p) => p.Statement ?? [],
      );
      const list = statements.find(
        (s) => s.Action === 's3:ListBucket' && JSON.stringify(s.Resource).includes('landfall-landing-'),
      );
      expect(list, id).toBeTruthy();
    }
  });

  it('lets only the ingest and plan functions queue batches (pipeline/*) and hold merge leases', () => {
    const touches = (id: string, what: RegExp) => {
      const r = t.Resources[id].Properties!;
      const statements = [
        ...((r.Policies as Record<string, any>[] | undefined) ?? []).flatMap((p) => p.Statement ?? []),
      ];
      return statements.some((s) => what.test(JSON.stringify(s.Resource)));
    };
    const functions = Object.entries(t.Resources)
      .filter(([, r]) => r.Type === 'AWS::Serverless::Function' || r.Type === 'AWS::Serverless::StateMachine')
      .map(([id]) => id);
    expect(functions.filter((id) => touches(id, /\/pipeline\/\*/)).sort()).toEqual(['IngestFunction', 'PlanFunction']);
    expect(functions.filter((id) => touches(id, /MergeLeaseTable/)).sort()).toEqual(['IngestFunction', 'PlanFunction']);
    expect(t.Resources.MergeLeaseTable.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'dataset', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it("alarms when a statement scans 10% of the workgroup's per-query cutoff, on the BytesScanned metric the state machine publishes", () => {
    const alarm = t.Resources.ScanNearCutoffAlarm.Properties!;
    expect(alarm).toMatchObject({
      Namespace: 'Landfall',
      MetricName: 'BytesScanned',
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarm.Dimensions).toBeUndefined();
    const cutoff = t.Resources.AthenaWorkGroup.Properties!.WorkGroupConfiguration.BytesScannedCutoffPerQuery[
      'Fn::Sub'
    ] as string;
    const threshold = alarm.Threshold['Fn::Sub'] as string;
    const bytes = (sub: string) => Number(sub.replace('${BytesScannedCutoffGB}', '200'));
    expect(bytes(threshold) / bytes(cutoff)).toBe(0.1);
    expect(readFileSync(new URL('../statemachines/pipeline.asl.json', import.meta.url), 'utf8')).toContain(
      '"MetricName": "BytesScanned"',
    );
  });

  it('asks for table maintenance daily through EventBridge Scheduler, and lets the plan function start merge runs of this state machine only', () => {
    const plan = t.Resources.PlanFunction.Properties!;
    expect(plan.Events.DailyMaintenance).toMatchObject({
      Type: 'ScheduleV2',
      Properties: { ScheduleExpression: { Ref: 'MaintenanceSchedule' }, Input: '{"action":"schedule-maintenance"}' },
    });
    expect(t.Parameters!.MaintenanceSchedule.Default).toBe('cron(0 3 * * ? *)');
    const start = (plan.Policies as Record<string, any>[])
      .flatMap((p) => p.Statement ?? [])
      .find((x) => x.Action === 'states:StartExecution');
    expect(start.Resource['Fn::Sub']).toMatch(/:stateMachine:landfall-\$\{Stage\}-pipeline$/);
    expect(t.Resources.PipelineStateMachine.Properties!.Name['Fn::Sub']).toBe('landfall-${Stage}-pipeline');
    expect(plan.Environment.Variables.STATE_MACHINE_ARN['Fn::Sub']).toBe(start.Resource['Fn::Sub']);
  });

  it('keeps the Glue crawler to discovering columns: its own database, a scoped role, started (never waited for) only by the state machine', () => {
    const crawler = t.Resources.DiscoveryCrawler.Properties!;
    expect(crawler.DatabaseName).toEqual({ Ref: 'DiscoveredDatabase' });
    expect(crawler.Targets.S3Targets[0].Path['Fn::Sub']).toBe('s3://${LakeBucket}/quarantine/_unmatched/');
    expect(t.Resources.DiscoveryCrawlerRole.Properties!.ManagedPolicyArns).toBeUndefined();
    const glue = (t.Resources.PipelineStateMachine.Properties!.Policies as Record<string, any>[])
      .flatMap((p) => p.Statement ?? [])
      .filter((x) => [x.Action].flat().some((a: string) => /Crawler$/.test(a)));
    expect(glue).toHaveLength(1);
    expect(glue[0]).toMatchObject({ Action: ['glue:UpdateCrawler', 'glue:StartCrawler'] });
    expect(glue[0].Resource['Fn::Sub']).toMatch(/:crawler\/\$\{DiscoveryCrawler\}$/);
  });
});
