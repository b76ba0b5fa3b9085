import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEPLOYMENT } from './stackRoles.ts';

/**
 * Every AWS call the code makes in a test, recorded at the SDK clients' `send` (every client of these services, in
 * whichever module created it: the composition roots', lib-storage's uploads, Powertools' idempotency table), with
 * the function on whose behalf it was made. Calls to services with a server on 127.0.0.1 (S3: s3rver, DynamoDB:
 * dynalite) go on to it; Step Functions and CloudWatch have none here, so `answer` answers them (the test asserts
 * those requests exactly).
 */
export interface RecordedCall {
  caller: string;
  service: 's3' | 'dynamodb' | 'sfn' | 'cloudwatch';
  command: string;
  input: Record<string, unknown>;
}

type Send = (this: unknown, command: { constructor: { name: string }; input: unknown }, ...rest: unknown[]) => unknown;
type Answer = (call: RecordedCall) => unknown;

export class AwsCallRecorder {
  readonly calls: RecordedCall[] = [];
  /** Calls made outside `as`: the test's own (putting objects in place), not any function's. */
  static readonly TEST = 'the test itself';
  private caller = AwsCallRecorder.TEST;
  private readonly restore: (() => void)[] = [];

  constructor(answer: Partial<Record<'sfn' | 'cloudwatch', Answer>>) {
    const patch = (proto: { send: Send }, service: RecordedCall['service'], local?: Answer) => {
      const own = Object.getOwnPropertyDescriptor(proto, 'send');
      const original = proto.send;
      const recorder = this;
      proto.send = function (this: unknown, command, ...rest) {
        const call: RecordedCall = {
          caller: recorder.caller,
          service,
          command: command.constructor.name.replace(/Command$/, ''),
          input: structuredClone(stripBodies(command.input as Record<string, unknown>)),
        };
        recorder.calls.push(call);
        if (local) return Promise.resolve().then(() => local(call));
        return original.call(this, command, ...rest);
      };
      this.restore.push(() => {
        if (own) Object.defineProperty(proto, 'send', own);
        else delete (proto as { send?: Send }).send;
      });
    };
    patch(S3Client.prototype as unknown as { send: Send }, 's3');
    patch(DynamoDBClient.prototype as unknown as { send: Send }, 'dynamodb');
    patch(DynamoDBDocumentClient.prototype as unknown as { send: Send }, 'dynamodb');
    patch(SFNClient.prototype as unknown as { send: Send }, 'sfn', answer.sfn ?? refuse);
    patch(CloudWatchClient.prototype as unknown as { send: Send }, 'cloudwatch', answer.cloudwatch ?? refuse);
  }

  /** Runs `work` as `caller` (a function's or the state machine's logical id): its calls are recorded under it. */
  async as<T>(caller: string, work: () => Promise<T>): Promise<T> {
    const before = this.caller;
    this.caller = caller;
    try {
      return await work();
    } finally {
      this.caller = before;
    }
  }

  stop(): void {
    for (const r of this.restore.splice(0).reverse()) r();
  }
}

function refuse(call: RecordedCall): never {
  throw new Error(`no answer for ${call.service} ${call.command} in this test`);
}

/** Bodies are bytes or streams: the IAM request does not depend on them. */
function stripBodies(input: Record<string, unknown>): Record<string, unknown> {
  const { Body: _b, ...rest } = input ?? {};
  return rest;
}

/** One request as IAM authorizes it: action, resource ARN and the condition keys the request carries. */
export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string>;
}

const { partition, region, account } = DEPLOYMENT;
const s3Object = (bucket: unknown, key: unknown) => `arn:${partition}:s3:::${bucket}/${key}`;
const table = (name: unknown) => `arn:${partition}:dynamodb:${region}:${account}:table/${name}`;

/**
 * The IAM requests an SDK call makes, by AWS's Service Authorization Reference ("Actions, resources, and condition
 * keys" of Amazon S3, DynamoDB, Step Functions and CloudWatch) and the S3 API reference's permissions section of each
 * operation: HeadObject is authorized as s3:GetObject, a multipart upload's every step as s3:PutObject, CopyObject as
 * s3:GetObject on the source and s3:PutObject on the destination, ListObjectsV2 as s3:ListBucket with its prefix.
 * A call not listed here fails the test: add it with its documented rule.
 */
export function iamRequests(call: RecordedCall): IamRequest[] {
  const i = call.input as Record<string, string | undefined>;
  const one = (action: string, resource: string, context: Record<string, string> = {}): IamRequest[] => [
    { action, resource, context },
  ];
  switch (`${call.service}:${call.command}`) {
    case 's3:GetObject':
    case 's3:HeadObject':
      return one(i.VersionId ? 's3:GetObjectVersion' : 's3:GetObject', s3Object(i.Bucket, i.Key));
    case 's3:PutObject':
    case 's3:CreateMultipartUpload':
    case 's3:UploadPart':
    case 's3:CompleteMultipartUpload':
      return one('s3:PutObject', s3Object(i.Bucket, i.Key));
    case 's3:AbortMultipartUpload':
      return one('s3:AbortMultipartUpload', s3Object(i.Bucket, i.Key));
    case 's3:ListParts':
      return one('s3:ListMultipartUploadParts', s3Object(i.Bucket, i.Key));
    case 's3:DeleteObject':
      return one(i.VersionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject', s3Object(i.Bucket, i.Key));
    case 's3:CopyObject': {
      const source = decodeURIComponent(String(i.CopySource).replace(/^\//, '').split('?')[0]);
      return [
        { action: 's3:GetObject', resource: `arn:${partition}:s3:::${source}`, context: {} },
        { action: 's3:PutObject', resource: s3Object(i.Bucket, i.Key), context: {} },
      ];
    }
    case 's3:ListObjectsV2':
    case 's3:ListObjects':
      return one('s3:ListBucket', `arn:${partition}:s3:::${i.Bucket}`, {
        's3:prefix': i.Prefix ?? '',
        ...(i.Delimiter ? { 's3:delimiter': i.Delimiter } : {}),
      });
    case 'dynamodb:GetItem':
    case 'dynamodb:PutItem':
    case 'dynamodb:UpdateItem':
    case 'dynamodb:DeleteItem':
    case 'dynamodb:Query':
    case 'dynamodb:CreateTable':
      return one(`dynamodb:${call.command}`, table(i.TableName));
    case 'sfn:StartExecution':
      return one('states:StartExecution', String(i.stateMachineArn));
    case 'sfn:DescribeExecution':
      return one('states:DescribeExecution', String(i.executionArn));
    case 'cloudwatch:PutMetricData':
      return one('cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': String(i.Namespace) });
    default:
      throw new Error(
        `${call.caller} calls ${call.service} ${call.command}: add its IAM rule to tests/aws/awsCalls.ts (iamRequests)`,
      );
  }
}
