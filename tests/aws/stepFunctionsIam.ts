import type { IamRequest } from './awsCalls.ts';
/**
 * The IAM actions a Step Functions task needs, by its Resource, from AWS's documentation ("How Step Functions
 * generates IAM policies for integrated services", "IAM policies for Amazon Athena", the AWS SDK integrations'
 * rule that an `aws-sdk:<service>:<apiAction>` task needs `<service>:<ApiAction>`), narrowed to what Landfall's
 * SQL does. One place for these rules, so that the template test derives the state machine's policy from the ASL.
 */

/** What Athena needs to run Landfall's statements: the documented .sync policy, less what Landfall never does. */
export const ATHENA_SYNC = {
  athena: [
    'athena:StartQueryExecution',
    'athena:StopQueryExecution',
    'athena:GetQueryExecution',
    'athena:GetDataCatalog',
  ],
  // The documented list has CreateDatabase, UpdateDatabase, DeleteDatabase, DeleteTable, BatchDeleteTable,
  // DeletePartition, BatchDeletePartition too: databases come from the template, and no statement drops anything.
  glue: [
    'glue:GetDatabase',
    'glue:GetDatabases',
    'glue:GetTable',
    'glue:GetTables',
    'glue:CreateTable',
    'glue:UpdateTable',
    'glue:GetPartition',
    'glue:GetPartitions',
    'glue:BatchGetPartition',
    'glue:CreatePartition',
    'glue:BatchCreatePartition',
    'glue:UpdatePartition',
  ],
  // Results and Iceberg writes; the documented s3:CreateBucket is left out (the lake bucket exists). VACUUM deletes
  // the files of expired snapshots: it needs s3:DeleteObject (Athena's VACUUM documentation).
  s3: [
    's3:GetBucketLocation',
    's3:GetObject',
    's3:ListBucket',
    's3:ListBucketMultipartUploads',
    's3:ListMultipartUploadParts',
    's3:AbortMultipartUpload',
    's3:PutObject',
    's3:DeleteObject',
  ],
  lakeformation: ['lakeformation:GetDataAccess'],
};

/** What vended-log delivery to CloudWatch Logs needs (state machine Logging), per AWS docs. */
export const LOG_DELIVERY = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

/** The actions one Task state's Resource needs. A Lambda function ARN (a placeholder here) needs lambda:InvokeFunction. */
export function actionsForTask(resource: string): string[] {
  if (resource === 'arn:aws:states:::athena:startQueryExecution.sync') return Object.values(ATHENA_SYNC).flat();
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)$/.exec(resource);
  if (sdk) return [`${sdk[1]}:${sdk[2][0].toUpperCase()}${sdk[2].slice(1)}`];
  if (/^\$\{[A-Za-z]+FunctionArn\}$/.test(resource) || /^arn:aws:lambda:/.test(resource))
    return ['lambda:InvokeFunction'];
  throw new Error(`no documented IAM rule here for task resource ${resource}: add it to tests/aws/stepFunctionsIam.ts`);
}

type State = {
  Type: string;
  Resource?: string;
  Branches?: { States: Record<string, State> }[];
  ItemProcessor?: { States: Record<string, State> };
  Iterator?: { States: Record<string, State> };
};

/** Every Task's Resource in a definition, nested Parallel branches and Map processors included. */
export function taskResources(states: Record<string, State>): string[] {
  return Object.values(states).flatMap((s) => [
    ...(s.Type === 'Task' && s.Resource ? [s.Resource] : []),
    ...(s.Branches ?? []).flatMap((b) => taskResources(b.States)),
    ...(s.ItemProcessor ? taskResources(s.ItemProcessor.States) : []),
    ...(s.Iterator ? taskResources(s.Iterator.States) : []),
  ]);
}

/**
 * The IAM requests behind the state machine's own Task calls, by AWS's documentation of each integration: a Lambda
 * task invokes its function (lambda:InvokeFunction on the function ARN); athena:startQueryExecution.sync starts the
 * query and polls it (athena:StartQueryExecution, athena:GetQueryExecution on the workgroup; athena:GetDataCatalog
 * on the catalog it names); an aws-sdk task calls its API action (cloudwatch:PutMetricData with the
 * cloudwatch:namespace condition key; glue:StartCrawler / glue:UpdateCrawler on the crawler).
 */
