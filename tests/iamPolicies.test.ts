import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, ExecutionDoesNotExist, ExecutionLimitExceeded } from '@aws-sdk/client-sfn';
import type { SQSEvent } from 'aws-lambda';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCallRecorder, iamRequests, type IamRequest } from './aws/awsCalls.ts';
import { actionMatches, decide, grants } from './aws/iamEvaluation.ts';
import { bucketPolicy, DEPLOYMENT, Resolver, roleOf, stackRoles, transformedTemplate } from './aws/stackRoles.ts';
import { SHARED_DATA, tempDir } from './helpers.ts';

/**
 * Least privilege, evaluated rather than read: the functions' real code runs through the AWS composition roots (the
 * SDK clients they build, pointed at s3rver and dynalite on 127.0.0.1), every AWS call is recorded with the function
 * that made it, and each call's IAM requests are decided by a real IAM policy engine against that function's role
 * as AWS's SAM translator creates it from template.yaml (inline policies, SAM's policy templates and the managed
 * policies it adds). A denied call fails with the function, action and resource; a grant no call uses is listed.
 */

const { stage, account, region, partition } = DEPLOYMENT;
const LANDING = `landfall-landing-${account}-${region}-${stage}`;
const LAKE = `landfall-lake-${account}-${region}-${stage}`;
const STATE_MACHINE = `arn:${partition}:states:${region}:${account}:stateMachine:landfall-${stage}-pipeline`;
const EXECUTIONS = STATE_MACHINE.replace(':stateMachine:', ':execution:');

const template = transformedTemplate();
const roles = stackRoles(template);
/** Step Functions' executions by name, kept as the service does: a name is taken once an execution of it started. */
const executions = new Map<string, { status: string; input: string }>();
/** Set to have the next StartExecution refused as Step Functions does when too many executions run. */
let refuseNextStart = false;
const recorder = new AwsCallRecorder({
  // No Step Functions or CloudWatch here: answered as the services document, and the requests asserted below.
  sfn: (call) => {
    const name = String(call.input.name ?? String(call.input.executionArn).split(':').pop());
    if (call.command === 'StartExecution') {
      if (refuseNextStart) {
        refuseNextStart = false;
        throw new ExecutionLimitExceeded({ message: 'Execution Limit Exceeded', $metadata: {} });
      }
      if (executions.has(name))
        throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
      executions.set(name, { status: 'RUNNING', input: String(call.input.input) });
      return { executionArn: `${EXECUTIONS}:${name}`, startDate: new Date() };
    }
    if (call.command === 'DescribeExecution') {
      const e = executions.get(name);
      if (!e) throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
      return e;
    }
    throw new Error(`no answer for sfn ${call.command}`);
  },
  cloudwatch: () => ({}),
});

/**
 * What AWS itself does with a function's role on its behalf (documented, not recorded): Lambda writes the function's
 * logs into its log group (LoggingConfig) and its traces to X-Ray (Tracing: Active); the SQS event source mapping
 * polls the landing queue with the ingest function's role (Lambda's SQS documentation).
 */
function platformRequests(fn: string): IamRequest[] {
  const resolver = new Resolver(template);
  const props = resolver.value(template.Resources[fn].Properties ?? {}) as {
    LoggingConfig?: { LogGroup?: string };
    TracingConfig?: { Mode?: string };
  };
  const out: IamRequest[] = [];
  const group = props.LoggingConfig?.LogGroup;
  if (group) {
    const stream = `arn:${partition}:logs:${region}:${account}:log-group:${group}:log-stream:2026/12/07/[$LATEST]0`;
    out.push({ action: 'logs:CreateLogStream', resource: stream, context: {} });
    out.push({ action: 'logs:PutLogEvents', resource: stream, context: {} });
  }
  if (props.TracingConfig?.Mode === 'Active')
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
      out.push({ action, resource: '*', context: {} });
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const m = resolver.value(r.Properties ?? {}) as { FunctionName: string; EventSourceArn: string };
    if (m.FunctionName !== resolver.ref(fn)) continue;
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'])
      out.push({ action, resource: m.EventSourceArn, context: {} });
  }
  return out;
}

