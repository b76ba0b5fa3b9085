import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { executionName } from '../../pipeline/executionName.ts';
import type { PipelineStarter } from '../../ports.ts';

/** Step Functions keeps a name for 90 days after its execution ends: this many attempts of one batch at the most. */
export const MAX_ATTEMPTS = 20;

/** An attempt that ended without merging: the batch needs another. */
const ENDED_UNFINISHED = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

type PipelineInput = { dataset: string; batchId: string; manifestKey: string; again?: boolean };

export class SfnPipelineStarter implements PipelineStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  /**
   * Starts the batch's pipeline, once: an attempt running or succeeded means there is nothing to start; after an
   * attempt that failed, timed out or was aborted (a re-uploaded object, a redriven dead letter) the next attempt
   * starts. With `again`, a succeeded attempt does not count either (`landfall replay`).
   */
  async start(input: PipelineInput, options: { again?: boolean } = {}): Promise<'started' | 'already-started'> {
    return (await this.startAttempt(input, options)).status;
  }

  /** As `start`, and says which execution name it started or found. */
  async startAttempt(
    input: PipelineInput,
    { again = false } = {},
  ): Promise<{ status: 'started' | 'already-started'; name: string }> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const name = executionName(input.dataset, input.batchId, attempt);
      try {
        await this.sfn.send(
          new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return { status: 'started', name };
      } catch (err) {
        if (!(err instanceof ExecutionAlreadyExists || (err as Error).name === 'ExecutionAlreadyExists')) throw err;
      }
      const { status } = await this.sfn.send(new DescribeExecutionCommand({ executionArn: this.executionArn(name) }));
      if (status === 'RUNNING' || status === 'PENDING_REDRIVE' || (status === 'SUCCEEDED' && !again))
        return { status: 'already-started', name };
      if (status !== 'SUCCEEDED' && !ENDED_UNFINISHED.has(String(status)))
        throw new Error(`execution ${name} is ${status}`);
    }
    throw new Error(
      `batch ${input.batchId} of ${input.dataset} has had ${MAX_ATTEMPTS} executions; run its pipeline by hand or drop the object again under a new key`,
    );
  }

  /** A merge run under the name that holds the dataset's lease (names are unique: a refusal is an error here). */
  async startMerge(input: { dataset: string; merge: true }, name: string): Promise<void> {
    await this.sfn.send(
      new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }),
    );
  }

  async isRunning(name: string): Promise<boolean> {
    try {
      const { status } = await this.sfn.send(new DescribeExecutionCommand({ executionArn: this.executionArn(name) }));
      return status === 'RUNNING' || status === 'PENDING_REDRIVE';
    } catch (err) {
      // Not started yet by a kicker that just took the lease: treat it as running; the lease lapses if it never starts.
      if ((err as Error).name === 'ExecutionDoesNotExist') return true;
      throw err;
    }
  }

  /** The input the batch's first execution was started with (a handed-off batch's carries its byte ranges). */
  async firstInput(dataset: string, batchId: string): Promise<PipelineInput> {
    const out = await this.sfn.send(
      new DescribeExecutionCommand({ executionArn: this.executionArn(executionName(dataset, batchId)) }),
    );
    return JSON.parse(out.input ?? 'null') as PipelineInput;
  }

  private executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
}
