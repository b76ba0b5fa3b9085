import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The stack's IAM roles as AWS would create them: template.yaml transformed by AWS's own SAM translator
 * (scripts/sam-transform.py, run with the Python of .ci/requirements.txt), every intrinsic function resolved to the
 * names and ARNs of one deployment (stage, account, region below), and the managed policies SAM attaches read from
 * tests/aws/managedPolicies.json. The IAM test evaluates recorded calls against these with a real policy engine.
 */

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DEPLOYMENT = { stage: 'dev', account: '123456789012', region: 'us-east-1', partition: 'aws' };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface PolicyDocument {
  Version?: string;
  Statement: {
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Condition?: Json;
  }[];
}
export interface RolePolicy {
  name: string;
  policy: PolicyDocument;
}
export interface StackRole {
  logicalId: string;
  policies: RolePolicy[];
  managedPolicyArns: string[];
}
type Resource = { Type: string; Properties?: Record<string, Json>; Condition?: string };

/** The Python with samtranslator: LANDFALL_PYTHON, else .venv/bin/python (what .ci/run installs), else python3. */
export function samPython(): string {
  if (process.env.LANDFALL_PYTHON) return process.env.LANDFALL_PYTHON;
  const venv = join(ROOT, '.venv/bin/python');
  return existsSync(venv) ? venv : 'python3';
}

/** template.yaml as CloudFormation, transformed by AWS's SAM translator. */
export function transformedTemplate(parameters: Record<string, string> = { Stage: DEPLOYMENT.stage }): {
  Resources: Record<string, Resource>;
  Parameters?: Record<string, { Default?: Json }>;
  Conditions?: Record<string, Json>;
} {
  const args = [
    join(ROOT, 'scripts/sam-transform.py'),
    join(ROOT, 'template.yaml'),
    ...Object.entries(parameters).map(([k, v]) => `${k}=${v}`),
    `AWS::AccountId=${DEPLOYMENT.account}`,
    `AWS::Region=${DEPLOYMENT.region}`,
  ];
  try {
    return JSON.parse(execFileSync(samPython(), args, { encoding: 'utf8', maxBuffer: 64 << 20 }));
  } catch (err) {
    throw new Error(
      `AWS's SAM translator could not transform template.yaml (${samPython()} scripts/sam-transform.py): ` +
        `${(err as { stderr?: string }).stderr || (err as Error).message}\n` +
        "Install the AWS lane's Python tools first: python3 -m venv .venv && .venv/bin/pip install -r .ci/requirements.txt",
    );
  }
}

/** Resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If and Fn::Select against one deployment. */
export class Resolver {
  private readonly params: Record<string, string>;
  constructor(
    private readonly t: ReturnType<typeof transformedTemplate>,
    parameters: Record<string, string> = { Stage: DEPLOYMENT.stage },
  ) {
    this.params = {
      'AWS::AccountId': DEPLOYMENT.account,
      'AWS::Region': DEPLOYMENT.region,
      'AWS::Partition': DEPLOYMENT.partition,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': `landfall-${DEPLOYMENT.stage}`,
      ...Object.fromEntries(
        Object.entries(t.Parameters ?? {}).map(([k, p]) => [k, p.Default === undefined ? '' : String(p.Default)]),
      ),
      ...parameters,
    };
  }

