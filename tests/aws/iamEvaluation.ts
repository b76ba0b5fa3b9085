import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { IamRequest } from './awsCalls.ts';
import { DEPLOYMENT, type PolicyDocument, type RolePolicy } from './stackRoles.ts';

/** What the IAM engine (@cloud-copilot/iam-simulate, AWS's evaluation logic) decides for one request of one role. */
export async function decide(
  roleArn: string,
  policies: RolePolicy[],
  request: IamRequest,
  resourcePolicy?: PolicyDocument,
): Promise<{ decision: string; errors?: string }> {
  const response = await runSimulation(
    {
      identityPolicies: policies.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
      request: {
        principal: roleArn,
        action: request.action,
        resource: { resource: request.resource, accountId: DEPLOYMENT.account },
        // Every request is made over TLS by the SDK and by AWS's services (the buckets deny any other).
        contextVariables: { 'aws:SecureTransport': 'true', ...request.context },
      },
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  if (response.resultType === 'error') return { decision: 'Error', errors: JSON.stringify(response.errors) };
  return { decision: response.overallResult };
}

/** Each (statement, action) an inline policy of the role grants, as a policy of its own: to find grants no request uses. */
export function grants(policies: RolePolicy[]): { where: string; policy: RolePolicy }[] {
  const out: { where: string; policy: RolePolicy }[] = [];
  for (const p of policies)
    p.policy.Statement.forEach((s, n) => {
      if (s.Effect !== 'Allow') return;
      for (const action of [s.Action].flat())
        out.push({
          where: `${p.name} ${s.Sid ?? `#${n}`} ${action}`,
          policy: { name: p.name, policy: { Version: '2012-10-17', Statement: [{ ...s, Action: action }] } },
        });
    });
  return out;
}

/** Whether an IAM action pattern (with * and ?) names an action. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    'i',
  );
  return re.test(action);
}