let s3server: S3rver;
let dynamo: ReturnType<typeof dynalite>;

beforeAll(async () => {
  s3server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: await tempDir('landfall-iam-s3-'),
    configureBuckets: [
      { name: LANDING, configs: [] },
      { name: LAKE, configs: [] },
    ],
  });
  const { port } = await s3server.run();
  dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
  // The composition roots build their clients with no options (as in Lambda): the endpoints come from the
  // environment, as the SDK documents (AWS_ENDPOINT_URL_<SERVICE>); s3rver needs checksums only when required.
  Object.assign(process.env, {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  });
  const db = new DynamoDBClient({});
  for (const [name, key] of [
    [`landfall-${stage}-idempotency`, 'id'],
    [`landfall-${stage}-merge-leases`, 'dataset'],
  ])
    await db.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      }),
    );
  db.destroy();
  recorder.calls.length = 0;
});

afterAll(async () => {
  recorder.stop();
  await s3server?.close();
  await new Promise((resolve) => dynamo?.close(resolve));
});

/** The environment template.yaml gives each function (the deployed names), with the built-in contracts folder. */
function functionEnv(fn: string): Record<string, string> {
  const resolver = new Resolver(template);
  const props = resolver.value(template.Resources[fn].Properties ?? {}) as {
    Environment: { Variables: Record<string, string> };
  };
  // The layer's /opt paths: a checkout's code finds the same files beside itself when they are unset.
  const env = Object.fromEntries(Object.entries(props.Environment.Variables).filter(([k]) => !k.endsWith('_PATH')));
  return { ...env, CONTRACTS_DIR: join(import.meta.dirname, '../contracts'), RANGE_MB: '1' };
}

