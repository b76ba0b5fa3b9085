import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { PipelineStarter } from '../../ports.ts';

/** Execution names are derived from the batch, so Step Functions itself refuses a duplicate start. */
export function executionName(dataset: string, batchId: string): string {
  return `${dataset.slice(0, 80 - batchId.length - 1)}-${batchId}`;
}

export class SfnPipelineStarter implements PipelineStarter {
  constructor(private readonly sfn: SFNClient, private readonly stateMachineArn: string) {}

  async start(input: { dataset: string; batchId: string; manifestKey: string }): Promise<'started' | 'already-started'> {
    try {
      await this.sfn.send(new StartExecutionCommand({
        stateMachineArn: this.stateMachineArn,
        name: executionName(input.dataset, input.batchId),
        input: JSON.stringify(input),
      }));
      return 'started';
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists || (err as Error).name === 'ExecutionAlreadyExists') return 'already-started';
      throw err;
    }
  }
}
