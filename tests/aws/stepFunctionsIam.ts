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