function sqsEvent(key: string, size: number, eTag: string): SQSEvent {
  const s3 = { bucket: { name: LANDING, arn: `arn:aws:s3:::${LANDING}` }, object: { key, size, eTag } };
  return {
    Records: [
      {
        messageId: key,
        receiptHandle: 'r',
        body: JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3 }] }),
        attributes: {} as SQSEvent['Records'][0]['attributes'],
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${region}:${account}:landfall-${stage}-landing`,
        awsRegion: region,
      },
    ],
  };
}

const context = { getRemainingTimeInMillis: () => 600_000 } as never;

describe("every AWS call Landfall's functions make, evaluated against their roles by a real IAM engine", () => {
  it('runs ingest (SQS), convert (byte ranges), plan (queue, take, finish, maintenance) and freshness against S3 and DynamoDB on 127.0.0.1', async () => {
    Object.assign(process.env, functionEnv('IngestFunction'), functionEnv('PlanFunction'));
    const s3 = new S3Client({});
    const drop = async (key: string, file: string) => {
      const body = await readFile(file);
      const r = await s3.send(new PutObjectCommand({ Bucket: LANDING, Key: key, Body: body }));
      return sqsEvent(key, body.length, (r.ETag ?? '').replace(/"/g, ''));
    };
    const payments = await drop(
      'olist_order_payments/payments.csv',
      join(SHARED_DATA, 'olist/sample_bravida/olist_order_payments_dataset.csv'),
    );
    // 4 MB of clicks with RANGE_MB=1: handed to the state machine as byte ranges, converted by the convert function.
    const clicks = await drop('ad_clicks/train_sample.csv', join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'));
    // A second payments file while the first one's merge run holds the group's lease: it only queues itself.
    const morePayments = await drop(
      'olist_order_payments/payments-2.csv',
      join(SHARED_DATA, 'olist/sample_bravida/olist_order_payments_dataset.csv'),
    );
    const stray = await drop('nobody/claims-this.csv', join(SHARED_DATA, 'retailrocket/category_tree.csv'));
    recorder.calls.length = 0;

    const ingest = await import('../functions/ingest/handler.ts');
    for (const event of [payments, clicks, morePayments, stray, payments])
      expect(await recorder.as('IngestFunction', () => ingest.handler(event, context))).toEqual({
        batchItemFailures: [],
      });

    // A batch whose merge run Step Functions refuses to start: the lease is given back, the message fails (SQS
    // delivers it again), Powertools deletes its in-progress record, and the redelivery publishes and starts it.
    const tree = await drop(
      'retailrocket_category_tree/category_tree.csv',
      join(SHARED_DATA, 'retailrocket/category_tree.csv'),
    );
    refuseNextStart = true;
    expect(await recorder.as('IngestFunction', () => ingest.handler(tree, context))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'retailrocket_category_tree/category_tree.csv' }],
    });
    expect(refuseNextStart).toBe(false);
    expect(await recorder.as('IngestFunction', () => ingest.handler(tree, context))).toEqual({
      batchItemFailures: [],
    });

    const starts = recorder.calls.filter((c) => c.command === 'StartExecution');
    const handOff = starts.map((c) => JSON.parse(String(c.input.input))).find((i) => i.convert);
    expect(handOff).toMatchObject({ dataset: 'ad_clicks' });
    for (const c of starts) expect(c.input.stateMachineArn).toBe(STATE_MACHINE);

    Object.assign(process.env, functionEnv('ConvertFunction'));
    const convert = await import('../functions/convert/handler.ts');
    for (const segment of handOff.convert.segments as number[]) {
      let done = false;
      while (!done)
        done = (
          (await recorder.as('ConvertFunction', () =>
            convert.handler({ action: 'segment', dataset: 'ad_clicks', batchId: handOff.batchId, segment }, context),
          )) as { done: boolean }
        ).done;
    }
    const published = await recorder.as('ConvertFunction', () =>
      convert.handler({ action: 'publish', dataset: 'ad_clicks', batchId: handOff.batchId }, context),
    );
    expect(published).toMatchObject({ status: 'published', rowsWritten: 100_000 });

    const plan = (await import('../functions/plan/handler.ts')).handler;
    const run = (task: Parameters<typeof plan>[0]) => recorder.as('PlanFunction', () => plan(task));
    const clicksBatch = {
      dataset: 'ad_clicks',
      batchId: handOff.batchId,
      manifestKey: (published as { manifestKey: string }).manifestKey,
    };
    // The state machine queues the handed-off batch (Enqueue), then its merge run takes a round of ad_clicks
    // (keyless: the plan reads the raw files' footers for the round's column ranges) and finishes it.
    expect(await run({ action: 'enqueue', batch: clicksBatch, holder: 'ad_clicks-convert-1' })).toEqual({
      lead: true,
    });
    const round = (await run({ action: 'take', dataset: 'ad_clicks', holder: 'ad_clicks-convert-1' })) as {
      taken: { dataset: string; batchId: string }[];
      merges: unknown[];
    };
    expect(round.merges).toHaveLength(1);
    await run({ action: 'finish', dataset: 'ad_clicks', holder: 'ad_clicks-convert-1', taken: round.taken as never });
    // The payments batch was queued by the ingest function, which started its group's merge run under a lease name.
    const merge = starts.map((c) => ({ name: String(c.input.name), input: JSON.parse(String(c.input.input)) }));
    const paymentsRun = merge.find((m) => m.input.merge && m.input.dataset !== 'ad_clicks');
    expect(paymentsRun).toBeDefined();
    const taken = (await run({ action: 'take', dataset: paymentsRun!.input.dataset, holder: paymentsRun!.name })) as {
      taken: never;
    };
    expect(taken.taken).toHaveLength(2);
    // The daily schedule while that run holds its lease: the run is asked whether it still runs, and left alone.
    const maintenance = (await run({ action: 'schedule-maintenance' })) as { started: string[] };
    expect(maintenance.started).not.toContain(paymentsRun!.input.dataset);
    await run({ action: 'release', dataset: paymentsRun!.input.dataset, holder: paymentsRun!.name });

    Object.assign(process.env, functionEnv('FreshnessFunction'));
    const freshness = await import('../functions/freshness/handler.ts');
    await recorder.as('FreshnessFunction', () => freshness.handler());
    expect(recorder.calls.filter((c) => c.service === 'cloudwatch')).toEqual([
      {
        caller: 'FreshnessFunction',
        service: 'cloudwatch',
        command: 'PutMetricData',
        input: { Namespace: 'Landfall', MetricData: [expect.objectContaining({ MetricName: 'StaleDatasets' })] },
      },
    ]);
  }, 240_000);

  it('allows every recorded call by the role of the function that made it (denials name function, action and resource)', async () => {
    const denied: string[] = [];
    const seen = new Set<string>();
    for (const call of recorder.calls.filter((c) => c.caller !== AwsCallRecorder.TEST)) {
      const role = roles.get(roleOf(template, call.caller))!;
      for (const request of iamRequests(call)) {
        const id = `${call.caller} ${request.action} ${request.resource} ${JSON.stringify(request.context)}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const bucket = request.resource.startsWith(`arn:${partition}:s3:::${LAKE}`) ? 'LakeBucket' : 'LandingBucket';
        const r = await decide(
          `arn:${partition}:iam::${account}:role/${role.logicalId}`,
          role.all,
          request,
          request.action.startsWith('s3:') ? bucketPolicy(template, bucket) : undefined,
        );
        if (r.decision !== 'Allowed')
          denied.push(
            `${call.caller} may not ${call.command} (${request.action} on ${request.resource}${
              Object.keys(request.context).length ? ` with ${JSON.stringify(request.context)}` : ''
            }): ${r.decision}${r.errors ? ` ${r.errors}` : ''}`,
          );
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(denied).toEqual([]);
  });

  it("uses every action each function's own policy grants, or says why not", async () => {
    const unused: string[] = [];
    for (const fn of ['IngestFunction', 'ConvertFunction', 'PlanFunction', 'FreshnessFunction']) {
      const role = roles.get(roleOf(template, fn))!;
      const requests = [
        ...recorder.calls.filter((c) => c.caller === fn).flatMap((c) => iamRequests(c)),
        ...platformRequests(fn),
      ];
      for (const g of grants(role.policies)) {
        const action = [g.policy.policy.Statement[0].Action].flat()[0];
        let used = false;
        for (const request of requests.filter((r) => actionMatches(action, r.action))) {
          const arn = `arn:${partition}:iam::${account}:role/${role.logicalId}`;
          if ((await decide(arn, [g.policy], request)).decision === 'Allowed') {
            used = true;
            break;
          }
        }
        if (!used) unused.push(`${fn}: ${g.where}`);
      }
    }
    // Each grant here is one no call in this run used, with the reason it stays.
    expect(unused).toEqual(UNUSED_WITH_REASON.map((u) => u.grant));
  });
});

/**
 * Grants this run does not exercise, and why each stays. A new grant that nothing uses fails the test until it is
 * used or listed here with its reason.
 */
const UNUSED_WITH_REASON: { grant: string; why: string }[] = [
  ...['IngestFunction', 'ConvertFunction'].flatMap((fn) => [
    {
      grant: `${fn}: ${fn}RolePolicy0 WriteLakeZones s3:AbortMultipartUpload`,
      why: 'an output file whose conversion fails midway is aborted, parts and all (tests/s3Store.test.ts aborts one on s3rver)',
    },
    {
      grant: `${fn}: ${fn}RolePolicy0 ListLandingSoMissingObjectsRead404 s3:ListBucket`,
      why: 'no request of its own: with it, S3 answers 404 (not 403) for an object deleted before its event is read (S3 API reference, GetObject permissions)',
    },
  ]),
];
