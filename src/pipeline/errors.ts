/**
 * Errors the local task handlers throw, named as Step Functions names the AWS failures they stand for, so that
 * the same Retry and Catch rules of statemachines/pipeline.asl.json apply on both sides.
 */

/** A SQL step failed (Athena's .sync integration fails the task with States.TaskFailed). */
export class QueryFailedError extends Error {
  override readonly name = 'States.TaskFailed';
  constructor(
    readonly step: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${step}: ${message}`, options);
  }
}

/** The execution ended in the Failed state: the step, the error name and its cause. */
export class PipelineFailedError extends Error {
  override readonly name = 'PipelineFailedError';
  constructor(
    readonly dataset: string,
    readonly batchId: string,
    readonly error: string,
    readonly causeText: string,
    readonly alarms: { name: string; dataset: string; detail: string }[] = [],
  ) {
    super(`pipeline failed for ${dataset} batch ${batchId}: ${error}: ${causeText}`);
  }
}

/** A merge run's lease lapsed and another run holds it now: this run must not merge (it would race the other). */
export class LeaseLostError extends Error {
  override readonly name = 'Landfall.LeaseLost';
  constructor(dataset: string, holder: string, heldBy: string) {
    super(`merge lease of ${dataset} is held by ${heldBy}, not ${holder}: that run merges the pending batches`);
  }
}
