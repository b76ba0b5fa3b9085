import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { executionName, SfnPipelineStarter } from './SfnPipelineStarter.ts';

/** Step Functions cannot run here: a stand-in that behaves as the service does for duplicate names. */
function fakeSfn() {
  const sent: StartExecutionCommand[] = [];
  const names = new Set<string>();
  const client = {
    send: async (cmd: StartExecutionCommand) => {
      sent.push(cmd);
      if (names.has(cmd.input.name!)) throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
      names.add(cmd.input.name!);
      return { executionArn: `arn:aws:states:eu-west-1:123456789012:execution:p:${cmd.input.name}` };
    },
  };
  return { client: client as unknown as SFNClient, sent };
}

describe('starting the pipeline for a batch', () => {
  it('starts one execution named after the batch; a duplicate start is refused, not repeated', async () => {
    const { client, sent } = fakeSfn();
    const starter = new SfnPipelineStarter(client, 'arn:aws:states:eu-west-1:123456789012:stateMachine:landfall-dev-pipeline');
    const input = { dataset: 'olist_orders', batchId: 'b0123456789abcdef0123', manifestKey: 'manifests/olist_orders/b0123456789abcdef0123.json' };
    expect(await starter.start(input)).toBe('started');
    expect(await starter.start(input)).toBe('already-started');
    expect(sent.map((c) => c.input)).toEqual([0, 1].map(() => ({
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:landfall-dev-pipeline',
      name: 'olist_orders-b0123456789abcdef0123',
      input: JSON.stringify(input),
    })));
  });

  it('keeps execution names within the 80 characters Step Functions allows', () => {
    const name = executionName('a'.repeat(128), 'b0123456789abcdef0123');
    expect(name).toHaveLength(80);
    expect(name.endsWith('-b0123456789abcdef0123')).toBe(true);
  });
});