  value(v: Json): Json {
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (v === null || typeof v !== 'object') return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [k] = keys;
      const a = v[k];
      if (k === 'Ref') return this.ref(String(a));
      if (k === 'Fn::GetAtt') {
        const [id, att] = Array.isArray(a) ? a.map(String) : String(a).split('.');
        return this.getAtt(id, att);
      }
      if (k === 'Fn::Sub') return this.sub(a);
      if (k === 'Fn::Join') {
        const [sep, parts] = a as [string, Json[]];
        return (this.value(parts) as Json[]).map(String).join(sep);
      }
      if (k === 'Fn::Select') {
        const [i, list] = a as [number, Json];
        return (this.value(list) as Json[])[Number(i)];
      }
      if (k === 'Fn::If') {
        const [cond, yes, no] = a as [string, Json, Json];
        return this.value(this.condition(cond) ? yes : no);
      }
    }
    return Object.fromEntries(
      Object.entries(v)
        .map(([k, x]) => [k, this.value(x)] as const)
        .filter(([, x]) => x !== NO_VALUE),
    );
  }

  condition(name: string): boolean {
    const c = this.t.Conditions?.[name];
    if (c === undefined) throw new Error(`no condition ${name} in the template`);
    return this.test(c);
  }

  private test(c: Json): boolean {
    if (c && typeof c === 'object' && !Array.isArray(c)) {
      if ('Condition' in c) return this.condition(String(c.Condition));
      if ('Fn::Equals' in c) {
        const [x, y] = this.value(c['Fn::Equals']) as Json[];
        return String(x) === String(y);
      }
      if ('Fn::Not' in c) return !this.test((c['Fn::Not'] as Json[])[0]);
      if ('Fn::And' in c) return (c['Fn::And'] as Json[]).every((x) => this.test(x));
      if ('Fn::Or' in c) return (c['Fn::Or'] as Json[]).some((x) => this.test(x));
    }
    throw new Error(`cannot evaluate the condition ${JSON.stringify(c)}`);
  }

  private sub(a: Json): string {
    const [text, vars] = Array.isArray(a) ? [String(a[0]), (a[1] ?? {}) as Record<string, Json>] : [String(a), {}];
    return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in vars) return String(this.value(vars[name]));
      const dot = name.indexOf('.');
      return String(dot > 0 ? this.getAtt(name.slice(0, dot), name.slice(dot + 1)) : this.ref(name));
    });
  }

  private props(id: string): Record<string, Json> {
    const r = this.t.Resources[id];
    if (!r) throw new Error(`no resource ${id} in the transformed template`);
    return (this.value(r.Properties ?? {}) as Record<string, Json>) ?? {};
  }

  ref(name: string): Json {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in this.params) return this.params[name];
    const r = this.t.Resources[name];
    if (!r) throw new Error(`Ref to ${name}, which is neither a parameter nor a resource`);
    const p = this.props(name);
    const { account, region, partition } = DEPLOYMENT;
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return String(p.BucketName);
      case 'AWS::DynamoDB::Table':
        return String(p.TableName);
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${partition}:states:${region}:${account}:stateMachine:${p.StateMachineName}`;
      case 'AWS::Lambda::Function':
        return String(p.FunctionName);
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${p.QueueName}`;
      case 'AWS::Glue::Crawler':
      case 'AWS::Athena::WorkGroup':
        return String(p.Name);
      case 'AWS::Glue::Database':
        return String((p.DatabaseInput as Record<string, Json>).Name);
      case 'AWS::Logs::LogGroup':
        return String(p.LogGroupName);
      case 'AWS::SNS::Topic':
        return `arn:${partition}:sns:${region}:${account}:${name}`;
      case 'AWS::KMS::Key':
        return `${name}-key-id`;
      case 'AWS::IAM::Role':
        return name;
      case 'AWS::Lambda::LayerVersion':
        return `arn:${partition}:lambda:${region}:${account}:layer:${p.LayerName}:1`;
      default:
        throw new Error(`Ref to ${name} (${r.Type}): teach tests/aws/stackRoles.ts its physical id`);
    }
  }

  getAtt(id: string, att: string): Json {
    const r = this.t.Resources[id];
    if (!r) throw new Error(`GetAtt of ${id}, which is not a resource`);
    const { account, region, partition } = DEPLOYMENT;
    const p = this.props(id);
    if (att === 'Arn')
      switch (r.Type) {
        case 'AWS::S3::Bucket':
          return `arn:${partition}:s3:::${p.BucketName}`;
        case 'AWS::DynamoDB::Table':
          return `arn:${partition}:dynamodb:${region}:${account}:table/${p.TableName}`;
        case 'AWS::Lambda::Function':
          return `arn:${partition}:lambda:${region}:${account}:function:${p.FunctionName}`;
        case 'AWS::SQS::Queue':
          return `arn:${partition}:sqs:${region}:${account}:${p.QueueName}`;
        case 'AWS::Logs::LogGroup':
          return `arn:${partition}:logs:${region}:${account}:log-group:${p.LogGroupName}:*`;
        case 'AWS::IAM::Role':
          return `arn:${partition}:iam::${account}:role/${id}`;
        case 'AWS::KMS::Key':
          return `arn:${partition}:kms:${region}:${account}:key/${id}`;
        case 'AWS::StepFunctions::StateMachine':
          return this.ref(id);
      }
    if (att === 'Name' && r.Type === 'AWS::StepFunctions::StateMachine') return String(p.StateMachineName);
    if (att === 'QueueName' && r.Type === 'AWS::SQS::Queue') return String(p.QueueName);
    throw new Error(`GetAtt ${id}.${att} (${r.Type}): teach tests/aws/stackRoles.ts its value`);
  }
}