export function taskRequests(
  resource: string,
  input: Record<string, unknown>,
  d: { partition: string; region: string; account: string; workGroup: string; functions: Record<string, string> },
): IamRequest[] {
  const arn = (service: string, rest: string) => `arn:${d.partition}:${service}:${d.region}:${d.account}:${rest}`;
  const fn = /^\$\{([A-Za-z]+FunctionArn)\}$/.exec(resource);
  if (fn) return [{ action: 'lambda:InvokeFunction', resource: d.functions[fn[1]], context: {} }];
  if (resource === 'arn:aws:states:::athena:startQueryExecution.sync') {
    const wg = arn('athena', `workgroup/${d.workGroup}`);
    const catalog = (input.QueryExecutionContext as { Catalog?: string } | undefined)?.Catalog;
    return [
      { action: 'athena:StartQueryExecution', resource: wg, context: {} },
      { action: 'athena:GetQueryExecution', resource: wg, context: {} },
      ...(catalog
        ? [{ action: 'athena:GetDataCatalog', resource: arn('athena', `datacatalog/${catalog}`), context: {} }]
        : []),
    ];
  }
  if (resource === 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData')
    return [
      {
        action: 'cloudwatch:PutMetricData',
        resource: '*',
        context: { 'cloudwatch:namespace': String(input.Namespace) },
      },
    ];
  const glue = /^arn:aws:states:::aws-sdk:glue:(startCrawler|updateCrawler)$/.exec(resource);
  if (glue)
    return [
      {
        action: `glue:${glue[1][0].toUpperCase()}${glue[1].slice(1)}`,
        resource: arn('glue', `crawler/${String(input.Name)}`),
        context: {},
      },
    ];
  throw new Error(`no documented IAM rule here for task resource ${resource}: add it to tests/aws/stepFunctionsIam.ts`);
}

/** A Glue table the Athena statement names: `db.table`. */
export interface GlueTable {
  schema: string;
  table: string;
}

/**
 * The Glue requests Athena makes for one statement, with the caller's permissions (Athena uses the identity that
 * starts the query for the Data Catalog: "Fine-grained access to databases and tables in the AWS Glue Data Catalog",
 * whose table of required actions this follows). Each is authorized on the catalog, the database and the table
 * ARNs together, so one request is made per resource. Reading a table: glue:GetDatabase and glue:GetTable. An
 * Iceberg write (INSERT, MERGE, DELETE, OPTIMIZE, VACUUM): glue:GetTable and glue:UpdateTable (the commit swaps the
 * table's metadata location). CREATE TABLE and CREATE EXTERNAL TABLE: glue:GetTable and glue:CreateTable. CREATE OR
 * REPLACE VIEW: glue:GetTable, then glue:CreateTable the first time and glue:UpdateTable after. Partition
 * projection and Iceberg tables need no partition API.
 */
export function glueRequests(
  s: {
    database: string;
    reads: GlueTable[];
    writes?: GlueTable;
    creates?: GlueTable;
    view?: { table: GlueTable; exists: boolean };
  },
  d: { partition: string; region: string; account: string },
): IamRequest[] {
  const arn = (rest: string) => `arn:${d.partition}:glue:${d.region}:${d.account}:${rest}`;
  const on = (action: string, t: GlueTable): IamRequest[] =>
    [arn('catalog'), arn(`database/${t.schema}`), arn(`table/${t.schema}/${t.table}`)].map((resource) => ({
      action,
      resource,
      context: {},
    }));
  const out: IamRequest[] = [arn('catalog'), arn(`database/${s.database}`)].map((resource) => ({
    action: 'glue:GetDatabase',
    resource,
    context: {},
  }));
  for (const t of s.reads) out.push(...on('glue:GetTable', t));
  if (s.writes) out.push(...on('glue:GetTable', s.writes), ...on('glue:UpdateTable', s.writes));
  if (s.creates) out.push(...on('glue:GetTable', s.creates), ...on('glue:CreateTable', s.creates));
  if (s.view)
    out.push(
      ...on('glue:GetTable', s.view.table),
      ...on(s.view.exists ? 'glue:UpdateTable' : 'glue:CreateTable', s.view.table),
    );
  return out;
}

/** Athena writes each query's result and its metadata under the workgroup's output location (OutputLocation). */
export function resultRequests(outputLocation: string, queryId: string, partition: string): IamRequest[] {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(outputLocation);
  if (!m) throw new Error(`not an S3 location: ${outputLocation}`);
  const [, bucket, prefix] = m;
  return [
    { action: 's3:GetBucketLocation', resource: `arn:${partition}:s3:::${bucket}`, context: {} },
    ...[`${queryId}.csv`, `${queryId}.csv.metadata`].map((k) => ({
      action: 's3:PutObject',
      resource: `arn:${partition}:s3:::${bucket}/${prefix}${k}`,
      context: {},
    })),
  ];
}

/**
 * The IAM request of one S3 REST request as it went over the wire (the S3 API reference's "Permissions" of each
 * operation): GET and HEAD of an object are s3:GetObject; PUT, and every step of a multipart upload, s3:PutObject;
 * DELETE of an object s3:DeleteObject, of an upload s3:AbortMultipartUpload; DeleteObjects s3:DeleteObject per key;
 * ListObjects(V2) and HeadBucket s3:ListBucket (with s3:prefix); ?uploads on the bucket
 * s3:ListBucketMultipartUploads; ?uploadId on a GET s3:ListMultipartUploadParts; ?location s3:GetBucketLocation.
 */
export function s3WireRequests(
  r: { method: string; bucket: string; key: string; query: URLSearchParams; deleteKeys?: string[] },
  bucketName: (wire: string) => string,
  partition: string,
): IamRequest[] {
  const bucket = `arn:${partition}:s3:::${bucketName(r.bucket)}`;
  const object = (k: string) => `${bucket}/${k}`;
  const q = r.query;
  const one = (action: string, resource: string, context: Record<string, string> = {}) => [
    { action, resource, context },
  ];
  if (!r.key) {
    if (r.method === 'POST' && q.has('delete'))
      return (r.deleteKeys ?? []).flatMap((k) => one('s3:DeleteObject', object(k)));
    if (q.has('location')) return one('s3:GetBucketLocation', bucket);
    if (q.has('uploads')) return one('s3:ListBucketMultipartUploads', bucket);
    if (r.method === 'GET' || r.method === 'HEAD')
      return one('s3:ListBucket', bucket, { 's3:prefix': q.get('prefix') ?? '' });
  } else {
    if (r.method === 'GET' && q.has('uploadId')) return one('s3:ListMultipartUploadParts', object(r.key));
    if (r.method === 'GET' || r.method === 'HEAD') return one('s3:GetObject', object(r.key));
    if (r.method === 'PUT' || r.method === 'POST') return one('s3:PutObject', object(r.key));
    if (r.method === 'DELETE')
      return one(q.has('uploadId') ? 's3:AbortMultipartUpload' : 's3:DeleteObject', object(r.key));
  }
  throw new Error(
    `no documented IAM rule here for S3 ${r.method} /${r.bucket}/${r.key}?${q}: add it to tests/aws/stepFunctionsIam.ts`,
  );
}
