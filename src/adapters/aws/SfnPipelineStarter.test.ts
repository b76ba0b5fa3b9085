import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { executionName } from '../../pipeline/executionName.ts';
import { MAX_ATTEMPTS, SfnPipelineStarter } from './SfnPipelineStarter.ts';

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:landfall-dev-pipeline';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:landfall-dev-pipeline';

/**
 * Step Functions cannot run here: a stand-in that behaves as the service documents it for names (a name is
 * taken once an execution of it started, whatever its status) and for DescribeExecution.
 */
function fakeSfn() {
  const sent: (StartExecutionCommand | DescribeExecutionCommand)[] = [];
  const executions = new Map<string, { status: string; input: string }>();
  const client = {
    send: async (cmd: StartExecutionCommand | DescribeExecutionCommand) => {
      sent.push(cmd);
      if (cmd instanceof DescribeExecutionCommand) {
        const e = executions.get(cmd.input.executionArn!.split(':').pop()!);
        if (!e) throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
        return e;
      }
      if (executions.has(cmd.input.name!))
        throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
      executions.set(cmd.input.name!, { status: 'RUNNING', input: cmd.input.input! });
      return { executionArn: `${EXECUTION}:${cmd.input.name}` };
    },
  };
  return { client: client as unknown as SFNClient, sent, executions };
}

const input = {
  dataset: 'olist_orders',
  batchId: 'b0123456789abcdef0123',
  manifestKey: 'manifests/olist_orders/b0123456789abcdef0123.json',
};
const start = (name: string) => ({ stateMachineArn: MACHINE, name, input: JSON.stringify(input) });
const describe_ = (name: string) => ({ executionArn: `${EXECUTION}:${name}` });

describe('starting the pipeline for a batch', () => {
  it('starts one execution named after the batch; a duplicate start while it runs is refused, not repeated', async () => {
    const { client, sent } = fakeSfn();
    const starter = new SfnPipelineStarter(client, MACHINE);
    expect(await starter.start(input)).toBe('started');
    expect(await starter.start(input)).toBe('already-started');
    expect(sent.map((c) => c.input)).toEqual([
      start('olist_orders-b0123456789abcdef0123'),
      start('olist_orders-b0123456789abcdef0123'),
      describe_('olist_orders-b0123456789abcdef0123'),
    ]);
  });

  it('after a failed, timed-out or aborted attempt, starts the next one (-r2, -r3); a succeeded one is left alone', async () => {
    const { client, sent, executions } = fakeSfn();
    const starter = new SfnPipelineStarter(client, MACHINE);
    await starter.start(input);
    executions.get('olist_orders-b0123456789abcdef0123')!.status = 'FAILED';
    expect(await starter.startAttempt(input)).toEqual({
      status: 'started',
      name: 'olist_orders-b0123456789abcdef0123-r2',
    });
    executions.get('olist_orders-b0123456789abcdef0123-r2')!.status = 'TIMED_OUT';
    expect(await starter.startAttempt(input)).toEqual({
      status: 'started',
      name: 'olist_orders-b0123456789abcdef0123-r3',
    });
    executions.get('olist_orders-b0123456789abcdef0123-r3')!.status = 'SUCCEEDED';
    sent.length = 0;
    expect(await starter.startAttempt(input)).toEqual({
      status: 'already-started',
      name: 'olist_orders-b0123456789abcdef0123-r3',
    });
    expect(sent.map((c) => c.input)).toEqual([
      start('olist_orders-b0123456789abcdef0123'),
      describe_('olist_orders-b0123456789abcdef0123'),
      start('olist_orders-b0123456789abcdef0123-r2'),
      describe_('olist_orders-b0123456789abcdef0123-r2'),
      start('olist_orders-b0123456789abcdef0123-r3'),
      describe_('olist_orders-b0123456789abcdef0123-r3'),
    ]);
    // landfall replay: again, even after a success.
    expect(await starter.startAttempt(input, { again: true })).toEqual({
      status: 'started',
      name: 'olist_orders-b0123456789abcdef0123-r4',
    });
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts with what to do`, async () => {
    const { client, executions } = fakeSfn();
    for (let a = 1; a <= MAX_ATTEMPTS; a++)
      executions.set(executionName(input.dataset, input.batchId, a), { status: 'ABORTED', input: '{}' });
    await expect(new SfnPipelineStarter(client, MACHINE).start(input)).rejects.toThrow(
      /20 executions; run its pipeline by hand/,
    );
  });

  it('reads back the input of the first attempt (what a replay starts again with)', async () => {
    const { client } = fakeSfn();
    const starter = new SfnPipelineStarter(client, MACHINE);
    const handedOff = { ...input, convert: { segments: [0, 1] } };
    await starter.start(handedOff);
    expect(await starter.firstInput(input.dataset, input.batchId)).toEqual(handedOff);
  });

  it('keeps execution names within the 80 characters Step Functions allows, attempts included', () => {
    for (const attempt of [1, 2, MAX_ATTEMPTS]) {
      const name = executionName('a'.repeat(128), 'b0123456789abcdef0123', attempt);
      expect(name).toHaveLength(80);
      expect(name).toMatch(
        attempt === 1 ? /-b0123456789abcdef0123$/ : new RegExp(`-b0123456789abcdef0123-r${attempt}$`),
      );
    }
  });
});