const NO_VALUE = '\u0000AWS::NoValue';

/** The managed policies SAM attaches, as AWS publishes them (tests/aws/managedPolicies.json says where from). */
export function managedPolicy(arn: string): PolicyDocument {
  const all = JSON.parse(readFileSync(join(ROOT, 'tests/aws/managedPolicies.json'), 'utf8')) as {
    policies: Record<string, PolicyDocument>;
  };
  const doc = all.policies[arn];
  if (!doc) throw new Error(`SAM attaches ${arn}: add its document to tests/aws/managedPolicies.json`);
  return doc;
}

/** Every IAM role of the transformed template, with its inline policies resolved and its managed policies read. */
export function stackRoles(t = transformedTemplate()): Map<string, StackRole & { all: RolePolicy[] }> {
  const resolver = new Resolver(t);
  const roles = new Map<string, StackRole & { all: RolePolicy[] }>();
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Type !== 'AWS::IAM::Role') continue;
    const p = resolver.value(r.Properties ?? {}) as {
      Policies?: { PolicyName: string; PolicyDocument: PolicyDocument }[];
      ManagedPolicyArns?: string[];
    };
    const policies = (p.Policies ?? []).map((x) => ({ name: x.PolicyName, policy: x.PolicyDocument }));
    const managedPolicyArns = p.ManagedPolicyArns ?? [];
    roles.set(id, {
      logicalId: id,
      policies,
      managedPolicyArns,
      all: [...policies, ...managedPolicyArns.map((arn) => ({ name: arn, policy: managedPolicy(arn) }))],
    });
  }
  return roles;
}

/** The role a function or state machine runs as: the logical id its Role property names. */
export function roleOf(t: ReturnType<typeof transformedTemplate>, logicalId: string): string {
  const props = t.Resources[logicalId]?.Properties;
  // A function's role is its Role; a state machine's its RoleArn.
  const role = (props?.Role ?? props?.RoleArn) as { 'Fn::GetAtt'?: string[] } | undefined;
  const id = role?.['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`${logicalId} has no role of this stack`);
  return id;
}

/** A bucket's resource policy, resolved (the buckets deny every request without TLS). */
export function bucketPolicy(
  t: ReturnType<typeof transformedTemplate>,
  bucketLogicalId: string,
): PolicyDocument | undefined {
  const resolver = new Resolver(t);
  for (const r of Object.values(t.Resources)) {
    if (r.Type !== 'AWS::S3::BucketPolicy') continue;
    const p = resolver.value(r.Properties ?? {}) as unknown as { Bucket: string; PolicyDocument: PolicyDocument };
    if (p.Bucket === resolver.ref(bucketLogicalId)) return p.PolicyDocument;
  }
  return undefined;
}
