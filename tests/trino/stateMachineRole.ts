import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IamRequest } from '../aws/awsCalls.ts';
import { actionMatches, decide, grants } from '../aws/iamEvaluation.ts';
import { bucketPolicy, DEPLOYMENT, Resolver, roleOf, stackRoles, transformedTemplate } from '../aws/stackRoles.ts';
import { glueRequests, resultRequests, s3WireRequests, taskRequests, type GlueTable } from '../aws/stepFunctionsIam.ts';
import type { RanStatement } from './athenaOnTrino.ts';
import type { S3Request } from './trinoServer.ts';

/** One IAM request of the state machine's role, and what made it (a Task, a statement, an S3 request of Trino's). */
export interface RoleRequest extends IamRequest {
  by: string;
}

const { partition, region, account } = DEPLOYMENT;

type State = {
  Type: string;
  Resource?: string;
  Branches?: { States: Record<string, State> }[];
  ItemProcessor?: { States: Record<string, State> };
};

/** Each Task state's Resource in the ASL as written (placeholders unresolved), by state name. */
function taskResourcesByState(): Map<string, string> {
  const asl = JSON.parse(
    readFileSync(fileURLToPath(new URL('../../statemachines/pipeline.asl.json', import.meta.url)), 'utf8'),
  );
  const out = new Map<string, string>();
  const walk = (states: Record<string, State>) => {
    for (const [name, s] of Object.entries(states)) {
      if (s.Type === 'Task' && s.Resource) out.set(name, s.Resource);
      for (const b of s.Branches ?? []) walk(b.States);
      if (s.ItemProcessor) walk(s.ItemProcessor.States);
    }
  };
  walk(asl.States);
  return out;
}

/**
 * Every IAM request the state machine's role makes in a Trino lane run, mapped to the deployed stack (the lane's
 * bucket `lake` is the stage's lake bucket; its database names are the stage's): the Tasks the executions ran,
 * the Glue requests and result writes of each Athena statement, and the S3 requests Trino made for the data.
 */
export function stateMachineRequests(run: {
  tasks: { state: string; input: unknown }[];
  statements: RanStatement[];
  s3: S3Request[];
}): RoleRequest[] {
  const template = transformedTemplate();
  const resolver = new Resolver(template);
  const sm = template.Resources.PipelineStateMachine.Properties!;
  const subs = resolver.value(sm.DefinitionSubstitutions!) as Record<string, string>;
  const wg = resolver.value(template.Resources.AthenaWorkGroup.Properties!) as {
    Name: string;
    WorkGroupConfiguration: { ResultConfiguration: { OutputLocation: string } };
  };
  const lakeBucket = resolver.ref('LakeBucket') as string;
  const resources = taskResourcesByState();
  const out: RoleRequest[] = [];
  const d = { partition, region, account };
  for (const { state, input } of run.tasks) {
    const resource = resources.get(state);
    if (!resource) throw new Error(`the executions ran ${state}, which is no Task of the ASL`);
    for (const r of taskRequests(resource, input as Record<string, unknown>, {
      ...d,
      workGroup: wg.Name,
      functions: subs,
    }))
      out.push({ ...r, by: `Task ${state}` });
  }
  const seenViews = new Set<string>();
  const name = (qualified: string): GlueTable => {
    const [schema, table] = qualified.split('.');
    return { schema, table };
  };
  run.statements.forEach((s, i) => {
    const head = s.athena.slice(0, 80).replace(/\s+/g, ' ');
    const reads = (s.tables?.inputs ?? []).map((t) => ({ schema: t.schema, table: t.table }));
    const writes = s.tables?.output ? { schema: s.tables.output.schema, table: s.tables.output.table } : undefined;
    let creates: GlueTable | undefined;
    let view: { table: GlueTable; exists: boolean } | undefined;
    const created = /^CREATE (?:EXTERNAL )?TABLE (?:IF NOT EXISTS )?([a-z0-9_]+\.[a-z0-9_]+)/.exec(s.athena);
    if (created) creates = name(created[1]);
    const replaced = /^CREATE OR REPLACE VIEW ([a-z0-9_]+\.[a-z0-9_]+)/.exec(s.athena);
    if (replaced) {
      view = { table: name(replaced[1]), exists: seenViews.has(replaced[1]) };
      seenViews.add(replaced[1]);
    }
    const maintained = /^(?:OPTIMIZE|VACUUM) ([a-z0-9_]+\.[a-z0-9_]+)/.exec(s.athena);
    for (const r of glueRequests(
      { database: s.database, reads, writes: writes ?? (maintained ? name(maintained[1]) : undefined), creates, view },
      d,
    ))
      out.push({ ...r, by: `statement ${head}` });
    // One query per Athena statement, however many Trino statements stand in for it (VACUUM: two).
    if (i === 0 || run.statements[i - 1].athena !== s.athena || s.created)
      for (const r of resultRequests(wg.WorkGroupConfiguration.ResultConfiguration.OutputLocation, `q${i}`, partition))
        out.push({ ...r, by: `statement ${head}` });
  });
  for (const r of run.s3)
    for (const q of s3WireRequests(r, (b) => (b === 'lake' ? lakeBucket : b), partition))
      out.push({ ...q, by: `Trino's S3 ${r.method} /${r.bucket}/${r.key}` });
  return out;
}

/** The role's decision on each distinct request: the denied ones, named, and the grants no request used. */
export async function evaluateStateMachineRole(requests: RoleRequest[]): Promise<{
  checked: number;
  denied: string[];
  unused: string[];
}> {
  const template = transformedTemplate();
  const roleId = roleOf(template, 'PipelineStateMachine');
  const role = stackRoles(template).get(roleId)!;
  const roleArn = `arn:${partition}:iam::${account}:role/${roleId}`;
  const lakePolicy = bucketPolicy(template, 'LakeBucket');
  const distinct = new Map<string, RoleRequest>();
  for (const r of requests) distinct.set(`${r.action} ${r.resource} ${JSON.stringify(r.context)}`, r);
  const denied: string[] = [];
  for (const r of distinct.values()) {
    const v = await decide(roleArn, role.all, r, r.action.startsWith('s3:') ? lakePolicy : undefined);
    if (v.decision !== 'Allowed')
      denied.push(
        `PipelineStateMachine may not ${r.action} on ${r.resource} (${r.by}): ${v.decision}${v.errors ?? ''}`,
      );
  }
  const unused: string[] = [];
  for (const g of grants(role.policies)) {
    const action = [g.policy.policy.Statement[0].Action].flat()[0];
    let used = false;
    for (const r of [...distinct.values()].filter((x) => actionMatches(action, x.action)))
      if ((await decide(roleArn, [g.policy], r)).decision === 'Allowed') {
        used = true;
        break;
      }
    if (!used) unused.push(g.where);
  }
  return { checked: distinct.size, denied, unused };
}
